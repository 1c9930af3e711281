"""Identifiers as text, the one form the tables are joined on."""

from __future__ import annotations

import pandas as pd

__all__ = ["as_text_ids"]


def as_text_ids(values: pd.Series) -> pd.Series:
    """Identifiers as text: text columns as they are, anything else (numbers, mixed objects) through ``str``.

    A report's kernels hold identifiers as Arrow-backed text (:data:`cxlab.snapshot.ARROW_TEXT`);
    turning those into Python strings again took seconds per million rows at every join.

    Parameters
    ----------
    values : pandas.Series
        Identifiers of one table.

    Returns
    -------
    pandas.Series

    Examples
    --------
    >>> as_text_ids(pd.Series([101, 102])).tolist()
    ['101', '102']
    >>> ids = pd.Series(["C1", "C2"], dtype="string[pyarrow]")
    >>> as_text_ids(ids) is ids
    True
    """
    return values if isinstance(values.dtype, pd.StringDtype) else values.astype(str)
