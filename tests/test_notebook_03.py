"""notebooks/03_feedback_loop.ipynb: thin, and one papermill run records what its sections compute."""

from __future__ import annotations

import re

from cxlab.sections import loop, open_report
from cxlab.synth import simulate, write_demo

NAME = "03_feedback_loop"
ANCHORS = ("loop", "loop-groups", "first-response", "sla-chart", "followup-effect", "followup-checks",
           "followup-speed", "followup-churn", "silent", "silent-compare", "nps-corrected", "nps-checks")


def test_notebook_is_thin(thin_notebook):
    nb = thin_notebook(NAME)
    markdown = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for anchor in ANCHORS:
        assert f'<a id="{anchor}"></a>' in markdown
    assert "## Did the follow-up work?" in markdown and "continuity" in markdown


def test_papermill_run_records_the_sections_figures(run_notebook, small_world_dir):
    run = run_notebook(NAME, data_dir=str(small_world_dir))
    recorded = run.headlines
    assert {"followup_coverage", "sla_24h_share", "followup_coverage_gap", "detractors", "followup_effect",
            "followup_effect_naive", "nps_raw", "nps_ipw"} == set(recorded)
    report = open_report(NAME, data_dir=small_world_dir, tables=["customers", "surveys", "cases"])
    assert recorded["followup_coverage"] == report.show(loop.closed_loop).headline("followup_coverage")
    assert recorded["followup_effect"] == report.show(loop.followup_effect).headline("followup_effect")
    assert run.html.count("<img ") >= 5 and 'alt=""' not in run.html
    text = re.sub(r"<img[^>]*>", "", run.html)
    assert "Regression discontinuity at 6/7" in text and "C000" not in text and "customer_id" not in text


def test_notebook_survives_a_folder_with_customers_only(run_notebook, tmp_path):
    folder = tmp_path / "customers_only"
    written = write_demo(simulate(n_customers=300, seed=2), folder, compression_level=3)
    for table in ("surveys", "cases", "revenue"):
        written[table].unlink()
    run = run_notebook(NAME, data_dir=str(folder))
    assert all(h.value is None for h in run.headlines.values())
    assert "This section is skipped" in run.html
