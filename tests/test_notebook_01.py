"""notebooks/01_cx_scorecard.ipynb: thin, and one papermill run records what its sections compute."""

from __future__ import annotations

from cxlab.sections import open_report, scorecard

NAME = "01_cx_scorecard"


def test_committed_notebook_is_thin_and_parameterised(thin_notebook):
    nb = thin_notebook(NAME)
    parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert parameters.source.splitlines()[:4] == ['data_dir = "../data/demo"', 'quarter = ""', "min_cell_size = 30",
                                                  'headlines_path = ""']
    assert 'method = "adjusted_wald"' in parameters.source


def test_papermill_run_records_the_sections_figures(run_notebook, small_world_dir):
    recorded = run_notebook(NAME, data_dir=str(small_world_dir)).headlines
    report = open_report(NAME, data_dir=small_world_dir, tables=["surveys"])
    assert recorded["nps"] == report.show(scorecard.quarter_at_a_glance).headline("nps")
    assert recorded["ces_change_prev_year"] == report.show(scorecard.changes_since).headline("ces_change_prev_year")
