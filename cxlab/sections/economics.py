"""Sections of the retention economics page: what a retention lift is worth, lifetime value, CAC, and which
assumptions matter.

Every section takes the page's :class:`Settings` (its assumptions and method choices). The costly
estimates several sections share (the customer base, the survival curve, the lift scenario and the
lifetime value under each tail model) are computed once per run and settings. A notebook shows
each section with one call::

    report = open_report("06_retention_economics", data_dir=data_dir, tables=["customers"])
    settings = economics.Settings(gross_margin_share=0.40, retention_lift=0.05)
    report.show(economics.the_answer, settings=settings)
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from cxlab.economics import (
    clv_across_tails,
    clv_by,
    scenario_across_tails,
    unit_economics,
)
from cxlab.economics.acquisition import ALL
from cxlab.economics.at_risk import revenue_at_risk
from cxlab.economics.plots import plot_claim_map, plot_lift_by_year, plot_survival, plot_tornado
from cxlab.economics.scenario import PER_YEAR
from cxlab.economics.sensitivity import (
    CLAIM_HIGH_PCT,
    CLAIM_LOW_PCT,
    OUTCOMES,
    claim_map,
    sensitivity_table,
)
from cxlab.headlines import Headline, spec
from cxlab.sections.formatting import count, interval, money, money_interval, number
from cxlab.sections.long_run import customer_base_of, long_run_curve, survival_10y, survival_10y_sentence
from cxlab.sections.result import Chart, SectionResult, Table, new_chart

__all__ = ["ACQUISITION_KEYS", "ANSWER_KEYS", "COMPARISON", "DEFAULTS", "GROUPINGS", "LIFT_KINDS", "SURVIVAL_MONTHS",
           "TAIL_NAMES", "Settings", "acquisition_cost", "assumptions_and_inputs", "lifetime_value", "lift_by_year",
           "money_at_risk", "overview", "retention_or_acquisition", "survival_curve", "the_answer",
           "where_the_claim_holds", "which_assumptions_matter"]

LIFT_KINDS = {"relative": "relative: every month's churn risk cut by the lift",
              "absolute": "absolute: every year's retention raised by the lift"}
TAIL_NAMES = {"geometric": "Geometric (constant churn)", "sbg": "sBG (shifted-beta-geometric)",
              "best": "Best parametric (lowest AIC)", "weibull": "Weibull", "lognormal": "Log-normal",
              "loglogistic": "Log-logistic"}
SURVIVAL_MONTHS = (12, 24, 36, 60, 120)
GROUPINGS = (("segment", "Segment", "By segment"),
             ("acquisition_channel", "Acquisition channel", "By acquisition channel"),
             ("acquisition_year", "Acquisition year", "By acquisition year (cohort)"))
COMPARISON = ("incremental_discounted_profit", "programme_cost", "acquisition_customers",
              "acquisition_alternative_profit", "retention_minus_acquisition", "breakeven_vs_acquisition",
              "breakeven_programme_cost", "incremental_customer_years", "cost_per_customer_year_retained",
              "acquisition_to_retention_cost_ratio", "breakeven_cost_ratio")
ANSWER_KEYS = ("lift_profit", "lift_profit_pct", "acquisition_alternative_profit")
ACQUISITION_KEYS = ("cac", "ltv_cac", "payback_months")


@dataclass(frozen=True)
class Settings:
    """The economics page's assumptions and method choices (the notebook's parameters of the same names).

    Attributes
    ----------
    gross_margin_share : float
        Share of revenue kept as gross margin.
    annual_discount_rate : float
        Discount rate per year.
    retention_lift : float
        Size of the lift (0.05 means 5%).
    lift_kind : {"relative", "absolute"}
        ``"relative"``: monthly churn x (1 - lift); ``"absolute"``: annual retention + lift points.
    horizon_months : int
        Months projected.
    programme_cost_per_customer_year : float
        Retention programme cost per active customer per year.
    cost_to_serve_per_customer_month : float
        Costs per active customer-month not in the gross margin.
    survival_tail : str
        Extrapolation beyond the data (:data:`cxlab.economics.TAILS`).
    n_resamples, seed : int
        Bootstrap replicates of the survival curve and their seed.
    currency : str
        Currency of the revenue and cost columns.
    """

    gross_margin_share: float = 0.35
    annual_discount_rate: float = 0.10
    retention_lift: float = 0.05
    lift_kind: str = "relative"
    horizon_months: int = 60
    programme_cost_per_customer_year: float = 50.0
    cost_to_serve_per_customer_month: float = 0.0
    survival_tail: str = "geometric"
    n_resamples: int = 500
    seed: int = 0
    currency: str = "EUR"

    def __post_init__(self):
        if self.lift_kind not in LIFT_KINDS:
            raise ValueError(f"lift_kind must be one of {list(LIFT_KINDS)}; got {self.lift_kind!r}")

    @property
    def assumptions(self) -> dict:
        """The keyword arguments of :func:`cxlab.economics.retention_lift_scenario` these settings fix."""
        names = ("gross_margin_share", "annual_discount_rate", "retention_lift", "lift_kind", "horizon_months",
                 "programme_cost_per_customer_year", "cost_to_serve_per_customer_month")
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in names}

    @property
    def lift_words(self) -> str:
        """The lift in words: "a 5% cut in monthly churn" or "5 percentage points more annual retention"."""
        if self.lift_kind == "relative":
            return f"a {100 * self.retention_lift:g}% cut in monthly churn"
        return f"{100 * self.retention_lift:g} percentage points more annual retention"

    @property
    def years(self) -> float:
        """The horizon in years."""
        return self.horizon_months / 12


DEFAULTS = Settings()


# ----- what the data allow -------------------------------------------------------------------------------------


def _missing_curve(report) -> str:
    """Why no survival curve can be drawn ("" when it can)."""
    if not report.availability.allows("tenure", "churn"):
        return report.availability.why_not("tenure", "churn")
    if not report.tenure["churned"].any():
        return "the data has no customer who had churned by the as-of date, so no survival curve can be drawn"
    if int((report.tenure["tenure_months"] >= 1).sum()) < report.min_cell_size:
        return f"the data has no {report.min_cell_size} or more customers observed for at least a month"
    return ""


def _missing_money(report) -> str:
    """Why no money figure can be computed ("" when they can)."""
    return _missing_curve(report) or report.availability.why_not("monthly_revenue_every_customer")


def _missing_cac(report) -> str:
    """Why the acquisition figures cannot be computed ("" when they can)."""
    why = _missing_money(report) or report.availability.why_not("acquisition_costs")
    if why:
        return why
    base = _base(report)
    if not np.isfinite(base.cac):
        return (f"the data has no acquisition costs of the customers acquired in the "
                f"{base.acquisition_window_months:g} months before the as-of date")
    return ""


# ----- estimates several sections share --------------------------------------------------------------------------


def _base(report):
    return customer_base_of(report)


def _curve(report, settings: Settings):
    """The run's survival curve (:func:`cxlab.sections.long_run.long_run_curve`) over the page's horizon."""
    return long_run_curve(report, settings.survival_tail,
                          horizon_months=_base(report).max_tenure_months + settings.horizon_months,
                          n_resamples=settings.n_resamples, seed=settings.seed)


def _scenario(report, settings: Settings):
    return report.cached(("economics", "scenario", settings), lambda: scenario_across_tails(
        _base(report), **settings.assumptions, tail=settings.survival_tail, n_resamples=settings.n_resamples,
        seed=settings.seed, min_at_risk=report.min_cell_size))


def _tails(report, settings: Settings):
    return report.cached(("economics", "tails", settings), lambda: clv_across_tails(
        report.tenure, gross_margin_share=settings.gross_margin_share,
        annual_discount_rate=settings.annual_discount_rate, tail=settings.survival_tail,
        n_resamples=settings.n_resamples, seed=settings.seed, min_at_risk=report.min_cell_size))


def _headline(key: str, settings: Settings, value, **figures) -> Headline:
    """The registered headline of ``key``, its label filled from the settings, money in the report's currency."""
    entry = spec(key)
    headline = entry.headline(value, years=settings.years, lift_words=settings.lift_words, **figures)
    return replace(headline, unit=settings.currency) if entry.unit == "currency" else headline


