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
  from the two Wilson intervals) with the pooled two-proportion z-test; mean differences use
  Welch's t interval and test.
* Grouped tables count the scores of each cell once (one ``groupby``) and compute every
  interval from those counts with array arithmetic. Cells with fewer than ``min_n``
  responses are flagged ``small_cell`` and, by default, their estimates are blanked.
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
        Standard error of the share, sqrt(p(1 - p) / n), in percentage points.
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


def _valid_scores(scores, scale: tuple[int, int], name: str) -> np.ndarray:
    """Return the non-missing scores as floats, or raise ValueError naming the bad values."""
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
    values = values[~np.isnan(values)]
    with np.errstate(invalid="ignore"):
        bad = (values < scale[0]) | (values > scale[1]) | (values % 1 != 0)
    if bad.any():
        examples = np.unique(values[bad])[:5].tolist()
        raise ValueError(f"{name} scores must be whole numbers from {scale[0]} to {scale[1]} "
                         f"(missing = no response); got {int(bad.sum())} invalid value(s), e.g. {examples}")
    return values


def _check_columns(df: pd.DataFrame, columns: list[str], what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{what}: expected a pandas DataFrame; got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: column(s) {missing} not in the table (have {list(df.columns)})")


def _as_list(by) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


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


def nps_intervals(promoters, passives, detractors, *, method: str = "adjusted_wald", level: float = 0.95,
                  seed: int = 0, n_resamples: int = DEFAULT_RESAMPLES) -> dict[str, np.ndarray]:
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
    value, wald_se = _nps_center_se(counts[:, 0], counts[:, 2], n)
    value = np.where(n > 0, value, np.nan)
    z = _z(level)
    if method == "bootstrap":
        reps = _nps_resamples(counts, np.random.default_rng(seed), _check_resamples(n_resamples))
        se = reps.std(axis=1, ddof=1)
        alpha = 1 - level
        low, high = np.quantile(reps, [alpha / 2, 1 - alpha / 2], axis=1)
    else:
        if method == "adjusted_wald":
            center, se = _nps_center_se(counts[:, 0] + 0.75, counts[:, 2] + 0.75, n + 3)
        else:
            center, se = value, wald_se
        low, high = np.clip(center - z * se, -1, 1), np.clip(center + z * se, -1, 1)
    empty = n == 0
    return {name: np.where(empty, np.nan, arr) * 100
            for name, arr in (("value", value), ("se", se), ("ci_low", low), ("ci_high", high))}


def _nps_differences(counts_a: np.ndarray, counts_b: np.ndarray, *, method: str, level: float, seed: int,
                     n_resamples: int) -> dict[str, np.ndarray]:
    """Difference a - b of NPS (points) for count arrays of shape (k, 3)."""
    counts_a, counts_b = np.asarray(counts_a, float), np.asarray(counts_b, float)
    n_a, n_b = counts_a.sum(axis=1), counts_b.sum(axis=1)
    value_a, se_a = _nps_center_se(counts_a[:, 0], counts_a[:, 2], n_a)
    value_b, se_b = _nps_center_se(counts_b[:, 0], counts_b[:, 2], n_b)
    estimate = value_a - value_b
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "bootstrap":
            rng = np.random.default_rng(seed)
            reps = _nps_resamples(counts_a, rng, n_resamples) - _nps_resamples(counts_b, rng, n_resamples)
            se = reps.std(axis=1, ddof=1)
            alpha = 1 - level
            low, high = np.quantile(reps, [alpha / 2, 1 - alpha / 2], axis=1)
            # Two-sided percentile-bootstrap p-value (Monte Carlo corrected): the smallest alpha at
            # which the percentile interval excludes 0.
            below = ((reps <= 0).sum(axis=1) + 1) / (n_resamples + 1)
            above = ((reps >= 0).sum(axis=1) + 1) / (n_resamples + 1)
            p_value = np.minimum(1.0, 2 * np.minimum(below, above))
        else:
            if method == "adjusted_wald":
                center_a, se_a = _nps_center_se(counts_a[:, 0] + 0.75, counts_a[:, 2] + 0.75, n_a + 3)
                center_b, se_b = _nps_center_se(counts_b[:, 0] + 0.75, counts_b[:, 2] + 0.75, n_b + 3)
                center = center_a - center_b
            else:
                center = estimate
            se = np.sqrt(se_a**2 + se_b**2)
            low, high = np.clip(center - z * se, -2, 2), np.clip(center + z * se, -2, 2)
            p_value = 2 * stats.norm.sf(np.abs(center / se))
    empty = (n_a == 0) | (n_b == 0)
    out = {name: np.where(empty, np.nan, arr) * 100
           for name, arr in (("estimate", estimate), ("se", se), ("ci_low", low), ("ci_high", high))}
    out["p_value"] = np.where(empty, np.nan, p_value)
    return out


def wilson_interval(hits, n, level: float = 0.95):
    """Wilson score interval of a proportion, for arrays of hits out of n.

    Parameters
    ----------
    hits, n : array-like
        Successes and trials per group.
    level : float
        Confidence level.

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
    hits, n = np.asarray(hits, float), np.asarray(n, float)
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits / n
        denom = 1 + z**2 / n
        center = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
        # At 0 or n hits the bound is exactly 0 or 1; avoid rounding residue there.
        low = np.where(hits == 0, 0.0, center - half)
        high = np.where(hits == n, 1.0, center + half)
        return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def _proportion_differences(hits_a, n_a, hits_b, n_b, level: float) -> dict[str, np.ndarray]:
    """Share difference a - b in percentage points: Newcombe hybrid score interval, pooled z-test."""
    hits_a, n_a, hits_b, n_b = (np.asarray(x, float) for x in (hits_a, n_a, hits_b, n_b))
    with np.errstate(invalid="ignore", divide="ignore"):
        p_a, p_b = hits_a / n_a, hits_b / n_b
        low_a, high_a = wilson_interval(hits_a, n_a, level)
        low_b, high_b = wilson_interval(hits_b, n_b, level)
        estimate = p_a - p_b
        # Newcombe (1998), method 10: combine the two Wilson intervals.
        low = estimate - np.sqrt((p_a - low_a) ** 2 + (high_b - p_b) ** 2)
        high = estimate + np.sqrt((high_a - p_a) ** 2 + (p_b - low_b) ** 2)
        se = np.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
        pooled = (hits_a + hits_b) / (n_a + n_b)
        se_null = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
        p_value = np.where(se_null > 0, 2 * stats.norm.sf(np.abs(estimate / se_null)), 1.0)
    empty = (n_a == 0) | (n_b == 0)
    out = {name: np.where(empty, np.nan, arr) * 100
           for name, arr in (("estimate", estimate), ("se", se), ("ci_low", low), ("ci_high", high))}
    out["p_value"] = np.where(empty, np.nan, p_value)
    return out


def mean_intervals_from_sums(total, total_sq, n, level: float = 0.95) -> dict[str, np.ndarray]:
    """Mean with its t interval from the sum of scores and of squared scores, per group.

    Parameters
    ----------
    total, total_sq, n : array-like
        Sum of the scores, sum of their squares and number of scores per group.
    level : float
        Confidence level.

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
        se = sd / np.sqrt(n)
        t = stats.t.ppf(0.5 + level / 2, np.where(n > 1, n - 1, np.nan))
        return {"mean": mean, "sd": sd, "se": se, "ci_low": mean - t * se, "ci_high": mean + t * se}


def _mean_differences(mean_a, sd_a, n_a, mean_b, sd_b, n_b, level: float) -> dict[str, np.ndarray]:
    """Welch t interval and test for the mean difference a - b."""
    mean_a, sd_a, n_a, mean_b, sd_b, n_b = (np.asarray(x, float) for x in (mean_a, sd_a, n_a, mean_b, sd_b, n_b))
    with np.errstate(invalid="ignore", divide="ignore"):
        var_a, var_b = sd_a**2 / n_a, sd_b**2 / n_b
        se = np.sqrt(var_a + var_b)
        dof = (var_a + var_b) ** 2 / (var_a**2 / (n_a - 1) + var_b**2 / (n_b - 1))
        estimate = mean_a - mean_b
        t = stats.t.ppf(0.5 + level / 2, dof)
        p_value = 2 * stats.t.sf(np.abs(estimate / se), dof)
    return {"estimate": estimate, "se": se, "ci_low": estimate - t * se, "ci_high": estimate + t * se,
            "p_value": p_value}


# ---------------------------------------------------------------------------------------------
# Single-sample estimates
# ---------------------------------------------------------------------------------------------


def nps_from_counts(promoters: int, passives: int, detractors: int, *, method: str = "adjusted_wald",
                    level: float = 0.95, seed: int = 0, n_resamples: int = DEFAULT_RESAMPLES) -> NPSEstimate:
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
                         n_resamples=_check_resamples(n_resamples))
    n = int(counts.sum())
    shares = counts / n * 100 if n else np.full(3, np.nan)
    return NPSEstimate(value=float(res["value"][0]), ci_low=float(res["ci_low"][0]),
                       ci_high=float(res["ci_high"][0]), se=float(res["se"][0]), n=n,
                       promoters=int(counts[0]), passives=int(counts[1]), detractors=int(counts[2]),
                       promoter_share=float(shares[0]), passive_share=float(shares[1]),
                       detractor_share=float(shares[2]), method=method, level=level)


