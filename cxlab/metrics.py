"""Survey metrics with honest uncertainty: NPS, CSAT and CES, their comparisons and grouped tables.

Conventions
-----------
* NPS is in points (-100 to 100). Every share (promoters, satisfied, low effort) is a
  percentage (0 to 100). CSAT's headline is the share satisfied; CES's headline is the mean.
* A missing score (NaN) is a non-response: it is left out and not counted in ``n``.
  Any other value outside the scale, or not a whole number, raises ``ValueError``.
* NPS intervals (``method``):

  - ``"wald"``: NPS ± z·SE with the per-response variance
    ``p_P + p_D - (p_P - p_D)**2`` (SE = sqrt(variance / n)).
  - ``"adjusted_wald"`` (default): the same formula after adding 3 to n and 0.75 each to
    promoters and detractors (1.5 to passives), as in Rocks (2016), "Confidence Intervals
    for Net Promoter Scores", MeasuringU. The reported value stays the observed NPS; the
    interval is centred on the adjusted NPS and ``se`` is the adjusted standard error.
  - ``"bootstrap"``: percentile interval from multinomial resampling of the three counts
    (seeded, vectorised); ``se`` is the standard deviation of the resampled NPS.

  Wald and adjusted-Wald bounds are clipped to [-100, 100].
* CES is on 1-7 with 1 = very easy and 7 = very difficult (lower is better); "low effort"
  means 1-2 by default (:data:`LOW_EFFORT_SCORES`).
* CSAT and CES shares use the Wilson score interval; means use the t interval.
* Comparisons are between independent samples (a - b). NPS differences use the same
  method as the estimates; share differences use Newcombe's hybrid score interval (built
  from the two Wilson intervals) with the test that inverts it (p-value = the smallest
  ``1 - level`` at which the interval excludes zero; close to the pooled two-proportion
  z-test); mean differences use Welch's t interval and test. When the same customers answer
  in both groups (e.g. two quarters) and their answers are positively correlated, treating
  the groups as independent overstates the variance of the difference: the comparison errs
  on the wide side.
* Grouped tables count the scores of each cell once (one ``groupby``) and compute every
  interval from those counts with array arithmetic. Cells with fewer than ``min_n``
  responses are flagged ``small_cell`` and, by default, their estimates are blanked.

Repeated answers by the same customer
-------------------------------------
Customers answer many times, and one customer's answers resemble each other, so treating
every answer as independent makes intervals too narrow. With ``clusters`` (single estimates)
or ``cluster_col`` (tables; default ``"customer_id"`` whenever that column is present) the
variance is the cluster-robust (linearisation, sandwich) variance of a mean of per-answer
values ``y`` (NPS coded +1/0/-1, a share coded 1/0, a mean on the raw scores)::

    var_clustered = C / (C - 1) * sum_c (sum_{i in c} (y_i - ybar))**2 / n**2

with ``C`` customers and ``n`` answers; it equals the variance of an OLS of ``y`` on a constant
with ``cov_type="cluster"`` in statsmodels. It enters every interval through the design
effect ``deff = var_clustered / (s**2 / n)``, with ``s**2 = sum (y_i - ybar)**2 / (n - 1)``: both
variances carry the same kind of small-sample factor (``C / (C - 1)`` and ``n / (n - 1)``), so
answers from distinct customers give ``deff = 1`` exactly. The interval then uses the
effective sample size ``n / deff``: the Wilson interval, the adjusted-Wald
NPS interval (the 0.75/1.5 pseudo-counts are added to the effective counts, keeping its
small-sample behaviour) and the Wald interval use the counts divided by ``deff`` (so the clustered
Wald variance is ``var_clustered * (n - 1) / n``); t intervals multiply the standard error by
``sqrt(deff)`` (giving exactly ``var_clustered``) and use ``C - 1`` degrees of freedom; the
bootstrap stretches the resampled NPS around the observed one by ``sqrt(deff)``.

The design effect is floored at 1: repeated answers of one customer are positively
correlated, and an estimate below 1 is noise of the variance estimate (the sandwich variance is
itself biased downwards with few clusters), so a clustered interval is never narrower than the
independent one. The price is a slightly conservative interval when answers really are
independent. A missing customer id counts as a customer of its own; with a single customer
the variance cannot be estimated and the interval is empty. ``cluster_col=None`` (or no
``clusters``) gives the independent ("naive") interval; tables record which in
``attrs["variance"]`` and the design effects in ``deff`` columns.

Multiplicity
------------
:func:`compare_by` flags cells by Benjamini-Hochberg adjusted p-values at false discovery rate
``q = 1 - level`` and gives the selected cells false-coverage-rate adjusted intervals
(Benjamini & Yekutieli 2005, JASA 100:71): with ``R`` of ``m`` comparisons selected, each
selected cell's interval is its interval at level ``1 - R * q / m``. Every test here is the
one its interval inverts (the share test inverts Newcombe's interval), so a flagged cell's
adjusted interval excludes zero.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

NPS_METHODS = ("adjusted_wald", "wald", "bootstrap")
NPS_SCALE = (0, 10)
CSAT_SCALE = (1, 5)
CES_SCALE = (1, 7)
PROMOTER_SCORES = (9, 10)
PASSIVE_SCORES = (7, 8)
SATISFIED_SCORES = (4, 5)
# CES scale as documented by cxlab.synth (truth["ces_scale"]): 1 = very easy ... 7 = very difficult,
# so lower is better and "low effort" is 1-2.
LOW_EFFORT_SCORES = (1, 2)
DEFAULT_RESAMPLES = 10_000
DEFAULT_MIN_N = 30
# Column of customer ids whose answers are clustered by default in the grouped tables.
DEFAULT_CLUSTER_COL = "customer_id"

# ---------------------------------------------------------------------------------------------
# Result objects
# ---------------------------------------------------------------------------------------------


def _fmt(x: float, digits: int = 1) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.{digits}f}"


def _fmt_level(level: float) -> str:
    return f"{level * 100:g}%"


def _fmt_p(p: float) -> str:
    if p is None or not np.isfinite(p):
        return "p = n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _variance_label(n_clusters: int | None, deff: float) -> str:
    if n_clusters is None:
        return "answers treated as independent"
    return f"clustered by customer ({n_clusters} customers, design effect {_fmt(deff, 2)})"


def _html_table(title: str, rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                   for k, v in rows)
    return f"<table class='cx-estimate'><caption>{html.escape(title)}</caption>{body}</table>"


@dataclass(frozen=True)
class NPSEstimate:
    """Net Promoter Score with its interval and the counts behind it.

    Attributes
    ----------
    value : float
        Observed NPS in points (% promoters - % detractors), -100 to 100.
    ci_low, ci_high : float
        Interval bounds in points at confidence ``level``.
    se : float
        Standard error in points (adjusted SE for ``"adjusted_wald"``, bootstrap SD for
        ``"bootstrap"``).
    n : int
        Number of responses (scores 0-10).
    promoters, passives, detractors : int
        Counts of scores 9-10, 7-8 and 0-6.
    promoter_share, passive_share, detractor_share : float
        The same as percentages of ``n``.
    method : str
        Interval method, one of :data:`NPS_METHODS`.
    level : float
        Confidence level, e.g. 0.95.
    deff : float
        Design effect applied to the interval (1 for independent answers).
    n_clusters : int or None
        Number of customers the answers came from; None when answers were treated as independent.
    """

    value: float
    ci_low: float
    ci_high: float
    se: float
    n: int
    promoters: int
    passives: int
    detractors: int
    promoter_share: float
    passive_share: float
    detractor_share: float
    method: str
    level: float
    deff: float = 1.0
    n_clusters: int | None = None

    def __str__(self) -> str:
        return (f"NPS {_fmt(self.value)} ({_fmt_level(self.level)} CI {_fmt(self.ci_low)} to "
                f"{_fmt(self.ci_high)}), n = {self.n}")

    def _repr_html_(self) -> str:
        return _html_table(str(self), [
            ("NPS (points)", _fmt(self.value)),
            (f"{_fmt_level(self.level)} interval", f"{_fmt(self.ci_low)} to {_fmt(self.ci_high)}"),
            ("Standard error (points)", _fmt(self.se)),
            ("Responses", str(self.n)),
            ("Promoters (9-10)", f"{self.promoters} ({_fmt(self.promoter_share)}%)"),
            ("Passives (7-8)", f"{self.passives} ({_fmt(self.passive_share)}%)"),
            ("Detractors (0-6)", f"{self.detractors} ({_fmt(self.detractor_share)}%)"),
            ("Interval method", self.method),
            ("Variance", _variance_label(self.n_clusters, self.deff)),
        ])


@dataclass(frozen=True)
class CSATEstimate:
    """Customer satisfaction: share satisfied (Wilson interval) and mean score (t interval).

    Attributes
    ----------
    value : float
        Share of responses that are satisfied (``satisfied_scores``, 4-5 by default), in %.
    ci_low, ci_high : float
        Wilson interval of the share, in %.
    se : float
        Standard error of the share, sqrt(deff * p(1 - p) / n), in percentage points.
    n : int
        Number of responses (scores 1-5).
    satisfied : int
        Number of satisfied responses.
    mean, mean_ci_low, mean_ci_high, mean_se : float
        Mean score (1-5) with its t interval and standard error.
    sd : float
        Sample standard deviation of the scores.
    level : float
        Confidence level.
    satisfied_scores : tuple of int
        Scores counted as satisfied.
    deff, mean_deff : float
        Design effects applied to the share's and the mean's intervals (1 when independent).
    n_clusters : int or None
        Number of customers; None when answers were treated as independent.
    """

    value: float
    ci_low: float
    ci_high: float
    se: float
    n: int
    satisfied: int
    mean: float
    mean_ci_low: float
    mean_ci_high: float
    mean_se: float
    sd: float
    level: float
    satisfied_scores: tuple[int, ...] = SATISFIED_SCORES
    deff: float = 1.0
    mean_deff: float = 1.0
    n_clusters: int | None = None

    def __str__(self) -> str:
        lvl = _fmt_level(self.level)
        return (f"CSAT {_fmt(self.value)}% satisfied ({lvl} CI {_fmt(self.ci_low)} to {_fmt(self.ci_high)}), "
                f"mean {_fmt(self.mean, 2)} ({lvl} CI {_fmt(self.mean_ci_low, 2)} to "
                f"{_fmt(self.mean_ci_high, 2)}), n = {self.n}")

    def _repr_html_(self) -> str:
        lvl = _fmt_level(self.level)
        return _html_table(str(self), [
            ("Satisfied (%)", _fmt(self.value)),
            (f"{lvl} interval (Wilson)", f"{_fmt(self.ci_low)} to {_fmt(self.ci_high)}"),
            ("Mean score (1-5)", _fmt(self.mean, 2)),
            (f"{lvl} interval (t)", f"{_fmt(self.mean_ci_low, 2)} to {_fmt(self.mean_ci_high, 2)}"),
            ("Responses", str(self.n)),
            ("Satisfied scores", ", ".join(map(str, self.satisfied_scores))),
            ("Variance", _variance_label(self.n_clusters, self.deff)),
        ])


@dataclass(frozen=True)
class CESEstimate:
    """Customer effort: mean score (t interval) and share of low-effort answers (Wilson interval).

    Attributes
    ----------
    value : float
        Mean effort score on the 1-7 scale (1 = very easy, 7 = very difficult; lower is better).
    ci_low, ci_high, se : float
        t interval and standard error of the mean.
    sd : float
        Sample standard deviation of the scores.
    n : int
        Number of responses (scores 1-7).
    low_effort : int
        Number of low-effort answers (``low_effort_scores``).
    low_effort_share, low_effort_ci_low, low_effort_ci_high : float
        Share of low-effort answers and its Wilson interval, in %.
    level : float
        Confidence level.
    low_effort_scores : tuple of int
        Scores counted as low effort.
    deff, low_effort_deff : float
        Design effects applied to the mean's and the share's intervals (1 when independent).
    n_clusters : int or None
        Number of customers; None when answers were treated as independent.
    """

    value: float
    ci_low: float
    ci_high: float
    se: float
    sd: float
    n: int
    low_effort: int
    low_effort_share: float
    low_effort_ci_low: float
    low_effort_ci_high: float
    level: float
    low_effort_scores: tuple[int, ...] = LOW_EFFORT_SCORES
    deff: float = 1.0
    low_effort_deff: float = 1.0
    n_clusters: int | None = None

    def __str__(self) -> str:
        lvl = _fmt_level(self.level)
        return (f"CES mean {_fmt(self.value, 2)} on 1-7, lower = easier ({lvl} CI {_fmt(self.ci_low, 2)} to "
                f"{_fmt(self.ci_high, 2)}), low effort {_fmt(self.low_effort_share)}% "
                f"({lvl} CI {_fmt(self.low_effort_ci_low)} to {_fmt(self.low_effort_ci_high)}), n = {self.n}")

    def _repr_html_(self) -> str:
        lvl = _fmt_level(self.level)
        return _html_table(str(self), [
            ("Mean effort score (1-7)", _fmt(self.value, 2)),
            (f"{lvl} interval (t)", f"{_fmt(self.ci_low, 2)} to {_fmt(self.ci_high, 2)}"),
            ("Low effort (%)", _fmt(self.low_effort_share)),
            (f"{lvl} interval (Wilson)", f"{_fmt(self.low_effort_ci_low)} to {_fmt(self.low_effort_ci_high)}"),
            ("Responses", str(self.n)),
            ("Low-effort scores", ", ".join(map(str, self.low_effort_scores))),
            ("Variance", _variance_label(self.n_clusters, self.deff)),
        ])


@dataclass(frozen=True)
class Difference:
    """Difference a - b between two independent groups, with interval and two-sided p-value.

    Attributes
    ----------
    metric : str
        What is compared, e.g. ``"NPS"``, ``"CSAT share satisfied"``, ``"CES mean"``.
    unit : str
        Unit of ``estimate`` (``"points"``, ``"percentage points"``, ``"score points"``).
    estimate : float
        Observed value of a minus observed value of b.
    ci_low, ci_high : float
        Interval of the difference at confidence ``level``.
    se : float
        Standard error of the difference.
    p_value : float
        Two-sided p-value for "no difference".
    value_a, value_b : float
        The two observed values.
    n_a, n_b : int
        Responses in each group.
    method : str
        Interval and test method.
    level : float
        Confidence level.
    """

    metric: str
    unit: str
    estimate: float
    ci_low: float
    ci_high: float
    se: float
    p_value: float
    value_a: float
    value_b: float
    n_a: int
    n_b: int
    method: str
    level: float

    def __str__(self) -> str:
        sign = "+" if np.isfinite(self.estimate) and self.estimate > 0 else ""
        return (f"{self.metric} difference {sign}{_fmt(self.estimate, 2)} {self.unit} "
                f"({_fmt_level(self.level)} CI {_fmt(self.ci_low, 2)} to {_fmt(self.ci_high, 2)}), "
                f"{_fmt_p(self.p_value)}, n = {self.n_a} vs {self.n_b}")

    def _repr_html_(self) -> str:
        return _html_table(str(self), [
            (f"Difference ({self.unit})", _fmt(self.estimate, 2)),
            (f"{_fmt_level(self.level)} interval", f"{_fmt(self.ci_low, 2)} to {_fmt(self.ci_high, 2)}"),
            ("Two-sided p-value", _fmt_p(self.p_value)),
            ("Group a", f"{_fmt(self.value_a, 2)} (n = {self.n_a})"),
            ("Group b", f"{_fmt(self.value_b, 2)} (n = {self.n_b})"),
            ("Method", self.method),
        ])


# ---------------------------------------------------------------------------------------------
# Input checks
# ---------------------------------------------------------------------------------------------


def _check_level(level: float) -> float:
    if not isinstance(level, int | float) or not 0 < level < 1:
        raise ValueError(f"level must be a confidence level between 0 and 1 (e.g. 0.95); got {level!r}")
    return float(level)


def _check_method(method: str) -> str:
    if method not in NPS_METHODS:
        raise ValueError(f"method must be one of {NPS_METHODS}; got {method!r}")
    return method


def _check_resamples(n_resamples: int) -> int:
    if int(n_resamples) != n_resamples or n_resamples < 100:
        raise ValueError(f"n_resamples must be a whole number of at least 100; got {n_resamples!r}")
    return int(n_resamples)


def _check_subset(scores: tuple, scale: tuple[int, int], name: str) -> tuple[int, ...]:
    values = tuple(int(s) for s in scores)
    if not values or any(s < scale[0] or s > scale[1] for s in values) or len(set(values)) != len(values):
        raise ValueError(f"{name} must be distinct scores from {scale[0]} to {scale[1]}; got {scores!r}")
    return tuple(sorted(values))


def _valid_scores(scores, scale: tuple[int, int], name: str, clusters=None):
    """Return the non-missing scores as floats, or raise ValueError naming the bad values.

    With ``clusters`` (one id per score), return the scores and the ids of the non-missing scores.
    """
    if isinstance(scores, pd.Series | pd.Index):
        try:
            values = scores.to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name} scores must be numbers from {scale[0]} to {scale[1]}; "
                             f"got dtype {scores.dtype}") from err
    else:
        try:
            values = np.asarray(scores, dtype=float)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name} scores must be numbers from {scale[0]} to {scale[1]}") from err
    values = values.ravel()
    if clusters is not None:
        clusters = np.asarray(clusters).ravel()
        if len(clusters) != len(values):
            raise ValueError(f"clusters must give one customer id per {name} score; got {len(clusters)} ids "
                             f"for {len(values)} scores")
        clusters = clusters[~np.isnan(values)]
    values = values[~np.isnan(values)]
    with np.errstate(invalid="ignore"):
        bad = (values < scale[0]) | (values > scale[1]) | (values % 1 != 0)
    if bad.any():
        examples = np.unique(values[bad])[:5].tolist()
        raise ValueError(f"{name} scores must be whole numbers from {scale[0]} to {scale[1]} "
                         f"(missing = no response); got {int(bad.sum())} invalid value(s), e.g. {examples}")
    return values if clusters is None else (values, clusters)


def _check_columns(df: pd.DataFrame, columns: list[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{what}: expected a pandas DataFrame; got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: column(s) {missing} not in the table (have {list(df.columns)})")


def _as_list(by) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


# ---------------------------------------------------------------------------------------------
# Customer-clustered variance: design effects from per-customer sums
# ---------------------------------------------------------------------------------------------


def _cluster_codes(clusters) -> np.ndarray:
    """Integer code of each answer's customer; a missing id becomes a customer of its own."""
    codes = pd.factorize(np.asarray(clusters).ravel())[0].astype(np.int64)
    missing = codes < 0
    if missing.any():
        codes[missing] = codes.max(initial=-1) + 1 + np.arange(missing.sum())
    return codes