def _not_computed(keys, settings: Settings, why: str) -> list[Headline]:
    return [_headline(key, settings, None, note=f"not computed: {why}") for key in keys]


def _money(value, low, high, currency: str) -> tuple[str | None, str | None]:
    """A money figure and its interval, both rounded to what the interval supports."""
    return money(value, currency, low=low, high=high), money_interval(low, high, currency)


def _estimate(value, low, high, kind: str) -> str | None:
    """A figure followed by its interval in brackets, ``"1,234 (1,100 to 1,380)"``; kind: money, % or count."""
    if kind == "money":
        shown, bounds = money(value, low=low, high=high), money_interval(low, high)
    elif kind == "%":
        shown, bounds = number(value, 2, "%"), interval(low, high, 2, "%")
    else:
        shown, bounds = number(value, 0), interval(low, high, 0)
    return shown if shown is None or bounds is None else f"{shown} ({bounds})"


# ----- sections ---------------------------------------------------------------------------------------------------


def overview(report, *, settings: Settings = DEFAULTS) -> SectionResult:
    """The quarter, the as-of date, the customers behind the page and its currency.

    Parameters
    ----------
    report : cxlab.sections.ReportContext
        The page's run: data, as-of date, minimum group size, headline recorder.
    settings : Settings
        The page's assumptions and method choices.

    Returns
    -------
    SectionResult
    """
    result = SectionResult("overview", "Report quarter")
    if not report.availability.allows("tenure"):
        result.answer = (f"Report quarter {report.quarter}, figures as of {report.as_of:%d %B %Y}. The data's source "
                         "records no tenure or churn, so the sections of this report that rest on them are skipped.")
        return result
    base = _base(report)
    result.answer = (f"Report quarter {report.quarter}, figures as of {report.as_of:%d %B %Y}: {base.n_customers:,} "
                     f"customers acquired by then, {base.n_active:,} of them active. Amounts in {settings.currency}.")
    return result


