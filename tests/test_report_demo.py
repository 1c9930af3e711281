"""The full quarterly report with the project's notebooks on a small simulated world.

The world gets a customer comment with a ``<script>`` tag (the most recent relationship-survey
comment of the quarter, which the scorecard shows). The report is built once per test session
(``test_report_browser.py`` reuses it). Figures in the executive summary are compared with the
headlines JSON and with the package's functions (and lifelines) called directly here.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup
from lifelines import KaplanMeierFitter
from lifelines.utils import restricted_mean_survival_time
from scipy import stats
from test_report import PageIndex

from cxlab import loop, report
from cxlab.headlines import read_headlines
from cxlab.io import CXData, load
from cxlab.metrics import ces, csat, nps
from cxlab.periods import analysis_as_of, as_of_end, known_by
from cxlab.report.summary import format_headline
from cxlab.schema import RELATIONSHIP, TOUCHPOINTS
from cxlab.synth import simulate, write_demo
from cxlab.tenure import tenure_frame

QUARTER = "2026Q3"
MARKER_COMMENT = "<script>document.title='cx-injected'</script> Invoice total was <b>wrong</b> & late"
MARKER_ESCAPED = "&lt;script&gt;document.title='cx-injected'&lt;/script&gt; Invoice total was &lt;b&gt;wrong"
REPORT_NOTEBOOKS = ("01_cx_scorecard", "02_touchpoints_and_drivers", "03_feedback_loop", "04_retention_cohorts",
                    "05_churn_survival", "06_retention_economics", "07_voice_of_customer")
REPO_NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


@dataclass
class DemoReport:
    data_dir: Path
    out: Path

    @property
    def quarter_dir(self) -> Path:
        return self.out / QUARTER

    def headlines(self, notebook: str) -> dict:
        return read_headlines(self.quarter_dir / "executed" / f"{notebook}.headlines.json")

    def glance(self) -> dict[str, list[str]]:
        """At-a-glance rows keyed by the figure's link target ``page#section`` plus label."""
        soup = BeautifulSoup((self.quarter_dir / "index.html").read_text(encoding="utf-8"), "html.parser")
        rows = {}
        for row in soup.select("table.cx-glance tr"):
            cells = row.find_all("td")
            if cells:
                rows[cells[0].get_text(strip=True)] = [c.get_text(" ", strip=True) for c in cells]
        return rows


def build_demo_report(tmp_path_factory) -> DemoReport:
    """Simulate a small world and run the full report on it, once per test session."""
    base = tmp_path_factory.getbasetemp() / "demo-report"
    built = DemoReport(base / "data", base / "reports")
    if (built.quarter_dir / "index.html").is_file():
        return built
    world = simulate(n_customers=3000, seed=5)
    surveys = world.surveys
    quarter_end = analysis_as_of(QUARTER, world.as_of)[1]
    answered = surveys[(surveys["touchpoint"] == RELATIONSHIP) & surveys["comment"].notna()
                       & (surveys["responded_at"] <= quarter_end)
                       & (surveys["sent_at"].dt.to_period("Q") == QUARTER)]
    surveys.loc[answered["responded_at"].idxmax(), "comment"] = MARKER_COMMENT
    write_demo(world, built.data_dir)
    report.run(data=built.data_dir, out=built.out, progress=False)
    return built


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo_report(tmp_path_factory)


@pytest.fixture(scope="module")
def data(demo) -> CXData:
    return load(demo.data_dir)


def test_all_report_notebooks_are_in_the_project():
    # 00_start_here is the researchers' tour, not a report page
    assert sorted(p.stem for p in REPO_NOTEBOOKS.glob("0*_*.ipynb") if not p.stem.startswith("00_")) == list(
        REPORT_NOTEBOOKS)


def test_every_page_is_published_and_every_link_resolves(demo):
    names = {p.name for p in demo.quarter_dir.iterdir()}
    assert {f"{name}.html" for name in REPORT_NOTEBOOKS} | {"index.html", "appendix.html", "provenance.json",
                                                           "executed"} == names
    pages = PageIndex(demo.out)
    assert len(pages.pages) == len(REPORT_NOTEBOOKS) + 3  # the pages, the appendix, the summary, the quarters
    assert pages.broken_links() == []
    summary = BeautifulSoup((demo.quarter_dir / "index.html").read_text(), "html.parser")
    linked = {a["href"].partition("#")[0] for a in summary.select("main a")}
    assert {f"{name}.html" for name in REPORT_NOTEBOOKS} | {"appendix.html"} <= linked


