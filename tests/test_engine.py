"""The engine's aggregates equal what the pandas code computes on the demo; its validation equals cxlab.io's."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from cxlab import drivers, metrics, nonresponse, retention, tenure, touchpoints
from cxlab.datasets import demo_path
from cxlab.engine import connect
from cxlab.io import DataValidationError, load

QUARTER_END = pd.Timestamp("2026-06-30")  # an as-of date before the data's: late answers must be blanked


@pytest.fixture(scope="module")
def data():
    return load(demo_path())


@pytest.fixture(scope="module")
def engine():
    with connect(demo_path(), engine="duckdb") as opened:
        yield opened


def _known(data, as_of):
    known = touchpoints.surveys_as_of(data.surveys, as_of=as_of)
    return touchpoints.with_customer_attributes(known, data.customers, ["segment", "region"])


def test_opens_the_demo_with_the_row_counts_and_as_of_of_cxlab_io(engine, data):
    assert engine.row_counts() == {name: len(df) for name, df in data.tables().items()}
    assert engine.as_of == data.as_of and engine.as_of_source == data.as_of_source == "meta.json"
    assert engine.rejected_counts == {"customers": 0, "revenue": 0, "surveys": 0, "cases": 0}


@pytest.mark.parametrize("as_of", [None, QUARTER_END])
@pytest.mark.parametrize(("metric", "by", "touchpoint"), [
    ("nps", ["segment", "quarter"], "relationship"),
    ("csat", ["touchpoint", "quarter"], None),
    ("ces", ["touchpoint", "quarter"], None),
    ("nps", ["region"], "relationship"),
])
def test_score_counts_equal_the_pandas_score_distribution(engine, data, metric, by, touchpoint, as_of):
    as_of = data.as_of if as_of is None else as_of
    known = _known(data, as_of)
    if touchpoint:
        known = known[known["touchpoint"] == touchpoint]
    expected = metrics.score_distribution(known, by, score_col=metric, kind=metric).sort_index()
    got = engine.score_distribution(metric, by, as_of=as_of, touchpoints=touchpoint)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_names=False)
    assert got.to_numpy().sum() == known[metric].notna().sum() > 1000


@pytest.mark.parametrize("as_of", [None, QUARTER_END])
def test_design_effects_equal_those_of_nps_by(engine, data, as_of):
    as_of = data.as_of if as_of is None else as_of
    known = _known(data, as_of)
    known = known[known["touchpoint"] == "relationship"]
    expected = metrics.nps_by(known, ["segment", "quarter"], suppress=False).set_index(["segment", "quarter"])
    got = engine.design_effects("nps", ["segment", "quarter"], as_of=as_of, touchpoints="relationship")
    assert list(got.index) == list(expected.index)
    np.testing.assert_allclose(got["deff"], expected["deff"], rtol=1e-9)
    np.testing.assert_array_equal(got["n_clusters"], expected["n_clusters"].astype(int))


def test_csat_design_effects_equal_those_of_csat_by(engine, data):
    known = _known(data, data.as_of)
    known = known[known["touchpoint"] != "relationship"]
    expected = metrics.csat_by(known, ["touchpoint", "quarter"], suppress=False).set_index(["touchpoint", "quarter"])
    got = engine.design_effects("csat", ["touchpoint", "quarter"], touchpoints=list(known["touchpoint"].unique()))
    np.testing.assert_allclose(got["share_deff"], expected["deff"], rtol=1e-9)  # csat_by names the share's "deff"
    np.testing.assert_allclose(got["mean_deff"], expected["mean_deff"], rtol=1e-9)


def test_response_counts_equal_a_count_of_the_known_invitations(engine, data):
    known = touchpoints.surveys_as_of(data.surveys, as_of=QUARTER_END)
    expected = known.groupby(["touchpoint", "quarter"])["responded"].agg(["size", "sum"])
    got = engine.response_counts(["touchpoint", "quarter"], as_of=QUARTER_END).set_index(["touchpoint", "quarter"])
    np.testing.assert_array_equal(got["invitations"], expected["size"])
    np.testing.assert_array_equal(got["responses"], expected["sum"])
    assert not (known["quarter"] > "2026Q2").any()


@pytest.mark.parametrize("as_of", [None, QUARTER_END])
@pytest.mark.parametrize("by", ["touchpoint", "channel", "segment"])
def test_mature_response_counts_equal_those_of_nonresponse(engine, data, by, as_of):
    as_of = data.as_of if as_of is None else as_of
    expected = nonresponse.response_counts(data.surveys, as_of=as_of, by=by, customers=data.customers,
                                           response_window_days=7)
    got = engine.response_counts(by, as_of=as_of, response_window_days=7)
    pd.testing.assert_frame_equal(got[[by, "invitations", "responses"]].astype({by: str}), expected.astype({by: str}),
                                  check_dtype=False)
    # the window leaves out the invitations of the last 7 days
    assert got["invitations"].sum() < engine.response_counts(by, as_of=as_of)["invitations"].sum()


@pytest.mark.parametrize("as_of", [None, QUARTER_END])
def test_first_invitations_equal_those_of_nonresponse(engine, data, as_of):
    as_of = data.as_of if as_of is None else as_of
    expected = nonresponse.first_invitations(data.surveys, as_of=as_of)
    got = engine.first_invitations(as_of=as_of)
    pd.testing.assert_frame_equal(got.astype({"customer_id": str}), expected.astype({"customer_id": str}),
                                  check_dtype=False)
    assert got.attrs["as_of"] == pd.Timestamp(as_of) and got["customer_id"].is_unique
    assert 0 < got["responded"].mean() < 1


@pytest.mark.parametrize(("as_of", "sent_after"), [(None, None), (QUARTER_END, "2025-06-30")])
def test_invitation_history_equals_that_of_nonresponse(engine, data, as_of, sent_after):
    as_of = data.as_of if as_of is None else as_of
    expected = nonresponse.invitation_history(data.surveys, as_of=as_of, sent_after=sent_after)
    got = engine.invitation_history(as_of=as_of, sent_after=sent_after)
    text = dict.fromkeys(["invitation_id", "customer_id", "channel"], str)
    pd.testing.assert_frame_equal(got.astype(text), expected.astype(text), check_dtype=False)
    assert got.attrs == expected.attrs
    # every total is in use: customers have earlier invitations, answers, recent scores and earlier NPS answers
    totals = ["prior_invitations", "prior_responses", "recent_csat_n", "recent_ces_n", "prior_nps_n"]
    assert (got[totals] > 0).any().all()
    assert got["latest_nps"].notna().sum() > 1000


def test_invitation_history_totals_arrive_as_numbers(engine, data):
    # a SUM of integers is a 128-bit integer in DuckDB, which pandas receives as one Python Decimal per row
    from cxlab.engine import queries

    raw = engine.dialect.text_frame(queries.invitation_history(data.as_of, "relationship", 7, 180))
    counts = ["prior_invitations", "prior_responses", "recent_csat_n", "recent_ces_n", "prior_nps_n"]
    assert all(pd.api.types.is_integer_dtype(raw[c]) for c in counts), raw[counts].dtypes.to_dict()
    assert all(pd.api.types.is_float_dtype(raw[c]) for c in ["recent_csat_sum", "recent_ces_sum", "prior_nps_sum"])


@pytest.mark.parametrize("as_of", [None, QUARTER_END])
def test_life_tables_equal_event_tables_of_the_tenure_frame(engine, data, as_of):
    as_of = data.as_of if as_of is None else as_of
    frame = tenure.tenure_frame(data.customers, as_of=as_of)
    got = engine.life_tables("segment", as_of=as_of)
    for segment, group in frame.groupby("segment"):
        expected = tenure.event_table(group["tenure_months"], group["churned"]).reset_index()
        mine = got[got["segment"] == segment].drop(columns="segment").reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, expected, check_dtype=False)
    counts = engine.life_table_counts(as_of=as_of)
    assert counts["customers"].sum() == len(frame) and counts.loc[counts["churned"] == 1, "customers"].sum() == \
        frame["churned"].sum()


@pytest.mark.parametrize(("cohort", "period"), [("quarter", "month"), ("month", "quarter"), ("year", "year")])
def test_cohort_alive_equals_the_logo_retention_of_cohort_table(engine, data, cohort, period):
    expected = retention.cohort_table(data.customers, as_of=data.as_of, cohort=cohort, period=period)
    got = engine.cohort_alive(cohort=cohort, period=period)
    columns = ["cohort", "period", "months", "cohort_size", "active", "logo_retention"]
    pd.testing.assert_frame_equal(got[columns], expected[columns], check_dtype=False)


@pytest.mark.parametrize("as_of", [None, QUARTER_END, pd.Timestamp("2026-06-29")])
@pytest.mark.parametrize(("cohort", "period"), [("quarter", "month"), ("month", "quarter"), ("year", "year")])
def test_cohort_table_with_revenue_equals_cohort_table(engine, data, cohort, period, as_of):
    as_of = data.as_of if as_of is None else as_of
    expected = retention.cohort_table(data.customers, as_of=as_of, cohort=cohort, period=period, revenue=data.revenue)
    got = engine.cohort_table(cohort=cohort, period=period, as_of=as_of)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)
    assert got.attrs == expected.attrs
    assert got["net_revenue_retention"].notna().sum() >= 6  # revenue is there to compare, not all hidden
    logo = engine.cohort_table(cohort=cohort, period=period, as_of=as_of, revenue=False)
    pd.testing.assert_frame_equal(logo, got[logo.columns], check_dtype=False)
    assert "revenue" not in logo.columns


@pytest.mark.parametrize("months", [0, 1, 12, 24])
@pytest.mark.parametrize("as_of", [None, pd.Timestamp("2026-06-29")])
def test_pooled_revenue_retention_equals_revenue_retention(engine, data, months, as_of):
    as_of = data.as_of if as_of is None else as_of
    expected = retention.revenue_retention(data.customers, data.revenue, as_of=as_of, months=months)
    got = engine.revenue_retention(months=months, as_of=as_of)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-12)
    assert got.attrs == expected.attrs and got["n"].iloc[0] > 1000


def test_revenue_billed_before_acquisition_is_refused_as_by_cohort_table(tmp_path):
    folder = tmp_path / "early"
    folder.mkdir()
    customers = pd.read_csv(demo_path() / "customers.csv")
    customers.to_csv(folder / "customers.csv", index=False)
    first = customers.iloc[0]
    early = pd.Timestamp(first["acquired_at"]).to_period("M").to_timestamp() - pd.DateOffset(months=2)
    revenue = pd.DataFrame({"customer_id": [first["customer_id"]], "month": [early], "amount": [5.0]})
    revenue.to_csv(folder / "revenue.csv", index=False)
    loaded = load(folder)
    with pytest.raises(ValueError, match="billed before the customer's acquisition month"):
        retention.cohort_table(loaded.customers, as_of=loaded.as_of, revenue=loaded.revenue)
    with connect(folder) as opened:
        for call in (opened.cohort_table, opened.revenue_retention):
            with pytest.raises(ValueError, match=r"revenue.csv: column 'month': 1 row\(s\) of revenue billed before "
                                                 "the customer's acquisition month"):
                call()
        assert "revenue" not in opened.cohort_table(revenue=False).columns


def test_an_engine_over_the_validated_copy_gives_the_same_aggregates_without_validating(tmp_path, engine):
    copy = engine.write_validated_copy(tmp_path / "validated")
    with connect(demo_path(), validated_copy=copy) as from_copy:
        assert from_copy.validated_copy == copy
        views = from_copy.sql("SELECT table_name FROM information_schema.tables")["table_name"]
        assert not views.str.startswith(("raw_", "typed_")).any()  # the folder's files were not read nor checked
        assert {"valid_customers", "valid_revenue", "valid_surveys", "valid_cases"} <= set(views)
        assert (from_copy.as_of, from_copy.as_of_source) == (engine.as_of, engine.as_of_source)
        assert from_copy.row_counts() == engine.row_counts()
        assert from_copy.dialect.columns("valid_surveys").items() <= engine.dialect.columns("valid_surveys").items()
        pd.testing.assert_frame_equal(from_copy.cohort_table(), engine.cohort_table())
        pd.testing.assert_frame_equal(from_copy.revenue_retention(), engine.revenue_retention())
        pd.testing.assert_frame_equal(from_copy.life_tables("segment"), engine.life_tables("segment"))
        cells = dict(metric="nps", by=["segment", "quarter"], touchpoints="relationship")
        pd.testing.assert_frame_equal(from_copy.design_effects(**cells), engine.design_effects(**cells))
        with pytest.raises(ValueError, match="reads the validated copy"):
            from_copy.write_validated_copy(tmp_path / "again")
    # a copy stands in only for strict validation at the data's own as-of date
    with connect(demo_path(), validated_copy=copy, as_of="2026-09-30") as dated:
        assert dated.validated_copy is None and dated.as_of_source == "argument"
    with connect(demo_path(), validated_copy=copy, strict=False) as lenient:
        assert lenient.validated_copy is None and lenient.rejected.empty


def test_a_copy_of_other_files_is_not_used(tmp_path, data):
    folder = tmp_path / "data"
    folder.mkdir()
    data.customers.to_csv(folder / "customers.csv", index=False)
    with connect(folder) as opened:
        copy = opened.write_validated_copy(tmp_path / "validated")
    with connect(folder, validated_copy=copy) as current:
        assert current.validated_copy == copy
    data.customers.iloc[:100].to_csv(folder / "customers.csv", index=False)  # the folder changed since the copy
    with connect(folder, validated_copy=copy) as changed:
        assert changed.validated_copy is None and changed.row_counts() == {"customers": 100}


def test_the_copy_keeps_the_order_of_a_parquet_file_of_many_row_groups(tmp_path, data):
    # DuckDB reads the row groups on two threads; the copy is written without sorting, in the scan's order
    import pyarrow.ipc

    folder = tmp_path / "data"
    folder.mkdir()
    customers = pd.concat([data.customers] * 10, ignore_index=True)
    customers["customer_id"] = [f"K{i:07d}" for i in np.random.default_rng(5).permutation(len(customers))]
    customers.to_parquet(folder / "customers.parquet", index=False, row_group_size=2_000)
    with connect(folder, threads=2) as opened:
        copy = opened.write_validated_copy(tmp_path / "validated")
    written = pyarrow.ipc.open_file(copy / "customers.arrow").read_all()
    assert written.column("customer_id").to_pylist() == customers["customer_id"].tolist()


def test_revenue_per_cohort_month_equals_a_pandas_sum(engine, data):
    customers = data.customers[data.customers["acquired_at"] < pd.Timestamp("2026-07-01")]
    revenue = data.revenue.merge(customers[["customer_id", "acquired_at"]], on="customer_id")
    revenue = revenue[revenue["month"] < pd.Timestamp("2026-06-01")]  # months complete by 2026-06-29
    revenue["cohort"] = revenue["acquired_at"].dt.to_period("Q").astype(str)
    expected = revenue.groupby(["cohort", "month"]).agg(customers=("customer_id", "nunique"),
                                                         revenue=("amount", "sum")).reset_index()
    got = engine.revenue_by_cohort_month(as_of="2026-06-29")
    pd.testing.assert_frame_equal(got[["cohort", "month", "customers"]], expected[["cohort", "month", "customers"]],
                                  check_dtype=False)
    np.testing.assert_allclose(got["revenue"], expected["revenue"], rtol=1e-12)


def test_pattern_counts_weigh_each_distinct_combination(engine, data):
    got = engine.pattern_counts("customers", ["segment", "contract"])
    expected = data.customers.groupby(["segment", "contract"]).size()
    np.testing.assert_array_equal(got.set_index(["segment", "contract"])["weight"], expected)


def _bad_folder(folder):
    folder.mkdir()
    pd.DataFrame({
        "customer_id": ["C1", "C2", "C2", "C4", "C5", ""], "segment": ["a", "b", "b", "", "a", "a"],
        "region": ["n"] * 6, "acquisition_channel": ["web"] * 6,
        "acquired_at": ["2024-01-01", "2024-02-01", "2024-02-01", "2024-02-15", "2024-03-01", "2024-03-01"],
        "churned_at": ["", "2023-01-01", "", "", "2030-01-01", ""], "contract": ["monthly"] * 6,
        "monthly_revenue": ["10", "-1", "7", "5", "", ""], "acquisition_cost": [""] * 6,
    }).to_csv(folder / "customers.csv", index=False)
    pd.DataFrame({
        "invitation_id": ["S1", "S2", "S2", "S4", "S5"], "customer_id": ["C1", "C9", "C1", "C5", "C1"],
        "touchpoint": ["portal"] * 5, "channel": ["email"] * 5, "sent_at": ["2024-05-01"] * 5,
        "responded_at": ["2024-05-02", "", "2024-04-01", "", "2024-04-30"], "nps": ["11", "7.5", "3", "", ""],
        "csat": ["5", "0", "", "", ""], "ces": ["", "", "8", "", ""], "comment": ["", "hi", "", "", ""],
    }).to_csv(folder / "surveys.csv", index=False)
    pd.DataFrame({"customer_id": ["C1", "C1", "C5"], "month": ["2024-02-01", "2024-02-01", "2024-04-01"],
                  "amount": ["1", "2", "3"]}).to_csv(folder / "revenue.csv", index=False)
    pd.DataFrame({"case_id": ["K1", "K2"], "customer_id": ["C1", "C1"], "kind": ["complaint", "oops"],
                  "opened_at": ["2024-05-01"] * 2, "first_response_at": ["2024-04-01", ""], "closed_at": ["", ""],
                  "sla_hours": ["0", "4"]}).to_csv(folder / "cases.csv", index=False)
    (folder / "meta.json").write_text(json.dumps({"as_of": "2024-12-31"}))
    return folder


def _same_error_as_cxlab_io(folder) -> str:
    """The engine's validation error for ``folder``, checked to read as ``cxlab.io.load``'s."""
    with pytest.raises(DataValidationError) as expected:
        load(folder)
    with pytest.raises(DataValidationError) as got:
        connect(folder)
    assert str(got.value) == str(expected.value)
    return str(got.value)


def _equal_hashes(monkeypatch):
    """Every key hashes alike: uniqueness, decided on the keys' hashes first, then rests on the keys themselves."""
    from cxlab.engine.dialects import DuckDBDialect

    monkeypatch.setattr(DuckDBDialect, "hash64", staticmethod(lambda expressions: "0"))


