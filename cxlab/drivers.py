"""Key-driver analysis: which touchpoint experiences move an outcome such as NPS.

Two complementary answers are given for every driver:

* a regression coefficient with a robust standard error (statsmodels OLS with HC3 errors for a
  continuous outcome such as NPS 0-10 or a 1-5 rating; Logit with sandwich (HC0) errors for a
  binary outcome such as a "satisfied" flag; an ordered logit with HC0 errors on request), and
* a relative importance that shares the model's R² among correlated drivers, with a bootstrap
  interval for each driver's importance and for its rank:

  - exact general dominance (the Shapley value of R²), the average gain in R² from adding the
    driver to every subset of the other drivers. R² of each of the 2^p subsets is computed from
    the correlation matrix (no refits on rows), but the count grows as 2^p, so it is used up to
    :data:`EXACT_DOMINANCE_MAX` drivers (the default ``importance="auto"``);
  - Johnson's (2000) relative weights (:func:`relative_weights`), which regress the outcome on the
    orthogonal counterparts of the drivers and map the variance back through their loadings:
    one eigen-decomposition, any number of drivers, and within a point or two of dominance
    (LeBreton, Ployhart & Ladd 2004 found the two nearly identical).

  For binary and ordinal outcomes the decomposed R² is that of the linear model on the 0/1 (or
  ordinal) scores — the linear probability model for a binary outcome — which
  :attr:`KeyDriverAnalysis.importance_basis_` states.

:func:`driver_frame` builds the usual input from a ``surveys`` table: one row per relationship-NPS
answer with the respondent's mean CSAT per touchpoint in the days before that answer.
"""

from __future__ import annotations

import html
from math import comb

import numpy as np
import pandas as pd
import scipy.linalg
import seaborn as sns
import statsmodels.api as sm
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel

from cxlab.periods import known_by
from cxlab.schema import RELATIONSHIP, TOUCHPOINTS

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


