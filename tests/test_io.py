"""Loading and validation: every rule of the data model rejects bad input with a clear message."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxlab import fast_rules, schema, synth
from cxlab.io import DataValidationError, load


def _tables() -> dict[str, pd.DataFrame]:
    customers = pd.DataFrame({
        "customer_id": ["C1", "C2", "C3"],
        "segment": ["SMB", "Enterprise", "SMB"],
        "region": ["North", "South", "North"],
        "acquisition_channel": ["referral", "direct_sales", "partner"],
        "acquired_at": ["2024-01-15", "2024-03-01", "2025-06-30"],
        "churned_at": ["2025-02-01", "", ""],
        "contract": ["monthly", "annual", "monthly"],
        "monthly_revenue": ["120.5", "900", "80"],
        "acquisition_cost": ["600", "4000", "350"],
    })
    revenue = pd.DataFrame({
        "customer_id": ["C1", "C1", "C2"],
        "month": ["2024-01-01", "2024-02-01", "2024-03-01"],
        "amount": ["120.5", "120.5", "900"],
    })
    surveys = pd.DataFrame({
        "invitation_id": ["S1", "S2", "S3", "S4"],
        "customer_id": ["C1", "C2", "C2", "C3"],
        "touchpoint": ["relationship", "invoicing", "relationship", "support"],
        "channel": ["email", "email", "sms", "web"],
        "sent_at": ["2024-06-01 09:00", "2024-07-01 10:00", "2025-01-10 08:00", "2025-08-01 12:00"],
        "responded_at": ["2024-06-02 10:00", "2024-07-01 18:00", "", ""],
        "nps": ["3", "", "", ""],
        "csat": ["", "4", "", ""],
        "ces": ["", "2", "", ""],
        "comment": ["Invoice total was <b>wrong</b> & late", "ok", "", ""],
    })
    cases = pd.DataFrame({
        "case_id": ["K1", "K2"],
        "customer_id": ["C1", "C2"],
        "kind": ["detractor_followup", "service_request"],
        "opened_at": ["2024-06-02 11:00", "2024-08-01 09:00"],
        "first_response_at": ["2024-06-03 09:00", ""],
        "closed_at": ["2024-06-05 09:00", ""],
        "sla_hours": ["24", "8"],
    })
    return {"customers": customers, "revenue": revenue, "surveys": surveys, "cases": cases}


def _write(folder, tables, as_of="2025-09-30"):
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df.to_csv(folder / f"{name}.csv", index=False)
    if as_of:
        (folder / "meta.json").write_text(json.dumps({"as_of": as_of}))
    return folder


@pytest.fixture
def tables():
    return _tables()


def test_valid_folder_loads_with_types(tmp_path, tables):
    data = load(_write(tmp_path / "d", tables))
    assert data.as_of == pd.Timestamp("2025-09-30")
    assert data.as_of_source == "meta.json"
    assert len(data.customers) == 3 and len(data.surveys) == 4 and len(data.cases) == 2
    assert data.customers["acquired_at"].dtype == "datetime64[ns]"
    assert data.customers["churned_at"].isna().sum() == 2
    assert data.customers["monthly_revenue"].tolist() == [120.5, 900.0, 80.0]
    assert data.surveys.loc[0, "comment"] == "Invoice total was <b>wrong</b> & late"
    assert data.rejected.empty


def test_optional_tables_may_be_absent_and_as_of_is_inferred(tmp_path, tables):
    data = load(_write(tmp_path / "d", {"customers": tables["customers"]}, as_of=None))
    assert data.surveys is None and data.cases is None and data.revenue is None
    assert data.as_of == pd.Timestamp("2025-06-30")  # latest date: C3 acquired 2025-06-30
    assert data.as_of_source == "latest date in the data"


def test_parquet_input(tmp_path, tables):
    folder = tmp_path / "d"
    folder.mkdir()
    tables["customers"].to_parquet(folder / "customers.parquet")
    assert len(load(folder, as_of="2025-09-30").customers) == 3


def test_column_mapping(tmp_path, tables):
    tables["customers"] = tables["customers"].rename(columns={"customer_id": "CustomerId", "segment": "Tier"})
    tables["surveys"] = tables["surveys"].rename(columns={"customer_id": "CustomerId"})
    data = load(_write(tmp_path / "d", tables), columns={"customer_id": "CustomerId", "segment": "Tier"})
    assert data.customers["customer_id"].tolist() == ["C1", "C2", "C3"]
    assert data.surveys["customer_id"].tolist() == ["C1", "C2", "C2", "C3"]


def _error(tmp_path, tables, **kwargs) -> str:
    with pytest.raises(DataValidationError) as err:
        load(_write(tmp_path / "d", tables), **kwargs)
    return str(err.value)


@pytest.mark.parametrize(
    ("table", "column", "row", "value", "expected"),
    [
        ("surveys", "nps", 0, "11", "surveys.csv: column 'nps' in_range(0, 10): 1 row(s) [1]"),
        ("surveys", "nps", 0, "7.5", "column 'nps' whole number from 0 to 10: 1 row(s) [1]"),
        ("surveys", "csat", 1, "6", "column 'csat' in_range(1, 5): 1 row(s) [2]"),
        ("surveys", "ces", 1, "0", "column 'ces' in_range(1, 7): 1 row(s) [2]"),
        ("customers", "monthly_revenue", 1, "abc", "column 'monthly_revenue' must be a number: 1 row(s) [2]"),
        ("customers", "monthly_revenue", 2, "-5", "column 'monthly_revenue' greater_than_or_equal_to(0)"),
        ("customers", "acquired_at", 2, "30/30/2025",
         "column 'acquired_at' must be a date (YYYY-MM-DD, optionally with a time): 1 row(s) [3]"),
        ("customers", "customer_id", 2, "C1", "column 'customer_id' must be unique: 2 row(s) [1, 3]"),
        ("customers", "churned_at", 0, "2023-12-31", "column 'churned_at' must not be before acquired_at"),
        ("surveys", "responded_at", 0, "2024-05-01", "column 'responded_at' must not be before sent_at"),
        ("cases", "closed_at", 0, "2024-06-01", "column 'closed_at' must not be before opened_at"),
        ("surveys", "customer_id", 3, "C9", "column 'customer_id' unknown customer (not in customers): 1 row(s) [4]"),
        ("cases", "kind", 1, "refund", "column 'kind' isin("),
        ("surveys", "sent_at", 3, "2026-01-01", "column 'sent_at' must not be after the as-of date 2025-09-30"),
        ("customers", "segment", 1, "", "column 'segment' must not be empty: 1 row(s) [2]"),
    ],
)
def test_rule_broken_names_file_column_rows(tmp_path, tables, table, column, row, value, expected):
    tables[table].loc[row, column] = value
    message = _error(tmp_path, tables)
    assert expected in message
    assert f"{table}.csv" in message


def test_all_failures_collected_at_once(tmp_path, tables):
    tables["surveys"].loc[0, "nps"] = "11"
    tables["customers"].loc[1, "monthly_revenue"] = "-1"
    tables["cases"].loc[0, "customer_id"] = "nobody"
    with pytest.raises(DataValidationError) as err:
        load(_write(tmp_path / "d", tables))
    assert set(err.value.failures["column"]) == {"nps", "monthly_revenue", "customer_id"}
    assert str(err.value).startswith("3 problem(s)")


def test_missing_column(tmp_path, tables):
    tables["customers"] = tables["customers"].drop(columns=["contract"])
    message = _error(tmp_path, tables)
    assert "customers.csv: missing column(s) ['contract'] of table 'customers'" in message


def test_missing_customers_file(tmp_path, tables):
    del tables["customers"]
    assert "no customers file" in _error(tmp_path, tables)


def test_missing_folder(tmp_path):
    with pytest.raises(DataValidationError, match="data folder not found"):
        load(tmp_path / "nowhere")


def test_empty_file(tmp_path, tables):
    folder = _write(tmp_path / "d", tables)
    (folder / "cases.csv").write_text("")
    with pytest.raises(DataValidationError, match=r"cases.csv: the file is empty"):
        load(folder)


def test_header_only(tmp_path, tables):
    tables["cases"] = tables["cases"].iloc[0:0]
    assert "cases.csv: table 'cases' has a header but no rows" in _error(tmp_path, tables)


def test_wrong_delimiter(tmp_path, tables):
    folder = _write(tmp_path / "d", tables)
    tables["customers"].to_csv(folder / "customers.csv", index=False, sep=";")
    with pytest.raises(DataValidationError, match="separated by semicolons"):
        load(folder)


def test_non_utf8_file(tmp_path, tables):
    folder = _write(tmp_path / "d", tables)
    tables["surveys"].loc[1, "comment"] = "Счёт пришёл поздно"
    tables["surveys"].to_csv(folder / "surveys.csv", index=False, encoding="cp1251")
    with pytest.raises(DataValidationError, match="surveys.csv: not UTF-8 text"):
        load(folder)


def test_two_files_for_one_table(tmp_path, tables):
    folder = _write(tmp_path / "d", tables)
    tables["cases"].to_parquet(folder / "cases.parquet")
    with pytest.raises(DataValidationError, match="several files"):
        load(folder)


def test_non_strict_keeps_valid_rows_and_reports_every_rejected_row(tmp_path, tables):
    tables["surveys"].loc[0, "nps"] = "11"
    tables["customers"].loc[1, "monthly_revenue"] = "-1"  # C2: its survey rows and case go too
    data = load(_write(tmp_path / "d", tables), strict=False)
    assert data.customers["customer_id"].tolist() == ["C1", "C3"]
    assert data.surveys["invitation_id"].tolist() == ["S4"]
    assert data.cases["case_id"].tolist() == ["K1"]
    assert data.revenue["customer_id"].tolist() == ["C1", "C1"]
    rejected = data.rejected.sort_values(["table", "row"]).reset_index(drop=True)
    expected = pd.DataFrame({
        "table": ["cases", "customers", "revenue", "surveys", "surveys", "surveys"],
        "row": [2, 2, 3, 1, 2, 3],
        "rule": ["belongs to a rejected customer", "greater_than_or_equal_to(0)", "belongs to a rejected customer",
                 "in_range(0, 10)", "belongs to a rejected customer", "belongs to a rejected customer"],
    })
    pd.testing.assert_frame_equal(rejected[["table", "row", "rule"]], expected)
    # nothing is silently dropped: rows kept + rows rejected = rows read
    for name, df in tables.items():
        assert len(getattr(data, name)) + (rejected["table"] == name).sum() == len(df)


def test_only_some_tables(tmp_path, tables):
    data = load(_write(tmp_path / "d", tables), tables=["cases"])
    assert data.surveys is None and data.revenue is None and len(data.cases) == 2
    assert set(data.files) == {"customers", "cases"}
    with pytest.raises(ValueError, match="unknown table"):
        load(tmp_path / "d", tables=["survey"])


# ---------------------------------------------------------------- Parquet input and the fast rule checks

def _write_parquet(folder, tables, as_of="2025-09-30"):
    """The test tables as Parquet files with typed columns (dates, numbers), as large exports are."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        typed = df.copy()
        for col in schema.DATE_COLUMNS[name]:
            typed[col] = pd.to_datetime(typed[col].replace("", None), errors="coerce", format="ISO8601")
        for col, column in schema.SCHEMAS[name].columns.items():
            if str(column.dtype) == "float64":
                typed[col] = pd.to_numeric(typed[col].replace("", None), errors="coerce")
        typed.to_parquet(folder / f"{name}.parquet", index=False)
    (folder / "meta.json").write_text(json.dumps({"as_of": as_of}))
    return folder


