"""``cxlab report --by``: the attribute checked before anything runs, the summary's block on the groups that
differ, and a run with the drill-down page on the demo data (slow)."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from test_report_summary import provenance
from typer.testing import CliRunner

import cxlab.io
import cxlab.report
from cxlab import loop
from cxlab.cli import app
from cxlab.datasets import demo_path
from cxlab.headlines import read_headlines, spec
from cxlab.periods import analysis_as_of
from cxlab.report import ReportInputError
from cxlab.report.summary import NotebookPage, write_quarter_summary
from cxlab.synth import simulate, write_demo

runner = CliRunner()
AVAILABLE = "customer attributes available: segment, region, acquisition_channel, contract"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A small world whose customers also have an account manager (25 of them)."""
    folder = tmp_path_factory.mktemp("drill-world")
    simulated = simulate(n_customers=400, seed=3)
    simulated.customers["account_manager"] = [f"Manager {i % 25}" for i in range(len(simulated.customers))]
    write_demo(simulated, folder, compression_level=3)
    return folder


@pytest.mark.parametrize(("by", "message"), [
    ("team", r"--by team: cannot break the report down by 'team': the customers table has no column 'team'; "
             r"'team' is a column of the cases table, not an attribute of customers; " + AVAILABLE),
    ("country", r"no column 'country'; " + AVAILABLE),
    ("customer_id", r"it is an identifier; " + AVAILABLE),
    ("account_manager", r"it has 25 distinct values, more than the 20 groups a drill-down shows; choose an attribute "
                        r"with fewer values or group its values in the data"),
])
def test_cli_refuses_an_unusable_attribute_before_anything_runs(world, tmp_path, by, message):
    out = tmp_path / "reports"
    result = runner.invoke(app, ["report", "--data", str(world), "--out", str(out), "--by", by])
    assert result.exit_code == 2
    assert re.search(message, result.output.replace("\n", " ")), result.output
    assert not out.exists()  # nothing was written


def test_check_says_the_run_adds_the_drill_down_page(world, tmp_path):
    result = runner.invoke(app, ["report", "--check", "--data", str(world), "--out", str(tmp_path), "--by", "region"])
    assert result.exit_code == 0, result.output
    assert "drill-down by region (page drill_down)" in result.output
    assert "check passed" in result.output