def driver_frame(
    surveys: pd.DataFrame,
    *,
    as_of,
    window_days: int = 180,
    score: str = "csat",
    outcome: str = "nps",
    touchpoints: list[str] | None = None,
    same_questionnaire: bool = False,
) -> pd.DataFrame:
    """One row per relationship-survey answer with the respondent's recent touchpoint scores.

    For each relationship answer given at time t (on or before ``as_of``) the driver value of a
    touchpoint is the customer's mean ``score`` over their answers to that touchpoint's survey
    given in ``[t - window_days, t)``: strictly before the relationship answer, so nothing the
    customer said afterwards is used. A touchpoint without an answer in the window is missing (NaN).

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table (see :mod:`cxlab.schema`); not modified.
    as_of : str or pandas.Timestamp
        Analysis date: answers given after it are ignored.
    window_days : int
        Look-back window in days.
    score : str
        Transactional score averaged per touchpoint (``"csat"`` or ``"ces"``).
    outcome : str
        Score column of the relationship survey kept as the outcome.
    touchpoints : list of str, optional
        Touchpoints to use as drivers; default all non-relationship touchpoints in the data, in
        the order of :data:`cxlab.schema.TOUCHPOINTS` first.
    same_questionnaire : bool
        Also count touchpoint answers given at the same moment as the outcome answer. Use it for
        questionnaires that ask the touchpoint ratings and the overall question together (e.g. a
        wide survey export, all answers sharing one ``responded_at``); in longitudinal data leave
        it off so that only earlier experiences explain a later answer.

    Returns
    -------
    pandas.DataFrame
        Columns ``invitation_id``, ``customer_id``, ``responded_at``, ``outcome`` (named as given),
        then one float column per touchpoint. ``attrs`` records ``as_of``, ``window_days``, ``score``
        and ``touchpoints`` (the driver columns).

    Examples
    --------
    >>> s = pd.DataFrame({"invitation_id": ["a", "b", "c"], "customer_id": ["1", "1", "1"],
    ...     "touchpoint": ["support", "support", "relationship"],
    ...     "responded_at": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-03-10"], cache=False),
    ...     "csat": [2.0, 4.0, None], "nps": [None, None, 9.0]})
    >>> float(driver_frame(s, as_of="2025-12-31")["support"].iloc[0])
    3.0
    """
    needed = ["invitation_id", "customer_id", "touchpoint", "responded_at", score, outcome]
    missing = [c for c in needed if c not in surveys.columns]
    if missing:
        raise ValueError(f"driver_frame: surveys table lacks column(s) {missing}")
    if window_days <= 0:
        raise ValueError(f"driver_frame: window_days must be positive, got {window_days}")
    as_of = pd.Timestamp(as_of)
    answered = surveys.loc[surveys["responded_at"].notna(), needed].copy()
    answered["responded_at"] = pd.to_datetime(answered["responded_at"], cache=False)
    answered = answered[known_by(answered["responded_at"], as_of)]
    answered["customer_id"] = answered["customer_id"].astype(str)

    rel = answered[(answered["touchpoint"] == RELATIONSHIP) & answered[outcome].notna()]
    rel = rel[["invitation_id", "customer_id", "responded_at", outcome]].sort_values("responded_at")
    trans = answered[(answered["touchpoint"] != RELATIONSHIP) & answered[score].notna()]
    if touchpoints is None:
        present = set(trans["touchpoint"])
        touchpoints = [t for t in TOUCHPOINTS if t in present] + sorted(present - set(TOUCHPOINTS))
    trans = trans[trans["touchpoint"].isin(touchpoints)]
    # Long format: one key per (customer, touchpoint) pair, one query per (answer, touchpoint) pair.
    n_tp = len(touchpoints)
    customers, _ = pd.factorize(pd.concat([rel["customer_id"], trans["customer_id"]], ignore_index=True))
    rel_customer, trans_customer = customers[: len(rel)], customers[len(rel) :]
    tp_code = pd.Categorical(trans["touchpoint"], categories=touchpoints).codes
    events = pd.DataFrame(
        {
            "key": trans_customer * n_tp + tp_code,
            "at": trans["responded_at"].to_numpy(),
            "score": trans[score].astype(float).to_numpy(),
        }
    )
    queries = pd.DataFrame(
        {
            "key": np.repeat(rel_customer * n_tp, n_tp) + np.tile(np.arange(n_tp), len(rel)),
            "at": np.repeat(rel["responded_at"].to_numpy(), n_tp),
        }
    )
    totals = totals_before(
        events,
        queries,
        event_time="at",
        query_time="at",
        value_cols=["score"],
        by="key",
        window_days=window_days,
        include_same_time=same_questionnaire,
    )
    n = totals["score_n"].to_numpy().reshape(len(rel), n_tp)
    means = np.where(
        n > 0, totals["score_sum"].to_numpy().reshape(len(rel), n_tp) / np.where(n > 0, n, 1), np.nan
    )
    out = pd.concat([rel.reset_index(drop=True), pd.DataFrame(means, columns=touchpoints)], axis=1)
    out.attrs.update(as_of=as_of, window_days=window_days, score=score, touchpoints=list(touchpoints))
    return out


# Overall questions a relationship row may carry, in order of preference, with their plain-words name.
OUTCOMES = {
    "nps": "likelihood to recommend (NPS, 0-10)",
    "recommend5": "likelihood to recommend (1-5)",
    "satisfied": "overall satisfied (yes / no)",
}


def available_outcome(surveys: pd.DataFrame) -> str | None:
    """The overall question the relationship answers carry: ``nps``, else ``recommend5``, else ``satisfied``.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.

    Returns
    -------
    str or None
        The first column of :data:`OUTCOMES` with at least one relationship answer, or None.

    Examples
    --------
    >>> s = pd.DataFrame({"touchpoint": ["relationship", "support"], "nps": [None, None],
    ...                   "satisfied": [1.0, None]})
    >>> available_outcome(s)
    'satisfied'
    """
    if "touchpoint" not in surveys.columns:
        raise ValueError("available_outcome: surveys table lacks column 'touchpoint'")
    relationship = surveys[surveys["touchpoint"] == RELATIONSHIP]
    for column in OUTCOMES:
        if column in relationship.columns and relationship[column].notna().any():
            return column
    return None


