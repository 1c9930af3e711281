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


def test_a_tile_shows_its_target_and_a_status_that_respects_the_interval():
    from dataclasses import replace

    located = _located(replace(NPS, target=36.0), replace(RISK))
    nps, risk = board.tiles(located, "2026Q3")
    # 35.1 (32.7 to 37.4) against 36: the estimate misses, the interval cannot tell
    assert (nps.target, nps.status) == ("36.0 points", "cannot tell yet")
    assert (risk.target, risk.status) == ("", "")  # no target set
    svg = str(nps.sparkline)
    # the target joins the scale: 31.9 -> y 25.0, 36.0 -> y 3.0 (the top), drawn dashed
    assert '<line x1="0" x2="120" y1="3.0" y2="3.0"' in svg and 'stroke-dasharray="3,2"' in svg
    assert "target 36.0 (dashed line)" in svg
    ces = Headline("ces", "CES, mean effort (lower = easier), 2026Q3", 3.1, "mean effort 1–7", 2.9, 3.3,
                   target=2.5)
    assert board.tiles(_located(ces), "2026Q3")[0].status == "above target"


def test_the_rendered_summary_shows_targets_with_a_footnote(tmp_path):
    from bs4 import BeautifulSoup
    from test_report_summary import provenance

    from cxlab.headlines import Headlines
    from cxlab.report.summary import load_page_headlines, write_quarter_summary

    recorder = Headlines(str(tmp_path / "01.headlines.json"), notebook="01_cx_scorecard")
    recorder.record(Headline("nps", "Relationship NPS, 2026Q3", 35.1, "points", 32.7, 37.4, 3965, "headline",
                             series=NPS.series, target=30.0),
                    Headline("csat", "CSAT, share satisfied, 2026Q3", 83.4, "%", 82.1, 84.6, 9000, "headline",
                             target=85.0),
                    Headline("ces", "CES, mean effort (lower = easier), 2026Q3", 3.1, "mean effort 1–7", 3.0, 3.2,
                             9000, "headline"))
    page = NotebookPage("01_cx_scorecard", "CX scorecard", "01_cx_scorecard.html",
                        load_page_headlines(tmp_path / "01.headlines.json"))
    index = write_quarter_summary(tmp_path, quarter="2026Q3", quarter_end="2026-09-30", pages=[page],
                                  provenance=provenance())
    soup = BeautifulSoup(index.read_text(), "html.parser")
    assert soup.select_one("#tile-nps .cx-target").get_text(" ", strip=True) == "Target 30.0 points: on target *"
    assert soup.select_one("#tile-csat .cx-target").get_text(" ", strip=True) == "Target 85.0%: below target *"
    assert soup.select_one("#tile-ces .cx-target") is None
    footnote = soup.find(id="target-status").get_text(" ", strip=True)
    assert "on target when the whole 95% interval lies on the right side" in footnote
    assert "cannot tell yet when the interval contains the target" in footnote
    assert soup.select_one("#tile-nps svg line") is not None


def test_no_target_footnote_without_targets(tmp_path):
    from bs4 import BeautifulSoup
    from test_report_summary import provenance

    from cxlab.report.summary import write_quarter_summary

    page = NotebookPage("01_cx_scorecard", "CX scorecard", "01_cx_scorecard.html", {"nps": NPS})
    index = write_quarter_summary(tmp_path, quarter="2026Q3", quarter_end="2026-09-30", pages=[page],
                                  provenance=provenance())
    soup = BeautifulSoup(index.read_text(), "html.parser")
    assert soup.find(id="target-status") is None and not soup.select(".cx-target")


def test_the_coverage_gap_between_segments_is_named_to_act_on():
    gap = Headline("followup_coverage_gap",
                   "Detractors followed up, largest gap between segments, 2026Q3: SMB 70.4% vs Enterprise 93.0%", 22.6,
                   "percentage points", 16.2, 28.1, 1150, "loop-groups",
                   "largest coverage gap between segments; Newcombe interval Bonferroni-adjusted for 3 pairs; "
                   "adjusted p < 0.001")
    said = board.sentences(_located(gap), "2026Q3")
    assert said == ["To act on: detractors followed up SMB 70.4% vs Enterprise 93.0%, a gap of 22.6 points (95% "
                    "interval 16.2 to 28.1, adjusted for 3 comparisons)."]
    within = Headline("followup_coverage_gap",
                      "Detractors followed up, largest gap between segments, 2026Q3: SMB 80.0% vs Enterprise 84.0%",
                      4.0, "percentage points", -2.0, 10.0, 1150, "loop-groups", "largest coverage gap; p = 0.210")
    assert board.sentences(_located(within), "2026Q3")[0].endswith("(95% interval -2.0 to 10.0; within chance).")
