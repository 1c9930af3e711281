"""One quarterly report run: validate, execute the notebooks, render, publish atomically.

Order of work:

1. Inputs are checked before any notebook runs: the notebooks and ``--only`` names, the
   parameters file (names and types), the quarter label, the data (loaded and validated
   once with :func:`cxlab.io.load`), that the quarter is complete in the data, and that the
   quarter is not already published (unless ``force``). Problems raise
   :class:`~cxlab.report.errors.ReportInputError`.
2. The validated tables are written once to a private temporary folder (see
   :mod:`cxlab.snapshot`) that the kernels read instead of validating the data again.
   The notebooks run in parallel into a hidden build folder: ``executed/<notebook>.ipynb``
   (kept for reproduction), ``executed/<notebook>.headlines.json`` (its headline figures) and
   ``executed/<notebook>.kernel.log`` (the kernel process's own messages).
3. Each executed notebook becomes ``<notebook>.html`` (no code), then ``index.html`` (the
   executive summary) and ``provenance.json`` are written.
4. The build folder is renamed to ``<out>/<quarter>`` and ``<out>/index.html`` (list of
   quarters) is rebuilt.

A failed notebook or page keeps the build folder in ``<out>/_failed/`` and raises
:class:`~cxlab.report.errors.ReportRunError`; an interrupt (Ctrl-C, SIGTERM) removes the build
folder and is raised again. Either way an earlier report of the quarter stays as it was.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import pandas as pd

from cxlab import io, snapshot
from cxlab.periods import analysis_as_of
from cxlab.report.errors import ReportInputError, ReportRunError
from cxlab.report.execute import NotebookJob, execute_notebooks
from cxlab.report.params import (
    SET_BY_RUN,
    check_quarter_label,
    discover_notebooks,
    read_params_file,
    resolve_parameters,
    select_notebooks,
)
from cxlab.report.provenance import Provenance, file_hashes, git_commit, package_versions
from cxlab.report.publish import clean_leftovers, keep_failed, make_build_dir, publish
from cxlab.report.render import render_notebook_page
from cxlab.report.summary import NotebookPage, load_page_headlines, write_quarter_summary, write_quarters_index

DEFAULT_NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
EXECUTED_DIR = "executed"
META_FILE = "meta.json"


def _load_data(data: Path) -> io.CXData:
    try:
        return io.load(data)
    except (io.DataValidationError, OSError) as err:
        raise ReportInputError(f"data folder {data} cannot be used:\n{err}") from err


def _resolve_quarter(quarter: str | None, data: io.CXData) -> tuple[str, pd.Timestamp]:
    try:
        quarter, quarter_end = analysis_as_of(quarter, data.as_of)
    except ValueError as err:
        raise ReportInputError(str(err)) from err
    first = data.customers["acquired_at"].min()
    if quarter_end < first:
        raise ReportInputError(f"quarter {quarter} ends {quarter_end.date()}, before the first customer in the "
                               f"data was acquired ({first.date()})")
    return quarter, quarter_end


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """Turn SIGTERM into KeyboardInterrupt while the run lasts (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise KeyboardInterrupt(f"terminated by signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(quarter: str | None = None, data: str | Path = "data/demo", params: str | Path | None = None,
        out: str | Path = "reports", force: bool = False, only: list[str] | None = None,
        notebooks_dir: str | Path | None = None, *, workers: int | None = None, progress: bool = True) -> Path:
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
    workers : int, optional
        Notebooks executed at the same time; default: the CPU cores this process may use.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    pathlib.Path
        ``<out>/<quarter>/index.html``.

    Raises
    ------
    ReportInputError
        Bad parameters, data, quarter or an existing report without ``force`` (nothing ran).
    ReportRunError
        A notebook or page failed; the partial build is kept in ``<out>/_failed/``.
    KeyboardInterrupt
        The run was interrupted (Ctrl-C or SIGTERM); nothing was published.
    """
    started = datetime.now().astimezone()
    clock = time.perf_counter()
    notebooks_dir = Path(notebooks_dir or DEFAULT_NOTEBOOKS_DIR).resolve()
    notebooks = discover_notebooks(notebooks_dir)
    selected = select_notebooks(notebooks, only)
    check_quarter_label(quarter)
    resolved = resolve_parameters(read_params_file(params), notebooks, selected)
    data = Path(data)
    cxdata = _load_data(data)
    quarter, quarter_end = _resolve_quarter(quarter, cxdata)
    out = Path(out)
    target = out / quarter
    if target.exists() and not force:
        raise ReportInputError(f"a report for {quarter} already exists in {target}; use --force to replace it")

    inputs = list(cxdata.files.values()) + [p for p in [data / META_FILE] if p.is_file()]
    provenance = Provenance(
        quarter=quarter, data_as_of=str(cxdata.as_of.date()), data_folder=str(data),
        file_hashes=file_hashes(inputs),
        parameters={nb.name: {"quarter": quarter,
                              **{k: v for k, v in nb.defaults.items() if k not in SET_BY_RUN},
                              **resolved[nb.name]} for nb in selected},
        versions=package_versions(), git_commit=git_commit(notebooks_dir),
        started_at=started.isoformat(timespec="seconds"),
    )
    clean_leftovers(out)
    build = make_build_dir(out, quarter)
    executed = (build / EXECUTED_DIR).resolve()  # kernels run in the notebooks folder
    jobs = [NotebookJob(nb.name, nb.path, executed / f"{nb.name}.ipynb",
                        {**resolved[nb.name], "data_dir": str(data.resolve()), "quarter": quarter,
                         "headlines_path": str(executed / f"{nb.name}.headlines.json")})
            for nb in selected]
    try:
        with _sigterm_as_interrupt():
            with tempfile.TemporaryDirectory(prefix="cxlab-run-") as scratch:
                validated = snapshot.write_snapshot(cxdata, Path(scratch) / "validated")
                del cxdata  # the kernels read the copy; the run itself needs no table from here on
                env = {"MPLCONFIGDIR": str(Path(scratch) / "matplotlib"), snapshot.ENV_VAR: str(validated)}
                result = execute_notebooks(jobs, cwd=notebooks_dir, env=env, workers=workers, progress=progress)
            provenance.notebook_seconds = {k: round(v, 1) for k, v in result.seconds.items()}
            provenance.duration_seconds = round(time.perf_counter() - clock, 1)
            if result.failures:
                failed = keep_failed(build, out, quarter, started)
                raise ReportRunError("\n".join(
                    [f.describe() for f in result.failures]
                    + [f"executed notebooks kept in {failed}", f"no report was published for {quarter}"
                       + (f"; the earlier report in {target} is unchanged" if target.exists() else "")]))
            _render_all(build, jobs, provenance, quarter_end, notebooks_dir, out, started)
            publish(build, target)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    write_quarters_index(out)
    return target / "index.html"


def _render_all(build: Path, jobs: list[NotebookJob], provenance: Provenance, quarter_end: pd.Timestamp,
                notebooks_dir: Path, out: Path, started: datetime) -> None:
    quarter = provenance.quarter
    nav = [("All quarters", "../index.html"), ("Executive summary", "index.html")]
    pages = []
    try:
        for job in jobs:
            title = render_notebook_page(job.output, build / f"{job.name}.html", name=job.name,
                                         provenance=provenance, nav=nav, resources_dir=notebooks_dir)
            pages.append(NotebookPage(job.name, title, f"{job.name}.html",
                                      load_page_headlines(Path(job.parameters["headlines_path"]))))
        write_quarter_summary(build, quarter=quarter, quarter_end=str(quarter_end.date()), pages=pages,
                              provenance=provenance)
        provenance.write(build)
    except Exception as err:  # nbconvert, Jinja and file errors alike: keep the build for debugging
        failed = keep_failed(build, out, quarter, started)
        raise ReportRunError(f"rendering the report failed ({type(err).__name__}: {err}); executed notebooks "
                             f"kept in {failed}; no report was published for {quarter}") from err
