"""Validation of a report run before anything is written, and the check of its inputs at the end.

Inputs are checked in this order: the notebooks and ``--only`` names, the parameters file
(names and types), the quarter label, the data folder (each input file is hashed first, then the
data is validated once, by DuckDB through :mod:`cxlab.engine` unless another engine is asked for:
Spark, or pandas with :func:`cxlab.io.load`), the ``--by`` attribute of a
drill-down against the customers table (:func:`cxlab.attributes.check_attribute`), that the
quarter is complete in the data, and that the quarter is not already published (unless ``force``). Problems raise
:class:`~cxlab.report.errors.ReportInputError`. Before publishing, the run hashes the input files
again (:func:`check_inputs_unchanged`): a file that changed, appeared or disappeared meanwhile
means the notebooks may have read a mixture of old and new data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow
import pyarrow.parquet as pq

from cxlab import io
from cxlab.attributes import DrillDownError, check_attribute
from cxlab.periods import analysis_as_of, fieldwork_period
from cxlab.report.errors import ReportDataChangedError, ReportInputError
from cxlab.report.params import (
    ReportNotebook,
    check_quarter_label,
    discover_notebooks,
    inspect_report_notebook,
    read_params_file,
    resolve_parameters,
    select_notebooks,
)
from cxlab.report.provenance import file_sha256, input_name

__all__ = ["DEFAULT_ENGINE", "DEFAULT_NOTEBOOKS_DIR", "META_FILE", "REPORT_ENGINES", "RunPlan",
           "check_inputs_unchanged", "check_target", "plan_run"]

DEFAULT_NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "notebooks"
META_FILE = "meta.json"
REPORT_ENGINES = ("duckdb", "spark", "pandas")  # pandas: cxlab.io.load; the others: cxlab.engine
DEFAULT_ENGINE = "duckdb"
DRILL_NOTEBOOK = "drill_down"  # the drill-down page, run only with --by
DRILL_PARAMETER = "by"


@dataclass
class RunPlan:
    """A validated report run, before anything is written.

    Attributes
    ----------
    quarter : str
        The report quarter.
    quarter_end : pandas.Timestamp
        Its last day, the as-of date of the analyses.
    data : pathlib.Path
        The data folder.
    cxdata : cxlab.io.CXData or cxlab.engine.Engine or None
        The validated tables; None once the run has written the kernels' copy of them.
    input_hashes : dict
        Each input file (tables and ``meta.json``) to its SHA-256, taken before it was read.
    notebooks_dir : pathlib.Path
        The folder of the report notebooks.
    selected : list of ReportNotebook
        The notebooks to run.
    parameters : dict
        Notebook name to the parameters from the parameters file.
    out : pathlib.Path
        The reports folder.
    by : str or None
        The customer attribute of the drill-down page (``--by``); None without one.
    engine : str
        What validated the data folder (one of :data:`REPORT_ENGINES`).
    """

    quarter: str
    quarter_end: pd.Timestamp
    data: Path
    cxdata: io.CXData | None
    input_hashes: dict
    notebooks_dir: Path
    selected: list
    parameters: dict
    out: Path
    by: str | None = None
    engine: str = DEFAULT_ENGINE

    @property
    def target(self) -> Path:
        """``<out>/<quarter>``, where the report is published."""
        return self.out / self.quarter

    def describe(self) -> str:
        """A few lines saying what a run would do."""
        files = ", ".join(input_name(p, self.data) for p in self.input_hashes)
        return (f"quarter {self.quarter} (ends {self.quarter_end.date()}), data as of {self.cxdata.as_of.date()}\n"
                f"data folder {self.data}: {files}\n"
                f"notebooks: {', '.join(nb.name for nb in self.selected)}\n"
                + (f"drill-down by {self.by} (page {DRILL_NOTEBOOK})\n" if self.by else "")
                + f"report to {self.target / 'index.html'}")


def _input_files(data: Path) -> list[Path]:
    """The table files (or their Parquet parts) and ``meta.json`` of a data folder, in path order."""
    meta = [data / META_FILE] if (data / META_FILE).is_file() else []
    return sorted([*(path for paths in io.find_table_parts(data).values() for path in paths), *meta])


def _hash_inputs(data: Path) -> dict[Path, str]:
    try:
        return {path: file_sha256(path) for path in _input_files(data)}
    except io.DataValidationError as err:
        raise ReportInputError(f"data folder {data} cannot be used:\n{err}") from err
    except OSError as err:
        raise ReportInputError(f"data folder {data} cannot be read: {err}") from err


def _unreadable_parquet(paths) -> str:
    """Name the Parquet files among ``paths`` that cannot be read, with the reader's message."""
    problems = []
    for path in paths:
        if path.name.endswith(".parquet"):
            try:
                pq.read_table(path)
            except (pyarrow.ArrowException, OSError) as err:
                problems.append(f"{path}: not a readable Parquet file (corrupted or truncated?): {err}")
    return "\n".join(problems)