def nps(scores, *, method: str = "adjusted_wald", level: float = 0.95, seed: int = 0,
        n_resamples: int = DEFAULT_RESAMPLES) -> NPSEstimate:
    """Net Promoter Score of 0-10 answers, with its interval.

    Parameters
    ----------
    scores : array-like or pandas.Series
        Answers 0-10; NaN means no response and is left out.
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
    """
    values = _valid_scores(scores, NPS_SCALE, "NPS")
    promoters = int((values >= PROMOTER_SCORES[0]).sum())
    passives = int(((values >= PASSIVE_SCORES[0]) & (values < PROMOTER_SCORES[0])).sum())
    return nps_from_counts(promoters, passives, len(values) - promoters - passives, method=method,
                           level=level, seed=seed, n_resamples=n_resamples)


def csat(scores, *, level: float = 0.95, satisfied_scores: tuple[int, ...] = SATISFIED_SCORES) -> CSATEstimate:
    """Customer satisfaction of 1-5 answers: share satisfied (Wilson) and mean (t interval).

    Parameters
    ----------
    scores : array-like or pandas.Series
        Answers 1-5; NaN means no response.
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
    values = _valid_scores(scores, CSAT_SCALE, "CSAT")
    n, hits = len(values), int(np.isin(values, satisfied_scores).sum())
    share = _share_stats(hits, n, level)
    mean = mean_intervals_from_sums(values.sum(), (values**2).sum(), n, level)
    return CSATEstimate(value=share["share"], ci_low=share["ci_low"], ci_high=share["ci_high"], se=share["se"],
                        n=n, satisfied=hits, mean=float(mean["mean"]), mean_ci_low=float(mean["ci_low"]),
                        mean_ci_high=float(mean["ci_high"]), mean_se=float(mean["se"]), sd=float(mean["sd"]),
                        level=level, satisfied_scores=satisfied_scores)


def ces(scores, *, level: float = 0.95, low_effort_scores: tuple[int, ...] = LOW_EFFORT_SCORES) -> CESEstimate:
    """Customer effort of 1-7 answers: mean (t interval) and share of low effort (Wilson).

    Parameters
    ----------
    scores : array-like or pandas.Series
        Answers 1-7 (1 = very easy, 7 = very difficult); NaN means no response.
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
    values = _valid_scores(scores, CES_SCALE, "CES")
    n, hits = len(values), int(np.isin(values, low_effort_scores).sum())
    share = _share_stats(hits, n, level)
    mean = mean_intervals_from_sums(values.sum(), (values**2).sum(), n, level)
    return CESEstimate(value=float(mean["mean"]), ci_low=float(mean["ci_low"]), ci_high=float(mean["ci_high"]),
                       se=float(mean["se"]), sd=float(mean["sd"]), n=n, low_effort=hits,
                       low_effort_share=share["share"], low_effort_ci_low=share["ci_low"],
                       low_effort_ci_high=share["ci_high"], level=level, low_effort_scores=low_effort_scores)