@pytest.mark.filterwarnings("ignore::FutureWarning")
@pytest.mark.parametrize("hashes", ["of the keys", "all equal"])
def test_broken_rules_give_the_failures_and_message_of_cxlab_io(tmp_path, monkeypatch, hashes):
    if hashes == "all equal":
        _equal_hashes(monkeypatch)
    folder = _bad_folder(tmp_path / "bad")
    message = _same_error_as_cxlab_io(folder)
    assert "column 'nps' whole number from 0 to 10: 1 row(s) [2]" in message
    assert "must be unique" in message and "multiple_fields_uniqueness" in message
    keep = load(folder, strict=False)
    with connect(folder, strict=False) as engine:
        pd.testing.assert_frame_equal(engine.rejected.astype(str), keep.rejected.astype(str))
        assert engine.row_counts() == {name: len(df) for name, df in keep.tables().items()}
        # by hand: only customer C1 keeps every rule; S1 (NPS 11), S2 twice (duplicate id), S4 (customer C5
        # rejected: churn after the as-of date) and S5 (answered before it was sent) are all rejected
        assert engine.rejected_counts == {"customers": 5, "revenue": 3, "surveys": 5, "cases": 2}
        assert engine.row_counts() == {"customers": 1, "revenue": 0, "surveys": 0, "cases": 0}