def the_answer(report, *, settings: Settings = DEFAULTS) -> SectionResult:
    """What the retention lift adds to discounted profit over the horizon, in one sentence, and what the
    programme's budget would earn on acquisition instead.

    Parameters
    ----------
    report : cxlab.sections.ReportContext
        The page's run: data, as-of date, minimum group size, headline recorder.
    settings : Settings
        The page's assumptions and method choices.

    Returns
    -------
    SectionResult
    """
    title = "The answer"
    why = _missing_money(report)
    if why:
        return SectionResult("answer", title, unavailable=why, headlines=_not_computed(ANSWER_KEYS, settings, why))
    base, scenario = _base(report), _scenario(report, settings)
    total, currency, years = scenario.summary, settings.currency, settings.years
    gain = total.loc["incremental_discounted_profit"]
    pct = total.loc["profit_increase_pct"]
    alternative = total.loc["acquisition_alternative_profit"]
    has_cac = bool(np.isfinite(base.cac))
    gain_text, gain_interval = _money(*gain[["value", "ci_low", "ci_high"]], currency)
    effect = (f"would add {gain_text} (95% interval {gain_interval}) of discounted profit over {years:g} years"
              if gain["value"] >= 0 else f"would change discounted profit over {years:g} years by {gain_text} "
                                         f"(95% interval {gain_interval}), a loss")
    if not np.isfinite(pct["value"]):
        pct_text = "(no percentage: the current course is not profitable over the horizon)"
    elif np.isfinite(pct["ci_low"]) and np.isfinite(pct["ci_high"]):
        pct_text = (f"{pct['value']:+.1f}% (95% interval {pct['ci_low']:+.1f}% to {pct['ci_high']:+.1f}%) versus "
                    "the current course")
    else:
        pct_text = f"{pct['value']:+.1f}% versus the current course"
    cost = settings.programme_cost_per_customer_year
    if cost > 0 and has_cac:
        budget = total.loc["programme_cost"]
        earned, earned_interval = _money(*alternative[["value", "ci_low", "ci_high"]], currency)
        alternative_text = (
            f"; spending the programme's budget ({_money(*budget[['value', 'ci_low', 'ci_high']], currency)[0]}) on "
            f"acquisition at today's cost per new customer would earn {earned} (95% interval {earned_interval})")
    elif cost > 0:
        alternative_text = "; the data have no acquisition costs, so the acquisition alternative is not available"
    else:
        alternative_text = " (the retention programme is assumed to cost nothing)"
    lift = settings.lift_words
    interval_note = scenario.parameters["interval"]
    return SectionResult("answer", title, answer=(
        f"{lift[0].upper() + lift[1:]} {effect}, {pct_text}, net of a retention programme costing "
        f"{money(cost, currency)} per customer per year{alternative_text}."), headlines=[
        _headline("lift_profit", settings, gain["value"], ci_low=gain["ci_low"], ci_high=gain["ci_high"],
                  n=base.n_active, note=f"{interval_note} ({settings.n_resamples} replicates each); net of a "
                                        f"programme cost of {cost:g} {currency} per customer-year; gross margin "
                                        f"{100 * settings.gross_margin_share:g}%, discount rate "
                                        f"{100 * settings.annual_discount_rate:g}% a year"),
        _headline("lift_profit_pct", settings, pct["value"], ci_low=pct["ci_low"], ci_high=pct["ci_high"],
                  n=base.n_active, note="relative to the discounted profit of the current course (after acquisition "
                                        f"spend); {interval_note}"),
        _headline("acquisition_alternative_profit", settings, alternative["value"], ci_low=alternative["ci_low"],
                  ci_high=alternative["ci_high"], n=base.n_cac,
                  note=(f"new customers at today's CAC, valued within the same horizon, minus the budget; "
                        f"{interval_note}, CAC sampling error included" if has_cac
                        else "no acquisition costs in the data")),
    ])


def _input_value(value, unit: str) -> str | None:
    """A data-derived input as shown: money, a count or a number, by its unit."""
    if unit.startswith("currency"):
        return money(value)
    if unit == "customers":
        return count(value)
    if unit:
        return number(value, 1)
    return str(value)


