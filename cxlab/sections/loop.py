"""Sections of the feedback-loop page: the closed loop on detractors, whether the follow-up works, silent customers."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from statsmodels.stats.multitest import multipletests

from cxlab import causal, loop, nonresponse
from cxlab.followups import FOLLOWUP_KIND
from cxlab.group_gaps import share_gaps
from cxlab.headlines import spec
from cxlab.palette import TARGET_COLOUR
from cxlab.periods import parse_quarter
from cxlab.schema import RELATIONSHIP
from cxlab.sections.formatting import count, interval, number
from cxlab.sections.result import Chart, SectionResult, Table, new_chart
from cxlab.survival import km_by, km_summary, plot_km
from cxlab.survival.wording import format_p

__all__ = ["DESIGNS", "SHORT_HORIZON_MONTHS", "closed_loop", "first_response", "followup_checks", "followup_effect",
           "followup_speed", "followup_survival", "loop_by_group", "nps_checks", "nps_corrected", "overview",
           "response_rates", "silent_customers", "sla_over_time"]

DESIGNS = (  # (label, method, options): the discontinuity first, then its local-randomisation variants
    ("Regression discontinuity at 6/7 (local linear)", "rdd", {}),
    ("Local randomisation, answers 6 and 7", "rdd", {"bandwidth": 0.5, "kernel": "uniform", "degree": 0}),
    ("Local randomisation, answers 5 to 8", "rdd", {"bandwidth": 1.5, "kernel": "uniform", "degree": 0}),
    ("Doubly robust weighting (AIPW), detractors", "aipw", {}),
    ("Inverse-probability weighting, detractors", "ipw", {}),
    ("Naive: followed-up vs not followed-up detractors", "naive", {}),
)
SHORT_HORIZON_MONTHS = 6  # the discontinuity is also shown for churn within this many months


# --------------------------------------------------------------------------- shared frames
def _relationship_answers(report) -> pd.DataFrame:
    """The answered relationship-survey rows the page reads (the follow-ups' answers and the earlier answers)."""
    return report.answered(["customer_id", "touchpoint", "sent_at", "nps"], touchpoints=RELATIONSHIP,
                           readers=_FOLLOWUP_READERS | _ANSWER_READERS)


def _followup_cases(report) -> pd.DataFrame | None:
    """The follow-up cases (the only cases the page reads), kept until the sections that read them have been shown."""
    return report.cases(FOLLOWUP_KIND, readers=_FOLLOWUP_READERS | _ANSWER_READERS)


def _followups(report, followup_window_days: int) -> pd.DataFrame | None:
    """Detractor answers to the relationship survey with their follow-up case, or None without them and cases.

    ``quarter`` is the quarter the invitation was sent, as on the scorecard page, so a quarter's
    detractor answers are the same answers on both pages.
    """
    if not report.availability.allows("relationship_nps", "cases"):
        return None

    def build():
        answers = _relationship_answers(report)
        followups = loop.detractor_followups(answers, _followup_cases(report), as_of=report.as_of,
                                             customers=report.data.customers,
                                             followup_window_days=followup_window_days)
        sent = answers.set_index("invitation_id")["sent_at"]
        return followups.assign(quarter=pd.to_datetime(followups["invitation_id"].map(sent)).dt.to_period("Q")
                                .astype(str))
    return report.cached(("followups", followup_window_days), build, readers=_FOLLOWUP_READERS)


def _answers(report, horizon_months: int, followup_window_days: int) -> pd.DataFrame:
    """The answer frame, built once and kept until its sections have been shown; each horizon re-counts only the
    churn within it."""
    frame = report.cached(("answers", followup_window_days), lambda: causal.answer_frame(
        replace(report.data, surveys=_relationship_answers(report), cases=_followup_cases(report)), as_of=report.as_of,
        followup_window_days=followup_window_days), readers=_ANSWER_READERS)
    if frame.attrs["horizon_months"] == horizon_months:
        return frame
    return report.cached(("answers", horizon_months, followup_window_days),
                         lambda: causal.at_horizon(frame, horizon_months), readers=_ANSWER_READERS)


def _percent(value, decimals: int = 1):
    return number(100 * value, decimals, "%") if value is not None and np.isfinite(value) else None


def _percent_interval(low, high, decimals: int = 1):
    return interval(100 * low, 100 * high, decimals, "%")


# --------------------------------------------------------------------------- closed loop
def overview(report, *, followup_window_days: int = 7) -> SectionResult:
    """The quarter, the as-of date and how follow-up cases were matched to answers."""
    result = SectionResult("overview", "Report quarter")
    text = (f"Analysis of {report.quarter}, as of the end of {report.as_of:%d %B %Y}; groups smaller than "
            f"{report.min_cell_size} are not shown.")
    followups = _followups(report, followup_window_days)
    if followups is not None:
        text += f" Follow-up cases are matched to detractor answers by {followups.attrs['match']}."
    result.answer = text
    return result


def _kpi_table(kpis: pd.DataFrame, group: str | None, group_label: str) -> Table:
    rows = kpis.to_dict("records")
    frame = pd.DataFrame({
        **({group_label: [str(r[group]) for r in rows]} if group else {}),
        "Detractor answers": [count(r["detractors"]) for r in rows],
        "Followed up": [_percent(r["coverage"]) for r in rows],
        "Followed up, 95% interval": [_percent_interval(r["coverage_ci_low"], r["coverage_ci_high"]) for r in rows],
        "Follow-up cases": [count(r["cases"]) for r in rows],
        "Answered within the SLA": [_percent(r["within_sla_share"]) for r in rows],
        "Within the SLA, 95% interval": [_percent_interval(r["within_sla_ci_low"], r["within_sla_ci_high"])
                                         for r in rows],
        "Median hours to first response": [number(r["median_hours_to_first_response"]) for r in rows],
        "Median hours to close": [number(r["median_hours_to_close"]) for r in rows],
        "Still waiting for a response": [count(r["awaiting_response"]) for r in rows],
    })
    return Table(frame, "A dash: not defined, or a group below the minimum size")


def closed_loop(report, *, followup_window_days: int = 7) -> SectionResult:
    """Coverage of detractor follow-ups and the share answered within the SLA in the quarter."""
    title = "Closed loop on detractors in the quarter"
    followups = _followups(report, followup_window_days)
    keys = ("followup_coverage", "sla_24h_share")
    if followups is None:
        why = report.availability.why_not("relationship_nps", "cases")
        return SectionResult("loop", title, unavailable=why, headlines=[
            spec(k).headline(None, note="not available", quarter=report.quarter) for k in keys])
    in_quarter = followups[followups["quarter"] == report.quarter]
    kpis = loop.loop_kpis(in_quarter, min_cell_size=report.min_cell_size)
    row = kpis.iloc[0]
    small = bool(row["suppressed"])
    note = f"suppressed: fewer than {report.min_cell_size} detractor answers" if small else ""
    slas = ", ".join(f"{h:g} h" for h in sorted(in_quarter["sla_hours"].dropna().unique()))
    result = SectionResult("loop", title, tables=[_kpi_table(kpis, None, "")])
    result.headlines.append(replace(spec("detractors").headline(
        None if small else int(row["detractors"]), quarter=report.quarter,
        note=(f"not shown: fewer than {report.min_cell_size} detractor answers" if small else
              f"answers to the relationship invitations sent in {report.quarter}")), section="loop"))
    if small:
        result.answer = (f"{report.quarter} had {int(row['detractors'])} detractor answers, fewer than "
                         f"{report.min_cell_size}: the figures are not shown.")
    else:
        result.answer = (f"In {report.quarter}, {_percent(row['coverage'], 0)} of detractor answers got a follow-up "
                         f"({int(row['followed_up']):,} of {int(row['mature_detractors']):,}), and "
                         f"{_percent(row['within_sla_share'], 0)} of the follow-ups had a first response within the "
                         f"promised {slas or 'time'}.")
    result.headlines.append(spec("followup_coverage").headline(
        100 * row["coverage"], ci_low=100 * row["coverage_ci_low"], ci_high=100 * row["coverage_ci_high"],
        n=int(row["mature_detractors"]), quarter=report.quarter,
        note=note or f"{int(row['followed_up'])} of {int(row['mature_detractors'])} detractor answers; 95% Wilson "
                     "interval"))
    result.headlines.append(spec("sla_24h_share").headline(
        100 * row["within_sla_share"], ci_low=100 * row["within_sla_ci_low"],
        ci_high=100 * row["within_sla_ci_high"], n=int(row["cases"]), quarter=report.quarter,
        note=note or f"SLA {slas}; Kaplan-Meier, {int(row['awaiting_response'])} cases still waiting counted as "
                     "censored"))
    return result


def loop_by_group(report, *, quarters_shown: int = 8, followup_window_days: int = 7) -> SectionResult:
    """The closed-loop measures quarter by quarter, and for the quarter by segment and by team."""
    title = "Quarter by quarter, by segment and by team"
    followups = _followups(report, followup_window_days)
    if followups is None:
        return SectionResult("loop-groups", title, unavailable=report.availability.why_not("relationship_nps", "cases"))
    recent = [str(parse_quarter(report.quarter) - k) for k in range(quarters_shown - 1, -1, -1)]
    in_quarter = followups[followups["quarter"] == report.quarter]
    size = report.min_cell_size
    tables = [_kpi_table(loop.loop_kpis(followups[followups["quarter"].isin(recent)], by="quarter",
                                        min_cell_size=size), "quarter", "Quarter of the invitation")]
    gaps = None
    if "segment" in in_quarter.columns and len(in_quarter):
        by_segment = loop.loop_kpis(in_quarter, by="segment", min_cell_size=size)
        tables.append(_kpi_table(by_segment, "segment", "Segment"))
        gaps = _coverage_gaps(by_segment)
        if len(gaps):
            tables.append(_gap_table(gaps))
    if in_quarter["team"].notna().any():
        tables.append(_kpi_table(loop.loop_kpis(in_quarter, by="team", min_cell_size=size), "team", "Team"))
    answer = (f"The closed-loop measures for the last {quarters_shown} quarters (by the quarter the invitation was "
              f"sent), then for {report.quarter} by segment and by team.")
    if gaps is not None and len(gaps):
        answer += " " + _gap_sentence(gaps.iloc[0], gaps.attrs["comparisons"])
    return SectionResult("loop-groups", title, tables=tables, answer=answer,
                         headlines=[_gap_headline(gaps, report)],
                         notes=["Coverage has no meaning per team (a detractor who was never called has no team).",
                                "Coverage gaps: difference of two shares with a Newcombe score interval; with several "
                                "segments every pair is compared and the intervals are Bonferroni-adjusted so that "
                                "they hold together at 95%, the p-values Holm-adjusted."])


def _coverage_gaps(by_segment: pd.DataFrame) -> pd.DataFrame:
    """Pairwise coverage gaps between the segments shown (small segments suppressed before)."""
    shown = by_segment[~by_segment["suppressed"] & (by_segment["mature_detractors"] > 0)]
    return share_gaps(shown, group="segment", hits="followed_up", trials="mature_detractors")


def _gap_words(row) -> str:
    return f"{row['low_group']} {_percent(row['low_share'])} vs {row['high_group']} {_percent(row['high_share'])}"


def _gap_sentence(row, comparisons: int) -> str:
    adjusted = f", adjusted for {comparisons} comparisons" if comparisons > 1 else ""
    verdict = "beyond chance" if row["ci_low"] > 0 else "within chance"
    return (f"Detractors followed up: {_gap_words(row)}, a gap of {100 * row['gap']:.1f} points (95% interval "
            f"{100 * row['ci_low']:.1f} to {100 * row['ci_high']:.1f}{adjusted}), {verdict}.")


def _gap_table(gaps: pd.DataFrame) -> Table:
    level = gaps.attrs["pair_level"]
    return Table(pd.DataFrame({
        "Segments": [f"{r['high_group']} vs {r['low_group']}" for _, r in gaps.iterrows()],
        "Followed up": [f"{_percent(r['high_share'])} vs {_percent(r['low_share'])}" for _, r in gaps.iterrows()],
        "Gap, percentage points": [number(100 * g, 1) for g in gaps["gap"]],
        "Gap, 95% interval (adjusted)": [interval(100 * lo, 100 * hi, 1) for lo, hi in zip(gaps["ci_low"],
                                                                                         gaps["ci_high"], strict=True)],
        "p-value (adjusted)": [format_p(p) for p in gaps["p_adjusted"]],
    }), f"Follow-up coverage gaps between segments, largest first; each interval at {100 * level:.1f}% so that all "
        f"{gaps.attrs['comparisons']} hold together at 95%")


def _gap_headline(gaps: pd.DataFrame | None, report):
    entry = spec("followup_coverage_gap")
    if gaps is None or not len(gaps):
        return entry.headline(None, note="fewer than two segments with enough detractor answers",
                              quarter=report.quarter, pair="")
    row = gaps.iloc[0]
    comparisons = gaps.attrs["comparisons"]
    return entry.headline(
        100 * row["gap"], ci_low=100 * row["ci_low"], ci_high=100 * row["ci_high"], n=row["n"],
        quarter=report.quarter, pair=f": {_gap_words(row)}",
        note=("largest coverage gap between segments; Newcombe interval"
              + (f" Bonferroni-adjusted for {comparisons} pairs; adjusted {format_p(row['p_adjusted'])}"
                 if comparisons > 1 else f"; {format_p(row['p_adjusted'])}")))


def first_response(report, *, followup_window_days: int = 7) -> SectionResult:
    """Histogram of hours to first response in the quarter, with the SLA marked."""
    title = "How long until the first response?"
    followups = _followups(report, followup_window_days)
    if followups is None:
        return SectionResult("first-response", title,
                             unavailable=report.availability.why_not("relationship_nps", "cases"))
    in_quarter = followups[followups["quarter"] == report.quarter]
    if in_quarter["followed_up"].sum() < report.min_cell_size:
        return SectionResult("first-response", title, unavailable=(
            f"the data has fewer than {report.min_cell_size} follow-up cases in {report.quarter}"))
    figure, ax = new_chart(8, 4)
    loop.plot_first_response_hours(in_quarter, ax=ax)
    return SectionResult("first-response", title, charts=[Chart(
        figure, "Histogram of hours from opening a follow-up case to its first response; most responses come "
                "before the promised time, marked by a dashed line.")])


def sla_over_time(report, *, followup_window_days: int = 7, run_length: int = 8) -> SectionResult:
    """The weekly share of follow-ups answered within the SLA as a p-chart, breaches and runs flagged."""
    title = "Is the 24-hour promise kept week after week?"
    followups = _followups(report, followup_window_days)
    if followups is None or not followups["followed_up"].any():
        return SectionResult("sla-chart", title, unavailable=report.availability.why_not(
            "relationship_nps", "cases") or "the data has no follow-up cases")
    chart = loop.sla_control_chart(followups, run_length=run_length)
    sla = float(followups["sla_hours"].dropna().mode().iloc[0])
    figure, ax = new_chart(9, 4)
    loop.plot_sla_control_chart(chart, sla_hours=sla, ax=ax)
    target = report.targets.get("sla_24h_share")
    if target is not None:
        ax.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1, label=f"target {target:g}%")
        ax.legend(loc="lower left", fontsize="small")
    flagged = chart[(chart["breach"] != "") | chart["in_run"]]
    breaches = int((chart["breach"] != "").sum())
    runs = int(chart["in_run"].sum())
    answer = (f"Over {len(chart)} weeks with decided follow-ups, {_percent(chart['centre'].iloc[0], 0)} were answered "
              f"within {sla:g} h on average; {breaches} week{'s' if breaches != 1 else ''} fell outside the control "
              f"limits and {runs} belong to runs of {run_length} or more weeks on one side of the average.")
    table = Table(pd.DataFrame({
        "Week starting": flagged["week_start"].dt.strftime("%Y-%m-%d"),
        "Decided cases": [count(n) for n in flagged["cases"]],
        "Within the SLA": [_percent(s) for s in flagged["share"]],
        "Control limits": [_percent_interval(lo, hi) for lo, hi in zip(flagged["lower_limit"],
                                                                       flagged["upper_limit"], strict=True)],
        "Flag": [("outside the limits (" + b + ")" if b else "") + (" in a run" if r else "")
                 for b, r in zip(flagged["breach"], flagged["in_run"], strict=True)],
    }), "Weeks flagged: outside the control limits or part of a run on one side of the average")
    return SectionResult("sla-chart", title, answer=answer, tables=[table] if len(flagged) else [], charts=[Chart(
        figure, f"Weekly share of follow-ups answered within {sla:g} hours with the average and each week's control "
                "limits; flagged weeks are marked"
                + ("." if target is None else f"; the dashed line is the target of {target:g}%."))], notes=[
        "A p-chart: each week's limits are the average share plus or minus three standard errors for that week's "
        "number of cases, so small weeks have wide limits. Weeks without follow-ups (between survey waves) have no "
        "point. Cases still waiting at the as-of date count once they pass the promised time."])