def test_unknown_customers_are_found_in_the_pass_of_the_row_rules(tmp_path):
    # the foreign key is counted in the same pass as the row rules, by a join to the distinct customers: with a
    # customer listed twice (C1), its rows must keep their own failures (S5, answered before it was sent), and a
    # revenue row of a customer not in the table (C7) must be found
    folder = _bad_folder(tmp_path / "bad")
    customers = pd.read_csv(folder / "customers.csv", dtype=str, keep_default_na=False)
    customers.loc[2, "customer_id"] = "C1"
    customers.to_csv(folder / "customers.csv", index=False)
    revenue = pd.read_csv(folder / "revenue.csv", dtype=str, keep_default_na=False)
    revenue.loc[2, "customer_id"] = "C7"
    revenue.to_csv(folder / "revenue.csv", index=False)
    message = _same_error_as_cxlab_io(folder)
    assert "column 'responded_at' must not be before sent_at: 1 row(s) [5]" in message
    assert "revenue.csv: column 'customer_id' unknown customer (not in customers): 1 row(s) [3]" in message

def test_distinct_keys_sharing_a_hash_are_not_duplicates(engine, monkeypatch):
    _equal_hashes(monkeypatch)
    with connect(demo_path()) as rehashed:
        assert rehashed.rejected.empty and rehashed.row_counts() == engine.row_counts()


