"""Load a data folder into validated tables.

A data folder holds one file per table of :mod:`cxlab.schema` (``customers`` is required;
``revenue``, ``surveys``, ``cases`` are optional) as ``<table>.csv``, ``<table>.csv.gz`` or
``<table>.parquet``, and optionally ``meta.json`` with ``{"as_of": "YYYY-MM-DD"}`` (and, for
simulated data, ``"truth"``). :func:`load` validates every rule at once and either raises a
:class:`DataValidationError` listing all failures, or (``strict=False``) keeps the valid rows
and returns every rejected row with its reason.

The rules are declared once, as the pandera schemas of :mod:`cxlab.schema`. Each table is first
checked against them with vectorised kernels (:mod:`cxlab.fast_rules`: text in Arrow memory,
customer ids looked up once); pandera's row-by-row report runs only for a table that breaks a
rule, so the messages on bad data are pandera's. Parquet is the format for large data: its
text columns are checked without being converted to Python strings first.
"""

from __future__ import annotations

import html
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cxlab import fast_rules, schema
from cxlab.availability import Availability, availability
from cxlab.periods import known_by
from cxlab.snapshot import read_snapshot, release_arrow_memory

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = ["REJECTED_COLUMNS", "SUFFIXES", "CXData", "DataValidationError", "find_table_files", "find_table_parts",
           "load"]

SUFFIXES = (".parquet", ".csv", ".csv.gz")
REJECTED_COLUMNS = ["table", "file", "row", "column", "rule", "value"]
_MAX_ROWS_SHOWN = 10
_ARROW_TEXT_TYPES = ("string", "large_string", "string_view")


class DataValidationError(ValueError):
    """Input data broke the data model's rules.

    The message names each file, column, the rows (1-based data rows; in a CSV the line
    number is the row + 1 because of the header) and the rule broken. ``failures`` holds the
    same as a DataFrame with columns table, file, row, column, rule, value.
    """

    def __init__(self, message: str, failures: pd.DataFrame | None = None):
        super().__init__(message)
        self.failures = failures if failures is not None else pd.DataFrame(columns=REJECTED_COLUMNS)