# --------------------------------------------------------------------------- did the follow-up work?
def _effects(report, horizon_months: int, bandwidth: float, n_resamples: int, followup_window_days: int):
    def build():
        frame = _answers(report, horizon_months, followup_window_days)
        found = {}
        for label, method, options in DESIGNS:
            options = {"bandwidth": bandwidth, **options} if method == "rdd" else options
            found[label] = causal.followup_effect(report.data, as_of=report.as_of, method=method,
                                                  horizon_months=horizon_months, n_resamples=n_resamples,
                                                  frame=frame, **options)
        if horizon_months > SHORT_HORIZON_MONTHS:
            short = causal.followup_effect(report.data, as_of=report.as_of, method="rdd",
                                           horizon_months=SHORT_HORIZON_MONTHS, bandwidth=bandwidth,
                                           n_resamples=n_resamples,
                                           frame=_answers(report, SHORT_HORIZON_MONTHS, followup_window_days))
            labels = list(found)
            found = {labels[0]: found[labels[0]],
                     f"Regression discontinuity at 6/7, churn within {SHORT_HORIZON_MONTHS} months": short,
                     **{label: found[label] for label in labels[1:]}}
        return found
    return report.cached(("effects", horizon_months, bandwidth, n_resamples, followup_window_days), build)