def _unreadable(data: Path, err: Exception) -> ReportInputError:
    """Bad input for a data file the reader could not parse: the unreadable Parquet files named, else the error."""
    named = _unreadable_parquet(_input_files(data)) or f"{type(err).__name__}: {err}"
    return ReportInputError(f"data folder {data} cannot be used:\n{named}")


def _load_data(data: Path, as_of=None) -> io.CXData:
    try:
        return io.load(data, as_of=as_of)
    except (io.DataValidationError, OSError) as err:
        raise ReportInputError(f"data folder {data} cannot be used:\n{err}") from err
    except (pyarrow.ArrowException, ValueError) as err:  # a file the readers could not parse
        raise _unreadable(data, err) from err


def _load_with_engine(data: Path, as_of, engine: str):
    """The data folder validated by an engine of :mod:`cxlab.engine` (no table enters this process)."""
    from cxlab.engine import REPORT_MEMORY_LIMIT, Engine
    from cxlab.engine.dialects import DIALECTS

    try:
        return Engine(data, engine=engine, as_of=as_of, memory_limit=REPORT_MEMORY_LIMIT)
    except (io.DataValidationError, OSError) as err:
        raise ReportInputError(f"data folder {data} cannot be used:\n{err}") from err
    except ImportError as err:  # before the engine's own errors, whose classes need the same package
        package = (err.name or "").split(".")[0]
        raise ReportInputError(f"--engine {engine} needs the package {package!r}, which is not installed "
                               f"(pip install -e \".[{engine}]\")") from err
    except DIALECTS[engine].query_errors() as err:  # a file the engine could not read
        raise _unreadable(data, err) from err


def _first_acquired(data) -> pd.Timestamp:
    if isinstance(data, io.CXData):
        return data.customers["acquired_at"].min()
    return pd.Timestamp(data.sql("SELECT MIN(acquired_at) AS first FROM valid_customers")["first"].iloc[0])


def _answer_times(data) -> pd.Series | None:
    """Answer times (from an engine the first and last, which decide the fieldwork quarter); None without surveys."""
    if isinstance(data, io.CXData):
        return None if data.surveys is None else data.surveys["responded_at"]
    if not data.has("surveys"):
        return None
    span = data.sql("SELECT MIN(responded_at) AS first, MAX(responded_at) AS last FROM valid_surveys")
    return pd.Series(pd.to_datetime([span["first"].iloc[0], span["last"].iloc[0]]))


def _resolve_quarter(quarter: str | None, data) -> tuple[str, pd.Timestamp]:
    try:
        quarter, quarter_end = analysis_as_of(quarter, data.as_of)
    except ValueError as err:
        raise ReportInputError(str(err)) from err
    first = _first_acquired(data)
    if quarter_end < first:
        raise ReportInputError(f"quarter {quarter} ends {quarter_end.date()}, before the first customer in the "
                               f"data was acquired ({first.date()}){_survey_period_hint(data)}")
    return quarter, quarter_end


def _survey_period_hint(data) -> str:
    """How to report a one-off survey whose quarter has not ended in the data ("" when not one)."""
    answered = _answer_times(data)
    if answered is None:
        return ""
    try:
        quarter, end = fieldwork_period(answered)
    except ValueError:
        return ""
    return (f"; the survey's answers fall in {quarter}: report that quarter with --as-of {end.date()} "
            f"(or write {{\"as_of\": \"{end.date()}\"}} into the data folder's meta.json)")


def check_target(plan: RunPlan, force: bool) -> None:
    """Refuse to replace a published report of the quarter without ``force``."""
    if plan.target.exists() and not force:
        raise ReportInputError(f"a report for {plan.quarter} already exists in {plan.target}; use --force to "
                               "replace it")


