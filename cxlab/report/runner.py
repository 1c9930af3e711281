"""One quarterly report run: validate, execute the notebooks, render, publish atomically.

Order of work:

1. Inputs are checked before any notebook runs (:mod:`cxlab.report.plan`): the notebooks and
   ``--only`` names, the parameters file, the quarter, the data (hashed, then loaded and
   validated once with :func:`cxlab.io.load`), and that the quarter is not already published
   (unless ``force``). Problems raise :class:`~cxlab.report.errors.ReportInputError`.
2. The validated tables are written once to a private temporary folder (see
   :mod:`cxlab.snapshot`) that the kernels read instead of validating the data again.
   The notebooks run in parallel into a hidden build folder: ``executed/<notebook>.ipynb``
   (kept for reproduction), ``executed/<notebook>.headlines.json`` (its headline figures) and
   ``executed/<notebook>.kernel.log`` (the kernel process's own messages).
3. Each executed notebook becomes ``<notebook>.html`` (no code), their technical detail
   ``appendix.html`` (the technical appendix, the last page), then ``index.html`` (the
   executive summary) and ``provenance.json`` are written.
4. The build folder is renamed to ``<out>/<quarter>`` and ``<out>/index.html`` (list of
   quarters) is rebuilt.

Steps 2 to 4 hold the quarter's lock (:mod:`cxlab.report.lock`). Before publishing, every
input file is hashed again and compared with its hash at the start.
:func:`check` does step 1 and checks that the reports folder is writable and the lock free.

A failed notebook or page keeps the build folder in ``<out>/_failed/`` and raises
:class:`~cxlab.report.errors.ReportRunError`; every other way of ending early (see
:mod:`cxlab.report.errors`) removes the build folder: a signal (:mod:`cxlab.report.interrupt`),
the lock held by another run, an unwritable or full reports folder, a data file changed during
the run. In every case an earlier report of the quarter stays as it was.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd

from cxlab import io, snapshot
from cxlab.report.appendix import APPENDIX_PAGE, APPENDIX_TITLE
from cxlab.report.errors import ReportError, ReportInputError, ReportLockedError, ReportOutputError, ReportRunError
from cxlab.report.execute import NotebookJob, execute_notebooks, worker_count
from cxlab.report.interrupt import RunSignals
from cxlab.report.lock import lock_holder, quarter_lock
from cxlab.report.memory import memory_budget_mb, parse_memory_size
from cxlab.report.params import SET_BY_RUN
from cxlab.report.plan import DEFAULT_ENGINE, RunPlan, check_inputs_unchanged, check_target, plan_run
from cxlab.report.provenance import Provenance, git_commit, package_versions, short_hashes
from cxlab.report.publish import (
    SCRATCH_PREFIX,
    clean_leftover_scratch,
    clean_leftovers,
    keep_failed,
    make_build_dir,
    publish,
)
from cxlab.report.render import render_appendix_page, render_notebook_page
from cxlab.report.schedule import EarlierRun, earlier_run, quickest_order
from cxlab.report.summary import NotebookPage, load_page_headlines, write_quarter_summary, write_quarters_index

__all__ = ["DISK_ERRNOS", "EXECUTED_DIR", "OUTPUT_ERRNOS", "check", "run"]

EXECUTED_DIR = "executed"
OUTPUT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}
DISK_ERRNOS = {errno.EROFS, errno.ENOSPC, errno.EDQUOT}  # a notebook that failed with these failed for want of disk


@contextlib.contextmanager
def _output_errors(plan: RunPlan) -> Iterator[None]:
    """Turn a failed write into the reports folder (read-only, no permission, disk full) into exit code 4."""
    try:
        yield
    except ReportError:
        raise
    except OSError as err:
        if err.errno not in OUTPUT_ERRNOS:
            raise
        earlier = f"; the earlier report in {plan.target} is unchanged" if plan.target.exists() else ""
        raise ReportOutputError(f"cannot write the report into {plan.out}: {err.strerror} "
                                f"({err.filename or 'while writing'}); no report was published for "
                                f"{plan.quarter}{earlier}") from err


def check(quarter: str | None = None, data: str | Path = "data/demo", params: str | Path | None = None,
          out: str | Path = "reports", force: bool = False, only: list[str] | None = None,
          notebooks_dir: str | Path | None = None, as_of=None, by: str | None = None,
          engine: str = DEFAULT_ENGINE, *, workers: int | None = None, memory_limit: str | None = None) -> str:
    """Validate a run without running it: data, quarter, parameters, reports folder and lock.

    Parameters are those of :func:`run`.

    Returns
    -------
    str
        What the run would do (quarter, data files, notebooks, where the report goes).

    Raises
    ------
    ReportInputError
        Bad parameters, data or quarter, or an existing report without ``force``.
    ReportLockedError
        Another run of the quarter holds the lock.
    ReportOutputError
        The reports folder (or its nearest existing parent) is not writable.
    """
    _check_resources(workers, memory_limit)
    plan = plan_run(quarter, data, params, out, force, only, notebooks_dir, as_of, by, engine)
    existing = next(p for p in [plan.out, *plan.out.absolute().parents] if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ReportOutputError(f"cannot write the report into {plan.out}: {existing} is not writable")
    holder = lock_holder(plan.out, plan.quarter) if plan.out.is_dir() else None
    if holder:
        raise ReportLockedError(f"another report run of {plan.quarter} is under way in {plan.out}: {holder}")
    order, earlier, budget = _start_order(plan.selected, plan.out, str(plan.data), workers, memory_limit)
    at_once = worker_count(workers, len(plan.selected))
    memory = (f"at most {memory_limit} ({budget:,.0f} MB)" if memory_limit
              else "what the machine has available when they start")
    start = (f"quickest by the last run on this data folder (its seconds and peak memory per notebook): "
             f"{', '.join(nb.name for nb in order)}" if earlier.seconds
             else "page order (no earlier run on this data folder)")
    return (f"{plan.describe()}\nnotebooks at once: at most {at_once}; their memory together: {memory}\n"
            f"start order: {start}")


def _start_order(jobs: list, out: Path, data_folder: str, workers: int | None,
                 memory_limit: str | None) -> tuple[list, EarlierRun, float]:
    """The order to start the notebooks in, the earlier run it was planned with, and the memory budget in MB."""
    earlier = earlier_run(out, data_folder)
    budget = round(memory_budget_mb(memory_limit))
    order = quickest_order(jobs, earlier.seconds, workers=worker_count(workers, len(jobs)), peak_mb=earlier.peak_mb,
                           memory_budget_mb=budget)
    return order, earlier, budget


def run(quarter: str | None = None, data: str | Path = "data/demo", params: str | Path | None = None,
        out: str | Path = "reports", force: bool = False, only: list[str] | None = None,
        notebooks_dir: str | Path | None = None, *, as_of=None, by: str | None = None, workers: int | None = None,
        memory_limit: str | None = None, progress: bool = True, engine: str = DEFAULT_ENGINE) -> Path:
    """Run the quarterly report: execute every report notebook and publish the HTML pages.

    Parameters
    ----------
    quarter : str, optional
        Report quarter like ``"2026Q3"``; default: the latest complete quarter of the data.
    data : str or pathlib.Path
        Data folder (see :mod:`cxlab.io`).
    params : str or pathlib.Path, optional
        YAML parameters file (see ``params.example.yaml`` and :mod:`cxlab.report.params`).
    out : str or pathlib.Path
        Reports folder; the quarter is published as ``<out>/<quarter>/``.
    force : bool
        Replace an existing report of the quarter.
    only : list of str, optional
        Run only these notebooks (name like ``05_churn_survival`` or prefix like ``05``).
    notebooks_dir : str or pathlib.Path, optional
        Folder of the report notebooks ``0*_*.ipynb``; default: the project's ``notebooks/``.
    as_of : str or pandas.Timestamp, optional
        The data's as-of date, instead of ``meta.json``'s (e.g. the end of a one-off survey's quarter).
    by : str, optional
        A column of the customers table (``"region"``): adds the drill-down page, the quarter's scorecard,
        closed-loop and retention figures per group (:mod:`cxlab.drilldown`), whose differences beyond
        chance the executive summary names.
    workers : int, optional
        Notebooks executed at the same time at most; default: the CPU cores this process may use.
    memory_limit : str, optional
        The memory the notebooks running together may hold, like ``"8GB"``; default: the memory
        the machine has available when they start. A notebook starts beside others only when the
        peaks of all of them in the latest earlier run on the same data fit (:mod:`cxlab.report.memory`).
    progress : bool
        Show progress on stderr.
    engine : {"duckdb", "spark", "pandas"}
        What validates the data folder and writes the validated copy the notebook kernels read.
        ``"duckdb"`` (default) and ``"spark"`` (local mode) run :mod:`cxlab.engine`'s rules as queries,
        out of core, so the run's own process holds no whole table; ``"pandas"`` loads the tables with
        :func:`cxlab.io.load`. The rules, the messages and the copy are the same either way; the
        kernels query the copy with DuckDB.

    Returns
    -------
    pathlib.Path
        ``<out>/<quarter>/index.html``.

    Raises
    ------
    ReportInputError
        Bad parameters, data, quarter, ``by`` attribute or an existing report without ``force`` (nothing ran).
    ReportRunError
        A notebook or page failed; the partial build is kept in ``<out>/_failed/``.
    ReportLockedError
        Another run of the quarter holds the lock.
    ReportOutputError
        The reports folder is read-only, not permitted or full.
    ReportDataChangedError
        A data file changed during the run.
    ReportInterrupted
        SIGINT or SIGTERM (a :class:`KeyboardInterrupt`); nothing was published.
    """
    started = datetime.now().astimezone()
    clock = time.perf_counter()
    with RunSignals() as signals:
        _check_resources(workers, memory_limit)
        plan = plan_run(quarter, data, params, out, force, only, notebooks_dir, as_of, by, engine)
        with _output_errors(plan):
            plan.out.mkdir(parents=True, exist_ok=True)
            with quarter_lock(plan.out, plan.quarter):
                check_target(plan, force)  # another run may have published it meanwhile
                clean_leftovers(plan.out)
                clean_leftover_scratch()
                _build_and_publish(plan, signals, started, clock, workers, memory_limit, progress)
    return plan.target / "index.html"


def _check_resources(workers: int | None, memory_limit: str | None) -> None:
    """Refuse a number of workers below one or a memory limit that is not a size, before anything runs."""
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ReportInputError(f"workers must be a whole number of at least 1; got {workers!r}")
    if memory_limit:
        parse_memory_size(memory_limit)


def _build_and_publish(plan: RunPlan, signals: RunSignals, started: datetime, clock: float,
                       workers: int | None, memory_limit: str | None, progress: bool) -> None:
    quarter, out, data, notebooks_dir = plan.quarter, plan.out, plan.data, plan.notebooks_dir
    provenance = Provenance(
        quarter=quarter, data_as_of=str(plan.cxdata.as_of.date()), data_folder=str(data),
        file_hashes=short_hashes(plan.input_hashes, plan.data),
        parameters={nb.name: {"quarter": quarter,
                              **{k: v for k, v in nb.defaults.items() if k not in SET_BY_RUN},
                              **plan.parameters[nb.name]} for nb in plan.selected},
        versions=package_versions(), git_commit=git_commit(notebooks_dir),
        started_at=started.isoformat(timespec="seconds"), validated_by=plan.engine,
    )
    build = make_build_dir(out, quarter)
    executed = (build / EXECUTED_DIR).resolve()  # kernels run in the notebooks folder
    jobs = [NotebookJob(nb.name, nb.path, executed / f"{nb.name}.ipynb",
                        {**plan.parameters[nb.name], "data_dir": str(data.resolve()), "quarter": quarter,
                         "headlines_path": str(executed / f"{nb.name}.headlines.json")})
            for nb in plan.selected]
    try:
        with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as scratch:
            if isinstance(plan.cxdata, io.CXData):
                validated = snapshot.write_snapshot(plan.cxdata, Path(scratch) / "validated",
                                                    files=io.find_table_parts(plan.data))
            else:  # an engine writes the copy from its own validated views
                validated = plan.cxdata.write_validated_copy(Path(scratch) / "validated")
                plan.cxdata.close()
            plan.cxdata = None  # the kernels read the copy; the run itself needs no table from here on
            env = {"MPLCONFIGDIR": str(Path(scratch) / "matplotlib"), snapshot.ENV_VAR: str(validated)}
            start_order, earlier, provenance.memory_budget_mb = _start_order(jobs, out, provenance.data_folder,
                                                                             workers, memory_limit)
            result = execute_notebooks(start_order, cwd=notebooks_dir, env=env, workers=workers, progress=progress,
                                       signals=signals, expected_peak_mb=earlier.peak_mb,
                                       memory_budget_mb=provenance.memory_budget_mb)
        provenance.notebook_seconds = {k: round(v, 1) for k, v in result.seconds.items()}
        provenance.notebook_peak_mb = {k: round(v) for k, v in result.peak_mb.items()}
        provenance.run_again_alone = list(result.run_again_alone)
        provenance.duration_seconds = round(time.perf_counter() - clock, 1)
        full = next((f for f in result.failures if f.errno in DISK_ERRNOS), None)
        if full:
            raise OSError(full.errno, os.strerror(full.errno), str(build / EXECUTED_DIR))
        if result.failures:
            failed = keep_failed(build, out, quarter, started)
            raise ReportRunError("\n".join(
                [f.describe() for f in result.failures]
                + [f"executed notebooks kept in {failed}", f"no report was published for {quarter}"
                   + (f"; the earlier report in {plan.target} is unchanged" if plan.target.exists() else "")]))
        _render_all(build, jobs, provenance, plan.quarter_end, notebooks_dir, out, started)
        check_inputs_unchanged(plan)
        with signals.deferred(check_after=False):  # once the renames have begun, the run completes
            publish(build, plan.target)
            write_quarters_index(out)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise


def _render_all(build: Path, jobs: list[NotebookJob], provenance: Provenance, quarter_end: pd.Timestamp,
                notebooks_dir: Path, out: Path, started: datetime) -> None:
    quarter = provenance.quarter
    nav = [("All quarters", "../index.html"), ("Executive summary", "index.html")]
    pages, appendix_parts = [], []
    hrefs = [(job.name, f"{job.name}.html") for job in jobs] + [(APPENDIX_TITLE, APPENDIX_PAGE)]
    try:
        for position, job in enumerate(jobs):
            neighbours = tuple((f"{'Previous' if step < 0 else 'Next'}: {hrefs[position + step][0]}",
                                hrefs[position + step][1]) if 0 <= position + step else ("", "")
                               for step in (-1, 1))
            headlines = load_page_headlines(Path(job.parameters["headlines_path"]))
            title, part = render_notebook_page(job.output, build / f"{job.name}.html", name=job.name,
                                               provenance=provenance, nav=nav, resources_dir=notebooks_dir,
                                               neighbours=neighbours, headlines=headlines)
            appendix_parts.append(part)
            pages.append(NotebookPage(job.name, title, f"{job.name}.html", headlines))
        render_appendix_page(build, appendix_parts, provenance=provenance, nav=nav,
                             previous=(f"Previous: {jobs[-1].name}", f"{jobs[-1].name}.html") if jobs else ("", ""))
        pages.append(NotebookPage("appendix", APPENDIX_TITLE, APPENDIX_PAGE, {}))
        write_quarter_summary(build, quarter=quarter, quarter_end=str(quarter_end.date()), pages=pages,
                              provenance=provenance)
        provenance.write(build)
    except OSError as err:
        if err.errno in OUTPUT_ERRNOS:
            raise  # the reports folder is full or read-only: nothing to keep there
        raise _render_failure(err, build, out, quarter, started) from err
    except Exception as err:  # nbconvert, Jinja and file errors alike: keep the build for debugging
        raise _render_failure(err, build, out, quarter, started) from err


def _render_failure(err: Exception, build: Path, out: Path, quarter: str, started: datetime) -> ReportRunError:
    """Keep the build of a page that did not render in ``<out>/_failed/`` and say so."""
    failed = keep_failed(build, out, quarter, started)
    return ReportRunError(f"rendering the report failed ({type(err).__name__}: {err}); executed notebooks "
                          f"kept in {failed}; no report was published for {quarter}")