def test_pages_are_static_escaped_and_free_of_identifiers(demo, data):
    identifiers = set(data.customers["customer_id"]) | set(data.surveys["invitation_id"]) | set(data.cases["case_id"])
    for page in demo.out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text.lower() and "<link" not in text.lower(), page  # nothing runs, nothing fetched
        assert not (set(re.findall(r"\b[A-Z]+\d{5,}\b", text)) & identifiers), f"customer identifiers in {page}"
    # the scorecard's latest comments are shown in the technical appendix
    appendix = (demo.quarter_dir / "appendix.html").read_text(encoding="utf-8")
    assert MARKER_ESCAPED in appendix.replace("&#x27;", "'").replace("&#39;", "'")


def _quarter_answers(data: CXData, quarter: str = QUARTER):
    """Relationship and transactional answers to the invitations sent in ``quarter``, known at the report's as-of."""
    _, as_of = analysis_as_of(QUARTER, data.as_of)
    s = data.surveys
    in_quarter = s[(s["sent_at"].dt.to_period("Q") == quarter) & known_by(s["responded_at"], as_of=as_of)]
    relationship = in_quarter["touchpoint"] == RELATIONSHIP
    return in_quarter[relationship], in_quarter[~relationship]


def _shown(demo: DemoReport, notebook: str, key: str) -> list[str]:
    headline = demo.headlines(notebook)[key]
    return demo.glance()[headline.label][1:4]


def test_scorecard_figures_match_the_metrics(demo, data):
    relationship, transactional = _quarter_answers(data)
    # the report's intervals are clustered by customer
    expected = {"nps": nps(relationship["nps"], clusters=relationship["customer_id"]),
                "csat": csat(transactional["csat"], clusters=transactional["customer_id"]),
                "ces": ces(transactional["ces"], clusters=transactional["customer_id"])}
    recorded = demo.headlines("01_cx_scorecard")
    for key, estimate in expected.items():
        headline = recorded[key]
        assert headline.value == pytest.approx(estimate.value, abs=1e-9), key
        assert (headline.ci_low, headline.ci_high) == pytest.approx((estimate.ci_low, estimate.ci_high)), key
        assert headline.n == estimate.n
        cell = format_headline(headline)
        assert _shown(demo, "01_cx_scorecard", key) == [cell.text, cell.interval, f"{estimate.n:,}"]
    nps_row = demo.glance()[recorded["nps"].label]
    assert nps_row[1] == f"{expected['nps'].value:.1f} points"
    for column, key in ((4, "nps_change_prev_quarter"), (5, "nps_change_prev_year")):
        change = recorded[key]
        reference = re.search(r"vs (\d{4}Q[1-4])", change.label).group(1)  # the quarter compared with
        earlier, _ = _quarter_answers(data, reference)
        assert change.value == pytest.approx(expected["nps"].value - nps(earlier["nps"].dropna()).value, abs=1e-9)
        shown = format_headline(change, signed=True, decimals=1)
        assert nps_row[column] == f"{shown.text} {shown.interval}"


def test_retention_figures_match_lifelines(demo, data):
    _, as_of = analysis_as_of(QUARTER, data.as_of)
    tenure = tenure_frame(data.customers, as_of=as_of)
    kmf = KaplanMeierFitter().fit(tenure["tenure_months"], tenure["churned"])
    retention = demo.headlines("04_retention_cohorts")["retention"]
    assert retention.value == pytest.approx(100 * kmf.survival_function_at_times(12).iloc[0], abs=1e-9)
    assert retention.n == len(tenure)
    assert _shown(demo, "04_retention_cohorts", "retention")[0] == f"{retention.value:.1f}%"