def test_the_attribute_comes_from_by_only(world, tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text("drill_down:\n  by: segment\n")
    with pytest.raises(ReportInputError, match=r"by \(parameters file\) is set by the run: use --by"):
        cxlab.report.check(data=world, out=tmp_path / "reports", params=params, by="region")
    with pytest.raises(ReportInputError, match="section 'drill_down' is neither 'common' nor a report notebook"):
        cxlab.report.check(data=world, out=tmp_path / "reports", params=params)
    params.write_text("common:\n  min_cell_size: 50\n")
    plan = cxlab.report.plan.plan_run(None, world, params, tmp_path / "reports", False, ["01"], None, by="region")
    assert [nb.name for nb in plan.selected] == ["01_cx_scorecard", "drill_down"]
    assert plan.parameters["drill_down"] == {"min_cell_size": 50, "by": "region"}


def _summary(tmp_path, headline) -> BeautifulSoup:
    page_ = NotebookPage("drill_down", "Figures by group", "drill_down.html", {headline.key: headline})
    write_quarter_summary(tmp_path, quarter="2026Q3", quarter_end="2026-09-30", pages=[page_],
                          provenance=provenance())
    return BeautifulSoup((tmp_path / "index.html").read_text(encoding="utf-8"), "html.parser")


def test_the_summary_names_the_groups_that_differ_and_links_to_them(tmp_path):
    note = ("Relationship NPS of Latin America -41.2 points (Holm-adjusted p < 0.001); Detractors followed up of "
            "Latin America -52.0 percentage points (Holm-adjusted p < 0.001); 30 comparisons (5 groups x 6 figures), "
            "Holm-adjusted so that the chance of flagging any group falsely stays below 5%")
    soup = _summary(tmp_path, spec("drill_differences").headline(2, n=30, note=note, attribute="region",
                                                                 quarter="2026Q3"))
    block = soup.find(id="groups")
    assert block.get_text() == "Differences between each region and the other customers beyond chance, 2026Q3"
    sentence = block.find_next("p")
    assert sentence.get_text(" ", strip=True).startswith("2 of 30 comparisons: Relationship NPS of Latin America "
                                                         "-41.2 points (Holm-adjusted p < 0.001); Detractors")
    assert sentence.find("a")["href"] == "drill_down.html#differences"
    assert "Figures by group" in [a.get_text() for a in soup.select("#analyses ~ ul a")]
    assert soup.find(id="more-figures") is None  # the block is the figure's one place on the page


def test_without_a_drill_down_the_summary_has_no_block(tmp_path):
    soup = _summary(tmp_path, spec("nps").headline(31.0, ci_low=29.0, ci_high=33.0, n=900, quarter="2026Q3"))
    assert soup.find(id="groups") is None


@pytest.mark.slow
def test_report_by_region_on_the_demo_publishes_the_drill_down_page(tmp_path):
    out = tmp_path / "reports"
    result = runner.invoke(app, ["report", "--data", str(demo_path()), "--out", str(out), "--by", "region",
                                 "--only", "01", "--only", "04"])
    assert result.exit_code == 0, result.output
    quarter_dir = next(out.glob("20*Q*"))
    executed = quarter_dir / "executed"
    drill = read_headlines(executed / "drill_down.headlines.json")["drill_differences"]
    assert (drill.value, drill.n) == (0, 30)  # region has no effect in the generator
    # one number per fact: the drill-down's row of all customers is the scorecard's and the retention page's figure
    page = BeautifulSoup((quarter_dir / "drill_down.html").read_text(encoding="utf-8"), "html.parser")
    rows = {tuple(th.get_text(strip=True) for th in table.select("thead th")): [
        [td.get_text(strip=True) for td in tr.find_all("td")] for tr in table.select("tbody tr")]
        for table in page.select("table")}
    scorecard = next(body for head, body in rows.items() if head[:2] == ("Region", "NPS"))
    retention = next(body for head, body in rows.items() if head[:2] == ("Region", "Still active after 12 months"))
    nps = read_headlines(executed / "01_cx_scorecard.headlines.json")["nps"]
    kept = read_headlines(executed / "04_retention_cohorts.headlines.json")["retention"]
    assert scorecard[0][:3] == ["All customers", f"{nps.value:.1f}", f"{nps.ci_low:.1f} to {nps.ci_high:.1f}"]
    assert retention[0][:3] == ["All customers", f"{kept.value:.1f}%", f"{kept.ci_low:.1f}% to {kept.ci_high:.1f}%"]
    # coverage of all customers is the loop's KPI of the quarter (page 03 records the same)
    data = cxlab.io.load(demo_path())
    quarter, as_of = analysis_as_of(quarter_dir.name, data.as_of)
    followups = loop.detractor_followups(data.surveys, data.cases, as_of=as_of, customers=data.customers)
    kpis = loop.loop_kpis(followups[followups["quarter"] == quarter]).iloc[0]
    coverage = next(body for head, body in rows.items() if head[:2] == ("Region", "Followed up"))
    assert coverage[0][1] == f"{100 * kpis['coverage']:.1f}%"
    summary = BeautifulSoup((quarter_dir / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert summary.find(id="groups").find_next("p").get_text(" ", strip=True).startswith(
        "No region differs beyond chance; 30 comparisons (5 groups x 6 figures), Holm-adjusted")
    assert "drill_down.html" in {a["href"] for a in summary.select("main a")}
    # every image has its alt text, no table shows NaN, no customer identifier appears
    assert all(img.get("alt") for img in page.find_all("img"))
    text = page.get_text(" ")
    assert not re.search(r"\bnan\b|\bNone\b", text, re.IGNORECASE)
    assert not set(re.findall(r"\bC\d{5,}\b", text)) & set(pd.Series(data.customers["customer_id"]))
