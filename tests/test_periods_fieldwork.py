"""A one-off survey's own period: the quarter it ran in, and the error that says how to report it."""

import pandas as pd
import pytest

from cxlab.periods import analysis_as_of, fieldwork_period


def test_fieldwork_quarter_and_its_as_of_date():
    # The 2019 user survey was answered from 6 to 22 August: quarter 2019Q3, reported as of 30 September.
    times = pd.Series(pd.to_datetime(["2019-08-06 09:00", "2019-08-22 17:40", None]))
    assert fieldwork_period(times) == ("2019Q3", pd.Timestamp("2019-09-30"))
    with pytest.raises(ValueError, match="span 2019Q2 to 2019Q3"):
        fieldwork_period(pd.to_datetime(["2019-06-30", "2019-07-01"]))


def test_the_refusal_says_how_to_report_the_fieldwork_quarter():
    with pytest.raises(ValueError) as err:
        analysis_as_of("2019Q3", pd.Timestamp("2019-08-22"))
    text = str(err.value)
    assert "the latest complete quarter is 2019Q2" in text
    assert "convert it with --as-of 2019-09-30" in text and '{"as_of": "2019-09-30"}' in text
    with pytest.raises(ValueError) as err:  # a later quarter: no advice about the as-of date
        analysis_as_of("2019Q4", pd.Timestamp("2019-08-22"))
    assert "--as-of" not in str(err.value)
    assert analysis_as_of("2019Q3", pd.Timestamp("2019-09-30")) == ("2019Q3", pd.Timestamp("2019-09-30"))
