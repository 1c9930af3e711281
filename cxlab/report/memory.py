"""How much memory a run's notebooks may hold together.

The run starts a notebook beside others only when their peaks in the latest earlier run on the
same data, added up, stay within a budget (:mod:`cxlab.report.schedule`). By default the budget is
the memory the machine has available when the notebooks start; ``--memory-limit`` sets it, e.g. to
leave room for other work on a shared machine.
"""

from __future__ import annotations

import re

import psutil

from cxlab.report.errors import ReportInputError

__all__ = ["MEMORY_UNITS", "available_memory_mb", "memory_budget_mb", "parse_memory_size"]

MEMORY_UNITS = {"MB": 1.0, "GB": 1024.0, "TB": 1024.0 * 1024.0}  # in MB, binary multiples as DuckDB's
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B?)\s*$", re.IGNORECASE)


def parse_memory_size(text: str) -> float:
    """A memory size such as ``"4GB"``, ``"512MB"`` or ``"1.5 GiB"`` in MB (MiB: a GB is 1,024 MB).

    Raises
    ------
    cxlab.report.ReportInputError
        When the text is not a positive number followed by MB, GB or TB.

    Examples
    --------
    >>> parse_memory_size("4GB"), parse_memory_size("512 MB"), parse_memory_size("1.5GiB")
    (4096.0, 512.0, 1536.0)
    """
    match = _SIZE.match(str(text))
    unit = match.group(2).upper().replace("I", "").rstrip("B") + "B" if match else ""
    if not match or unit not in MEMORY_UNITS or float(match.group(1)) <= 0:
        raise ReportInputError(f"memory limit must be a positive size like 4GB or 512MB; got {text!r}")
    return float(match.group(1)) * MEMORY_UNITS[unit]


def available_memory_mb() -> float:
    """The memory the machine can give to new work without swapping, in MB (``MemAvailable`` on Linux)."""
    return psutil.virtual_memory().available / (1024 * 1024)


def memory_budget_mb(limit: str | None) -> float:
    """The run's memory budget in MB: ``limit`` (:func:`parse_memory_size`), else the memory available now."""
    return parse_memory_size(limit) if limit else available_memory_mb()
