"""One number per fact: find figures that two pages of a report show differently.

Pages record the figures they show as headlines (:mod:`cxlab.headlines`). A fact shown on several
pages is recorded under one key on each (e.g. ``survival_10y`` on the retention, churn and
economics pages); two headlines with the same key, or with the same label, must then carry the same
value and interval. :func:`disagreements` lists every pair that does not.
"""

from __future__ import annotations

import math
from collections import defaultdict

__all__ = ["disagreements", "shared_figures"]


def _same(a, b, rel: float) -> bool:
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return a == b
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)


def shared_figures(pages: dict[str, dict]) -> dict[str, list[tuple[str, object]]]:
    """Figures recorded on more than one page, by key and by label.

    Parameters
    ----------
    pages : dict
        Page name to its headlines (key to :class:`cxlab.headlines.Headline`).

    Returns
    -------
    dict
        ``"key <key>"`` or ``"label <label>"`` to ``[(page, headline), ...]`` for each key or label
        that two or more pages recorded.
    """
    groups = defaultdict(list)
    for page, headlines in pages.items():
        for headline in headlines.values():
            groups[f"key {headline.key}"].append((page, headline))
            groups[f"label {headline.label}"].append((page, headline))
    return {name: found for name, found in groups.items() if len({page for page, _ in found}) > 1}


def disagreements(pages: dict[str, dict], *, rel: float = 1e-9) -> list[str]:
    """Every figure that two pages show with a different value or interval.

    Parameters
    ----------
    pages : dict
        Page name to its headlines (key to :class:`cxlab.headlines.Headline`).
    rel : float
        Relative tolerance of the comparison (figures are recorded, not re-rounded).

    Returns
    -------
    list of str
        One line per disagreement, naming the figure, both pages and both values; empty when every
        shared figure agrees.

    Examples
    --------
    >>> from cxlab.headlines import Headline
    >>> a = {"survival_10y": Headline("survival_10y", "After 10 years", 29.4, "%", 25.6, 33.8)}
    >>> b = {"survival_10y": Headline("survival_10y", "After 10 years", 34.5, "%", 31.0, 38.2)}
    >>> for line in disagreements({"04": a, "05": b}):
    ...     print(line)
    key survival_10y: 04 shows 29.4 (25.6 to 33.8), 05 shows 34.5 (31 to 38.2)
    label After 10 years: 04 shows 29.4 (25.6 to 33.8), 05 shows 34.5 (31 to 38.2)
    """
    found = []
    for name, shown in shared_figures(pages).items():
        (first_page, first), *others = shown
        for page, headline in others:
            if not all(_same(getattr(first, f), getattr(headline, f), rel) for f in ("value", "ci_low", "ci_high")):
                found.append(f"{name}: {first_page} shows {_text(first)}, {page} shows {_text(headline)}")
    return found


def _text(headline) -> str:
    interval = ("" if headline.ci_low is None or headline.ci_high is None else
                f" ({headline.ci_low:g} to {headline.ci_high:g})")
    return f"{headline.value:g}{interval}" if isinstance(headline.value, float) else f"{headline.value}{interval}"