def assumptions_and_inputs(report, *, settings: Settings = DEFAULTS) -> SectionResult:
    """The assumptions the page was run with, and the inputs the data give.

    Parameters
    ----------
    report : cxlab.sections.ReportContext
        The page's run: data, as-of date, minimum group size, headline recorder.
    settings : Settings
        The page's assumptions and method choices.

    Returns
    -------
    SectionResult
    """
    currency = settings.currency
    rows = [
        ("Gross margin share", f"{100 * settings.gross_margin_share:g}%", "share of revenue"),
        ("Annual discount rate", f"{100 * settings.annual_discount_rate:g}%", "per year"),
        ("Retention lift", settings.lift_words, LIFT_KINDS[settings.lift_kind]),
        ("Horizon", f"{settings.horizon_months}", "months"),
        ("Retention programme cost", money(settings.programme_cost_per_customer_year),
         f"{currency} per active customer per year"),
        ("Cost to serve (not in the margin)", money(settings.cost_to_serve_per_customer_month),
         f"{currency} per active customer per month"),
        ("Survival beyond the data", TAIL_NAMES.get(settings.survival_tail, settings.survival_tail), "tail model"),
        ("Headline intervals", "sampling error and tail model", "union of the intervals under each tail model"),
        ("Bootstrap replicates", f"{settings.n_resamples}", f"seed {settings.seed}"),
    ]
    result = SectionResult("assumptions", "Assumptions and inputs", tables=[Table(
        pd.DataFrame(rows, columns=["Assumption", "Value", "Unit"]), "Assumptions (the report's parameters)")])
    why = _missing_money(report)
    if why:
        result.notes.append(f"The inputs from the data are not shown: {why}.")
        return result
    inputs = _base(report).summary
    result.technical.append(Table(pd.DataFrame({
        "Input": inputs.index,
        "Value": [_input_value(v, u) for v, u in zip(inputs["value"], inputs["unit"], strict=True)],
        "Unit": [u.replace("currency", currency) for u in inputs["unit"]],
    }), "What the data say, as of the report's as-of date"))
    return result


def survival_curve(report, *, settings: Settings = DEFAULTS) -> SectionResult:
    """The survival curve every value rests on, the share still active at a few tenures, and the answer under
    each tail model.

    Parameters
    ----------
    report : cxlab.sections.ReportContext
        The page's run: data, as-of date, minimum group size, headline recorder.
    settings : Settings
        The page's assumptions and method choices.

    Returns
    -------
    SectionResult
    """
    title = "How long customers stay: the survival curve used"
    why = _missing_curve(report)
    if why:
        return SectionResult("survival", title, unavailable=why)
    curve = _curve(report, settings)
    long_run = replace(survival_10y(report, settings.survival_tail), section="survival")
    last = min(curve.window_months + settings.horizon_months, curve.horizon_months)
    figure, ax = new_chart(9, 5)
    plot_survival(curve, max_months=curve.window_months + settings.horizon_months, ax=ax)
    chart = Chart(figure, f"The share of customers still active falls to "
                          f"{number(100 * float(curve.survival(last)), 1, '%')} after {last} months; it is measured "
                          f"from the data through month {curve.window_months} and extended by the {curve.tail} tail "
                          "beyond; the band is its 95% interval.")
    points = curve.summary.loc[[m for m in SURVIVAL_MONTHS if m <= curve.horizon_months]]
    # the curve in detail is for the appendix; the page keeps the sentence with the ten-year figure
    result = SectionResult("survival", title, technical=[chart, Table(pd.DataFrame({
        "Months after joining": points.index,
        "Still active": [number(100 * s, 1, "%") for s in points["survival"]],
        "95% interval": [interval(100 * lo, 100 * hi, 1, "%") for lo, hi in
                         zip(points["ci_low"], points["ci_high"], strict=True)],
        "Source": ["data (Kaplan-Meier)" if s == "Kaplan-Meier" else f"extrapolated ({curve.tail} tail)"
                   for s in points["source"]],
    }), "Share of customers still active at a few tenures")], headlines=[long_run],
                           answer=survival_10y_sentence(long_run, settings.survival_tail))
    why = _missing_money(report)
    if why:
        result.notes.append(f"The values under each tail model are not shown: {why}.")
        return result
    tails, scenario, currency = _tails(report, settings), _scenario(report, settings), settings.currency
    lift = scenario.by_tail.loc["incremental_discounted_profit"]
    total = scenario.summary.loc["incremental_discounted_profit"]
    profit = {name: (lift[name], lift[f"{name}_ci_low"], lift[f"{name}_ci_high"])
              for name in scenario.parameters["tails"]}
    profit["headline"] = (total["value"], total["ci_low"], total["ci_high"])
    names = list(tails.index)
    result.technical.append(Table(pd.DataFrame({
        "Tail": [f"Report's figures: {settings.survival_tail} estimate, union of the intervals" if name == "headline"
                 else TAIL_NAMES.get(name, name) for name in names],
        "Model fitted": tails["tail_model"].to_numpy(),
        f"Lifetime value of a new customer ({currency})": [
            money(v, low=lo, high=hi) for v, lo, hi in zip(tails["clv"], tails["clv_ci_low"], tails["clv_ci_high"],
                                                            strict=True)],
        f"Lifetime value, 95% interval ({currency})": [
            money_interval(lo, hi) for lo, hi in zip(tails["clv_ci_low"], tails["clv_ci_high"], strict=True)],
        "Still active after 10 years": [number(100 * s, 1, "%") for s in tails["survival_120"]],
        f"Extra discounted profit, {settings.horizon_months} months ({currency})": [
            money(profit[name][0], low=profit[name][1], high=profit[name][2]) for name in names],
        f"Extra discounted profit, 95% interval ({currency})": [money_interval(*profit[name][1:]) for name in names],
    }), "The answer under each tail model (95% sampling intervals); the last row is the report's"))
    return result


