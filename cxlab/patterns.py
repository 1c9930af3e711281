"""Models fitted on distinct covariate patterns with frequency weights instead of on every row.

One job: reduce rows to the distinct combinations of their values, count them, and fit on the
counts. A logistic model fitted on the distinct (covariate pattern, outcome) rows with their
counts as frequency weights has the same likelihood as the row-level fit, term by term, so the
same estimates, standard errors and log-likelihood (statsmodels ``GLM`` with ``freq_weights``);
with categorical covariates a million invitations reduce to a few thousand rows. Where most rows
are distinct (continuous covariates), the rows are fitted as they are, without a copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PatternLogit", "first_rows", "fit_logit_on_patterns", "identical_rows"]


def identical_rows(columns, n_rows: int) -> np.ndarray:
    """Code ``0 .. k-1`` of each row such that rows with the same value in every column share a code.

    Parameters
    ----------
    columns : iterable of array-like
        Columns of equal length ``n_rows`` (numbers, text, booleans or categorical Series; missing
        values are a value).
    n_rows : int
        Number of rows.

    Returns
    -------
    numpy.ndarray
        Integer code per row, ``0 .. k-1`` for the ``k`` distinct rows.

    Examples
    --------
    >>> identical_rows([np.array([1, 1, 2, 1]), np.array(["a", "a", "a", "b"])], 4).tolist()
    [0, 0, 2, 1]
    """
    combined = np.zeros(n_rows, dtype=np.int64)
    size = 1
    for values in columns:
        codes, n_codes = _codes(values)
        if n_codes == 1:
            continue
        if size * n_codes >= 2**62:
            combined, kept = pd.factorize(combined)
            size = len(kept)
        combined *= n_codes
        combined += codes
        size *= n_codes
    if size <= max(4 * n_rows, _SMALL_RANGE):  # few possible combinations: number the ones present directly
        present = np.bincount(combined, minlength=size) > 0
        return (np.cumsum(present) - 1)[combined]
    return pd.factorize(combined)[0]


def first_rows(codes: np.ndarray) -> np.ndarray:
    """Position of the first row of each code ``0 .. k-1`` (e.g. of :func:`identical_rows`).

    Examples
    --------
    >>> first_rows(np.array([1, 1, 0, 1, 2, 0])).tolist()
    [2, 0, 4]
    """
    if codes.size == 0:
        return np.zeros(0, dtype=np.int64)
    first = np.full(int(codes.max()) + 1, codes.size, dtype=np.int64)
    np.minimum.at(first, codes, np.arange(codes.size))
    return first


_SMALL_RANGE = 1 << 20


def _codes(values) -> tuple[np.ndarray, int]:
    """Integer codes of a column and how many codes there are (categories and whole numbers in a small range map
    directly)."""
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        return np.asarray(values.cat.codes, dtype=np.int64) + 1, len(values.cat.categories) + 1
    values = np.asarray(values)
    if values.dtype == bool:
        return values.astype(np.int64), 2
    if values.dtype.kind in "iuf" and values.size:
        with np.errstate(invalid="ignore"):  # missing or huge values do not convert and fail the comparison
            whole = values.astype(np.int64)
        if values.dtype.kind != "f" or np.array_equal(whole, values):
            low, high = whole.min(), whole.max()
            if high - low < _SMALL_RANGE:
                return (whole - low if low else whole), int(high - low) + 1
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    return codes, len(uniques)


@dataclass
class PatternLogit:
    """A logistic model fitted on distinct (covariate pattern, outcome) rows.

    Attributes
    ----------
    result : statsmodels GLMResults
        The binomial GLM fitted on the patterns with their counts as ``freq_weights``:
        ``params``, ``bse``, ``llf``, ``cov_params()`` are those of the row-level fit.
    patterns : pandas.DataFrame
        The rows fitted (plus ``outcome`` and ``count``): the distinct rows of the design, or every
        row (with its weight) when more than half of them are distinct.
    row_pattern : numpy.ndarray
        Index into ``patterns`` of each input row.
    """

    result: object
    patterns: pd.DataFrame
    row_pattern: np.ndarray

    @property
    def params(self) -> pd.Series:
        """Coefficients (log odds ratios) by design column."""
        return self.result.params

    @property
    def bse(self) -> pd.Series:
        """Standard errors of the coefficients."""
        return self.result.bse

    def predict(self) -> np.ndarray:
        """Fitted probability of each input row."""
        return np.asarray(self.result.fittedvalues)[self.row_pattern]


def fit_logit_on_patterns(design: pd.DataFrame, outcome, *, weights=None) -> PatternLogit:
    """Fit a logistic regression on the distinct rows of ``design`` x ``outcome``.

    Parameters
    ----------
    design : pandas.DataFrame
        Numeric design matrix, one row per unit, including the constant if one is wanted.
    outcome : array-like
        0/1 outcome per row.
    weights : array-like, optional
        Frequency weight of each row (default 1); rows with the same pattern and outcome have
        their weights summed.

    Returns
    -------
    PatternLogit

    Raises
    ------
    ValueError
        When the outcome is not 0/1 in every row (naming the rows) or its length differs from the
        design's.

    Examples
    --------
    >>> import statsmodels.api as sm
    >>> design = sm.add_constant(pd.DataFrame({"annual": [0.0] * 6 + [1.0] * 6}))
    >>> fit = fit_logit_on_patterns(design, [0, 1, 1] * 2 + [0, 0, 1] * 2)
    >>> len(fit.patterns), round(float(fit.params["annual"]), 4)
    (4, -1.3863)
    """
    import statsmodels.api as sm  # here: identical_rows and first_rows serve modules that fit no model

    y = np.asarray(outcome, dtype=float)
    if y.shape != (len(design),):
        raise ValueError(f"logistic model: {y.size} outcomes for {len(design)} design rows")
    bad = np.flatnonzero((y != 0) & (y != 1))
    if bad.size:
        raise ValueError(f"logistic model: the outcome must be 0 or 1; rows {bad[:10].tolist()} "
                         f"({bad.size} in all) are not")
    w = np.ones(len(design)) if weights is None else np.asarray(weights, dtype=float)
    x = design.to_numpy(dtype=float)
    row_pattern = identical_rows([*x.T, y], len(design))
    first = first_rows(row_pattern)
    if len(first) > len(design) // 2:
        # most rows distinct (continuous covariates: 1,181,536 patterns of 1,182,475 invitations at 1M
        # customers): the rows themselves are fitted, without a copy of the design
        row_pattern = first = np.arange(len(design))
        rows, counts = x, w
    else:
        rows, counts = x[first], np.bincount(row_pattern, weights=w)
    # Newton's method from zero: the same maximum as statsmodels' default IRLS (for the logit link the
    # observed and expected information agree), without a weighted least-squares solve per iteration,
    # which took 8x longer on a million patterns
    result = sm.GLM(y[first], pd.DataFrame(rows, columns=design.columns, copy=False), family=sm.families.Binomial(),
                    freq_weights=counts).fit(method="newton", start_params=np.zeros(rows.shape[1]), max_start_irls=0)
    # the model's frame and this one share the rows (a million patterns of 20 columns are 160 MB)
    patterns = pd.DataFrame(rows, columns=design.columns, copy=False)
    patterns["outcome"], patterns["count"] = y[first], counts
    return PatternLogit(result=result, patterns=patterns, row_pattern=row_pattern)
