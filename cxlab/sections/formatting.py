"""Numbers as managers read them: percentages, intervals "32.7 to 37.4", counts with separators.

P-values are phrased by :func:`cxlab.survival.wording.format_p`.

Missing values stay missing (a table shows them as a dash), never "nan".
"""

from __future__ import annotations

import numpy as np


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
