"""Sections of the feedback-loop page, run without a kernel, checked against the package functions."""

from __future__ import annotations

import weakref

import pandas as pd
import pytest

from cxlab import causal, loop, nonresponse, touchpoints
from cxlab.sections import loop as sections
from cxlab.sections import open_report
from cxlab.synth import simulate, write_demo

ALL_SECTIONS = ("overview", "closed_loop", "loop_by_group", "first_response", "sla_over_time", "followup_effect",
                "followup_checks", "followup_speed", "followup_survival", "response_rates", "silent_customers",
                "nps_corrected", "nps_checks")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    write_demo(simulate(n_customers=8000, seed=5), folder, compression_level=3)
    return open_report("03_feedback_loop", data_dir=folder)


def _sent_quarter(followups: pd.DataFrame, report) -> pd.Series:
    """The quarter each detractor answer's invitation was sent: the page's quarter of an answer, as on page 01."""
    sent = report.data.surveys.set_index("invitation_id")["sent_at"]
    return followups["invitation_id"].map(sent).dt.to_period("Q").astype(str)


def test_closed_loop_headlines_are_the_kpis(report):
    result = report.show(sections.closed_loop)
    followups = loop.detractor_followups(report.data.surveys, report.data.cases, as_of=report.as_of,
                                         customers=report.data.customers)
    kpis = loop.loop_kpis(followups[_sent_quarter(followups, report) == report.quarter]).iloc[0]
    coverage = result.headline("followup_coverage")
    assert (coverage.value, coverage.ci_low, coverage.ci_high) == pytest.approx(
        (100 * kpis["coverage"], 100 * kpis["coverage_ci_low"], 100 * kpis["coverage_ci_high"]))
    assert coverage.n == kpis["mature_detractors"] and coverage.label == f"Detractors followed up, {report.quarter}"
    assert result.headline("sla_24h_share").value == pytest.approx(100 * kpis["within_sla_share"])
    assert f"{100 * kpis['coverage']:.0f}% of detractor answers got a follow-up" in result.answer
    # the quarter's detractor answers are the scorecard's: the answers to the invitations sent in the quarter
    scorecard_nps = touchpoints.quarter_estimates(report.data.surveys, quarter=report.quarter,
                                                  as_of=report.as_of)["nps"]
    assert result.headline("detractors").value == kpis["detractors"] == scorecard_nps.detractors


def test_followup_effect_leads_with_the_discontinuity_and_shows_the_naive_beside_it(report):
    result = report.show(sections.followup_effect, n_resamples=199)
    effect = causal.followup_effect(report.data, as_of=report.as_of, method="rdd", n_resamples=199)
    naive = causal.followup_effect(report.data, as_of=report.as_of, method="naive")
    headline = result.headline("followup_effect")
    assert (headline.value, headline.ci_low, headline.ci_high, headline.n) == (
        pytest.approx(effect.value), pytest.approx(effect.ci_low), pytest.approx(effect.ci_high), effect.n)
    assert headline.unit == "x" and headline.section == "followup-effect"
    assert result.headline("followup_effect_naive").value == pytest.approx(naive.value)
    assert f"hazard ratio {effect.value:.2f}" in result.answer and f"gives {naive.value:.2f}" in result.answer
    designs = result.tables[0].frame
    assert designs["Design"].iloc[0].startswith("Regression discontinuity")
    assert designs["Design"].iloc[-1].startswith("Naive")
    assert designs["Hazard ratio"].iloc[0] == f"{effect.value:.2f}"
    assert any("smoothly with the score" in note for note in result.notes)
    assert result.charts and all(chart.alt for chart in result.charts)


def test_every_section_shows_itself_without_nan_or_customer_ids(report):
    for name in ALL_SECTIONS:
        options = {"n_resamples": 99} if name in ("followup_effect", "followup_checks") else {}
        result = report.show(getattr(sections, name), **options)
        assert result.available, (name, result.unavailable)
        assert "customer_id" not in result._repr_html_(), name
        for table in [*result.tables, *(t for t in result.technical if isinstance(t, sections.Table))]:
            shown = table.to_html()
            assert ">nan<" not in shown.lower() and "customer_id" not in shown, name
            assert not table.frame.columns.str.contains("_").any(), (name, list(table.frame.columns))
        assert all(chart.alt for chart in result.charts), name
    assert {"followup_coverage", "sla_24h_share", "followup_effect", "followup_effect_naive", "nps_raw",
            "nps_ipw"} <= set(report.recorder.items)


def test_sla_chart_section_flags_what_the_chart_flags(report):
    result = report.show(sections.sla_over_time)
    followups = loop.detractor_followups(report.data.surveys, report.data.cases, as_of=report.as_of)
    chart = loop.sla_control_chart(followups)
    flagged = int(((chart["breach"] != "") | chart["in_run"]).sum())
    assert (len(result.tables[0].frame) if result.tables else 0) == flagged
    assert f"Over {len(chart)} weeks" in result.answer


