"""Sections of the drill-down page, run without a kernel: tables for people, the flags and their headline."""

from __future__ import annotations

import dataclasses
import re

import pytest
from test_drilldown import PLANTED, planted_world

import cxlab.io
from cxlab.attributes import DrillDownError
from cxlab.datasets import demo_path
from cxlab.drilldown import drill_down
from cxlab.headlines import Headlines
from cxlab.periods import analysis_as_of
from cxlab.sections import ReportContext, drilldown

SECTIONS = (drilldown.overview, drilldown.scorecard, drilldown.closed_loop, drilldown.retention,
            drilldown.differences)


def _context(data, min_cell_size: int = 30) -> ReportContext:
    quarter, as_of = analysis_as_of(None, data.as_of)
    return ReportContext(data=data, quarter=quarter, as_of=as_of, min_cell_size=min_cell_size,
                         recorder=Headlines("", notebook="drill_down"))


@pytest.fixture(scope="module")
def data():
    return cxlab.io.load(demo_path())


@pytest.fixture(scope="module")
def planted(data):
    quarter, as_of = analysis_as_of(None, data.as_of)
    return _context(planted_world(data, quarter, as_of))


def _text(result) -> str:
    """The section's HTML without its embedded images."""
    return re.sub(r'src="data:image/png;base64,[^"]+"', "", result._repr_html_())


def test_every_section_shows_itself_without_nan_none_or_customer_ids(data):
    report = _context(data)
    identifiers = set(data.customers["customer_id"])
    for section in SECTIONS:
        result = report.show(section, by="region")
        html = _text(result)
        assert result.available and result.answer, section.__name__
        assert not re.search(r"\bnan\b|\bNone\b", html, re.IGNORECASE), section.__name__
        assert not set(re.findall(r"\b[A-Z]+\d{4,}\b", html)) & identifiers, section.__name__
        assert all(chart.alt for chart in result.charts)
    # the whole page comes from one drill-down, computed once
    cached = [key for key in report._cache if key[0] == "drill_down"]
    assert cached == [("drill_down", "region", "adjusted_wald", 12, 7)]


def test_the_scorecard_table_shows_the_drill_downs_values(data):
    report = _context(data)
    result = report.show(drilldown.scorecard, by="region")
    drill = drill_down(data, "region", quarter=report.quarter, as_of=report.as_of)
    table = result.tables[0].frame.set_index("Region")
    nps = drill.figures[drill.figures["figure"] == "nps"].set_index("group")
    for group in ("All customers", "Latin America"):
        assert table.loc[group, "NPS"] == f"{nps.loc[group, 'value']:.1f}"
        low, high = nps.loc[group, "ci_low"], nps.loc[group, "ci_high"]
        assert table.loc[group, "NPS, 95% interval"] == f"{low:.1f} to {high:.1f}"
        assert table.loc[group, "NPS: answers"] == f"{int(nps.loc[group, 'n']):,}"
    assert "CSAT" in table.columns and "CES, 95% interval" in table.columns
    assert result.answer == "No region differs from the other customers beyond chance on these figures."


def test_the_demo_records_no_difference_and_says_which_adjustment(data):
    report = _context(data)
    result = report.show(drilldown.differences, by="region")
    headline = result.headline("drill_differences")
    assert (headline.value, headline.n) == (0, 30)
    assert headline.label == f"Differences between each region and the other customers beyond chance, {report.quarter}"
    assert "Holm-adjusted" in headline.note and "30 comparisons (5 groups x 6 figures)" in headline.note
    assert set(result.tables[0].frame["Beyond chance"]) == {"no"}
    assert report.recorder.items["drill_differences"] == headline


def test_a_planted_difference_is_named_in_the_answer_the_chart_and_the_headline(planted):
    result = planted.show(drilldown.differences, by="region")
    headline = result.headline("drill_differences")
    drill = drill_down(planted.data, "region", quarter=planted.quarter, as_of=planted.as_of)
    assert headline.value == len(drill.flagged) >= 2
    assert f"Relationship NPS of {PLANTED} -" in headline.note
    assert f"Detractors followed up of {PLANTED} -" in headline.note
    assert f"Relationship NPS of {PLANTED}" in result.answer
    table = result.tables[0].frame
    flagged_rows = table[table["Beyond chance"] == "yes"]
    assert len(flagged_rows) == len(drill.flagged)
    scorecard = planted.show(drilldown.scorecard, by="region")
    assert f"Relationship NPS of {PLANTED}" in scorecard.answer
    assert f"{PLANTED} (Relationship NPS)" in scorecard.charts[0].alt


def test_small_groups_show_a_dash_and_the_overview_says_so(data):
    customers = data.customers.copy()
    customers.loc[customers.index[customers["region"] == "Latin America"][:12], "region"] = "Antarctica"
    report = _context(dataclasses.replace(data, customers=customers))
    overview = report.show(drilldown.overview, by="region")
    assert "1 group has fewer than 30 customers and is not shown" in overview.answer
    table = overview.tables[0].shown().set_index("Region")
    assert table.loc["Antarctica", "Customers acquired by the as-of date"] == "—"
    retention = report.show(drilldown.retention, by="region").tables[0].shown().set_index("Region")
    assert (retention.loc["Antarctica"] == "—").all()


def test_an_unknown_attribute_is_an_error_naming_the_choices(data):
    with pytest.raises(DrillDownError, match="customer attributes available: segment, region, acquisition_channel, "
                                             "contract"):
        _context(data).show(drilldown.overview, by="country")
