"""Sections of the CX scorecard page on a small simulated world, run without a kernel, against the metrics."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from cxlab import metrics
from cxlab.periods import known_by
from cxlab.sections import open_report, scorecard
from cxlab.synth import simulate, write_demo

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "01_cx_scorecard.ipynb"
QUARTER = "2026Q3"  # latest complete quarter of a world simulated up to 2026-09-30
HOSTILE_COMMENT = "<script>alert('x')</script> & <b>bold</b>"
KEYS = ["nps", "nps_change_prev_quarter", "nps_change_prev_year", "csat", "csat_change_prev_quarter",
        "csat_change_prev_year", "ces", "ces_change_prev_quarter", "ces_change_prev_year"]


def _answers(surveys: pd.DataFrame, quarter: str, as_of: pd.Timestamp, relationship: bool) -> pd.DataFrame:
    """Answers to invitations sent in a quarter, received by as_of, from relationship or transactional surveys."""
    period = pd.Period(quarter, freq="Q")
    rows = surveys[(surveys["touchpoint"] == "relationship") == relationship]
    sent = rows["sent_at"]
    return rows[(sent >= period.start_time) & (sent <= period.end_time) & known_by(rows["responded_at"], as_of=as_of)]


SECTIONS = (scorecard.overview, scorecard.quarter_at_a_glance, scorecard.changes_since, scorecard.by_segment,
            scorecard.by_touchpoint, scorecard.trends, scorecard.comments)


def _run_sections(folder: Path, *, queried: bool = False) -> tuple[dict, str]:
    """Every section of the page: the recorded headlines and the HTML the results show.

    With ``queried`` the page reads the surveys as aggregates from the engine, as the notebook does;
    otherwise it loads them.
    """
    report = (open_report("01_cx_scorecard", data_dir=folder, min_cell_size=30, tables=["customers"],
                          queried=["surveys"]) if queried else
              open_report("01_cx_scorecard", data_dir=folder, min_cell_size=30, tables=["surveys"]))
    html = "\n".join(report.show(section)._repr_html_() for section in SECTIONS)
    return dict(report.recorder.items), html


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    world = simulate(n_customers=3000, seed=5)
    surveys = world.surveys.copy()
    # Put customer free text with HTML into the most recent relationship comment of the quarter.
    latest = _answers(surveys, QUARTER, world.as_of, relationship=True)
    latest = latest[latest["comment"].notna()].sort_values(["responded_at", "invitation_id"]).index[-1]
    surveys.loc[latest, "comment"] = HOSTILE_COMMENT
    world.surveys = surveys
    folder = tmp_path_factory.mktemp("world")
    write_demo(world, folder)
    headlines, html = _run_sections(folder)
    return world, headlines, html, folder


def test_the_page_from_engine_aggregates_equals_the_page_from_loaded_surveys(executed):
    _, loaded, loaded_html, folder = executed
    queried, queried_html = _run_sections(folder, queried=True)
    assert set(queried) == set(loaded)
    for key, h in loaded.items():
        q = queried[key]
        for name in ("value", "ci_low", "ci_high"):
            mine, theirs = getattr(q, name), getattr(h, name)
            assert mine == (pytest.approx(theirs, rel=1e-9) if isinstance(theirs, float) else theirs), (key, name)
        assert (q.n, q.note, q.label, q.series) == (h.n, h.note, h.label, h.series), key
    no_images = re.compile(r"<img[^>]*>")
    assert no_images.sub("", queried_html) == no_images.sub("", loaded_html)
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in queried_html and "<script>" not in queried_html


def test_all_headlines_recorded_with_existing_sections(executed):
    _, headlines, _, _ = executed
    assert set(KEYS) <= set(headlines)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    markdown = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', markdown))
    for key in KEYS:
        h = headlines[key]
        assert h.section in anchors, key
        assert h.value is not None and h.ci_low < h.ci_high and h.n > 0, key
    assert (headlines["nps"].unit, headlines["csat"].unit, headlines["ces"].unit) == (
        "points", "% satisfied", "mean effort 1–7")


def test_level_headlines_equal_metrics_on_the_raw_answers(executed):
    world, headlines, _, _ = executed
    relationship = _answers(world.surveys, QUARTER, world.as_of, relationship=True)
    transactional = _answers(world.surveys, QUARTER, world.as_of, relationship=False)
    # the report's intervals are clustered by customer
    expected = {"nps": metrics.nps(relationship["nps"], clusters=relationship["customer_id"], method="adjusted_wald"),
                "csat": metrics.csat(transactional["csat"], clusters=transactional["customer_id"]),
                "ces": metrics.ces(transactional["ces"], clusters=transactional["customer_id"])}
    for key, est in expected.items():
        h = headlines[key]
        assert (h.value, h.ci_low, h.ci_high, h.n) == (pytest.approx(est.value), pytest.approx(est.ci_low),
                                                       pytest.approx(est.ci_high), est.n), key


def test_change_headlines_equal_direct_comparisons(executed):
    world, headlines, _, _ = executed

    def answers(quarter, relationship):
        return _answers(world.surveys, quarter, world.as_of, relationship)

    def estimate(kind, quarter):
        rows = answers(quarter, kind == "nps")
        return getattr(metrics, kind)(rows[kind], clusters=rows["customer_id"])

    # The relationship survey runs in March and September: 2026Q2 has no answers, so the
    # "previous quarter" comparison of NPS is with 2026Q1.
    assert answers("2026Q2", True).empty
    expected = {
        "nps_change_prev_quarter": metrics.compare_nps(estimate("nps", QUARTER), estimate("nps", "2026Q1")),
        "nps_change_prev_year": metrics.compare_nps(estimate("nps", QUARTER), estimate("nps", "2025Q3")),
        "csat_change_prev_quarter": metrics.compare_csat(estimate("csat", QUARTER), estimate("csat", "2026Q2")),
        "csat_change_prev_year": metrics.compare_csat(estimate("csat", QUARTER), estimate("csat", "2025Q3")),
        "ces_change_prev_quarter": metrics.compare_ces(estimate("ces", QUARTER), estimate("ces", "2026Q2")),
        "ces_change_prev_year": metrics.compare_ces(estimate("ces", QUARTER), estimate("ces", "2025Q3")),
    }
    for key, diff in expected.items():
        h = headlines[key]
        assert (h.value, h.ci_low, h.ci_high, h.n) == (pytest.approx(diff.estimate), pytest.approx(diff.ci_low),
                                                       pytest.approx(diff.ci_high), diff.n_a + diff.n_b), key
    assert "2026Q1" in headlines["nps_change_prev_quarter"].label
    assert "adjusted p" in headlines["nps_change_prev_year"].note
    assert headlines["csat_change_prev_year"].unit == "percentage points"


def test_comments_are_escaped_and_no_identifiers_shown(executed):
    world, _, html, _ = executed
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "<script>" not in html
    text = re.sub(r"<img[^>]*>", "", html)
    ids = set(world.customers["customer_id"]) | set(world.surveys["invitation_id"])
    shown = set(re.findall(r"\b[A-Z]\d{6,}\b", text))
    assert not shown & ids
    assert "nan" not in text.lower()


def test_runs_without_a_surveys_table(tmp_path):
    world = simulate(n_customers=300, seed=2)
    folder = tmp_path / "world"
    write_demo(world, folder)
    for path in folder.glob("surveys.*"):
        path.unlink()
    for path in folder.glob("cases.*"):  # follow-up cases refer to survey answers
        path.unlink()
    headlines, html = _run_sections(folder)
    assert set(KEYS) <= set(headlines)
    assert "This section is skipped: the data has no surveys table." in html
    assert all(headlines[k].value is None for k in KEYS)


def test_targets_are_recorded_and_drawn_in_the_trend_charts(tmp_path):
    write_demo(simulate(n_customers=1500, seed=5), tmp_path)
    report = open_report("01_cx_scorecard", data_dir=tmp_path, tables=["surveys"], targets={"nps": 40, "ces": "2.5"})
    glance = report.show(scorecard.quarter_at_a_glance)
    assert glance.headline("nps").target == 40.0 and glance.headline("ces").target == 2.5
    assert glance.headline("csat").target is None
    csat, ces, nps = report.show(scorecard.trends).charts

    def target_lines(chart):
        return [line for ax in chart.figure.axes if ax.get_visible() for line in ax.get_lines()
                if line.get_label() == "target"]

    assert {tuple(line.get_ydata()) for line in target_lines(nps)} == {(40.0, 40.0)}
    assert {tuple(line.get_ydata()) for line in target_lines(ces)} == {(2.5, 2.5)}
    assert target_lines(csat) == [] and "target" not in csat.alt
    assert nps.alt.endswith("The dashed line is the target of 40.")
