"""The rules of :mod:`cxlab.schema` as queries: the same failures, rows and messages as :func:`cxlab.io.load`.

The rules are read from the pandera schemas themselves (each column's type, ``nullable``,
``unique`` and checks, and the table's ``unique`` column combinations) and translated into SQL
conditions; a check this module cannot translate raises, so a new rule in :mod:`cxlab.schema`
cannot be skipped silently. As in :mod:`cxlab.io`:

1. values that do not convert to the column's type fail "must be a number" / "must be a date";
2. the column rules apply to the rows whose values converted;
3. the rules across columns and tables (dates in order, no date after the as-of date, every
   customer known in the customers file) apply to the rows that keep every column rule;
4. with ``strict=False`` rows of other tables whose customer was rejected are rejected too.

A first query per table only counts the failures of every rule in one pass; rows are listed (one
query per broken rule) only for the rules that fail, so valid data cost one scan per table.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import TYPE_CHECKING

import pandas as pd

from cxlab import schema
from cxlab.engine.queries import end_literal
from cxlab.engine.sources import DataSource
from cxlab.io import REJECTED_COLUMNS, DataValidationError, describe_failures

if TYPE_CHECKING:
    import pandera.pandas as pa

__all__ = ["DATE_RULE", "EMPTY_RULE", "FIELDS_UNIQUE_RULE", "NUMBER_RULE", "REJECTED_CUSTOMER_RULE", "UNIQUE_RULE",
           "UNKNOWN_CUSTOMER_RULE", "cascade_failures", "check_condition", "column_failures", "latest_date",
           "raise_or_keep", "relational_failures", "table_schema", "typed_view_sql"]

NUMBER_RULE = "must be a number"
DATE_RULE = "must be a date (YYYY-MM-DD, optionally with a time)"
EMPTY_RULE = "must not be empty"
UNIQUE_RULE = "must be unique"
FIELDS_UNIQUE_RULE = "multiple_fields_uniqueness"
REJECTED_CUSTOMER_RULE = "belongs to a rejected customer"
_DUPLICATED_KEYS = re.compile(r" IN \(SELECT (?P<keys>.+?) FROM (?P<view>\w+) WHERE (?P<where>.+) GROUP BY (?P=keys) "
                              r"HAVING COUNT\(\*\) > 1\)$")  # a uniqueness rule's condition
# a foreign-key rule's condition: the key must be one of another view's
_KNOWN_KEY = re.compile(r"^NOT EXISTS \(SELECT 1 FROM (?P<view>\w+) c WHERE c\.(?P<key>\w+) = v\.(?P=key)\)$")
UNKNOWN_CUSTOMER_RULE = "unknown customer (not in customers)"


def table_schema(table: str, present: Collection[str]) -> pa.DataFrameSchema:
    """The table's schema plus the optional columns present."""
    extra = {c: col for c, col in schema.OPTIONAL_COLUMNS.get(table, {}).items() if c in present}
    return schema.SCHEMAS[table].add_columns(extra) if extra else schema.SCHEMAS[table]


def _kind(column: pa.Column) -> str:
    dtype = str(column.dtype) if column.dtype is not None else ""
    if dtype.startswith("datetime"):
        return "date"
    if dtype.startswith("float"):
        return "number"
    return "text"


def _literal(value) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(float(value))


def check_condition(check: pa.Check, column: str) -> str:
    """SQL condition true where a non-missing value breaks a pandera check.

    Parameters
    ----------
    check : pandera.Check
        A check of :mod:`cxlab.schema`.
    column : str
        The column's (typed) SQL expression.

    Returns
    -------
    str

    Raises
    ------
    NotImplementedError
        For a check without a translation (add one here when adding a rule to the schema).

    Examples
    --------
    >>> import pandera.pandas as pa
    >>> check_condition(pa.Check.in_range(0, 10), "nps")
    '(nps < 0.0 OR nps > 10.0)'
    """
    stats = check.statistics or {}
    error = check.error or ""
    if check.name == "in_range":
        low, high = _literal(stats["min_value"]), _literal(stats["max_value"])
        below = f"{column} < {low}" if stats.get("include_min", True) else f"{column} <= {low}"
        above = f"{column} > {high}" if stats.get("include_max", True) else f"{column} >= {high}"
        return f"({below} OR {above})"
    if check.name == "greater_than_or_equal_to":
        return f"{column} < {_literal(stats['min_value'])}"
    if check.name == "greater_than":
        return f"{column} <= {_literal(stats['min_value'])}"
    if check.name == "isin":
        return f"{column} NOT IN ({', '.join(_literal(v) for v in stats['allowed_values'])})"
    if error == EMPTY_RULE:
        return f"{column} = ''"
    if error.startswith("whole number"):
        return f"{column} <> FLOOR({column})"
    raise NotImplementedError(f"cxlab.engine: no SQL for the check {error or check.name!r} on {column}")