def test_values_that_do_not_convert_are_named_like_cxlab_io(tmp_path):
    folder = _bad_folder(tmp_path / "types")
    customers = pd.read_csv(folder / "customers.csv", dtype=str, keep_default_na=False)
    customers = customers.iloc[[0, 4]].assign(acquired_at=["2024-01-01", "first of May"], churned_at="",
                                              monthly_revenue=["ten", "5"])
    customers.to_csv(folder / "customers.csv", index=False)
    for name in ("surveys", "revenue", "cases"):
        (folder / f"{name}.csv").unlink()
    message = _same_error_as_cxlab_io(folder)
    assert "'acquired_at' must be a date (YYYY-MM-DD, optionally with a time): 1 row(s) [2]" in message


def test_missing_columns_and_empty_tables_are_named(tmp_path):
    folder = tmp_path / "short"
    folder.mkdir()
    pd.DataFrame({"customer_id": ["C1"], "segment": ["a"]}).to_csv(folder / "customers.csv", index=False)
    with pytest.raises(DataValidationError, match=r"customers.csv: missing column\(s\) \['region'"):
        connect(folder)


def test_as_of_is_the_latest_date_without_meta_json(tmp_path):
    folder = tmp_path / "nometa"
    folder.mkdir()
    data = load(demo_path(), tables=["customers"])
    data.customers.head(200).to_parquet(folder / "customers.parquet")
    expected = load(folder)
    with connect(folder) as engine:
        assert engine.as_of == expected.as_of and engine.as_of_source == "latest date in the data"