def asked_together(surveys: pd.DataFrame, *, outcome: str) -> bool:
    """Whether most overall answers were given at the same moment as touchpoint answers.

    True for a wide questionnaire (one export row per respondent with the overall question and the
    touchpoint ratings), False for longitudinal survey data where touchpoint surveys come before
    the relationship survey. Decides ``same_questionnaire`` of :func:`driver_frame`.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    outcome : str
        Column of the overall question.

    Returns
    -------
    bool
        True when more than half of the overall answers share their customer and ``responded_at``
        with a touchpoint answer.
    """
    missing = [c for c in ("customer_id", "touchpoint", "responded_at", outcome) if c not in surveys.columns]
    if missing:
        raise ValueError(f"asked_together: surveys table lacks column(s) {missing}")
    answered = surveys[surveys["responded_at"].notna()]
    is_overall = (answered["touchpoint"] == RELATIONSHIP) & answered[outcome].notna()
    overall = answered.loc[is_overall, ["customer_id", "responded_at"]]
    if overall.empty:
        return False
    touchpoint = answered.loc[answered["touchpoint"] != RELATIONSHIP, ["customer_id", "responded_at"]]
    shared = overall.merge(touchpoint.drop_duplicates(), on=["customer_id", "responded_at"], how="inner")
    return len(shared) > len(overall) / 2


def totals_before(
    events: pd.DataFrame,
    queries: pd.DataFrame,
    *,
    event_time: str,
    query_time: str,
    value_cols: list[str],
    by: str = "customer_id",
    window_days: float | None = None,
    include_same_time: bool = False,
) -> pd.DataFrame:
    """Sum and count of each value over a key's events strictly before each query time.

    The no-look-ahead aggregation behind :func:`driver_frame` and
    :func:`cxlab.nonresponse.propensity_frame`: for a query at time t it uses the events of the
    same ``by`` key with time in ``[t - window_days, t)`` (or ``< t`` without a window). Running
    totals per key are found by binary search on (key, time) codes, so the cost is a sort, not a loop.

    Parameters
    ----------
    events : pandas.DataFrame
        Rows with ``by``, ``event_time`` and the value columns (NaN = no value); not modified.
    queries : pandas.DataFrame
        Rows with ``by`` and ``query_time``; not modified.
    event_time, query_time : str
        Timestamp columns of ``events`` and ``queries``.
    value_cols : list of str
        Columns of ``events`` to total.
    by : str
        Key column in both frames (e.g. ``customer_id``).
    window_days : float, optional
        Look-back window; None means all earlier events.
    include_same_time : bool
        Count events at exactly the query time too (``[t - window_days, t]``).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``queries``, with ``<col>_sum`` and ``<col>_n`` (count of non-missing values)
        for each value column; 0 where there is no earlier event.

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "a"], "at": pd.to_datetime(["2025-01-01", "2025-02-01",
    ...     "2025-03-01"]), "x": [1.0, 2.0, 4.0]})
    >>> q = pd.DataFrame({"customer_id": ["a"], "at": pd.to_datetime(["2025-03-01"])})
    >>> totals_before(ev, q, event_time="at", query_time="at", value_cols=["x"]).iloc[0].tolist()
    [3.0, 2.0]
    """
    columns = [f"{c}_{kind}" for c in value_cols for kind in ("sum", "n")]
    # Integer codes for the keys, and dense ranks of every time involved, so that (key, time)
    # becomes one sortable int64 and each lookup is a binary search.
    key_codes, _ = pd.factorize(pd.concat([events[by], queries[by]], ignore_index=True))
    event_keys, query_keys = key_codes[: len(events)], key_codes[len(events) :].astype(np.int64)
    event_at = _nanoseconds(events[event_time])
    query_at = _nanoseconds(queries[query_time])
    window_at = query_at - int(pd.Timedelta(days=window_days).value) if window_days is not None else query_at[:0]
    stamps, ranks = np.unique(np.concatenate([event_at, query_at, window_at]), return_inverse=True)
    span = np.int64(len(stamps) + 1)
    event_slot = event_keys.astype(np.int64) * span + ranks[: len(events)]
    order = np.argsort(event_slot, kind="stable")
    event_slot = event_slot[order]
    values = events[value_cols].astype(float).to_numpy()[order]
    per_event = np.empty((len(order), len(columns)))
    per_event[:, 0::2] = np.nan_to_num(values)
    per_event[:, 1::2] = ~np.isnan(values)
    # running totals within each key (restarting at every key, so no large totals are subtracted)
    running = pd.DataFrame(per_event).groupby(event_keys[order]).cumsum().to_numpy()
    running = np.vstack([np.zeros((1, len(columns))), running])
    key_first = _sorted_search(event_slot, query_keys * span, "left")

    def lookup(query_ranks: np.ndarray, inclusive: bool) -> np.ndarray:
        before = _sorted_search(event_slot, query_keys * span + query_ranks, "right" if inclusive else "left")
        return np.where((before > key_first)[:, None], running[before], 0.0)

    totals = lookup(ranks[len(events) : len(events) + len(queries)], include_same_time)
    if window_days is not None:  # the window's start is inclusive: subtract what came strictly before it
        totals = totals - lookup(ranks[len(events) + len(queries) :], False)
    return pd.DataFrame(totals, index=queries.index, columns=columns)