@dataclass
class CXData:
    """The validated tables of one data folder.

    Attributes
    ----------
    customers : pandas.DataFrame
    revenue, surveys, cases : pandas.DataFrame or None
        None when the folder has no such file.
    as_of : pandas.Timestamp
        The data's as-of date: nothing in the data is later.
    as_of_source : str
        Where ``as_of`` came from: ``"argument"``, ``"meta.json"`` or ``"latest date in the data"``.
    source : pathlib.Path
        The data folder.
    files : dict of str to pathlib.Path
        The file each table was read from (for a table given as Parquet parts, their folder).
    truth : dict or None
        Ground truth of a simulated world (``meta.json``'s ``truth``), else None.
    rejected : pandas.DataFrame
        Rows rejected with ``strict=False`` (table, file, row, column, rule, value); empty otherwise.
    """

    customers: pd.DataFrame
    revenue: pd.DataFrame | None
    surveys: pd.DataFrame | None
    cases: pd.DataFrame | None
    as_of: pd.Timestamp
    as_of_source: str
    source: Path
    files: dict[str, Path]
    truth: dict | None = None
    rejected: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECTED_COLUMNS))

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the tables present, keyed by name."""
        return {name: df for name in schema.TABLES if (df := getattr(self, name)) is not None}

    @property
    def availability(self) -> Availability:
        """Which analyses these data allow and, for each one they do not, why (:mod:`cxlab.availability`)."""
        return availability(self)

    def __repr__(self) -> str:
        tables = ", ".join(f"{name} {len(df):,} rows" for name, df in self.tables().items())
        absent = [name for name in schema.TABLES if getattr(self, name) is None]
        lines = [f"CXData from {self.source}", f"  as of {self.as_of.date()} ({self.as_of_source})",
                 f"  tables: {tables}" + (f"; absent: {', '.join(absent)}" if absent else "")]
        if len(self.rejected):
            lines.append(f"  rejected rows: {len(self.rejected):,} (see .rejected)")
        if self.truth is not None:
            lines.append("  simulated world: ground truth in .truth")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(repr(self)) + "</pre>"


def find_table_files(folder: Path) -> dict[str, Path]:
    """Map each table name to its file in ``folder`` (tables without a file are absent).

    Raises
    ------
    DataValidationError
        When a table has more than one file (e.g. both CSV and Parquet).
    """
    found: dict[str, Path] = {}
    for table in schema.TABLES:
        candidates = [folder / f"{table}{suffix}" for suffix in SUFFIXES if (folder / f"{table}{suffix}").exists()]
        if len(candidates) > 1:
            names = ", ".join(p.name for p in candidates)
            raise DataValidationError(f"{folder}: table '{table}' has several files ({names}); keep one")
        if candidates:
            found[table] = candidates[0]
    return found


def find_table_parts(folder: Path) -> dict[str, list[Path]]:
    """Map each table name to its files in ``folder``: its one file, or the Parquet parts of its ``<table>/``
    folder (as Spark and DuckDB write them) in name order; tables without either are absent.

    Raises
    ------
    DataValidationError
        When a table has more than one file, or both a file and a folder.
    """
    files = find_table_files(folder)
    found: dict[str, list[Path]] = {}
    for table in schema.TABLES:
        parts = sorted((folder / table).glob("*.parquet")) if (folder / table).is_dir() else []
        if parts and table in files:
            raise DataValidationError(f"{folder}: table '{table}' has several files ({files[table].name}, "
                                      f"{table}/); keep one")
        if parts or table in files:
            found[table] = parts or [files[table]]
    return found


def _read_parquet(paths: list[Path]) -> tuple[pd.DataFrame, dict[str, pyarrow.ChunkedArray]]:
    """Read a Parquet file, or the parts of one table in order, as ``pandas.read_parquet`` does, empty
    text as missing.

    Also returns the text columns as Arrow arrays, on which the rules are checked without
    converting them to Python strings.

    Raises
    ------
    DataValidationError
        Naming the part that cannot be read, or whose columns differ from the first part's.
    """
    tables = []
    for path in paths:
        try:
            tables.append(pq.read_table(path, use_pandas_metadata=True))
        except (pyarrow.ArrowException, OSError) as err:
            raise DataValidationError(f"{path}: not a readable Parquet file (corrupted or truncated?): {err}") from None
        if not tables[-1].schema.equals(tables[0].schema, check_metadata=False):
            raise DataValidationError(f"{path}: its columns ({_columns(tables[-1].schema)}) differ from those of "
                                      f"{paths[0].name} ({_columns(tables[0].schema)}); the parts of one table "
                                      "need the same columns and types")
    arrow = pyarrow.concat_tables(tables) if len(tables) > 1 else tables[0]
    text = {}
    for position, column in enumerate(arrow.schema):
        if str(column.type) not in _ARROW_TEXT_TYPES:
            continue
        values = arrow.column(position)
        empty = pc.equal(values, "")
        if pc.any(empty).as_py():
            values = pc.if_else(empty, pyarrow.scalar(None, column.type), values)
            arrow = arrow.set_column(position, column, values)
        text[column.name] = values
    df = arrow.to_pandas()
    if b"PANDAS_ATTRS" in (arrow.schema.metadata or {}):
        df.attrs = json.loads(arrow.schema.metadata[b"PANDAS_ATTRS"])
    return df, text


def _columns(arrow_schema: pyarrow.Schema) -> str:
    return ", ".join(f"{column.name} {column.type}" for column in arrow_schema)


def _read_file(paths: list[Path], table: str) -> tuple[pd.DataFrame, dict[str, pyarrow.ChunkedArray]]:
    """The table as read (text as text, missing as missing) from its one file or its Parquet parts, and
    its Parquet text columns as Arrow arrays."""
    if paths[0].name.endswith(".parquet"):
        return _read_parquet(paths)
    path = paths[0]
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise DataValidationError(f"{path}: the file is empty; expected a header row with the {table} "
                                  f"columns {schema.required_columns(table)}") from None
    except UnicodeDecodeError as err:
        raise DataValidationError(f"{path}: not UTF-8 text (byte {err.start}: {err.reason}); "
                                  "save the file as UTF-8") from None
    except pd.errors.ParserError as err:
        raise DataValidationError(f"{path}: not a readable CSV file ({err})") from None
    if df.shape[1] == 1:
        header = str(df.columns[0])
        for sep, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if sep in header:
                raise DataValidationError(f"{path}: columns seem to be separated by {name}s ('{header[:60]}'); "
                                          "expected comma-separated values")
    return df, {}


def _rename(df: pd.DataFrame, text: dict, table: str, columns: dict | None) -> tuple[pd.DataFrame, dict]:
    if not columns:
        return df, text
    mapping = columns.get(table, columns) if isinstance(columns.get(table), dict) else columns
    flat = {src: std for std, src in mapping.items() if isinstance(src, str) and src in df.columns}
    return df.rename(columns=flat), {flat.get(name, name): values for name, values in text.items()}


def _check_columns(df: pd.DataFrame, table: str, path: Path) -> None:
    missing = [c for c in schema.required_columns(table) if c not in df.columns]
    if missing:
        raise DataValidationError(
            f"{path}: missing column(s) {missing} of table '{table}'; found {list(df.columns)}. "
            "Rename them or map them with load(..., columns={'<cxlab name>': '<your column>'})"
        )
    if len(df) == 0:
        raise DataValidationError(f"{path}: table '{table}' has a header but no rows")


def _table_schema(table: str, df: pd.DataFrame) -> pa.DataFrameSchema:
    """The table's schema plus the optional columns the frame has."""
    extra = {c: col for c, col in schema.OPTIONAL_COLUMNS.get(table, {}).items() if c in df.columns}
    return schema.SCHEMAS[table].add_columns(extra) if extra else schema.SCHEMAS[table]