def _failures(folder) -> pd.DataFrame:
    with pytest.raises(DataValidationError) as err:
        load(folder)
    failures = err.value.failures.drop(columns="file")
    # a missing value is None from Parquet and NaN from CSV, as read
    failures["value"] = failures["value"].astype(str).replace({"None": "", "nan": ""})
    return failures.sort_values(["table", "row", "column", "rule"], ignore_index=True)


@pytest.mark.parametrize(
    ("table", "column", "row", "value"),
    [
        ("surveys", "nps", 0, "11"),
        ("surveys", "nps", 0, "7.5"),
        ("customers", "monthly_revenue", 2, "-5"),
        ("customers", "customer_id", 2, "C1"),
        ("customers", "segment", 1, ""),
        ("surveys", "invitation_id", 1, "S1"),
        ("surveys", "customer_id", 3, "C9"),
        ("surveys", "touchpoint", 2, ""),
        ("cases", "kind", 1, "refund"),
        ("cases", "customer_id", 0, ""),
        ("revenue", "month", 1, "2024-01-01"),
        ("revenue", "amount", 2, ""),
        ("customers", "churned_at", 0, "2023-12-31"),
        ("surveys", "sent_at", 3, "2026-01-01"),
    ],
)
def test_parquet_input_breaks_the_same_rules_as_csv(tmp_path, tables, table, column, row, value):
    tables[table].loc[row, column] = value
    from_csv = _failures(_write(tmp_path / "csv", tables))
    from_parquet = _failures(_write_parquet(tmp_path / "parquet", tables))
    assert len(from_csv) >= 1
    pd.testing.assert_frame_equal(from_parquet, from_csv)


