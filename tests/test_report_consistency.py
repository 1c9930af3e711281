"""One number per fact across the pages of one demo report run.

The run is the one ``test_report_demo.py`` builds (once per test session). Every figure that two
pages record under the same key or label must agree; the facts the report shows on several pages
must be among them, so the check cannot pass by finding nothing to compare; and the sentences the
pages print about the shared facts must show the recorded figure.
"""

import re

import pytest
from bs4 import BeautifulSoup
from test_report_demo import REPORT_NOTEBOOKS, build_demo_report

from cxlab.headlines import Headline
from cxlab.report.consistency import disagreements, shared_figures


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return build_demo_report(tmp_path_factory)


@pytest.fixture(scope="module")
def pages(demo):
    return {notebook: demo.headlines(notebook) for notebook in REPORT_NOTEBOOKS}


def _text(demo, notebook: str) -> str:
    html = (demo.quarter_dir / f"{notebook}.html").read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser").get_text(" ", strip=True)


def test_no_two_pages_disagree(pages):
    assert disagreements(pages) == []


def test_the_facts_shown_on_several_pages_are_compared(pages):
    shared = shared_figures(pages)
    assert sorted(page for page, _ in shared["key survival_10y"]) == [
        "04_retention_cohorts", "05_churn_survival", "06_retention_economics"]
    assert sorted(page for page, _ in shared["key detractors"]) == ["01_cx_scorecard", "03_feedback_loop"]
    # one official NPS, one follow-up effect: recorded by one page each
    assert [page for page, found in pages.items() if "nps" in found] == ["01_cx_scorecard"]
    assert [page for page, found in pages.items() if "followup_effect" in found] == ["03_feedback_loop"]
    assert not [page for page, found in pages.items() if "hr_followup" in found]
    assert pages["03_feedback_loop"]["nps_ipw"].label.startswith("Response-bias check:")


def test_pages_print_the_recorded_ten_year_figure_and_name_the_tail_model(demo, pages):
    figure = pages["04_retention_cohorts"]["survival_10y"]
    for notebook in ("04_retention_cohorts", "05_churn_survival", "06_retention_economics"):
        said = re.findall(r"uses one tail model, ([^:]+): (\d+\.\d)% of new customers are expected to stay more than "
                          r"ten years \(95% interval (\d+\.\d)% to (\d+\.\d)%\)", _text(demo, notebook))
        assert said == [("constant churn after the observed months (geometric tail)", f"{figure.value:.1f}",
                         f"{figure.ci_low:.1f}", f"{figure.ci_high:.1f}")], notebook


def _column(demo, notebook: str, column: str) -> list[list[str]]:
    """The cells of ``column`` in each table of a page that has it, row by row."""
    html = (demo.quarter_dir / f"{notebook}.html").read_text(encoding="utf-8")
    found = []
    for table in BeautifulSoup(html, "html.parser").find_all("table"):
        heads = [th.get_text(strip=True) for th in table.select("thead th")]
        if column in heads:
            at = heads.index(column)
            found.append([cells[at].get_text(strip=True) for cells in (tr.find_all("td") for tr in
                                                                      table.select("tbody tr")) if len(cells) > at])
    return found


def test_the_loop_page_counts_the_scorecards_detractors(demo, pages):
    detractors = f"{int(pages['01_cx_scorecard']['detractors'].value):,}"
    # the scorecard's promoter / passive / detractor table, and the loop page's quarter table (its first row)
    assert [detractors] in [[row[2]] for row in _column(demo, "01_cx_scorecard", "Answers") if len(row) == 3]
    assert _column(demo, "03_feedback_loop", "Detractor answers")[0] == [detractors]


def test_a_disagreement_is_named_with_both_pages_and_values():
    ten_years = "New customers still active after 10 years"
    pages = {"04_retention_cohorts": {"survival_10y": Headline("survival_10y", ten_years, 39.0, "%", 36.1, 41.9)},
             "05_churn_survival": {"survival_10y": Headline("survival_10y", ten_years, 34.5, "%", 32.0, 37.1)},
             "06_retention_economics": {"survival_10y": Headline("survival_10y", ten_years, 39.0, "%", 36.1, 41.9)},
             "03_feedback_loop": {"x": Headline("x", "Detractor answers, 2026Q3", 678.0)},
             "01_cx_scorecard": {"y": Headline("y", "Detractor answers, 2026Q3", 674.0)}}
    assert disagreements(pages) == [
        "key survival_10y: 04_retention_cohorts shows 39 (36.1 to 41.9), 05_churn_survival shows 34.5 (32 to 37.1)",
        f"label {ten_years}: 04_retention_cohorts shows 39 (36.1 to 41.9), 05_churn_survival shows 34.5 (32 to 37.1)",
        "label Detractor answers, 2026Q3: 03_feedback_loop shows 678, 01_cx_scorecard shows 674"]