def _share_stats(hits: int, n: int, level: float) -> dict[str, float]:
    if n == 0:
        return dict.fromkeys(("share", "se", "ci_low", "ci_high"), float("nan"))
    low, high = wilson_interval(hits, n, level)
    p = hits / n
    return {"share": p * 100, "se": float(np.sqrt(p * (1 - p) / n) * 100),
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
        The two groups (estimates contribute their counts).
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
                           method=method, level=level, seed=seed, n_resamples=_check_resamples(n_resamples))
    return Difference(metric="NPS", unit="points", estimate=float(res["estimate"][0]),
                      ci_low=float(res["ci_low"][0]), ci_high=float(res["ci_high"][0]),
                      se=float(res["se"][0]), p_value=float(res["p_value"][0]), value_a=est_a.value,
                      value_b=est_b.value, n_a=est_a.n, n_b=est_b.n, method=method, level=level)


def _share_or_mean_difference(metric: str, on: str, est_a, est_b, hits_attr: str, share_attr: str,
                              mean_attr: str, level: float) -> Difference:
    if on == "share":
        res = _proportion_differences(getattr(est_a, hits_attr), est_a.n, getattr(est_b, hits_attr), est_b.n,
                                      level)
        values = getattr(est_a, share_attr), getattr(est_b, share_attr)
        label, unit, method = f"{metric} share", "percentage points", "newcombe_wilson / pooled z-test"
    elif on == "mean":
        res = _mean_differences(getattr(est_a, mean_attr), est_a.sd, est_a.n, getattr(est_b, mean_attr),
                                est_b.sd, est_b.n, level)
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
        ``"share"``: share satisfied, Newcombe interval and pooled z-test, in percentage
        points. ``"mean"``: mean score, Welch t interval and test.
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
    return _share_or_mean_difference("CSAT", on, est_a, est_b, "satisfied", "value", "mean", level)


