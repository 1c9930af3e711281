"""Figures as business readers read them: a value with its unit, decimals by its size."""

from __future__ import annotations

import math

from cxlab.headlines import Headline

__all__ = ["TIMES_UNITS", "format_number", "headline_decimals", "number_or_none"]

TIMES_UNITS = ("x", "ratio")


def _decimals(value: float) -> int:
    size = abs(value)
    if size >= 100:
        return 0
    if size >= 10:
        return 1
    if size >= 1:
        return 2
    return 3


def format_number(value: float, unit: str = "", *, decimals: int | None = None, signed: bool = False) -> str:
    """Format a figure with its unit for business readers.

    ``unit="%"`` means the value is already in percent; ``unit="share"`` means a fraction
    shown as percent; ``"x"`` and ``"ratio"`` (hazard ratios, LTV/CAC) are written as a
    multiple; any other unit (a currency code, ``"months"``) is written after the number.

    Examples
    --------
    >>> format_number(31.24, "points")
    '31.2 points'
    >>> format_number(0.834, "share")
    '83.4%'
    >>> format_number(2.5, "points", signed=True)
    '+2.50 points'
    >>> format_number(15230.4, "EUR")
    '15,230 EUR'
    >>> format_number(3.14159, "ratio")
    '3.14\u00d7'
    """
    if unit == "share":
        value, unit = value * 100, "%"
        decimals = 1 if decimals is None else decimals
    if unit == "%" and decimals is None:
        decimals = 1
    decimals = _decimals(value) if decimals is None else decimals
    if round(value, decimals) == 0:
        value = 0.0  # no "-0.00"
    text = f"{value:{'+' if signed else ''},.{decimals}f}"
    if unit == "%":
        return f"{text}%"
    if unit in TIMES_UNITS:
        return f"{text}\u00d7"
    return f"{text} {unit}".strip()


def number_or_none(value) -> float | None:
    """A finite number, or None for a missing, NaN or text value."""
    if value is None or isinstance(value, str):
        return None
    value = float(value)
    return None if math.isnan(value) else value



def headline_decimals(headline: Headline) -> int:
    """Decimals used to show a headline: 1 for percentages, else by the size of the value."""
    if headline.unit in ("%", "share"):
        return 1
    value = number_or_none(headline.value)
    return 2 if value is None else _decimals(value)