def _mask_small(table: pd.DataFrame, n_col: str, min_cell_size: int, value_cols: list[str]) -> pd.DataFrame:
    """Blank the estimates of groups smaller than ``min_cell_size``."""
    return table.assign(**{c: table[c].astype(float).mask(table[n_col] < min_cell_size) for c in value_cols})


def lifetime_value(report, *, settings: Settings = DEFAULTS) -> SectionResult:
    """Lifetime value of a new customer, overall and by segment, acquisition channel and acquisition year.

    Parameters
    ----------
    report : cxlab.sections.ReportContext
        The page's run: data, as-of date, minimum group size, headline recorder.
    settings : Settings
        The page's assumptions and method choices.

    Returns
    -------
    SectionResult
    """
    title = "Customer lifetime value"
    why = _missing_money(report)
    if why:
        return SectionResult("clv", title, unavailable=why, headlines=_not_computed(["clv"], settings, why))
    tails, currency = _tails(report, settings), settings.currency
    overall = tails.loc["headline"]
    value, value_interval = _money(*overall[["clv", "clv_ci_low", "clv_ci_high"]], currency)
    result = SectionResult("clv", title, answer=(
        f"A new customer brings {value} of discounted margin over their life with us (95% interval "
        f"{value_interval}), at a "
        f"{100 * settings.gross_margin_share:g}% gross margin and a {100 * settings.annual_discount_rate:g}% annual "
        "discount rate."),
        headlines=[_headline("clv", settings, overall["clv"], ci_low=overall["clv_ci_low"],
                             ci_high=overall["clv_ci_high"],
                             n=len(report.tenure),
                             note=f"gross margin {100 * settings.gross_margin_share:g}%, discount rate "
                                  f"{100 * settings.annual_discount_rate:g}% a year, revenue-weighted survival; "
                                  f"{tails.attrs['note']}")])
    cohorts = report.tenure.assign(acquisition_year=report.tenure["acquired_at"].dt.year.astype(str))
    values = ["monthly_margin", "clv", "clv_ci_low", "clv_ci_high", "expected_lifetime_months",
              "residual_value_per_active", "residual_value_per_active_ci_low", "residual_value_per_active_ci_high"]
    for column, label, caption in GROUPINGS:
        table = clv_by(cohorts, by=column, gross_margin_share=settings.gross_margin_share,
                       annual_discount_rate=settings.annual_discount_rate, n_resamples=settings.n_resamples,
                       seed=settings.seed, min_at_risk=report.min_cell_size, tail=settings.survival_tail)
        table = _mask_small(table, "n_customers", report.min_cell_size, values)
        # per channel the acquisition section shows the values against the CAC; young cohorts rest mostly on the
        # extrapolated tail: both tables are detail for the appendix
        shown_in = result.tables if column == "segment" else result.technical
        shown_in.append(Table(pd.DataFrame({
            label: table[column].astype(str),
            "Customers": [count(n) for n in table["n_customers"]],
            "Active": [count(n) for n in table["n_active"]],
            f"Monthly margin ({currency})": [number(m, 0) for m in table["monthly_margin"]],
            f"Lifetime value of a new customer ({currency})": [
                money(v, low=lo, high=hi) for v, lo, hi in zip(table["clv"], table["clv_ci_low"], table["clv_ci_high"],
                                                                strict=True)],
            f"Lifetime value, 95% interval ({currency})": [
                money_interval(lo, hi) for lo, hi in zip(table["clv_ci_low"], table["clv_ci_high"], strict=True)],
            "Expected lifetime (months)": [number(m, 1) for m in table["expected_lifetime_months"]],
            f"Remaining value per active customer ({currency})": [
                money(v, low=lo, high=hi) for v, lo, hi in zip(table["residual_value_per_active"],
                                                                table["residual_value_per_active_ci_low"],
                                                                table["residual_value_per_active_ci_high"],
                                                                strict=True)],
            f"Remaining value, 95% interval ({currency})": [
                money_interval(lo, hi) for lo, hi in zip(table["residual_value_per_active_ci_low"],
                                                         table["residual_value_per_active_ci_high"], strict=True)],
        }), f"{caption}; a dash: a group of fewer than {report.min_cell_size} customers"))
    return result


