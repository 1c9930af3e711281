"""Sections of the churn survival page: how long customers stay, who leaves faster, and what drives it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from cxlab.headlines import spec
from cxlab.sections import retention
from cxlab.sections.formatting import count, interval, number
from cxlab.sections.long_run import long_run_curve, survival_10y, survival_10y_sentence, tail_words
from cxlab.sections.result import Chart, SectionResult, Table, new_chart
from cxlab.survival import (
    fit_cox,
    fit_parametric,
    fit_time_varying_cox,
    km_by,
    km_summary,
    logrank_table,
    plot_extrapolation,
    plot_hazard_ratios,
    plot_km,
    time_varying_frame,
)
from cxlab.survival.wording import SHORT_LABELS, format_p

__all__ = ["COX_COVARIATES", "GROUP_NAMES", "RMST_MONTHS", "TIMES_MONTHS", "answerers_vs_silent",
           "beyond_observed_window", "by_nps_category", "by_segment_and_contract", "churn_drivers",
           "followed_up_detractors", "how_long_customers_stay", "overview", "proportional_hazards"]

TIMES_MONTHS = (12, 24, 36)
RMST_MONTHS = 36
COX_COVARIATES = ["nps_category", "followup", "ces", "segment", "contract"]
FOLLOWUP_TERM = "followup"
# the effect of a follow-up is estimated once, on the feedback-loop page (cxlab.sections.loop.followup_effect)
FOLLOWUP_REFERENCE = ("The effect of calling a detractor back on churn is estimated once, on the feedback-loop page "
                      "(a causal estimate); here the follow-up only adjusts the other ratios.")
GROUP_NAMES = {"detractor": "Detractors (0-6)", "passive": "Passives (7-8)", "promoter": "Promoters (9-10)",
               "no_response": "No answer yet"}
_MEASURES = {"median tenure": "Median tenure", "survival": "Still active after {h:g} months",
             "rmst": "Average months stayed of the first {h:g}"}


def overview(report) -> SectionResult:
    """The quarter, the as-of date and the customers behind the page."""
    return retention.overview(report, pages="survival")


def _summary_table(summary: pd.DataFrame, group_label: str | None) -> Table:
    """km_summary as a table for people: one row per group, one column per measure, each "value (interval)"."""
    def cell(row) -> str | None:
        percent = row["unit"] == "share"
        scale = 100 if percent else 1
        value = number(scale * row["estimate"], 1, "%" if percent else "")
        bounds = interval(scale * row["ci_low"], scale * row["ci_high"], 1, "%" if percent else "")
        return value if value is None or bounds is None else f"{value} ({bounds})"

    columns = {}
    for row in summary.itertuples(index=False):
        measure = _MEASURES[row.measure].format(h=row.horizon_months)
        if row.measure != "survival":
            measure += " (months)"
        group = columns.setdefault(row.group, {"Customers": count(row.n)})
        group[measure] = cell(row._asdict())
    frame = pd.DataFrame.from_dict(columns, orient="index")
    frame.insert(0, group_label or "Customers in", [GROUP_NAMES.get(g, g) for g in frame.index])
    return Table(frame.reset_index(drop=True), "Estimate (95% interval); a dash: not reached, not observed yet, or "
                                               "a group below the minimum size")


def _km_chart(curves, report, title: str, alt: str) -> Chart:
    figure, ax = new_chart()
    plot_km(curves, ax=ax, min_cell_size=report.min_cell_size, title=title)
    return Chart(figure, alt)


def how_long_customers_stay(report) -> SectionResult:
    """Kaplan-Meier curve of all customers: median tenure, survival at 12/24/36 months, RMST."""
    title = "How long customers stay"
    keys = ("median_tenure", "survival_24m", "rmst_36m")
    if not report.availability.allows("tenure"):
        why = report.availability.why_not("tenure")
        return SectionResult("overall", title, unavailable=why,
                             headlines=[spec(k).headline(None, note=f"not computed: {why}") for k in keys])
    curve = km_by(report.tenure)
    summary = km_summary(curve, times_months=TIMES_MONTHS, rmst_months=RMST_MONTHS,
                         min_cell_size=report.min_cell_size)
    result = SectionResult("overall", title, answer=" ".join(summary["sentence"]),
                           tables=[_summary_table(summary, None)],
                           charts=[_km_chart(curve, report, f"Share of customers still active by tenure, as of "
                                                            f"{report.as_of:%Y-%m-%d}",
                                             "The share of customers still active falls with each month of tenure; "
                                             "the band is its 95% interval.")])
    median = summary[summary["measure"] == "median tenure"].iloc[0]
    result.headlines.append(spec("median_tenure").headline(
        median["estimate"], ci_low=median["ci_low"], ci_high=median["ci_high"], n=median["n"],
        note=("not reached: fewer than half of the customers have churned so far"
              if median["note"] == "not reached" else median["note"])))
    at_24 = summary[(summary["measure"] == "survival") & (summary["horizon_months"] == 24)].iloc[0]
    result.headlines.append(spec("survival_24m").headline(
        100 * at_24["estimate"], ci_low=100 * at_24["ci_low"], ci_high=100 * at_24["ci_high"], n=at_24["n"],
        note=at_24["note"]))
    rmst = summary[summary["measure"] == "rmst"].iloc[0]
    result.headlines.append(spec("rmst_36m").headline(
        rmst["estimate"], ci_low=rmst["ci_low"], ci_high=rmst["ci_high"], n=rmst["n"], note=rmst["note"]))
    return result


def _comparison(report, frame: pd.DataFrame, column: str, label: str, what: str) -> tuple[list, list, str, list]:
    """Table, chart, log-rank sentence and log-rank table (technical) comparing ``column``'s Kaplan-Meier curves."""
    curves = km_by(frame, column)
    summary = km_summary(curves, times_months=TIMES_MONTHS, rmst_months=RMST_MONTHS,
                         min_cell_size=report.min_cell_size)
    tests = logrank_table(frame, column, min_cell_size=report.min_cell_size, group_label=what)
    tables, technical = [_summary_table(summary, label)], []
    if len(tests) > 1:
        technical.append(Table(pd.DataFrame({
            "Comparison": ["all groups" if kind == "overall" else f"{a} vs {b}" for kind, a, b in
                           zip(tests["comparison"], tests["group_a"], tests["group_b"], strict=True)],
            "Test statistic": [number(x, 1) for x in tests["test_statistic"]],
            "p-value (Holm-adjusted)": [format_p(p) for p in tests["p_holm"].fillna(tests["p"])],
        }), "Log-rank tests: all groups at once, then each pair"))
    chart = _km_chart(curves, report, f"Share still active by {what}",
                      f"One survival curve per {label.lower()}: the lower a curve, the faster that group leaves.")
    sentence = tests["sentence"].iloc[0] if len(tests) else ""
    return tables, [chart], sentence, technical


