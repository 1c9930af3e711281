"""Identifiers as text, the one form the tables are joined on, and look-ups of rows by identifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute

__all__ = ["as_text_ids", "attributes_of", "positions"]


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


def _in_arrow(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow"


def positions(ids: pd.Series, among: pd.Series) -> np.ndarray:
    """Position of each identifier in ``among`` (distinct identifiers, e.g. a customers table's), -1 where absent.

    Arrow-backed identifiers are looked up in Arrow's hash table (about 6x faster than a pandas
    index on millions of rows); other identifiers through ``pandas.Index.get_indexer``.

    Parameters
    ----------
    ids : pandas.Series
        Identifiers to look up (any number of times each).
    among : pandas.Series
        Distinct identifiers.

    Returns
    -------
    numpy.ndarray of int

    Examples
    --------
    >>> positions(pd.Series(["b", "x", "a", "b"]), pd.Series(["a", "b"])).tolist()
    [1, -1, 0, 1]
    """
    ids, among = as_text_ids(ids), as_text_ids(among)
    if _in_arrow(ids) and _in_arrow(among):
        value_set = pyarrow.array(among.array)
        value_set = value_set.combine_chunks() if isinstance(value_set, pyarrow.ChunkedArray) else value_set
        found = pyarrow.compute.index_in(pyarrow.array(ids.array), value_set=value_set)
        return found.fill_null(-1).to_numpy().astype(np.intp)
    return pd.Index(among).get_indexer(ids)


def attributes_of(ids: pd.Series, table: pd.DataFrame, columns, *, id_col: str = "customer_id") -> dict:
    """Columns of the row of ``table`` each identifier names, as a left join on distinct keys gives them.

    Parameters
    ----------
    ids : pandas.Series
        Identifiers, one per row of the frame the columns are for.
    table : pandas.DataFrame
        One row per identifier (e.g. the ``customers`` table).
    columns : list of str
        Columns of ``table`` to look up.
    id_col : str
        The identifier column of ``table``.

    Returns
    -------
    dict of str to array
        Per column, the values in the order of ``ids``; missing (NaN, NaT) for unknown identifiers,
        numbers with a missing value turned into floats, as a merge does.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": ["a", "b"], "segment": ["SMB", "Enterprise"], "seats": [3, 40]})
    >>> found = attributes_of(pd.Series(["b", "z"]), customers, ["segment", "seats"])
    >>> list(found["segment"]), found["seats"].tolist()
    (['Enterprise', nan], [40.0, nan])
    """
    rows = positions(ids, table[id_col])
    out = {}
    for column in columns:
        values = table[column]
        source = values.array if isinstance(values.dtype, pd.api.extensions.ExtensionDtype) else values.to_numpy()
        out[column] = pd.api.extensions.take(source, rows, allow_fill=True)
    return out