def _sorted_search(haystack: np.ndarray, needles: np.ndarray, side: str) -> np.ndarray:
    """``np.searchsorted`` with the needles visited in order (far fewer cache misses on large arrays)."""
    order = np.argsort(needles, kind="stable")
    found = np.empty(len(needles), dtype=np.int64)
    found[order] = np.searchsorted(haystack, needles[order], side=side)
    return found


def _nanoseconds(times: pd.Series) -> np.ndarray:
    """Timestamps as int64 nanoseconds (NaT must not occur)."""
    return pd.to_datetime(times, cache=False).to_numpy().astype("datetime64[ns]").astype(np.int64)


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


def _resample_weights(groups: np.ndarray, n_resamples: int, seed: int):
    """Yield chunks (at most 64 resamples, n rows) of bootstrap frequency weights over groups.

    ``groups`` codes each row's group 0..G-1 (each row its own group for a row bootstrap); a
    resample draws G groups with replacement and every row takes its group's count.
    """
    n_groups = int(groups.max()) + 1
    rng = np.random.default_rng(seed)
    for start in range(0, n_resamples, _RESAMPLE_CHUNK):
        size = min(_RESAMPLE_CHUNK, n_resamples - start)
        drawn = rng.integers(0, n_groups, size=(size, n_groups)) + n_groups * np.arange(size)[:, None]
        counts = np.bincount(drawn.ravel(), minlength=size * n_groups).reshape(size, n_groups)
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


