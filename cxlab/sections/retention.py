"""Sections of the retention and cohorts page: how many customers stay, by cohort, revenue kept, forecast."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from cxlab.headlines import spec
from cxlab.periods import parse_quarter
from cxlab.retention import (
    ShiftedBetaGeometric,
    fit_by,
    plot_cohort_heatmap,
    retention_over_time,
)
from cxlab.sections.formatting import count, interval, number
from cxlab.sections.long_run import survival_10y, survival_10y_sentence
from cxlab.sections.result import Chart, SectionResult, Table, new_chart
from cxlab.survival.km import km_by, survival_at

__all__ = ["HISTORY_QUARTERS", "cohort_retention", "forecast_by_group", "overview", "retention_at",
           "retention_forecast", "revenue_kept"]

HISTORY_QUARTERS = 8


def overview(report, *, pages: str = "retention") -> SectionResult:
    """The quarter, the as-of date and the customers behind a page built on tenure (``pages`` names it)."""
    result = SectionResult("overview", "Report quarter")
    if not report.availability.allows("tenure"):
        result.answer = (f"Report quarter {report.quarter}, figures as of {report.as_of:%d %B %Y}. The data's "
                         f"source records no tenure or churn, so the {pages} sections of this page are skipped.")
        return result
    tenure = report.tenure
    result.answer = (f"Report quarter {report.quarter}, figures as of the end of {report.as_of:%d %B %Y}: "
                     f"{len(tenure):,} customers acquired by then, {int(tenure['churned'].sum()):,} of whom had left "
                     "in a month that had ended by then.")
    return result


def retention_at(report, *, months: int = 12, n_resamples: int = 200) -> SectionResult:
    """Kaplan-Meier share of customers who stay more than ``months`` months, overall and per segment."""
    title = f"Customers still active after {months} months"
    entry = spec("retention")
    if not report.availability.allows("tenure"):
        why = report.availability.why_not("tenure")
        return SectionResult("retention-12m", title, unavailable=why, headlines=[
            entry.headline(None, note=f"not computed: {why}", months=months),
            *(spec(f"retention_change_{c}").headline(None, note=f"not computed: {why}", months=months,
                                                      quarter=report.quarter, reference="an earlier quarter")
              for c in ("prev_quarter", "prev_year"))])
    tenure = report.tenure
    estimate, low, high = survival_at(km_by(tenure), months)
    rows = [("All customers", len(tenure), estimate, low, high)]
    for segment, kmf in km_by(tenure, "segment").items():
        size = int((tenure["segment"] == segment).sum())
        shown = size >= report.min_cell_size
        rows.append((segment, size, *(survival_at(kmf, months) if shown else (np.nan,) * 3)))
    table = pd.DataFrame({
        "Customers": [label for label, *_ in rows],
        "Acquired by the as-of date": [count(size) for _, size, *_ in rows],
        f"Still active after {months} months": [number(100 * e, 1, "%") for *_, e, _, _ in rows],
        "95% interval": [interval(100 * lo, 100 * hi, 1, "%") for *_, lo, hi in rows],
    })
    result = SectionResult("retention-12m", title, tables=[Table(table, "Kaplan-Meier estimates by segment; "
                                                                 "a dash marks groups below the minimum size")])
    quarters = [parse_quarter(report.quarter) - k for k in range(HISTORY_QUARTERS - 1, -1, -1)]
    history = retention_over_time(report.data.customers, as_of_dates=[q.end_time.normalize() for q in quarters],
                                  months=months, n_resamples=n_resamples, seed=0)
    result.headlines.append(entry.headline(100 * estimate, ci_low=100 * low, ci_high=100 * high, n=len(tenure),
                                           note="Kaplan-Meier estimate, 95% interval; n = customers acquired by "
                                                "the as-of date", months=months,
                                           series=[(str(q), 100 * v) for q, v in zip(quarters, history["estimate"],
                                                                                       strict=True)]))
    for comparison, back in (("prev_quarter", 2), ("prev_year", 5)):  # one and four quarters before
        row = history.iloc[-back]
        reference = str(quarters[-back])
        result.headlines.append(spec(f"retention_change_{comparison}").headline(
            100 * row["change"], ci_low=100 * row["change_ci_low"], ci_high=100 * row["change_ci_high"],
            n=len(tenure), months=months, quarter=report.quarter, reference=reference,
            note=(f"{report.quarter} minus {reference}, each as known at its quarter's end; 95% bootstrap interval "
                  f"over customers ({n_resamples} resamples)")))
    if np.isnan(estimate):
        result.answer = f"No customer has been observed for {months} months yet."
    else:
        result.answer = (f"{100 * estimate:.1f}% of customers stay more than {months} months (95% interval "
                         f"{interval(100 * low, 100 * high, 1, '%')}, {len(tenure):,} customers).")
    return result


def _cohorts(report, period: str) -> pd.DataFrame:
    """Cohort retention with revenue when available, small cohorts suppressed (built once per run).

    The engine aggregates the revenue table (:meth:`cxlab.engine.Engine.cohort_table`), so the page need not load it.
    """
    def build():
        table = report.engine.cohort_table(cohort="quarter", period=period, as_of=report.as_of,
                                           revenue=report.availability.allows("revenue"))
        small = table["cohort_size"] < report.min_cell_size
        values = [c for c in table.columns if c.endswith("retention")]
        table[values] = table[values].astype(float).mask(small)
        return table.assign(suppressed=small)
    return report.cached(("cohorts", period), build)


def cohort_retention(report, *, period: str = "quarter") -> SectionResult:
    """Heatmap of the share of each acquisition cohort still active after each period."""
    title = "Retention by acquisition cohort"
    if not report.availability.allows("tenure"):
        return SectionResult("cohort-retention", title, unavailable=report.availability.why_not("tenure"))
    table = _cohorts(report, period)
    figure, ax = new_chart(9, 6)
    plot_cohort_heatmap(table, value="logo_retention", ax=ax)
    reached = table.dropna(subset=["logo_retention"])
    newest = reached["cohort"].max()
    return SectionResult("cohort-retention", title, charts=[Chart(
        figure, f"Heatmap of the share of each quarterly acquisition cohort still active after each {period}, "
                f"from the oldest cohort to {newest}; blank cells are {period}s a cohort has not reached yet.")])


def revenue_kept(report, *, months: int = 12, period: str = "quarter") -> SectionResult:
    """Net and gross revenue retention after ``months`` months, pooled, and net revenue retention per cohort."""
    title = "Revenue retention"
    entry = spec("nrr")
    if not report.availability.allows("tenure", "revenue"):
        why = report.availability.why_not("tenure", "revenue")
        return SectionResult("revenue-retention", title, unavailable=why,
                             headlines=[entry.headline(None, note=f"not computed: {why}", months=months)])
    pooled = report.engine.revenue_retention(months=months, as_of=report.as_of)
    net, gross = pooled.loc["net_revenue_retention"], pooled.loc["gross_revenue_retention"]
    small = net["n"] < report.min_cell_size
    labels = {"net_revenue_retention": "Net revenue retention (growth included)",
              "gross_revenue_retention": "Gross revenue retention (growth capped)"}
    table = pd.DataFrame({
        "Measure": [labels[m] for m in pooled.index],
        f"After {months} months": [None if small else number(100 * v, 1, "%") for v in pooled["estimate"]],
        "95% interval": [None if small else interval(100 * lo, 100 * hi, 1, "%")
                         for lo, hi in zip(pooled["ci_low"], pooled["ci_high"], strict=True)],
        "Customers": [count(n) for n in pooled["n"]],
    })
    figure, ax = new_chart(9, 6)
    plot_cohort_heatmap(_cohorts(report, period), value="net_revenue_retention", ax=ax, cmap="cividis")
    result = SectionResult("revenue-retention", title, tables=[Table(table, f"Revenue in month {months + 1} "
                                                                     "after joining vs month 1")],
                           charts=[Chart(figure, f"Heatmap of each quarterly cohort's revenue after each {period} "
                                                 "as a share of its first full month's revenue.")])
    result.headlines.append(entry.headline(
        np.nan if small else 100 * net["estimate"], ci_low=np.nan if small else 100 * net["ci_low"],
        ci_high=np.nan if small else 100 * net["ci_high"], n=int(net["n"]), months=months,
        note=(f"suppressed: fewer than {report.min_cell_size} customers" if small else
              f"revenue in month {months + 1} vs month 1 after joining; 95% interval")))
    if small:
        result.answer = f"Fewer than {report.min_cell_size} customers have been with us long enough to measure it."
    else:
        result.answer = (f"Customers keep bringing in {100 * net['estimate']:.1f}% of their starting revenue after "
                         f"{months} months, growth included (95% interval "
                         f"{interval(100 * net['ci_low'], 100 * net['ci_high'], 1, '%')}); without growth it is "
                         f"{100 * gross['estimate']:.1f}% ({int(net['n']):,} customers).")
    return result


def retention_forecast(report, *, projection_months: int = 120, n_resamples: int = 2000,
                       survival_tail: str = "geometric") -> SectionResult:
    """Shifted-beta-geometric retention model (parameters, fit to the observed curve) and the run's ten-year figure.

    Beyond the observed months the page states the report's one ten-year figure
    (:func:`cxlab.sections.long_run.survival_10y` under ``survival_tail``), not the model's own
    extrapolation, so the retention, churn and economics pages agree; the model is shown where it
    can be checked against observation.
    """
    title = "Forecasting retention: the shifted-beta-geometric model"
    long_run = replace(survival_10y(report, survival_tail), section="sbg")
    if not report.availability.allows("tenure", "churn"):
        return SectionResult("sbg", title, unavailable=report.availability.why_not("tenure", "churn"),
                             headlines=[long_run])
    tenure = report.tenure
    model = ShiftedBetaGeometric().fit_from_tenure(tenure["tenure_months"], tenure["churned"],
                                                   label="all customers (monthly periods)")
    result = SectionResult("sbg", title, headlines=[long_run])
    if not model.converged_:
        result.answer = ("No forecast from this model: on these data its two parameters cannot be pinned down (the "
                         "fit did not converge, or one constant monthly churn probability fits as well). The "
                         "Kaplan-Meier retention above does not depend on it. "
                         + survival_10y_sentence(long_run, survival_tail)).strip()
        return result
    ci = model.confidence_intervals_
    for key in ("alpha", "beta"):
        result.headlines.append(spec(f"sbg_{key}").headline(
            getattr(model, f"{key}_"), ci_low=ci.loc[key].iloc[0], ci_high=ci.loc[key].iloc[1],
            n=model.n_customers_, note="maximum likelihood, 95% interval"))
    projection = model.projection(projection_months, n_resamples=n_resamples, seed=0)
    observed_months = int(projection["observed"].last_valid_index() or 1)
    horizons = [m for m in (12, 24, 36, 60, 120) if m <= min(projection_months, observed_months)]
    rows = projection.loc[horizons]
    result.tables.append(Table(pd.DataFrame({
        "Months after joining": horizons,
        "Model: still active": [number(100 * v, 1, "%") for v in rows["survival"]],
        "Model: 95% interval": [interval(100 * lo, 100 * hi, 1, "%")
                                for lo, hi in zip(rows["survival_ci_low"], rows["survival_ci_high"], strict=True)],
        "Observed": [number(100 * v, 1, "%") for v in rows["observed"]],
    }), "Share of new customers still active: the model against observation, over the observed months"))
    shown_months = min(projection_months, observed_months)
    figure, ax = new_chart()
    model.plot_projection(shown_months, period_label="months", n_resamples=n_resamples, seed=0, ax=ax)
    result.charts.append(Chart(figure, f"The model's share of customers still active over the {shown_months} "
                                       "observed months follows the observed share."))
    mean_churn = model.alpha_ / (model.alpha_ + model.beta_)
    after_1, after_12, after_36 = (100 * float(model.retention_rate(t)) for t in (2, 13, 37))
    result.answer = (
        f"A new customer's average chance of leaving in a month is {100 * mean_churn:.1f}%. Among customers who have "
        f"stayed 1, 12 and 36 months the model expects monthly retention of {after_1:.1f}%, "
        f"{after_12:.1f}% and {after_36:.1f}%: the longer "
        f"customers have stayed, the likelier they are to stay. " + survival_10y_sentence(long_run, survival_tail)
    ).strip()
    result.technical.append(f"Model parameters: alpha {model.alpha_:.3f} ({interval(*ci.loc['alpha'], 3)}), beta "
                        f"{model.beta_:.2f} ({interval(*ci.loc['beta'], 2)}); {model.n_customers_:,} customers.")
    return result


def forecast_by_group(report) -> SectionResult:
    """The retention model per segment and per year of acquisition."""
    title = "By segment and by year of acquisition"
    if not report.availability.allows("tenure", "churn"):
        return SectionResult("sbg-groups", title, unavailable=report.availability.why_not("tenure", "churn"))
    tenure = report.tenure
    result = SectionResult("sbg-groups", title)
    for column, label, frame in (
            ("segment", "Segment", tenure),
            ("acquired_year", "Year of acquisition",
             tenure.assign(acquired_year=tenure["acquired_at"].dt.year.astype(str)))):
        fits = fit_by(frame, column).reset_index()
        shown = (fits["n"] >= report.min_cell_size) & fits["converged"]
        result.tables.append(Table(pd.DataFrame({
            label: fits[column],
            "Customers": [count(n) for n in fits["n"]],
            "Churned": [count(n) for n in fits["churned"]],
            "New customer's monthly churn": [
                number(100 * a / (a + b), 2, "%") if ok else None
                for a, b, ok in zip(fits["alpha"], fits["beta"], shown, strict=True)],
            "alpha (95% interval)": [f"{a:.3f} ({interval(lo, hi, 3)})" if ok else None for a, lo, hi, ok in
                                     zip(fits["alpha"], fits["alpha_ci_low"], fits["alpha_ci_high"], shown,
                                         strict=True)],
            "beta (95% interval)": [f"{b:.2f} ({interval(lo, hi, 2)})" if ok else None for b, lo, hi, ok in
                                    zip(fits["beta"], fits["beta_ci_low"], fits["beta_ci_high"], shown, strict=True)],
        }), f"Retention model by {label.lower()}; a dash: fewer than {report.min_cell_size} customers or no fit"))
    return result
