"""Readable tables of estimates with intervals for the economics report (charts: :mod:`cxlab.economics.plots`)."""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["NOT_AVAILABLE", "by_year_table", "format_interval", "interval_table", "summary_table"]

NOT_AVAILABLE = "n/a"


def format_interval(value, low=None, high=None, *, decimals: int = 0) -> str:
    """An estimate and its interval as one string, e.g. ``"1,234 (1,100 to 1,380)"``.

    Missing values give ``"n/a"``; a missing interval gives the estimate alone.

    Examples
    --------
    >>> format_interval(18297744.2, 17613777, 19005595)
    '18,297,744 (17,613,777 to 19,005,595)'
    >>> format_interval(1.2345, 1.1, float("nan"), decimals=2)
    '1.23'
    """
    def number(x) -> str:
        return f"{x:,.{decimals}f}"

    if value is None or not math.isfinite(value):
        return NOT_AVAILABLE
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return number(value)
    return f"{number(value)} ({number(low)} to {number(high)})"


def interval_table(frame: pd.DataFrame, columns: dict, *, decimals=0, keep=()) -> pd.DataFrame:
    """Collapse ``<name>``, ``<name>_ci_low``, ``<name>_ci_high`` columns into one readable column each.

    Parameters
    ----------
    frame : pandas.DataFrame
        Estimates with their interval columns; not modified.
    columns : dict of str to str
        Column name to its heading in the result, e.g. ``{"clv": "lifetime value (EUR)"}``.
    decimals : int or dict of str to int
        Decimals of every column, or per column name (default 0).
    keep : sequence of str
        Columns copied unchanged before the formatted ones (e.g. counts).

    Returns
    -------
    pandas.DataFrame
        Same index; strings ``"estimate (low to high)"``.
    """
    missing = [c for name in columns for c in (name, f"{name}_ci_low", f"{name}_ci_high") if c not in frame.columns]
    missing += [c for c in keep if c not in frame.columns]
    if missing:
        raise ValueError(f"interval_table: columns {missing} not in the table")
    out = frame[list(keep)].copy()
    for name, heading in columns.items():
        places = decimals.get(name, 0) if isinstance(decimals, dict) else decimals
        out[heading] = [format_interval(v, lo, hi, decimals=places)
                        for v, lo, hi in zip(frame[name], frame[f"{name}_ci_low"], frame[f"{name}_ci_high"],
                                             strict=True)]
    return out


def by_year_table(by_year: pd.DataFrame, quantities, *, currency: str = "EUR") -> pd.DataFrame:
    """A scenario's per-year results with intervals, one row per quantity and one column per year.

    Parameters
    ----------
    by_year : pandas.DataFrame
        :attr:`~cxlab.economics.scenario.LiftScenario.by_year`.
    quantities : sequence of (str, str, str)
        ``(name, unit, label)`` of the rows to show (e.g.
        :data:`cxlab.economics.scenario.PER_YEAR`); the unit ``"currency"`` becomes ``currency``.
    currency : str

    Returns
    -------
    pandas.DataFrame
        Index ``"label (unit)"``; columns ``year 1``, ``year 2``, ...; cells
        ``"estimate (low to high)"`` (percentages with two decimals, the rest whole numbers).
    """
    rows = {}
    for name, unit, label in quantities:
        shown = interval_table(by_year, {name: name}, decimals=2 if unit == "%" else 0)[name]
        rows[f"{label} ({unit.replace('currency', currency)})"] = shown.to_numpy()
    return pd.DataFrame(rows, index=[f"year {y}" for y in by_year.index]).T


def summary_table(summary: pd.DataFrame, names, *, currency: str = "EUR", decimals=0) -> pd.DataFrame:
    """Rows of a scenario summary (``value``, ``ci_low``, ``ci_high``, ``unit``, ``label``) for display.

    Parameters
    ----------
    summary : pandas.DataFrame
        :attr:`~cxlab.economics.scenario.LiftScenario.summary`.
    names : sequence of str
        Rows to show, in order.
    currency : str
        Replaces the unit ``"currency"``.
    decimals : int or dict of str to int
        Decimals per row name (default 0).

    Returns
    -------
    pandas.DataFrame
        Columns ``what``, ``estimate (95% interval)``, ``unit``; indexed by name.
    """
    rows = summary.loc[list(names)]
    shown = []
    for name, row in rows.iterrows():
        places = decimals.get(name, 0) if isinstance(decimals, dict) else decimals
        unit = str(row["unit"]).replace("currency", currency).replace("programme cost unit",
                                                                     f"{currency} per customer-year")
        shown.append({"metric": name, "what": row["label"], "unit": unit,
                      "estimate (95% interval)": format_interval(row["value"], row["ci_low"], row["ci_high"],
                                                                 decimals=places)})
    return pd.DataFrame(shown).set_index("metric")[["what", "estimate (95% interval)", "unit"]]