def typed_view_sql(raw_view: str, table: str, present: dict[str, str]) -> str:
    """SQL of the table with the schema's types (empty text as missing) and ``_bad_type`` per row.

    ``present`` maps the file's columns to their kind (``text``, ``number``, ``date``). A text
    column converted to a number or date keeps its text as ``_raw_<column>`` for the failure
    report; a column already of its type (Parquet) is only cast.
    """
    columns = table_schema(table, list(present)).columns
    select, bad = ["_file", "_row"], []
    for name, column in columns.items():
        if name not in present:
            continue
        kind = _kind(column)
        target = {"date": "TIMESTAMP", "number": "DOUBLE", "text": "STRING"}[kind]
        if present[name] == "text":
            raw = f"NULLIF({name}, '')"
        elif kind == "text" or present[name] != kind:
            raw = f"NULLIF(CAST({name} AS STRING), '')"
        else:
            select += [f"CAST({name} AS {target}) AS {name}", f"CAST(NULL AS STRING) AS _raw_{name}"]
            continue
        if kind == "text":
            select.append(f"{raw} AS {name}")
            continue
        select += [f"TRY_CAST({raw} AS {target}) AS {name}", f"{raw} AS _raw_{name}"]
        bad.append(f"({raw} IS NOT NULL AND TRY_CAST({raw} AS {target}) IS NULL)")
    select += [f"NULLIF({c}, '') AS {c}" if kind == "text" else c
               for c, kind in present.items() if c not in columns and not c.startswith("_")]
    select.append(f"({' OR '.join(bad) or 'FALSE'}) AS _bad_type")
    return f"SELECT {', '.join(select)} FROM {raw_view}"


def _column_rules(table: str, present: dict[str, str]) -> list[tuple[str, str, str]]:
    """(column, rule, SQL condition on a converted row) of every column rule, in schema order."""
    rules = []
    for name, column in table_schema(table, present).columns.items():
        if name not in present:
            continue
        if not column.nullable:
            rules.append((name, EMPTY_RULE, f"{name} IS NULL"))
        if column.unique:
            rules.append((name, UNIQUE_RULE, f"{name} IN (SELECT {name} FROM {{view}} WHERE NOT _bad_type AND "
                                             f"{name} IS NOT NULL GROUP BY {name} HAVING COUNT(*) > 1)"))
        for check in column.checks:
            if check.error == EMPTY_RULE:  # empty text is read as missing: the nullable rule above reports it
                continue
            rules.append((name, check.error or str(check), f"{name} IS NOT NULL AND {check_condition(check, name)}"))
    return rules


def _conversion_rules(table: str, present: dict[str, str]) -> list[tuple[str, str, str]]:
    rules = []
    for name, column in table_schema(table, present).columns.items():
        if name in present and _kind(column) != "text":
            rule = DATE_RULE if _kind(column) == "date" else NUMBER_RULE
            rules.append((name, rule, f"_raw_{name} IS NOT NULL AND {name} IS NULL"))
    return rules


def _fields_unique(table: str) -> list[list[str]]:
    unique = schema.SCHEMAS[table].unique or []
    return [list(unique)] if unique and all(isinstance(n, str) for n in unique) else [list(u) for u in unique]


def _relational_rules(table: str, as_of: pd.Timestamp) -> list[tuple[str, str, str]]:
    end = end_literal(as_of)
    rules = [(late, f"must not be before {early}", f"{late} IS NOT NULL AND {late} < {early}")
             for early, late in schema.DATE_ORDER[table]]
    rules += [(col, f"must not be after the as-of date {as_of.date()}", f"{col} IS NOT NULL AND {col} >= {end}")
              for col in schema.DATE_COLUMNS[table]]
    if table != "customers":
        rules.append(("customer_id", UNKNOWN_CUSTOMER_RULE,
                      # NOT EXISTS, not NOT IN: Spark plans NOT IN (null-aware) as a nested loop over both tables
                      "NOT EXISTS (SELECT 1 FROM typed_customers c WHERE c.customer_id = v.customer_id)"))
    return rules


