"""Adapters on the real public files in ``shared/datasets/`` (next to the repository; never copied into it).

Row counts and labels are those recorded in shared/datasets/PROVENANCE.md; headline figures are
recomputed here from the raw CSV with the ``csv`` module or pandas, independently of the adapters.
Set ``CXLAB_SHARED_DATASETS`` to use another folder; the tests skip when the files are absent.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times

from cxlab.datasets import convert, load_airline, load_fft, load_telco, not_in_source
from cxlab.datasets.airline import AIRLINE_FILE, TOUCHPOINTS
from cxlab.datasets.fft import FFT_FILE
from cxlab.datasets.source import GAPS
from cxlab.datasets.telco import CONTRACTS, TELCO_FILE
from cxlab.io import load
from cxlab.schema import OPTIONAL_COLUMNS, RELATIONSHIP, SCHEMAS, TABLES
from cxlab.tenure import DAYS_PER_MONTH, event_table, tenure_frame

SHARED = Path(os.environ.get("CXLAB_SHARED_DATASETS",
                             Path(__file__).resolve().parents[1].parent / "shared" / "datasets"))


def _source(name: str) -> Path:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"public data set {name} not found in {SHARED} (set CXLAB_SHARED_DATASETS to its folder)")
    return path


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- IBM Telco Customer Churn -------------------------------------------------------------------


@pytest.fixture(scope="module")
def telco_path() -> Path:
    return _source(TELCO_FILE)


@pytest.fixture(scope="module")
def telco(telco_path):
    return load_telco(telco_path)


@pytest.fixture(scope="module")
def telco_raw(telco_path) -> pd.DataFrame:
    return pd.read_csv(telco_path)


def test_telco_rows_and_churn_rate(telco, telco_path):
    rows = _csv_rows(telco_path)
    assert len(rows) == 7_043  # PROVENANCE.md
    churners = sum(r["Churn"] == "Yes" for r in rows)
    assert churners == 1_869  # PROVENANCE.md
    assert telco.rows_read == len(rows) and telco.rows_rejected == 0
    customers = telco.customers
    assert len(customers) == len(rows)
    assert customers["customer_id"].tolist() == [r["customerID"] for r in rows]
    churn_rate = customers["churned_at"].notna().mean()
    assert churn_rate == churners / len(rows)
    assert round(100 * churn_rate, 1) == 26.5  # the data set's published churn rate
    assert Counter(customers["contract"]) == Counter(CONTRACTS[r["Contract"]] for r in rows)
    np.testing.assert_array_equal(customers["monthly_revenue"], [float(r["MonthlyCharges"]) for r in rows])


def test_telco_tenure_frame_gives_back_raw_tenure_and_churn(telco, telco_raw):
    frame = tenure_frame(telco.customers, as_of=telco.as_of)
    assert len(frame) == len(telco_raw)
    np.testing.assert_array_equal(frame["tenure_months"], telco_raw["tenure"])
    np.testing.assert_array_equal(frame["churned"], (telco_raw["Churn"] == "Yes").astype(int))
    assert (frame.loc[frame["churned"] == 1, "end_at"] <= telco.as_of).all()


@pytest.mark.parametrize("contract", list(CONTRACTS))
def test_telco_kaplan_meier_by_contract_matches_lifelines_on_raw_file(telco, telco_raw, contract):
    raw = telco_raw[telco_raw["Contract"] == contract]
    direct = KaplanMeierFitter().fit(raw["tenure"], raw["Churn"] == "Yes")
    frame = tenure_frame(telco.customers, as_of=telco.as_of)
    frame = frame[frame["contract"] == CONTRACTS[contract]]
    converted = KaplanMeierFitter().fit(frame["tenure_months"], frame["churned"])
    pd.testing.assert_frame_equal(converted.survival_function_, direct.survival_function_, check_names=False)
    assert converted.median_survival_time_ == direct.median_survival_time_
    pd.testing.assert_frame_equal(median_survival_times(converted.confidence_interval_),
                                  median_survival_times(direct.confidence_interval_))
    life = event_table(frame["tenure_months"], frame["churned"])
    np.testing.assert_allclose(life["survival"].to_numpy(),
                               direct.survival_function_.reindex(life.index).iloc[:, 0].to_numpy())


def test_telco_quirks_blank_total_charges_and_tenure_zero(telco, telco_path):
    rows = _csv_rows(telco_path)
    blank = [r["customerID"] for r in rows if not r["TotalCharges"].strip()]
    assert len(blank) == 11  # PROVENANCE.md: 11 blanks where tenure = 0
    customers = telco.customers.set_index("customer_id")
    assert customers["total_charges"].isna().sum() == len(blank)
    assert customers.loc[blank, "total_charges"].isna().all()
    new = [r["customerID"] for r in rows if r["tenure"] == "0"]
    frame = tenure_frame(telco.customers, as_of=telco.as_of).set_index("customer_id").loc[new]
    assert (frame["tenure_months"] == 0).all() and (frame["churned"] == 0).all()
    assert (telco.as_of - frame["acquired_at"] < pd.Timedelta(days=DAYS_PER_MONTH)).all()


def test_telco_convert_writes_a_loadable_folder(telco, telco_path, tmp_path):
    done = convert("telco", telco_path, tmp_path / "telco", file_format="csv")
    meta = json.loads((tmp_path / "telco" / "meta.json").read_text())
    assert meta["as_of"] == "2024-12-31"
    assert meta["source"]["sha256"].startswith("88be4b93fbe0cc83")  # PROVENANCE.md
    assert (meta["source"]["rows_read"], meta["source"]["rows_written"], meta["source"]["rows_rejected"]) == (
        7_043, {"customers": 7_043}, 0)
    assert pd.read_csv(tmp_path / "telco" / "rejected.csv").empty
    data = load(tmp_path / "telco")
    assert data.as_of == pd.Timestamp("2024-12-31") and data.surveys is None
    pd.testing.assert_frame_equal(tenure_frame(data.customers, as_of=data.as_of)[["tenure_months", "churned"]],
                                  tenure_frame(telco.customers, as_of=telco.as_of)[["tenure_months", "churned"]])
    assert done.data.customers["churned_at"].notna().sum() == 1_869
    gaps = not_in_source(done.data)
    assert {"revenue", "surveys", "calendar_dates"} <= gaps and not gaps & {"churn", "tenure"}
    with pytest.raises(FileExistsError, match="already holds a data folder"):
        convert("telco", telco_path, tmp_path / "telco")
    # the input may be a folder holding the file; overwrite replaces the CSV tables by Parquet ones
    again = convert("telco", telco_path.parent, tmp_path / "telco", overwrite=True)
    assert sorted(p.name for p in (tmp_path / "telco").iterdir()) == [
        "customers.parquet", "meta.json", "rejected.csv"]
    assert again.rows_written == {"customers": 7_043}


def test_telco_bad_rows_are_counted_and_listed(telco_path, tmp_path):
    lines = telco_path.read_bytes().decode("utf-8").split("\r\n")  # keep the CRLF line endings
    fields = [line.split(",") for line in lines[1:6]]  # data rows 1-5 (they contain no quoted commas)
    fields[0][20] = "Maybe"  # Churn
    fields[1][5] = "-3"  # tenure
    fields[2][0] = fields[3][0]  # the same customerID twice
    fields[4][15] = "Weekly"  # Contract
    lines[1:6] = [",".join(f) for f in fields]
    damaged = tmp_path / "telco_damaged.csv"
    damaged.write_bytes("\r\n".join(lines).encode("utf-8"))

    done = convert("telco", damaged, tmp_path / "out")
    assert done.rows_read == 7_043 and done.rows_rejected == 5
    assert done.rows_written == {"customers": 7_043 - 5}
    listed = pd.read_csv(tmp_path / "out" / "rejected.csv")
    assert sorted(zip(listed["row"], listed["column"], strict=True)) == [
        (1, "Churn"), (2, "tenure"), (3, "customerID"), (4, "customerID"), (5, "Contract")]
    meta = json.loads((tmp_path / "out" / "meta.json").read_text())
    assert meta["source"]["rows_rejected"] == 5
    assert sum(r["rows"] for r in meta["source"]["rejected_by_rule"]) == 5
    assert "rejected 5" in str(done)


# --- Airline Passenger Satisfaction --------------------------------------------------------------


@pytest.fixture(scope="module")
def airline_path() -> Path:
    return _source(AIRLINE_FILE)


@pytest.fixture(scope="module")
def airline(airline_path):
    return load_airline(airline_path)


@pytest.fixture(scope="module")
def airline_rows(airline_path):
    return _csv_rows(airline_path)


def test_airline_rows_and_satisfied_share(airline, airline_rows):
    assert len(airline_rows) == 129_880  # PROVENANCE.md
    satisfied = sum(r["Satisfaction"] == "Satisfied" for r in airline_rows)
    assert satisfied == 56_428  # PROVENANCE.md
    assert airline.rows_rejected == 0 and len(airline.customers) == len(airline_rows)
    surveys = airline.surveys
    assert len(surveys) == len(airline_rows) * (len(TOUCHPOINTS) + 1)
    relationship = surveys[surveys["touchpoint"] == RELATIONSHIP]
    assert relationship["customer_id"].tolist() == [r["ID"] for r in airline_rows]
    share = relationship["satisfied"].mean()
    assert share == satisfied / len(airline_rows)
    assert round(100 * share, 1) == 43.4  # the data set's published satisfied share
    assert relationship[["nps", "csat"]].isna().all().all()  # binary: neither NPS nor CSAT
    assert surveys.loc[surveys["touchpoint"] != RELATIONSHIP, "satisfied"].isna().all()


def test_airline_ratings_with_zero_as_not_applicable(airline, airline_rows):
    surveys = airline.surveys
    answers = surveys[surveys["touchpoint"] != RELATIONSHIP]
    by_touchpoint = answers.groupby("touchpoint")["csat"]
    rows, rated, total = by_touchpoint.size(), by_touchpoint.count(), by_touchpoint.sum()
    for column, touchpoint in TOUCHPOINTS.items():
        raw = [int(r[column]) for r in airline_rows]
        assert rows[touchpoint] - rated[touchpoint] == raw.count(0)  # 0 = not applicable -> empty
        assert rated[touchpoint] == len(raw) - raw.count(0) and total[touchpoint] == sum(raw)
    assert answers["responded_at"].notna().all()
    assert (surveys["responded_at"] == airline.as_of).all()
    assert Counter(airline.customers["segment"]) == Counter(r["Class"] for r in airline_rows)
    assert airline.customers["arrival_delay_minutes"].isna().sum() == 393  # PROVENANCE.md: 393 blank


@pytest.mark.slow
def test_airline_convert_writes_a_loadable_folder(airline_path, tmp_path):
    done = convert("airline", airline_path, tmp_path / "airline")
    meta = json.loads((tmp_path / "airline" / "meta.json").read_text())
    assert meta["source"]["rows_written"] == {"customers": 129_880, "surveys": 129_880 * 15}
    assert meta["source"]["rows_rejected"] == 0
    assert done.data.surveys["satisfied"].sum() == 56_428
    assert done.data.rejected.empty
    gaps = not_in_source(tmp_path / "airline")
    assert {"churn", "tenure", "calendar_dates", "customers.monthly_revenue"} <= gaps


# --- NHS Friends and Family Test ----------------------------------------------------------------


@pytest.fixture(scope="module")
def fft_path() -> Path:
    return _source(FFT_FILE)


@pytest.fixture(scope="module")
def fft(fft_path):
    return load_fft(fft_path)


def test_fft_rows_scale_and_dont_know(fft, fft_path):
    rows = _csv_rows(fft_path)
    assert len(rows) == 3_882  # PROVENANCE.md
    labels = Counter(r["rating"] for r in rows)
    assert labels["Extremely likely"] == 2_616 and labels["Extremely unlikely"] == 71  # PROVENANCE.md
    assert labels["Don't know"] == 19  # PROVENANCE.md
    assert fft.rows_rejected == 0 and len(fft.surveys) == len(rows) == len(fft.customers)
    surveys = fft.surveys
    assert (surveys["touchpoint"] == RELATIONSHIP).all()
    assert surveys[["nps", "csat", "ces"]].isna().all().all()  # 5-point recommend is neither NPS nor CSAT
    scores = {"Extremely likely": 5, "Likely": 4, "Neither likely nor unlikely": 3, "Unlikely": 2,
              "Extremely unlikely": 1}
    assert Counter(surveys["recommend5"].dropna().astype(int)) == Counter(
        scores[r["rating"]] for r in rows if r["rating"] in scores)
    dont_know = surveys["recommend5"].isna()
    assert dont_know.sum() == 19 and surveys.loc[dont_know, "responded_at"].notna().all()
    positive = labels["Extremely likely"] + labels["Likely"]
    assert (surveys["recommend5"] >= 4).sum() == positive
    assert (surveys["recommend5"].dropna() >= 4).mean() == positive / (len(rows) - labels["Don't know"])


def test_fft_dates_comments_and_practices(fft, fft_path):
    rows = _csv_rows(fft_path)
    surveys = fft.surveys
    assert surveys["responded_at"].tolist() == [pd.Timestamp(r["time"]) for r in rows]
    assert (surveys["sent_at"] == surveys["responded_at"]).all()
    assert fft.as_of == pd.Timestamp(max(r["time"] for r in rows)).normalize()
    with_text = [bool(r["free_text"].strip() or r["do_better"].strip()) for r in rows]
    assert surveys["comment"].notna().tolist() == with_text
    both = next(i for i, r in enumerate(rows) if r["free_text"].strip() and r["do_better"].strip())
    assert surveys["comment"].iloc[both] == (f"{rows[both]['free_text'].strip()}\n"
                                             f"Could do better: {rows[both]['do_better'].strip()}")
    assert Counter(fft.customers["segment"]) == Counter(r["surgery"] for r in rows)
    assert len(Counter(r["surgery"] for r in rows)) == 11  # PROVENANCE.md: 11 GP surgeries
    assert fft.customers["churned_at"].isna().all()


def test_fft_responses_after_the_as_of_date_are_rejected(fft_path, tmp_path):
    rows = _csv_rows(fft_path)
    later = sum(pd.Timestamp(r["time"]) >= pd.Timestamp("2024-04-01") for r in rows)
    done = convert("fft", fft_path, tmp_path / "fft", as_of="2024-03-31", file_format="csv")
    assert done.rows_rejected == later > 0
    assert done.rows_written["surveys"] + done.rows_rejected == len(rows)
    assert set(done.rejected["rule"]) == {"is after the as-of date 2024-03-31"}
    data = load(tmp_path / "fft")
    assert data.as_of == pd.Timestamp("2024-03-31")
    assert done.data.surveys["recommend5"].dtype == float
    assert {"customer_identity", "churn", "surveys.nps"} <= not_in_source(data)


def test_convert_rejects_unknown_sources_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match=r"unknown source 'crm'; available: \['airline', 'fft', 'survey', 'telco'\]"):
        convert("crm", tmp_path, tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="expected the WA_Fn-UseC_-Telco-Customer-Churn.csv file"):
        convert("telco", tmp_path, tmp_path / "out")


def test_gaps_use_the_documented_vocabulary(telco, airline, fft):
    columns = {f"{t}.{c}" for t in TABLES for c in [*SCHEMAS[t].columns, *OPTIONAL_COLUMNS.get(t, {})]}
    for converted in (telco, airline, fft):
        assert set(converted.not_in_source) <= set(TABLES) | columns | set(GAPS)
        assert not set(converted.not_in_source) & set(converted.tables())
