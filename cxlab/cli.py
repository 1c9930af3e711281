"""The ``cxlab`` command line: the quarterly report and conversion of real exports.

Exit codes: 0 success, 1 the run failed (a notebook raised, a page did not render, or the run
was interrupted), 2 bad input (parameters, data, quarter, existing report, unknown source).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="cxlab: customer-experience analytics workbench.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)

EXIT_RUN_FAILED = 1
EXIT_BAD_INPUT = 2


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@app.command()
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
) -> None:
    """Execute the report notebooks and publish the quarter's HTML report (executive summary first)."""
    from cxlab.report import ReportInputError, ReportRunError, run

    try:
        index = run(quarter=quarter or None, data=data, params=params, out=out, force=force, only=only or None,
                    notebooks_dir=notebooks)
    except ReportInputError as err:
        raise _fail(str(err), EXIT_BAD_INPUT) from None
    except ReportRunError as err:
        raise _fail(str(err), EXIT_RUN_FAILED) from None
    except KeyboardInterrupt:
        raise _fail("interrupted; no report was published and any earlier report is unchanged",
                    EXIT_RUN_FAILED) from None
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
