"""Convert a public source file into a cxlab data folder (``cxlab convert <source> <file> <folder>``).

The folder holds the tables the adapter could build (``customers`` and, for survey sources,
``surveys``), for a survey converted with its question catalogue the catalogue as
``questions.yaml`` (source ``survey``: any wide survey export described by a YAML file, see
:mod:`cxlab.datasets.survey_export`), a ``meta.json`` with the as-of date and a ``source`` record (which file, its
SHA-256, what it is, the counts of rows read, written and rejected, every mapping assumption,
and what the source cannot provide, read back by :func:`not_in_source`), and ``rejected.csv``
listing every source row left out with the rule it broke (only a header when none was). The
folder is loaded back with :func:`cxlab.io.load` before :func:`convert` returns, so a folder it
writes always loads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from cxlab import availability
from cxlab.catalogue import CATALOGUE_FILE
from cxlab.datasets.airline import AIRLINE_FILE, load_airline
from cxlab.datasets.fft import FFT_FILE, load_fft
from cxlab.datasets.source import SourceTables, file_sha256
from cxlab.datasets.survey_export import load_survey_export
from cxlab.datasets.telco import TELCO_FILE, load_telco
from cxlab.io import SUFFIXES, CXData, load
from cxlab.schema import TABLES

__all__ = ["ADAPTERS", "FILE_FORMATS", "REJECTED_FILE", "SOURCE_FILES", "SURVEY_SOURCE", "Conversion", "convert",
           "not_in_source"]

SURVEY_SOURCE = "survey"
ADAPTERS = {"telco": load_telco, "airline": load_airline, "fft": load_fft, SURVEY_SOURCE: load_survey_export}
SOURCE_FILES = {"telco": TELCO_FILE, "airline": AIRLINE_FILE, "fft": FFT_FILE}
FILE_FORMATS = {"parquet": ".parquet", "csv": ".csv"}
REJECTED_FILE = "rejected.csv"


@dataclass
class Conversion:
    """What :func:`convert` wrote.

    Attributes
    ----------
    source : str
        Adapter name (a key of :data:`ADAPTERS`).
    out_dir : pathlib.Path
        The data folder written.
    files : dict of str to pathlib.Path
        Each table's file, plus ``meta``, ``rejected`` and, for a survey, ``catalogue``.
    as_of : pandas.Timestamp
        The folder's as-of date.
    rows_read : int
        Data rows of the source file.
    rows_written : dict of str to int
        Rows written per table.
    rejected : pandas.DataFrame
        Problems of the source rows left out (row, column, rule, value).
    data : cxlab.io.CXData
        The folder as loaded back by :func:`cxlab.io.load`.
    """

    source: str
    out_dir: Path
    files: dict[str, Path]
    as_of: pd.Timestamp
    rows_read: int
    rows_written: dict[str, int]
    rejected: pd.DataFrame
    data: CXData

    @property
    def rows_rejected(self) -> int:
        """Number of distinct source rows left out."""
        return int(self.rejected["row"].nunique())

    def __str__(self) -> str:
        written = ", ".join(f"{name} {n:,}" for name, n in self.rows_written.items())
        lines = [f"{self.source}: read {self.rows_read:,} rows, rejected {self.rows_rejected:,}, "
                 f"wrote {written} to {self.out_dir} (as of {self.as_of.date()})"]
        if self.rows_rejected:
            by_rule = self.rejected.groupby(["column", "rule"], sort=False)["row"].nunique()
            lines += [f"  rejected: column '{column}' {rule}: {n:,} row(s)"
                      for (column, rule), n in by_rule.items()]
            lines.append(f"  every rejected row is listed in {self.files['rejected']}")
        return "\n".join(lines)


def not_in_source(data) -> frozenset[str]:
    """What the source of a data folder could not provide, as recorded by :func:`convert`.

    Report sections use it to skip analyses whose inputs are placeholders, e.g. churn survival
    when ``"churn"`` is in it, or revenue figures when ``"customers.monthly_revenue"`` is.

    Parameters
    ----------
    data : cxlab.io.CXData or str or pathlib.Path
        Loaded data or its folder.

    Returns
    -------
    frozenset of str
        Table names, ``"<table>.<column>"`` for columns holding placeholders, and the words of
        :data:`cxlab.datasets.source.GAPS` (``"calendar_dates"``, ``"tenure"``, ``"churn"``,
        ``"customer_identity"``). Empty for folders not written by :func:`convert`.

    Examples
    --------
    >>> from cxlab.datasets import demo_path
    >>> not_in_source(demo_path())
    frozenset()
    """
    return availability.not_in_source(data.source if isinstance(data, CXData) else data)


def _resolve_input(source: str, input_path) -> Path:
    path = Path(input_path)
    if path.is_dir() and source in SOURCE_FILES:
        path = path / SOURCE_FILES[source]
    if not path.is_file():
        expected = f"the {SOURCE_FILES[source]} file or a folder holding it" if source in SOURCE_FILES else \
            "the exported file"
        raise FileNotFoundError(f"convert {source}: input file not found: {path} (expected {expected})")
    return path


def _clear_out_dir(out_dir: Path, overwrite: bool) -> None:
    ours = [out_dir / f"{t}{s}" for t in TABLES for s in SUFFIXES]
    ours += [out_dir / "meta.json", out_dir / REJECTED_FILE, out_dir / CATALOGUE_FILE]
    present = [p for p in ours if p.exists()]
    if present and not overwrite:
        names = ", ".join(p.name for p in present)
        raise FileExistsError(f"{out_dir} already holds a data folder ({names}); choose an empty folder "
                              "or replace it (overwrite=True; cxlab convert --overwrite)")
    for path in present:
        path.unlink()


def _meta(source: str, input_path: Path, converted: SourceTables, rows_written: dict[str, int]) -> dict:
    rejected = converted.rejected
    by_rule = rejected.groupby(["column", "rule"], sort=False)["row"].nunique().reset_index(name="rows")
    return {
        "as_of": str(converted.as_of.date()),
        "source": {
            "adapter": source,
            "name": converted.name,
            "file": input_path.name,
            "sha256": file_sha256(input_path),
            "description": converted.description,
            "rows_read": converted.rows_read,
            "rows_written": rows_written,
            "rows_rejected": converted.rows_rejected,
            "rejected_by_rule": by_rule.to_dict(orient="records"),
            "notes": converted.notes,
            "not_in_source": converted.not_in_source,
            "converted_with": f"cxlab {version('cxlab')} (cxlab.datasets.convert)",
        },
    }


def convert(source: str, input_path, out_dir, *, as_of=None, file_format: str = "parquet",
            overwrite: bool = False, catalogue=None) -> Conversion:
    """Convert a public source file into a cxlab data folder.

    Parameters
    ----------
    source : {"telco", "airline", "fft", "survey"}
        The adapter (see :data:`ADAPTERS`; each module's docstring documents its mapping);
        ``"survey"`` is any wide survey export described by ``catalogue``.
    input_path : str or pathlib.Path
        The source file, or a folder holding it under its usual name (:data:`SOURCE_FILES`).
    out_dir : str or pathlib.Path
        The data folder to write (created if needed).
    as_of : str or pandas.Timestamp, optional
        The as-of date; default the adapter's documented default.
    file_format : {"parquet", "csv"}
        File type of the tables. Parquet keeps types and is compact (the airline surveys table
        has about 1.9 million rows).
    overwrite : bool
        Replace the tables, ``meta.json``, ``rejected.csv`` and ``questions.yaml`` of an existing
        data folder.
    catalogue : str or pathlib.Path, optional
        For ``source="survey"`` (required there): the YAML file describing the export's columns
        and declaring its questions (:mod:`cxlab.datasets.survey_export`); written to the folder
        as ``questions.yaml``.

    Returns
    -------
    Conversion
        Counts, files and the folder loaded back with :func:`cxlab.io.load`; ``str()`` of it is
        a short summary.

    Raises
    ------
    ValueError
        For an unknown source or file format, a catalogue given for another source or missing for
        ``"survey"``, and survey rows that cannot be mapped (naming the file, column and rows).
    FileNotFoundError
        When the input file does not exist.
    FileExistsError
        When ``out_dir`` already holds a data folder and ``overwrite`` is False.

    Examples
    --------
    >>> done = convert("telco", "WA_Fn-UseC_-Telco-Customer-Churn.csv", "telco/")  # doctest: +SKIP
    >>> print(done)  # doctest: +SKIP
    telco: read 7,043 rows, rejected 0, wrote customers 7,043 to telco (as of 2024-12-31)
    """
    if source not in ADAPTERS:
        raise ValueError(f"unknown source {source!r}; available: {sorted(ADAPTERS)}")
    if file_format not in FILE_FORMATS:
        raise ValueError(f"file_format must be one of {list(FILE_FORMATS)}, got {file_format!r}")
    if (catalogue is None) == (source == SURVEY_SOURCE):
        raise ValueError(f"a question catalogue (--catalogue) is {'required' if catalogue is None else 'only read'} "
                         f"for the source {SURVEY_SOURCE!r}")
    input_path = _resolve_input(source, input_path)
    options = {} if as_of is None else {"as_of": as_of}
    questions = None
    if source == SURVEY_SOURCE:
        converted, questions = load_survey_export(input_path, catalogue, **options)
    else:
        converted = ADAPTERS[source](input_path, **options)

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_out_dir(out_dir, overwrite)
    files = {}
    for name, table in converted.tables().items():
        path = out_dir / f"{name}{FILE_FORMATS[file_format]}"
        if file_format == "parquet":
            table.to_parquet(path, index=False)
        else:
            table.to_csv(path, index=False, encoding="utf-8")
        files[name] = path
    rows_written = {name: len(table) for name, table in converted.tables().items()}
    files["rejected"] = out_dir / REJECTED_FILE
    converted.rejected.to_csv(files["rejected"], index=False, encoding="utf-8")
    if questions is not None:
        files["catalogue"] = questions.write(out_dir / CATALOGUE_FILE)
    files["meta"] = out_dir / "meta.json"
    meta = _meta(source, input_path, converted, rows_written)
    files["meta"].write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    return Conversion(source=source, out_dir=out_dir, files=files, as_of=converted.as_of,
                      rows_read=converted.rows_read, rows_written=rows_written, rejected=converted.rejected,
                      data=load(out_dir))
