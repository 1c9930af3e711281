"""Cheap yes/no answers to "does this table keep every rule of its schema?".

:mod:`cxlab.io` validates tables with the pandera schemas of :mod:`cxlab.schema`, and pandera's
row-level failure report is what users see when data break a rule. On large tables that
machinery costs several times the reading of the files, mostly in operations on Python string
objects (missing values, empty text, uniqueness, membership). This module evaluates the *same
schema objects* (each column's dtype, nullable and unique flags and checks, and the schema's
multi-column uniqueness) with vectorised kernels on Arrow-backed text and factorised keys, and
answers only whether every rule holds. :mod:`cxlab.io` asks pandera for the report only when the
answer is no. A schema feature this module does not evaluate makes the answer no, so pandera
remains the judge of every rule and no rule is written twice.

It also provides the look-up behind the foreign-key rule ("every customer_id is in the customers
file"), whose result doubles as a factorisation of the column, so that a large table's customer
ids are hashed once for both that rule and a uniqueness rule over customer and month.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = ["Codes", "all_distinct", "lookup", "rows_distinct", "rules_hold", "text_column"]

# Distinct multi-column keys are counted with a flag per possible key while the flags take at most
# this many bytes per row (as many as the key itself), else with a hash table.
_FLAG_BYTES_PER_ROW = 8


@dataclass(frozen=True)
class Codes:
    """A column factorised beforehand: equal values have equal codes in ``range(n_values)``.

    Attributes
    ----------
    codes : numpy.ndarray of int
        One code per row, none negative (no missing values).
    n_values : int
        Upper bound of the codes (exclusive).
    """

    codes: np.ndarray
    n_values: int


def text_column(values: pd.Series, arrow_values: pyarrow.ChunkedArray | None = None) -> pd.Series:
    """Return a text column as an Arrow-backed Series, whose comparisons, hashing and membership
    tests run in Arrow's C++ kernels instead of on Python string objects.

    Parameters
    ----------
    values : pandas.Series
        Text: strings and missing values (None, NaN, pd.NA).
    arrow_values : pyarrow.ChunkedArray, optional
        The same strings already in Arrow memory (a Parquet string column): used without copying.

    Returns
    -------
    pandas.Series
        Dtype ``string[pyarrow]`` with the index and name of ``values``; ``values`` itself when it
        holds something other than strings and missing values (then every check sees the original).

    Examples
    --------
    >>> text_column(pd.Series(["a", None], name="id")).dtype
    string[pyarrow]
    """
    if arrow_values is None:
        try:
            arrow_values = pyarrow.chunked_array(
                [pyarrow.array(values.to_numpy(dtype=object), type=pyarrow.string(), from_pandas=True)]
            )
        except (pyarrow.ArrowInvalid, pyarrow.ArrowTypeError):
            return values
    return pd.Series(pd.arrays.ArrowExtensionArray(arrow_values), index=values.index, name=values.name)


def _arrow(values: pd.Series) -> pyarrow.ChunkedArray | None:
    if not isinstance(values.dtype, pd.ArrowDtype):
        return None
    arrow_values = pyarrow.array(values.array)  # the Arrow memory itself, not a copy
    return arrow_values if isinstance(arrow_values, pyarrow.ChunkedArray) else pyarrow.chunked_array([arrow_values])


def all_distinct(values: pd.Series) -> bool:
    """Whether no value occurs twice (missing values count as one value, as in ``Series.is_unique``).

    Strictly increasing text (identifiers exported in key order) is distinct without hashing.

    Parameters
    ----------
    values : pandas.Series

    Returns
    -------
    bool

    Examples
    --------
    >>> all_distinct(text_column(pd.Series(["b", "a", "b"])))
    False
    """
    arrow_values = _arrow(values)
    if arrow_values is not None and len(arrow_values) > 1 and arrow_values.null_count == 0:
        later, earlier = arrow_values.slice(1), arrow_values.slice(0, len(arrow_values) - 1)
        if pc.all(pc.greater(later, earlier)).as_py():
            return True
    return bool(values.is_unique)


def rows_distinct(columns: Sequence[pd.Series | Codes]) -> bool:
    """Whether no combination of values occurs in two rows, for columns without missing values.

    Each column is factorised once (Arrow dictionary encoding for text) unless given as
    :class:`Codes`, the codes are combined into one integer key per row, and the distinct keys
    are counted.

    Parameters
    ----------
    columns : sequence of pandas.Series or Codes
        Columns of equal length.

    Returns
    -------
    bool
        False also when a column has missing values (the caller's full check decides then).

    Examples
    --------
    >>> rows_distinct([pd.Series(["a", "a", "b"]), pd.Series([1, 2, 1])])
    True
    >>> rows_distinct([Codes(np.array([0, 0]), n_values=1), pd.Series([1, 1])])
    False
    """
    n_rows = len(columns[0].codes if isinstance(columns[0], Codes) else columns[0])
    key = np.zeros(n_rows, dtype=np.int64)
    n_keys = 1
    for column in columns:
        if isinstance(column, Codes):
            codes, n_values = column.codes, column.n_values
        elif column.hasnans:
            return False
        else:
            # datetimes are factorised as their integer nanoseconds (pandas' datetime path is slower)
            numpy_datetimes = isinstance(column.dtype, np.dtype) and column.dtype.kind == "M"
            values = column.to_numpy().view(np.int64) if numpy_datetimes else column
            codes, uniques = pd.factorize(values)
            n_values = len(uniques)
        if n_keys * n_values >= 2**62:
            key, distinct = pd.factorize(key)
            n_keys = len(distinct)
        key = key * n_values + codes
        n_keys *= n_values
    if n_keys <= _FLAG_BYTES_PER_ROW * max(n_rows, 1):
        seen = np.zeros(n_keys, dtype=bool)
        seen[key] = True
        return int(np.count_nonzero(seen)) == n_rows
    return len(pd.unique(key)) == n_rows


def lookup(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Position of each value among the non-missing ``keys``; -1 where absent or missing.

    Equal values get equal positions, so the result is also a factorisation of the values found
    (codes in ``range(len(keys))``).

    Parameters
    ----------
    values, keys : pandas.Series
        Text columns, Arrow-backed (see :func:`text_column`) for speed.

    Returns
    -------
    numpy.ndarray of int
        One entry per value.

    Examples
    --------
    >>> lookup(text_column(pd.Series(["C2", "C9", None])), text_column(pd.Series(["C1", "C2"]))).tolist()
    [1, -1, -1]
    """
    arrow_values, arrow_keys = _arrow(values), _arrow(keys)
    if arrow_values is None or arrow_keys is None:
        return pd.Index(keys.dropna().unique()).get_indexer(values)
    value_set = arrow_keys.drop_null().combine_chunks()
    positions = pc.index_in(arrow_values, value_set=value_set, skip_nulls=True)
    return pc.fill_null(positions, -1).to_numpy()


def _evaluable(table_schema: pa.DataFrameSchema) -> bool:
    """Whether :func:`rules_hold` evaluates every feature the schema uses."""
    frame_level = (
        table_schema.checks or table_schema.parsers or table_schema.index is not None
        or table_schema.dtype is not None or table_schema.strict or table_schema.ordered
        or table_schema.unique_column_names or table_schema.add_missing_columns or table_schema.drop_invalid_rows
    )
    column_level = any(
        column.regex or column.parsers or column.drop_invalid_rows or column.default is not None
        or any(check.groupby is not None for check in column.checks)
        for column in table_schema.columns.values()
    )
    return not frame_level and not column_level


def rules_hold(columns: Mapping[str, pd.Series], table_schema: pa.DataFrameSchema,
               codes: Mapping[str, Codes] | None = None) -> bool:
    """Whether ``table_schema.validate`` would pass on a table with these columns.

    Evaluates each column's dtype, ``nullable`` and ``unique`` flags and its checks (pandera's own
    check objects, called on the given column, so each check means exactly what it means in
    pandera), and the schema's ``unique`` column combinations. Nothing is reported row by row.

    Parameters
    ----------
    columns : mapping of str to pandas.Series
        The table's columns, already converted to the schema's types; text columns may be
        Arrow-backed (:func:`text_column`).
    table_schema : pandera.pandas.DataFrameSchema
    codes : mapping of str to Codes, optional
        Factorisations of some columns already computed; multi-column uniqueness uses them
        instead of factorising those columns again.

    Returns
    -------
    bool
        True only when every rule holds; False when one is broken, or when the schema uses a
        feature evaluated only by pandera.

    Examples
    --------
    >>> import pandera.pandas as pa
    >>> ids = pa.DataFrameSchema({"id": pa.Column(None, unique=True)})
    >>> rules_hold({"id": text_column(pd.Series(["a", "b"]))}, ids)
    True
    >>> rules_hold({"id": text_column(pd.Series(["a", "a"]))}, ids)
    False
    """
    if not _evaluable(table_schema):
        return False
    for name, column in table_schema.columns.items():
        if name not in columns:
            if column.required:
                return False
            continue
        values = columns[name]
        if column.dtype is not None and str(values.dtype) != str(column.dtype):
            return False
        if not column.nullable and values.hasnans:
            return False
        if column.unique and not all_distinct(values):
            return False
        if not all(bool(check(values).check_passed) for check in column.checks):
            return False
    unique = table_schema.unique or []
    combinations = [unique] if all(isinstance(name, str) for name in unique) else unique
    for combination in combinations:
        present = [(codes or {}).get(name, columns[name]) for name in combination if name in columns]
        if present and not rows_distinct(present):
            return False
    return True
