"""Quarters and as-of dates: the one place that turns ``"2026Q3"`` or an as-of date into instants.

An as-of date stands for an instant: the end of that day. Everything that happened during the
as-of day (an answer at 11:00, a churn at 15:00, an invitation at 10:00) is known as of it, and
nothing later is. In code the end of the day is the exclusive bound :func:`as_of_end` (00:00 of
the next day), and :func:`known_by` is the one test "did this happen by the as-of instant".
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["analysis_as_of", "as_datetime", "as_of_end", "fieldwork_period", "known_by", "latest_complete_quarter",
           "nanoseconds", "parse_quarter", "quarter_end", "quarter_labels"]

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


def parse_quarter(quarter: str) -> pd.Period:
    """Parse a quarter label such as ``"2026Q3"``.

    Parameters
    ----------
    quarter : str
        Four-digit year, ``Q``, quarter number 1-4.

    Returns
    -------
    pandas.Period
        Quarterly period (``freq="Q"``).

    Raises
    ------
    ValueError
        When the label is not of the form ``YYYYQn``.

    Examples
    --------
    >>> parse_quarter("2026Q3").end_time.date()
    datetime.date(2026, 9, 30)
    """
    if not isinstance(quarter, str) or not _QUARTER.match(quarter.strip()):
        raise ValueError(f"quarter must look like '2026Q3' (year, 'Q', 1-4); got {quarter!r}")
    return pd.Period(quarter.strip(), freq="Q")


def as_of_end(as_of) -> pd.Timestamp:
    """The exclusive end of an as-of date: 00:00 of the following day.

    Whatever time of day ``as_of`` carries, the whole as-of day is known: an event at time
    ``t`` is known as of the date exactly when ``t < as_of_end(as_of)``.

    Parameters
    ----------
    as_of : str, datetime or pandas.Timestamp
        The as-of date.

    Returns
    -------
    pandas.Timestamp

    Examples
    --------
    >>> as_of_end("2026-09-30")
    Timestamp('2026-10-01 00:00:00')
    >>> as_of_end(pd.Timestamp("2026-09-30 15:00"))
    Timestamp('2026-10-01 00:00:00')
    """
    return pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1)


def known_by(times, *, as_of) -> pd.Series:
    """True where a time is known (not missing and within the as-of day or earlier).

    Parameters
    ----------
    times : pandas.Series or array-like of datetime
        Event times; missing values are never known.
    as_of : str or pandas.Timestamp
        The as-of date (see :func:`as_of_end`).

    Returns
    -------
    pandas.Series or numpy.ndarray of bool
        A Series with the index of ``times`` when ``times`` is a Series.

    Examples
    --------
    >>> known_by(pd.to_datetime(["2026-09-30 23:59", "2026-10-01 00:00", None]), as_of="2026-09-30").tolist()
    [True, False, False]
    """
    converted = pd.to_datetime(times)
    known = converted < as_of_end(as_of)
    return known if isinstance(known, pd.Series) else np.asarray(known, dtype=bool)


def quarter_end(quarter: str) -> pd.Timestamp:
    """Return the last day of a quarter (midnight), e.g. 2026-09-30 for ``"2026Q3"``."""
    return parse_quarter(quarter).end_time.normalize()


def latest_complete_quarter(as_of: pd.Timestamp | str) -> str:
    """Return the latest quarter that has ended on or before ``as_of``.

    A quarter is complete when ``as_of`` is on or after its last day.

    Examples
    --------
    >>> latest_complete_quarter("2026-09-30")
    '2026Q3'
    >>> latest_complete_quarter("2026-09-29")
    '2026Q2'
    """
    as_of = pd.Timestamp(as_of).normalize()
    period = as_of.to_period("Q")
    if as_of < period.end_time.normalize():
        period -= 1
    return str(period)


def analysis_as_of(quarter: str | None, data_as_of: pd.Timestamp) -> tuple[str, pd.Timestamp]:
    """Resolve a report quarter and the as-of date its analyses use.

    Parameters
    ----------
    quarter : str or None
        Requested quarter; empty or None means the latest complete quarter in the data.
    data_as_of : pandas.Timestamp
        The as-of date of the data (nothing in the data is later).

    Returns
    -------
    (str, pandas.Timestamp)
        The quarter label and the as-of date: the quarter's last day, which must not be after
        the data's as-of date.

    Raises
    ------
    ValueError
        When the quarter ends after the data's as-of date (it is not complete in the data).
    """
    data_as_of = pd.Timestamp(data_as_of).normalize()
    if not quarter:
        quarter = latest_complete_quarter(data_as_of)
    end = quarter_end(quarter)
    if end > data_as_of:
        how = ""
        if parse_quarter(quarter) == data_as_of.to_period("Q"):
            how = (f". If nothing later will come (a one-off survey whose fieldwork ended on {data_as_of.date()}), "
                   f"date the data as of the quarter's end: convert it with --as-of {end.date()} or write "
                   f'{{"as_of": "{end.date()}"}} into its meta.json')
        raise ValueError(
            f"quarter {quarter} ends {end.date()}, after the data's as-of date {data_as_of.date()}; "
            f"the latest complete quarter is {latest_complete_quarter(data_as_of)}{how}"
        )
    return quarter, end


def fieldwork_period(responded_at) -> tuple[str, pd.Timestamp]:
    """The quarter a one-off survey ran in and the as-of date that reports it: that quarter's last day.

    Parameters
    ----------
    responded_at : array-like of datetime
        Answer times; missing values are ignored.

    Returns
    -------
    (str, pandas.Timestamp)
        The quarter of the last answer and its last day.

    Raises
    ------
    ValueError
        When there is no answer time, or the answers span more than one quarter (then the
        survey is not one-off: report its latest complete quarter).

    Examples
    --------
    >>> fieldwork_period(pd.to_datetime(["2019-08-06 09:00", "2019-08-22 17:40"]))
    ('2019Q3', Timestamp('2019-09-30 00:00:00'))
    """
    times = pd.Series(pd.to_datetime(responded_at)).dropna()
    if times.empty:
        raise ValueError("fieldwork_period: no answer times")
    first, last = times.min().to_period("Q"), times.max().to_period("Q")
    if first != last:
        raise ValueError(f"fieldwork_period: the answers span {first} to {last}, more than one quarter")
    return str(last), quarter_end(str(last))


def as_datetime(values: pd.Series) -> pd.Series:
    """Values as datetimes; a datetime column is returned as it is (``pd.to_datetime`` maps every value).

    Parameters
    ----------
    values : pandas.Series
        Timestamps, or text or numbers ``pd.to_datetime`` reads.

    Returns
    -------
    pandas.Series

    Examples
    --------
    >>> as_datetime(pd.Series(["2026-09-30"])).dt.quarter.tolist()
    [3]
    """
    return values if pd.api.types.is_datetime64_any_dtype(values) else pd.to_datetime(values)


def quarter_labels(times: pd.Series) -> np.ndarray:
    """Quarter label (``"2026Q3"``) of each timestamp, formatting each distinct quarter once.

    Time-zone-aware timestamps are labelled by their local date; a missing timestamp has a missing
    label (NaN).

    Examples
    --------
    >>> quarter_labels(pd.Series(pd.to_datetime(["2026-09-30", "2026-10-01", None]))).tolist()
    ['2026Q3', '2026Q4', nan]
    """
    times = as_datetime(times)
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_localize(None)
    values = times.to_numpy(dtype="datetime64[ns]")
    known = ~np.isnat(values)
    labels = np.full(len(values), np.nan, dtype=object)
    if known.any():
        # numpy's month unit counts months since 1970-01 (the .dt accessors take several times longer)
        months = values[known].astype("datetime64[M]").astype(np.int64)
        codes = (months // 12 + 1970) * 4 + months % 12 // 3
        # the codes span a few hundred quarters: counting them is linear, sorting millions is not
        unique = np.flatnonzero(np.bincount(codes - codes.min())) + codes.min()
        names = np.array([f"{code // 4}Q{code % 4 + 1}" for code in unique], dtype=object)
        labels[known] = names[np.searchsorted(unique, codes)]
    return labels


def nanoseconds(times) -> np.ndarray:
    """Timestamps as int64 nanoseconds since 1970, whatever unit they are held in.

    Parameters
    ----------
    times : pandas.Series or array-like
        Timestamps without missing values (a missing one would become the smallest int64).

    Returns
    -------
    numpy.ndarray of int64

    Examples
    --------
    >>> nanoseconds(pd.Series(pd.to_datetime(["1970-01-01 00:00:01"]))).tolist()
    [1000000000]
    """
    return pd.to_datetime(times, cache=False).to_numpy(dtype="datetime64[ns]").view(np.int64)