def test_parquet_part_folders_read_as_one_table(tmp_path, data):
    folder = tmp_path / "parts"
    (folder / "customers").mkdir(parents=True)
    for i, part in enumerate(np.array_split(np.arange(len(data.customers)), 3)):
        data.customers.iloc[part].to_parquet(folder / "customers" / f"part-{i}.parquet")
    (folder / "meta.json").write_text(json.dumps({"as_of": "2026-09-30"}))
    with connect(folder) as engine:
        assert engine.row_counts() == {"customers": len(data.customers)}
        got = engine.life_table_counts("segment")
    frame = tenure.tenure_frame(data.customers, as_of=data.as_of)
    assert got["customers"].sum() == len(frame)


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="engine must be one of"):
        connect(demo_path(), engine="pandas")


def test_a_uri_with_its_tables_in_meta_json_is_read_as_a_folder(tmp_path, data, monkeypatch):
    from cxlab.engine import session, sources

    folder = tmp_path / "export"
    (folder / "surveys").mkdir(parents=True)
    data.customers.to_parquet(folder / "customers.parquet")
    for i, part in enumerate(np.array_split(np.arange(len(data.surveys)), 2)):
        data.surveys.iloc[part].to_parquet(folder / "surveys" / f"part-{i}.parquet")
    (folder / "meta.json").write_text(json.dumps({"as_of": "2026-09-30", "tables": ["customers", "surveys"]}))
    source = sources._locate_uri(f"file://{folder}")  # the path of s3://, hdfs://, abfss:// exports
    assert [len(source.tables[t].files) for t in ("customers", "surveys")] == [1, 2]
    monkeypatch.setattr(session, "locate", lambda location: source)
    with connect("s3://stands-for/this-export") as engine:
        assert engine.row_counts() == {"customers": len(data.customers), "surveys": len(data.surveys)}
    (folder / "meta.json").write_text(json.dumps({"as_of": "2026-09-30"}))
    with pytest.raises(DataValidationError, match="expected a \"tables\" list"):
        sources._locate_uri(f"file://{folder}")