def test_parquet_tables_load_as_read_with_empty_text_missing(tmp_path):
    world = synth.simulate(n_customers=300, seed=0)
    folder = tmp_path / "w"
    folder.mkdir()
    surveys = world.surveys.assign(comment=world.surveys["comment"].fillna(""))  # empty text, not missing
    surveys.attrs = {"exported_by": "survey platform"}  # kept, as pandas.read_parquet keeps it
    for name, df in {**world.tables(), "surveys": surveys}.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
    data = load(folder, as_of=world.as_of)
    for name, df in world.tables().items():
        pd.testing.assert_frame_equal(getattr(data, name), df.reset_index(drop=True), check_index_type=False)
    assert data.surveys["comment"].isna().sum() == world.surveys["comment"].isna().sum() > 0
    assert data.surveys.attrs == {"exported_by": "survey platform"}


def test_parquet_numeric_ids_become_text_and_keep_the_customer_rule(tmp_path, tables):
    for df in tables.values():
        df["customer_id"] = df["customer_id"].str[1:].astype(int)
    tables["cases"].loc[1, "customer_id"] = 9
    failures = _failures(_write_parquet(tmp_path / "d", tables))
    assert failures[["table", "row", "column", "value"]].values.tolist() == [["cases", 2, "customer_id", "9"]]
    del tables["cases"]
    data = load(_write_parquet(tmp_path / "ok", tables))
    assert data.surveys["customer_id"].tolist() == ["1", "2", "2", "3"]


