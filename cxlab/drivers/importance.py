"""Importance of correlated drivers: general dominance (Shapley decomposition of R²), Johnson's
relative weights, their bootstrap and the pairwise covariance of incomplete ratings."""

from __future__ import annotations

from math import comb

import numpy as np
import pandas as pd
import scipy.linalg
from scipy import stats

__all__ = ["EXACT_DOMINANCE_MAX", "IMPORTANCE_METHODS", "IMPORTANCE_NAMES", "MAX_DRIVERS", "MISSING_RULES",
           "OUTCOME_KINDS", "bootstrap_importance", "general_dominance", "importance_weights", "pairwise_covariance",
           "relative_weights"]

OUTCOME_KINDS = ("auto", "continuous", "binary", "ordinal")
MISSING_RULES = ("impute_mean", "drop", "pairwise")
IMPORTANCE_METHODS = ("auto", "dominance", "relative_weights")
IMPORTANCE_NAMES = {"dominance": "exact general dominance (Shapley value of R²)",
                    "relative_weights": "Johnson's relative weights"}
# Exact dominance enumerates 2^p subsets per fit and per resample: used by default up to this many
# drivers (1,024 subsets), allowed on request up to MAX_DRIVERS.
EXACT_DOMINANCE_MAX = 10
MAX_DRIVERS = 20
_RESAMPLE_CHUNK = 64
_ROW_BLOCK = 32_768


def _subset_r2(corr: np.ndarray) -> np.ndarray:
    """R² of the regression of variable 0 on every subset of variables 1..p, from correlations.

    ``corr`` may be stacked, shape (..., p+1, p+1). Returns an array (..., 2^p) indexed by the
    subset's bitmask (bit j = driver j), R²(empty) = 0.
    """
    p = corr.shape[-1] - 1
    r_xx = corr[..., 1:, 1:]
    r_xy = corr[..., 1:, 0]
    masks = np.arange(2**p)
    bits = (masks[:, None] >> np.arange(p)) & 1
    sizes = bits.sum(axis=1)
    r2 = np.zeros((*corr.shape[:-2], 2**p))
    for k in range(1, p + 1):
        sel = masks[sizes == k]
        idx = np.nonzero(bits[sel])[1].reshape(len(sel), k)
        sub = r_xx[..., idx[:, :, None], idx[:, None, :]]
        rhs = r_xy[..., idx]
        try:
            beta = np.linalg.solve(sub, rhs[..., None])[..., 0]
        except np.linalg.LinAlgError:  # collinear drivers: the pseudo-inverse gives the same fit
            beta = np.einsum("...mij,...mj->...mi", np.linalg.pinv(sub, hermitian=True), rhs)
        r2[..., sel] = np.einsum("...mi,...mi->...m", beta, rhs)
    return r2


def _as_correlation(corr: np.ndarray, where: str) -> np.ndarray:
    """Check a (stack of) square (p+1)x(p+1) matrices and scale covariances to correlations."""
    corr = np.asarray(corr, dtype=float)
    if corr.ndim < 2 or corr.shape[-1] != corr.shape[-2] or corr.shape[-1] < 2:
        raise ValueError(f"{where}: need a square (p+1)x(p+1) matrix, got shape {corr.shape}")
    scale = np.sqrt(np.diagonal(corr, axis1=-2, axis2=-1))
    if np.any(~(scale > 0)):
        raise ValueError(f"{where}: every variable needs a positive variance")
    return corr / (scale[..., :, None] * scale[..., None, :])