def test_the_validated_copy_written_by_duckdb_is_what_cxlab_io_loads(tmp_path, data, as_arrow_text):
    with connect(demo_path()) as engine:
        copy = engine.write_validated_copy(tmp_path / "validated")
    from_copy = load(demo_path(), validated_copy=copy)
    assert from_copy.as_of == data.as_of
    for name, frame in data.tables().items():  # columns, order, types and values of every table (text in Arrow)
        pd.testing.assert_frame_equal(getattr(from_copy, name), as_arrow_text(frame), check_index_type=False, obj=name)


def test_duckdb_spills_to_a_private_folder_removed_on_close():
    from cxlab.engine.dialects import DuckDBDialect

    dialect = DuckDBDialect(memory_limit="1GB")
    spill = dialect.frame("SELECT current_setting('temp_directory') AS folder")["folder"].iloc[0]
    assert "cxlab-duckdb-" in spill and os.path.isdir(spill)
    dialect.close()
    assert not os.path.exists(spill)


def test_csv_rows_are_numbered_in_file_order_by_a_parallel_reader(tmp_path):
    # DuckDB reads a large CSV in parallel chunks; a row's number must still be its line in its file, or
    # failure messages name the wrong rows and the validated copy comes out of order.
    from cxlab.engine.dialects import DuckDBDialect

    files = []
    for part, n in enumerate((300_000, 50_000)):
        files.append(tmp_path / f"part-{part}.csv")
        pd.DataFrame({"line": np.arange(n), "part": part}).to_csv(files[-1], index=False)
    dialect = DuckDBDialect(threads=4)
    dialect.register("t", [str(f) for f in files], "csv", "parts")
    wrong = dialect.frame("SELECT COUNT(*) AS n FROM t WHERE CAST(line AS BIGINT) != _row")["n"].iloc[0]
    per_file = dialect.frame("SELECT _file, COUNT(*) AS n FROM t GROUP BY _file ORDER BY n DESC")
    dialect.close()
    assert wrong == 0
    assert per_file["n"].tolist() == [300_000, 50_000] and per_file["_file"].str.endswith(".csv").all()


