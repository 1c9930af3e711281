"""Numbers as managers read them: percentages, intervals "32.7 to 37.4", counts with separators, money.

P-values are phrased by :func:`cxlab.survival.wording.format_p`.

Missing values stay missing (a table shows them as a dash), never "nan".
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["count", "interval", "money", "money_interval", "number"]


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and not np.isfinite(value))


def number(value, decimals: int = 1, unit: str = "") -> str | None:
    """``12.345 -> "12.3"`` (with `` unit`` or ``%`` appended); None when missing.

    Examples
    --------
    >>> number(12.345), number(77.9, unit="%"), number(3.0, 0, "months"), number(float("nan"))
    ('12.3', '77.9%', '3 months', None)
    """
    if _missing(value):
        return None
    text = f"{float(value):,.{decimals}f}"
    return text + unit if unit == "%" else f"{text} {unit}" if unit else text


def interval(low, high, decimals: int = 1, unit: str = "") -> str | None:
    """``(32.71, 37.44) -> "32.7 to 37.4"``; None when either bound is missing.

    Examples
    --------
    >>> interval(32.71, 37.44), interval(1.5, 2.25, 2, "%"), interval(1.0, None)
    ('32.7 to 37.4', '1.50% to 2.25%', None)
    """
    if _missing(low) or _missing(high):
        return None
    return f"{number(low, decimals, unit)} to {number(high, decimals, unit)}"


def count(value) -> str | None:
    """``20000 -> "20,000"``; None when missing.

    Examples
    --------
    >>> count(20000.0)
    '20,000'
    """
    return None if _missing(value) else f"{int(round(float(value))):,}"


def _money_places(value, low=None, high=None) -> int:
    """Decimal places of a money figure: two significant digits of its interval's width when it has one,
    else whole units from 100 up and cents below."""
    if not (_missing(low) or _missing(high)) and high > low:
        return min(2, 1 - math.floor(math.log10(float(high) - float(low))))
    return 0 if abs(float(value)) >= 100 else 2


def _money_text(value, places: int, currency: str) -> str:
    rounded = round(float(value), places)
    text = f"{rounded + 0.0 if rounded else 0.0:,.{max(places, 0)}f}"
    return f"{text} {currency}" if currency else text


def money(value, currency: str = "", *, low=None, high=None) -> str | None:
    """A money figure rounded to what its interval supports, with its currency; None when missing.

    With an interval (``low``, ``high``) the figure keeps two significant digits of the interval's
    width (a figure known to within about a million is not shown to the euro); without one it is
    shown in whole units from 100 up and to the cent below.

    Parameters
    ----------
    value : float
        The amount.
    currency : str
        Currency code written after the number (empty: the number alone, e.g. for a table whose
        column heading names the currency).
    low, high : float, optional
        The amount's interval.

    Returns
    -------
    str or None

    Examples
    --------
    >>> money(18297744.2, "EUR", low=17613777, high=19005595)
    '18,300,000 EUR'
    >>> money(1234.567, "EUR"), money(50, "EUR"), money(-0.001, "EUR"), money(float("nan"), "EUR")
    ('1,235 EUR', '50.00 EUR', '0.00 EUR', None)
    """
    if _missing(value):
        return None
    return _money_text(value, _money_places(value, low, high), currency)


def money_interval(low, high, currency: str = "") -> str | None:
    """A money interval ``"17,600,000 EUR to 19,000,000 EUR"``, both bounds rounded as :func:`money` rounds its
    figure; None when either bound is missing.

    Examples
    --------
    >>> money_interval(17613777, 19005595, "EUR")
    '17,600,000 EUR to 19,000,000 EUR'
    >>> money_interval(12.345, 12.9), money_interval(1.0, None)
    ('12.35 to 12.90', None)
    """
    if _missing(low) or _missing(high):
        return None
    places = _money_places(low, low, high)
    return f"{_money_text(low, places, currency)} to {_money_text(high, places, currency)}"