def _effect_possible(report, horizon_months: int, followup_window_days: int) -> str:
    if not report.availability.allows("relationship_nps", "cases", "tenure"):
        return report.availability.why_not("relationship_nps", "cases", "tenure")
    frame = _answers(report, horizon_months, followup_window_days)
    observed = frame[frame["horizon_observed"]]
    followed = observed.loc[observed["nps"] <= loop.DETRACTOR_MAX, "followup"]
    sides = [(observed["nps"] == score).sum() for score in range(4, 10)]
    if min(sides) < report.min_cell_size or min(followed.sum(), (1 - followed).sum()) < report.min_cell_size:
        return (f"the data has too few answers followed for {horizon_months} months: at least {report.min_cell_size} "
                "per score from 4 to 9 and of followed-up and not followed-up detractors are needed")
    return ""


def followup_effect(report, *, horizon_months: int = 12, bandwidth: float = 3.5, n_resamples: int = 499,
                    followup_window_days: int = 7) -> SectionResult:
    """Did the follow-up work? The causal estimate first, the naive comparison beside it."""
    title = "Did the follow-up work?"
    keys = ("followup_effect", "followup_effect_naive")
    why = _effect_possible(report, horizon_months, followup_window_days)
    if why:
        return SectionResult("followup-effect", title, unavailable=why, headlines=[
            spec(k).headline(None, note=f"not computed: {why}", months=horizon_months) for k in keys])
    effects = _effects(report, horizon_months, bandwidth, n_resamples, followup_window_days)
    rdd, naive = effects[DESIGNS[0][0]], effects[DESIGNS[-1][0]]
    diag = rdd.diagnostics
    estimate = (f"hazard ratio {rdd.value:.2f}, 95% interval {rdd.ci_low:.2f} to {rdd.ci_high:.2f}; churn within "
                f"{horizon_months} months {_percent(diag['risk_followed_up'], 0)} with a call vs "
                f"{_percent(diag['risk_not_followed_up'], 0)} without, for the detractors a call reaches")
    if rdd.ci_high < 1:
        answer = (f"Yes: a follow-up call lowers a detractor's risk of leaving in the {horizon_months} months after "
                  f"the answer by about {100 * (1 - rdd.value):.0f}% ({estimate}).")
    elif rdd.ci_low > 1:
        answer = (f"No: detractors who were called left more often than they would have without the call "
                  f"({estimate}).")
    else:
        answer = f"Not clearly: the data cannot tell the effect of a call from no effect ({estimate})."
    answer += (" This compares answers just below and just above the threshold of 6 (regression discontinuity). "
               f"The naive comparison of followed-up with not followed-up detractors gives {naive.value:.2f} "
               f"({naive.ci_low:.2f} to {naive.ci_high:.2f})")
    answer += (": it flatters the programme, because the customers we reach are more often those who would have "
               "stayed anyway." if naive.value < rdd.value else ".")
    frame = pd.DataFrame({
        "Design": list(effects),
        "Hazard ratio": [number(e.value, 2) for e in effects.values()],
        "95% interval": [interval(e.ci_low, e.ci_high, 2) for e in effects.values()],
        "Churn risk difference": [number(100 * e.risk_difference, 1, "points") for e in effects.values()],
        "Answers": [count(e.n) for e in effects.values()],
    })
    tables = [Table(frame, f"Hazard ratio of churn, followed-up vs not (below 1: the follow-up lowers churn), and "
                           f"the difference in the share churning, over the {horizon_months} months after the answer "
                           "unless the design says otherwise. The first row is the estimate this page trusts.")]
    first = Table(pd.DataFrame({
        "Quantity at the threshold": ["Share followed up: jump from 7 to 6",
                                      "Churn within the horizon: jump from 7 to 6",
                                      "Churn risk of reached detractors without a follow-up",
                                      "Churn risk of reached detractors with a follow-up"],
        "Estimate": [_percent(diag["first_stage"]), _percent(diag["intention_to_treat"]),
                     _percent(diag["risk_not_followed_up"]), _percent(diag["risk_followed_up"])],
        "95% interval": [_percent_interval(*diag["first_stage_ci"]), _percent_interval(*diag["intention_to_treat_ci"]),
                         None, None],
    }), "The discontinuity design's pieces: the effect is the jump in churn divided by the jump in the share "
        "followed up")
    result = SectionResult("followup-effect", title, answer=answer, tables=tables,
                           charts=[_discontinuity_chart(report, horizon_months, bandwidth, followup_window_days)])
    result.notes = [
        "What it assumes: churn risk changes smoothly with the score across 6 and 7, so that without the call "
        "the churn of 6s would continue the line of the 4s and 5s and meet the line of the 7s to 9s. The checks "
        "in the technical appendix test what can be tested: no jump at 5/6 or 7/8, no jump in customer "
        "characteristics, no heap or dip of answers at the threshold."]
    result.technical = [first,
        "Why the discontinuity design: follow-ups are not assigned at random (account teams reach valuable "
        "customers more often, and part of that value shows in no table). Weighting (IPW, AIPW) can only correct "
        "for what the tables record; the discontinuity compares customers who answered 6 (called back) with "
        "customers who answered 7 (not called back), who are alike in everything else, recorded or not.",
        "The local-randomisation rows treat the answers in a small window as if randomly assigned; they ignore "
        "that churn falls with the score even within the window, so they understate the effect (the 7s would "
        "have churned less than the 6s even without the call). They are shown as a sensitivity check, not trusted. "
        "Fisher permutation test of the churn difference between 6s and 7s: "
        f"{format_p(causal.local_randomisation_p(_answers(report, horizon_months, followup_window_days)))}.",
        f"Method: local linear fits in the score on each side within {bandwidth:g} points of 6.5 (triangular "
        "kernel; every score is a mass point), answers followed for the full horizon, 95% intervals from "
        f"{n_resamples} bootstrap resamples of customers. The hazard ratio is the ratio of cumulative hazards "
        "log(1 - risk with) / log(1 - risk without) of the detractors a call reaches.",
    ]
    result.headlines.append(spec("followup_effect").headline(
        rdd.value, ci_low=rdd.ci_low, ci_high=rdd.ci_high, n=rdd.n, months=horizon_months,
        note=f"regression discontinuity at 6/7, {horizon_months} months after the answer; below 1 = fewer churn"))
    result.headlines.append(spec("followup_effect_naive").headline(
        naive.value, ci_low=naive.ci_low, ci_high=naive.ci_high, n=naive.n, months=horizon_months,
        note="unadjusted Cox model of followed-up vs not followed-up detractors; biased by who gets a call"))
    return result


