"""Quarter labels and as-of dates."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlab.periods import analysis_as_of, latest_complete_quarter, parse_quarter, quarter_end


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