def test_parquet_non_strict_and_column_mapping(tmp_path, tables):
    tables["surveys"].loc[0, "nps"] = "11"
    tables["cases"].loc[1, "customer_id"] = "C9"
    for df in tables.values():
        df.rename(columns={"customer_id": "CustomerId"}, inplace=True)
    folder = _write_parquet(tmp_path / "d", tables)
    data = load(folder, strict=False, columns={"customer_id": "CustomerId"})
    assert data.surveys["invitation_id"].tolist() == ["S2", "S3", "S4"]
    assert data.cases["case_id"].tolist() == ["K1"]
    assert sorted(zip(data.rejected["table"], data.rejected["row"], data.rejected["rule"], strict=True)) == [
        ("cases", 2, "unknown customer (not in customers)"), ("surveys", 1, "in_range(0, 10)")]
    for name, df in tables.items():
        assert len(getattr(data, name)) + (data.rejected["table"] == name).sum() == len(df)


def test_loading_leaves_no_trace_on_a_second_load(tmp_path, tables):
    folder = _write_parquet(tmp_path / "d", tables)
    first, second = load(folder), load(folder)
    for name in tables:
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))


def _typed(table: str) -> pd.DataFrame:
    """A valid test table converted to the schema's types, as validation sees it."""
    df = _tables()[table].replace("", None)
    for col in schema.DATE_COLUMNS[table]:
        df[col] = pd.to_datetime(df[col], format="ISO8601").astype("datetime64[ns]")
    for col, column in schema.SCHEMAS[table].columns.items():
        if str(column.dtype) == "float64":
            df[col] = pd.to_numeric(df[col]).astype(float)
    return df


_REPLACEMENTS = {
    "text": ["C1", "C2", "S1", "K1", "", None, "relationship", "complaint", "refund"],
    "float64": [np.nan, 0.0, 1.0, 3.0, 5.0, 7.0, 7.5, 10.0, 11.0, -1.0, 0.5, 24.0],
    "datetime64[ns]": [pd.NaT, pd.Timestamp("2024-01-01"), pd.Timestamp("2024-03-01"), pd.Timestamp("2025-06-30")],
}