def general_dominance(corr: np.ndarray) -> np.ndarray:
    """General dominance weights (Shapley values of R²) from a correlation matrix.

    Parameters
    ----------
    corr : numpy.ndarray
        (p+1, p+1) correlation (or covariance) matrix of the outcome (first row/column) and the
        p drivers, or a stack of them with shape (..., p+1, p+1).

    Returns
    -------
    numpy.ndarray
        p weights (or (..., p) for a stack): for each driver the average over subset sizes
        k = 0..p-1 of the mean increase in R² from adding it to the subsets of k other drivers.
        They sum to the full-model R².

    Examples
    --------
    >>> c = np.array([[1.0, 0.3, 0.4], [0.3, 1.0, 0.0], [0.4, 0.0, 1.0]])
    >>> np.round(general_dominance(c), 2)
    array([0.09, 0.16])
    """
    corr = _as_correlation(corr, "general_dominance")
    p = corr.shape[-1] - 1
    if p > MAX_DRIVERS:
        raise ValueError(f"general_dominance: at most {MAX_DRIVERS} drivers (2^p subsets), got {p}; "
                         "use relative_weights for more")
    r2 = _subset_r2(corr)
    masks = np.arange(2**p)
    sizes = ((masks[:, None] >> np.arange(p)) & 1).sum(axis=1)
    shapley = np.array([1.0 / (p * comb(p - 1, k)) for k in range(p)])
    weights = np.empty((*corr.shape[:-2], p))
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        gain = r2[..., without | (1 << j)] - r2[..., without]
        weights[..., j] = gain @ shapley[sizes[without]]
    return weights


def relative_weights(corr: np.ndarray) -> np.ndarray:
    """Johnson's (2000) relative weights from a correlation matrix.

    The drivers X are replaced by their closest orthogonal counterparts Z = X R^(-1/2) (R the
    drivers' correlation matrix); the outcome is regressed on Z (weights beta = R^(-1/2) r_xy),
    and each Z's share of R² is given back to the drivers in proportion to the squared loadings
    Λ = R^(1/2): weight_j = sum_k Λ_jk² beta_k². The weights are non-negative, add up to the
    model's R² and equal the squared correlations when the drivers are uncorrelated.

    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
    variables in multiple regression. Multivariate Behavioral Research, 35(1), 1-19.

    Parameters
    ----------
    corr : numpy.ndarray
        (p+1, p+1) correlation (or covariance) matrix of the outcome (first row/column) and the
        p drivers, or a stack of them with shape (..., p+1, p+1). Collinear drivers are handled
        with the pseudo-inverse (eigenvalues below 1e-10 of the largest count as zero).

    Returns
    -------
    numpy.ndarray
        p weights (R² units), or (..., p) for a stack.

    Examples
    --------
    >>> c = np.array([[1.0, 0.3, 0.4], [0.3, 1.0, 0.0], [0.4, 0.0, 1.0]])
    >>> np.round(relative_weights(c), 2)  # uncorrelated drivers: the squared correlations
    array([0.09, 0.16])
    """
    corr = _as_correlation(corr, "relative_weights")
    drivers = corr[..., 1:, 1:]
    # One small LAPACK call per matrix: faster than numpy's stacked eigh when BLAS threads compete.
    pairs = [scipy.linalg.eigh(m) for m in drivers.reshape(-1, *drivers.shape[-2:])]
    values = np.stack([v for v, _ in pairs]).reshape(drivers.shape[:-1])
    vectors = np.stack([w for _, w in pairs]).reshape(drivers.shape)
    values = np.clip(values, 0.0, None)
    root = np.sqrt(values)
    kept = values > 1e-10 * values.max(axis=-1, keepdims=True)
    inverse_root = np.where(kept, 1.0 / np.where(kept, root, 1.0), 0.0)
    transpose = np.swapaxes(vectors, -1, -2)
    loadings = (vectors * root[..., None, :]) @ transpose
    beta = ((vectors * inverse_root[..., None, :]) @ transpose @ corr[..., 1:, :1])[..., 0]
    return np.einsum("...jk,...k->...j", loadings**2, beta**2)


def importance_weights(corr: np.ndarray, method: str) -> np.ndarray:
    """Relative importance of each driver by ``method`` ("dominance" or "relative_weights").

    Parameters
    ----------
    corr : numpy.ndarray
        Correlation or covariance matrix (outcome first), or a stack of them.
    method : {"dominance", "relative_weights"}

    Returns
    -------
    numpy.ndarray
        Weights in R² units. A stack is computed in chunks to bound memory; its matrices in
        which some variable has no variance (a bootstrap resample where a driver is constant)
        give NaN weights.
    """
    if method not in IMPORTANCE_NAMES:
        raise ValueError(f"importance method must be one of {list(IMPORTANCE_NAMES)}, got {method!r}")
    compute = general_dominance if method == "dominance" else relative_weights
    corr = np.asarray(corr, dtype=float)
    if corr.ndim == 2:
        return compute(corr)
    usable = (np.diagonal(corr, axis1=-2, axis2=-1) > 0).all(axis=-1)
    out = np.full((len(corr), corr.shape[-1] - 1), np.nan)
    fine = corr[usable]
    if len(fine):
        out[usable] = np.concatenate([compute(fine[i:i + _RESAMPLE_CHUNK])
                                      for i in range(0, len(fine), _RESAMPLE_CHUNK)])
    return out