def acquisition_cost(report, *, settings: Settings = DEFAULTS) -> SectionResult:
    """CAC, lifetime value, LTV/CAC and payback per acquisition channel.

    Parameters
    ----------
    report : cxlab.sections.ReportContext
        The page's run: data, as-of date, minimum group size, headline recorder.
    settings : Settings
        The page's assumptions and method choices.

    Returns
    -------
    SectionResult
    """
    title = "Acquisition cost, payback and LTV/CAC"
    why = _missing_cac(report)
    if why:
        return SectionResult("acquisition", title, unavailable=why,
                             headlines=_not_computed(ACQUISITION_KEYS, settings, why))
    currency = settings.currency
    channels = unit_economics(report.data.customers, as_of=report.as_of,
                              gross_margin_share=settings.gross_margin_share,
                              annual_discount_rate=settings.annual_discount_rate, n_resamples=settings.n_resamples,
                              seed=settings.seed, min_at_risk=report.min_cell_size, tail=settings.survival_tail)
    everyone = channels.loc[ALL]
    shown = _mask_small(channels, "n_cac", report.min_cell_size,
                        [f"{name}{part}" for name in ("clv", "cac", "ltv_cac", "payback_months")
                         for part in ("", "_ci_low", "_ci_high")])

    def column(name, kind):
        return [money(v, low=lo, high=hi) if kind == "money" else number(v, 1 if name == "ltv_cac" else 0)
                for v, lo, hi in zip(shown[name], shown[f"{name}_ci_low"], shown[f"{name}_ci_high"], strict=True)]

    def bounds(name, kind):
        return [money_interval(lo, hi) if kind == "money" else interval(lo, hi, 1 if name == "ltv_cac" else 0)
                for lo, hi in zip(shown[f"{name}_ci_low"], shown[f"{name}_ci_high"], strict=True)]

    table = pd.DataFrame({
        "Acquisition channel": ["All customers" if name == ALL else str(name) for name in shown.index],
        "Customers": [count(n) for n in shown["n_customers"]],
        "Customers behind the CAC": [count(n) for n in shown["n_cac"]],
        f"Lifetime value ({currency})": column("clv", "money"),
        f"Lifetime value, 95% interval ({currency})": bounds("clv", "money"),
        f"CAC ({currency})": column("cac", "money"),
        f"CAC, 95% interval ({currency})": bounds("cac", "money"),
        "LTV/CAC": column("ltv_cac", "ratio"),
        "LTV/CAC, 95% interval": bounds("ltv_cac", "ratio"),
        "Payback (months)": column("payback_months", "months"),
        "Payback, 95% interval (months)": bounds("payback_months", "months"),
    })
    payback = everyone["payback_months"]
    payback_interval = interval(everyone["payback_months_ci_low"], everyone["payback_months_ci_high"], 0)
    payback_text = ("their expected margin does not pay the cost back within their lifetime" if not np.isfinite(payback)
                    else f"their expected margin pays the cost back in {payback:.0f} months"
                         + (f" (95% interval {payback_interval})" if payback_interval else ""))
    ratio_interval = interval(everyone["ltv_cac_ci_low"], everyone["ltv_cac_ci_high"], 1)
    cac, cac_interval = _money(*everyone[["cac", "cac_ci_low", "cac_ci_high"]], currency)
    return SectionResult("acquisition", title, answer=(
        f"Acquiring a customer costs {cac} (95% interval {cac_interval}); their lifetime value "
        f"is {number(everyone['ltv_cac'], 1)} times that"
        + (f" (95% interval {ratio_interval})" if ratio_interval else "") + f", and {payback_text}."),
        tables=[Table(table, f"Per acquisition channel; a dash: fewer than {report.min_cell_size} customers with a "
                             "recorded cost, or never paid back")],
        headlines=[
            _headline("cac", settings, everyone["cac"], ci_low=everyone["cac_ci_low"], ci_high=everyone["cac_ci_high"],
                      n=int(everyone["n_cac"]), note="mean recorded acquisition cost of the customers acquired in the "
                                                     "12 months to the as-of date"),
            _headline("ltv_cac", settings, everyone["ltv_cac"], ci_low=everyone["ltv_cac_ci_low"],
                      ci_high=everyone["ltv_cac_ci_high"], n=int(everyone["n_customers"]), note="95% interval"),
            _headline("payback_months", settings, payback, ci_low=everyone["payback_months_ci_low"],
                      ci_high=everyone["payback_months_ci_high"], n=int(everyone["n_cac"]),
                      note="first month at which a new customer's expected cumulative margin (churn included) "
                           "reaches the CAC"),
        ])


def lift_by_year(report, *, settings: Settings = DEFAULTS) -> SectionResult:
    """What the improved future adds in each year of the horizon: customers, revenue, profit.

    Parameters
    ----------
    report : cxlab.sections.ReportContext
        The page's run: data, as-of date, minimum group size, headline recorder.
    settings : Settings
        The page's assumptions and method choices.

    Returns
    -------
    SectionResult
    """
    title = "The retention lift, year by year"
    why = _missing_money(report)
    if why:
        return SectionResult("scenario", title, unavailable=why)
    scenario, currency = _scenario(report, settings), settings.currency
    by_year = scenario.by_year
    table = pd.DataFrame({"What": [f"{label} ({unit.replace('currency', currency)})" for _, unit, label in PER_YEAR]})
    for year in by_year.index:
        row = by_year.loc[year]
        table[f"Year {year}"] = [
            _estimate(row[name], row[f"{name}_ci_low"], row[f"{name}_ci_high"],
                      "money" if unit == "currency" else "%" if unit == "%" else "count")
            for name, unit, _ in PER_YEAR]
    figure, ax = new_chart(8, 4.5)
    plot_lift_by_year(scenario, currency=currency, ax=ax)
    first, customers = by_year.iloc[0], by_year.iloc[-1]
    first_year, last = by_year.index[0], by_year.index[-1]
    profit = [f"incremental_discounted_profit{part}" for part in ("", "_ci_low", "_ci_high")]
    first_profit, last_profit = _money(*first[profit], currency)[0], _money(*customers[profit], currency)[0]
    return SectionResult("scenario", title, answer=(
        f"At the end of year {last}, {settings.lift_words} leaves {number(customers['incremental_customers'], 0)} "
        f"more customers active than the current course (95% interval "
        f"{interval(customers['incremental_customers_ci_low'], customers['incremental_customers_ci_high'], 0)})."),
        tables=[Table(table, "What the improved future adds each year: estimate (95% interval)")],
        charts=[Chart(figure, f"Extra discounted profit in each year of the horizon from {settings.lift_words}: "
                              f"{first_profit} in year {first_year} and {last_profit} in year {last}; whiskers show "
                              "95% intervals.")])


