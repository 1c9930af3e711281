"""Single estimates (NPS, CSAT, CES) with their intervals, and comparisons of two of them."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlab.metrics.intervals import (
    _mean_differences,
    _nps_differences,
    _proportion_differences,
    _single_deffs,
    mean_intervals_from_sums,
    nps_intervals,
    wilson_interval,
)
from cxlab.metrics.scales import (
    CES_SCALE,
    CSAT_SCALE,
    DEFAULT_RESAMPLES,
    LOW_EFFORT_SCORES,
    NPS_SCALE,
    PASSIVE_SCORES,
    PROMOTER_SCORES,
    SATISFIED_SCORES,
    _check_level,
    _check_method,
    _check_resamples,
    _check_subset,
    _valid_scores,
)

__all__ = ["CESEstimate", "CSATEstimate", "Difference", "NPSEstimate", "ces", "ces_from_counts", "compare_ces",
           "compare_csat", "compare_nps", "csat", "csat_from_counts", "nps", "nps_from_counts"]

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
    (share_deff, mean_deff), n_clusters = _single_deffs(values, ids, "csat", satisfied_scores)
    return csat_from_counts(_score_counts(values, CSAT_SCALE), level=level, satisfied_scores=satisfied_scores,
                            deff=share_deff, mean_deff=mean_deff, n_clusters=n_clusters)


def _score_counts(values: np.ndarray, scale: tuple[int, int]) -> np.ndarray:
    """Answers per score of the scale (valid whole-number scores)."""
    return np.bincount(values.astype(np.int64) - scale[0], minlength=scale[1] - scale[0] + 1)


def _counts_on_scale(counts, scale: tuple[int, int], name: str) -> np.ndarray:
    """The answers per score, one entry per score of the scale, checked."""
    counts = np.asarray(counts, dtype=float).ravel()
    size = scale[1] - scale[0] + 1
    if len(counts) != size or np.isnan(counts).any() or (counts < 0).any() or (counts % 1 != 0).any():
        raise ValueError(f"{name} counts must be {size} non-negative whole numbers, the answers to each score "
                         f"from {scale[0]} to {scale[1]}; got {counts.tolist()}")
    return counts


def _share_and_mean(counts: np.ndarray, scale: tuple[int, int], hit_scores: tuple[int, ...], level: float,
                    share_deff: float, mean_deff: float, n_clusters: int | None) -> tuple[int, int, dict, dict]:
    """Answers, hits, the share's Wilson statistics and the mean's t statistics of a score distribution."""
    levels = np.arange(scale[0], scale[1] + 1, dtype=float)
    n, hits = int(counts.sum()), int(counts[np.isin(levels, hit_scores)].sum())
    mean = mean_intervals_from_sums(counts @ levels, counts @ levels**2, n, level, deff=mean_deff,
                                    n_clusters=n_clusters)
    return n, hits, _share_stats(hits, n, level, share_deff), mean


def csat_from_counts(counts, *, level: float = 0.95, satisfied_scores: tuple[int, ...] = SATISFIED_SCORES,
                     deff: float = 1.0, mean_deff: float = 1.0, n_clusters: int | None = None) -> CSATEstimate:
    """Customer satisfaction from the answers per score: share satisfied (Wilson) and mean (t interval).

    Parameters
    ----------
    counts : array-like of 5 whole numbers
        Answers scoring 1, 2, 3, 4 and 5.
    level : float
        Confidence level.
    satisfied_scores : tuple of int
        Scores counted as satisfied (default 4 and 5).
    deff, mean_deff : float
        Design effects of the share and the mean (1 = independent answers; see the module docstring).
    n_clusters : int, optional
        Customers behind the answers (the t interval then has ``n_clusters - 1`` degrees of freedom).

    Returns
    -------
    CSATEstimate

    Examples
    --------
    >>> round(csat_from_counts([0, 1, 0, 2, 1]).value, 1)
    75.0
    """
    level = _check_level(level)
    satisfied_scores = _check_subset(satisfied_scores, CSAT_SCALE, "satisfied_scores")
    n, hits, share, mean = _share_and_mean(_counts_on_scale(counts, CSAT_SCALE, "CSAT"), CSAT_SCALE,
                                           satisfied_scores, level, deff, mean_deff, n_clusters)
    return CSATEstimate(value=share["share"], ci_low=share["ci_low"], ci_high=share["ci_high"], se=share["se"],
                        n=n, satisfied=hits, mean=float(mean["mean"]), mean_ci_low=float(mean["ci_low"]),
                        mean_ci_high=float(mean["ci_high"]), mean_se=float(mean["se"]), sd=float(mean["sd"]),
                        level=level, satisfied_scores=satisfied_scores, deff=float(deff),
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
    (share_deff, mean_deff), n_clusters = _single_deffs(values, ids, "ces", low_effort_scores)
    return ces_from_counts(_score_counts(values, CES_SCALE), level=level, low_effort_scores=low_effort_scores,
                           deff=mean_deff, low_effort_deff=share_deff, n_clusters=n_clusters)


def ces_from_counts(counts, *, level: float = 0.95, low_effort_scores: tuple[int, ...] = LOW_EFFORT_SCORES,
                    deff: float = 1.0, low_effort_deff: float = 1.0, n_clusters: int | None = None) -> CESEstimate:
    """Customer effort from the answers per score: mean (t interval) and share of low effort (Wilson).

    Parameters
    ----------
    counts : array-like of 7 whole numbers
        Answers scoring 1 to 7 (1 = very easy, 7 = very difficult).
    level : float
        Confidence level.
    low_effort_scores : tuple of int
        Scores counted as low effort (default 1 and 2).
    deff, low_effort_deff : float
        Design effects of the mean and the share (1 = independent answers; see the module docstring).
    n_clusters : int, optional
        Customers behind the answers (the t interval then has ``n_clusters - 1`` degrees of freedom).

    Returns
    -------
    CESEstimate

    Examples
    --------
    >>> e = ces_from_counts([1, 2, 0, 0, 0, 0, 1])
    >>> round(e.value, 2), e.low_effort
    (3.0, 3)
    """
    level = _check_level(level)
    low_effort_scores = _check_subset(low_effort_scores, CES_SCALE, "low_effort_scores")
    n, hits, share, mean = _share_and_mean(_counts_on_scale(counts, CES_SCALE, "CES"), CES_SCALE,
                                           low_effort_scores, level, low_effort_deff, deff, n_clusters)
    return CESEstimate(value=float(mean["mean"]), ci_low=float(mean["ci_low"]), ci_high=float(mean["ci_high"]),
                       se=float(mean["se"]), sd=float(mean["sd"]), n=n, low_effort=hits,
                       low_effort_share=share["share"], low_effort_ci_low=share["ci_low"],
                       low_effort_ci_high=share["ci_high"], level=level, low_effort_scores=low_effort_scores,
                       deff=float(deff), low_effort_deff=float(low_effort_deff), n_clusters=n_clusters)


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