def by_segment_and_contract(report) -> SectionResult:
    """Survival per segment and per contract type, with log-rank tests."""
    title = "By segment and contract"
    if not report.availability.allows("tenure"):
        return SectionResult("by-segment", title, unavailable=report.availability.why_not("tenure"))
    result = SectionResult("by-segment", title)
    sentences = []
    for column, label, what in (("segment", "Segment", "segments"), ("contract", "Contract", "contract types")):
        tables, charts, sentence, technical = _comparison(report, report.tenure, column, label, what)
        result.tables += tables
        result.charts += charts
        result.technical += technical
        sentences.append(sentence)
    result.answer = " ".join(s for s in sentences if s)
    return result


def _landmark_unavailable(report, landmark_months: int) -> str:
    if not report.availability.allows("tenure", "surveys"):
        return report.availability.why_not("tenure", "surveys")
    if report.landmark(landmark_months).empty:
        return f"customers still active after {landmark_months} months"
    return ""


def by_nps_category(report, *, landmark_months: int = 6) -> SectionResult:
    """Survival after a landmark by the NPS category known at the landmark."""
    title = "By NPS category"
    why = _landmark_unavailable(report, landmark_months)
    if why:
        return SectionResult("by-nps", title, unavailable=why)
    tables, charts, sentence, technical = _comparison(report, report.landmark(landmark_months), "nps_category",
                                                      "NPS category", "NPS categories")
    return SectionResult("by-nps", title, answer=sentence, tables=tables, charts=charts, technical=technical,
                         notes=[f"Customers still active after {landmark_months} months, described by their latest "
                                "relationship answer given by then."])


def followed_up_detractors(report, *, landmark_months: int = 6) -> SectionResult:
    """Survival of detractors whose follow-up had been answered at the landmark vs those not reached."""
    title = "Detractors who were called back"
    why = _landmark_unavailable(report, landmark_months) or (
        "" if report.availability.allows("cases") else report.availability.why_not("cases"))
    if why:
        return SectionResult("followup", title, unavailable=why)
    landmark = report.landmark(landmark_months)
    detractors = landmark[landmark["nps_category"] == "detractor"].assign(
        follow_up=lambda d: np.where(d["followup"] == 1, "followed up", "not followed up"))
    if detractors.empty or detractors["churned"].sum() == 0:
        return SectionResult("followup", title, unavailable="detractor at the landmark who later churned")
    tables, charts, sentence, technical = _comparison(report, detractors, "follow_up", "Detractors",
                                                      "followed-up and not followed-up detractors")
    return SectionResult("followup", title, answer=sentence, tables=tables, charts=charts, technical=technical,
                         notes=["Follow-ups are not assigned at random (coverage differs by segment): this is an "
                                "association; the hazard ratios below compare like with like."])


