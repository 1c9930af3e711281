"""Clocks and memory gauges of one benchmark step.

Wall time is ``time.perf_counter``; CPU time is user + system time of the process and of
its finished child processes (``resource.getrusage``), which is less sensitive than wall time
to other work on a shared machine. Memory is the resident set size (RSS): ``ru_maxrss`` is the
process's own peak (exact, read by the kernel), and :class:`TreeSampler` samples the summed
RSS of the process and all its descendants (needed for the report, whose notebooks run in
parallel kernels; sampled every ``interval_seconds``, so a peak shorter than that can be missed).
On Linux the kernel's high-water mark of the process (``VmHWM``) can be reset before a step
(:func:`reset_peak_rss`), so a step's own peak excludes the memory its setup used and freed.
"""

from __future__ import annotations

import os
import re
import resource
import sys
import threading
import time

import psutil

MB = 1024 * 1024


def rss_mb() -> float:
    """Current RSS of this process in MB."""
    return psutil.Process().memory_info().rss / MB


def peak_rss_mb() -> float:
    """Peak RSS of this process so far in MB (``ru_maxrss``: KB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MB if sys.platform == "darwin" else peak / 1024


def reset_peak_rss() -> bool:
    """Reset this process's peak-RSS mark to its current RSS (Linux ``/proc/self/clear_refs``).

    Returns
    -------
    bool
        False where the reset is not available (then peaks include the setup).
    """
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def peak_since_reset_mb() -> float:
    """Peak RSS of this process since the last :func:`reset_peak_rss` (``VmHWM``), else since start."""
    try:
        with open("/proc/self/status") as handle:
            return int(re.search(r"VmHWM:\s+(\d+)", handle.read()).group(1)) / 1024
    except (OSError, AttributeError):
        return peak_rss_mb()


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its waited-for children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def load_average() -> tuple[float, float, float]:
    """1, 5 and 15 minute load averages of the machine."""
    return tuple(round(x, 2) for x in os.getloadavg())


def process_memory_mb(process: psutil.Process, *, descendants_only: bool = False) -> list[dict]:
    """RSS, PSS and file-backed RSS of a process (unless ``descendants_only``) and each descendant in MB
    (vanished processes skipped).

    RSS counts a page shared by several processes (a file they all map) once in each of them;
    PSS divides it between them, so the summed PSS is the memory the processes hold together.
    ``file_mb`` is the part of RSS that maps files (``shared``: pages the system can drop and reread).
    """
    out = []
    for proc in [*([] if descendants_only else [process]), *process.children(recursive=True)]:
        try:
            memory = proc.memory_full_info()
            name = " ".join(os.path.basename(part) for part in proc.cmdline()[:3])  # no machine paths
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        out.append({"pid": proc.pid, "command": name, "rss_mb": round(memory.rss / MB),
                    "pss_mb": round(memory.pss / MB), "file_mb": round(memory.shared / MB)})
    return out


class TreeSampler:
    """Background thread recording the peak summed RSS and PSS of this process and its descendants,
    and each process's memory at the moment the summed PSS peaked.

    Examples
    --------
    >>> with TreeSampler() as sampler:
    ...     data = bytearray(10 * MB)
    >>> sampler.peak_mb > 0 and sampler.peak_pss_mb > 0
    True
    """

    def __init__(self, interval_seconds: float = 0.2, *, descendants_only: bool = False):
        self.interval_seconds = interval_seconds
        self.descendants_only = descendants_only  # True: the processes this one starts, not itself
        self.peak_mb = 0.0
        self.peak_private_mb = 0.0  # summed RSS less its file-backed part: what no page cache can give back
        self.peak_pss_mb = 0.0
        self.peak_pss_at = None  # when the summed PSS peaked (seconds since the epoch)
        self.peak_pss_processes: list[dict] = []  # each process's memory at that moment
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._process = psutil.Process()

    def _sample(self) -> None:
        processes = process_memory_mb(self._process, descendants_only=self.descendants_only)
        rss, pss = sum(p["rss_mb"] for p in processes), sum(p["pss_mb"] for p in processes)
        self.peak_mb = max(self.peak_mb, rss)
        self.peak_private_mb = max(self.peak_private_mb, sum(p["rss_mb"] - p["file_mb"] for p in processes))
        if pss > self.peak_pss_mb:
            self.peak_pss_mb, self.peak_pss_at, self.peak_pss_processes = pss, time.time(), processes

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval_seconds)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()


class Clock:
    """Wall and CPU seconds of a ``with`` block.

    Examples
    --------
    >>> with Clock() as clock:
    ...     _ = sum(range(1000))
    >>> clock.wall_seconds >= 0 and clock.cpu_seconds >= 0
    True
    """

    def __enter__(self) -> Clock:
        self._wall, self._cpu = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc) -> None:
        self.wall_seconds = time.perf_counter() - self._wall
        self.cpu_seconds = cpu_seconds() - self._cpu
