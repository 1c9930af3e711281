"""Sections of the touchpoints and drivers page: the journey's scorecard, a dated intervention, key drivers."""

from __future__ import annotations

import pandas as pd

from cxlab import drivers, touchpoints
from cxlab.headlines import spec
from cxlab.periods import parse_quarter
from cxlab.sections.formatting import count, interval, number
from cxlab.sections.result import Chart, SectionResult, Table, new_chart, new_figure
from cxlab.survival.wording import format_p

__all__ = ["NO_DRIVERS", "READ_COLUMNS", "TREND_QUARTERS", "csat_trend", "importance_map", "intervention",
           "key_drivers", "overview", "touchpoint_scorecard"]

TREND_QUARTERS = 8
NO_DRIVERS = "the data has no overall answers (NPS or satisfied) with touchpoint ratings"
# the survey columns the page's analyses of answered rows read
READ_COLUMNS = ("customer_id", "touchpoint", "sent_at", "nps", "csat", "ces", *drivers.OUTCOMES)


def _rated(report) -> bool:
    """True when some transactional touchpoint has CSAT answers (known at the as-of date)."""
    return report.availability.allows("surveys") and bool(len(report.survey_cells.by_quarter["csat"].counts))


def _card(report) -> pd.DataFrame:
    """Touchpoint scorecard of the last two years (built once per run)."""
    quarters = [str(parse_quarter(report.quarter) - k) for k in range(TREND_QUARTERS - 1, -1, -1)]
    return report.cached("journey_card", lambda: touchpoints.scorecard_from_cells(
        report.survey_cells, quarters=quarters, min_cell_size=report.min_cell_size))


def overview(report) -> SectionResult:
    """The quarter and the as-of date of the page."""
    return SectionResult("overview", "Report quarter", answer=(
        f"Report quarter {report.quarter}, answers received by the end of {report.as_of:%d %B %Y}; groups with fewer "
        f"than {report.min_cell_size} answers are not shown."))


def touchpoint_scorecard(report) -> SectionResult:
    """Invitations, responses, response rate, CSAT and CES of each touchpoint in the quarter."""
    title = "Touchpoint scorecard for the quarter"
    if not report.availability.allows("surveys"):
        return SectionResult("scorecard", title, unavailable=report.availability.why_not("surveys"))
    card = _card(report)
    quarter = card[card["quarter"] == report.quarter]
    table = pd.DataFrame({
        "Touchpoint": quarter["touchpoint"],
        "Invitations": [count(n) for n in quarter["invitations"]],
        "Answers": [count(n) for n in quarter["responses"]],
        "Response rate": [number(v, 1, "%") for v in quarter["response_rate"]],
        "CSAT (share satisfied)": [number(v, 1, "%") for v in quarter["csat"]],
        "CSAT 95% interval": [interval(lo, hi, 1, "%") for lo, hi in
                              zip(quarter["csat_ci_low"], quarter["csat_ci_high"], strict=True)],
        "CES (1-7, lower is easier)": [number(v, 2) for v in quarter["ces"]],
        "CES 95% interval": [interval(lo, hi, 2) for lo, hi in
                             zip(quarter["ces_ci_low"], quarter["ces_ci_high"], strict=True)],
    })
    return SectionResult("scorecard", title, tables=[Table(table, (
        f"{report.quarter}; intervals allow for customers answering more than once; a dash: not asked at this "
        f"touchpoint or fewer than {report.min_cell_size} answers"))])


def csat_trend(report) -> SectionResult:
    """Each touchpoint's share of satisfied answers per quarter over two years."""
    title = "CSAT over the last two years"
    if not _rated(report):
        return SectionResult("csat-trend", title, unavailable="the data has no transactional survey answers (CSAT)")
    card = _card(report)
    figure = new_figure(12, 6)
    touchpoints.plot_trend_panels(card, metric="csat", figure=figure)
    quarters = sorted(card["quarter"].unique())
    return SectionResult("csat-trend", title, charts=[Chart(
        figure, f"Share of satisfied answers, one small chart per touchpoint, for each quarter from {quarters[0]} to "
                f"{quarters[-1]}, with 95% intervals.")])


