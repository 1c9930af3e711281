"""The order in which a run starts its notebooks: the one that ends soonest, by an earlier run's times.

Notebooks run a few at a time (one per core): each worker that comes free starts the next
notebook of the order. Started in page order, a long notebook that comes late runs on alone at
the end while the other cores idle; started longest first, the short ones fill in around it (the
longest-processing-time rule). Longest first can still leave one short notebook to run alone at
the end (at 1M customers 10 s of 80), so of all orders of a few notebooks the run starts the one
whose schedule ends first (:func:`quickest_order`). How long each takes, and how much memory its
kernel held at its peak, is read from the latest earlier run on the same data folder (its
``provenance.json`` records both per notebook); without one, the page order stands. Only the
start order changes: pages, links and the summary keep the page order.

With a memory budget, a free worker starts the first notebook of the order whose earlier peak
fits in the budget beside those of the notebooks running (:func:`first_fitting`; one always
starts when nothing else runs): a large notebook waits for memory while smaller ones after it
go ahead. The order is the quickest under that rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import permutations
from pathlib import Path

__all__ = ["MAX_SEARCHED", "EarlierRun", "earlier_run", "finish_time", "first_fitting", "fits_beside",
           "longest_first", "quickest_order"]

MAX_SEARCHED = 8  # notebooks whose orders are all tried (8! = 40,320 schedules, a fraction of a second)


@dataclass(frozen=True)
class EarlierRun:
    """What the latest earlier run on the same data recorded per notebook.

    Attributes
    ----------
    seconds : dict of str to float
        Notebook name to its seconds.
    peak_mb : dict of str to float
        Notebook name to its kernel's peak memory (resident set, MB), where it was measured.
    """

    seconds: dict = field(default_factory=dict)
    peak_mb: dict = field(default_factory=dict)


def earlier_run(out: Path, data_folder: str) -> EarlierRun:
    """Seconds and peak memory per notebook of the latest earlier run under ``out`` on the same data folder.

    Parameters
    ----------
    out : pathlib.Path
        The reports folder (``<out>/<quarter>/provenance.json``).
    data_folder : str
        The data folder as the provenance records it.

    Returns
    -------
    EarlierRun
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
    return EarlierRun(dict(latest.get("notebook_seconds") or {}), dict(latest.get("notebook_peak_mb") or {}))


def longest_first(jobs: list, seconds: dict[str, float]) -> list:
    """Jobs sorted by their earlier seconds, longest first; jobs without a time keep their order at the end.

    Examples
    --------
    >>> from types import SimpleNamespace as Job
    >>> [j.name for j in longest_first([Job(name="a"), Job(name="b"), Job(name="c")], {"b": 9.0, "c": 20.0})]
    ['c', 'b', 'a']
    """
    return sorted(jobs, key=lambda job: -seconds.get(job.name, -1.0))


def fits_beside(peak_mb: float, running_mb: list[float], memory_budget_mb: float | None) -> bool:
    """Whether a notebook whose earlier peak was ``peak_mb`` may start beside notebooks whose peaks were ``running_mb``.

    It may when nothing runs, when there is no budget, or when the peaks together stay within it.

    Examples
    --------
    >>> fits_beside(3000, [], 2000), fits_beside(1500, [2000], 4000), fits_beside(2500, [2000], 4000)
    (True, True, False)
    """
    return not running_mb or memory_budget_mb is None or sum(running_mb) + peak_mb <= memory_budget_mb


def first_fitting(waiting_mb: list[float], running_mb: list[float], memory_budget_mb: float | None) -> int | None:
    """Which waiting notebook to start: the first, in order, that fits beside those running (:func:`fits_beside`).

    Parameters
    ----------
    waiting_mb : list of float
        The earlier peaks of the notebooks waiting, in the start order.
    running_mb : list of float
        The earlier peaks of the notebooks running.
    memory_budget_mb : float or None
        The memory the notebooks running together may hold.

    Returns
    -------
    int or None
        Its position in ``waiting_mb``; None when none fits (never when nothing runs).

    Examples
    --------
    >>> first_fitting([3000, 1000], [2000], 4000), first_fitting([3000, 2500], [2000], 4000)
    (1, None)
    """
    return next((i for i, peak in enumerate(waiting_mb) if fits_beside(peak, running_mb, memory_budget_mb)), None)


