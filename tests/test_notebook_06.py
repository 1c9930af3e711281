"""notebooks/06_retention_economics.ipynb: thin, and one papermill run records what its sections compute."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill

from cxlab.headlines import REGISTRY, read_headlines
from cxlab.sections import economics, open_report
from cxlab.synth import simulate, write_demo

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "06_retention_economics.ipynb"
KEYS = {key for key, entry in REGISTRY.items() if entry.notebook == "06_retention_economics"}
N_BOOTSTRAP = 200


def _anchors(nb) -> set[str]:
    return set(re.findall(r'<a id="([\w-]+)"></a>', "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")))


def test_committed_notebook_is_thin():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"] == {"name": "python3", "display_name": "Python 3", "language": "python"}
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    lines = tagged[0].source.splitlines()
    assert lines[:4] == ['data_dir = "../data/demo"', 'quarter = ""', "min_cell_size = 30", 'headlines_path = ""']
    for literal in ("gross_margin_share = 0.35", "annual_discount_rate = 0.10", "retention_lift = 0.05",
                    'lift_kind = "relative"', "horizon_months = 60", "programme_cost_per_customer_year = 50.0",
                    "cost_to_serve_per_customer_month = 0.0", 'survival_tail = "geometric"', "n_bootstrap = 500",
                    "seed = 0", 'currency = "EUR"'):
        assert any(line.startswith(literal) for line in lines), literal
    assert papermill.inspect_notebook(str(NOTEBOOK))["retention_lift"]["default"] == "0.05"
    code_lines = [line for c in code for line in c.source.splitlines() if line.strip()]
    assert len(code_lines) <= 40
    assert not any(re.match(r"\s*(def|class|if|for|while|try|elif|else)\b", line) for line in code_lines)
    # every recorded headline points at a section of the page
    assert KEYS == {"lift_profit", "lift_profit_pct", "acquisition_alternative_profit", "clv", "cac", "ltv_cac",
                    "payback_months", "revenue_at_risk"}
    assert {REGISTRY[key].section for key in KEYS} <= _anchors(nb)


def test_papermill_run_records_the_sections_figures(tmp_path, monkeypatch):
    folder = tmp_path / "world"
    write_demo(simulate(n_customers=3000, seed=5), folder, compression_level=3)
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    headlines = tmp_path / "headlines.json"
    papermill.execute_notebook(str(NOTEBOOK), str(tmp_path / "executed.ipynb"), kernel_name="python3",
                               cwd=str(NOTEBOOKS), progress_bar=False,
                               parameters={"data_dir": str(folder), "headlines_path": str(headlines),
                                           "n_bootstrap": N_BOOTSTRAP})
    recorded = read_headlines(headlines)
    assert KEYS <= set(recorded)
    report = open_report("06_retention_economics", data_dir=folder, tables=["customers"])
    settings = economics.Settings(n_bootstrap=N_BOOTSTRAP)
    assert recorded["lift_profit"] == report.show(economics.the_answer, settings=settings).headline("lift_profit")
    assert recorded["cac"] == report.show(economics.acquisition_cost, settings=settings).headline("cac")
    nb = nbformat.read(tmp_path / "executed.ipynb", as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    html = "\n".join(str(o.get("data", {}).get("text/html", "")) for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs)
    assert html.count('<img src="data:image/png;base64,') == 6 and "cx-answer" in html
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert not re.search(r"\bnan\b", re.sub(r"<img[^>]*>", "", html), flags=re.I)
