"""The order in which a run starts its notebooks: the one that ends soonest, by an earlier run's times.

Notebooks run a few at a time (one per core): each worker that comes free starts the next
notebook of the order. Started in page order, a long notebook that comes late runs on alone at
the end while the other cores idle; started longest first, the short ones fill in around it (the
longest-processing-time rule). Longest first can still leave one short notebook to run alone at
the end (at 1M customers 10 s of 80), so of all orders of a few notebooks the run starts the one
whose schedule ends first (:func:`quickest_order`). How long each takes is read from the latest
earlier run on the same data folder (its ``provenance.json`` records every notebook's seconds);
without one, the page order stands. Only the start order changes: pages, links and the summary
keep the page order.
"""

from __future__ import annotations

import json
from itertools import permutations
from pathlib import Path

__all__ = ["MAX_SEARCHED", "earlier_notebook_seconds", "finish_time", "longest_first", "quickest_order"]

MAX_SEARCHED = 8  # notebooks whose orders are all tried (8! = 40,320 schedules, a fraction of a second)


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


def finish_time(seconds: list[float], workers: int) -> float:
    """When the last of the notebooks ends if each worker that comes free starts the next one.

    Examples
    --------
    >>> finish_time([3, 3, 2, 2, 2], workers=2)  # longest first: 3 | 3, then 2 | 2, then one 2 alone
    7.0
    >>> finish_time([3, 2, 2, 3, 2], workers=2)  # 3 + 3 on one worker, 2 + 2 + 2 on the other
    6.0
    """
    free = [0.0] * workers
    for duration in seconds:
        first_free = free.index(min(free))
        free[first_free] += duration
    return max(free)


def quickest_order(jobs: list, seconds: dict[str, float], *, workers: int) -> list:
    """The start order whose schedule on ``workers`` workers ends soonest by the earlier ``seconds``.

    Jobs with an earlier time come first: longest first, unless another order of them ends
    strictly sooner (every order is tried for up to :data:`MAX_SEARCHED` of them; beyond, longest
    first). Jobs without a time follow in their order.

    Parameters
    ----------
    jobs : list
        Anything with a ``name``.
    seconds : dict of str to float
        Earlier seconds per job name (:func:`earlier_notebook_seconds`).
    workers : int
        Jobs run at the same time.

    Returns
    -------
    list
        The jobs in the order to start them.

    Examples
    --------
    >>> from types import SimpleNamespace as Job
    >>> jobs = [Job(name=n) for n in "abcdef"]
    >>> times = {"a": 3, "b": 3, "c": 2, "d": 2, "e": 2}
    >>> [j.name for j in quickest_order(jobs, times, workers=2)]
    ['a', 'c', 'd', 'b', 'e', 'f']
    """
    ordered = longest_first(jobs, seconds)
    timed = [job for job in ordered if job.name in seconds]
    if len(timed) > MAX_SEARCHED:
        return ordered
    best, best_finish = timed, finish_time([seconds[job.name] for job in timed], workers)
    for order in permutations(timed):  # from longest first on: of orders that end together, the earliest found
        finish = finish_time([seconds[job.name] for job in order], workers)
        if finish < best_finish - 1e-9:
            best, best_finish = list(order), finish
    return [*best, *ordered[len(timed):]]
