"""Colours with fixed meanings, safe for colour-blind readers (Okabe & Ito 2008).

A detractor is always the same warm vermillion and a promoter the same blue, on every chart of
every page; other groups take the Okabe-Ito colours in a fixed order. Sequential scales use
``cividis`` (perceptually uniform, readable with red-green colour blindness), never red-green.
"""

from __future__ import annotations

__all__ = ["NPS_COLOURS", "OKABE_ITO", "SEQUENTIAL", "TARGET_COLOUR", "group_colours"]

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
NPS_COLOURS = {"detractor": "#D55E00", "passive": "#999999", "promoter": "#0072B2", "no_response": "#CC79A7"}
SEQUENTIAL = "cividis"
TARGET_COLOUR = "#000000"


def group_colours(groups) -> dict:
    """A colour per group: the NPS categories keep theirs, other groups take Okabe-Ito in order.

    Examples
    --------
    >>> group_colours(["promoter", "detractor"])["detractor"]
    '#D55E00'
    >>> group_colours(["SMB", "Enterprise"])
    {'SMB': '#0072B2', 'Enterprise': '#E69F00'}
    """
    groups = list(groups)
    others = iter(c for c in OKABE_ITO if c not in {NPS_COLOURS[g] for g in groups if g in NPS_COLOURS})
    colours = {}
    for group in groups:
        colours[group] = NPS_COLOURS.get(group) or next(others, "#777777")
    return colours
