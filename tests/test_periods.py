"""Quarter labels and as-of dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlab.periods import (
    analysis_as_of,
    latest_complete_quarter,
    nanoseconds,
    parse_quarter,
    quarter_end,
    quarter_labels,
)


def test_quarter_end_and_latest_complete():
    assert quarter_end("2026Q3") == pd.Timestamp("2026-09-30")
    assert quarter_end("2024Q1") == pd.Timestamp("2024-03-31")
    assert latest_complete_quarter("2026-09-30") == "2026Q3"
    assert latest_complete_quarter("2026-09-29") == "2026Q2"
    assert latest_complete_quarter("2026-01-01") == "2025Q4"


@pytest.mark.parametrize("bad", ["2026Q5", "2026-Q3", "26Q3", "Q3 2026", "", None, 2026])
def test_malformed_quarter(bad):
    with pytest.raises(ValueError, match="quarter must look like '2026Q3'"):
        parse_quarter(bad)


def test_analysis_as_of():
    assert analysis_as_of("", pd.Timestamp("2026-09-30")) == ("2026Q3", pd.Timestamp("2026-09-30"))
    assert analysis_as_of("2025Q4", pd.Timestamp("2026-09-30")) == ("2025Q4", pd.Timestamp("2025-12-31"))
    with pytest.raises(ValueError, match="after the data's as-of date 2026-08-15"):
        analysis_as_of("2026Q3", pd.Timestamp("2026-08-15"))


def test_quarter_labels_of_missing_and_zoned_timestamps():
    times = pd.Series(pd.to_datetime(["2026-03-31 23:30", None, "2026-04-01 00:10"]))
    labels = quarter_labels(times)
    assert labels[0] == "2026Q1" and pd.isna(labels[1]) and labels[2] == "2026Q2"
    # a zoned timestamp is labelled by its own local date, not by UTC's
    zoned = pd.Series(pd.to_datetime(["2026-03-31 23:30"]).tz_localize("America/New_York"))
    assert quarter_labels(zoned).tolist() == ["2026Q1"]
    assert pd.isna(quarter_labels(pd.Series([pd.NaT, pd.NaT]))).all()
    assert quarter_labels(pd.Series([], dtype="datetime64[ns]")).tolist() == []


def test_nanoseconds_whatever_the_unit():
    stamps = pd.to_datetime(["2026-09-30 12:00:01", "1999-01-01 00:00:00"])
    expected = np.array([t.value for t in stamps])
    for unit in ("s", "ms", "us", "ns"):
        np.testing.assert_array_equal(nanoseconds(pd.Series(stamps.astype(f"datetime64[{unit}]"))), expected)