def _resample_counts(n_groups: int, n_resamples: int, seed: int):
    """Yield chunks (at most 64 resamples, ``n_groups``) of how often a bootstrap resample draws each group."""
    rng = np.random.default_rng(seed)
    for start in range(0, n_resamples, _RESAMPLE_CHUNK):
        size = min(_RESAMPLE_CHUNK, n_resamples - start)
        drawn = rng.integers(0, n_groups, size=(size, n_groups)) + n_groups * np.arange(size)[:, None]
        yield np.bincount(drawn.ravel(), minlength=size * n_groups).reshape(size, n_groups)


def _resample_weights(groups: np.ndarray, n_resamples: int, seed: int):
    """Yield chunks (at most 64 resamples, n rows) of bootstrap frequency weights over groups.

    ``groups`` codes each row's group 0..G-1 (each row its own group for a row bootstrap); a
    resample draws G groups with replacement and every row takes its group's count.
    """
    for counts in _resample_counts(int(groups.max()) + 1, n_resamples, seed):
        yield counts[:, groups].astype(float)


def _bootstrap_covariances(values: np.ndarray, groups: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """(n_resamples, q, q) covariance matrices of complete ``values`` (n, q) in bootstrap resamples.

    Each chunk of resamples is two matrix products, weights @ values and weights @ the column
    products, on values centred at their mean (which keeps the moments' difference accurate).
    """
    centred = values - values.mean(axis=0)
    upper = np.triu_indices(values.shape[1])
    products = centred[:, upper[0]] * centred[:, upper[1]]
    out = np.empty((n_resamples, values.shape[1], values.shape[1]))
    start = 0
    for weights in _resample_weights(groups, n_resamples, seed):
        total = weights.sum(axis=1)[:, None]
        mean = weights @ centred / total
        cov = (weights @ products / total - mean[:, upper[0]] * mean[:, upper[1]]) * total / (total - 1)
        block = out[start:start + len(weights)]
        block[:, upper[0], upper[1]] = cov
        block[:, upper[1], upper[0]] = cov
        start += len(weights)
    return out


def _bootstrap_pairwise_covariances(values: np.ndarray, groups: np.ndarray, n_resamples: int,
                                    seed: int) -> np.ndarray:
    """(n_resamples, q, q) pairwise-complete covariances (:func:`pairwise_covariance`) of ``values``
    (n, q; NaN where missing) in the bootstrap resamples of :func:`_resample_weights`.

    The three sums :func:`pairwise_covariance` forms (co-observed rows, cross products, each column
    where the other is observed) are, for every resample at once, a product of the resamples'
    weights with those terms of the rows, block of rows by block (:data:`_ROW_BLOCK`), so that
    neither the terms nor the weights exist for all rows at once (one pass over the rows per
    resample took 37 ms at 400k answers).
    """
    n, q = values.shape
    observed = ~np.isnan(values)
    filled = np.where(observed, values, 0.0)
    upper = np.triu_indices(q)
    every = np.indices((q, q)).reshape(2, -1)
    pairs = len(upper[0])
    counts_per_group = np.concatenate([counts.astype(np.int32) for counts in
                                       _resample_counts(int(groups.max()) + 1, n_resamples, seed)])
    totals = np.zeros((n_resamples, 2 * pairs + q * q))
    for low in range(0, n, _ROW_BLOCK):
        rows = slice(low, low + _ROW_BLOCK)
        seen, value = observed[rows], filled[rows]
        terms = np.concatenate([seen[:, upper[0]] & seen[:, upper[1]], value[:, upper[0]] * value[:, upper[1]],
                                value[:, every[0]] * seen[:, every[1]]], axis=1)
        totals += counts_per_group[:, groups[rows]].astype(float) @ terms
    counts, cross = (np.empty((n_resamples, q, q)) for _ in range(2))
    for matrix, part in ((counts, totals[:, :pairs]), (cross, totals[:, pairs:2 * pairs])):
        matrix[:, upper[0], upper[1]] = part
        matrix[:, upper[1], upper[0]] = part
    sums = totals[:, 2 * pairs:].reshape(-1, q, q)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (cross - sums * sums.transpose(0, 2, 1) / counts) / (counts - 1)


def bootstrap_importance(importance: np.ndarray, draws: np.ndarray, level: float) -> pd.DataFrame:
    """Percentile intervals of each driver's importance, its share of R² and its rank.

    Parameters
    ----------
    importance : numpy.ndarray
        (p,) importance on the full data.
    draws : numpy.ndarray
        (B, p) importance in each resample; resamples with NaN weights are left out.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per driver: ``importance_ci_low``/``_high`` (R² units),
        ``importance_share_ci_low``/``_high`` (% of each resample's R²), ``rank_ci_low``/``_high``
        (1 = most important; the ranks a driver took in the central ``level`` of the resamples);
        missing when no resample is usable.
    """
    tails = [(1 - level) / 2, (1 + level) / 2]
    draws = draws[~np.isnan(draws).any(axis=1)]
    columns = ["importance_ci_low", "importance_ci_high", "importance_share_ci_low", "importance_share_ci_high",
               "rank_ci_low", "rank_ci_high"]
    if not len(draws):  # every resample lost a driver's variance: no interval
        return pd.DataFrame(np.nan, index=np.arange(len(importance)), columns=columns)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = 100 * draws / draws.sum(axis=1, keepdims=True)
    ranks = stats.rankdata(-draws, axis=1, method="min")
    low, high = np.quantile(draws, tails, axis=0)
    share_low, share_high = np.quantile(shares, tails, axis=0)
    rank_low, rank_high = np.quantile(ranks, tails, axis=0, method="inverted_cdf")
    values = [low, high, share_low, share_high, rank_low.astype(int), rank_high.astype(int)]
    return pd.DataFrame(dict(zip(columns, values, strict=True)), index=np.arange(len(importance)))


def pairwise_covariance(
    values: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete covariance matrix: each entry from the rows where both columns are observed.

    Parameters
    ----------
    values : numpy.ndarray
        (n, q) array with NaN for missing values.
    weights : numpy.ndarray, optional
        Frequency weight of each row (e.g. bootstrap counts); default 1.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The (q, q) covariances (divisor: co-observed weight - 1; the diagonal is each column's
        variance over all its observed rows) and the (q, q) co-observed weights.

    Examples
    --------
    >>> v = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 6.0], [4.0, 8.0]])
    >>> cov, n = pairwise_covariance(v)
    >>> round(float(cov[0, 1]), 4), float(n[0, 1])  # rows 0, 2, 3: 42 / 9
    (4.6667, 3.0)
    """
    values = np.asarray(values, dtype=float)
    w = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=float)
    observed = (~np.isnan(values)).astype(float)
    filled = np.nan_to_num(values)
    weighted = filled * w[:, None]
    counts = (observed * w[:, None]).T @ observed
    cross = weighted.T @ filled
    sums = weighted.T @ observed  # [j, k]: sum of column j over rows where j and k are observed
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (cross - sums * sums.T / counts) / (counts - 1)
    return cov, counts


def _resolve_kind(y: pd.Series, kind: str) -> str:
    values = np.unique(y.to_numpy(dtype=float))
    if kind == "auto":
        return "binary" if len(values) == 2 and set(values) <= {0.0, 1.0} else "continuous"
    if kind == "binary" and not set(values) <= {0.0, 1.0}:
        raise ValueError(
            f"key_drivers: a binary outcome must be coded 0/1 (or bool), got values {values[:6]}"
        )
    if kind == "ordinal" and not np.all(values % 1 == 0):
        raise ValueError("key_drivers: an ordinal outcome must have whole-number levels")
    return kind