def test_nps_corrected_headlines_match_nonresponse(report):
    result = report.show(sections.nps_corrected)
    invitations = nonresponse.propensity_frame(report.data.surveys, report.data.customers, as_of=report.as_of)
    invitations = invitations[invitations["sent_at"] > report.as_of - pd.DateOffset(months=12)]
    fit = nonresponse.ipw_nps(invitations)
    assert result.headline("nps_ipw").value == pytest.approx(fit.value_)
    assert result.headline("nps_raw").value == pytest.approx(fit.raw_.value)
    assert result.headline("nps_raw").n == fit.raw_.n


def test_sections_say_why_without_surveys_and_cases(tmp_path):
    folder = tmp_path / "customers_only"
    written = write_demo(simulate(n_customers=300, seed=2), folder, compression_level=3)
    for table in ("surveys", "cases", "revenue"):
        written[table].unlink()
    report = open_report("03_feedback_loop", data_dir=folder)
    for name in ALL_SECTIONS[1:]:
        result = report.show(getattr(sections, name))
        assert not result.available and result.unavailable.startswith("the data has no"), name
    assert {key: item.value for key, item in report.recorder.items.items()} == {
        key: None for key in ("followup_coverage", "sla_24h_share", "followup_effect", "followup_effect_naive",
                              "nps_raw", "nps_ipw")}


def test_sla_chart_draws_the_target_line(report):
    from dataclasses import replace

    result = replace(report, targets={"sla_24h_share": 95.0}).show(sections.sla_over_time)
    ax = result.charts[0].figure.axes[0]
    targets = [line for line in ax.get_lines() if line.get_label() == "target 95%"]
    assert len(targets) == 1 and list(targets[0].get_ydata()) == [95.0, 95.0] and targets[0].get_linestyle() == "--"
    assert result.charts[0].alt.endswith("the dashed line is the target of 95%.")
    plain = report.show(sections.sla_over_time)
    assert not [line for line in plain.charts[0].figure.axes[0].get_lines() if "target" in line.get_label()]


def test_coverage_gap_headline_is_the_largest_segment_gap_of_the_kpis(report):
    from cxlab.group_gaps import share_gaps

    result = report.show(sections.loop_by_group)
    followups = loop.detractor_followups(report.data.surveys, report.data.cases, as_of=report.as_of,
                                         customers=report.data.customers)
    kpis = loop.loop_kpis(followups[_sent_quarter(followups, report) == report.quarter], by="segment")
    shown = kpis[~kpis["suppressed"]]
    gaps = share_gaps(shown, group="segment", hits="followed_up", trials="mature_detractors")
    top = gaps.iloc[0]
    shares = shown.set_index("segment")["followed_up"] / shown.set_index("segment")["mature_detractors"]
    assert top["gap"] == pytest.approx(shares.max() - shares.min())
    gap = result.headline("followup_coverage_gap")
    assert (gap.value, gap.ci_low, gap.ci_high) == pytest.approx((100 * top["gap"], 100 * top["ci_low"],
                                                                  100 * top["ci_high"]))
    assert gap.label == (f"Detractors followed up, largest gap between segments, {report.quarter}: "
                         f"{shares.idxmin()} {100 * shares.min():.1f}% vs {shares.idxmax()} {100 * shares.max():.1f}%")
    assert f"Bonferroni-adjusted for {len(shown) * (len(shown) - 1) // 2} pairs" in gap.note
    assert "Detractors followed up: " in result.answer and "gap" in result.tables[2].caption


def test_the_page_from_engine_queries_equals_the_page_from_loaded_surveys_and_cases(report, same_sections):
    # as the notebook opens it: neither the surveys nor the cases are loaded
    queried = open_report("03_feedback_loop", data_dir=report.data.source, tables=["customers"],
                          queried=["surveys", "cases"])
    assert queried.data.surveys is None and queried.data.cases is None
    same_sections(queried, report, [getattr(sections, name) for name in ALL_SECTIONS])


def test_the_follow_up_frames_are_let_go_once_their_sections_have_been_shown(report):
    page = open_report("03_feedback_loop", data_dir=report.data.source)
    held = [weakref.ref(frame) for frame in (sections._answers(page, 12, 7), sections._followups(page, 7),
                                             sections._relationship_answers(page), sections._followup_cases(page))]
    first = {name: page.show(getattr(sections, name)) for name in ALL_SECTIONS[:9]}
    assert [ref() for ref in held] == [None] * 4, "the silent-customer sections would hold the follow-ups' frames"
    # shown again after that, a section builds what it reads again, and says the same
    again = page.show(sections.followup_effect)
    assert again.answer == first["followup_effect"].answer and again.headlines == first["followup_effect"].headlines


def test_without_relationship_answers_the_queried_page_says_so(tmp_path):
    world = simulate(n_customers=400, seed=3)
    world.surveys = world.surveys[world.surveys["touchpoint"] != "relationship"]
    write_demo(world, tmp_path / "w", compression_level=3)
    queried = open_report("03_feedback_loop", data_dir=tmp_path / "w", tables=["customers"],
                          queried=["surveys", "cases"])
    result = queried.show(sections.closed_loop)
    assert not result.available and result.unavailable == "the data has no answers to the relationship NPS survey"
