"""Where each table's files are: a data folder, a folder of Parquet parts, or a URI.

A data source is what ``cxlab.io.load`` reads (``<table>.csv``, ``<table>.csv.gz`` or
``<table>.parquet`` plus ``meta.json`` in a folder) or, for tables too large for one file, a folder
``<table>/`` of Parquet part files (``<table>/*.parquet``, as Spark and DuckDB write them). A URI
(``s3://bucket/export``, ``hdfs://...``, ``abfss://...``) names a folder of the same shape that
the engine reads itself; there, each table is ``<uri>/<table>.parquet`` or ``<uri>/<table>/``, as
declared by ``meta.json``'s ``"tables"`` list when the URI cannot be listed from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from cxlab import schema
from cxlab.io import DataValidationError, find_table_parts

__all__ = ["DataSource", "TableSource", "is_uri", "locate"]


@dataclass(frozen=True)
class TableSource:
    """The files of one table.

    Attributes
    ----------
    table : str
        Table name (see :mod:`cxlab.schema`).
    files : list of str
        Paths or URIs of the files; more than one for a folder of Parquet parts.
    file_format : {"parquet", "csv"}
    label : str
        How messages name the source: the file, or the folder of parts.
    """

    table: str
    files: list[str]
    file_format: str
    label: str


@dataclass(frozen=True)
class DataSource:
    """The tables of one data folder or URI and its ``meta.json``.

    Attributes
    ----------
    location : str
        The folder or URI as given.
    tables : dict of str to TableSource
    meta : dict
        ``meta.json`` (empty when there is none).
    """

    location: str
    tables: dict[str, TableSource]
    meta: dict = field(default_factory=dict)


def is_uri(location) -> bool:
    """Whether ``location`` is a URI such as ``s3://bucket/path`` rather than a local path.

    Examples
    --------
    >>> is_uri("s3://bucket/export"), is_uri("data/demo")
    (True, False)
    """
    return "://" in str(location) and not str(location).startswith("file://")


def locate(location) -> DataSource:
    """Find the tables of a data folder or URI.

    Parameters
    ----------
    location : str or pathlib.Path
        A local folder (files as for :func:`cxlab.io.load`, or ``<table>/`` folders of Parquet
        parts), or a URI whose ``meta.json`` lists its ``"tables"``.

    Returns
    -------
    DataSource

    Raises
    ------
    cxlab.io.DataValidationError
        When the folder is missing, has no customers table, or a table has several files.

    Examples
    --------
    >>> from cxlab.datasets import demo_path
    >>> sorted(locate(demo_path()).tables)
    ['cases', 'customers', 'revenue', 'surveys']
    """
    if is_uri(location):
        return _locate_uri(str(location).rstrip("/"))
    folder = Path(str(location).removeprefix("file://"))
    if not folder.is_dir():
        raise DataValidationError(f"{folder}: data folder not found")
    tables = {}
    for table, paths in find_table_parts(folder).items():
        if paths[0].parent != folder:  # the Parquet parts of a folder
            tables[table] = TableSource(table, [str(p) for p in paths], "parquet", str(folder / table))
        else:
            file_format = "parquet" if paths[0].name.endswith(".parquet") else "csv"
            tables[table] = TableSource(table, [str(paths[0])], file_format, str(paths[0]))
    if "customers" not in tables:
        raise DataValidationError(f"{folder}: no customers file; expected customers.csv, customers.csv.gz, "
                                  "customers.parquet or a customers/ folder of Parquet files")
    meta_file = folder / "meta.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.exists() else {}
    return DataSource(str(folder), tables, meta)


def _locate_uri(uri: str) -> DataSource:
    import pyarrow.fs

    filesystem, root = pyarrow.fs.FileSystem.from_uri(uri)
    scheme = uri.split("://", 1)[0]
    with filesystem.open_input_stream(f"{root}/meta.json") as stream:
        meta = json.loads(stream.read().decode("utf-8"))
    declared = meta.get("tables")
    if not declared or "customers" not in declared:
        raise DataValidationError(f"{uri}/meta.json: expected a \"tables\" list naming the tables (customers "
                                  "required), each <table>.parquet or a <table>/ folder of Parquet files")
    tables = {}
    for table in declared:
        if table not in schema.TABLES:
            raise DataValidationError(f"{uri}/meta.json: unknown table '{table}'; tables are {list(schema.TABLES)}")
        info = filesystem.get_file_info(f"{root}/{table}.parquet")
        if info.type == pyarrow.fs.FileType.File:
            tables[table] = TableSource(table, [f"{uri}/{table}.parquet"], "parquet", f"{uri}/{table}.parquet")
        else:
            selector = pyarrow.fs.FileSelector(f"{root}/{table}")
            parts = sorted(f"{scheme}://{i.path}" for i in filesystem.get_file_info(selector)
                           if i.path.endswith(".parquet"))
            if not parts:
                raise DataValidationError(f"{uri}: table '{table}' has neither {table}.parquet nor Parquet "
                                          f"files in {table}/")
            tables[table] = TableSource(table, parts, "parquet", f"{uri}/{table}")
    return DataSource(uri, tables, meta)
