"""Survival beyond the observed months: one tail model per report run, for every page that looks that far.

The retention (04), churn (05) and economics (06) pages all say how many customers are still active
after ten years, and lifetime value rests on the same curve. Each takes it from
:func:`long_run_curve` with the run's ``survival_tail`` parameter (set once, under ``common:``): the
Kaplan-Meier curve while enough customers are at risk, then the tail model, with bootstrap
intervals of :data:`TAIL_RESAMPLES` replicates from seed :data:`TAIL_SEED`. The figure is therefore the
same on every page, and every page names the model (:func:`tail_words`).
"""

from __future__ import annotations

from cxlab.economics import customer_base, survival_draws
from cxlab.economics.curves import SurvivalDraws
from cxlab.headlines import Headline, spec

__all__ = ["LONG_RUN_MONTHS", "TAIL_RESAMPLES", "TAIL_SEED", "TAIL_WORDS", "customer_base_of", "long_run_curve",
           "survival_10y", "survival_10y_sentence", "tail_words"]

TAIL_RESAMPLES = 500
TAIL_SEED = 0
LONG_RUN_MONTHS = 120
TAIL_WORDS = {"geometric": "constant churn after the observed months (geometric tail)",
              "sbg": "the shifted-beta-geometric model after the observed months",
              "best": "the best-fitting parametric curve (lowest AIC) after the observed months",
              "weibull": "a Weibull curve after the observed months",
              "lognormal": "a log-normal curve after the observed months",
              "loglogistic": "a log-logistic curve after the observed months",
              "exponential": "an exponential curve after the observed months"}


def tail_words(tail: str) -> str:
    """The tail model in words, e.g. ``"constant churn after the observed months (geometric tail)"``."""
    return TAIL_WORDS.get(tail, f"the {tail} tail after the observed months")


def customer_base_of(report):
    """:func:`cxlab.economics.customer_base` of the report's customers, built once per run."""
    return report.cached(("economics", "base"), lambda: customer_base(report.data.customers, as_of=report.as_of))


def long_run_curve(report, tail: str, *, horizon_months: int = LONG_RUN_MONTHS, n_resamples: int = TAIL_RESAMPLES,
                   seed: int = TAIL_SEED) -> SurvivalDraws:
    """The survival curve of the run: Kaplan-Meier, then ``tail``, with bootstrap replicates (built once per run).

    Parameters
    ----------
    report : cxlab.sections.ReportContext
        The page's run; the Kaplan-Meier window ends before the first month with fewer than
        ``report.min_cell_size`` customers at risk.
    tail : str
        The run's tail model (:data:`cxlab.economics.curves.TAILS`).
    horizon_months : int
        Months the curve covers (at least :data:`LONG_RUN_MONTHS`); the curve up to a month does
        not depend on the horizon.
    n_resamples, seed : int
        Bootstrap replicates and their seed; the report's figures use the defaults.

    Returns
    -------
    cxlab.economics.curves.SurvivalDraws
    """
    horizon = max(horizon_months, LONG_RUN_MONTHS)
    return report.cached(("long_run", tail, horizon, n_resamples, seed), lambda: survival_draws(
        customer_base_of(report).life_table, horizon_months=horizon, n_resamples=n_resamples, seed=seed,
        min_at_risk=report.min_cell_size, tail=tail))


def survival_10y(report, tail: str) -> Headline:
    """The share of new customers still active after ten years under the run's tail model, as a headline.

    Every page that shows this fact records it under the one key ``survival_10y``, so the report's
    consistency check compares them.
    """
    entry = spec("survival_10y")
    if not report.availability.allows("tenure", "churn"):
        return entry.headline(None, note=f"not computed: {report.availability.why_not('tenure', 'churn')}", tail=tail)
    try:
        curve = long_run_curve(report, tail)
    except ValueError as err:  # too few customers at risk in the first month
        return entry.headline(None, note=f"not computed: {err}", tail=tail)
    row = curve.summary.loc[LONG_RUN_MONTHS]
    source = ("observed (Kaplan-Meier)" if curve.window_months >= LONG_RUN_MONTHS else
              f"Kaplan-Meier to month {curve.window_months}, then {tail_words(tail)}")
    return entry.headline(100 * row["survival"], ci_low=100 * row["ci_low"], ci_high=100 * row["ci_high"],
                          n=curve.n_customers, note=f"{source}; 95% bootstrap interval ({TAIL_RESAMPLES} replicates)",
                          tail=curve.tail)


def survival_10y_sentence(headline: Headline, tail: str) -> str:
    """One sentence naming the run's tail model and the ten-year figure (empty when it was not computed)."""
    if headline.value is None:
        return ""
    return (f"Beyond the observed months every page of this report uses one tail model, {tail_words(tail)}: "
            f"{headline.value:.1f}% of new customers are expected to stay more than ten years (95% interval "
            f"{headline.ci_low:.1f}% to {headline.ci_high:.1f}%).")