def _discontinuity_chart(report, horizon_months: int, bandwidth: float, followup_window_days: int) -> Chart:
    frame = _answers(report, horizon_months, followup_window_days)
    observed = frame[frame["horizon_observed"]]
    by_score = observed.groupby("nps").agg(churn=("churn_within", "mean"), followup=("followup", "mean"),
                                           n=("churn_within", "size"))
    by_score = by_score[by_score["n"] >= report.min_cell_size]
    figure = Figure(figsize=(8, 6), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True)
    for ax, column, label in ((top, "followup", "% followed up"), (bottom, "churn", f"% churned within "
                                                                                      f"{horizon_months} months")):
        ax.scatter(by_score.index, 100 * by_score[column], s=np.sqrt(by_score["n"]) * 2, color="tab:blue")
        for below in (True, False):
            side = (by_score.index <= loop.DETRACTOR_MAX) == below
            part = by_score[side & (np.abs(by_score.index - causal.THRESHOLD) < bandwidth)]  # positive weight
            if len(part) >= 2:
                slope, intercept = np.polyfit(part.index - causal.THRESHOLD, 100 * part[column], 1,
                                              w=np.sqrt(part["n"]))
                xs = np.array([part.index.min(), causal.THRESHOLD]) if below else np.array(
                    [causal.THRESHOLD, part.index.max()])
                ax.plot(xs, intercept + slope * (xs - causal.THRESHOLD), color="tab:red")
        ax.axvline(causal.THRESHOLD, color="grey", ls="--", lw=1)
        ax.set_ylabel(label)
    bottom.set_xlabel("Relationship NPS answer (0-6 are called back)")
    top.set_title("Follow-up and churn by answer, with straight-line fits on each side of the threshold")
    return Chart(figure, "Two panels by NPS answer: the share followed up drops from most to none between 6 and 7, "
                         "and churn within the horizon jumps up between 6 and 7 while falling smoothly with the score "
                         "on each side.")