def _cluster_sums(groups: np.ndarray, clusters: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    """Answers and sums of ``y`` and ``y**2`` per (group, customer) pair, for ``y`` of shape (n, m)."""
    groups, clusters = np.asarray(groups, np.int64), np.asarray(clusters, np.int64)
    width = int(clusters.max(initial=0)) + 1
    pair, keys = pd.factorize(groups * width + clusters)
    columns = range(y.shape[1])
    return {"group": np.asarray(keys) // width, "cluster": np.asarray(keys) % width,
            "n": np.bincount(pair).astype(float),
            "s": np.column_stack([np.bincount(pair, y[:, j]) for j in columns]),
            "q": np.column_stack([np.bincount(pair, y[:, j] ** 2) for j in columns])}


def _deff_from_sums(sums: dict[str, np.ndarray], n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Design effects (n_groups, m), floored at 1, and customers per group from per-pair sums.

    The clustered variance over ``s**2 / n`` (``s**2`` the sample variance of ``y``): both carry
    the same kind of small-sample factor, ``C / (C - 1)`` and ``n / (n - 1)``, so answers from
    distinct customers give exactly 1. NaN where a group has fewer than two customers.
    """
    group, n, s, q = sums["group"], sums["n"], sums["s"], sums["q"]
    present = n > 0
    n_clusters = np.bincount(group[present], minlength=n_groups).astype(float)

    def total(values):
        return np.column_stack([np.bincount(group, values[:, j], minlength=n_groups)
                                for j in range(values.shape[1])])

    big_n = np.bincount(group, n, minlength=n_groups)[:, None]
    s_tot, q_tot = total(s), total(q)
    with np.errstate(invalid="ignore", divide="ignore"):
        ybar = s_tot / big_n
        ss = np.maximum(q_tot - big_n * ybar**2, 0.0)
        # sum over customers of (s_c - n_c * ybar)**2, expanded so that it is one pass of sums
        ss_clustered = np.maximum(total(s**2) - 2 * ybar * total(s * n[:, None])
                                  + ybar**2 * total(np.repeat(n[:, None] ** 2, s.shape[1], axis=1)), 0.0)
        c = n_clusters[:, None]
        var_clustered = c / (c - 1) * ss_clustered / big_n**2
        var_naive = ss / (big_n * (big_n - 1))
        varies = ss > 1e-9 * np.maximum(q_tot, 1.0)
        ratio = np.where(varies, var_clustered / np.where(varies, var_naive, 1.0), 1.0)
        deff = np.where(c >= 2, np.maximum(ratio, 1.0), np.nan)
    return deff, n_clusters.astype(int)


def _answer_values(values: np.ndarray, kind: str, hit_scores: tuple[int, ...] = ()) -> np.ndarray:
    """Per-answer values whose means are the estimates: NPS +1/0/-1, or the hit flag and the score."""
    if kind == "nps":
        return ((values >= PROMOTER_SCORES[0]).astype(float) - (values < PASSIVE_SCORES[0]))[:, None]
    return np.column_stack([np.isin(values, hit_scores).astype(float), values])


_N_VALUES = {"nps": 1, "csat": 2, "ces": 2}


def _single_deffs(values: np.ndarray, clusters, kind: str, hit_scores: tuple[int, ...] = ()):
    """Design effects of one sample (one per value of :func:`_answer_values`) and its customers."""
    if clusters is None:
        return np.ones(_N_VALUES[kind]), None
    if not len(values):
        return np.full(_N_VALUES[kind], np.nan), 0
    y = _answer_values(values, kind, hit_scores)
    sums = _cluster_sums(np.zeros(len(values), np.int64), _cluster_codes(clusters), y)
    deff, n_clusters = _deff_from_sums(sums, 1)
    return deff[0], int(n_clusters[0])


# ---------------------------------------------------------------------------------------------
# Vectorised interval arithmetic on count arrays (fractions; callers convert to points / %)
# ---------------------------------------------------------------------------------------------


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def _nps_center_se(promoters, detractors, n):
    """NPS (fraction) and its Wald standard error from (possibly adjusted) counts."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p_p, p_d = promoters / n, detractors / n
        center = p_p - p_d
        variance = np.maximum(p_p + p_d - center**2, 0.0)
        return center, np.sqrt(variance / n)


def _nps_resamples(counts: np.ndarray, rng: np.random.Generator, n_resamples: int) -> np.ndarray:
    """NPS (fraction) of multinomial resamples: counts (k, 3) -> (k, n_resamples); NaN where n = 0."""
    n = counts.sum(axis=1)
    safe_n = np.where(n > 0, n, 1)
    probs = counts / safe_n[:, None]
    draws = rng.multinomial(np.where(n > 0, n, 0).astype(np.int64)[:, None], probs[:, None, :],
                            size=(len(n), n_resamples))
    reps = (draws[..., 0] - draws[..., 2]) / safe_n[:, None]
    return np.where(n[:, None] > 0, reps, np.nan)


def _nps_effective(counts: np.ndarray, deff: np.ndarray, method: str):
    """Centre and standard error (fractions) of the Wald or adjusted-Wald NPS on the effective counts."""
    with np.errstate(invalid="ignore", divide="ignore"):
        eff = counts / deff[:, None]
    n_eff = eff.sum(axis=1)
    if method == "adjusted_wald":
        return _nps_center_se(eff[:, 0] + 0.75, eff[:, 2] + 0.75, n_eff + 3)
    center = _nps_center_se(counts[:, 0], counts[:, 2], counts.sum(axis=1))[0]
    return center, _nps_center_se(eff[:, 0], eff[:, 2], n_eff)[1]


def _stretch(reps: np.ndarray, value: np.ndarray, deff: np.ndarray) -> np.ndarray:
    """Resamples (k, r) moved away from the observed values (k,) by sqrt(deff): the clustered spread."""
    return value[:, None] + (reps - value[:, None]) * np.sqrt(deff)[:, None]


def nps_intervals(promoters, passives, detractors, *, method: str = "adjusted_wald", level: float = 0.95,
                  seed: int = 0, n_resamples: int = DEFAULT_RESAMPLES, deff=1.0) -> dict[str, np.ndarray]:
    """NPS, standard error and interval for arrays of category counts (one element per group).

    The vectorised core of :func:`nps_from_counts` and :func:`nps_by`: aggregate the counts
    first, then call this once for all groups.

    Parameters
    ----------
    promoters, passives, detractors : array-like
        Counts per group.
    method : {"adjusted_wald", "wald", "bootstrap"}
        Interval method (see the module docstring); the bootstrap draws all groups' resamples
        in one call.
    level : float
        Confidence level.
    seed, n_resamples : int
        Bootstrap settings.
    deff : float or array-like
        Design effect per group (1 = independent answers): the interval is computed from the
        effective counts ``counts / deff`` (the bootstrap stretches its resamples around the
        observed NPS by ``sqrt(deff)``). NaN gives an empty interval.

    Returns
    -------
    dict of str to numpy.ndarray
        ``value``, ``se``, ``ci_low``, ``ci_high`` in NPS points (NaN where a group has no answers).

    Examples
    --------
    >>> out = nps_intervals([162, 10], [108, 0], [54, 0], method="wald")
    >>> out["value"].round(1).tolist(), out["ci_high"].round(1).tolist()
    ([33.3, 100.0], [41.4, 100.0])
    """
    level, method = _check_level(level), _check_method(method)
    counts = np.column_stack([np.asarray(promoters, float), np.asarray(passives, float),
                              np.asarray(detractors, float)])
    if np.isnan(counts).any() or (counts < 0).any() or (counts % 1 != 0).any():
        raise ValueError("promoters, passives and detractors must be non-negative whole numbers")
    n = counts.sum(axis=1)
    deff = np.broadcast_to(np.asarray(deff, float), n.shape)
    value = np.where(n > 0, _nps_center_se(counts[:, 0], counts[:, 2], n)[0], np.nan)
    z = _z(level)
    if method == "bootstrap":
        reps = _stretch(_nps_resamples(counts, np.random.default_rng(seed), _check_resamples(n_resamples)),
                        value, deff)
        se = reps.std(axis=1, ddof=1)
        alpha = 1 - level
        low, high = np.quantile(reps, [alpha / 2, 1 - alpha / 2], axis=1)
    else:
        center, se = _nps_effective(counts, deff, method)
        low, high = np.clip(center - z * se, -1, 1), np.clip(center + z * se, -1, 1)
    empty = n == 0
    return {name: np.where(empty, np.nan, arr) * 100
            for name, arr in (("value", value), ("se", se), ("ci_low", low), ("ci_high", high))}


def _nps_differences(counts_a: np.ndarray, counts_b: np.ndarray, *, method: str, level: float, seed: int,
                     n_resamples: int, deff_a=1.0, deff_b=1.0) -> dict[str, np.ndarray]:
    """Difference a - b of NPS (points) for count arrays of shape (k, 3), with each group's design effect."""
    counts_a, counts_b = np.asarray(counts_a, float), np.asarray(counts_b, float)
    n_a, n_b = counts_a.sum(axis=1), counts_b.sum(axis=1)
    deff_a = np.broadcast_to(np.asarray(deff_a, float), n_a.shape)
    deff_b = np.broadcast_to(np.asarray(deff_b, float), n_b.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        value_a = _nps_center_se(counts_a[:, 0], counts_a[:, 2], n_a)[0]
        value_b = _nps_center_se(counts_b[:, 0], counts_b[:, 2], n_b)[0]
    estimate = value_a - value_b
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "bootstrap":
            rng = np.random.default_rng(seed)
            reps = (_stretch(_nps_resamples(counts_a, rng, n_resamples), value_a, deff_a)
                    - _stretch(_nps_resamples(counts_b, rng, n_resamples), value_b, deff_b))
            se = reps.std(axis=1, ddof=1)
            alpha = 1 - level
            low, high = np.quantile(reps, [alpha / 2, 1 - alpha / 2], axis=1)
            # Two-sided percentile-bootstrap p-value (Monte Carlo corrected): the smallest alpha at
            # which the percentile interval excludes 0.
            below = ((reps <= 0).sum(axis=1) + 1) / (n_resamples + 1)
            above = ((reps >= 0).sum(axis=1) + 1) / (n_resamples + 1)
            p_value = np.minimum(1.0, 2 * np.minimum(below, above))
        else:
            center_a, se_a = _nps_effective(counts_a, deff_a, method)
            center_b, se_b = _nps_effective(counts_b, deff_b, method)
            center = center_a - center_b
            se = np.sqrt(se_a**2 + se_b**2)
            low, high = np.clip(center - z * se, -2, 2), np.clip(center + z * se, -2, 2)
            p_value = 2 * stats.norm.sf(np.abs(center / se))
    empty = (n_a == 0) | (n_b == 0)
    out = {name: np.where(empty, np.nan, arr) * 100
           for name, arr in (("estimate", estimate), ("se", se), ("ci_low", low), ("ci_high", high))}
    out["p_value"] = np.where(empty, np.nan, p_value)
    return out


def wilson_interval(hits, n, level: float = 0.95, *, deff=1.0):
    """Wilson score interval of a proportion, for arrays of hits out of n.

    Parameters
    ----------
    hits, n : array-like
        Successes and trials per group.
    level : float
        Confidence level.
    deff : float or array-like
        Design effect (1 = independent answers): the interval of ``hits / deff`` out of the
        effective sample size ``n / deff``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Lower and upper bounds as fractions (NaN where ``n`` is 0); exactly 0 at 0 hits and
        1 at ``n`` hits.

    Examples
    --------
    >>> low, high = wilson_interval(8, 10)
    >>> round(float(low), 4), round(float(high), 4)
    (0.4902, 0.9433)
    """
    hits, n, deff = np.asarray(hits, float), np.asarray(n, float), np.asarray(deff, float)
    return _wilson(hits / deff, n / deff, _z(level))


def _wilson(hits, n, z):
    """Wilson bounds (fractions) of hits out of n (both may be effective, non-integer) at normal quantile z."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits / n
        denom = 1 + z**2 / n
        center = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        # At 0 or n hits the bound is exactly 0 or 1; avoid rounding residue there.
        low = np.where(hits == 0, 0.0, center - half)
        high = np.where(hits == n, 1.0, center + half)
        return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def _newcombe(hits_a, n_a, hits_b, n_b, z):
    """Newcombe (1998) hybrid score interval (method 10) of p_a - p_b from the two Wilson intervals."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p_a, p_b = hits_a / n_a, hits_b / n_b
        low_a, high_a = _wilson(hits_a, n_a, z)
        low_b, high_b = _wilson(hits_b, n_b, z)
        estimate = p_a - p_b
        low = estimate - np.sqrt((p_a - low_a) ** 2 + (high_b - p_b) ** 2)
        high = estimate + np.sqrt((high_a - p_a) ** 2 + (p_b - low_b) ** 2)
    return low, high


def _newcombe_p_value(hits_a, n_a, hits_b, n_b) -> np.ndarray:
    """Two-sided p-value of "no difference" that inverts Newcombe's interval.

    The smallest ``alpha`` whose ``1 - alpha`` Newcombe interval excludes zero, found by bisection
    on the normal quantile (60 halvings, all groups at once): the test is significant exactly
    when the interval excludes zero, at every level.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        estimate = hits_a / n_a - hits_b / n_b
    lower, upper = np.zeros_like(estimate), np.full_like(estimate, 40.0)
    for _ in range(60):
        z = (lower + upper) / 2
        low, high = _newcombe(hits_a, n_a, hits_b, n_b, z)
        excludes = np.where(estimate > 0, low > 0, high < 0)
        lower, upper = np.where(excludes, z, lower), np.where(excludes, upper, z)
    return np.where(estimate == 0, 1.0, np.where(np.isfinite(estimate), 2 * stats.norm.sf(lower), np.nan))


def _proportion_differences(hits_a, n_a, hits_b, n_b, level: float, deff_a=1.0,
                            deff_b=1.0) -> dict[str, np.ndarray]:
    """Share difference a - b in percentage points: Newcombe interval and the test that inverts it.

    Both use the effective counts ``hits / deff`` and ``n / deff`` of each group.
    """
    hits_a, n_a, hits_b, n_b, deff_a, deff_b = (np.asarray(x, float)
                                                for x in (hits_a, n_a, hits_b, n_b, deff_a, deff_b))
    eff = hits_a / deff_a, n_a / deff_a, hits_b / deff_b, n_b / deff_b
    low, high = _newcombe(*eff, _z(level))
    p_value = _newcombe_p_value(*eff)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_a, p_b = hits_a / n_a, hits_b / n_b
        estimate = p_a - p_b
        se = np.sqrt(p_a * (1 - p_a) * deff_a / n_a + p_b * (1 - p_b) * deff_b / n_b)
    empty = (n_a == 0) | (n_b == 0)
    out = {name: np.where(empty, np.nan, arr) * 100
           for name, arr in (("estimate", estimate), ("se", se), ("ci_low", low), ("ci_high", high))}
    out["p_value"] = np.where(empty, np.nan, p_value)
    return out


def mean_intervals_from_sums(total, total_sq, n, level: float = 0.95, *, deff=1.0,
                             n_clusters=None) -> dict[str, np.ndarray]:
    """Mean with its t interval from the sum of scores and of squared scores, per group.

    Parameters
    ----------
    total, total_sq, n : array-like
        Sum of the scores, sum of their squares and number of scores per group.
    level : float
        Confidence level.
    deff : float or array-like
        Design effect (1 = independent answers); the standard error is ``sqrt(deff) * sd / sqrt(n)``.
    n_clusters : array-like, optional
        Customers per group: the t quantile then has ``min(n, n_clusters) - 1`` degrees of freedom
        (NaN entries: ``n - 1``).

    Returns
    -------
    dict of str to numpy.ndarray
        ``mean``, ``sd`` (sample standard deviation), ``se``, ``ci_low``, ``ci_high``
        (NaN interval where a group has fewer than two scores).

    Examples
    --------
    >>> out = mean_intervals_from_sums(12.0, 56.0, 3)  # scores 2, 4, 6
    >>> float(out["mean"]), float(out["sd"])
    (4.0, 2.0)
    """
    total, total_sq, n = (np.asarray(x, float) for x in (total, total_sq, n))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        variance = np.where(n > 1, np.maximum(total_sq - n * mean**2, 0.0) / (n - 1), np.nan)
        sd = np.sqrt(variance)
        se = sd / np.sqrt(n) * np.sqrt(np.asarray(deff, float))
        dof = _dof(n, n_clusters)
        t = stats.t.ppf(0.5 + level / 2, np.where(dof > 0, dof, np.nan))
        return {"mean": mean, "sd": sd, "se": se, "ci_low": mean - t * se, "ci_high": mean + t * se}


def _dof(n, n_clusters) -> np.ndarray:
    """Degrees of freedom of a mean: answers - 1, or customers - 1 when fewer customers than answers."""
    n = np.asarray(n, float)
    return n - 1 if n_clusters is None else np.fmin(n, np.asarray(n_clusters, float)) - 1


def _mean_differences(mean_a, sd_a, n_a, mean_b, sd_b, n_b, level: float, *, deff_a=1.0, deff_b=1.0,
                      clusters_a=None, clusters_b=None) -> dict[str, np.ndarray]:
    """Welch t interval and test for the mean difference a - b (variances times each design effect)."""
    mean_a, sd_a, n_a, mean_b, sd_b, n_b = (np.asarray(x, float) for x in (mean_a, sd_a, n_a, mean_b, sd_b, n_b))
    with np.errstate(invalid="ignore", divide="ignore"):
        var_a, var_b = sd_a**2 * np.asarray(deff_a, float) / n_a, sd_b**2 * np.asarray(deff_b, float) / n_b
        se = np.sqrt(var_a + var_b)
        dof = (var_a + var_b) ** 2 / (var_a**2 / _dof(n_a, clusters_a) + var_b**2 / _dof(n_b, clusters_b))
        estimate = mean_a - mean_b
        t = stats.t.ppf(0.5 + level / 2, dof)
        p_value = 2 * stats.t.sf(np.abs(estimate / se), dof)
    return {"estimate": estimate, "se": se, "ci_low": estimate - t * se, "ci_high": estimate + t * se,
            "p_value": p_value}


# ---------------------------------------------------------------------------------------------
# Single-sample estimates
# ---------------------------------------------------------------------------------------------


def nps_from_counts(promoters: int, passives: int, detractors: int, *, method: str = "adjusted_wald",
                    level: float = 0.95, seed: int = 0, n_resamples: int = DEFAULT_RESAMPLES, deff: float = 1.0,
                    n_clusters: int | None = None) -> NPSEstimate:
    """Net Promoter Score with its interval from the three category counts.

    Parameters
    ----------
    promoters, passives, detractors : int
        Counts of scores 9-10, 7-8 and 0-6 (non-negative whole numbers).
    method : {"adjusted_wald", "wald", "bootstrap"}
        Interval method (see the module docstring).
    level : float
        Confidence level.
    seed : int
        Seed of the bootstrap resampling (ignored by the other methods).
    n_resamples : int
        Bootstrap resamples.
    deff : float
        Design effect of the answers (1 = independent; see the module docstring).
    n_clusters : int, optional
        Number of customers behind the counts, recorded in the estimate.

    Returns
    -------
    NPSEstimate

    Examples
    --------
    >>> print(nps_from_counts(162, 108, 54, method="wald"))
    NPS 33.3 (95% CI 25.2 to 41.4), n = 324
    """
    counts = np.array([promoters, passives, detractors], dtype=float)
    if np.isnan(counts).any() or (counts < 0).any() or (counts % 1 != 0).any():
        raise ValueError("promoters, passives and detractors must be non-negative whole numbers; "
                         f"got {promoters!r}, {passives!r}, {detractors!r}")
    level, method = _check_level(level), _check_method(method)
    res = nps_intervals(counts[[0]], counts[[1]], counts[[2]], method=method, level=level, seed=seed,
                         n_resamples=_check_resamples(n_resamples), deff=deff)
    n = int(counts.sum())
    shares = counts / n * 100 if n else np.full(3, np.nan)
    return NPSEstimate(value=float(res["value"][0]), ci_low=float(res["ci_low"][0]),
                       ci_high=float(res["ci_high"][0]), se=float(res["se"][0]), n=n,
                       promoters=int(counts[0]), passives=int(counts[1]), detractors=int(counts[2]),
                       promoter_share=float(shares[0]), passive_share=float(shares[1]),
                       detractor_share=float(shares[2]), method=method, level=level, deff=float(deff),
                       n_clusters=n_clusters)


def nps(scores, *, clusters=None, method: str = "adjusted_wald", level: float = 0.95, seed: int = 0,
        n_resamples: int = DEFAULT_RESAMPLES) -> NPSEstimate:
    """Net Promoter Score of 0-10 answers, with its interval.

    Parameters
    ----------
    scores : array-like or pandas.Series
        Answers 0-10; NaN means no response and is left out.
    clusters : array-like, optional
        Customer id of each score (same length): the interval then allows for customers
        answering several times (cluster-robust variance, see the module docstring). Without
        it the answers are treated as independent.
    method : {"adjusted_wald", "wald", "bootstrap"}
        Interval method (see the module docstring).
    level : float
        Confidence level.
    seed : int
        Seed of the bootstrap resampling.
    n_resamples : int
        Bootstrap resamples.

    Returns
    -------
    NPSEstimate

    Raises
    ------
    ValueError
        When a score is outside 0-10 or not a whole number.

    Examples
    --------
    >>> print(nps([10, 9, 8, 3, float("nan")], method="wald").n)
    4
    >>> round(nps([10, 10, 3, 3, 9, 6], clusters=[1, 1, 2, 2, 3, 3]).deff, 3)
    1.667
    """
    values, ids = _scores_and_ids(scores, clusters, NPS_SCALE, "NPS")
    promoters = int((values >= PROMOTER_SCORES[0]).sum())
    passives = int(((values >= PASSIVE_SCORES[0]) & (values < PROMOTER_SCORES[0])).sum())
    deff, n_clusters = _single_deffs(values, ids, "nps")
    return nps_from_counts(promoters, passives, len(values) - promoters - passives, method=method,
                           level=level, seed=seed, n_resamples=n_resamples, deff=deff[0], n_clusters=n_clusters)


def _scores_and_ids(scores, clusters, scale: tuple[int, int], name: str):
    """The valid non-missing scores and, when clusters are given, the customer id of each (else None)."""
    if clusters is None:
        return _valid_scores(scores, scale, name), None
    ids = clusters.to_numpy() if isinstance(clusters, pd.Series | pd.Index) else np.asarray(clusters)
    return _valid_scores(scores, scale, name, clusters=ids)


def csat(scores, *, clusters=None, level: float = 0.95,
         satisfied_scores: tuple[int, ...] = SATISFIED_SCORES) -> CSATEstimate:
    """Customer satisfaction of 1-5 answers: share satisfied (Wilson) and mean (t interval).

    Parameters
    ----------
    scores : array-like or pandas.Series
        Answers 1-5; NaN means no response.
    clusters : array-like, optional
        Customer id of each score: intervals allow for customers answering several times
        (design effects on the effective sample size, see the module docstring).
    level : float
        Confidence level.
    satisfied_scores : tuple of int
        Scores counted as satisfied (default 4 and 5).

    Returns
    -------
    CSATEstimate

    Examples
    --------
    >>> round(csat([5, 4, 4, 2]).value, 1)
    75.0
    """
    level = _check_level(level)
    satisfied_scores = _check_subset(satisfied_scores, CSAT_SCALE, "satisfied_scores")
    values, ids = _scores_and_ids(scores, clusters, CSAT_SCALE, "CSAT")
    n, hits = len(values), int(np.isin(values, satisfied_scores).sum())
    (share_deff, mean_deff), n_clusters = _single_deffs(values, ids, "csat", satisfied_scores)
    share = _share_stats(hits, n, level, share_deff)
    mean = mean_intervals_from_sums(values.sum(), (values**2).sum(), n, level, deff=mean_deff,
                                    n_clusters=n_clusters)
    return CSATEstimate(value=share["share"], ci_low=share["ci_low"], ci_high=share["ci_high"], se=share["se"],
                        n=n, satisfied=hits, mean=float(mean["mean"]), mean_ci_low=float(mean["ci_low"]),
                        mean_ci_high=float(mean["ci_high"]), mean_se=float(mean["se"]), sd=float(mean["sd"]),
                        level=level, satisfied_scores=satisfied_scores, deff=float(share_deff),
                        mean_deff=float(mean_deff), n_clusters=n_clusters)


def ces(scores, *, clusters=None, level: float = 0.95,
        low_effort_scores: tuple[int, ...] = LOW_EFFORT_SCORES) -> CESEstimate:
    """Customer effort of 1-7 answers: mean (t interval) and share of low effort (Wilson).

    Parameters
    ----------
    scores : array-like or pandas.Series
        Answers 1-7 (1 = very easy, 7 = very difficult); NaN means no response.
    clusters : array-like, optional
        Customer id of each score: intervals allow for customers answering several times
        (design effects on the effective sample size, see the module docstring).
    level : float
        Confidence level.
    low_effort_scores : tuple of int
        Scores counted as low effort (default 1 and 2, the "easy" end of the scale).

    Returns
    -------
    CESEstimate

    Examples
    --------
    >>> e = ces([1, 2, 2, 7])
    >>> round(e.value, 2), e.low_effort
    (3.0, 3)
    """
    level = _check_level(level)
    low_effort_scores = _check_subset(low_effort_scores, CES_SCALE, "low_effort_scores")
    values, ids = _scores_and_ids(scores, clusters, CES_SCALE, "CES")
    n, hits = len(values), int(np.isin(values, low_effort_scores).sum())
    (share_deff, mean_deff), n_clusters = _single_deffs(values, ids, "ces", low_effort_scores)
    share = _share_stats(hits, n, level, share_deff)
    mean = mean_intervals_from_sums(values.sum(), (values**2).sum(), n, level, deff=mean_deff,
                                    n_clusters=n_clusters)
    return CESEstimate(value=float(mean["mean"]), ci_low=float(mean["ci_low"]), ci_high=float(mean["ci_high"]),
                       se=float(mean["se"]), sd=float(mean["sd"]), n=n, low_effort=hits,
                       low_effort_share=share["share"], low_effort_ci_low=share["ci_low"],
                       low_effort_ci_high=share["ci_high"], level=level, low_effort_scores=low_effort_scores,
                       deff=float(mean_deff), low_effort_deff=float(share_deff), n_clusters=n_clusters)


def _share_stats(hits: int, n: int, level: float, deff: float) -> dict[str, float]:
    if n == 0:
        return dict.fromkeys(("share", "se", "ci_low", "ci_high"), float("nan"))
    low, high = wilson_interval(hits, n, level, deff=deff)
    p = hits / n
    return {"share": p * 100, "se": float(np.sqrt(p * (1 - p) * deff / n) * 100),
            "ci_low": float(low) * 100, "ci_high": float(high) * 100}


# ---------------------------------------------------------------------------------------------
# Two-sample comparisons
# ---------------------------------------------------------------------------------------------


def _resolve(estimates: list, attr: str, given, default):
    """Take a setting from the estimates when not given; estimates must agree."""
    if given is not None:
        return given
    found = {getattr(e, attr) for e in estimates}
    if len(found) > 1:
        raise ValueError(f"the two estimates use different {attr} {sorted(found)}; pass {attr}= explicitly")
    return found.pop() if found else default


def compare_nps(a, b, *, method: str | None = None, level: float | None = None, seed: int = 0,
                n_resamples: int = DEFAULT_RESAMPLES) -> Difference:
    """Difference in NPS between two independent groups (a - b) with interval and p-value.

    Parameters
    ----------
    a, b : NPSEstimate or array-like of 0-10 scores
        The two groups (estimates contribute their counts and design effects, so estimates made
        with ``clusters`` give a customer-clustered comparison; plain scores are treated as
        independent answers).
    method : {"adjusted_wald", "wald", "bootstrap"}, optional
        Defaults to the estimates' method, else ``"adjusted_wald"``. Wald: z-test with
        SE = sqrt(SE_a² + SE_b²). Adjusted-Wald: the same on the adjusted counts of each group
        (interval centred on the adjusted difference). Bootstrap: percentile interval of the
        difference of independent resamples and the matching two-sided p-value.
    level : float, optional
        Defaults to the estimates' level, else 0.95.
    seed, n_resamples : int
        Bootstrap settings.

    Returns
    -------
    Difference
        In NPS points.

    Examples
    --------
    >>> d = compare_nps(nps_from_counts(60, 20, 20), nps_from_counts(40, 30, 30), method="wald")
    >>> round(d.estimate, 1)
    30.0
    """
    estimates = [x for x in (a, b) if isinstance(x, NPSEstimate)]
    method = _check_method(_resolve(estimates, "method", method, "adjusted_wald"))
    level = _check_level(_resolve(estimates, "level", level, 0.95))
    est_a, est_b = (x if isinstance(x, NPSEstimate) else nps(x, method="wald") for x in (a, b))
    res = _nps_differences(np.array([[est_a.promoters, est_a.passives, est_a.detractors]]),
                           np.array([[est_b.promoters, est_b.passives, est_b.detractors]]),
                           method=method, level=level, seed=seed, n_resamples=_check_resamples(n_resamples),
                           deff_a=est_a.deff, deff_b=est_b.deff)
    return Difference(metric="NPS", unit="points", estimate=float(res["estimate"][0]),
                      ci_low=float(res["ci_low"][0]), ci_high=float(res["ci_high"][0]),
                      se=float(res["se"][0]), p_value=float(res["p_value"][0]), value_a=est_a.value,
                      value_b=est_b.value, n_a=est_a.n, n_b=est_b.n, method=method, level=level)


def _share_or_mean_difference(metric: str, on: str, est_a, est_b, attrs: dict[str, str],
                              level: float) -> Difference:
    """``attrs`` names the estimates' fields: hits, share, mean, share_deff, mean_deff."""
    if on == "share":
        res = _proportion_differences(getattr(est_a, attrs["hits"]), est_a.n, getattr(est_b, attrs["hits"]),
                                      est_b.n, level, getattr(est_a, attrs["share_deff"]),
                                      getattr(est_b, attrs["share_deff"]))
        values = getattr(est_a, attrs["share"]), getattr(est_b, attrs["share"])
        label, unit, method = f"{metric} share", "percentage points", "newcombe_wilson / inverted newcombe test"
    elif on == "mean":
        mean_attr = attrs["mean"]
        res = _mean_differences(getattr(est_a, mean_attr), est_a.sd, est_a.n, getattr(est_b, mean_attr),
                                est_b.sd, est_b.n, level, deff_a=getattr(est_a, attrs["mean_deff"]),
                                deff_b=getattr(est_b, attrs["mean_deff"]), clusters_a=est_a.n_clusters,
                                clusters_b=est_b.n_clusters)
        values = getattr(est_a, mean_attr), getattr(est_b, mean_attr)
        label, unit, method = f"{metric} mean", "score points", "welch_t"
    else:
        raise ValueError(f"on must be 'share' or 'mean'; got {on!r}")
    return Difference(metric=label, unit=unit, estimate=float(res["estimate"]), ci_low=float(res["ci_low"]),
                      ci_high=float(res["ci_high"]), se=float(res["se"]), p_value=float(res["p_value"]),
                      value_a=float(values[0]), value_b=float(values[1]), n_a=est_a.n, n_b=est_b.n,
                      method=method, level=level)


def compare_csat(a, b, *, on: str = "share", level: float | None = None,
                 satisfied_scores: tuple[int, ...] | None = None) -> Difference:
    """Difference in CSAT between two independent groups (a - b).

    Parameters
    ----------
    a, b : CSATEstimate or array-like of 1-5 scores
        The two groups.
    on : {"share", "mean"}
        ``"share"``: share satisfied, Newcombe interval and the test that inverts it, in
        percentage points. ``"mean"``: mean score, Welch t interval and test. Estimates made
        with ``clusters`` contribute their design effects.
    level : float, optional
        Defaults to the estimates' level, else 0.95.
    satisfied_scores : tuple of int, optional
        Defaults to the estimates' definition, else 4 and 5.

    Returns
    -------
    Difference

    Examples
    --------
    >>> round(compare_csat([5, 5, 4, 1], [5, 2, 2, 1]).estimate, 1)
    50.0
    """
    estimates = [x for x in (a, b) if isinstance(x, CSATEstimate)]
    level = _check_level(_resolve(estimates, "level", level, 0.95))
    satisfied_scores = _resolve(estimates, "satisfied_scores", satisfied_scores, SATISFIED_SCORES)
    est_a, est_b = (x if isinstance(x, CSATEstimate) else csat(x, level=level, satisfied_scores=satisfied_scores)
                    for x in (a, b))
    return _share_or_mean_difference("CSAT", on, est_a, est_b, {"hits": "satisfied", "share": "value", "mean": "mean",
                                     "share_deff": "deff", "mean_deff": "mean_deff"}, level)


def compare_ces(a, b, *, on: str = "mean", level: float | None = None,
                low_effort_scores: tuple[int, ...] | None = None) -> Difference:
    """Difference in CES between two independent groups (a - b).

    Parameters
    ----------
    a, b : CESEstimate or array-like of 1-7 scores
        The two groups.
    on : {"mean", "share"}
        ``"mean"``: mean score, Welch t interval and test. ``"share"``: share of low effort,
        Newcombe interval and the test that inverts it, in percentage points. Estimates made
        with ``clusters`` contribute their design effects.
    level : float, optional
        Defaults to the estimates' level, else 0.95.
    low_effort_scores : tuple of int, optional
        Defaults to the estimates' definition, else :data:`LOW_EFFORT_SCORES`.

    Returns
    -------
    Difference

    Examples
    --------
    >>> round(compare_ces([2, 1, 3], [4, 3, 2]).estimate, 1)
    -1.0
    """
    estimates = [x for x in (a, b) if isinstance(x, CESEstimate)]
    level = _check_level(_resolve(estimates, "level", level, 0.95))
    low_effort_scores = _resolve(estimates, "low_effort_scores", low_effort_scores, LOW_EFFORT_SCORES)
    est_a, est_b = (x if isinstance(x, CESEstimate) else ces(x, level=level, low_effort_scores=low_effort_scores)
                    for x in (a, b))
    return _share_or_mean_difference("CES", on, est_a, est_b, {"hits": "low_effort", "share": "low_effort_share",
                                     "mean": "value", "share_deff": "low_effort_deff", "mean_deff": "deff"}, level)


# ---------------------------------------------------------------------------------------------
# Grouped tables
# ---------------------------------------------------------------------------------------------

_SCALES = {"nps": NPS_SCALE, "csat": CSAT_SCALE, "ces": CES_SCALE}


def score_distribution(df: pd.DataFrame, by, *, score_col: str, kind: str) -> pd.DataFrame:
    """Count the answers of each score per cell: the sufficient statistic of every grouped metric.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per survey invitation; not modified. Rows with a missing score are non-responses.
    by : str or list of str
        Columns defining the cells.
    score_col : str
        Column of scores.
    kind : {"nps", "csat", "ces"}
        Which scale the scores are on (0-10, 1-5, 1-7).

    Returns
    -------
    pandas.DataFrame
        Indexed by the cells (missing keys kept as their own cell), one column per score of the
        scale holding the number of answers. Cells without any answer are absent.

    Examples
    --------
    >>> t = score_distribution(pd.DataFrame({"q": ["a", "a", "b"], "csat": [5, 4, None]}),
    ...                        "q", score_col="csat", kind="csat")
    >>> int(t.loc["a", 5.0])
    1
    """
    if kind not in _SCALES:
        raise ValueError(f"kind must be one of {tuple(_SCALES)}; got {kind!r}")
    by = _as_list(by)
    _check_columns(df, [*by, score_col], f"{kind} by {by}")
    low, high = _SCALES[kind]
    _valid_scores(df[score_col], (low, high), kind.upper())
    answered = df.loc[df[score_col].notna(), [*by, score_col]].astype({score_col: float})
    counts = answered.groupby([*by, score_col], dropna=False, observed=True).size().unstack(score_col,
                                                                                           fill_value=0)
    levels = np.arange(low, high + 1, dtype=float)
    return counts.reindex(columns=levels, fill_value=0).rename_axis(columns="score")


def _suppress(out: pd.DataFrame, small: pd.Series, value_cols: list[str], suppress: bool) -> pd.DataFrame:
    out["small_cell"] = small.to_numpy()
    if suppress:
        counts = [c for c in value_cols if pd.api.types.is_integer_dtype(out[c])]
        out[value_cols] = out[value_cols].astype(float).mask(out["small_cell"])
        out[counts] = out[counts].astype("Int64")
    return out


def _grouped_kwargs(min_n: int, level: float) -> tuple[int, float]:
    if int(min_n) != min_n or min_n < 0:
        raise ValueError(f"min_n must be a non-negative whole number of responses; got {min_n!r}")
    return int(min_n), _check_level(level)


def cluster_column(df: pd.DataFrame, cluster_col: str | None) -> str | None:
    """The column of customer ids that clusters the answers, or None for independent answers.

    Parameters
    ----------
    df : pandas.DataFrame
        The answers.
    cluster_col : str or None
        Requested column. The default :data:`DEFAULT_CLUSTER_COL` may be absent (then the
        answers are treated as independent); a column named otherwise must exist.

    Returns
    -------
    str or None

    Raises
    ------
    ValueError
        When a column other than the default is named and missing.

    Examples
    --------
    >>> cluster_column(pd.DataFrame({"nps": [9]}), "customer_id") is None
    True
    """
    if cluster_col is None:
        return None
    if cluster_col in df.columns:
        return cluster_col
    if cluster_col == DEFAULT_CLUSTER_COL:
        return None
    raise ValueError(f"cluster_col {cluster_col!r} is not a column of the table (have {list(df.columns)})")


def variance_label(cluster_col: str | None) -> str:
    """How a table's intervals treat repeated answers, as recorded in its ``attrs["variance"]``.

    Parameters
    ----------
    cluster_col : str or None
        Column of customer ids the answers were clustered by, or None.

    Returns
    -------
    str

    Examples
    --------
    >>> variance_label("customer_id")
    'clustered by customer_id (cluster-robust variance, design effect floored at 1)'
    """
    if cluster_col is None:
        return "naive (answers treated as independent)"
    return f"clustered by {cluster_col} (cluster-robust variance, design effect floored at 1)"


def _deff_names(kind: str) -> list[str]:
    return ["deff"] if kind == "nps" else ["share_deff", "mean_deff"]


def _rest_sums(sums: dict[str, np.ndarray], cells: pd.Index, within: list[str]) -> dict[str, np.ndarray]:
    """Per (cell, customer) sums of each cell's rest: the other answers of the cell's ``within`` group.

    Built from the per-customer totals of each ``within`` group minus the cell's own (aggregated
    tables, one merge; no loop over customers).
    """
    frame = cells.to_frame(index=False)
    group_of_cell = (frame.groupby(within, dropna=False, observed=True).ngroup().to_numpy() if within
                     else np.zeros(len(cells), np.int64))
    width = sums["s"].shape[1]
    pairs = pd.DataFrame({"cell": sums["group"], "cluster": sums["cluster"], "n": sums["n"],
                          **{f"s{j}": sums["s"][:, j] for j in range(width)},
                          **{f"q{j}": sums["q"][:, j] for j in range(width)}})
    values = [c for c in pairs.columns if c not in ("cell", "cluster")]
    totals = (pairs.assign(group=group_of_cell[pairs["cell"]]).groupby(["group", "cluster"], sort=False)[values]
              .sum().reset_index())
    cross = (pd.DataFrame({"cell": np.arange(len(cells)), "group": group_of_cell}).merge(totals, on="group")
             .merge(pairs, on=["cell", "cluster"], how="left", suffixes=("", "_own")).fillna(0.0))
    rest = {c: cross[c].to_numpy() - cross[f"{c}_own"].to_numpy() for c in values}
    return {"group": cross["cell"].to_numpy(), "n": rest["n"],
            "s": np.column_stack([rest[f"s{j}"] for j in range(width)]),
            "q": np.column_stack([rest[f"q{j}"] for j in range(width)])}


def _cell_deffs(df: pd.DataFrame, keys: list[str], *, score_col: str, cluster_col: str | None, kind: str,
                hit_scores: tuple[int, ...], index: pd.Index, rest_within: list[str] | None = None) -> pd.DataFrame:
    """Design effects and customers per cell (aligned to ``index``); with ``rest_within``, of each cell's rest.

    Without ``cluster_col`` every design effect is 1 and ``n_clusters`` is NaN.
    """
    names = _deff_names(kind)
    if cluster_col is None:
        return pd.DataFrame(1.0, index=index, columns=names).assign(n_clusters=np.nan)
    answered = df.loc[df[score_col].notna(), list(dict.fromkeys([*keys, cluster_col, score_col]))]
    grouped = answered.groupby(keys, dropna=False, observed=True)
    y = _answer_values(answered[score_col].to_numpy(dtype=float), kind, hit_scores)
    sums = _cluster_sums(grouped.ngroup().to_numpy(), _cluster_codes(answered[cluster_col]), y)
    cells = grouped.size().index
    if rest_within is not None:
        sums = _rest_sums(sums, cells, rest_within)
    deff, n_clusters = _deff_from_sums(sums, len(cells))
    return pd.DataFrame(deff, index=cells, columns=names).assign(n_clusters=n_clusters.astype(float)).reindex(index)


def nps_by(df: pd.DataFrame, by, *, score_col: str = "nps", cluster_col: str | None = DEFAULT_CLUSTER_COL,
           min_n: int = DEFAULT_MIN_N, method: str = "adjusted_wald", level: float = 0.95, suppress: bool = True,
           seed: int = 0, n_resamples: int = DEFAULT_RESAMPLES) -> pd.DataFrame:
    """NPS with interval per cell (e.g. per segment and quarter).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per invitation or response; not modified. Missing scores are non-responses.
    by : str or list of str
        Columns defining the cells.
    score_col : str
        Column of 0-10 scores.
    cluster_col : str or None
        Column of customer ids: intervals allow for customers answering several times
        (cluster-robust variance through design effects, see the module docstring). By default
        ``"customer_id"`` when the table has it, else answers are treated as independent;
        None gives the independent ("naive") interval.
    min_n : int
        Cells with fewer responses are flagged ``small_cell``.
    method : {"adjusted_wald", "wald", "bootstrap"}
        Interval method, as in :func:`nps`.
    level : float
        Confidence level.
    suppress : bool
        Blank the estimates and counts of small cells (report tables); ``n`` stays.
    seed, n_resamples : int
        Bootstrap settings.

    Returns
    -------
    pandas.DataFrame
        One row per cell: the ``by`` columns, ``n``, ``promoters``, ``passives``,
        ``detractors``, their ``*_share`` (%), ``nps``, ``ci_low``, ``ci_high``, ``se``
        (points), ``deff`` (design effect applied), ``n_clusters`` (customers; empty when
        naive) and ``small_cell``; ``attrs["variance"]`` says which variance was used.

    Examples
    --------
    >>> df = pd.DataFrame({"segment": ["a"] * 40 + ["b"] * 5, "nps": [10, 6] * 20 + [9] * 5})
    >>> nps_by(df, "segment")[["segment", "n", "nps", "small_cell"]].to_dict("records")[1]["small_cell"]
    True
    """
    min_n, level = _grouped_kwargs(min_n, level)
    method = _check_method(method)
    dist = score_distribution(df, by, score_col=score_col, kind="nps")
    cluster_col = cluster_column(df, cluster_col)
    deffs = _cell_deffs(df, _as_list(by), score_col=score_col, cluster_col=cluster_col, kind="nps", hit_scores=(),
                        index=dist.index)
    promoters = dist[[float(s) for s in PROMOTER_SCORES]].sum(axis=1)
    passives = dist[[float(s) for s in PASSIVE_SCORES]].sum(axis=1)
    n = dist.sum(axis=1)
    detractors = n - promoters - passives
    res = nps_intervals(promoters, passives, detractors, method=method, level=level, seed=seed,
                         n_resamples=_check_resamples(n_resamples), deff=deffs["deff"].to_numpy())
    out = pd.DataFrame({"n": n, "promoters": promoters, "passives": passives, "detractors": detractors})
    for col in ("promoters", "passives", "detractors"):
        out[f"{col[:-1]}_share"] = out[col] / n * 100
    out["nps"], out["ci_low"], out["ci_high"], out["se"] = res["value"], res["ci_low"], res["ci_high"], res["se"]
    out["deff"], out["n_clusters"] = deffs["deff"].to_numpy(), deffs["n_clusters"].astype("Int64").to_numpy()
    value_cols = ["promoters", "passives", "detractors", "promoter_share", "passive_share", "detractor_share",
                  "nps", "ci_low", "ci_high", "se", "deff"]
    out = _suppress(out.reset_index(), n < min_n, value_cols, suppress)
    out.attrs["variance"] = variance_label(cluster_col)
    return out


def _share_and_mean_by(dist: pd.DataFrame, hit_scores: tuple[int, ...], level: float,
                       deffs: pd.DataFrame) -> pd.DataFrame:
    """Share (Wilson) and mean (t) per row of a score distribution, with the rows' design effects."""
    levels = dist.columns.to_numpy(dtype=float)
    counts = dist.to_numpy(dtype=float)
    n = counts.sum(axis=1)
    hits = dist[[float(s) for s in hit_scores]].sum(axis=1).to_numpy(dtype=float)
    share_deff, mean_deff = deffs["share_deff"].to_numpy(), deffs["mean_deff"].to_numpy()
    n_clusters = deffs["n_clusters"].to_numpy()
    low, high = wilson_interval(hits, n, level, deff=share_deff)
    means = mean_intervals_from_sums(counts @ levels, counts @ levels**2, n, level, deff=mean_deff,
                                     n_clusters=n_clusters)
    return pd.DataFrame({"n": n.astype(int), "hits": hits.astype(int), "share": hits / n * 100,
                         "share_ci_low": low * 100, "share_ci_high": high * 100, "mean": means["mean"],
                         "mean_ci_low": means["ci_low"], "mean_ci_high": means["ci_high"],
                         "mean_se": means["se"], "sd": means["sd"], "share_deff": share_deff,
                         "mean_deff": mean_deff, "n_clusters": n_clusters}, index=dist.index)


def _share_table(df: pd.DataFrame, by, *, score_col: str, cluster_col: str | None, kind: str,
                 hit_scores: tuple[int, ...], level: float) -> tuple[pd.DataFrame, str | None]:
    """Grouped share and mean table of CSAT or CES and the cluster column used."""
    dist = score_distribution(df, by, score_col=score_col, kind=kind)
    cluster_col = cluster_column(df, cluster_col)
    deffs = _cell_deffs(df, _as_list(by), score_col=score_col, cluster_col=cluster_col, kind=kind,
                        hit_scores=hit_scores, index=dist.index)
    table = _share_and_mean_by(dist, hit_scores, level, deffs)
    table["n_clusters"] = table["n_clusters"].astype("Int64")
    return table, cluster_col


def csat_by(df: pd.DataFrame, by, *, score_col: str = "csat", cluster_col: str | None = DEFAULT_CLUSTER_COL,
            min_n: int = DEFAULT_MIN_N, level: float = 0.95, suppress: bool = True,
            satisfied_scores: tuple[int, ...] = SATISFIED_SCORES) -> pd.DataFrame:
    """CSAT per cell: share satisfied (Wilson interval) and mean score (t interval).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per invitation or response; not modified.
    by : str or list of str
        Columns defining the cells.
    score_col : str
        Column of 1-5 scores.
    cluster_col : str or None
        Column of customer ids: intervals allow for customers answering several times
        (cluster-robust variance through design effects, see the module docstring). By default
        ``"customer_id"`` when the table has it, else answers are treated as independent;
        None gives the independent ("naive") interval.
    min_n : int
        Cells with fewer responses are flagged ``small_cell``.
    level : float
        Confidence level.
    suppress : bool
        Blank the estimates of small cells; ``n`` stays.
    satisfied_scores : tuple of int
        Scores counted as satisfied.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``n``, ``satisfied``, ``csat`` (% satisfied), ``ci_low``,
        ``ci_high`` (Wilson, %), ``mean``, ``mean_ci_low``, ``mean_ci_high``, ``mean_se``,
        ``sd``, ``deff`` and ``mean_deff`` (design effects of the share and the mean),
        ``n_clusters`` and ``small_cell``; ``attrs["variance"]`` says which variance was used.

    Examples
    --------
    >>> df = pd.DataFrame({"q": ["a"] * 40, "csat": [5, 4, 3, 1] * 10})
    >>> float(csat_by(df, "q")["csat"].iloc[0])
    50.0
    """
    min_n, level = _grouped_kwargs(min_n, level)
    satisfied_scores = _check_subset(satisfied_scores, CSAT_SCALE, "satisfied_scores")
    table, cluster_col = _share_table(df, by, score_col=score_col, cluster_col=cluster_col, kind="csat",
                                      hit_scores=satisfied_scores, level=level)
    table = table.rename(columns={"hits": "satisfied", "share": "csat", "share_ci_low": "ci_low",
                                  "share_ci_high": "ci_high", "share_deff": "deff"})
    value_cols = ["satisfied", "csat", "ci_low", "ci_high", "mean", "mean_ci_low", "mean_ci_high", "mean_se", "sd",
                  "deff", "mean_deff"]
    out = _suppress(table.reset_index(), table["n"] < min_n, value_cols, suppress)
    out.attrs["variance"] = variance_label(cluster_col)
    return out


def ces_by(df: pd.DataFrame, by, *, score_col: str = "ces", cluster_col: str | None = DEFAULT_CLUSTER_COL,
           min_n: int = DEFAULT_MIN_N, level: float = 0.95, suppress: bool = True,
           low_effort_scores: tuple[int, ...] = LOW_EFFORT_SCORES) -> pd.DataFrame:
    """CES per cell: mean score (t interval) and share of low effort (Wilson interval).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per invitation or response; not modified.
    by : str or list of str
        Columns defining the cells.
    score_col : str
        Column of 1-7 scores.
    cluster_col : str or None
        Column of customer ids: intervals allow for customers answering several times
        (cluster-robust variance through design effects, see the module docstring). By default
        ``"customer_id"`` when the table has it, else answers are treated as independent;
        None gives the independent ("naive") interval.
    min_n : int
        Cells with fewer responses are flagged ``small_cell``.
    level : float
        Confidence level.
    suppress : bool
        Blank the estimates of small cells; ``n`` stays.
    low_effort_scores : tuple of int
        Scores counted as low effort.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``n``, ``ces`` (mean), ``ci_low``, ``ci_high`` (t), ``se``, ``sd``,
        ``low_effort``, ``low_effort_share``, ``low_effort_ci_low``, ``low_effort_ci_high`` (%),
        ``deff`` and ``low_effort_deff`` (design effects of the mean and the share),
        ``n_clusters`` and ``small_cell``; ``attrs["variance"]`` says which variance was used.

    Examples
    --------
    >>> df = pd.DataFrame({"q": ["a"] * 40, "ces": [7, 5, 3, 1] * 10})
    >>> float(ces_by(df, "q")["ces"].iloc[0])
    4.0
    """
    min_n, level = _grouped_kwargs(min_n, level)
    low_effort_scores = _check_subset(low_effort_scores, CES_SCALE, "low_effort_scores")
    table, cluster_col = _share_table(df, by, score_col=score_col, cluster_col=cluster_col, kind="ces",
                                      hit_scores=low_effort_scores, level=level)
    table = table.rename(
        columns={"mean": "ces", "mean_ci_low": "ci_low", "mean_ci_high": "ci_high", "mean_se": "se",
                 "hits": "low_effort", "share": "low_effort_share", "share_ci_low": "low_effort_ci_low",
                 "share_ci_high": "low_effort_ci_high", "mean_deff": "deff", "share_deff": "low_effort_deff"})
    table = table[["n", "ces", "ci_low", "ci_high", "se", "sd", "low_effort", "low_effort_share",
                   "low_effort_ci_low", "low_effort_ci_high", "deff", "low_effort_deff", "n_clusters"]]
    value_cols = [c for c in table.columns if c not in ("n", "n_clusters")]
    out = _suppress(table.reset_index(), table["n"] < min_n, value_cols, suppress)
    out.attrs["variance"] = variance_label(cluster_col)
    return out


def _reference_counts(dist: pd.DataFrame, by: str, within: list[str], versus) -> tuple[pd.DataFrame, pd.Series]:
    """Counts of the reference group of each cell and its label; cells without one are dropped."""
    dist = dist.sort_index()
    levels = dist.index.get_level_values(by)
    if versus == "rest":
        totals = dist.groupby(level=within, dropna=False).transform("sum") if within else \
            pd.DataFrame(np.broadcast_to(dist.sum().to_numpy(), dist.shape), index=dist.index, columns=dist.columns)
        return totals - dist, pd.Series("rest", index=dist.index)
    if versus == "previous":
        if within:
            ref = dist.groupby(level=within, dropna=False).shift(1)
            labels = pd.Series(levels, index=dist.index).groupby(level=within, dropna=False).shift(1)
        else:
            ref, labels = dist.shift(1), pd.Series(levels, index=dist.index).shift(1)
        keep = labels.notna().to_numpy()
        return ref[keep], labels[keep]
    if versus not in set(levels):
        raise ValueError(f"versus must be 'rest', 'previous' or a value of column {by!r} "
                         f"(have {sorted(map(str, set(levels)))}); got {versus!r}")
    base = dist[levels == versus].droplevel(by) if within else dist[levels == versus]
    others = dist[levels != versus]
    if within:
        keys = others.index.droplevel(by)
        ref = base.reindex(keys)
        ref.index = others.index
    else:
        ref = pd.DataFrame(np.broadcast_to(base.to_numpy(), others.shape), index=others.index,
                           columns=others.columns)
    keep = ref.notna().all(axis=1).to_numpy()
    return ref[keep], pd.Series(versus, index=others.index)[keep]


def fdr_selection(p_values, level: float = 0.95) -> dict:
    """Benjamini-Hochberg selection with the matching false-coverage-rate adjusted level.

    The family is every finite p-value; the false discovery rate is ``q = 1 - level``. With
    ``R`` of ``m`` comparisons selected, intervals at level ``1 - R * q / m`` for the selected
    comparisons keep the false coverage rate at ``q`` (Benjamini & Yekutieli 2005, JASA
    100:71-81). When each test inverts its interval, a selected comparison's adjusted interval
    excludes zero, because BH selects only p-values of at most ``R * q / m``.

    Parameters
    ----------
    p_values : array-like
        Two-sided p-values; NaN entries are not part of the family.
    level : float
        Confidence level; ``1 - level`` is the false discovery rate.

    Returns
    -------
    dict
        ``p_adjusted`` (array, BH), ``selected`` (bool array), ``m`` (family size), ``r``
        (number selected) and ``adjusted_level`` (``1 - r * q / m``; NaN when nothing is selected).

    Examples
    --------
    >>> out = fdr_selection([0.001, 0.02, 0.04, 0.5])
    >>> out["selected"].tolist(), out["r"], round(out["adjusted_level"], 4)
    ([True, True, False, False], 2, 0.975)
    """
    level = _check_level(level)
    p = np.asarray(p_values, float)
    testable = np.isfinite(p)
    p_adjusted = np.full(p.shape, np.nan)
    if testable.any():
        p_adjusted[testable] = multipletests(p[testable], alpha=1 - level, method="fdr_bh")[1]
    selected = p_adjusted < 1 - level
    m, r = int(testable.sum()), int(selected.sum())
    return {"p_adjusted": p_adjusted, "selected": selected, "m": m, "r": r,
            "adjusted_level": 1 - r * (1 - level) / m if r else np.nan}


def multiplicity_note(selection: dict, level: float, family: str) -> str:
    """Table note saying how the p-values and intervals of a family of comparisons are adjusted.

    Parameters
    ----------
    selection : dict
        Output of :func:`fdr_selection`.
    level : float
        Confidence level of the unadjusted intervals.
    family : str
        What the family is, e.g. ``"segments"``.

    Returns
    -------
    str

    Examples
    --------
    >>> multiplicity_note(fdr_selection([0.001, 0.5]), 0.95, "segments")[:60]
    'p_adjusted: Benjamini-Hochberg over the 2 comparisons of seg'
    """
    q = _fmt_level(1 - level)
    note = (f"p_adjusted: Benjamini-Hochberg over the {selection['m']} comparisons of {family} (false discovery "
            f"rate {q}); ci_low/ci_high: unadjusted {_fmt_level(level)} intervals")
    if selection["r"]:
        return (note + f"; adj_ci_low/adj_ci_high: false-coverage-rate adjusted intervals of the "
                f"{selection['r']} flagged comparisons at level 1 - {selection['r']}×{q}/{selection['m']} = "
                f"{selection['adjusted_level'] * 100:.2f}% (Benjamini & Yekutieli 2005); they exclude zero")
    return note + "; no comparison flagged, so no adjusted intervals"


def compare_by(df: pd.DataFrame, by: str, *, versus="rest", within=None, kind: str = "nps",
               score_col: str | None = None, on: str | None = None,
               cluster_col: str | None = DEFAULT_CLUSTER_COL, min_n: int = DEFAULT_MIN_N,
               method: str = "adjusted_wald", level: float = 0.95, suppress: bool = True, seed: int = 0,
               n_resamples: int = DEFAULT_RESAMPLES, satisfied_scores: tuple[int, ...] = SATISFIED_SCORES,
               low_effort_scores: tuple[int, ...] = LOW_EFFORT_SCORES) -> pd.DataFrame:
    """Compare every level of a column with a reference, controlling the false discovery rate.

    Cells are flagged by Benjamini-Hochberg adjusted p-values, and the flagged cells get
    false-coverage-rate adjusted intervals (see :func:`fdr_selection`), so a flagged cell's
    adjusted interval never includes zero.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per invitation or response; not modified.
    by : str
        Column whose levels are compared (e.g. ``"quarter"`` or ``"segment"``).
    versus : {"rest", "previous"} or a value of ``by``
        ``"rest"``: each level against all other rows (of the same ``within`` group);
        ``"previous"``: each level against the preceding level present in the data (sorted
        order, e.g. quarter against previous quarter; the first level has no comparison);
        a value: each level against that reference level.
    within : str or list of str, optional
        Columns inside which the comparisons are made (e.g. ``"touchpoint"``).
    kind : {"nps", "csat", "ces"}
        Metric compared.
    score_col : str, optional
        Column of scores; defaults to ``kind``.
    on : {"share", "mean"}, optional
        For CSAT (default ``"share"``) and CES (default ``"mean"``): what is compared.
    cluster_col : str or None
        Column of customer ids: each group's variance allows for customers answering several
        times (default ``"customer_id"`` when present; None treats answers as independent). The
        two groups of a comparison are treated as independent samples.
    min_n : int
        Comparisons in which either group has fewer responses are flagged ``small_cell``,
        left out of the false-discovery-rate family and, with ``suppress``, blanked.
    method : {"adjusted_wald", "wald", "bootstrap"}
        NPS interval method, as in :func:`compare_nps`.
    level : float
        Confidence level; ``1 - level`` is also the false discovery rate.
    suppress : bool
        Blank the estimates of small comparisons.
    seed, n_resamples : int
        Bootstrap settings.
    satisfied_scores, low_effort_scores : tuple of int
        Category definitions for CSAT and CES shares.

    Returns
    -------
    pandas.DataFrame
        One row per compared cell: the ``within`` columns, ``by``, ``reference``, ``n_a``,
        ``value_a``, ``n_b``, ``value_b``, ``difference``, ``ci_low``, ``ci_high`` (unadjusted),
        ``se``, ``p_value``, ``p_adjusted`` (Benjamini-Hochberg), ``significant``,
        ``adj_ci_low``, ``adj_ci_high`` (false-coverage-rate adjusted, flagged cells only),
        ``deff_a``, ``deff_b`` (design effects) and ``small_cell``. Differences are in NPS
        points, percentage points (shares) or score points (means). ``attrs`` holds
        ``variance``, ``adjusted_level`` and ``note`` (the table note saying all this).

    Examples
    --------
    >>> df = pd.DataFrame({"q": ["2025Q1"] * 60 + ["2025Q2"] * 60, "nps": [10, 5] * 30 + [10, 10, 5] * 20})
    >>> round(float(compare_by(df, "q", versus="previous")["difference"].iloc[0]), 1)
    33.3
    """
    if not isinstance(by, str):
        raise ValueError(f"by must be one column name; got {by!r}")
    within = [] if within is None else _as_list(within)
    if by in within:
        raise ValueError(f"column {by!r} cannot be both compared (by) and a grouping column (within)")
    min_n, level = _grouped_kwargs(min_n, level)
    method = _check_method(method)
    n_resamples = _check_resamples(n_resamples)
    score_col = score_col or kind
    on = on or {"nps": "nps", "csat": "share", "ces": "mean"}.get(kind)
    if kind != "nps" and on not in ("share", "mean"):
        raise ValueError(f"on must be 'share' or 'mean' for {kind}; got {on!r}")
    hit_scores = (() if kind == "nps" else _check_subset(satisfied_scores, CSAT_SCALE, "satisfied_scores")
                  if kind == "csat" else _check_subset(low_effort_scores, CES_SCALE, "low_effort_scores"))
    dist = score_distribution(df, [*within, by], score_col=score_col, kind=kind)
    cluster_col = cluster_column(df, cluster_col)
    options = {"score_col": score_col, "cluster_col": cluster_col, "kind": kind, "hit_scores": hit_scores}
    deffs = _cell_deffs(df, [*within, by], index=dist.index, **options)
    ref, labels = _reference_counts(dist.assign(_cell=np.arange(len(dist), dtype=float)), by, within, versus)
    positions = ref.pop("_cell").to_numpy()
    cur = dist.loc[ref.index]
    deff_a = deffs.loc[ref.index]
    if versus == "rest":
        deff_b = _cell_deffs(df, [*within, by], index=dist.index, rest_within=within, **options).loc[ref.index]
    else:
        deff_b = deffs.iloc[positions.astype(int)].set_axis(ref.index)
    if kind == "nps":
        groups = []
        for counts in (cur, ref):
            prom = counts[[float(s) for s in PROMOTER_SCORES]].sum(axis=1)
            pas = counts[[float(s) for s in PASSIVE_SCORES]].sum(axis=1)
            groups.append(np.column_stack([prom, pas, counts.sum(axis=1) - prom - pas]))
        deff_a, deff_b = deff_a["deff"].to_numpy(), deff_b["deff"].to_numpy()

        def differences(lvl: float) -> dict[str, np.ndarray]:
            return _nps_differences(groups[0], groups[1], method=method, level=lvl, seed=seed,
                                    n_resamples=n_resamples, deff_a=deff_a, deff_b=deff_b)

        n_a, n_b = groups[0].sum(axis=1), groups[1].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            value_a = (groups[0][:, 0] - groups[0][:, 2]) / n_a * 100
            value_b = (groups[1][:, 0] - groups[1][:, 2]) / n_b * 100
    else:
        stat_a = _share_and_mean_by(cur, hit_scores, level, deff_a)
        stat_b = _share_and_mean_by(ref, hit_scores, level, deff_b)
        n_a, n_b = stat_a["n"].to_numpy(), stat_b["n"].to_numpy()
        deff_a, deff_b = stat_a[f"{on}_deff"].to_numpy(), stat_b[f"{on}_deff"].to_numpy()

        def differences(lvl: float) -> dict[str, np.ndarray]:
            if on == "share":
                return _proportion_differences(stat_a["hits"], n_a, stat_b["hits"], n_b, lvl, deff_a, deff_b)
            return _mean_differences(stat_a["mean"], stat_a["sd"], n_a, stat_b["mean"], stat_b["sd"], n_b, lvl,
                                     deff_a=deff_a, deff_b=deff_b, clusters_a=stat_a["n_clusters"],
                                     clusters_b=stat_b["n_clusters"])

        value_a, value_b = stat_a[on].to_numpy(), stat_b[on].to_numpy()
    res = differences(level)
    out = cur.index.to_frame(index=False)
    out["reference"] = labels.to_numpy()
    out["n_a"], out["value_a"], out["n_b"], out["value_b"] = n_a.astype(int), value_a, n_b.astype(int), value_b
    out["difference"] = res["estimate"]
    for col in ("ci_low", "ci_high", "se", "p_value"):
        out[col] = res[col]
    small = (out["n_a"] < min_n) | (out["n_b"] < min_n)
    selection = fdr_selection(out["p_value"].where(~small), level)
    out["p_adjusted"] = selection["p_adjusted"]
    out["significant"] = selection["selected"]
    out["adj_ci_low"], out["adj_ci_high"] = np.nan, np.nan
    if selection["r"]:
        adjusted = differences(selection["adjusted_level"])
        out["adj_ci_low"] = np.where(selection["selected"], adjusted["ci_low"], np.nan)
        out["adj_ci_high"] = np.where(selection["selected"], adjusted["ci_high"], np.nan)
    out["deff_a"], out["deff_b"] = deff_a, deff_b
    value_cols = ["value_a", "value_b", "difference", "ci_low", "ci_high", "se", "p_value", "p_adjusted",
                  "adj_ci_low", "adj_ci_high", "deff_a", "deff_b"]
    out = _suppress(out, small, value_cols, suppress)
    out.attrs.update(variance=variance_label(cluster_col), adjusted_level=selection["adjusted_level"],
                     note=f"{multiplicity_note(selection, level, f'levels of {by}')}; variance "
                          f"{variance_label(cluster_col)}")
    return out
