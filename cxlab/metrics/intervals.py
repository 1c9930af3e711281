"""Interval arithmetic of the survey metrics: NPS, Wilson, Newcombe and t intervals, and the design
effects of repeated answers by the same customer (see :mod:`cxlab.metrics`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from cxlab.metrics.scales import (
    DEFAULT_RESAMPLES,
    PASSIVE_SCORES,
    PROMOTER_SCORES,
    _check_level,
    _check_method,
    _check_resamples,
)

__all__ = ["cell_moments", "deff_from_totals", "mean_intervals_from_sums", "moment_deffs", "nps_intervals",
           "wilson_interval"]


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


def deff_from_totals(*, customers, n, nn, s, q, ss, sn) -> np.ndarray:
    """Customer-clustered design effects of a mean from its cell totals, floored at 1.

    The clustered variance over ``s**2 / n`` (``s**2`` the sample variance of the answers): both
    carry the same kind of small-sample factor, ``C / (C - 1)`` and ``n / (n - 1)``, so answers from
    distinct customers give exactly 1. NaN where a cell has fewer than two customers. Arguments are
    arrays that broadcast together, one entry per cell (and answer value).

    Parameters
    ----------
    customers : array-like
        Customers ``C`` in the cell.
    n, nn : array-like
        Answers in the cell, and the sum over customers of their answer count squared.
    s, q : array-like
        Sum of the answer values and of their squares.
    ss, sn : array-like
        Sum over customers of the customer's value sum squared, and of value sum times answer count.

    Returns
    -------
    numpy.ndarray
        The design effects.

    Examples
    --------
    >>> float(deff_from_totals(customers=2, n=2, nn=2, s=0.0, q=2.0, ss=2.0, sn=0.0))
    1.0
    """
    c, big_n = np.asarray(customers, float), np.asarray(n, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ybar = np.asarray(s, float) / big_n
        ss_naive = np.maximum(q - big_n * ybar**2, 0.0)
        # sum over customers of (s_c - n_c * ybar)**2, expanded so that it is one pass of sums
        ss_clustered = np.maximum(ss - 2 * ybar * sn + ybar**2 * nn, 0.0)
        var_clustered = c / (c - 1) * ss_clustered / big_n**2
        var_naive = ss_naive / (big_n * (big_n - 1))
        varies = ss_naive > 1e-9 * np.maximum(q, 1.0)
        ratio = np.where(varies, var_clustered / np.where(varies, var_naive, 1.0), 1.0)
        return np.where(c >= 2, np.maximum(ratio, 1.0), np.nan)


def cell_moments(sums: dict[str, np.ndarray], n_groups: int) -> pd.DataFrame:
    """Customer moments per group from per (group, customer) sums.

    Parameters
    ----------
    sums : dict of numpy.ndarray
        ``group``, ``n``, ``s`` and ``q`` per (group, customer) pair (``s`` and ``q`` one column
        per answer value).
    n_groups : int
        Groups, numbered from 0.

    Returns
    -------
    pandas.DataFrame
        One row per group: ``customers``, ``n`` (answers) and ``nn`` (sum over customers of their
        answers squared), and for each answer value ``j``: ``s{j}`` (sum), ``q{j}`` (sum of
        squares), ``ss{j}`` (sum over customers of their sum squared) and ``sn{j}`` (sum over
        customers of their sum times their answers).
    """
    group, n, s, q = sums["group"], sums["n"], sums["s"], sums["q"]
    out = {"customers": np.bincount(group[n > 0], minlength=n_groups).astype(np.int64),
           "n": np.bincount(group, n, minlength=n_groups), "nn": np.bincount(group, n**2, minlength=n_groups)}
    for j in range(s.shape[1]):
        out.update({f"s{j}": np.bincount(group, s[:, j], minlength=n_groups),
                    f"q{j}": np.bincount(group, q[:, j], minlength=n_groups),
                    f"ss{j}": np.bincount(group, s[:, j] ** 2, minlength=n_groups),
                    f"sn{j}": np.bincount(group, s[:, j] * n, minlength=n_groups)})
    return pd.DataFrame(out)


def moment_deffs(moments: pd.DataFrame, n_values: int) -> np.ndarray:
    """Design effects (cells, n_values) from the customer moments of :func:`cell_moments`."""
    return np.column_stack([deff_from_totals(
        customers=moments["customers"].to_numpy(float), n=moments["n"].to_numpy(float),
        nn=moments["nn"].to_numpy(float), s=moments[f"s{j}"].to_numpy(float), q=moments[f"q{j}"].to_numpy(float),
        ss=moments[f"ss{j}"].to_numpy(float), sn=moments[f"sn{j}"].to_numpy(float)) for j in range(n_values)])


def _deff_from_sums(sums: dict[str, np.ndarray], n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Design effects (n_groups, m) and customers per group from per-pair sums."""
    moments = cell_moments(sums, n_groups)
    return moment_deffs(moments, sums["s"].shape[1]), moments["customers"].to_numpy()


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
        tail = (1 - level) / 2
        low, high = np.quantile(reps, [tail, 1 - tail], axis=1)
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
            tail = (1 - level) / 2
            low, high = np.quantile(reps, [tail, 1 - tail], axis=1)
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
