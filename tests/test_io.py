"""Loading and validation: every rule of the data model rejects bad input with a clear message."""

from __future__ import annotations

import json

import pandas as pd
import pytest

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