@pytest.mark.parametrize("as_of", [None, QUARTER_END])
def test_scorecard_cells_equal_those_of_the_surveys_table(engine, data, as_of):
    as_of = data.as_of if as_of is None else as_of
    expected = touchpoints.survey_cells(data.surveys, as_of=as_of)
    got = engine.survey_cells(as_of=as_of)
    pd.testing.assert_frame_equal(got.responses, expected.responses, check_dtype=False)
    for part in ("by_touchpoint", "by_quarter"):
        for metric in ("nps", "csat", "ces"):
            mine, theirs = getattr(got, part)[metric], getattr(expected, part)[metric]
            assert len(mine.counts) > 10 and mine.hit_scores == theirs.hit_scores, (part, metric)
            pd.testing.assert_frame_equal(mine.counts, theirs.counts, check_dtype=False, check_names=False)
            pd.testing.assert_frame_equal(mine.moments, theirs.moments, check_dtype=False, check_names=False,
                                          rtol=1e-12)
    # what the page shows from the cells: the scorecard of every quarter and its changes
    pd.testing.assert_frame_equal(touchpoints.scorecard_from_cells(got),
                                  touchpoints.scorecard(data.surveys, as_of=as_of), check_dtype=False, rtol=1e-10)
    quarter = str(pd.Period(as_of, freq="Q"))
    pd.testing.assert_frame_equal(touchpoints.scorecard_changes_from_cells(got, quarter=quarter),
                                  touchpoints.scorecard_changes(data.surveys, quarter=quarter, as_of=as_of),
                                  check_dtype=False, rtol=1e-10)


def test_segment_cells_of_the_headline_touchpoints_give_the_segment_comparisons(engine, data):
    known = _known(data, QUARTER_END)
    in_quarter = known[known["quarter"] == "2026Q2"]
    for metric in ("csat", "ces"):  # over every touchpoint but the relationship survey
        cells = engine.headline_cells(metric, ["segment", "quarter"], as_of=QUARTER_END).xs("2026Q2", "quarter")
        rows = in_quarter[in_quarter["touchpoint"] != "relationship"]
        expected = metrics.compare_by(rows, "segment", versus="rest", kind=metric)
        pd.testing.assert_frame_equal(metrics.compare_with_rest(cells), expected, rtol=1e-10)