def compare_ces(a, b, *, on: str = "mean", level: float | None = None,
                low_effort_scores: tuple[int, ...] | None = None) -> Difference:
    """Difference in CES between two independent groups (a - b).

    Parameters
    ----------
    a, b : CESEstimate or array-like of 1-7 scores
        The two groups.
    on : {"mean", "share"}
        ``"mean"``: mean score, Welch t interval and test. ``"share"``: share of low effort,
        Newcombe interval and pooled z-test, in percentage points.
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
    return _share_or_mean_difference("CES", on, est_a, est_b, "low_effort", "low_effort_share", "value", level)


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


def nps_by(df: pd.DataFrame, by, *, score_col: str = "nps", min_n: int = DEFAULT_MIN_N,
           method: str = "adjusted_wald", level: float = 0.95, suppress: bool = True, seed: int = 0,
           n_resamples: int = DEFAULT_RESAMPLES) -> pd.DataFrame:
    """NPS with interval per cell (e.g. per segment and quarter).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per invitation or response; not modified. Missing scores are non-responses.
    by : str or list of str
        Columns defining the cells.
    score_col : str
        Column of 0-10 scores.
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
        (points) and ``small_cell``.

    Examples
    --------
    >>> df = pd.DataFrame({"segment": ["a"] * 40 + ["b"] * 5, "nps": [10, 6] * 20 + [9] * 5})
    >>> nps_by(df, "segment")[["segment", "n", "nps", "small_cell"]].to_dict("records")[1]["small_cell"]
    True
    """
    min_n, level = _grouped_kwargs(min_n, level)
    method = _check_method(method)
    dist = score_distribution(df, by, score_col=score_col, kind="nps")
    promoters = dist[[float(s) for s in PROMOTER_SCORES]].sum(axis=1)
    passives = dist[[float(s) for s in PASSIVE_SCORES]].sum(axis=1)
    n = dist.sum(axis=1)
    detractors = n - promoters - passives
    res = nps_intervals(promoters, passives, detractors, method=method, level=level, seed=seed,
                         n_resamples=_check_resamples(n_resamples))
    out = pd.DataFrame({"n": n, "promoters": promoters, "passives": passives, "detractors": detractors})
    for col in ("promoters", "passives", "detractors"):
        out[f"{col[:-1]}_share"] = out[col] / n * 100
    out["nps"], out["ci_low"], out["ci_high"], out["se"] = res["value"], res["ci_low"], res["ci_high"], res["se"]
    value_cols = ["promoters", "passives", "detractors", "promoter_share", "passive_share", "detractor_share",
                  "nps", "ci_low", "ci_high", "se"]
    return _suppress(out.reset_index(), n < min_n, value_cols, suppress)


def _share_and_mean_by(dist: pd.DataFrame, hit_scores: tuple[int, ...], level: float) -> pd.DataFrame:
    levels = dist.columns.to_numpy(dtype=float)
    counts = dist.to_numpy(dtype=float)
    n = counts.sum(axis=1)
    hits = dist[[float(s) for s in hit_scores]].sum(axis=1).to_numpy(dtype=float)
    low, high = wilson_interval(hits, n, level)
    means = mean_intervals_from_sums(counts @ levels, counts @ levels**2, n, level)
    return pd.DataFrame({"n": n.astype(int), "hits": hits.astype(int), "share": hits / n * 100,
                         "share_ci_low": low * 100, "share_ci_high": high * 100, "mean": means["mean"],
                         "mean_ci_low": means["ci_low"], "mean_ci_high": means["ci_high"],
                         "mean_se": means["se"], "sd": means["sd"]}, index=dist.index)


def csat_by(df: pd.DataFrame, by, *, score_col: str = "csat", min_n: int = DEFAULT_MIN_N, level: float = 0.95,
            suppress: bool = True, satisfied_scores: tuple[int, ...] = SATISFIED_SCORES) -> pd.DataFrame:
    """CSAT per cell: share satisfied (Wilson interval) and mean score (t interval).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per invitation or response; not modified.
    by : str or list of str
        Columns defining the cells.
    score_col : str
        Column of 1-5 scores.
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
        ``sd`` and ``small_cell``.

    Examples
    --------
    >>> df = pd.DataFrame({"q": ["a"] * 40, "csat": [5, 4, 3, 1] * 10})
    >>> float(csat_by(df, "q")["csat"].iloc[0])
    50.0
    """
    min_n, level = _grouped_kwargs(min_n, level)
    satisfied_scores = _check_subset(satisfied_scores, CSAT_SCALE, "satisfied_scores")
    dist = score_distribution(df, by, score_col=score_col, kind="csat")
    table = _share_and_mean_by(dist, satisfied_scores, level).rename(
        columns={"hits": "satisfied", "share": "csat", "share_ci_low": "ci_low", "share_ci_high": "ci_high"})
    value_cols = ["satisfied", "csat", "ci_low", "ci_high", "mean", "mean_ci_low", "mean_ci_high", "mean_se", "sd"]
    return _suppress(table.reset_index(), table["n"] < min_n, value_cols, suppress)


def ces_by(df: pd.DataFrame, by, *, score_col: str = "ces", min_n: int = DEFAULT_MIN_N, level: float = 0.95,
           suppress: bool = True, low_effort_scores: tuple[int, ...] = LOW_EFFORT_SCORES) -> pd.DataFrame:
    """CES per cell: mean score (t interval) and share of low effort (Wilson interval).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per invitation or response; not modified.
    by : str or list of str
        Columns defining the cells.
    score_col : str
        Column of 1-7 scores.
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
        ``low_effort``, ``low_effort_share``, ``low_effort_ci_low``, ``low_effort_ci_high`` (%)
        and ``small_cell``.

    Examples
    --------
    >>> df = pd.DataFrame({"q": ["a"] * 40, "ces": [7, 5, 3, 1] * 10})
    >>> float(ces_by(df, "q")["ces"].iloc[0])
    4.0
    """
    min_n, level = _grouped_kwargs(min_n, level)
    low_effort_scores = _check_subset(low_effort_scores, CES_SCALE, "low_effort_scores")
    dist = score_distribution(df, by, score_col=score_col, kind="ces")
    table = _share_and_mean_by(dist, low_effort_scores, level).rename(
        columns={"mean": "ces", "mean_ci_low": "ci_low", "mean_ci_high": "ci_high", "mean_se": "se",
                 "hits": "low_effort", "share": "low_effort_share", "share_ci_low": "low_effort_ci_low",
                 "share_ci_high": "low_effort_ci_high"})
    table = table[["n", "ces", "ci_low", "ci_high", "se", "sd", "low_effort", "low_effort_share",
                   "low_effort_ci_low", "low_effort_ci_high"]]
    value_cols = [c for c in table.columns if c != "n"]
    return _suppress(table.reset_index(), table["n"] < min_n, value_cols, suppress)


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


def compare_by(df: pd.DataFrame, by: str, *, versus="rest", within=None, kind: str = "nps",
               score_col: str | None = None, on: str | None = None, min_n: int = DEFAULT_MIN_N,
               method: str = "adjusted_wald", level: float = 0.95, suppress: bool = True, seed: int = 0,
               n_resamples: int = DEFAULT_RESAMPLES, satisfied_scores: tuple[int, ...] = SATISFIED_SCORES,
               low_effort_scores: tuple[int, ...] = LOW_EFFORT_SCORES) -> pd.DataFrame:
    """Compare every level of a column with a reference, controlling the false discovery rate.

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
        ``value_a``, ``n_b``, ``value_b``, ``difference``, ``ci_low``, ``ci_high``, ``se``,
        ``p_value``, ``p_adjusted`` (Benjamini-Hochberg), ``significant`` and ``small_cell``.
        Differences are in NPS points, percentage points (shares) or score points (means).

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
    score_col = score_col or kind
    on = on or {"nps": "nps", "csat": "share", "ces": "mean"}.get(kind)
    dist = score_distribution(df, [*within, by], score_col=score_col, kind=kind)
    ref, labels = _reference_counts(dist, by, within, versus)
    cur = dist.loc[ref.index]
    if kind == "nps":
        groups = []
        for counts in (cur, ref):
            prom = counts[[float(s) for s in PROMOTER_SCORES]].sum(axis=1)
            pas = counts[[float(s) for s in PASSIVE_SCORES]].sum(axis=1)
            groups.append(np.column_stack([prom, pas, counts.sum(axis=1) - prom - pas]))
        res = _nps_differences(groups[0], groups[1], method=method, level=level, seed=seed,
                               n_resamples=_check_resamples(n_resamples))
        n_a, n_b = groups[0].sum(axis=1), groups[1].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            value_a = (groups[0][:, 0] - groups[0][:, 2]) / n_a * 100
            value_b = (groups[1][:, 0] - groups[1][:, 2]) / n_b * 100
    else:
        hit_scores = (_check_subset(satisfied_scores, CSAT_SCALE, "satisfied_scores") if kind == "csat"
                      else _check_subset(low_effort_scores, CES_SCALE, "low_effort_scores"))
        stat_a = _share_and_mean_by(cur, hit_scores, level)
        stat_b = _share_and_mean_by(ref, hit_scores, level)
        n_a, n_b = stat_a["n"].to_numpy(), stat_b["n"].to_numpy()
        if on == "share":
            res = _proportion_differences(stat_a["hits"], n_a, stat_b["hits"], n_b, level)
        elif on == "mean":
            res = _mean_differences(stat_a["mean"], stat_a["sd"], n_a, stat_b["mean"], stat_b["sd"], n_b, level)
        else:
            raise ValueError(f"on must be 'share' or 'mean' for {kind}; got {on!r}")
        value_a, value_b = stat_a[on].to_numpy(), stat_b[on].to_numpy()
    out = cur.index.to_frame(index=False)
    out["reference"] = labels.to_numpy()
    out["n_a"], out["value_a"], out["n_b"], out["value_b"] = n_a.astype(int), value_a, n_b.astype(int), value_b
    out["difference"] = res["estimate"]
    for col in ("ci_low", "ci_high", "se", "p_value"):
        out[col] = res[col]
    small = (out["n_a"] < min_n) | (out["n_b"] < min_n)
    testable = ~small & np.isfinite(out["p_value"])
    out["p_adjusted"] = np.nan
    if testable.any():
        out.loc[testable, "p_adjusted"] = multipletests(out.loc[testable, "p_value"], alpha=1 - level,
                                                        method="fdr_bh")[1]
    out["significant"] = out["p_adjusted"] < 1 - level
    value_cols = ["value_a", "value_b", "difference", "ci_low", "ci_high", "se", "p_value", "p_adjusted"]
    return _suppress(out, small, value_cols, suppress)
