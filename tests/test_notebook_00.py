"""notebooks/00_start_here.ipynb: the researchers' ten-cell tour runs on the demo data and is not a report page."""

from __future__ import annotations

from pathlib import Path

import nbformat

from cxlab.report.params import discover_notebooks

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_the_tour_runs_and_shows_what_it_promises(run_notebook):
    committed = nbformat.read(NOTEBOOKS / "00_start_here.ipynb", as_version=4)
    assert len(committed.cells) == 10
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in committed.cells if c.cell_type == "code")
    outputs = run_notebook("00_start_here").outputs
    text = "\n".join(str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    assert "CXData from ../data/demo" in text and "customers 20,000 rows" in text
    assert "Enterprise" in text and "incremental_discounted_profit" in text
    assert "of customers stay more than 12 months" in text
    assert any("image/png" in o.get("data", {}) for o in outputs)


def test_the_tour_is_not_a_report_page():
    names = [notebook.name for notebook in discover_notebooks(NOTEBOOKS)]
    assert "00_start_here" not in names and names[0].startswith("01_")
