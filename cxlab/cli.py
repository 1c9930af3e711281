"""The ``cxlab`` command line: the quarterly report and conversion of real exports.

Exit codes of ``cxlab report`` (see :mod:`cxlab.report.errors`): 0 published (or, with
``--check``, ready to run), 1 a notebook or page failed, 2 bad input, 3 another run of the
quarter holds the lock, 4 the reports folder is not writable or full, 5 a data file changed
during the run, 130/143 interrupted by SIGINT/SIGTERM. ``cxlab convert`` exits 2 on bad input.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["EXIT_BAD_INPUT", "REPORT_EPILOG", "app", "convert", "report"]

app = typer.Typer(help="cxlab: customer-experience analytics workbench.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)

EXIT_BAD_INPUT = 2
REPORT_EPILOG = (
    "Exit codes: 0 report published (with --check: the run would start); 1 a notebook or page failed; "
    "2 bad input (parameters, data, quarter, existing report without --force); 3 another run of the quarter "
    "is under way (the message names it); 4 the reports folder is read-only, not permitted or full; "
    "5 a data file changed during the run; 130 interrupted (SIGINT), 143 terminated (SIGTERM). "
    "Except for 0, nothing was published and an earlier report of the quarter is unchanged."
)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _interrupted(code: int) -> typer.Exit:
    """Say the run was interrupted; exit at once when worker threads are still ending (their kernels are
    dead, but Python would wait for them at exit)."""
    message = "interrupted; no report was published and any earlier report is unchanged"
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if not any(t.is_alive() for t in others):
        return _fail(message, code)
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    with contextlib.suppress(OSError):
        os.write(2, f"error: {message}\n".encode())
    os._exit(code)


@app.command(epilog=REPORT_EPILOG)
def report(
    quarter: Annotated[str, typer.Option(help="Report quarter like 2026Q3; default: the latest complete quarter "
                                              "of the data.")] = "",
    data: Annotated[Path, typer.Option(help="Data folder (customers, revenue, surveys, cases).")] = Path("data/demo"),
    params: Annotated[Path | None, typer.Option(help="YAML file of notebook parameters (see "
                                                     "params.example.yaml).")] = None,
    out: Annotated[Path, typer.Option(help="Reports folder; the quarter goes to <out>/<quarter>/.")] = Path("reports"),
    force: Annotated[bool, typer.Option("--force", help="Replace an existing report of the quarter.")] = False,
    only: Annotated[list[str] | None, typer.Option(help="Run only this notebook (name or number prefix such as "
                                                        "05); repeatable. The quarter's report then holds only "
                                                        "these pages.")] = None,
    notebooks: Annotated[Path | None, typer.Option(help="Folder of the report notebooks; default: the project's "
                                                        "notebooks/.")] = None,
    as_of: Annotated[str, typer.Option("--as-of", help="The data's as-of date (YYYY-MM-DD) instead of "
                                                        "meta.json's, e.g. a one-off survey's quarter end.")] = "",
    by: Annotated[str, typer.Option("--by", help="Add a drill-down page: the scorecard, loop and retention "
                                                 "figures per group of this customers column (e.g. region, "
                                                 "segment), groups that differ beyond chance named in the "
                                                 "summary.")] = "",
    engine: Annotated[str, typer.Option(help="What validates the data and writes the copy the notebooks read: "
                                             "duckdb (the default; out of core), spark (local mode) or pandas; "
                                             "the same rules, messages and figures.")] = "",
    workers: Annotated[int, typer.Option(min=0, help="Notebooks run at the same time at most; default (0): one per "
                                                     "CPU core.")] = 0,
    memory_limit: Annotated[str, typer.Option("--memory-limit", help="Memory the notebooks running together may "
                                                                     "hold, like 8GB; default: what the machine "
                                                                     "has available when they start. A notebook "
                                                                     "starts beside others only if their peaks in "
                                                                     "the last run on the same data fit.")] = "",
    check: Annotated[bool, typer.Option("--check", help="Only validate the data, quarter, parameters, reports "
                                                        "folder and lock, say what the run would do, and exit "
                                                        "(0 when it would start).")] = False,
) -> None:
    """Execute the report notebooks and publish the quarter's HTML report (executive summary first)."""
    # jsonschema, which nbformat imports, compiles the grammar of an optional URI-format checker when
    # that package is installed: 1.3 s before the run starts. No notebook schema the run validates
    # checks URI formats, so the run goes without it.
    sys.modules.setdefault("rfc3987_syntax", None)
    import cxlab.report
    from cxlab.report import ReportError

    options = {"quarter": quarter or None, "data": data, "params": params, "out": out, "force": force,
               "only": only or None, "notebooks_dir": notebooks, "as_of": as_of or None,
               "by": by or None, **({"engine": engine} if engine else {}), "workers": workers or None,
               "memory_limit": memory_limit or None}
    try:
        if check:
            typer.echo(cxlab.report.check(**options))
            typer.echo("check passed: the run would start")
            return
        index = cxlab.report.run(**options)
    except ReportError as err:
        raise _fail(str(err), err.exit_code) from None
    except KeyboardInterrupt as err:
        raise _interrupted(getattr(err, "exit_code", 130)) from None
    typer.echo(f"report written: {index}")


@app.command()
def convert(
    source: Annotated[str, typer.Argument(help="Kind of export, e.g. telco; an unknown name lists the available "
                                               "ones.")],
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="The exported file, or a folder holding it "
                                                                     "under its usual name.")],
    out_dir: Annotated[Path, typer.Argument(metavar="OUT", help="Data folder to write (cxlab data model).")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="As-of date of the export (YYYY-MM-DD); default: "
                                                              "the source's documented default.")] = None,
    file_format: Annotated[str, typer.Option("--format", help="File type of the tables: parquet or csv.")] = "parquet",
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace the tables of an existing data "
                                                                "folder.")] = False,
    catalogue: Annotated[Path | None, typer.Option(help="For the source 'survey': YAML file naming the export's "
                                                        "columns and declaring each question's scale (written to "
                                                        "the folder as questions.yaml).")] = None,
) -> None:
    """Convert a real export (e.g. a churn snapshot or survey file) into a cxlab data folder."""
    from cxlab import datasets

    if source not in datasets.ADAPTERS:
        raise _fail(f"unknown source {source!r}; choose from {', '.join(sorted(datasets.ADAPTERS))}",
                    EXIT_BAD_INPUT)
    options = {"file_format": file_format, "overwrite": overwrite}
    if as_of is not None:
        options["as_of"] = as_of
    if catalogue is not None:
        options["catalogue"] = catalogue
    try:
        conversion = datasets.convert(source, input_path, out_dir, **options)
    except (ValueError, OSError) as err:
        raise _fail(str(err), EXIT_BAD_INPUT) from None
    typer.echo(str(conversion))


if __name__ == "__main__":
    app()
