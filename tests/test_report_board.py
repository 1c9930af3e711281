"""The board page: plain sentences and tiles read from recorded headlines, changes naming their reference."""

from __future__ import annotations

from cxlab.headlines import Headline
from cxlab.report import board
from cxlab.report.summary import NotebookPage


def _located(*headlines: Headline) -> dict:
    page = NotebookPage("01_cx_scorecard", "CX scorecard", "01_cx_scorecard.html", {h.key: h for h in headlines})
    return {h.key: (page, h) for h in headlines}


NPS = Headline("nps", "Relationship NPS, 2026Q3", 35.1, "points", 32.7, 37.4, 3965, "headline", "",
               (("2025Q4", None), ("2026Q1", 31.9), ("2026Q2", None), ("2026Q3", 35.1)))
NPS_Q = Headline("nps_change_prev_quarter", "Relationship NPS: change 2026Q3 vs 2026Q1", 3.2, "points", -0.3, 6.6)
NPS_Y = Headline("nps_change_prev_year", "Relationship NPS: change 2026Q3 vs 2025Q3", 6.2, "points", 2.6, 9.8)
RISK = Headline("revenue_at_risk", "Monthly revenue at risk", 6856756.9, "EUR", 6192597.6, 7549671.1, 13523,
                "at-risk")


def test_tiles_name_the_period_compared_with_and_flag_changes_beyond_chance():
    tiles = board.tiles(_located(NPS, NPS_Q, NPS_Y, RISK), "2026Q3")
    nps = tiles[0]
    assert (nps.value, nps.interval) == ("35.1 points", "32.7 to 37.4")
    quarter, year = nps.changes
    # the relationship survey had no 2026Q2 wave: the quarter's change is against the previous wave
    assert quarter.reference == "2026Q1 (previous survey wave)" and not quarter.beyond_chance
    assert year.reference == "2025Q3" and year.beyond_chance and year.text == "+6.2 points"
    assert nps.href == "01_cx_scorecard.html#headline"
    # money is rounded to what its interval supports
    assert tiles[1].value == "6,900,000 EUR" and tiles[1].interval == "6,200,000 EUR to 7,500,000 EUR"


def test_sparkline_draws_the_known_values_with_a_description():
    svg = str(board.sparkline(NPS.series, NPS.label))
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert "Relationship NPS, 2026Q3: 2025Q4 to 2026Q3, from 31.9 to 35.1" in svg
    # 2025Q4 and 2026Q2 have no value: the two known points are joined, the last one marked
    assert svg.count("<polyline") == 1 and svg.count("<circle") == 1
    assert 'points="40.0,25.0 120.0,3.0"' in svg
    assert str(board.sparkline((("2026Q2", 1.0),), "x")) == ""


def test_sentences_say_what_changed_and_what_to_act_on():
    lowest = Headline("lowest_touchpoint", "Lowest", "support", "", n=1577, note="81.6% satisfied")
    said = board.sentences(_located(NPS, NPS_Q, NPS_Y, RISK, lowest), "2026Q3")
    assert said[0] == ("Relationship NPS is 35.1 in 2026Q3 (95% interval 32.7 to 37.4), up 6.2 points on a year "
                       "earlier.")
    assert "To act on: support has the lowest satisfaction (81.6% satisfied)." in said
    assert any(s.startswith("Revenue at risk: 6,900,000 EUR of monthly revenue") for s in said)
    assert 1 <= len(said) <= 5


def test_a_change_of_a_family_is_beyond_chance_only_when_its_adjusted_p_value_says_so():
    # its own interval excludes zero, but six changes were tested together
    change = Headline("nps_change_prev_quarter", "Relationship NPS: change 2026Q3 vs 2026Q1", 3.6, "points", 0.2, 7.1,
                      note="NPS: 2026Q3 minus 2026Q1; adjusted p = 0.082; n = 3965 vs 3478")
    assert board.beyond_chance(change) is False
    assert board.beyond_chance(Headline("x", "x", 1.0, "points", 0.2, 1.8)) is True
    assert board.beyond_chance(Headline("x", "x", 1.0, "points", note="adjusted p < 0.001")) is True