def _count_failures(dialect, view: str, rules: list[tuple[str, str, str]], where: str) -> list[int]:
    """How many rows break each rule (for a uniqueness rule: how many values are duplicated; 0 when it holds).

    The row-wise rules and the foreign keys are counted in one pass over the view, a foreign key
    as the rows that find no match among the other view's distinct keys (a left join): on the
    1M-customer benchmark world a pass of its own per table, with the rule's anti-join, took
    1.5-2.2 s per table where the one pass takes 0.75-1.1 s. Other rules with a subquery are counted
    each on its own (Spark allows no subquery inside an aggregate).
    """
    conditions = [cond.format(view=view) for _, _, cond in rules]
    foreign = {i: match.groupdict() for i, cond in enumerate(conditions) if (match := _KNOWN_KEY.match(cond))}
    counted = {i: cond for i, cond in enumerate(conditions) if "SELECT" not in cond} | {
        i: f"k{i}._known IS NULL" for i in foreign}
    counts = [0] * len(rules)
    if counted:
        sums = ", ".join(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS f{i}" for i, cond in counted.items())
        joins = "".join(f" LEFT JOIN (SELECT DISTINCT {key['key']} AS _known FROM {key['view']}) k{i} "
                        f"ON k{i}._known = v.{key['key']}" for i, key in foreign.items())
        row = dialect.frame(f"SELECT {sums} FROM {view} v{joins} WHERE {where}").iloc[0]
        for i in counted:
            counts[i] = int(row[f"f{i}"]) if pd.notna(row[f"f{i}"]) else 0
    for i, cond in enumerate(conditions):
        if i in counted:
            continue
        duplicated = _DUPLICATED_KEYS.search(cond)
        if duplicated:  # a uniqueness rule: counting the duplicated keys says whether it fails
            counts[i] = _duplicated_keys(dialect, **duplicated.groupdict())
        else:
            counts[i] = int(dialect.frame(f"SELECT COUNT(*) AS n FROM {view} v WHERE {where} AND {cond}")["n"].iloc[0])
    return counts


def _duplicated_keys(dialect, keys: str, view: str, where: str) -> int:
    """How many keys occur more than once among the rows of ``view`` where ``where`` holds (0: all distinct).

    The keys' 64-bit hashes are looked at first (:meth:`repeated_hashes` of the dialect): no repeated
    hash proves every key distinct, and numbers sort and group faster than text and dates (2 s
    against 4 s for the 22M revenue rows of the 1M-customer benchmark world). Only when some hash
    repeats (a duplicate, or two keys sharing a hash) are the keys themselves grouped.
    """
    if int(dialect.frame(dialect.repeated_hashes(keys, view, where))["n"].iloc[0]) == 0:
        return 0
    return int(dialect.frame(f"SELECT COUNT(*) AS n FROM (SELECT {keys} FROM {view} WHERE {where} GROUP BY {keys} "
                             "HAVING COUNT(*) > 1) d")["n"].iloc[0])


def _list_failures(dialect, view: str, table: str, column: str, rule: str, condition: str, where: str,
                   value_column: str, file_format: str, kind: str, as_column: bool = False) -> pd.DataFrame:
    rows = dialect.frame(f"SELECT _file, _row, {value_column} AS value FROM {view} v "
                         f"WHERE {where} AND {condition.format(view=view)} ORDER BY _file, _row")
    return pd.DataFrame({"table": table, "file": rows["_file"].astype(str), "row": rows["_row"].astype(int),
                         "column": column, "rule": rule,
                         "value": _value_text(rows["value"], kind, file_format, value_column, as_column)})


def _value_text(values: pd.Series, kind: str, file_format: str, value_column: str, as_column: bool) -> pd.Series:
    """Failure values written as :mod:`cxlab.io` writes them (``str`` of the pandas value)."""
    if value_column.startswith("_raw_"):
        return values.astype(str)
    if kind == "date":
        # as cxlab.io prints them: pandera's failure cases one by one, its own rules as a column
        dates = pd.to_datetime(values)
        return dates.astype(str) if as_column else dates.map(str)
    if kind == "number":
        return values.astype(float).astype(str)
    missing = "None" if file_format == "parquet" else "nan"
    return values.astype(object).where(values.notna(), missing).astype(str)


def _failures(found: list[pd.DataFrame]) -> pd.DataFrame:
    found = [f for f in found if len(f)]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=REJECTED_COLUMNS)