def answerers_vs_silent(report, *, landmark_months: int = 6) -> SectionResult:
    """Survival after the landmark of customers who had answered a survey vs those who never had."""
    title = "Customers who answer surveys and those who stay silent"
    why = _landmark_unavailable(report, landmark_months)
    if why:
        return SectionResult("silent", title, unavailable=why)
    frame = report.landmark(landmark_months).assign(
        answered=lambda d: np.where(d["responded"] == 1, "answered a survey", "never answered"))
    tables, charts, sentence, technical = _comparison(report, frame, "answered", "Survey answers",
                                                      "survey answerers and silent customers")
    return SectionResult("silent", title, answer=sentence, tables=tables, charts=charts, technical=technical)


def _ratio_table(model, min_cell_size: int) -> Table:
    ratios = model.hazard_ratios_.reset_index()
    small = ratios["n"] < min_cell_size
    return Table(pd.DataFrame({
        "Customers who are": [SHORT_LABELS.get(t, f"{c}: {lv}" if isinstance(lv, str) and lv else c)
                              + (" (adjustment only, see the feedback-loop page)" if t == FOLLOWUP_TERM else "")
                              for t, c, lv in zip(ratios["term"], ratios["covariate"], ratios["level"], strict=True)],
        "Compared with": [r if isinstance(r, str) and r else None for r in ratios["reference"]],
        "Hazard ratio": [None if s else number(v, 2) for v, s in zip(ratios["hazard_ratio"], small, strict=True)],
        "95% interval": [None if s else interval(lo, hi, 2)
                         for lo, hi, s in zip(ratios["ci_low"], ratios["ci_high"], small, strict=True)],
        "p-value": [None if s else format_p(p) for p, s in zip(ratios["p"], small, strict=True)],
        "Customers": [count(n) for n in ratios["n"]],
        "Churned": [count(n) for n in ratios["events"]],
    }), f"Hazard ratio vs the reference group; a dash: fewer than {min_cell_size} customers")


def churn_drivers(report) -> SectionResult:
    """Time-varying Cox model: hazard ratios of the experience known at the start of each month."""
    title = "What drives churn: hazard ratios"
    keys = {"hr_detractor": "nps_category[detractor]"}
    if not report.availability.allows("tenure", "churn"):
        why = report.availability.why_not("tenure", "churn")
        return SectionResult("cox", title, unavailable=why,
                             headlines=[spec(k).headline(None, note=f"not estimated: {why}") for k in keys])
    if report.availability.allows("surveys"):
        frame = time_varying_frame(report.data.customers, report.answered_data.surveys, report.answered_data.cases,
                                   as_of=report.as_of)
        model = fit_time_varying_cox(frame, covariates=COX_COVARIATES)
        kind = "time-varying Cox model"
    else:
        model = fit_cox(report.tenure, covariates=["segment", "contract"])
        kind = "Cox model"
    ratios = model.hazard_ratios_
    figure, ax = new_chart()
    plot_hazard_ratios(model, ax=ax, title="How much faster each group churns (hazard ratio, 95% interval)")
    shown = ratios[(ratios["n"] >= report.min_cell_size) & (ratios.index != FOLLOWUP_TERM)]
    answer = " ".join(shown["sentence"])
    if FOLLOWUP_TERM in ratios.index:
        answer += (" " + FOLLOWUP_REFERENCE)
    chart = Chart(figure, "Hazard ratios with their 95% intervals; a ratio above 1 means faster churn than the "
                          "reference group.")
    result = SectionResult(
        "cox", title, answer=answer.strip(), charts=[chart],
        technical=[_ratio_table(model, report.min_cell_size), *model.warnings_],
        notes=["This model follows each customer's latest answers month by month and answers 'how much faster do "
               "customers churn while in this state'; the landmark comparisons above answer 'how do customers in "
               "this state at one tenure fare afterwards', so their ratios differ."])
    for key, term in keys.items():
        if term not in ratios.index:
            why = "no survey answers" if not report.availability.allows("surveys") else "no variation in the data"
            result.headlines.append(spec(key).headline(None, note=f"not estimated: {why}"))
            continue
        row = ratios.loc[term]
        small = row["n"] < report.min_cell_size
        result.headlines.append(spec(key).headline(
            np.nan if small else row["hazard_ratio"], ci_low=np.nan if small else row["ci_low"],
            ci_high=np.nan if small else row["ci_high"], n=int(row["n"]),
            note=(f"suppressed: fewer than {report.min_cell_size} customers" if small else
                  f"{kind}; {int(row['events'])} churn events in the group")))
    return result


