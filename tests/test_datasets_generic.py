"""Own-data adapters: tenure snapshots and wide survey tables mapped into the data model."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from cxlab.datasets import check_tenure_table, from_tenure_table, from_wide_survey, not_in_source, parse_flags
from cxlab.io import load
from cxlab.schema import CUSTOMERS, OPTIONAL_COLUMNS, SURVEYS
from cxlab.tenure import tenure_frame

AS_OF_DATES = ["2024-12-31", "2024-02-29", "2023-03-01", "2025-06-15"]


def _snapshot(n: int, rng: np.random.Generator, max_tenure: int = 120) -> pd.DataFrame:
    return pd.DataFrame({
        "id": [f"K{i:04d}" for i in range(n)],
        "tenure": rng.integers(0, max_tenure + 1, size=n),
        "left": rng.choice(["Yes", "No"], size=n),
    })


# --- from_tenure_table --------------------------------------------------------------------------


def test_tenure_table_hand_calculated_dates():
    # 3 months = 3 x 30.4375 = 91.3125 days: 2024-12-31 minus that is 2024-09-30 16:30, rounded down to
    # 2024-09-30; the churn date is 2024-09-30 + 91.3125 days = 2024-12-30 07:30 -> 2024-12-30 (91 days:
    # 2.99 months, the 3rd month). 12 months = 365.25 days -> 2023-12-31 18:00 -> 2023-12-31 (366 days
    # to the as-of date: 12.02 months, censored at 12).
    snapshot = pd.DataFrame({"id": ["a", "b"], "months": [3, 12], "left": ["Yes", "No"]})
    customers = from_tenure_table(snapshot, customer_id="id", tenure="months", churned="left",
                                  as_of="2024-12-31")
    assert customers["acquired_at"].tolist() == [pd.Timestamp("2024-09-30"), pd.Timestamp("2023-12-31")]
    assert customers["churned_at"].iloc[0] == pd.Timestamp("2024-12-30")
    assert pd.isna(customers["churned_at"].iloc[1])
    frame = tenure_frame(customers, as_of="2024-12-31")
    assert frame["tenure_months"].tolist() == [3, 12]
    assert frame["churned"].tolist() == [1, 0]


@pytest.mark.parametrize("as_of", AS_OF_DATES)
def test_tenure_months_round_trip(as_of):
    rng = np.random.default_rng(0)
    snapshot = _snapshot(5_000, rng)
    customers = from_tenure_table(snapshot, customer_id="id", tenure="tenure", churned="left", as_of=as_of)
    CUSTOMERS.validate(customers)
    frame = tenure_frame(customers, as_of=as_of)
    churned = (snapshot["left"] == "Yes").to_numpy()
    # a churner with tenure 0 churned in month 1 (the convention of cxlab.tenure)
    expected = np.where(churned, np.maximum(snapshot["tenure"], 1), snapshot["tenure"])
    np.testing.assert_array_equal(frame["tenure_months"].to_numpy(), expected)
    np.testing.assert_array_equal(frame["churned"].to_numpy(), churned.astype(int))
    as_of = pd.Timestamp(as_of)
    assert (customers["churned_at"].dropna() <= as_of).all()
    # churn just before as-of; a churner with tenure 0 churned on acquisition, a month earlier (so
    # that its month 1 is over by the as-of date and the churn counts)
    churn_at = customers["churned_at"][churned]
    recent = (snapshot["tenure"] > 0).to_numpy()[churned]
    assert (churn_at[recent] > as_of - pd.Timedelta(days=2)).all()
    month_before = as_of - pd.Timedelta(days=31)
    assert ((churn_at[~recent] >= month_before) & (churn_at[~recent] < as_of - pd.Timedelta(days=29))).all()
    dates = pd.concat([customers["acquired_at"], customers["churned_at"].dropna()])
    assert (dates == dates.dt.normalize()).all()


def test_tenure_years_round_trip():
    rng = np.random.default_rng(0)
    snapshot = _snapshot(2_000, rng, max_tenure=15)
    snapshot["tenure"] = snapshot["tenure"].where(snapshot["tenure"] > 0, 1)
    customers = from_tenure_table(snapshot, customer_id="id", tenure="tenure", churned="left",
                                  tenure_unit="years", as_of="2024-12-31")
    frame = tenure_frame(customers, as_of="2024-12-31")
    np.testing.assert_array_equal(frame["tenure_months"].to_numpy(), 12 * snapshot["tenure"].to_numpy())
    half = pd.DataFrame({"id": ["h"], "tenure": [2.5], "left": [False]})
    frame = tenure_frame(from_tenure_table(half, customer_id="id", tenure="tenure", churned="left",
                                           tenure_unit="years", as_of="2024-12-31"), as_of="2024-12-31")
    assert frame["tenure_months"].tolist() == [30]


def test_churn_flags_in_every_accepted_spelling_agree():
    base = pd.DataFrame({"id": list("abcd"), "tenure": [1, 5, 9, 30]})
    spellings = [[True, False, True, False], [1, 0, 1, 0], ["YES", "no", "Yes", " No "],
                 ["true", "False", "1", "0"]]
    results = [from_tenure_table(base.assign(flag=s), customer_id="id", tenure="tenure", churned="flag",
                                 as_of="2024-12-31") for s in spellings]
    for other in results[1:]:
        pd.testing.assert_frame_equal(results[0], other)
    assert results[0]["churned_at"].notna().tolist() == [True, False, True, False]


def test_attributes_and_placeholders():
    snapshot = pd.DataFrame({"id": ["a", "b"], "tenure": [4, 7], "left": [0, 1], "plan": ["gold", ""],
                             "mrr": [49.0, 12.5], "cac": [None, 300.0], "age": [31, 45]})
    customers = from_tenure_table(snapshot, customer_id="id", tenure="tenure", churned="left",
                                  as_of="2024-06-30", contract="plan", monthly_revenue="mrr",
                                  acquisition_cost="cac", extra_columns={"age": "age_years"})
    assert customers["contract"].tolist() == ["gold", "unknown"]
    assert customers["segment"].tolist() == ["unknown", "unknown"]
    assert customers["monthly_revenue"].tolist() == [49.0, 12.5]
    assert np.isnan(customers["acquisition_cost"].iloc[0]) and customers["acquisition_cost"].iloc[1] == 300.0
    assert customers["age_years"].tolist() == [31, 45]
    bare = from_tenure_table(snapshot, customer_id="id", tenure="tenure", churned="left", as_of="2024-06-30")
    assert bare["monthly_revenue"].isna().all()  # unknown stays empty, never a placeholder 0
    assert bare["acquisition_cost"].isna().all()
    CUSTOMERS.validate(bare)
    assert list(bare.columns) == list(CUSTOMERS.columns)
    assert snapshot["plan"].tolist() == ["gold", ""]  # input not modified


def test_tenure_table_loads_as_a_data_folder(tmp_path):
    rng = np.random.default_rng(0)
    customers = from_tenure_table(_snapshot(300, rng), customer_id="id", tenure="tenure", churned="left",
                                  as_of="2024-12-31")
    customers.to_csv(tmp_path / "customers.csv", index=False)
    (tmp_path / "meta.json").write_text(json.dumps({"as_of": "2024-12-31"}))
    data = load(tmp_path)
    assert not_in_source(data) == frozenset()  # not written by convert: nothing recorded as missing
    pd.testing.assert_series_equal(tenure_frame(data.customers, as_of=data.as_of)["tenure_months"],
                                   tenure_frame(customers, as_of="2024-12-31")["tenure_months"])


def test_unknown_churn_labels_name_column_rows_and_values():
    snapshot = pd.DataFrame({"id": list("abcd"), "tenure": [1, 2, 3, 4],
                             "Churn": ["Yes", "Maybe", "No", "N/A"]})
    with pytest.raises(ValueError) as err:
        from_tenure_table(snapshot, customer_id="id", tenure="tenure", churned="Churn", as_of="2024-12-31")
    message = str(err.value)
    assert "column 'Churn'" in message and "[2, 4]" in message
    assert "'Maybe'" in message and "'N/A'" in message


@pytest.mark.parametrize("tenure, shown", [([3, -1, 5], "must be >= 0"), ([3, None, 5], "must be a number"),
                                           ([3, "ten", 5], "must be a number")])
def test_bad_tenure_is_rejected(tenure, shown):
    snapshot = pd.DataFrame({"id": list("abc"), "tenure": tenure, "left": ["No"] * 3})
    with pytest.raises(ValueError, match=rf"column 'tenure' {shown}.*\[2\]"):
        from_tenure_table(snapshot, customer_id="id", tenure="tenure", churned="left", as_of="2024-12-31")


def test_missing_column_and_bad_arguments():
    snapshot = pd.DataFrame({"id": ["a"], "tenure": [1], "left": ["No"]})
    expected = r"column\(s\) \['Churn'\] not in the table; found \['id', 'tenure', 'left'\]"
    with pytest.raises(ValueError, match=expected):
        from_tenure_table(snapshot, customer_id="id", tenure="tenure", churned="Churn", as_of="2024-12-31")
    with pytest.raises(ValueError, match="tenure_unit must be one of"):
        from_tenure_table(snapshot, customer_id="id", tenure="tenure", churned="left", tenure_unit="weeks",
                          as_of="2024-12-31")
    with pytest.raises(ValueError, match="data-model columns"):
        from_tenure_table(snapshot, customer_id="id", tenure="tenure", churned="left", as_of="2024-12-31",
                          extra_columns={"left": "churned_at"})


def test_check_tenure_table_lists_every_problem():
    snapshot = pd.DataFrame({"id": ["a", "a", None, "d"], "tenure": [1, -2, 3, 4],
                             "left": ["No", "No", "No", "?"], "mrr": [10, 10, -5, None]})
    found = check_tenure_table(snapshot, customer_id="id", tenure="tenure", churned="left",
                               monthly_revenue="mrr")
    assert sorted(zip(found["row"], found["column"], strict=True)) == [
        (1, "id"), (2, "id"), (2, "tenure"), (3, "id"), (3, "mrr"), (4, "left"), (4, "mrr")]


def test_parse_flags():
    values = pd.Series([True, False, 1, 0, 1.0, "yes", "NO", " True ", "false", "2", None, "y"])
    flags = parse_flags(values)
    assert flags.tolist()[:9] == [1, 0, 1, 0, 1, 1, 0, 1, 0]
    assert flags.isna().tolist() == [False] * 9 + [True] * 3


# --- from_wide_survey ---------------------------------------------------------------------------


def _wide() -> pd.DataFrame:
    return pd.DataFrame({
        "resp": [101, 102, 103],
        "when": ["2024-05-02 10:15", "2024-05-03", "2024-05-03 18:00"],
        "Booking": [5, 0, None],
        "Seat comfort": ["3", "4", "1"],
        "overall": [9, None, 2],
        "why": ["great <b>crew</b>", None, "late"],
        "tier": ["gold", "silver", None],
    })


def test_wide_survey_exact_long_output():
    customers, surveys = from_wide_survey(
        _wide(), respondent_id="resp", touchpoints={"Booking": "booking", "Seat comfort": "seat"},
        responded_at="when", outcome="overall", outcome_kind="nps", comment="why", segment="tier")
    t1, t2, t3 = (pd.Timestamp(t) for t in ("2024-05-02 10:15", "2024-05-03", "2024-05-03 18:00"))
    nan = np.nan
    expected = pd.DataFrame({
        "invitation_id": ["101-booking", "101-seat", "101-relationship", "102-booking", "102-seat",
                          "102-relationship", "103-booking", "103-seat", "103-relationship"],
        "customer_id": ["101"] * 3 + ["102"] * 3 + ["103"] * 3,
        "touchpoint": ["booking", "seat", "relationship"] * 3,
        "channel": ["unknown"] * 9,
        "sent_at": [t1] * 3 + [t2] * 3 + [t3] * 3,
        "responded_at": [t1] * 3 + [t2] * 3 + [t3] * 3,
        "nps": [nan, nan, 9.0, nan, nan, nan, nan, nan, 2.0],
        "csat": [5.0, 3.0, nan, nan, 4.0, nan, nan, 1.0, nan],  # 0 = not applicable, blank = not answered
        "ces": [nan] * 9,
        "comment": [nan, nan, "great <b>crew</b>", nan, nan, nan, nan, nan, "late"],
    })
    pd.testing.assert_frame_equal(surveys, expected, check_dtype=False)
    assert surveys["sent_at"].dtype == "datetime64[ns]" and surveys["csat"].dtype == float
    assert customers["customer_id"].tolist() == ["101", "102", "103"]
    assert customers["segment"].tolist() == ["gold", "silver", "unknown"]
    assert customers["acquired_at"].tolist() == [pd.Timestamp("2024-05-02"), t2, pd.Timestamp("2024-05-03")]
    assert customers["churned_at"].isna().all() and customers["monthly_revenue"].isna().all()
    SURVEYS.validate(surveys)
    CUSTOMERS.validate(customers)


def test_wide_survey_scales_keep_their_own_columns():
    wide = _wide().assign(label=["Satisfied", "Neutral or Dissatisfied", "Satisfied"],
                          fft=["Likely", "Don't know", "Extremely unlikely"], rating=[4, 5, None])
    common = {"respondent_id": "resp", "touchpoints": [], "survey_date": "2024-06-30"}
    _, binary = from_wide_survey(wide, **common, outcome="label", outcome_kind="binary",
                                 outcome_labels={"Satisfied": 1, "Neutral or Dissatisfied": 0})
    assert binary["satisfied"].tolist() == [1.0, 0.0, 1.0]
    assert binary[["nps", "csat"]].isna().all().all()
    _, fft = from_wide_survey(wide, **common, outcome="fft", outcome_kind="recommend5",
                              outcome_labels={"Likely": 4, "Extremely unlikely": 1, "Don't know": None})
    assert fft["recommend5"].tolist()[0] == 4.0 and np.isnan(fft["recommend5"].iloc[1])
    assert fft["responded_at"].notna().all()  # "Don't know" is an answer without a score
    assert "satisfied" not in fft.columns and fft["nps"].isna().all()
    _, csat = from_wide_survey(wide, **common, outcome="rating", outcome_kind="csat")
    assert csat["touchpoint"].tolist() == ["relationship"] * 3
    assert csat["csat"].tolist()[:2] == [4.0, 5.0]
    for table in (binary, fft):
        SURVEYS.validate(table)
        pa.DataFrameSchema(OPTIONAL_COLUMNS["surveys"]).validate(table)
    with pytest.raises(pa.errors.SchemaError):
        pa.DataFrameSchema(OPTIONAL_COLUMNS["surveys"]).validate(binary.assign(satisfied=2.0))


def test_wide_survey_loads_as_a_data_folder(tmp_path):
    customers, surveys = from_wide_survey(_wide(), respondent_id="resp", responded_at="when",
                                          touchpoints=["Booking", "Seat comfort"], outcome="overall",
                                          outcome_kind="nps")
    customers.to_csv(tmp_path / "customers.csv", index=False)
    surveys.to_csv(tmp_path / "surveys.csv", index=False)
    data = load(tmp_path)
    assert data.as_of == pd.Timestamp("2024-05-03")
    assert data.surveys["touchpoint"].tolist()[:3] == ["Booking", "Seat comfort", "relationship"]
    assert data.surveys["nps"].sum() == 11


@pytest.mark.parametrize("change, pattern", [
    ({"Booking": [5, 6, 1]}, r"column 'Booking' must be empty, a whole number from 1 to 5.*\[2\].*'6'"),
    ({"Booking": [5, 2.5, 1]}, r"column 'Booking' must be empty, a whole number.*\[2\]"),
    ({"overall": [9, 11, 2]}, r"column 'overall' must be empty or a whole number from 0 to 10.*\[2\]"),
    ({"resp": [1, 1, 3]}, r"column 'resp' must be unique.*\[1, 2\]"),
    ({"when": ["2024-05-02", "soon", "2024-05-03"]}, r"column 'when' must be a date.*\[2\].*'soon'"),
])
def test_wide_survey_bad_rows(change, pattern):
    wide = _wide().assign(**change)
    with pytest.raises(ValueError, match=pattern):
        from_wide_survey(wide, respondent_id="resp", touchpoints=["Booking", "Seat comfort"],
                         responded_at="when", outcome="overall", outcome_kind="nps")


@pytest.mark.parametrize("kwargs, pattern", [
    ({"scale": (0, 10)}, "1-5 scale; scale=\\(0, 10\\) is another scale"),
    ({"touchpoints": {"Booking": "relationship"}}, "'relationship' is reserved"),
    ({"touchpoints": ["Booking", "Nope"]}, r"column\(s\) \['Nope'\] not in the table"),
    ({"outcome_kind": "nps10"}, "outcome_kind must be one of"),
    ({"outcome_labels": {"good": 12}}, "whole number from 0 to 10"),
    ({"responded_at": None}, "pass responded_at=<column> or survey_date="),
])
def test_wide_survey_bad_arguments(kwargs, pattern):
    arguments = {"respondent_id": "resp", "touchpoints": ["Booking"], "responded_at": "when",
                 "outcome": "overall", "outcome_kind": "nps", **kwargs}
    with pytest.raises(ValueError, match=pattern):
        from_wide_survey(_wide(), **arguments)


def test_binary_outcome_rejects_unknown_labels():
    wide = _wide().assign(label=["Satisfied", "Meh", "Satisfied"])
    with pytest.raises(ValueError, match=r"column 'label' must be one of the labels.*\[2\].*'Meh'"):
        from_wide_survey(wide, respondent_id="resp", touchpoints=[], survey_date="2024-06-30",
                         outcome="label", outcome_kind="binary",
                         outcome_labels={"Satisfied": 1, "Dissatisfied": 0})