def _summary_unit(unit: str, currency: str) -> str:
    return unit.replace("programme cost unit", f"{currency} per customer-year").replace("currency", currency)


def retention_or_acquisition(report, *, settings: Settings = DEFAULTS) -> SectionResult:
    """The retention programme against spending its budget on acquisition, with the break-even costs.

    Parameters
    ----------
    report : cxlab.sections.ReportContext
        The page's run: data, as-of date, minimum group size, headline recorder.
    settings : Settings
        The page's assumptions and method choices.

    Returns
    -------
    SectionResult
    """
    title = "Retention or acquisition?"
    why = _missing_cac(report)
    if why:
        return SectionResult("versus-acquisition", title, unavailable=why)
    total, currency = _scenario(report, settings).summary, settings.currency
    rows = total.loc[list(COMPARISON)]
    shown = []
    for value, low, high, unit in zip(rows["value"], rows["ci_low"], rows["ci_high"], rows["unit"], strict=True):
        if unit in ("currency", "programme cost unit"):
            shown.append((money(value, low=low, high=high), money_interval(low, high)))
        elif unit == "ratio":
            shown.append((number(value, 2), interval(low, high, 2)))
        else:
            shown.append((number(value, 0), interval(low, high, 0)))
    table = pd.DataFrame({"What": rows["label"].to_numpy(), "Estimate": [s for s, _ in shown],
                          "95% interval": [i for _, i in shown],
                          "Unit": [_summary_unit(u, currency) for u in rows["unit"]]})
    difference = total.loc["retention_minus_acquisition"]
    if settings.programme_cost_per_customer_year > 0:
        better = "retention" if difference["value"] >= 0 else "acquisition"
        value, value_interval = _money(*difference[["value", "ci_low", "ci_high"]], currency)
        settled = not difference["ci_low"] <= 0 <= difference["ci_high"]
        answer = (f"Retention's discounted profit minus the acquisition alternative's is {value} (95% interval "
                  f"{value_interval}): on this estimate, {better} is the better use of the programme's budget"
                  + ("." if settled else ", but the interval includes zero, so neither is clearly better."))
    else:
        answer = "The retention programme is assumed to cost nothing, so there is no budget to spend on acquisition."
    return SectionResult("versus-acquisition", title, answer=answer,
                         tables=[Table(table, "Over the horizon, discounted; intervals include the CAC's sampling "
                                              "error and the choice of tail model")])


def _outcome_text(value, outcome: str, currency: str) -> str | None:
    return number(value, 1, "%") if outcome.endswith("_pct") else money(value, currency)


def which_assumptions_matter(report, *, settings: Settings = DEFAULTS) -> SectionResult:
    """Tornado charts: how far each assumption's low and high setting moves the answer.

    Parameters
    ----------
    report : cxlab.sections.ReportContext
        The page's run: data, as-of date, minimum group size, headline recorder.
    settings : Settings
        The page's assumptions and method choices.

    Returns
    -------
    SectionResult
    """
    title = "Which assumptions matter"
    why = _missing_money(report)
    if why:
        return SectionResult("sensitivity", title, unavailable=why)
    table = sensitivity_table(_base(report), min_at_risk=report.min_cell_size, tail=settings.survival_tail,
                              **settings.assumptions)
    outcomes = ["incremental_discounted_profit", "profit_increase_pct"]
    if not _missing_cac(report) and settings.programme_cost_per_customer_year > 0:
        outcomes.append("retention_minus_acquisition")
    result = SectionResult("sensitivity", title)
    for outcome in outcomes:
        figure, ax = new_chart(9, 3.8)
        plot_tornado(table, outcome=outcome, currency=settings.currency, ax=ax)
        low, high = table[f"{outcome}_low"], table[f"{outcome}_high"]
        top = (high - low).abs().idxmax()
        result.charts.append(Chart(figure, (
            f"{OUTCOMES[outcome]}: {_outcome_text(table.attrs['base'][outcome], outcome, settings.currency)} in "
            f"this report. {table.loc[top, 'label']} moves it most: to "
            f"{_outcome_text(low[top], outcome, settings.currency)} at its low setting and "
            f"{_outcome_text(high[top], outcome, settings.currency)} at its high one.")))
    return result