def followup_checks(report, *, horizon_months: int = 12, bandwidth: float = 3.5, n_resamples: int = 499,
                    followup_window_days: int = 7) -> SectionResult:
    """Falsification of the discontinuity design and overlap of the weighting designs."""
    title = "How far to trust the estimate"
    why = _effect_possible(report, horizon_months, followup_window_days)
    if why:
        return SectionResult("followup-checks", title, unavailable=why)
    frame = _answers(report, horizon_months, followup_window_days)
    placebo = causal.placebo_thresholds(frame, bandwidth=bandwidth)
    names = {"churn_within": f"churn within {horizon_months} months", "followup": "share followed up"}
    placebo_table = Table(pd.DataFrame({
        "Placebo threshold": [f"{c - 0.5:g}/{c + 0.5:g}" for c in placebo["cutoff"]],
        "Outcome": [names[o] for o in placebo["outcome"]],
        "Jump": [number(100 * j, 1, "points") for j in placebo["jump"]],
        "95% interval": [interval(100 * lo, 100 * hi, 1, "points") for lo, hi in zip(placebo["ci_low"],
                                                                                     placebo["ci_high"], strict=True)],
        "p-value": [format_p(p) for p in placebo["p"]],
    }), "Jumps where nothing changes should be zero")
    balance = causal.covariate_balance(frame, bandwidth=bandwidth, n_resamples=n_resamples)
    balance_table = Table(pd.DataFrame({
        "Known before the answer": balance["label"],
        "Just below (6)": [number(v, 2) for v in balance["below"]],
        "Just above (7)": [number(v, 2) for v in balance["above"]],
        "Jump": [number(v, 2) for v in balance["jump"]],
        "95% interval": [interval(lo, hi, 2) for lo, hi in zip(balance["ci_low"], balance["ci_high"], strict=True)],
        "p-value": [format_p(p) for p in balance["p"]],
    }), "Customers just below and just above the threshold should be alike in what was known before the answer; "
        "complaints in the year before are a placebo outcome")
    density = causal.answer_density(frame)
    effects = _effects(report, horizon_months, bandwidth, n_resamples, followup_window_days)
    overlap = effects[DESIGNS[4][0]].diagnostics["overlap"]
    overlap_table = Table(pd.DataFrame({
        "Detractors": overlap["arm"],
        "Answers": [count(n) for n in overlap["n"]],
        "Chance of a follow-up: 5% / median / 95%": [
            f"{a:.2f} / {b:.2f} / {c:.2f}" for a, b, c in zip(overlap["p05"], overlap["p50"], overlap["p95"],
                                                              strict=True)],
        "Below 0.05": [_percent(v) for v in overlap["share_below_0.05"]],
        "Above 0.95": [_percent(v) for v in overlap["share_above_0.95"]],
        "Largest weight": [number(v, 1) for v in overlap["max_weight"]],
        "Effective n": [count(v) for v in overlap["effective_n"]],
    }), "Overlap of the weighting designs: the estimated chance of a follow-up among followed-up and not "
        "followed-up detractors")
    checks = pd.concat([placebo.assign(name=[f"the {c - 0.5:g}/{c + 0.5:g} jump in {names[o]}" for c, o in
                                             zip(placebo["cutoff"], placebo["outcome"], strict=True)]),
                        balance.assign(name=[f"the jump in {label[0].lower()}{label[1:]}"
                                             for label in balance["label"]])],
                       ignore_index=True)
    holm = multipletests(checks["p"].fillna(1.0), method="holm")[1]
    nominal = checks[checks["p"] < 0.05]
    if nominal.empty:
        answer = f"None of the {len(checks)} placebo and balance checks finds a jump (all p-values above 0.05)"
    else:
        answer = (f"{len(nominal)} of the {len(checks)} placebo and balance checks has a p-value below 0.05 ("
                  + ", ".join(f"{n}, {format_p(p)}" for n, p in zip(nominal["name"], nominal["p"], strict=True))
                  + ("); allowing for the number of checks (Holm), none is significant" if (holm >= 0.05).all()
                     else "); allowing for the number of checks (Holm), it remains significant: read the estimate "
                          "with care"))
    answer += (f". Answers are as common just below the threshold as the smooth curve through the other scores "
               f"predicts (ratio {density['ratio']:.2f}, 95% interval {density['ci_low']:.2f} to "
               f"{density['ci_high']:.2f}, {format_p(density['p'])}).")
    return SectionResult("followup-checks", title, answer=answer,
                         tables=[placebo_table, balance_table, overlap_table], notes=[
        "Answer density: counts of answers per score 2 to 9 fitted with a smooth curve and a step at the threshold; "
        "a step would mean customers avoid (or seek) a 6. The density tests made for continuous scores (rddensity) "
        "cannot be used with eleven possible answers.",
        "Churn before the answer cannot be a placebo outcome here: everyone who answers is still a customer. "
        "Complaints in the year before the answer, which go with churn risk, take its place.",
        "Overlap: weighting needs every detractor to have had a real chance of both outcomes; chances near 0 or 1 "
        "would make a few answers carry the estimate. Good overlap does not make weighting unbiased: it still "
        "assumes that everything driving both the follow-up and churn is recorded."])