def proportional_hazards(report, *, landmark_months: int = 6) -> SectionResult:
    """Grambsch-Therneau test of each hazard ratio's constancy over tenure (landmark model)."""
    title = "Is each effect the same at every tenure?"
    if not report.availability.allows("tenure", "churn"):
        return SectionResult("ph-test", title, unavailable=report.availability.why_not("tenure", "churn"))
    landmark = report.landmark(landmark_months) if report.availability.allows("surveys") else None
    if landmark is not None and len(landmark) and landmark["churned"].sum() > 0:
        model = fit_cox(landmark, covariates=COX_COVARIATES, entry_col="landmark_months")
    else:
        model = fit_cox(report.tenure, covariates=["segment", "contract"])
    table = model.check_proportional_hazards()
    changing = table.loc[~table["proportional"], "label"].tolist()
    answer = ("No hazard ratio shows evidence of changing with tenure." if not changing else
              f"The hazard ratio changes with tenure for: {', '.join(changing)}; the reported values are averages "
              "over tenure. The others show no evidence of changing.")
    return SectionResult("ph-test", title, answer=answer, tables=[Table(pd.DataFrame({
        "Term": table["label"],
        "Test statistic": [number(x, 2) for x in table["test_statistic"]],
        "p-value": [format_p(p) for p in table["p"]],
        "Same at every tenure": ["yes" if ok else "no" for ok in table["proportional"]],
    }), "Grambsch-Therneau test (1 degree of freedom per term)")])


def beyond_observed_window(report, *, horizon_months: int = 120, min_at_risk: int = 30,
                           survival_tail: str = "geometric") -> SectionResult:
    """Survival beyond the observed months under the run's one tail model, and how well other curve shapes fit.

    The share still active by year of tenure comes from :func:`cxlab.sections.long_run.long_run_curve`
    with ``survival_tail``, the curve the retention and economics pages use too; the parametric
    shapes (Weibull, log-normal, log-logistic, fitted from ``min_at_risk``) are shown as a check.
    """
    title = "Beyond the observed window"
    long_run = replace(survival_10y(report, survival_tail), section="extrapolation")
    if not report.availability.allows("tenure", "churn"):
        return SectionResult("extrapolation", title, unavailable=report.availability.why_not("tenure", "churn"),
                             headlines=[long_run])
    if long_run.value is None:
        return SectionResult("extrapolation", title, unavailable=long_run.note.removeprefix("not computed: "),
                             headlines=[long_run])
    curve = long_run_curve(report, survival_tail, horizon_months=horizon_months)
    years = curve.summary.loc[list(range(12, horizon_months + 1, 12))]
    fit = fit_parametric(report.tenure, min_at_risk=min_at_risk)
    figure, ax = new_chart()
    plot_extrapolation(fit, horizon_months, ax=ax, title=f"Observed survival and fitted curves up to "
                                                          f"{horizon_months} months")
    aic = fit.table_.reset_index()
    return SectionResult("extrapolation", title, answer=(
        f"Observed through month {curve.window_months}. " + survival_10y_sentence(long_run, survival_tail)).strip(),
        headlines=[long_run],
        tables=[Table(pd.DataFrame({
            "Months after joining": years.index,
            "Still active": [number(100 * v, 1, "%") for v in years["survival"]],
            "95% interval": [interval(100 * lo, 100 * hi, 1, "%") for lo, hi in
                             zip(years["ci_low"], years["ci_high"], strict=True)],
            "Source": ["observed (Kaplan-Meier)" if m <= curve.window_months else f"{curve.tail} tail"
                       for m in years.index],
        }), f"Survival by year of tenure: the report's one curve ({tail_words(survival_tail)})")],
        technical=[Table(pd.DataFrame({
            "Curve": aic["model"], "AIC": [number(v, 1) for v in aic["aic"]],
        }), "Other curve shapes as a check: fit of each (lower AIC fits better; differences above 10 are decisive)"),
            Chart(figure, "The observed survival curve and three fitted shapes that continue it beyond the observed "
                          "window, as a check on the report's tail model.")])
