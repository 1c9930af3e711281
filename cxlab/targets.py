"""Targets the team sets for its headline figures, and whether a figure meets its target.

A target is set in the report's parameters file under ``targets:`` (see ``params.example.yaml``),
one line per figure, in the figure's own unit::

    targets:
      nps: 40              # points, -100 to 100
      csat: 85%            # shares in percent, 0 to 100 ("85" and "85%" alike)
      ces: 2.5             # mean effort on 1-7, lower is better
      followup_coverage: 90%
      sla_24h_share: 95%
      retention: 80%       # customers still active after the retention page's months

The status respects uncertainty: a figure is *on target* only when its whole 95% interval lies
on the right side of the target, *below target* (for CES, where lower is better, *above
target*) when the whole interval lies on the wrong side, and *cannot tell yet* when the
interval contains the target.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["CANNOT_TELL", "ON_TARGET", "SPECS", "TargetSpec", "parse_targets", "target_status"]

ON_TARGET = "on target"
CANNOT_TELL = "cannot tell yet"


@dataclass(frozen=True)
class TargetSpec:
    """What a target of one headline figure may be.

    Attributes
    ----------
    key : str
        The headline key (:data:`cxlab.headlines.REGISTRY`) and the key under ``targets:``.
    name : str
        The figure in words.
    unit : str
        ``"points"``, ``"%"`` or ``""`` (a mean on a rating scale).
    low, high : float
        The range a target must lie in (the figure's possible values).
    higher_is_better : bool
        False for customer effort.
    """

    key: str
    name: str
    unit: str
    low: float
    high: float
    higher_is_better: bool = True

    @property
    def missed(self) -> str:
        """The status of a figure whose interval lies wholly on the wrong side of its target."""
        return "below target" if self.higher_is_better else "above target"

    def describe(self) -> str:
        """The allowed values in words, e.g. ``"a share in percent from 0 to 100"``."""
        if self.unit == "%":
            return "a share in percent from 0 to 100 (85 or 85% for 85%)"
        if self.unit == "points":
            return "NPS points from -100 to 100"
        return f"a mean from {self.low:g} to {self.high:g} (lower is better)"


SPECS: dict[str, TargetSpec] = {spec.key: spec for spec in (
    TargetSpec("nps", "Relationship NPS", "points", -100.0, 100.0),
    TargetSpec("csat", "CSAT, share satisfied", "%", 0.0, 100.0),
    TargetSpec("ces", "CES, mean effort on 1-7", "", 1.0, 7.0, higher_is_better=False),
    TargetSpec("followup_coverage", "Detractors followed up", "%", 0.0, 100.0),
    TargetSpec("sla_24h_share", "Follow-ups answered within the SLA", "%", 0.0, 100.0),
    TargetSpec("retention", "Retention, share of customers still active", "%", 0.0, 100.0),
)}
_WITH_UNIT = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?|[-+]?\.\d+)\s*(%|points?)?\s*$")


def _parse_value(spec: TargetSpec, value) -> tuple[float | None, str]:
    """The target as a number in the figure's unit, or None and what is wrong."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None, f"must be a number, got {value!r} ({type(value).__name__}); expected {spec.describe()}"
    unit = None
    if isinstance(value, str):
        found = _WITH_UNIT.match(value)
        if not found:
            return None, f"must be a number, got {value!r}; expected {spec.describe()}"
        value, unit = float(found.group(1)), found.group(2)
        unit = "points" if unit and unit.startswith("point") else unit
    value = float(value)
    if not math.isfinite(value):
        return None, f"must be a finite number, got {value!r}"
    if unit is not None and unit != spec.unit:
        return None, (f"is written in {unit!r} but {spec.name} is measured in "
                      f"{spec.unit or 'scale points 1-7'}; expected {spec.describe()}")
    if not spec.low <= value <= spec.high:
        return None, f"{value:g} is outside {spec.low:g} to {spec.high:g}; expected {spec.describe()}"
    if spec.unit == "%" and unit is None and 0 < value < 1:
        return None, (f"{value:g} looks like a fraction; shares are written in percent "
                      f"({100 * value:g} for {100 * value:g}%)")
    return value, ""


def parse_targets(targets) -> dict[str, float]:
    """Check a ``targets:`` mapping and return each target as a number in its figure's unit.

    Parameters
    ----------
    targets : dict or None
        Headline key to target, e.g. ``{"nps": 40, "csat": "85%", "ces": 2.5}``.

    Returns
    -------
    dict
        Headline key to the target value (shares in percent, NPS in points, CES on 1-7).

    Raises
    ------
    ValueError
        Listing every problem, each as ``targets.<key>: <what is wrong>``: an unknown key (with the
        known ones), a value that is not a number, a unit that is not the figure's (``"40%"`` for
        NPS), a value outside the figure's range (a share outside 0-100), or a share written as a
        fraction (0.85 instead of 85).

    Examples
    --------
    >>> parse_targets({"nps": 40, "csat": "85%", "ces": 2.5})
    {'nps': 40.0, 'csat': 85.0, 'ces': 2.5}
    """
    if targets is None:
        return {}
    if not isinstance(targets, dict):
        raise ValueError(f"targets: must be a mapping of figure to target (e.g. nps: 40), got {targets!r}")
    problems, parsed = [], {}
    for key, value in targets.items():
        spec = SPECS.get(str(key))
        if spec is None:
            problems.append(f"targets.{key}: unknown figure; targets can be set for {', '.join(SPECS)}")
            continue
        number, problem = _parse_value(spec, value)
        if problem:
            problems.append(f"targets.{key}: {problem}")
        else:
            parsed[spec.key] = number
    if problems:
        raise ValueError("\n".join(problems))
    return parsed


def target_status(key: str, value: float, ci_low: float | None, ci_high: float | None, target: float) -> str:
    """Whether a figure meets its target, given its interval.

    Parameters
    ----------
    key : str
        The headline key (gives the direction: lower is better for ``ces``).
    value : float
        The estimate.
    ci_low, ci_high : float or None
        Its 95% interval; without one the estimate itself is compared (an exact count).
    target : float
        The target in the figure's unit.

    Returns
    -------
    str
        ``"on target"`` when the whole interval lies on the right side of the target (a bound equal
        to the target counts as meeting it), ``"below target"`` (``"above target"`` for CES) when it
        lies wholly on the wrong side, ``"cannot tell yet"`` when it contains the target.

    Examples
    --------
    >>> target_status("nps", 35.1, 32.7, 37.4, 30)
    'on target'
    >>> target_status("nps", 35.1, 32.7, 37.4, 36)
    'cannot tell yet'
    >>> target_status("ces", 3.1, 2.9, 3.3, 2.5)
    'above target'
    """
    spec = SPECS[key]
    low = value if ci_low is None else ci_low
    high = value if ci_high is None else ci_high
    worst, best = (low, high) if spec.higher_is_better else (high, low)
    meets = (lambda x: x >= target) if spec.higher_is_better else (lambda x: x <= target)
    if meets(worst):
        return ON_TARGET
    if not meets(best):
        return spec.missed
    return CANNOT_TELL