def followup_speed(report, *, horizon_months: int = 12, followup_window_days: int = 7) -> SectionResult:
    """Does a first response within the 24-hour promise lower churn more than a later one?"""
    title = "Does answering within 24 hours matter?"
    why = _effect_possible(report, horizon_months, followup_window_days)
    if why:
        return SectionResult("followup-speed", title, unavailable=why)
    effect = report.cached(("speed", horizon_months, followup_window_days), lambda: causal.speed_effect(
        _answers(report, horizon_months, followup_window_days)))
    overlap = effect.diagnostics["overlap"]
    verdict = ("no clear difference" if effect.ci_low <= 1 <= effect.ci_high else
               "lower churn when answered on time" if effect.value < 1 else "higher churn when answered on time")
    answer = (f"Among followed-up detractors, those answered within the promise churn at {effect.value:.2f} times the "
              f"rate of those answered later (95% interval {effect.ci_low:.2f} to {effect.ci_high:.2f}; "
              f"{effect.n:,} follow-ups): {verdict}.")
    table = Table(pd.DataFrame({
        "Follow-ups": overlap["arm"], "Cases": [count(n) for n in overlap["n"]],
        "Effective n after weighting": [count(v) for v in overlap["effective_n"]]}),
        "Follow-ups answered within the SLA and later")
    return SectionResult("followup-speed", title, answer=answer, tables=[table], notes=[
        "Weighted by the chance of an on-time answer given segment, team, contract, region, revenue, score, tenure, "
        "previous answer, complaints and year (inverse-probability weighting): it assumes nothing else drives both "
        "the speed and churn. Speed varies with the team and the hour of the answer, not with the score, so the "
        "discontinuity design cannot answer this question."])


def followup_survival(report, *, churn_within_months: int = 12, followup_window_days: int = 7) -> SectionResult:
    """Kaplan-Meier curves of followed-up and not followed-up detractors (an association, not an effect)."""
    title = "Followed-up and not followed-up detractors over time"
    followups = _followups(report, followup_window_days)
    if followups is None or not report.availability.allows("tenure"):
        return SectionResult("followup-churn", title, unavailable=report.availability.why_not(
            "relationship_nps", "cases", "tenure"))
    frame = loop.followup_survival_frame(followups, report.data.customers, as_of=report.as_of,
                                         surveys=_relationship_answers(report))
    frame = frame.assign(group=frame["followup"].map({1: "followed up", 0: "not followed up"}))
    sizes = frame["group"].value_counts()
    if len(sizes) < 2 or sizes.min() < report.min_cell_size:
        return SectionResult("followup-churn", title, unavailable=(
            f"the data has fewer than {report.min_cell_size} detractors with or without a follow-up"))
    curves = km_by(frame, "group")
    figure, ax = new_chart()
    plot_km(curves, ax=ax, min_cell_size=report.min_cell_size, max_months=36,
            title="Detractors still customers, by follow-up")
    ax.set_xlabel("Months since the detractor answer")
    summary = km_summary(curves, times_months=(6, churn_within_months), rmst_months=None,
                         min_cell_size=report.min_cell_size)
    summary = summary[summary["measure"] == "survival"]
    table = Table(pd.DataFrame({
        "Detractors": summary["group"].to_numpy(), "Months after the answer": summary["horizon_months"].to_numpy(),
        "Still customers": [_percent(e) for e in summary["estimate"]],
        "95% interval": [_percent_interval(lo, hi) for lo, hi in zip(summary["ci_low"], summary["ci_high"],
                                                                     strict=True)],
        "Detractors followed": [count(n) for n in summary["n"]]}), "Kaplan-Meier estimates")
    return SectionResult("followup-churn", title, tables=[table], charts=[Chart(
        figure, "Two survival curves since the detractor answer: followed-up detractors stay longer than those not "
                "followed up.")], answer=(
        "Followed-up detractors stay longer, but this picture mixes the effect of the call with who gets called "
        "(see the causal estimate above)."), notes=[
        "Each customer's first detractor answer, followed until churn, the as-of date or the next relationship "
        "answer."])