def finish_time(seconds: list[float], workers: int, *, peak_mb: list[float] | None = None,
                memory_budget_mb: float | None = None) -> float:
    """When the last of the notebooks ends if each free worker starts the first of them, in order, that fits.

    Parameters
    ----------
    seconds : list of float
        Each notebook's seconds, in the start order.
    workers : int
        Notebooks run at the same time at most.
    peak_mb : list of float, optional
        Each notebook's peak memory; with ``memory_budget_mb`` a notebook waits until it fits beside
        those running, and the ones after it that fit start before it (:func:`first_fitting`).
    memory_budget_mb : float, optional
        The memory the notebooks running together may hold.

    Examples
    --------
    >>> finish_time([3, 3, 2, 2, 2], workers=2)  # longest first: 3 | 3, then 2 | 2, then one 2 alone
    7.0
    >>> finish_time([3, 2, 2, 3, 2], workers=2)  # 3 + 3 on one worker, 2 + 2 + 2 on the other
    6.0
    >>> finish_time([3, 3, 2], workers=2, peak_mb=[3, 3, 1], memory_budget_mb=4)  # 3 | 2, then the second 3
    6.0
    """
    waiting = list(zip(seconds, list(peak_mb) if peak_mb is not None else [0.0] * len(seconds), strict=True))
    now, running = 0.0, []  # (end, peak) of the notebooks running
    while waiting:
        chosen = (first_fitting([p for _, p in waiting], [p for _, p in running], memory_budget_mb)
                  if len(running) < workers else None)
        if chosen is None:  # no worker free, or no waiting notebook fits: until the next one ends
            now = min(end for end, _ in running)
            running = [(end, p) for end, p in running if end > now]
            continue
        duration, peak = waiting.pop(chosen)
        running.append((now + duration, peak))
    return max((end for end, _ in running), default=0.0)


def quickest_order(jobs: list, seconds: dict[str, float], *, workers: int, peak_mb: dict[str, float] | None = None,
                   memory_budget_mb: float | None = None) -> list:
    """The start order whose schedule on ``workers`` workers ends soonest by the earlier ``seconds``.

    Jobs with an earlier time come first: longest first, unless another order of them ends
    strictly sooner (every order is tried for up to :data:`MAX_SEARCHED` of them; beyond, longest
    first). Jobs without a time follow in their order.

    Parameters
    ----------
    jobs : list
        Anything with a ``name``.
    seconds : dict of str to float
        Earlier seconds per job name (:attr:`EarlierRun.seconds`).
    workers : int
        Jobs run at the same time.
    peak_mb : dict of str to float, optional
        Earlier peak memory per job name (:attr:`EarlierRun.peak_mb`); a job without one counts as 0.
    memory_budget_mb : float, optional
        The memory jobs running together may hold (see :func:`finish_time`).

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
    peak_mb = peak_mb or {}
    ordered = longest_first(jobs, seconds)
    timed = [job for job in ordered if job.name in seconds]
    if len(timed) > MAX_SEARCHED:
        return ordered

    def finish(order) -> float:
        return finish_time([seconds[job.name] for job in order], workers,
                           peak_mb=[peak_mb.get(job.name, 0.0) for job in order], memory_budget_mb=memory_budget_mb)

    best, best_finish = timed, finish(timed)
    for order in permutations(timed):  # from longest first on: of orders that end together, the earliest found
        candidate = finish(order)
        if candidate < best_finish - 1e-9:
            best, best_finish = list(order), candidate
    return [*best, *ordered[len(timed):]]
