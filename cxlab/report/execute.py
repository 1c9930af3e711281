"""Execute report notebooks with papermill, in parallel, with a progress display.

Each notebook runs in its own Jupyter kernel (a separate process in its own process group),
so a thread per notebook is enough to use the machine's cores. Failures are read from the
exceptions papermill raises (never from output metadata). The main thread starts the notebooks
in their order, each once a worker is free and, given a memory budget, once the earlier peaks
of those running and its own fit in it; otherwise it only waits, polling the run's
:class:`~cxlab.report.interrupt.RunSignals`. When the run is stopped (a signal, or any exception
while waiting) the kernels' process groups are killed, the worker threads are given a few
seconds to finish, and the interrupt is raised again so the caller can remove its build folder.

Each kernel's peak private memory (its anonymous resident pages, read every :data:`GAUGE_SECONDS`
and once more just before it is shut down; the copy's mapped files are page cache the kernels
share and the system can drop, so they are left out) is recorded, so that the next run can plan
with it. A kernel that dies while other
notebooks run beside it was most likely killed by the system for want of memory: once the others
have ended, its notebook is run once more with nothing beside it.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import DeadKernelError

from cxlab.report.interrupt import RunSignals
from cxlab.report.progress import NotebookProgress
from cxlab.report.schedule import first_fitting

__all__ = ["BLAS_THREAD_VARIABLES", "KERNEL_DIED", "KERNEL_DIED_ALONE", "KERNEL_NAME", "KERNEL_START_TIMEOUT_SECONDS",
           "GAUGE_SECONDS", "POLL_SECONDS", "STOP_GRACE_SECONDS", "ExecutionResult", "NotebookFailure", "NotebookJob",
           "execute_notebooks", "worker_count"]

KERNEL_NAME = "python3"
KERNEL_START_TIMEOUT_SECONDS = 120
POLL_SECONDS = 0.2
GAUGE_SECONDS = 0.25  # how often the kernels' memory is read
STOP_GRACE_SECONDS = 3.0
_ERRNO = re.compile(r"^\[Errno (\d+)\]")
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
KERNEL_DIED = ("the kernel died: it was killed by a signal, probably by the out-of-memory killer "
               "(see `dmesg` or the system log); try fewer notebooks at once or a machine with more memory")
KERNEL_DIED_ALONE = ("the kernel died, also when the notebook was run again with no other notebook beside it: "
                     "it was killed by a signal, probably by the out-of-memory killer (see `dmesg` or the "
                     "system log); the notebook needs a machine with more memory")


@dataclass(frozen=True)
class NotebookJob:
    """One notebook to execute.

    Attributes
    ----------
    name : str
        Notebook name (file stem), shown in the progress bar and in messages.
    source : pathlib.Path
        The report notebook.
    output : pathlib.Path
        Where papermill writes the executed notebook (also after a failure: it saves as it goes).
    parameters : dict
        Values injected into the notebook.
    """

    name: str
    source: Path
    output: Path
    parameters: dict


@dataclass(frozen=True)
class NotebookFailure:
    """Why a notebook failed.

    Attributes
    ----------
    name : str
        Notebook name.
    error : str
        Exception name and message.
    cell_index : int or None
        Index (from 0) of the failing cell in the source notebook, when a cell raised.
    cell_first_line : str
        First non-blank line of that cell.
    execution_count : int or None
        The cell's ``In [n]`` number in the executed notebook.
    errno : int or None
        The error number when the run itself could not write or read a file (e.g. ``ENOSPC``).
    """

    name: str
    error: str
    cell_index: int | None = None
    cell_first_line: str = ""
    execution_count: int | None = None
    errno: int | None = None

    def describe(self) -> str:
        """One line naming the notebook, the cell and the error."""
        where = ""
        if self.cell_first_line:
            number = "" if self.cell_index is None else f" {self.cell_index} (counting from 0)"
            where = f" in cell{number}, In [{self.execution_count}], {self.cell_first_line!r}"
        return f"notebook {self.name} failed{where}: {self.error}"


@dataclass(frozen=True)
class ExecutionResult:
    """Outcome of executing a set of notebooks.

    Attributes
    ----------
    seconds : dict
        Notebook name to the seconds of its (last) execution.
    failures : list of NotebookFailure
        One per failed notebook, in job order.
    peak_mb : dict
        Notebook name to its kernel's peak private (anonymous resident) memory in MB, where the
        system reports it (Linux); sampled every :data:`GAUGE_SECONDS` and when the kernel is shut down.
    run_again_alone : list of str
        Notebooks whose kernel died beside other notebooks and that were run once more alone.
    """

    seconds: dict
    failures: list
    peak_mb: dict = field(default_factory=dict)
    run_again_alone: list = field(default_factory=list)


class _KernelRegistry:
    """The process groups of the kernels a run has started, so that a stopped run can kill them.

    Writers (worker threads) take a lock and replace :attr:`groups` with a new frozenset;
    :meth:`kill_all` only reads that attribute, so a signal handler may call it.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self.groups: frozenset[int] = frozenset()
        self.stopping = False

    def add(self, process_group: int) -> None:
        with self._lock:
            self.groups = self.groups | {process_group}
        if self.stopping:  # stopped while this kernel started: it must not survive
            _kill_group(process_group)

    def discard(self, process_group: int) -> None:
        with self._lock:
            self.groups = self.groups - {process_group}

    def kill_all(self) -> None:
        """Mark the run as stopping and SIGKILL every registered process group (takes no lock)."""
        self.stopping = True
        for group in self.groups:
            _kill_group(group)