def test_survival_figures_match_lifelines(demo, data):
    _, as_of = analysis_as_of(QUARTER, data.as_of)
    tenure = tenure_frame(data.customers, as_of=as_of)
    kmf = KaplanMeierFitter().fit(tenure["tenure_months"], tenure["churned"])
    recorded = demo.headlines("05_churn_survival")
    median = recorded["median_tenure"]
    if np.isinf(kmf.median_survival_time_):
        assert median.value is None and median.note.startswith("not reached")
    else:
        assert median.value == pytest.approx(kmf.median_survival_time_)
    assert recorded["survival_24m"].value == pytest.approx(100 * kmf.survival_function_at_times(24).iloc[0],
                                                           abs=1e-9)
    assert recorded["rmst_36m"].value == pytest.approx(restricted_mean_survival_time(kmf, t=36), rel=1e-9)
    # one number per fact: 12-month retention is recorded once, by the retention page
    assert "survival_12m" not in recorded and "retention" in demo.headlines("04_retention_cohorts")
    cell = format_headline(median)
    assert _shown(demo, "05_churn_survival", "median_tenure")[0] == cell.text


def test_economics_figures_match_their_definitions(demo, data):
    _, as_of = analysis_as_of(QUARTER, data.as_of)
    recorded = demo.headlines("06_retention_economics")
    acquired = data.customers["acquired_at"]
    recent = data.customers[known_by(acquired, as_of=as_of) & (acquired > as_of_end(as_of) - pd.Timedelta(days=365.25))]
    costs = recent["acquisition_cost"].dropna()
    half_width = stats.t.ppf(0.975, len(costs) - 1) * costs.std(ddof=1) / np.sqrt(len(costs))
    cac = recorded["cac"]
    assert (cac.value, cac.ci_low, cac.ci_high) == pytest.approx(
        (costs.mean(), costs.mean() - half_width, costs.mean() + half_width))
    assert cac.n == len(costs) and cac.unit == "EUR"
    assert recorded["ltv_cac"].value == pytest.approx(recorded["clv"].value / cac.value, rel=1e-9)
    glance = demo.glance()
    for key in ("clv", "ltv_cac", "lift_profit", "lift_profit_pct", "acquisition_alternative_profit"):
        cell = format_headline(recorded[key])
        assert glance[recorded[key].label][1:3] == [cell.text, cell.interval], key
    assert glance[recorded["ltv_cac"].label][1].endswith("\u00d7")
    assert glance[recorded["clv"].label][1].endswith(" EUR")


def test_feedback_loop_and_driver_figures(demo, data):
    _, as_of = analysis_as_of(QUARTER, data.as_of)
    recorded = demo.headlines("03_feedback_loop")
    s = data.surveys
    window = (s["touchpoint"] == RELATIONSHIP) & (s["sent_at"] > as_of - pd.DateOffset(months=12)) & (
        s["sent_at"] < as_of_end(as_of) - pd.Timedelta(days=7))
    answered = s[window & known_by(s["responded_at"], as_of=as_of)]
    raw = nps(answered["nps"].dropna())
    assert (recorded["nps_raw"].value, recorded["nps_raw"].n) == (pytest.approx(raw.value), raw.n)
    followups = loop.detractor_followups(data.surveys, data.cases, as_of=as_of, customers=data.customers)
    # a quarter's detractor answers are the answers to the invitations sent in it, as on the scorecard page
    sent = followups["invitation_id"].map(data.surveys.set_index("invitation_id")["sent_at"]).dt.to_period("Q")
    kpis = loop.loop_kpis(followups[sent.astype(str) == QUARTER], min_cell_size=30).iloc[0]
    assert recorded["followup_coverage"].value == pytest.approx(100 * kpis["coverage"])
    more = BeautifulSoup((demo.quarter_dir / "index.html").read_text(), "html.parser").find(id="more-figures")
    details = more.find_all_next("table")
    text = " ".join(t.get_text(" ", strip=True) for t in details)
    for notebook, key in (("03_feedback_loop", "followup_coverage"), ("03_feedback_loop", "nps_ipw"),
                          ("02_touchpoints_and_drivers", "top_driver"), ("05_churn_survival", "hr_detractor")):
        headline = demo.headlines(notebook)[key]
        assert f"{headline.label} {format_headline(headline).text}" in text, key
    top_driver = demo.headlines("02_touchpoints_and_drivers")["top_driver"].value
    assert top_driver in TOUCHPOINTS
