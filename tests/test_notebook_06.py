"""notebooks/06_retention_economics.ipynb: thin, and one papermill run records what its sections compute."""

from __future__ import annotations

import re
from pathlib import Path

import papermill

from cxlab.headlines import REGISTRY
from cxlab.sections import economics, open_report

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_retention_economics.ipynb"
NAME = NOTEBOOK.stem
KEYS = {key for key, entry in REGISTRY.items() if entry.notebook == NAME}
N_RESAMPLES = 200


def test_committed_notebook_is_thin(thin_notebook):
    nb = thin_notebook(NAME)
    assert nb.metadata["kernelspec"] == {"name": "python3", "display_name": "Python 3", "language": "python"}
    lines = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", [])).source.splitlines()
    assert lines[:4] == ['data_dir = "../data/demo"', 'quarter = ""', "min_cell_size = 30", 'headlines_path = ""']
    for literal in ("gross_margin_share = 0.35", "annual_discount_rate = 0.10", "retention_lift = 0.05",
                    'lift_kind = "relative"', "horizon_months = 60", "programme_cost_per_customer_year = 50.0",
                    "cost_to_serve_per_customer_month = 0.0", 'survival_tail = "geometric"', "n_resamples = 500",
                    "seed = 0", 'currency = "EUR"'):
        assert any(line.startswith(literal) for line in lines), literal
    assert papermill.inspect_notebook(str(NOTEBOOK))["retention_lift"]["default"] == "0.05"
    # every recorded headline points at a section of the page
    assert KEYS == {"lift_profit", "lift_profit_pct", "acquisition_alternative_profit", "clv", "cac", "ltv_cac",
                    "payback_months", "revenue_at_risk"}
    markdown = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    anchors = set(re.findall(r'<a id="([\w-]+)"></a>', markdown))
    assert {REGISTRY[key].section for key in KEYS} <= anchors


def test_papermill_run_records_the_sections_figures(run_notebook, small_world_dir):
    run = run_notebook(NAME, data_dir=str(small_world_dir), n_resamples=N_RESAMPLES)
    recorded = run.headlines
    assert KEYS <= set(recorded)
    report = open_report(NAME, data_dir=small_world_dir, tables=["customers"])
    settings = economics.Settings(n_resamples=N_RESAMPLES)
    assert recorded["lift_profit"] == report.show(economics.the_answer, settings=settings).headline("lift_profit")
    assert recorded["cac"] == report.show(economics.acquisition_cost, settings=settings).headline("cac")
    assert run.html.count('<img src="data:image/png;base64,') == 6 and "cx-answer" in run.html
    assert not [o for o in run.outputs if "image/png" in o.get("data", {})]
    assert not re.search(r"\bnan\b", re.sub(r"<img[^>]*>", "", run.html), flags=re.I)