def test_latest_comments_are_those_the_loaded_surveys_give(engine, data):
    known = touchpoints.surveys_as_of(data.surveys, as_of=QUARTER_END)
    rows = known[(known["quarter"] == "2026Q2") & known["comment"].notna()]
    expected = touchpoints.recent_comments(rows, per_touchpoint=3)
    got = touchpoints.recent_comments(engine.latest_comments(quarter="2026Q2", per_touchpoint=3, as_of=QUARTER_END),
                                      per_touchpoint=3)
    assert len(expected) == 3 * rows["touchpoint"].nunique() > 0
    pd.testing.assert_frame_equal(got, expected)


def test_answer_counts_leave_out_late_answers(engine, data):
    counts = engine.answer_counts("csat", ["quarter"], as_of=QUARTER_END)
    known = touchpoints.surveys_as_of(data.surveys, as_of=QUARTER_END)
    expected = known.dropna(subset=["csat"]).groupby(["quarter", "csat"]).size()
    np.testing.assert_array_equal(counts["answers"], expected.to_numpy())
    assert counts.loc[counts["quarter"] == "2026Q2", "answers"].sum() < \
        data.surveys.loc[data.surveys["sent_at"].dt.to_period("Q") == "2026Q2", "csat"].notna().sum()
    with pytest.raises(ValueError, match="no column 'recommend5'"):
        engine.answer_counts("recommend5", ["quarter"])


@pytest.mark.parametrize("as_of", [None, pd.Timestamp("2025-06-30")])
@pytest.mark.parametrize("same_questionnaire", [False, True])
def test_driver_frame_equals_the_one_built_from_the_surveys_table(engine, data, as_of, same_questionnaire):
    as_of = data.as_of if as_of is None else as_of
    expected = drivers.driver_frame(data.surveys, as_of=as_of, window_days=90, same_questionnaire=same_questionnaire)
    got = engine.driver_frame(as_of=as_of, window_days=90, same_questionnaire=same_questionnaire)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)
    assert got.attrs == expected.attrs and len(got) > 5000
    assert got[expected.attrs["touchpoints"]].notna().sum().sum() > 5000  # ratings in the window
    assert engine.asked_together(outcome="nps") is drivers.asked_together(data.surveys, outcome="nps") is False
    assert engine.available_outcome() == drivers.available_outcome(data.surveys) == "nps"


def test_answered_rows_are_the_loaded_answers_in_time_order(engine, data):
    got = engine.answered_rows(["customer_id", "touchpoint", "sent_at", "csat", "recommend5"], touchpoints="support")
    surveys = data.surveys
    expected = surveys.loc[surveys["responded_at"].notna() & (surveys["touchpoint"] == "support"),
                           ["invitation_id", "responded_at", "customer_id", "touchpoint", "sent_at", "csat"]]
    expected = expected.sort_values(["responded_at", "invitation_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)  # the demo has no recommend5 column
    assert len(got) > 1000


def test_case_rows_are_the_loaded_cases_of_the_kinds_in_table_order(engine, data):
    got = engine.case_rows(["case_id", "customer_id", "opened_at", "first_response_at", "sla_hours", "severity"],
                           kinds=["detractor_followup", "complaint"])
    cases = data.cases
    columns = ["case_id", "customer_id", "opened_at", "first_response_at", "sla_hours"]
    expected = cases.loc[cases["kind"].isin(["detractor_followup", "complaint"]), columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)  # the demo has no severity column
    assert 1000 < len(got) < len(cases)
    assert engine.case_rows(kinds=[]).empty
    assert list(engine.case_rows(kinds="complaint").columns) == list(cases.columns)
    assert len(engine.case_rows(kinds="complaint")) == int((cases["kind"] == "complaint").sum())


def test_duckdb_draws_no_progress_bars():
    # a report run's log (cron, CI) would otherwise fill with DuckDB's bars during validation at scale; in a
    # plain interpreter DuckDB draws them by default (under pytest it does not, hence the fresh process)
    script = ("from cxlab.engine import connect; from cxlab.datasets import demo_path; "
              "print(connect(demo_path()).sql(\"SELECT current_setting('enable_progress_bar') AS on\")['on'].iloc[0])")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "False", result.stderr