# --------------------------------------------------------------------------- silent customers
def _response_counts(report, by: str, response_window_days: int) -> pd.DataFrame:
    return report.from_surveys("response_counts", by=by, as_of=report.as_of,
                               response_window_days=response_window_days)


def _response_window_ok(report, response_window_days: int) -> str:
    if not report.availability.allows("surveys"):
        return report.availability.why_not("surveys")
    if "surveys.sent_at" in report.availability.gaps:
        return ("the data has no invitations that went unanswered (its source lists answers only), so response "
                "rates cannot be computed")
    if not _response_counts(report, "touchpoint", response_window_days)["invitations"].sum():
        return f"the data has no survey invitations sent at least {response_window_days} days before the as-of date"
    return ""


def response_rates(report, *, response_window_days: int = 7) -> SectionResult:
    """Share of survey invitations answered, by touchpoint, channel and segment."""
    title = "Silent customers: who answers?"
    why = _response_window_ok(report, response_window_days)
    if why:
        return SectionResult("silent", title, unavailable=why)
    labels = {"touchpoint": "Touchpoint", "channel": "Survey channel", "segment": "Segment"}
    tables = []
    for by, label in labels.items():
        rates = nonresponse.response_rates_from_counts(_response_counts(report, by, response_window_days), by=by,
                                                       min_cell_size=report.min_cell_size)
        tables.append(Table(pd.DataFrame({
            label: rates[by].astype(str), "Invitations": [count(n) for n in rates["invitations"]],
            "Answered": [count(n) for n in rates["responses"]],
            "Response rate": [number(r, 1, "%") for r in rates["response_rate"]],
            "95% interval": [interval(lo, hi, 1, "%") for lo, hi in zip(rates["ci_low"], rates["ci_high"],
                                                                        strict=True)]}),
            f"Response rate by {label.lower()}"))
    return SectionResult("silent", title, tables=tables, answer=(
        "Response rates differ by touchpoint, survey channel and segment; invitations of the last "
        f"{response_window_days} days are left out, as their answers may still come in."))


def silent_customers(report, *, response_window_days: int = 7, churn_within_months: int = 12) -> SectionResult:
    """Respondents and non-respondents of their first relationship survey: churn and revenue."""
    title = "Respondents and non-respondents"
    if not report.availability.allows("relationship_nps", "tenure"):
        return SectionResult("silent-compare", title,
                             unavailable=report.availability.why_not("relationship_nps", "tenure"))
    first = report.from_surveys("first_invitations", as_of=report.as_of, response_window_days=response_window_days)
    frame = nonresponse.respondent_frame(first, report.data.customers)
    sizes = frame["responded"].value_counts().reindex([0, 1]).fillna(0)
    if sizes.min() < report.min_cell_size:
        return SectionResult("silent-compare", title, unavailable=(
            f"the data has fewer than {report.min_cell_size} customers who did or did not answer their first "
            "relationship survey"))
    comparison = nonresponse.respondent_comparison(frame, horizon_months=churn_within_months)
    table = Table(pd.DataFrame({
        "First relationship survey": comparison["group"], "Customers": [count(n) for n in comparison["customers"]],
        f"Left within {churn_within_months} months": [number(v, 1, "%") for v in comparison["churn_within_horizon"]],
        "95% interval": [interval(lo, hi, 1, "%") for lo, hi in zip(comparison["churn_ci_low"],
                                                                    comparison["churn_ci_high"], strict=True)],
        "Average monthly revenue": [number(v, 0) for v in comparison["mean_monthly_revenue"]],
        "Revenue 95% interval": [interval(lo, hi, 0) for lo, hi in zip(comparison["revenue_ci_low"],
                                                                       comparison["revenue_ci_high"], strict=True)],
    }), "Customers grouped by whether they answered their first relationship-survey invitation")
    labelled = frame.assign(group=frame["responded"].map({1: "answered", 0: "did not answer"}))
    figure, ax = new_chart()
    plot_km(km_by(labelled, "group"), ax=ax, min_cell_size=report.min_cell_size, max_months=48,
            title="Customers still active, by answer to their first relationship survey")
    ax.set_xlabel("Months since the first relationship-survey invitation")
    return SectionResult("silent-compare", title, tables=[table], charts=[Chart(
        figure, "Two survival curves since the first relationship-survey invitation, for customers who answered it "
                "and customers who did not.")], answer=(
        "Customers who stay silent differ from those who answer in how long they stay and what they spend."))


def _nps_weighting(report, response_window_days: int, nps_window_months: int):
    def build():
        history = report.from_surveys("invitation_history", keep=False, as_of=report.as_of,
                                      response_window_days=response_window_days,
                                      sent_after=report.as_of - pd.DateOffset(months=nps_window_months))
        invitations = nonresponse.propensity_frame_from_history(history, report.data.customers)
        del history  # freed before the propensity fit, the page's peak: the weighted NPS is what is kept
        counts = invitations["responded"].value_counts().reindex([0, 1]).fillna(0)
        return nonresponse.ipw_nps(invitations) if counts.min() >= report.min_cell_size else None
    if not report.availability.allows("relationship_nps"):
        return None
    return report.cached(("nps-ipw", response_window_days, nps_window_months), build)