def _kill_group(group: int) -> None:
    try:
        os.killpg(group, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # already gone (its number may even have been reused by someone else's group)


class _RunKernelManager(AsyncKernelManager):
    """Kernel manager that adds environment variables, logs the kernel process's own output to a
    file (its start-up warnings would clutter the terminal) and registers each kernel it starts."""

    registry: _KernelRegistry
    extra_env: dict
    log_path: Path
    kernel_cwd: Path
    job_name: str
    gauge: _MemoryGauge

    async def start_kernel(self, **kw):
        kw["env"] = {**os.environ, **kw.get("env", {}), **self.extra_env}
        kw["cwd"] = str(self.kernel_cwd)
        with open(self.log_path, "ab") as log:
            await super().start_kernel(stdout=log, stderr=log, **kw)
        self._process_group = getattr(self.provisioner, "pgid", None)
        if self._process_group:
            self.registry.add(self._process_group)
        self.gauge.watch(self.job_name, getattr(self.provisioner, "pid", None))

    async def shutdown_kernel(self, now: bool = False, restart: bool = False) -> None:
        self.gauge.release(self.job_name)  # a last reading while the kernel still holds its memory
        await super().shutdown_kernel(now=now, restart=restart)

    async def cleanup_resources(self, restart: bool = False) -> None:
        # The kernel has exited: forget its process group, whose number may be reused.
        if getattr(self, "_process_group", None):
            self.registry.discard(self._process_group)
        self.gauge.release(self.job_name)
        await super().cleanup_resources(restart=restart)


def _private_memory_mb(pid: int) -> float | None:
    """A process's anonymous resident memory in MB (Linux ``RssAnon``); None where it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            line = next(line for line in status if line.startswith("RssAnon:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration, ValueError, IndexError):
        return None


class _MemoryGauge:
    """The peak private memory of each running kernel, read every :data:`GAUGE_SECONDS` by a daemon thread.

    Kernel managers :meth:`watch` a kernel when it has started and :meth:`release` it when it is shut
    down or gone. The thread takes no lock: it reads a snapshot of :attr:`kernels`, which the managers
    replace rather than change.
    """

    def __init__(self):
        self.kernels: dict[str, int] = {}  # notebook name to its kernel's process id
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cxlab-memory-gauge", daemon=True)
        self._thread.start()

    def _read(self, name: str, pid: int) -> None:
        megabytes = _private_memory_mb(pid)
        if megabytes is not None and megabytes > self.peaks.get(name, 0.0):
            self.peaks[name] = megabytes

    def _run(self) -> None:
        while not self._stop.wait(GAUGE_SECONDS):
            for name, pid in self.kernels.items():
                self._read(name, pid)

    def watch(self, name: str, pid: int | None) -> None:
        if pid:
            self.kernels = {**self.kernels, name: pid}

    def release(self, name: str) -> None:
        if name in self.kernels:
            self._read(name, self.kernels[name])
            self.kernels = {k: v for k, v in self.kernels.items() if k != name}

    def close(self) -> None:
        self._stop.set()


def _usable_cores() -> int:
    """CPU cores this process may run on (its affinity where the system reports it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_count(workers: int | None, n_jobs: int) -> int:
    """Notebooks run at the same time: ``workers``, by default the CPU cores this process may use; at most
    one per notebook, at least one.

    Examples
    --------
    >>> worker_count(4, 3), worker_count(2, 7), worker_count(0, 0)
    (3, 2, 1)
    """
    return max(1, min(workers or _usable_cores(), n_jobs))


def _thread_limits(workers: int) -> dict[str, str]:
    """Each kernel's share of the cores for the threads of its numerical libraries, where not set already.

    An idle OpenBLAS thread waits by spinning: with two kernels on two cores, the feedback-loop
    page's kernel spent about a tenth of its CPU time in spinning BLAS threads, time the kernel
    beside it needed.
    """
    share = str(max(1, _usable_cores() // workers))
    return {name: share for name in BLAS_THREAD_VARIABLES if name not in os.environ}


def _first_line(source: str) -> str:
    return next((line.strip() for line in source.splitlines() if line.strip()), "")


def _execute_one(job: NotebookJob, *, cwd: Path, registry: _KernelRegistry, env: dict, gauge: _MemoryGauge) -> None:
    """Run one notebook with papermill, its kernel watched by ``gauge``; raises what papermill raises."""
    job.output.parent.mkdir(parents=True, exist_ok=True)
    kernel_manager_class = type("ReportKernelManager", (_RunKernelManager,), {
        "registry": registry, "extra_env": env, "log_path": job.output.with_suffix(".kernel.log"),
        "kernel_cwd": cwd, "job_name": job.name, "gauge": gauge})
    # The kernel starts in `cwd`; papermill's own `cwd=` would chdir the whole process, which is
    # unsafe with several notebooks running in threads.
    papermill.execute_notebook(
        str(job.source), str(job.output), parameters=job.parameters, kernel_name=KERNEL_NAME,
        progress_bar=False, start_timeout=KERNEL_START_TIMEOUT_SECONDS, kernel_manager_class=kernel_manager_class,
    )


def _failure(job: NotebookJob, err: Exception) -> NotebookFailure:
    if isinstance(err, DeadKernelError) or "Kernel died" in str(err):
        return NotebookFailure(job.name, KERNEL_DIED)
    if isinstance(err, OSError):
        return NotebookFailure(job.name, f"{type(err).__name__}: {err}", errno=err.errno)
    if not isinstance(err, papermill.PapermillExecutionError):
        return NotebookFailure(job.name, f"{type(err).__name__}: {err}")
    # papermill counts cells of the executed notebook (with its injected-parameters cell); the
    # author needs the cell of the source notebook
    source_cells = nbformat.read(job.source, as_version=4).cells
    index = next((i for i, cell in enumerate(source_cells)
                  if cell.cell_type == "code" and cell.source == err.source), None)
    raised_errno = _ERRNO.match(err.evalue or "")  # e.g. the kernel writing its figures to a full disk
    return NotebookFailure(job.name, f"{err.ename}: {err.evalue}", index, _first_line(err.source), err.exec_count,
                           int(raised_errno.group(1)) if raised_errno else None)


def execute_notebooks(jobs: list[NotebookJob], *, cwd: Path, env: dict | None = None,
                      workers: int | None = None, progress: bool = True, signals: RunSignals | None = None,
                      expected_peak_mb: dict | None = None, memory_budget_mb: float | None = None) -> ExecutionResult:
    """Execute notebooks in parallel; every notebook runs even when another fails.

    Parameters
    ----------
    jobs : list of NotebookJob
        The notebooks, their parameters and output paths, in the order to start them.
    cwd : pathlib.Path
        Working directory of the kernels (the notebooks' folder, so relative paths work).
    env : dict, optional
        Extra environment variables for the kernels (e.g. ``MPLCONFIGDIR``).
    workers : int, optional
        Notebooks run at the same time; default: the CPU cores this process may use. Each kernel's
        numerical libraries (OpenBLAS, OpenMP, MKL) get ``cores // workers`` threads (at least one),
        unless :data:`BLAS_THREAD_VARIABLES` are set in the environment.
    progress : bool
        Show progress on stderr naming the notebooks running (see :mod:`cxlab.report.progress`).
    signals : RunSignals, optional
        The run's signal handling; while the notebooks run, a signal kills the kernels and
        ends the wait.
    expected_peak_mb : dict, optional
        Notebook name to the peak memory its kernel is expected to reach (an earlier run's
        :attr:`ExecutionResult.peak_mb`); a notebook without one counts as 0.
    memory_budget_mb : float, optional
        The memory the kernels running together may hold by ``expected_peak_mb``: a free slot starts
        the first waiting notebook that fits beside those running
        (:func:`cxlab.report.schedule.first_fitting`); alone, a notebook always starts.

    Returns
    -------
    ExecutionResult
        Seconds and peak memory per notebook, one :class:`NotebookFailure` per failed notebook (in
        job order), and the notebooks run again alone after their kernel died beside others.

    Raises
    ------
    ReportInterrupted, BaseException
        A signal, or anything raised while waiting, is raised again after the running kernels
        were killed and the worker threads finished (or :data:`STOP_GRACE_SECONDS` passed).
    """
    signals = signals or RunSignals()
    registry = _KernelRegistry()
    workers = worker_count(workers, len(jobs))
    expected_peak_mb = expected_peak_mb or {}
    kernel_env = {**_thread_limits(workers), **(env or {})}
    running: set[str] = set()
    lock = threading.Lock()  # taken by worker threads only, never by the main thread
    display = NotebookProgress(len(jobs), enabled=progress)
    seconds: dict[str, float] = {}
    gauge = _MemoryGauge()

    def work(job: NotebookJob) -> NotebookFailure | None:
        if registry.stopping:
            return None
        with lock:
            running.add(job.name)
            display.show(len(seconds), list(running))
        started = time.perf_counter()
        try:
            _execute_one(job, cwd=cwd, registry=registry, env=kernel_env, gauge=gauge)
            return None
        except Exception as err:  # any failure of one notebook is reported, the others go on
            return _failure(job, err)
        finally:
            with lock:
                seconds[job.name] = time.perf_counter() - started
                running.discard(job.name)
                if not registry.stopping:
                    display.show(len(seconds), list(running))

    signals.kill_children = registry.kill_all  # kernels that end normally leave the registry
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cxlab-report")
    submitted: list = []  # every future, for a stopped run to wait on
    failures: dict[str, NotebookFailure] = {}
    beside: set[str] = set()  # notebooks that ran while another one did

    def run(batch: list[NotebookJob], slots: int) -> None:
        """Start the batch as slots free up, each time the first waiting notebook that fits; wait for it all."""
        waiting, pending = list(batch), {}
        while (waiting or pending) and signals.signum is None:
            while waiting and len(pending) < slots:
                chosen = first_fitting([expected_peak_mb.get(job.name, 0.0) for job in waiting],
                                       [expected_peak_mb.get(job.name, 0.0) for job in pending.values()],
                                       memory_budget_mb)
                if chosen is None:
                    break
                job = waiting.pop(chosen)
                if pending:
                    beside.update([job.name, *(other.name for other in pending.values())])
                future = pool.submit(work, job)
                submitted.append(future)
                pending[future] = job
            done, _ = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                job = pending.pop(future)
                failure = future.result()
                if failure is None:
                    failures.pop(job.name, None)
                else:
                    failures[job.name] = failure

    try:
        with signals.deferred():
            run(jobs, workers)
            died_beside = [job for job in jobs if job.name in beside and job.name in failures
                           and failures[job.name].error == KERNEL_DIED]
            for job in died_beside:
                seconds.pop(job.name, None)
            run(died_beside, 1)
            for job in died_beside:
                if failures.get(job.name) is not None and failures[job.name].error == KERNEL_DIED:
                    failures[job.name] = replace(failures[job.name], error=KERNEL_DIED_ALONE)
    except BaseException:
        registry.kill_all()
        pool.shutdown(wait=False, cancel_futures=True)
        _wait_for_workers(submitted, registry)
        raise
    finally:
        display.close()
        gauge.close()
    pool.shutdown(wait=True)
    return ExecutionResult(seconds, [failures[job.name] for job in jobs if job.name in failures],
                           {name: round(mb, 1) for name, mb in gauge.peaks.items()},
                           [job.name for job in died_beside])


def _wait_for_workers(futures: list, registry: _KernelRegistry) -> None:
    """Give the worker threads of a stopped run :data:`STOP_GRACE_SECONDS` to notice their dead kernels."""
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while not all(f.done() for f in futures) and time.monotonic() < deadline:
        registry.kill_all()  # a kernel that was starting when the run stopped
        wait(futures, timeout=POLL_SECONDS)