@pytest.mark.filterwarnings("ignore:The behavior of DataFrame concatenation:FutureWarning")  # inside pandera
@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_rules_agree_with_pandera(data):
    table = data.draw(st.sampled_from(schema.TABLES))
    df = _typed(table)
    table_schema = schema.SCHEMAS[table]
    for _ in range(data.draw(st.integers(0, 3))):
        col = data.draw(st.sampled_from(list(table_schema.columns)))
        kind = str(table_schema.columns[col].dtype) if table_schema.columns[col].dtype is not None else "text"
        row, other = data.draw(st.integers(0, len(df) - 1)), data.draw(st.integers(0, len(df) - 1))
        # a value from the column's pool, or another row's value (duplicates, for the uniqueness rules)
        df.loc[row, col] = data.draw(st.sampled_from([*_REPLACEMENTS[kind], df.loc[other, col]]))
    columns = {name: fast_rules.text_column(df[name]) if column.dtype is None else df[name]
               for name, column in table_schema.columns.items()}
    try:
        table_schema.validate(df, lazy=True)
        pandera_passes = True
    except pa.errors.SchemaErrors:
        pandera_passes = False
    assert fast_rules.rules_hold(columns, table_schema) == pandera_passes
    if table != "customers":  # customer ids factorised by their look-up among the customers' ids
        customer_ids = fast_rules.text_column(_typed("customers")["customer_id"])
        found = fast_rules.lookup(columns["customer_id"], customer_ids)
        if (found >= 0).all():
            codes = {"customer_id": fast_rules.Codes(found, n_values=len(customer_ids))}
            assert fast_rules.rules_hold(columns, table_schema, codes) == pandera_passes


def test_fast_rules_leave_other_schema_features_to_pandera():
    ordered = pa.DataFrameSchema({"id": pa.Column(None)}, ordered=True)
    frame_check = pa.DataFrameSchema({"id": pa.Column(None)}, checks=[pa.Check(lambda df: len(df) > 0)])
    regex = pa.DataFrameSchema({"i.*": pa.Column(None, regex=True)})
    ids = {"id": fast_rules.text_column(pd.Series(["a", "b"]))}
    assert not any(fast_rules.rules_hold(ids, s) for s in (ordered, frame_check, regex))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["a", "b", "c"], True),  # strictly increasing: no hashing
        (["c", "a", "b"], True),
        (["a", "b", "b"], False),  # increasing, not strictly
        (["a", None, "b"], True),
        (["a", None, None], False),  # missing values count as one value, as in Series.is_unique
    ],
)
def test_all_distinct(values, expected):
    assert fast_rules.all_distinct(fast_rules.text_column(pd.Series(values))) is expected
    assert pd.Series(values).is_unique is expected


@pytest.mark.parametrize("n_columns", [2, 7])  # 7 columns of 1,000 values: the combined key is re-coded
@pytest.mark.parametrize("distinct", [True, False])
def test_rows_distinct_matches_pandas_duplicated(n_columns, distinct):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"c{i}": rng.permutation(1000).astype(str) for i in range(n_columns)})
    frame["c0"] = fast_rules.text_column(frame["c0"])
    if not distinct:
        frame.iloc[7] = frame.iloc[500]
    assert fast_rules.rows_distinct([frame[c] for c in frame]) is distinct
    assert frame.astype(str).duplicated().any() is not distinct


def test_rows_distinct_small_key_space_and_missing_values():
    months = pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01", "2024-02-01"]))
    ids = fast_rules.text_column(pd.Series(["C1", "C1", "C2", "C2"]))
    assert fast_rules.rows_distinct([ids, months])
    assert not fast_rules.rows_distinct([ids, months.where(months.index != 1, pd.Timestamp("2024-01-01"))])
    assert not fast_rules.rows_distinct([ids, months.where(months.index != 1)])  # missing: pandera decides


@pytest.mark.parametrize("arrow", [True, False])
def test_lookup_finds_positions_and_never_matches_missing_values(arrow):
    keys = pd.Series(["C1", None, "C2", "C1"])
    values = pd.Series(["C2", "C9", None, "C1", "C2"])
    if arrow:
        keys, values = fast_rules.text_column(keys), fast_rules.text_column(values)
    found = fast_rules.lookup(values, keys)
    assert (found >= 0).tolist() == [True, False, False, True, True]
    assert found[0] == found[4] != found[3]  # equal ids, equal codes: a factorisation
    assert found.max() < len(keys)


def test_rows_distinct_with_codes_computed_beforehand():
    months = pd.Series(pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01"]))
    assert fast_rules.rows_distinct([fast_rules.Codes(np.array([4, 4, 0]), n_values=5), months])
    assert not fast_rules.rows_distinct([fast_rules.Codes(np.array([4, 0, 4]), n_values=5), months])


def test_a_truncated_parquet_file_is_named(tmp_path, tables):
    folder = _write(tmp_path / "d", {"customers": tables["customers"]})
    (folder / "customers.csv").unlink()
    tables["customers"].to_parquet(folder / "customers.parquet", index=False)
    data = (folder / "customers.parquet").read_bytes()
    (folder / "customers.parquet").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataValidationError, match=r"customers.parquet: not a readable Parquet file"):
        load(folder)