def _intervention_gap(report, touchpoint: str, date: pd.Timestamp, window_months: int) -> str:
    """Why the intervention cannot be assessed ("" when it can)."""
    if not _rated(report):
        return "no touchpoint ratings at all"
    if date >= report.as_of:
        return f"the intervention date {date.date()} is not before the as-of date"
    answers = report.answered(READ_COLUMNS, touchpoints=touchpoint)
    sent = pd.to_datetime(answers.loc[answers["csat"].notna(), "sent_at"])
    window = pd.DateOffset(months=window_months)
    before = int(((sent >= date - window) & (sent < date)).sum())
    after = int(((sent >= date) & (sent < date + window) & (sent <= report.as_of)).sum())
    if min(before, after) < report.min_cell_size:
        return f"{before} before and {after} after; {report.min_cell_size} needed on each side"
    return ""


def intervention(report, *, touchpoint: str = "invoicing", date: str = "2022-04-01",
                 window_months: int = 12) -> SectionResult:
    """Share satisfied in the months before and after a dated change at one touchpoint."""
    title = f"Did the {touchpoint} redesign work?"
    date = pd.Timestamp(date)
    entry = spec("invoicing_change")
    gap = _intervention_gap(report, touchpoint, date, window_months)
    if gap:
        return SectionResult("intervention", title,
                             unavailable=f"the data has no {touchpoint} answers on both sides of {date.date()} ({gap})",
                             headlines=[entry.headline(None, note=f"not available: {gap}", touchpoint=touchpoint)])
    answers = report.answered(READ_COLUMNS, touchpoints=touchpoint)
    effect = touchpoints.intervention_effect(answers, date=date, as_of=report.as_of, touchpoint=touchpoint,
                                             window_months=window_months)
    summary = effect.summary
    table = Table(pd.DataFrame({
        "Quantity": summary["quantity"],
        "Estimate": [number(v, 1) for v in summary["estimate"]],
        "95% interval": [interval(lo, hi, 1) for lo, hi in zip(summary["ci_low"], summary["ci_high"], strict=True)],
        "p-value": [None if pd.isna(p) else format_p(p) for p in summary["p_value"]],
        "Answers": [count(n) for n in summary["n"]],
    }), f"Invitations sent {window_months} months before and after {date.date()}")
    figure, ax = new_chart(10, 4.5)
    touchpoints.plot_intervention(effect, ax=ax)
    change = effect.change
    result = SectionResult("intervention", title, answer=(
        f"{touchpoint.capitalize()} satisfaction was {effect.after.value:.1f}% in the {window_months} months after "
        f"{date.date()} against {effect.before.value:.1f}% before: {change.estimate:+.1f} percentage points "
        f"(95% interval {interval(change.ci_low, change.ci_high)}, {format_p(change.p_value)})."),
        tables=[table], charts=[Chart(figure, f"Monthly share of satisfied {touchpoint} answers before and after "
                                              f"{date.date()}, with the fitted trend on each side.")])
    result.headlines.append(entry.headline(
        change.estimate, ci_low=change.ci_low, ci_high=change.ci_high, n=effect.before.n + effect.after.n,
        touchpoint=touchpoint,
        note=(f"{effect.after.value:.1f}% vs {effect.before.value:.1f}% satisfied, {window_months} months after vs "
              f"before {date.date()}; p = {change.p_value:.3g}; 95% Newcombe interval clustered by customer")))
    return result


def _driver_analysis(report, outcome: str, window_days: int, history_months: int, missing: str,
                     n_resamples: int):
    """The key-driver fit and the notes on what was left out (None when there is too little to fit)."""
    if "surveys" in report.queried:
        together = report.engine.asked_together(outcome=outcome)
        answers = report.engine.driver_frame(as_of=report.as_of, window_days=window_days, outcome=outcome,
                                             same_questionnaire=together)
    else:
        together = drivers.asked_together(report.data.surveys, outcome=outcome)
        answers = drivers.driver_frame(report.data.surveys, as_of=report.as_of, window_days=window_days,
                                       outcome=outcome, same_questionnaire=together)
    candidates = answers.attrs["touchpoints"]
    answers = answers[answers["responded_at"] > report.as_of - pd.DateOffset(months=history_months)]
    rated = [tp for tp in candidates if answers[tp].notna().sum() >= report.min_cell_size]
    notes = ([f"Left out (fewer than {report.min_cell_size} answers rated them): "
              f"{', '.join(tp for tp in candidates if tp not in rated)}."] if len(rated) < len(candidates) else [])
    if len(answers) < report.min_cell_size or len(rated) < 2:
        return None, notes
    binary = outcome == "satisfied"
    together_counts = drivers.pairwise_covariance(answers[[outcome, *rated]].to_numpy(dtype=float))[1]
    enough = together_counts.min() >= max(report.min_cell_size, len(rated) + 2)
    rule = missing if enough and not binary else "impute_mean"
    if rule != missing:
        notes.append("Missing touchpoint ratings are set to the touchpoint's average"
                     + (" (a yes/no outcome needs complete rows)." if binary else
                        " (some touchpoints were rarely rated together)."))
    when = "in the same questionnaire" if together else f"in the {window_days} days before"
    fit = drivers.key_drivers(answers, outcome=outcome, drivers=rated, missing=rule, cluster_col="customer_id",
                              n_resamples=n_resamples, performance_label=f"Mean touchpoint rating {when} (1-5)")
    notes.append(f"Outcome: {drivers.OUTCOMES[outcome]}; touchpoint ratings {when}; {fit.n_:,} answers; standard "
                 f"errors: {fit.cov_type_}; importance shares split the {fit.importance_basis_}.")
    return fit, notes


