"""notebooks/01_cx_scorecard.ipynb: thin, and one papermill run records what its sections compute."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill

from cxlab.headlines import read_headlines
from cxlab.sections import open_report, scorecard
from cxlab.synth import simulate, write_demo

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "01_cx_scorecard.ipynb"


def test_committed_notebook_is_thin_and_parameterised():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert tagged[0].source.splitlines()[:4] == ['data_dir = "../data/demo"', 'quarter = ""', "min_cell_size = 30",
                                                 'headlines_path = ""']
    assert 'method = "adjusted_wald"' in tagged[0].source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    lines = [line for c in code for line in c.source.splitlines() if line.strip()]
    assert len(lines) <= 40
    assert not any(re.match(r"\s*(def|class|if|for|while|try|elif|else)\b", line) for line in lines)
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_papermill_run_records_the_sections_figures(tmp_path, monkeypatch):
    folder = tmp_path / "world"
    write_demo(simulate(n_customers=1500, seed=5), folder)
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    headlines = tmp_path / "headlines.json"
    papermill.execute_notebook(str(NOTEBOOK), str(tmp_path / "executed.ipynb"), kernel_name="python3",
                               cwd=str(NOTEBOOKS), progress_bar=False,
                               parameters={"data_dir": str(folder), "headlines_path": str(headlines)})
    recorded = read_headlines(headlines)
    report = open_report("01_cx_scorecard", data_dir=folder, tables=["surveys"])
    assert recorded["nps"] == report.show(scorecard.quarter_at_a_glance).headline("nps")
    assert recorded["ces_change_prev_year"] == report.show(scorecard.changes_since).headline("ces_change_prev_year")
    nb = nbformat.read(tmp_path / "executed.ipynb", as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