def where_the_claim_holds(report, *, settings: Settings = DEFAULTS) -> SectionResult:
    """Map of where five points more annual retention raise discounted profit by 25-95%, and where we are.

    Parameters
    ----------
    report : cxlab.sections.ReportContext
        The page's run: data, as-of date, minimum group size, headline recorder.
    settings : Settings
        The page's assumptions and method choices.

    Returns
    -------
    SectionResult
    """
    title = 'Where the "+5% retention, +25-95% profit" claim holds'
    why = _missing_money(report)
    if why:
        return SectionResult("claim", title, unavailable=why)
    base = _base(report)
    claim_settings = {**settings.assumptions, "retention_lift": 0.05, "lift_kind": "absolute",
                      "programme_cost_per_customer_year": 0.0}
    claim = claim_map(base, min_at_risk=report.min_cell_size, tail=settings.survival_tail, **claim_settings)
    figure, ax = new_chart(10, 6)
    plot_claim_map(claim, ax=ax)
    retention = claim.attrs["current_annual_retention"]
    here = claim_map(base, annual_retention_grid=[retention], gross_margin_grid=[settings.gross_margin_share],
                     min_at_risk=report.min_cell_size, tail=settings.survival_tail, **claim_settings).iloc[0, 0]
    inside = int(((claim >= CLAIM_LOW_PCT) & (claim <= CLAIM_HIGH_PCT)).to_numpy().sum())
    margin = f"{100 * settings.gross_margin_share:g}%"
    if np.isfinite(here):
        effect = (f"raise discounted profit over {settings.horizon_months} months by {here:.1f}% before programme "
                  f"costs: the claim {'holds' if CLAIM_LOW_PCT <= here <= CLAIM_HIGH_PCT else 'does not hold'} for us")
    else:
        effect = "leave no percentage to compare: the current course is not profitable over the horizon"
    return SectionResult("claim", title, answer=(
        f"Today {100 * retention:.1f}% of our active customers are expected to stay another year. At our {margin} "
        f"gross margin, five points more retention would {effect}. It holds in {inside} of the {claim.size} "
        "combinations shown."), charts=[Chart(figure, (
            f"Discounted profit increase from five points more annual retention, by baseline annual retention and "
            f"gross margin: the claimed 25-95% holds in {inside} of the {claim.size} combinations; the star marks us "
            f"today, at {100 * retention:.0f}% annual retention and a {margin} gross margin."))])


def money_at_risk(report, *, settings: Settings = DEFAULTS, months: int = 12) -> SectionResult:
    """Monthly revenue of the active base expected to churn away within ``months`` months, with its interval."""
    title = "Revenue at risk"
    why = _missing_money(report)
    if why:
        return SectionResult("at-risk", title, unavailable=why, headlines=[
            _headline("revenue_at_risk", settings, None, note=f"not computed: {why}", months=months)])
    risk = report.cached(("economics", "at_risk", settings, months), lambda: revenue_at_risk(
        report.data.customers, as_of=report.as_of, horizon_months=months, n_resamples=settings.n_resamples,
        seed=settings.seed, min_at_risk=report.min_cell_size, tail=settings.survival_tail))
    currency = settings.currency
    run_rate, run_rate_interval = _money(risk.run_rate_lost, risk.run_rate_lost_ci_low, risk.run_rate_lost_ci_high,
                                         currency)
    lost, lost_interval = _money(risk.revenue_lost, risk.revenue_lost_ci_low, risk.revenue_lost_ci_high, currency)
    result = SectionResult("at-risk", title, answer=(
        f"Of today's {money(risk.monthly_revenue, currency)} of monthly revenue from {risk.active_customers:,} active "
        f"customers, {run_rate} ({number(100 * risk.share_at_risk, 1, '%')}; 95% interval {run_rate_interval}) is "
        f"expected to have churned away within {months} months; {lost} ({lost_interval}) of revenue would not be "
        f"earned over those {months} months."),
        tables=[Table(pd.DataFrame({
            "Measure": [f"Monthly revenue lost by month {months}", f"Revenue not earned over {months} months"],
            f"Expected ({currency})": [
                money(risk.run_rate_lost, low=risk.run_rate_lost_ci_low, high=risk.run_rate_lost_ci_high),
                money(risk.revenue_lost, low=risk.revenue_lost_ci_low, high=risk.revenue_lost_ci_high)],
            "95% interval": [money_interval(risk.run_rate_lost_ci_low, risk.run_rate_lost_ci_high),
                             money_interval(risk.revenue_lost_ci_low, risk.revenue_lost_ci_high)],
        }), f"Active customers at the as-of date; revenue-weighted survival, {settings.survival_tail} tail; "
            "aggregate figures only")])
    result.headlines.append(_headline(
        "revenue_at_risk", settings, risk.run_rate_lost, ci_low=risk.run_rate_lost_ci_low,
        ci_high=risk.run_rate_lost_ci_high, n=risk.active_customers, months=months,
        note=(f"{number(100 * risk.share_at_risk, 1, '%')} of today's monthly revenue; revenue-weighted survival, "
              f"{settings.survival_tail} tail; 95% interval ({settings.n_resamples} replicates)")))
    return result

