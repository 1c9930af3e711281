"""Reading a source export and describing what an adapter made of it.

Every adapter returns a :class:`SourceTables`: the data-model tables it could build, the
as-of date it chose, how many rows it read, and every source row it rejected with the
rule the row broke. Nothing is dropped without a line in ``rejected``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = ["GAPS", "REJECTED_COLUMNS", "SourceTables", "combine_problems", "describe_problems", "file_sha256",
           "problems", "read_source_csv"]

REJECTED_COLUMNS = ["row", "column", "rule", "value"]
# What a source may lack beyond tables and columns: the words of ``not_in_source`` in meta.json.
GAPS = {
    "calendar_dates": "dates are derived or placeholders: no trends or quarter-by-quarter comparisons",
    "tenure": "acquisition dates are placeholders: tenures and cohorts mean nothing",
    "churn": "churn is not recorded: an empty churned_at does not mean the customer stayed",
    "customer_identity": "each row is its own pseudo-customer: customer counts mean nothing",
}


@dataclass
class SourceTables:
    """The data-model tables built from one source file.

    Attributes
    ----------
    customers : pandas.DataFrame
        The ``customers`` table (see :mod:`cxlab.schema`).
    surveys : pandas.DataFrame or None
        The ``surveys`` table, None when the source has no survey answers.
    as_of : pandas.Timestamp
        The as-of date of the converted data (midnight).
    rows_read : int
        Data rows read from the source file (header excluded).
    rejected : pandas.DataFrame
        One row per problem of a rejected source row: ``row`` (1-based data row of the
        source file; the CSV line is row + 1), ``column``, ``rule``, ``value``. A row with
        several problems appears several times.
    name : str
        Name of the source data set.
    description : str
        What the source is and how it was mapped, in one paragraph.
    notes : list of str
        Every mapping assumption, one sentence each.
    not_in_source : list of str
        What the source cannot provide, from the vocabulary of :data:`GAPS`: tables,
        ``"<table>.<column>"`` for columns filled with placeholders, and the facts below.
    """

    customers: pd.DataFrame
    surveys: pd.DataFrame | None
    as_of: pd.Timestamp
    rows_read: int
    rejected: pd.DataFrame
    name: str
    description: str
    notes: list[str] = field(default_factory=list)
    not_in_source: list[str] = field(default_factory=list)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the tables present, keyed by data-model table name."""
        found = {"customers": self.customers, "surveys": self.surveys}
        return {name: df for name, df in found.items() if df is not None}

    @property
    def rows_rejected(self) -> int:
        """Number of distinct source rows rejected."""
        return int(self.rejected["row"].nunique())


def read_source_csv(path, *, expected_columns, source_name: str) -> pd.DataFrame:
    """Read a source CSV as text, with surrounding blanks removed and blanks as missing.

    Every cell is read as a string (no type guessing), CRLF or LF line endings alike; cells
    that are empty or only blanks become missing (NaN).

    Parameters
    ----------
    path : str or pathlib.Path
        The CSV file.
    expected_columns : iterable of str
        Columns the source must have; others are kept.
    source_name : str
        Name of the data set, for error messages.

    Returns
    -------
    pandas.DataFrame
        Indexed 0..n-1 in file order.

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    ValueError
        When expected columns are missing.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{source_name}: file not found: {path}")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")
    raw.columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in expected_columns if c not in raw.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing} of the {source_name} file; "
                         f"found {list(raw.columns)}")
    stripped = {}
    for column in raw.columns:
        text = raw[column].str.strip()
        stripped[column] = text.mask(text == "")
    return pd.DataFrame(stripped).reset_index(drop=True)


def file_sha256(path) -> str:
    """Return the SHA-256 hex digest of a file (to record exactly which file was converted)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def problems(mask: pd.Series, column: str, rule: str, values: pd.Series) -> pd.DataFrame:
    """Describe the rows where ``mask`` is True as rejected-row records.

    Parameters
    ----------
    mask : pandas.Series of bool
        True for each offending row; positionally aligned with ``values``.
    column, rule : str
        The source column and the rule the row breaks.
    values : pandas.Series
        The offending values.

    Returns
    -------
    pandas.DataFrame
        Columns ``row`` (1-based position), ``column``, ``rule``, ``value``.
    """
    where = mask.to_numpy(dtype=bool)
    return pd.DataFrame({
        "row": (where.nonzero()[0] + 1).astype(int),
        "column": column,
        "rule": rule,
        "value": pd.Series(values).to_numpy()[where].astype(str),
    }, columns=REJECTED_COLUMNS)


def combine_problems(found) -> pd.DataFrame:
    """Concatenate rejected-row records, sorted by row (empty frame when there are none)."""
    found = [f for f in found if len(f)]
    if not found:
        return pd.DataFrame({"row": pd.Series(dtype=int), "column": pd.Series(dtype=str),
                             "rule": pd.Series(dtype=str), "value": pd.Series(dtype=str)})
    found = pd.concat(found, ignore_index=True)
    return found.sort_values(["row", "column"], kind="stable", ignore_index=True)


def describe_problems(problems_found: pd.DataFrame, *, where: str, max_rows_shown: int = 10) -> str:
    """Turn rejected-row records into one readable error message.

    Parameters
    ----------
    problems_found : pandas.DataFrame
        Output of :func:`combine_problems`.
    where : str
        Prefix naming the function or file, e.g. ``"from_tenure_table"``.
    max_rows_shown : int
        Rows listed per column and rule.

    Returns
    -------
    str
    """
    lines = [f"{where}: {problems_found['row'].nunique()} row(s) cannot be mapped:"]
    for (column, rule), group in problems_found.groupby(["column", "rule"], sort=False):
        rows = group["row"].astype(int).tolist()
        shown = ", ".join(map(str, rows[:max_rows_shown])) + (", ..." if len(rows) > max_rows_shown else "")
        values = ", ".join(repr(v) for v in pd.unique(group["value"])[:5])
        lines.append(f"- column '{column}' {rule}: {len(rows)} row(s) [{shown}] (values found: {values})")
    lines.append("Rows are 1-based positions in the input table.")
    return "\n".join(lines)