def drill_notebook(notebooks_dir: Path) -> ReportNotebook:
    """The drill-down notebook: ``drill_down.ipynb`` of the notebooks folder, else the project's.

    Raises
    ------
    ReportInputError
        When the notebook cannot be read or does not declare the run's parameters and ``by``.
    """
    path = Path(notebooks_dir) / f"{DRILL_NOTEBOOK}.ipynb"
    notebook = inspect_report_notebook(path if path.is_file() else DEFAULT_NOTEBOOKS_DIR / path.name)
    if DRILL_PARAMETER not in notebook.defaults:
        raise ReportInputError(f"notebook {notebook.path} does not declare {DRILL_PARAMETER!r} in its parameters "
                               "cell; the drill-down needs it")
    return notebook


def _check_by(by: str, cxdata) -> None:
    """Refuse a ``--by`` attribute the customers table cannot be broken down by (naming those it can).

    ``cxdata`` is the loaded data (``--engine pandas``) or the engine: then only the customers table is
    read into this process, and the other tables are known by their columns.
    """
    if isinstance(cxdata, io.CXData):
        customers, gaps = cxdata.customers, cxdata.availability.gaps
        others = {"surveys": cxdata.surveys, "cases": cxdata.cases, "revenue": cxdata.revenue}
    else:
        customers = cxdata.sql(f"SELECT {', '.join(cxdata.columns('customers'))} FROM valid_customers")
        gaps = frozenset()
        others = {name: pd.DataFrame(columns=cxdata.columns(name))
                  for name in ("surveys", "cases", "revenue") if cxdata.has(name)}
    try:
        check_attribute(customers, by, gaps=gaps, other_tables=others)
    except DrillDownError as err:
        raise ReportInputError(f"--by {by}: {err}") from err


def plan_run(quarter: str | None, data: str | Path, params: str | Path | None, out: str | Path, force: bool,
             only: list[str] | None, notebooks_dir: str | Path | None, as_of=None, by: str | None = None,
             engine: str = DEFAULT_ENGINE) -> RunPlan:
    """Validate everything a run needs, in the order of the module docstring; nothing is written.

    Parameters are those of :func:`cxlab.report.run`.

    Returns
    -------
    RunPlan
        The validated run.

    Raises
    ------
    ReportInputError
        Bad notebooks, parameters, data or quarter, or an existing report without ``force``.
    """
    notebooks_dir = Path(notebooks_dir or DEFAULT_NOTEBOOKS_DIR).resolve()
    notebooks = discover_notebooks(notebooks_dir)
    selected = select_notebooks(notebooks, only)
    if by is not None:
        drill = drill_notebook(notebooks_dir)
        notebooks, selected = [*notebooks, drill], [*selected, drill]
    check_quarter_label(quarter)
    resolved = resolve_parameters(read_params_file(params), notebooks, selected, source=params or "parameters file")
    if by is not None:
        if DRILL_PARAMETER in resolved[DRILL_NOTEBOOK]:
            raise ReportInputError(f"{DRILL_PARAMETER} (parameters file) is set by the run: use --by")
        resolved[DRILL_NOTEBOOK][DRILL_PARAMETER] = by
    if engine not in REPORT_ENGINES:
        raise ReportInputError(f"engine must be one of {', '.join(REPORT_ENGINES)}; got {engine!r}")
    if "://" in str(data):
        raise ReportInputError(f"--data {data}: the report runs on a local data folder, whose files it hashes and "
                               "copies for the notebooks; copy the files to a local folder, or query the URI with "
                               "cxlab.engine.connect in Python")
    data = Path(data)
    hashes = _hash_inputs(data)  # before reading: a change while the run reads is then seen at the end
    cxdata = _load_data(data, as_of) if engine == "pandas" else _load_with_engine(data, as_of, engine)
    if by is not None:
        _check_by(by, cxdata)
    quarter, quarter_end = _resolve_quarter(quarter, cxdata)
    plan = RunPlan(quarter, quarter_end, data, cxdata, hashes, notebooks_dir, selected, resolved, Path(out), by,
                   engine)
    check_target(plan, force)
    return plan


def check_inputs_unchanged(plan: RunPlan) -> None:
    """Hash the input files again; raise when one changed, appeared or disappeared since the start."""
    try:
        now = {path: file_sha256(path) for path in _input_files(plan.data)}
    except (OSError, io.DataValidationError) as err:
        now = {Path(getattr(err, "filename", None) or plan.data): f"unreadable ({err})"}
    changed = sorted({input_name(p, plan.data) for p in set(now) | set(plan.input_hashes)
                      if now.get(p) != plan.input_hashes.get(p)})
    if changed:
        raise ReportDataChangedError(
            f"data changed during the run: {', '.join(changed)} in {plan.data} is not the file the run started "
            f"from; no report was published for {plan.quarter}. Run again once the data folder is complete.")
