"""notebooks/04_retention_cohorts.ipynb: thin, and one papermill run records what its sections compute."""

from __future__ import annotations

import re

from cxlab.sections import open_report, retention

NAME = "04_retention_cohorts"


def test_notebook_is_thin(thin_notebook):
    nb = thin_notebook(NAME)
    anchors = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for anchor in ("retention-12m", "cohort-retention", "revenue-retention", "sbg"):
        assert f'<a id="{anchor}"></a>' in anchors


def test_papermill_run_records_the_sections_figures(run_notebook, small_world_dir):
    run = run_notebook(NAME, data_dir=str(small_world_dir), n_resamples=300)
    recorded = run.headlines
    report = open_report(NAME, data_dir=small_world_dir)
    expected = report.show(retention.retention_at, months=12).headline("retention")
    assert recorded["retention"] == expected
    assert {"retention", "nrr", "sbg_alpha", "sbg_beta"} <= set(recorded)
    assert run.html.count("<img ") >= 3 and 'alt=""' not in run.html
    text = re.sub(r"<img[^>]*>", "", run.html)
    assert "stay more than 12 months" in text and "C000" not in text and "customer_id" not in text