def column_failures(dialect, source: DataSource, present: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Failures of the conversion and column rules of every table (0-based rows).

    Creates the view ``ok_<table>``: the rows keeping every column rule.
    """
    found = []
    for table, table_source in source.tables.items():
        view = f"typed_{table}"
        columns = table_schema(table, present[table]).columns
        failing_conditions = []  # rows breaking a column rule (those of a failed conversion are excluded anyway)
        for rules, where, converted in ((_conversion_rules(table, present[table]), "TRUE", False),
                                        (_column_rules(table, present[table]), "NOT _bad_type", True)):
            for (column, rule, condition), count in zip(rules, _count_failures(dialect, view, rules, where),
                                                        strict=True):
                if not count:
                    continue
                value = column if converted else f"_raw_{column}"
                found.append(_list_failures(dialect, view, table, column, rule, condition, where, value,
                                            table_source.file_format, _kind(columns[column])))
                if converted:
                    failing_conditions.append(f"({condition.format(view=view)})")
        for combination in _fields_unique(table):
            keys = ", ".join(combination)
            condition = (f"({keys}) IN (SELECT {keys} FROM {view} WHERE NOT _bad_type GROUP BY {keys} "
                         f"HAVING COUNT(*) > 1)")
            if _count_failures(dialect, view, [("", "", condition)], "NOT _bad_type")[0]:
                for column in combination:
                    found.append(_list_failures(dialect, view, table, column, FIELDS_UNIQUE_RULE, condition,
                                                "NOT _bad_type", column, table_source.file_format,
                                                _kind(columns[column])))
                failing_conditions.append(f"({condition})")
        broken = " OR ".join(failing_conditions) or "FALSE"
        dialect.create_view(f"ok_{table}", f"SELECT * FROM {view} v WHERE NOT _bad_type AND NOT ({broken})")
    return _failures(found)


def relational_failures(dialect, source: DataSource, as_of: pd.Timestamp) -> pd.DataFrame:
    """Failures of the rules across columns and tables, on the rows keeping every column rule (0-based rows)."""
    found = []
    for table, table_source in source.tables.items():
        view = f"ok_{table}"
        rules = _relational_rules(table, as_of)
        for (column, rule, condition), count in zip(rules, _count_failures(dialect, view, rules, "TRUE"),
                                                    strict=True):
            if count:
                kind = "date" if column in schema.DATE_COLUMNS[table] else "text"
                found.append(_list_failures(dialect, view, table, column, rule, condition, "TRUE", column,
                                            table_source.file_format, kind, as_column=True))
    return _failures(found)


def latest_date(dialect, source: DataSource) -> pd.Timestamp:
    """The latest date of any date column among the rows keeping every column rule (midnight)."""
    parts = [f"SELECT MAX({col}) AS latest FROM ok_{table}"
             for table in source.tables for col in schema.DATE_COLUMNS[table]]
    latest = pd.to_datetime(dialect.frame(" UNION ALL ".join(parts))["latest"]).max()
    return pd.Timestamp(latest).normalize()


def cascade_failures(dialect, source: DataSource) -> pd.DataFrame:
    """Rows of other tables whose customer was rejected, not rejected already (0-based rows)."""
    found = []
    for table in source.tables:
        if table == "customers":
            continue
        condition = (f"NOT EXISTS (SELECT 1 FROM rejected_rows r WHERE r.table_name = '{table}' "
                     f"AND r._file = v._file AND r._row = v._row) AND NOT EXISTS "
                     f"(SELECT 1 FROM valid_customers c WHERE c.customer_id = v.customer_id)")
        rows = dialect.frame(f"SELECT _file, _row, customer_id FROM typed_{table} v WHERE {condition} "
                             "ORDER BY _file, _row")
        found.append(pd.DataFrame({"table": table, "file": rows["_file"].astype(str),
                                   "row": rows["_row"].astype(int), "column": "customer_id",
                                   "rule": REJECTED_CUSTOMER_RULE, "value": rows["customer_id"].astype(str)}))
    return _failures(found)


def raise_or_keep(failures: pd.DataFrame, strict: bool) -> pd.DataFrame:
    """Raise :class:`cxlab.io.DataValidationError` (strict) or return the failures with 1-based rows."""
    failures = failures.drop_duplicates(["table", "file", "row", "column", "rule"], ignore_index=True)
    one_based = failures.assign(row=failures["row"].astype(int) + 1)
    if len(failures) and strict:
        raise DataValidationError(describe_failures(one_based), one_based)
    return one_based
