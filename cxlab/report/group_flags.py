"""The executive summary's block on the drill-down page: the groups that differ beyond chance.

It reads the ``drill_differences`` headline the drill-down page recorded
(:func:`cxlab.sections.drilldown.differences`); nothing is recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

__all__ = ["GroupFlags", "KEY", "group_flags"]

KEY = "drill_differences"


@dataclass(frozen=True)
class GroupFlags:
    """The block's heading, its sentence and the link to the drill-down page's comparisons."""

    title: str
    sentence: str
    href: str


def group_flags(located: dict) -> GroupFlags | None:
    """The block of a run with a drill-down page; None without one.

    Parameters
    ----------
    located : dict
        Headline key -> (page, headline), as the summary finds them.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from cxlab.headlines import spec
    >>> h = spec(KEY).headline(1, n=30, attribute="region", quarter="2026Q3",
    ...                        note="Relationship NPS of Latin America -9.3 points (Holm-adjusted p = 0.002)")
    >>> group_flags({KEY: (SimpleNamespace(href="drill_down.html"), h)}).sentence
    '1 of 30 comparisons: Relationship NPS of Latin America -9.3 points (Holm-adjusted p = 0.002).'
    """
    found = located.get(KEY)
    if found is None:
        return None
    page_, headline = found
    href = f"{page_.href}#{quote(headline.section)}" if headline.section else page_.href
    note = headline.note.rstrip(".")
    if headline.value is None:
        sentence = f"Not available: {note}." if note else "Not available."
    elif headline.value == 0:
        sentence = f"{note[:1].upper()}{note[1:]}."
    else:
        sentence = f"{int(headline.value)} of {headline.n} comparisons: {note}."
    return GroupFlags(headline.label, sentence, href)
