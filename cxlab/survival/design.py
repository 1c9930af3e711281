"""Design matrices for churn Cox models.

One job: turn a frame of covariates into the numeric matrix lifelines fits, and say what
was done to it.

* Categorical covariates (text, category, bool) are one-hot encoded against an explicit
  reference level (``baseline``; default from :data:`DEFAULT_REFERENCES`, else the most
  common level). Design columns are named ``"<covariate>[<level>]"``.
* Numeric covariates enter per unit. Missing values are filled with the observed mean and
  flagged by an indicator column ``"<covariate>[missing]"`` (so the slope is estimated on
  the customers who have a value; the indicator carries the difference of those who do not).
* Constant columns and columns that are exact linear combinations of earlier ones (including
  the implicit intercept) are dropped before fitting, with a sentence per column.
* :func:`collapse_censored_rows` merges identical censored rows into frequency weights.
  Only censored rows are merged: lifelines (like R's ``coxph``) applies Efron's tie
  correction per *row*, so merging tied events into one weighted row would change the
  estimate, whereas a censored row enters the partial likelihood only through the risk-set
  sums, which are linear in its weight. The merged fit is therefore identical to the fit on
  one row per customer (coefficients, standard errors, log-likelihood, Schoenfeld residuals).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["DEFAULT_REFERENCES", "MISSING_LEVEL", "Design", "Term", "build_design", "collapse_censored_rows",
           "independent_columns"]

DEFAULT_REFERENCES = {
    "nps_category": "passive",
    "contract": "monthly",
}
MISSING_LEVEL = "missing"
_COLLINEAR_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Term:
    """One design column: which covariate it comes from and how to read its hazard ratio."""

    name: str
    covariate: str
    kind: str  # "level", "indicator", "numeric" or "missing"
    level: str = ""
    reference: str = ""


@dataclass
class Design:
    """A numeric design matrix with its terms and the notes made while building it."""

    matrix: pd.DataFrame
    terms: dict[str, Term]
    notes: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _is_categorical(values: pd.Series) -> bool:
    return (
        isinstance(values.dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(values)
        or pd.api.types.is_object_dtype(values)
        or pd.api.types.is_string_dtype(values)
    )


def _level_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Each row's level as a code into the levels present (missing values are ``MISSING_LEVEL``)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    text = pd.Index([str(u) for u in uniques] + [MISSING_LEVEL])
    text_codes, levels = pd.factorize(text)  # values that print alike form one level
    row_codes = text_codes[np.where(codes < 0, len(uniques), codes)]
    present = np.bincount(row_codes, minlength=len(levels)) > 0
    return (np.cumsum(present) - 1)[row_codes], levels[present]


def _is_indicator(values: pd.Series) -> bool:
    observed = values.dropna()
    return bool(len(observed)) and bool(observed.isin([0, 1]).all()) and not values.isna().any()


def _reference_level(covariate: str, counts: pd.Series, baseline: dict) -> str:
    levels = [str(level) for level in counts.index]
    if covariate in baseline:
        reference = str(baseline[covariate])
        if reference not in levels:
            raise ValueError(
                f"baseline for '{covariate}' is '{reference}', which is not a level of the column "
                f"(levels: {sorted(levels)})"
            )
        return reference
    default = DEFAULT_REFERENCES.get(covariate)
    if default in levels:
        return default
    return str(counts.idxmax())


def build_design(frame: pd.DataFrame, covariates, *, baseline: dict | None = None,
                 weights: pd.Series | None = None) -> Design:
    """Encode covariates as a numeric design matrix with explicit reference levels.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer (or per customer-interval); not modified.
    covariates : sequence of str
        Columns to encode, in the order their terms should appear.
    baseline : dict, optional
        Reference level per categorical covariate, e.g. ``{"segment": "SMB"}``.
    weights : pandas.Series, optional
        Frequency weight of each row (used to find the most common level and to detect
        constant and collinear columns).

    Returns
    -------
    Design
        ``matrix`` (float columns named by term), ``terms`` (:class:`Term` per column),
        ``notes`` (one sentence per dropped or filled column) and ``dropped`` (column names).

    Raises
    ------
    ValueError
        When a covariate is not a column of ``frame`` or a baseline level does not exist.

    Examples
    --------
    >>> frame = pd.DataFrame({"nps_category": ["passive", "detractor", "promoter", "passive", "detractor"],
    ...                       "ces": [2.0, None, 5.0, 3.0, 6.0]})
    >>> list(build_design(frame, ["nps_category", "ces"]).matrix.columns)
    ['nps_category[detractor]', 'nps_category[promoter]', 'ces', 'ces[missing]']
    """
    baseline = dict(baseline or {})
    covariates = list(covariates)
    missing = [c for c in covariates if c not in frame.columns]
    if missing:
        raise ValueError(f"covariate column(s) {missing} not in the frame (have {list(frame.columns)})")
    unknown = sorted(set(baseline) - set(covariates))
    if unknown:
        raise ValueError(f"baseline names column(s) {unknown} that are not among the covariates {covariates}")
    w = pd.Series(1.0, index=frame.index) if weights is None else pd.Series(weights, index=frame.index)
    columns: dict[str, np.ndarray] = {}
    terms: dict[str, Term] = {}
    notes: list[str] = []
    for covariate in covariates:
        values = frame[covariate]
        if _is_categorical(values):
            codes, levels = _level_codes(values)
            counts = pd.Series(np.bincount(codes, weights=w.to_numpy(dtype=float), minlength=len(levels)),
                               index=levels).sort_index()
            reference = _reference_level(covariate, counts, baseline)
            if len(counts) == 1:
                notes.append(f"'{covariate}' has a single level ('{reference}') and was left out.")
            for level in counts.index:
                if level == reference:
                    continue
                name = f"{covariate}[{level}]"
                columns[name] = (codes == levels.get_loc(level)).astype(float)
                terms[name] = Term(name, covariate, "level", str(level), reference)
        elif _is_indicator(values):
            columns[covariate] = values.to_numpy(dtype=float)
            terms[covariate] = Term(covariate, covariate, "indicator", "1", "0")
        else:
            numeric = pd.to_numeric(values, errors="raise").astype(float)
            absent = numeric.isna()
            if absent.all():
                notes.append(f"'{covariate}' has no values and was left out.")
                continue
            if absent.any():
                fill = float(np.average(numeric[~absent], weights=w[~absent]))
                columns[covariate] = numeric.fillna(fill).to_numpy()
                name = f"{covariate}[{MISSING_LEVEL}]"
                columns[name] = absent.to_numpy(dtype=float)
                terms[covariate] = Term(covariate, covariate, "numeric")
                terms[name] = Term(name, covariate, "missing", MISSING_LEVEL, "observed")
                notes.append(
                    f"'{covariate}' is missing for {w[absent].sum():,.0f} of {w.sum():,.0f} rows: they get the "
                    f"mean ({fill:.2f}) and the indicator '{name}'."
                )
            else:
                columns[covariate] = numeric.to_numpy()
                terms[covariate] = Term(covariate, covariate, "numeric")
    matrix = pd.DataFrame(columns, index=frame.index)
    keep, drop_notes = independent_columns(matrix, weights=w)
    dropped = [c for c in matrix.columns if c not in keep]
    return Design(matrix[keep], {k: terms[k] for k in keep}, notes + drop_notes, dropped)


def independent_columns(matrix: pd.DataFrame, *, weights=None) -> tuple[list[str], list[str]]:
    """Pick the columns to keep: not constant and not a linear combination of earlier columns.

    Columns are examined in order; a column is dropped when, after centring (the Cox model has
    no intercept, so a constant is already in its span), its residual after regression on the
    columns kept so far is numerically zero.

    Parameters
    ----------
    matrix : pandas.DataFrame
        Numeric design columns.
    weights : array-like, optional
        Frequency weights of the rows.

    Returns
    -------
    (list of str, list of str)
        The columns to keep and one sentence per dropped column.

    Examples
    --------
    >>> m = pd.DataFrame({"a": [0.0, 1, 0, 1], "b": [1.0, 1, 1, 1], "c": [1.0, 0, 1, 0]})
    >>> independent_columns(m)[0]
    ['a']
    """
    if matrix.shape[1] == 0:
        return [], []
    w = np.ones(len(matrix)) if weights is None else np.asarray(weights, dtype=float)
    x = matrix.to_numpy(dtype=float)
    centred = x - np.average(x, axis=0, weights=w)
    gram = centred.T @ (centred * w[:, None])
    keep: list[int] = []
    notes: list[str] = []
    names = list(matrix.columns)
    for j, name in enumerate(names):
        own = gram[j, j]
        scale = max(1.0, float(np.max(np.abs(centred[:, j]))) ** 2 * w.sum())
        if own <= _COLLINEAR_TOLERANCE * scale:
            notes.append(f"'{name}' is constant (the same value for every row) and was dropped.")
            continue
        if keep:
            coef, *_ = np.linalg.lstsq(gram[np.ix_(keep, keep)], gram[keep, j], rcond=None)
            residual = own - gram[j, keep] @ coef
            if residual <= 1e-8 * own:
                partners = [names[k] for k, c in zip(keep, coef, strict=True) if abs(c) > 1e-6]
                notes.append(
                    f"'{name}' is an exact linear combination of {partners} (perfectly collinear) and was dropped."
                )
                continue
        keep.append(j)
    return [names[j] for j in keep], notes


def collapse_censored_rows(frame: pd.DataFrame, *, key_cols, event_col: str, weights_col: str) -> pd.DataFrame:
    """Merge identical censored rows into one row with the summed frequency weight.

    Rows with an event are kept as they are (see the module docstring for why this keeps
    Efron's tie handling exact).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows to fit, with ``weights_col`` holding frequency weights; not modified.
    key_cols : sequence of str
        Columns that define identical rows (times, design columns, strata).
    event_col : str
        0/1 event indicator.
    weights_col : str
        Frequency weights.

    Returns
    -------
    pandas.DataFrame
        Event rows followed by the merged censored rows, with a fresh RangeIndex.

    Examples
    --------
    >>> f = pd.DataFrame({"t": [3, 3, 3, 5], "e": [0, 0, 1, 0], "x": [1.0, 1.0, 1.0, 0.0], "w": 1.0})
    >>> collapse_censored_rows(f, key_cols=["t", "x"], event_col="e", weights_col="w")["w"].tolist()
    [1.0, 2.0, 1.0]
    """
    key_cols = list(key_cols)
    events = frame[frame[event_col] == 1]
    censored = (
        frame[frame[event_col] != 1]
        .groupby(key_cols, sort=False, dropna=False)[weights_col]
        .sum()
        .reset_index()
    )
    censored[event_col] = 0
    return pd.concat([events[censored.columns], censored], ignore_index=True)
