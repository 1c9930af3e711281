"""notebooks/05_churn_survival.ipynb: thin, and one papermill run records what its sections compute."""

from __future__ import annotations

from cxlab.sections import churn, open_report

NAME = "05_churn_survival"
KEYS = {"median_tenure", "survival_24m", "rmst_36m", "hr_detractor", "survival_10y"}


def test_committed_notebook_is_thin(thin_notebook):
    nb = thin_notebook(NAME)
    assert nb.metadata["kernelspec"] == {"name": "python3", "display_name": "Python 3", "language": "python"}


def test_papermill_run_records_the_sections_figures(run_notebook, small_world_dir):
    run = run_notebook(NAME, data_dir=str(small_world_dir))
    recorded = run.headlines
    assert KEYS <= set(recorded)
    report = open_report(NAME, data_dir=small_world_dir)
    assert recorded["hr_detractor"] == report.show(churn.churn_drivers).headline("hr_detractor")
    assert "hr_followup" not in recorded  # the follow-up effect is the feedback-loop page's
    assert recorded["median_tenure"] == report.show(churn.how_long_customers_stay).headline("median_tenure")
    assert {h.section for h in recorded.values()} <= run.anchors
