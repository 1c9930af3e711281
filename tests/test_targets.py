"""Targets of headline figures: parsing in the figure's unit, and a status that respects the interval."""

import pytest

from cxlab.targets import CANNOT_TELL, ON_TARGET, parse_targets, target_status


@pytest.mark.parametrize("key, value, low, high, target, expected", [
    # higher is better: the whole interval must clear the target
    ("nps", 35.1, 32.7, 37.4, 30.0, ON_TARGET),
    ("nps", 35.1, 32.7, 37.4, 32.7, ON_TARGET),        # a bound on the target meets it
    ("nps", 35.1, 32.7, 37.4, 36.0, CANNOT_TELL),      # the estimate misses, the interval does not tell
    ("nps", 35.1, 32.7, 37.4, 34.0, CANNOT_TELL),      # the estimate meets it, the interval does not tell
    ("nps", 35.1, 32.7, 37.4, 40.0, "below target"),
    ("csat", 83.4, 82.1, 84.6, 85.0, "below target"),
    ("followup_coverage", 77.3, 75.4, 79.1, 75.0, ON_TARGET),
    ("sla_24h_share", 77.9, 76.0, 79.7, 78.0, CANNOT_TELL),
    ("retention", 81.0, 80.2, 81.8, 85.0, "below target"),
    # lower is better for customer effort
    ("ces", 2.8, 2.7, 2.9, 3.0, ON_TARGET),
    ("ces", 3.1, 2.9, 3.3, 2.5, "above target"),
    ("ces", 3.1, 2.9, 3.3, 3.0, CANNOT_TELL),
    # no interval (a count): the estimate itself is compared
    ("followup_coverage", 80.0, None, None, 75.0, ON_TARGET),
    ("followup_coverage", 70.0, None, None, 75.0, "below target"),
])
def test_status_respects_the_interval(key, value, low, high, target, expected):
    assert target_status(key, value, low, high, target) == expected


def test_targets_are_read_in_the_figures_unit():
    assert parse_targets({"nps": -5, "csat": "85%", "ces": 2.5, "followup_coverage": "90 %",
                          "sla_24h_share": 95, "retention": 80.5}) == {
        "nps": -5.0, "csat": 85.0, "ces": 2.5, "followup_coverage": 90.0, "sla_24h_share": 95.0, "retention": 80.5}
    assert parse_targets({"nps": "40 points"}) == {"nps": 40.0}
    assert parse_targets(None) == {} and parse_targets({}) == {}


@pytest.mark.parametrize("targets, message", [
    ({"nsp": 40}, "targets.nsp: unknown figure; targets can be set for nps, csat, ces"),
    ({"csat": 120}, "targets.csat: 120 is outside 0 to 100"),
    ({"retention": -1}, "targets.retention: -1 is outside 0 to 100"),
    ({"nps": 140}, "targets.nps: 140 is outside -100 to 100"),
    ({"ces": 0.5}, "targets.ces: 0.5 is outside 1 to 7"),
    ({"nps": "40%"}, "targets.nps: is written in '%' but Relationship NPS is measured in points"),
    ({"ces": "2.5%"}, "targets.ces: is written in '%' but CES"),
    ({"csat": "85 points"}, "targets.csat: is written in 'points' but CSAT"),
    ({"csat": 0.85}, r"targets.csat: 0.85 looks like a fraction; shares are written in percent \(85 for 85%\)"),
    ({"csat": "high"}, "targets.csat: must be a number, got 'high'"),
    ({"nps": True}, "targets.nps: must be a number, got True"),
    ({"nps": [40]}, r"targets.nps: must be a number, got \[40\]"),
    (["nps"], "targets: must be a mapping"),
])
def test_a_bad_target_is_named_with_what_was_expected(targets, message):
    with pytest.raises(ValueError, match=message):
        parse_targets(targets)


def test_every_problem_is_listed_at_once():
    with pytest.raises(ValueError) as err:
        parse_targets({"nps": 400, "csat": 85, "bogus": 1, "ces": "9"})
    lines = str(err.value).splitlines()
    assert [line.split(":")[0] for line in lines] == ["targets.nps", "targets.bogus", "targets.ces"]


def test_a_report_section_records_its_headlines_with_their_targets():
    import pandas as pd

    from cxlab.headlines import Headline, Headlines
    from cxlab.sections.context import ReportContext
    from cxlab.sections.result import SectionResult

    def section(report):
        return SectionResult("headline", "t", headlines=[Headline("nps", "NPS", 35.1, "points", 32.7, 37.4),
                                                         Headline("nps_raw", "NPS raw", 35.0, "points")])

    report = ReportContext(data=None, quarter="2026Q3", as_of=pd.Timestamp("2026-09-30"), min_cell_size=30,
                           recorder=Headlines("", notebook="01_cx_scorecard"), targets=parse_targets({"nps": 40}))
    report.show(section)
    assert report.recorder.items["nps"].target == 40.0 and report.recorder.items["nps_raw"].target is None