def _coerce(df: pd.DataFrame, table: str, path: Path,
            known_text: Collection[str] = ()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Convert text to the schema's types; values that do not convert become failures (and missing).

    Columns already of their schema type are kept as they are; ``known_text`` names columns
    known to hold only strings and missing values (Parquet string columns).
    """
    out = df.copy(deep=False)
    found = []
    for name, column in _table_schema(table, df).columns.items():
        if name not in out.columns:
            continue
        raw = out[name]
        dtype = str(column.dtype)
        if column.dtype is None:
            if name not in known_text and pd.api.types.infer_dtype(raw, skipna=True) not in ("string", "empty"):
                out[name] = raw.where(raw.isna(), raw.astype(str))
            continue
        if str(raw.dtype) == dtype:
            continue
        if dtype.startswith("datetime"):
            if pd.api.types.is_datetime64_any_dtype(raw):
                converted = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) else raw
            else:
                converted = pd.to_datetime(raw, errors="coerce", format="ISO8601")
            converted = converted.astype("datetime64[ns]")
            rule = "must be a date (YYYY-MM-DD, optionally with a time)"
        elif dtype.startswith("float"):
            converted = pd.to_numeric(raw, errors="coerce").astype(float)
            rule = "must be a number"
        else:
            continue
        bad = raw.notna() & converted.isna()
        found.append(_row_failures(table, path, bad, name, rule, raw))
        out[name] = converted
    found = [f for f in found if len(f)]
    return out, (pd.concat(found, ignore_index=True) if found else _empty_failures())


def _rule_columns(coerced: pd.DataFrame, table_schema: pa.DataFrameSchema,
                  text: dict[str, pyarrow.ChunkedArray]) -> dict[str, pd.Series]:
    """The schema's columns of a coerced table, text as Arrow-backed Series (see cxlab.fast_rules)."""
    return {
        name: fast_rules.text_column(coerced[name], text.get(name)) if column.dtype is None else coerced[name]
        for name, column in table_schema.columns.items() if name in coerced.columns
    }


def _validate_table(df: pd.DataFrame, coerced: pd.DataFrame, failures: pd.DataFrame, columns: dict[str, pd.Series],
                    codes: dict[str, fast_rules.Codes], table: str, path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate one table read from ``path``: (the rows that keep every rule, the rows that break one).

    ``coerced``, ``failures`` come from :func:`_coerce` of ``df``; ``columns`` are the schema's
    columns of ``coerced`` (:func:`_rule_columns`) and ``codes`` factorisations of some of them.
    pandera's row-by-row report runs only when a rule is broken. Valid rows keep their row in the
    file as index.
    """
    table_schema = _table_schema(table, df)
    if not len(failures):
        if fast_rules.rules_hold(columns, table_schema, codes):
            return coerced, failures
        valid, failures = _pandera_failures(coerced, table_schema, table, path)
        if valid is not None:
            return valid, failures
    keep = ~df.index.isin(failures["row"].astype(int))
    retry, _ = _coerce(df.loc[keep], table, path)
    return _table_schema(table, retry).validate(retry, lazy=True), failures


def _pandera_failures(df: pd.DataFrame, table_schema: pa.DataFrameSchema, table: str,
                      path: Path) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Validate one coerced table with pandera; return (valid frame or None, failures row by row)."""
    import pandera.errors

    try:
        return table_schema.validate(df, lazy=True), _empty_failures()
    except pandera.errors.SchemaErrors as err:
        cases = err.failure_cases
        rows = cases[cases["index"].notna()]
        table_level = cases[cases["index"].isna()]
        if len(table_level):
            first = table_level.iloc[0]
            raise DataValidationError(
                f"{path}: column '{first['column']}' of table '{table}' breaks '{first['check']}' "
                f"(failure: {first['failure_case']})"
            ) from None
        failures = pd.DataFrame({
            "table": table, "file": str(path), "row": rows["index"].astype(int).to_numpy(),
            "column": rows["column"].astype(str).to_numpy(),
            "rule": rows["check"].astype(str).map(_plain_rule).to_numpy(),
            "value": rows["failure_case"].astype(str).to_numpy(),
        })
        return None, failures


def _plain_rule(check: str) -> str:
    if check == "field_uniqueness" or check.startswith("unique"):
        return "must be unique"
    if check == "not_nullable":
        return "must not be empty"
    return check


def _empty_failures() -> pd.DataFrame:
    return pd.DataFrame(columns=REJECTED_COLUMNS)


def _row_failures(table: str, path: Path, mask: pd.Series, column: str, rule: str,
                  values: pd.Series) -> pd.DataFrame:
    if not mask.any():
        return _empty_failures()
    bad = mask[mask].index
    return pd.DataFrame({"table": table, "file": str(path), "row": bad.to_numpy(dtype=int), "column": column,
                         "rule": rule, "value": values.loc[bad].astype(str).to_numpy()})


def _relational_failures(tables: dict[str, pd.DataFrame], files: dict[str, Path], as_of: pd.Timestamp,
                         customer_rows: dict[str, np.ndarray]) -> pd.DataFrame:
    """Rules across columns and tables: date order, no future dates, customers in the customers file.

    ``tables`` are the valid rows (index: row in the file); ``customer_rows`` gives, for every row
    of each table but customers, its customer's position among the customers file's ids or -1.
    """
    found = []
    for table, df in tables.items():
        path = files[table]
        for early, late in schema.DATE_ORDER[table]:
            mask = df[late].notna() & (df[late] < df[early])
            found.append(_row_failures(table, path, mask, late, f"must not be before {early}", df[late]))
        for col in schema.DATE_COLUMNS[table]:
            mask = df[col].notna() & ~known_by(df[col], as_of=as_of)
            found.append(_row_failures(table, path, mask, col,
                                       f"must not be after the as-of date {as_of.date()}", df[col]))
        if table != "customers":
            mask = pd.Series(customer_rows[table] < 0).reindex(df.index)
            found.append(_row_failures(table, path, mask, "customer_id", "unknown customer (not in customers)",
                                       df["customer_id"]))
    found = [f for f in found if len(f)]
    return pd.concat(found, ignore_index=True) if found else _empty_failures()


def describe_failures(failures: pd.DataFrame) -> str:
    """The message of a :class:`DataValidationError`: each file, column and rule with its rows and values.

    Parameters
    ----------
    failures : pandas.DataFrame
        Columns table, file, row (1-based), column, rule, value.

    Returns
    -------
    str
    """
    lines = [f"{len(failures)} problem(s) in the input data:"]
    for (file, column, rule), group in failures.groupby(["file", "column", "rule"], sort=False):
        rows = sorted(set(group["row"].astype(int)))
        shown = ", ".join(map(str, rows[:_MAX_ROWS_SHOWN])) + (", ..." if len(rows) > _MAX_ROWS_SHOWN else "")
        examples = ", ".join(repr(v) for v in group["value"].head(3))
        lines.append(f"- {file}: column '{column}' {rule}: {len(rows)} row(s) [{shown}] (values: {examples})")
    lines.append("Rows are 1-based data rows (CSV line = row + 1). Use load(..., strict=False) to keep the "
                 "valid rows and get the rejected ones with their reasons.")
    return "\n".join(lines)


def _one_based(failures: pd.DataFrame) -> pd.DataFrame:
    return failures.assign(row=failures["row"].astype(int) + 1)


def _read_meta(folder: Path) -> dict:
    meta = folder / "meta.json"
    return json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}


def _latest_date(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    latest = [pd.to_datetime(df[col], errors="coerce").max()
              for name, df in tables.items() for col in schema.DATE_COLUMNS[name]]
    return max(d for d in latest if pd.notna(d)).normalize()


def load(path, *, columns: dict | None = None, strict: bool = True, as_of=None,
         tables: tuple[str, ...] | list[str] | None = None, validated_copy=None) -> CXData:
    """Load and validate a data folder.

    Parameters
    ----------
    path : str or pathlib.Path
        Folder with ``customers`` and optionally ``revenue``, ``surveys``, ``cases`` files. A table
        may instead be a ``<table>/`` folder of Parquet parts with the same columns (as Spark and
        DuckDB export tables), read in name order; its problems name the part and the row in it.
    columns : dict, optional
        Column mapping for your own exports, cxlab name -> your column name, e.g.
        ``{"customer_id": "CustomerId", "acquired_at": "SignupDate"}``; applied to every table
        having that column. A per-table mapping ``{"surveys": {"nps": "Q1"}}`` is also accepted.
    strict : bool, default True
        True: any rule broken raises :class:`DataValidationError` listing all failures.
        False: keep the valid rows and return the rejected ones in ``CXData.rejected``
        (rows of other tables that belong to a rejected customer are rejected too).
    as_of : str or pandas.Timestamp, optional
        The data's as-of date. Default: ``meta.json``'s ``as_of``, else the latest date in the data.
    tables : sequence of str, optional
        Read only these tables (``customers`` is always read, for the foreign keys); the others
        are None as if absent. Default: every table the folder has.
    validated_copy : str or pathlib.Path, optional
        A copy of this folder's validated tables written by :func:`cxlab.snapshot.write_snapshot`
        (a report run shares one with its notebooks). Used, instead of validating again, only
        while it still describes the folder's files and no ``columns`` or ``as_of`` is given.

    Returns
    -------
    CXData

    Raises
    ------
    DataValidationError
        For a missing folder or customers file, unreadable files, missing columns, and (with
        ``strict=True``) any broken rule: types, ranges, uniqueness, dates in order, unknown
        customers, dates after the as-of date.

    Examples
    --------
    >>> from cxlab.datasets import demo_path
    >>> data = load(demo_path())
    >>> data.as_of.date()
    datetime.date(2026, 9, 30)
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataValidationError(f"{folder}: data folder not found")
    parts = find_table_parts(folder)
    if "customers" not in parts:
        raise DataValidationError(f"{folder}: no customers file; expected customers.csv, customers.csv.gz, "
                                  "customers.parquet or a customers/ folder of Parquet files")
    if tables is not None:
        unknown = sorted(set(tables) - set(schema.TABLES))
        if unknown:
            raise ValueError(f"load: unknown table(s) {unknown}; tables are {list(schema.TABLES)}")
    # each table's one file, or the folder of its parts (parts live in a folder of their own, as locate() tells them)
    wanted = {name: paths[0] if paths[0].parent == folder else folder / name for name, paths in parts.items()
              if tables is None or name == "customers" or name in tables}
    if columns is None and as_of is None:
        copy = read_snapshot(validated_copy, folder, parts, wanted) if validated_copy is not None else None
        if copy is not None:
            frames = copy["tables"]
            release_arrow_memory()
            return CXData(
                customers=frames["customers"], revenue=frames.get("revenue"), surveys=frames.get("surveys"),
                cases=frames.get("cases"), as_of=copy["as_of"], as_of_source=copy["as_of_source"], source=folder,
                files=wanted, truth=_read_meta(folder).get("truth"),
            )
    files = wanted
    raw, text = {}, {}
    for table, file in files.items():
        df, text[table] = _rename(*_read_file(parts[table], table), table, columns)
        _check_columns(df, table, file)
        df.index = pd.RangeIndex(len(df))  # row labels: 0-based rows of the file
        raw[table] = df

    meta = _read_meta(folder)
    failures = []
    valid = {}
    customer_rows = {}
    for table, df in raw.items():  # customers first: the other tables' customers are looked up in it
        coerced, bad = _coerce(df, table, files[table], known_text=text[table].keys())
        columns = _rule_columns(coerced, _table_schema(table, df), text[table])
        codes = {}
        if table == "customers":
            customer_ids = columns["customer_id"]
        else:
            customer_rows[table] = fast_rules.lookup(columns["customer_id"], customer_ids)
            if (customer_rows[table] >= 0).all():  # every customer known: the look-up factorises the column
                codes["customer_id"] = fast_rules.Codes(customer_rows[table], n_values=len(customer_ids))
        valid[table], bad = _validate_table(df, coerced, bad, columns, codes, table, files[table])
        failures.append(bad)

    if as_of is not None:
        as_of, as_of_source = pd.Timestamp(as_of).normalize(), "argument"
    elif "as_of" in meta:
        as_of, as_of_source = pd.Timestamp(meta["as_of"]).normalize(), "meta.json"
    else:
        as_of, as_of_source = _latest_date(valid), "latest date in the data"

    failures.append(_relational_failures(valid, files, as_of, customer_rows))
    failures = pd.concat([f for f in failures if len(f)] or [_empty_failures()], ignore_index=True)
    failures = failures.drop_duplicates(["table", "row", "column", "rule"], ignore_index=True)

    if len(failures) and strict:
        failures = _one_based(_in_parts(failures, parts, files))
        raise DataValidationError(describe_failures(failures), failures)
    if len(failures):
        failures, valid = _drop_rejected(failures, valid, files)
        failures = _one_based(_in_parts(failures, parts, files))

    del raw, text
    release_arrow_memory()
    return CXData(
        customers=valid["customers"], revenue=valid.get("revenue"), surveys=valid.get("surveys"),
        cases=valid.get("cases"), as_of=as_of, as_of_source=as_of_source, source=folder, files=files,
        truth=meta.get("truth"), rejected=failures,
    )


def _in_parts(failures: pd.DataFrame, parts: dict[str, list[Path]], files: dict[str, Path]) -> pd.DataFrame:
    """Failures of tables read from a folder of Parquet parts named by their part and row within it."""
    split = [table for table, file in files.items() if parts[table] != [file]]
    if not split:
        return failures
    failures = failures.copy()
    for table in split:
        rows = failures["table"] == table
        starts = np.cumsum([0, *(pq.ParquetFile(path).metadata.num_rows for path in parts[table])])[:-1]
        row = failures.loc[rows, "row"].to_numpy(dtype=np.int64)
        part = np.searchsorted(starts, row, side="right") - 1
        failures.loc[rows, "file"] = [str(parts[table][k]) for k in part]
        failures.loc[rows, "row"] = row - starts[part]
    return failures


def _drop_rejected(failures: pd.DataFrame, valid: dict[str, pd.DataFrame],
                   files: dict[str, Path]) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Remove rejected rows, then rows of other tables whose customer was rejected."""
    out = {}
    for table, df in valid.items():
        bad_rows = failures.loc[failures["table"] == table, "row"].astype(int)
        out[table] = df.loc[~df.index.isin(bad_rows)]
    kept_customers = out["customers"]["customer_id"]
    cascaded = []
    for table, df in out.items():
        if table == "customers":
            continue
        orphan = ~df["customer_id"].isin(kept_customers)
        already = failures.loc[failures["table"] == table, "row"].astype(int)
        orphan &= ~df.index.isin(already)
        cascaded.append(_row_failures(table, files[table], orphan, "customer_id",
                                      "belongs to a rejected customer", df["customer_id"]))
        out[table] = df.loc[~orphan]
    failures = pd.concat([failures, *[c for c in cascaded if len(c)]], ignore_index=True)
    return failures, {t: df.reset_index(drop=True) for t, df in out.items()}