class KeyDriverAnalysis:
    """Key-driver model: robust regression coefficients plus dominance-based importance.

    Parameters
    ----------
    outcome_kind : {"auto", "continuous", "binary", "ordinal"}
        ``"auto"`` treats a 0/1 (or boolean) outcome as binary and anything else as continuous.
    missing : {"impute_mean", "drop", "pairwise"}
        ``"impute_mean"`` replaces a missing driver value by the driver's mean (a customer who did
        not use a touchpoint is treated as average there, which keeps everyone in the model but
        pulls the coefficients of sparsely observed, correlated drivers towards each other);
        ``"drop"`` keeps only rows with every driver observed. ``"pairwise"`` (continuous outcomes)
        estimates every covariance from the rows where both variables are observed and solves the
        regression and the dominance decomposition from that matrix; its standard errors come
        from a seeded bootstrap (over ``cluster_col`` groups when given). It is the method of choice
        when each respondent rated only some touchpoints, as in survey data joined over time.
        Rows with no driver observed at all and rows with a missing outcome are always left out.
    importance : {"auto", "dominance", "relative_weights"}
        How the R² is shared among the drivers: exact general dominance, Johnson's relative
        weights, or ``"auto"``: dominance up to :data:`EXACT_DOMINANCE_MAX` drivers, relative
        weights above (dominance enumerates 2^p subsets; it is allowed up to :data:`MAX_DRIVERS`).
    level : float
        Confidence level of the coefficient and importance intervals.
    n_resamples : int
        Bootstrap resamples of the importance intervals (and of the coefficients' errors for
        ``missing="pairwise"``); over ``cluster_col`` groups when given, else over rows.
    seed : int
        Bootstrap seed.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per driver, by importance rank: ``driver``, ``coefficient`` (per driver unit on the
        outcome scale; log-odds for binary/ordinal), ``robust_se``, ``ci_low``, ``ci_high``,
        ``p_value``, ``importance`` (general dominance weight, R² units), ``importance_share``
        (% of the model R², sums to 100), ``rank``, ``mean_performance`` (mean observed driver
        value), ``n`` (rows where the driver was observed), the percentile bootstrap intervals
        ``importance_ci_low``/``_high``, ``importance_share_ci_low``/``_high`` and
        ``rank_ci_low``/``_high``, and ``method`` (the importance method, in words).
    r2_ : float
        R² that the importance weights decompose (see ``importance_basis_``).
    n_ : int
        Rows used in the model.
    dropped_ : dict
        Drivers left out, with the reason (all missing / constant).
    outcome_kind_, importance_basis_, cov_type_ : str
        What was fitted and how: robust errors are HC3 (OLS) or HC0 (Logit, ordered logit), or
        cluster-robust when ``cluster_col`` is given, or bootstrap for ``missing="pairwise"``.
    importance_method_ : str
        ``"dominance"`` or ``"relative_weights"``.
    bootstrap_importance_ : pandas.DataFrame
        Importance of each driver (columns) in each resample (rows).
    model_ : statsmodels results or None
        The fitted regression (None for ``missing="pairwise"``, which has
        ``bootstrap_coefficients_`` instead).
    """

    def __init__(
        self,
        *,
        outcome_kind: str = "auto",
        missing: str = "impute_mean",
        importance: str = "auto",
        level: float = 0.95,
        n_resamples: int = 500,
        seed: int = 0,
    ):
        if importance not in IMPORTANCE_METHODS:
            raise ValueError(f"importance must be one of {IMPORTANCE_METHODS}, got {importance!r}")
        if outcome_kind not in OUTCOME_KINDS:
            raise ValueError(f"outcome_kind must be one of {OUTCOME_KINDS}, got {outcome_kind!r}")
        if missing not in MISSING_RULES:
            raise ValueError(f"missing must be one of {MISSING_RULES}, got {missing!r}")
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1, got {level}")
        if n_resamples < 50:
            raise ValueError(f"n_resamples must be at least 50, got {n_resamples}")
        self.outcome_kind = outcome_kind
        self.missing = missing
        self.importance = importance
        self.level = level
        self.n_resamples = n_resamples
        self.seed = seed

    def fit(
        self,
        frame: pd.DataFrame,
        *,
        outcome: str = "nps",
        drivers: list[str] | None = None,
        cluster_col: str | None = None,
        performance_label: str = "Mean driver score",
    ) -> KeyDriverAnalysis:
        """Fit the regression and the dominance decomposition.

        Parameters
        ----------
        frame : pandas.DataFrame
            One row per respondent; not modified.
        outcome : str
            Outcome column (NPS 0-10, a rating, or a 0/1 / boolean flag).
        drivers : list of str, optional
            Driver columns; default every numeric column except the outcome.
        cluster_col : str, optional
            Column identifying who answered (e.g. ``customer_id``): standard errors then allow for
            one customer's answers being alike (cluster-robust, or resampling whole customers).
        performance_label : str
            Axis label for the driver scale in :meth:`plot_importance_performance`,
            e.g. ``"Mean CSAT (1-5)"``.

        Returns
        -------
        KeyDriverAnalysis
            self, fitted.
        """
        if outcome not in frame.columns:
            raise ValueError(
                f"key_drivers: outcome column {outcome!r} not in the table (have {list(frame.columns)})"
            )
        if cluster_col is not None and cluster_col not in frame.columns:
            raise ValueError(f"key_drivers: cluster column {cluster_col!r} not in the table")
        if drivers is None:
            drivers = [c for c in frame.select_dtypes(include=["number", "bool"]).columns if c != outcome]
        absent = [d for d in drivers if d not in frame.columns]
        if absent:
            raise ValueError(f"key_drivers: driver column(s) {absent} not in the table")
        if outcome in drivers:
            raise ValueError(f"key_drivers: the outcome {outcome!r} cannot also be a driver")
        try:
            data = frame[[outcome, *drivers]].astype(float)
        except (TypeError, ValueError) as err:
            raise ValueError(f"key_drivers: outcome and drivers must be numeric ({err})") from err
        data = data[data[outcome].notna()]

        self.dropped_ = {}
        for d in drivers:
            observed = data[d].dropna()
            if observed.empty:
                self.dropped_[d] = "all values missing"
            elif observed.nunique() == 1:
                self.dropped_[d] = "constant"
        kept = [d for d in drivers if d not in self.dropped_]
        if not kept:
            raise ValueError(f"key_drivers: no usable driver (dropped: {self.dropped_})")
        self.importance_method_ = self._importance_method(len(kept))
        data = data[data[kept].notna().any(axis=1)]
        if self.missing == "drop":
            data = data.dropna(subset=kept)
        observed_n = data[kept].notna().sum()
        performance = data[kept].mean()
        x = data[kept].fillna(performance)
        y = data[outcome]
        if len(data) <= len(kept) + 1:
            raise ValueError(f"key_drivers: {len(data)} usable rows for {len(kept)} drivers; need more rows")
        self.outcome_kind_ = _resolve_kind(y, self.outcome_kind)
        clusters = pd.factorize(frame.loc[data.index, cluster_col])[0] if cluster_col else None
        groups = np.arange(len(data)) if clusters is None else clusters

        if self.missing == "pairwise":
            if self.outcome_kind_ != "continuous":
                raise ValueError(
                    "key_drivers: missing='pairwise' is a linear-model method for a continuous "
                    f"outcome; use 'impute_mean' or 'drop' for a {self.outcome_kind_} outcome"
                )
            coef, se, importance, draws = self._fit_pairwise(data[[outcome, *kept]], groups)
            z = stats.norm.ppf(0.5 + self.level / 2)
            ci_low, ci_high = coef - z * se, coef + z * se
            p_value = 2 * stats.norm.sf(np.abs(coef / se))
            self.model_ = None
            self.cov_type_ = f"{'cluster ' if cluster_col else ''}bootstrap ({self.n_resamples} resamples)"
        else:
            exog = sm.add_constant(x, has_constant="add")
            robust = (
                {"cov_type": "cluster", "cov_kwds": {"groups": clusters}}
                if cluster_col
                else {"cov_type": "HC3" if self.outcome_kind_ == "continuous" else "HC0"}
            )
            if self.outcome_kind_ == "continuous":
                self.model_ = sm.OLS(y, exog).fit(**robust)
            elif self.outcome_kind_ == "binary":
                self.model_ = sm.Logit(y, exog).fit(disp=0, **robust)
            else:
                self.model_ = OrderedModel(y, x, distr="logit").fit(
                    method="bfgs", disp=0, maxiter=500, **robust
                )
            self.cov_type_ = f"cluster-robust by {cluster_col}" if cluster_col else robust["cov_type"]
            ci = self.model_.conf_int(alpha=1 - self.level)
            coef, se = self.model_.params[kept].to_numpy(), self.model_.bse[kept].to_numpy()
            ci_low, ci_high = ci.loc[kept, 0].to_numpy(), ci.loc[kept, 1].to_numpy()
            p_value = self.model_.pvalues[kept].to_numpy()
            values = np.column_stack([y.to_numpy(), x.to_numpy()])
            importance = importance_weights(np.corrcoef(values, rowvar=False), self.importance_method_)
            draws = importance_weights(_bootstrap_covariances(values, groups, self.n_resamples, self.seed),
                                       self.importance_method_)
        self.importance_basis_ = {
            "continuous": "R² of the linear model"
            + (" on pairwise-complete covariances" if self.missing == "pairwise" else ""),
            "binary": "R² of the linear probability model (OLS on the 0/1 outcome)",
            "ordinal": "R² of OLS on the ordinal scores",
        }[self.outcome_kind_]
        self.r2_ = float(importance.sum())
        table = pd.DataFrame(
            {
                "driver": kept,
                "coefficient": coef,
                "robust_se": se,
                "ci_low": ci_low,
                "ci_high": ci_high,
                "p_value": p_value,
                "importance": importance,
                "importance_share": 100 * importance / self.r2_ if self.r2_ > 0 else np.nan,
                "mean_performance": performance.to_numpy(),
                "n": observed_n.to_numpy().astype(int),
            }
        )
        table["rank"] = stats.rankdata(-table["importance"], method="min").astype(int)
        table = table.join(bootstrap_importance(importance, draws, self.level))
        table["method"] = IMPORTANCE_NAMES[self.importance_method_]
        self.bootstrap_importance_ = pd.DataFrame(draws, columns=kept)
        self._summary = table.sort_values("rank").reset_index(drop=True)[
            [
                "driver",
                "coefficient",
                "robust_se",
                "ci_low",
                "ci_high",
                "p_value",
                "importance",
                "importance_share",
                "importance_ci_low",
                "importance_ci_high",
                "importance_share_ci_low",
                "importance_share_ci_high",
                "rank",
                "rank_ci_low",
                "rank_ci_high",
                "mean_performance",
                "n",
                "method",
            ]
        ]
        self.n_ = int(len(data))
        self.outcome_ = outcome
        self.performance_label_ = performance_label
        return self

    def _importance_method(self, n_drivers: int) -> str:
        if self.importance == "auto":
            return "dominance" if n_drivers <= EXACT_DOMINANCE_MAX else "relative_weights"
        if self.importance == "dominance" and n_drivers > MAX_DRIVERS:
            raise ValueError(f"key_drivers: exact dominance takes at most {MAX_DRIVERS} drivers (2^p subsets), "
                             f"got {n_drivers}; use importance='relative_weights' or 'auto'")
        return self.importance

    def _fit_pairwise(self, data: pd.DataFrame, groups: np.ndarray):
        """Coefficients and importance from pairwise-complete covariances, with bootstrap draws of both."""
        values = data.to_numpy(dtype=float)
        cov, counts = pairwise_covariance(values)
        fewest = int(counts.min())
        if fewest < data.shape[1] + 2:
            raise ValueError(
                f"key_drivers: some pair of columns is observed together in only {fewest} rows; "
                "use missing='impute_mean'"
            )
        coef = np.linalg.solve(cov[1:, 1:], cov[1:, 0])
        importance = importance_weights(cov, self.importance_method_)
        resampled = np.stack([pairwise_covariance(values, weights)[0]  # one pass over the data per resample
                              for chunk in _resample_weights(groups, self.n_resamples, self.seed)
                              for weights in chunk])
        draws = np.stack([np.linalg.lstsq(c[1:, 1:], c[1:, 0], rcond=None)[0] for c in resampled])
        self.bootstrap_coefficients_ = pd.DataFrame(draws, columns=data.columns[1:])
        return coef, draws.std(axis=0, ddof=1), importance, importance_weights(resampled, self.importance_method_)

    @property
    def summary(self) -> pd.DataFrame:
        """Driver table (see the class docstring); a copy."""
        if not hasattr(self, "_summary"):
            raise ValueError("KeyDriverAnalysis: call fit() first")
        return self._summary.copy()

    def plot_importance_performance(self, ax=None, *, title: str | None = None):
        """Importance-vs-performance quadrant chart.

        Each driver is a labelled point: horizontal position = mean performance on the driver's
        scale, vertical = share of explained variance (%). Dashed lines at the average performance
        and the average share split the chart into quadrants; the top-left quadrant (important,
        below-average performance) is where improvement pays most.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when omitted.
        title : str, optional
            Chart title; default names the outcome and the number of answers.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        table = self.summary
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 5))
        sns.scatterplot(data=table, x="mean_performance", y="importance_share", s=70, ax=ax, color="tab:blue")
        # Labels alternate above and below their point (by rank) so that neighbours overlap less.
        for row in table.itertuples():
            ax.annotate(
                row.driver.replace("_", " "),
                (row.mean_performance, row.importance_share),
                xytext=(5, 4 if row.rank % 2 else -11),
                textcoords="offset points",
                fontsize=9,
            )
        ax.axvline(table["mean_performance"].mean(), color="grey", ls="--", lw=1)
        ax.axhline(table["importance_share"].mean(), color="grey", ls="--", lw=1)
        ax.set_xlabel(self.performance_label_)
        ax.set_ylabel(f"Importance (% of explained variance, R² = {self.r2_:.2f})")
        ax.margins(x=0.15, y=0.12)
        ax.set_title(title or f"Key drivers of {self.outcome_}: importance vs performance (n = {self.n_:,})")
        return ax

    def _repr_html_(self) -> str:
        if not hasattr(self, "_summary"):
            return "<p>KeyDriverAnalysis (not fitted)</p>"
        head = (
            f"<p>Key drivers of <b>{html.escape(self.outcome_)}</b> ({self.outcome_kind_}, "
            f"{self.cov_type_} robust errors), n = {self.n_:,}; importance "
            f"({html.escape(IMPORTANCE_NAMES[self.importance_method_])}) decomposes "
            f"{html.escape(self.importance_basis_)} = {self.r2_:.3f}.</p>"
        )
        if self.dropped_:
            head += (
                "<p>Dropped: "
                + html.escape(", ".join(f"{k} ({v})" for k, v in self.dropped_.items()))
                + "</p>"
            )
        return head + self._summary.to_html(index=False, escape=True, float_format=lambda v: f"{v:.3g}")


def key_drivers(
    frame: pd.DataFrame,
    *,
    outcome: str = "nps",
    drivers: list[str] | None = None,
    outcome_kind: str = "auto",
    missing: str = "impute_mean",
    importance: str = "auto",
    cluster_col: str | None = None,
    level: float = 0.95,
    n_resamples: int = 500,
    seed: int = 0,
    performance_label: str = "Mean driver score",
) -> KeyDriverAnalysis:
    """Fit a :class:`KeyDriverAnalysis` in one call.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent (e.g. from :func:`driver_frame`); not modified.
    outcome : str
        Outcome column: NPS 0-10, a 1-5 rating, or a 0/1 satisfied flag.
    drivers : list of str, optional
        Driver columns; default every numeric column except the outcome.
    outcome_kind : {"auto", "continuous", "binary", "ordinal"}
        Model family (see :class:`KeyDriverAnalysis`).
    missing : {"impute_mean", "drop", "pairwise"}
        Treatment of missing driver values (see :class:`KeyDriverAnalysis`).
    importance : {"auto", "dominance", "relative_weights"}
        Importance method (see :class:`KeyDriverAnalysis`); any number of drivers with
        relative weights.
    cluster_col : str, optional
        Column identifying the respondent, for errors that allow repeated answers per customer.
    level : float
        Confidence level of the coefficient and importance intervals.
    n_resamples, seed : int
        Bootstrap settings of the importance intervals (and of ``missing="pairwise"``).
    performance_label : str
        Axis label of the driver scale in the importance-performance chart.

    Returns
    -------
    KeyDriverAnalysis
        Fitted; see its ``summary``, ``r2_``, ``n_``, ``dropped_``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    >>> df["y"] = 2 * df["a"] + df["b"] + rng.normal(size=200)
    >>> key_drivers(df, outcome="y").summary["driver"].tolist()
    ['a', 'b']
    """
    return KeyDriverAnalysis(
        outcome_kind=outcome_kind, missing=missing, importance=importance, level=level, n_resamples=n_resamples,
        seed=seed,
    ).fit(
        frame, outcome=outcome, drivers=drivers, cluster_col=cluster_col, performance_label=performance_label
    )
