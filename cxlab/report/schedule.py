"""The order in which a run starts its notebooks: the longest first.

Notebooks run a few at a time (one per core). Started in page order, a long notebook that comes
late runs on alone at the end while the other cores idle; started longest first, the short ones
fill in around it (the longest-processing-time rule). How long each takes is read from the
latest earlier run on the same data folder (its ``provenance.json`` records every notebook's
seconds); without one, the page order stands. Only the start order changes: pages, links and the
summary keep the page order.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["earlier_notebook_seconds", "longest_first"]


def earlier_notebook_seconds(out: Path, data_folder: str) -> dict[str, float]:
    """Seconds per notebook of the latest earlier run under ``out`` on the same data folder.

    Parameters
    ----------
    out : pathlib.Path
        The reports folder (``<out>/<quarter>/provenance.json``).
    data_folder : str
        The data folder as the provenance records it.

    Returns
    -------
    dict of str to float
        Empty when no earlier run on that folder is found (or its record is unreadable).
    """
    latest: dict = {}
    for path in Path(out).glob("*/provenance.json"):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if record.get("data_folder") == data_folder and record.get("started_at", "") > latest.get("started_at", ""):
            latest = record
    return dict(latest.get("notebook_seconds") or {})


def longest_first(jobs: list, seconds: dict[str, float]) -> list:
    """Jobs sorted by their earlier seconds, longest first; jobs without a time keep their order at the end.

    Examples
    --------
    >>> from types import SimpleNamespace as Job
    >>> [j.name for j in longest_first([Job(name="a"), Job(name="b"), Job(name="c")], {"b": 9.0, "c": 20.0})]
    ['c', 'b', 'a']
    """
    return sorted(jobs, key=lambda job: -seconds.get(job.name, -1.0))
