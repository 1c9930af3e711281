"""Quarters and as-of dates: the one place that turns ``"2026Q3"`` into dates."""

from __future__ import annotations

import re

import pandas as pd

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
        raise ValueError(
            f"quarter {quarter} ends {end.date()}, after the data's as-of date {data_as_of.date()}; "
            f"the latest complete quarter is {latest_complete_quarter(data_as_of)}"
        )
    return quarter, end