def _available_outcome(report) -> str | None:
    if "surveys" in report.queried:
        return report.engine.available_outcome()
    return drivers.available_outcome(report.data.surveys)


def _fitted(report, outcome: str, window_days: int, history_months: int, missing: str, n_resamples: int):
    """The driver analysis of these parameters, fitted once per run: (fit or None, notes, outcome)."""
    def build():
        chosen = (outcome or _available_outcome(report)) if _rated(report) else None
        if not chosen:
            return None, [], None
        return (*_driver_analysis(report, chosen, window_days, history_months, missing, n_resamples), chosen)
    return report.cached(("drivers", outcome, window_days, history_months, missing, n_resamples), build)


def key_drivers(report, *, outcome: str = "", window_days: int = 180, history_months: int = 24,
                missing: str = "pairwise", n_resamples: int = 200) -> SectionResult:
    """Which touchpoints' ratings explain loyalty, with importance shares and effects."""
    title = "Key drivers of loyalty"
    entry = spec("top_driver")
    fit, notes, outcome = _fitted(report, outcome, window_days, history_months, missing, n_resamples)
    if fit is None:
        return SectionResult("drivers", title, notes=notes, unavailable=NO_DRIVERS,
                             headlines=[entry.headline(None, note="not available")])
    summary = fit.summary
    table = Table(pd.DataFrame({
        "Rank": summary["rank"],
        "Touchpoint": summary["driver"],
        "Share of explained variation": [number(v, 0, "%") for v in summary["importance_share"]],
        "Effect per rating point": [number(v, 2) for v in summary["coefficient"]],
        "95% interval": [interval(lo, hi, 2) for lo, hi in zip(summary["ci_low"], summary["ci_high"], strict=True)],
        "p-value": [format_p(p) for p in summary["p_value"]],
        "Mean rating": [number(v, 2) for v in summary["mean_performance"]],
        "Answers": [count(n) for n in summary["n"]],
    }), f"General dominance: shares of R² = {fit.r2_:.2f}")
    top = summary.iloc[0]
    result = SectionResult("drivers", title, answer=(
        f"{top['driver']} matters most: {top['importance_share']:.0f}% of the explained variation in "
        f"{drivers.OUTCOMES[outcome]}."), tables=[table], notes=notes)
    result.headlines.append(entry.headline(
        top["driver"], n=fit.n_,
        note=(f"{top['importance_share']:.0f}% of the explained variation in {drivers.OUTCOMES[outcome]} "
              f"(R² = {fit.r2_:.2f}); answers of the {history_months} months to {report.as_of.date()}")))
    return result


def importance_map(report, *, outcome: str = "", window_days: int = 180, history_months: int = 24,
                   missing: str = "pairwise", n_resamples: int = 200) -> SectionResult:
    """Each touchpoint's importance for loyalty against its mean rating (the same fit as :func:`key_drivers`)."""
    title = "Importance against performance"
    fit, _, _ = _fitted(report, outcome, window_days, history_months, missing, n_resamples)
    if fit is None:
        return SectionResult("importance-map", title, unavailable=NO_DRIVERS)
    figure, ax = new_chart(9, 6)
    fit.plot_importance_performance(ax=ax, title=f"Touchpoints: importance vs rating (n = {fit.n_:,} answers)")
    return SectionResult("importance-map", title, charts=[Chart(
        figure, "Each touchpoint placed by its mean rating (right = better) and its importance for loyalty "
                "(up = more); the dashed lines mark the averages.")])