def nps_corrected(report, *, response_window_days: int = 7, nps_window_months: int = 12) -> SectionResult:
    """Raw relationship NPS of those who answered and NPS corrected for non-response by weighting."""
    title = "Response-bias check: NPS corrected for the customers who did not answer"
    keys = ("nps_raw", "nps_ipw")
    fit = _nps_weighting(report, response_window_days, nps_window_months)
    if fit is None:
        why = report.availability.why_not("relationship_nps") or (
            f"the data has fewer than {report.min_cell_size} relationship-survey invitations both answered and not "
            "answered")
        return SectionResult("nps-corrected", title, unavailable=why,
                             headlines=[spec(k).headline(None, note="not available", months=nps_window_months)
                                        for k in keys])
    window = f"relationship-survey invitations sent in the {nps_window_months} months to {report.as_of.date()}"
    summary = fit.summary
    table = Table(pd.DataFrame({
        "NPS": summary["estimate"],
        "Points": [number(v, 1) for v in summary["nps"]],
        "95% interval": [interval(lo, hi, 1) for lo, hi in zip(summary["ci_low"], summary["ci_high"], strict=True)],
        "Answers": [count(n) for n in summary["responses"]],
        "Effective n": [count(n) for n in summary["effective_n"]],
    }), f"Both figures cover the {window}")
    balance = fit.balance_.loc[~fit.balance_.index.str.endswith("_missing")]
    balance_table = Table(pd.DataFrame({
        "Customer characteristic": balance.index.str.replace("_", " "),
        "All invited": [number(v, 3) for v in balance["invited"]],
        "Answered": [number(v, 3) for v in balance["respondents"]],
        "Answered, weighted": [number(v, 3) for v in balance["weighted_respondents"]],
    }), "Where the weighted column is close to the first, the weighting removed that difference")
    result = SectionResult("nps-corrected", title, tables=[table], technical=[balance_table], answer=(
        f"A check of response bias, not the report's NPS (that is the scorecard's: the answers to {report.quarter}'s "
        f"invitations). Over the {nps_window_months} months of invitations to {report.as_of.date()}, the NPS of those "
        f"who answered is {fit.raw_.value:+.1f}; weighted for the customers who did not answer it is "
        f"{fit.value_:+.1f} (95% interval {fit.ci_low_:+.1f} to {fit.ci_high_:+.1f}), so non-response moves it by "
        f"{fit.value_ - fit.raw_.value:+.1f} points."), notes=[
        "What the correction assumes: whether a customer answers depends only on what the model sees (segment, "
        "region, contract, acquisition and survey channel, tenure, recent scores, earlier NPS answers, response "
        "history). Silence driven by dissatisfaction that shows nowhere in that history is not corrected."])
    result.headlines.append(spec("nps_raw").headline(
        fit.raw_.value, ci_low=fit.raw_.ci_low, ci_high=fit.raw_.ci_high, n=fit.raw_.n, months=nps_window_months,
        note=f"{window}; 95% adjusted-Wald interval"))
    result.headlines.append(spec("nps_ipw").headline(
        fit.value_, ci_low=fit.ci_low_, ci_high=fit.ci_high_, n=fit.n_respondents_, months=nps_window_months,
        note=(f"{window}; inverse-probability weighted, effective n = {fit.effective_n_:,.0f}; assumes answering "
              "depends only on customer data and earlier answers recorded at invitation")))
    return result


def nps_checks(report, *, response_window_days: int = 7, nps_window_months: int = 12) -> SectionResult:
    """Weight diagnostics, trimming and the what-if for silent customers of the corrected NPS."""
    title = "How far to trust the corrected NPS"
    fit = _nps_weighting(report, response_window_days, nps_window_months)
    if fit is None:
        return SectionResult("nps-checks", title, unavailable=report.availability.why_not("relationship_nps") or (
            "the corrected NPS could not be computed (see above)"))
    diagnostics = fit.weight_diagnostics()
    diag_table = Table(diagnostics.reset_index(names="statistic").assign(
        **{c: [number(v, 0 if abs(v) >= 100 else 3) for v in diagnostics[c]] for c in diagnostics.columns}).rename(
        columns={"statistic": "Statistic"}), "Chances of answering and the answers' weights")
    trimming = fit.trimming_effect()
    trim_table = Table(pd.DataFrame({
        "Weights trimmed": trimming["trimming"], "Corrected NPS": [number(v, 1) for v in trimming["nps"]],
        "95% interval": [interval(lo, hi, 1) for lo, hi in zip(trimming["ci_low"], trimming["ci_high"], strict=True)],
        "Effective n": [count(v) for v in trimming["effective_n"]]}), "The corrected NPS with other trimming")
    mnar = fit.mnar_sensitivity()
    mnar_table = Table(pd.DataFrame({
        "Silent customers less likely to recommend by (points)": [number(d, 0) for d in mnar.index],
        "Corrected NPS": [number(v, 1) for v in mnar["nps"]],
        "95% interval": [interval(lo, hi, 1) for lo, hi in zip(mnar["ci_low"], mnar["ci_high"], strict=True)]}),
        "What if silent customers are less happy than similar respondents?")
    answer = (f"The raw NPS ({fit.raw_.value:+.1f}) would be right if silent customers were "
              f"{fit.tipping_point():+.1f} points less likely to recommend than similar respondents; the corrected "
              f"NPS would reach zero at {fit.tipping_point(0.0):+.1f} points.")
    return SectionResult("nps-checks", title, answer=answer, tables=[diag_table, trim_table, mnar_table])


# The sections that read the page's shared frames of the follow-ups: once they have all been shown, the frames are let
# go (ReportContext.cached), so that the silent-customer sections after them do not hold every answer's frame.
_FOLLOWUP_READERS = frozenset({overview, closed_loop, loop_by_group, first_response, sla_over_time, followup_survival})
_ANSWER_READERS = frozenset({followup_effect, followup_checks, followup_speed})
