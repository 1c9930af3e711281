"""A validated copy of a data folder, shared by the processes of one report run.

Validating a large data folder costs far more than reading it, and a quarterly report runs
several notebooks, each in its own kernel process. The report runner therefore validates the
folder once with :func:`cxlab.io.load`, writes the validated tables with :func:`write_snapshot`
(uncompressed Arrow files in a private temporary folder) and names that folder in the environment variable
:data:`ENV_VAR` of the kernels it starts. There, the report sections' :func:`cxlab.sections.open_report`
reads the variable (:func:`copy_named_in_environment`) and passes the copy to
``cxlab.io.load(folder, validated_copy=...)``, which returns the validated tables from it instead of
validating the *same* data folder again. Loading never reads the environment itself. The kernels
map the files into memory (:func:`read_with_arrow_text`), so the pages of a table several kernels
use at once are held once.

The copy is used only while it provably describes the folder asked for: the folder's resolved
path, and the name, size and modification time of each of its table files and of
``meta.json``, must equal those recorded when the copy was written, and the call must not ask
for anything validation would do differently (a column mapping or an explicit as-of date).
Otherwise :func:`cxlab.io.load` validates as usual. Executed notebooks keep the original data
folder as their ``data_dir`` parameter, so they can be re-run without the copy.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pyarrow.compute
import pyarrow.ipc

__all__ = ["ARROW_TEXT", "ENV_VAR", "LONG_TEXT_CHARACTERS", "MANIFEST", "TABLE_SUFFIX", "copy_named_in_environment",
           "current_manifest", "frame_with_arrow_text", "mapped_table", "read_snapshot", "read_with_arrow_text",
           "release_arrow_memory", "release_unused_memory", "write_snapshot", "write_table"]

ENV_VAR = "CXLAB_VALIDATED_DATA"
MANIFEST = "manifest.json"
_FORMAT = 4
TABLE_SUFFIX = ".arrow"


def release_arrow_memory() -> None:
    """Hand back to the system the memory Arrow's allocator keeps after reading or writing tables.

    Arrow's allocator holds on to freed buffers for reuse; after a large table has been read
    into pandas that is gigabytes a process never uses again.
    """
    pyarrow.default_memory_pool().release_unused()


def _c_library_trim():
    """The C library's ``malloc_trim``, where it has one (glibc); else None."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _c_library_trim()


def release_unused_memory() -> None:
    """Hand back to the system the memory freed but kept by Arrow's allocator and by the C library's.

    After a step that built and dropped large frames, both allocators keep freed memory for
    reuse; with C library text (Python strings longer than 512 bytes, numpy's small arrays) in
    between, the C heap cannot shrink by itself. At 1M customers that was a quarter of a report
    kernel's private memory after the voice page's theme models (about 260 of 1,280 MB).
    """
    release_arrow_memory()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


ARROW_TEXT = pd.StringDtype(storage="pyarrow", na_value=np.nan)
LONG_TEXT_CHARACTERS = 64


def _stored_type(data_type: pyarrow.DataType) -> pyarrow.DataType:
    """How a validated copy stores a column of this type."""
    # Text is stored with 64-bit offsets, the layout pandas' Arrow text uses: read with 32-bit
    # offsets, every kernel would convert (copy) each text column instead of mapping it.
    if pyarrow.types.is_string(data_type):
        return pyarrow.large_string()
    # Dates and instants as pandas holds them: nanoseconds, no time zone (an engine's UTC instants
    # are the files' wall-clock times)
    if pyarrow.types.is_timestamp(data_type) or pyarrow.types.is_date(data_type):
        return pyarrow.timestamp("ns")
    return data_type


def write_table(batches, path) -> int:
    """Write record batches as an uncompressed Arrow IPC file, the format of a validated copy's tables.

    Parameters
    ----------
    batches : pyarrow.Table or pyarrow.RecordBatchReader
        The rows, in order. Text is stored as ``large_string``, dates and instants as naive
        nanosecond timestamps (as :func:`cxlab.io.load` returns them).
    path : str or pathlib.Path
        The file to write.

    Returns
    -------
    int
        Rows written.
    """
    schema = pyarrow.schema([field.with_type(_stored_type(field.type)) for field in batches.schema])
    rows = 0
    with pyarrow.ipc.new_file(str(path), schema) as writer:
        for batch in batches.to_batches() if isinstance(batches, pyarrow.Table) else batches:
            writer.write_batch(batch.cast(schema))
            rows += batch.num_rows
    return rows


def read_with_arrow_text(path) -> pd.DataFrame:
    """A validated copy's table (:func:`write_table`) as a DataFrame on the file's memory map.

    The file is uncompressed Arrow, mapped rather than read: numbers and dates without missing
    values and all identifier and category text stay in the file's pages, which the operating
    system shares between the processes that map the same file (the kernels of one report run)
    instead of each holding its own copy. Those columns are read-only. Text columns whose values
    are at most :data:`LONG_TEXT_CHARACTERS` long (identifiers, codes, categories) get pandas'
    Arrow-backed string type with NaN for missing values (the default text type of pandas 3): no
    Python object per value, and they compare, group and test for missing values as object text
    does. Longer text (comments, free-text reasons) becomes Python strings: converting an Arrow
    text column with ``astype(str)`` allocates a fixed-width array as wide as its longest value.

    Parameters
    ----------
    path : str or pathlib.Path
        An Arrow IPC file.

    Returns
    -------
    pandas.DataFrame
    """
    return frame_with_arrow_text(mapped_table(path))


def _is_text(data_type) -> bool:
    return pyarrow.types.is_large_string(data_type) or pyarrow.types.is_string(data_type)


def frame_with_arrow_text(table: pyarrow.Table, **options) -> pd.DataFrame:
    """An Arrow table as a DataFrame holding its text as :func:`read_with_arrow_text` does.

    Text columns of values at most :data:`LONG_TEXT_CHARACTERS` long get :data:`ARROW_TEXT`;
    longer text becomes Python strings.

    Parameters
    ----------
    table : pyarrow.Table
    **options
        Passed to ``pyarrow.Table.to_pandas`` (e.g. ``coerce_temporal_nanoseconds=True``).

    Returns
    -------
    pandas.DataFrame
    """
    long_text = [position for position, column in enumerate(table.columns)
                 if _is_text(column.type) and _longest(column, pyarrow.compute.binary_length) > LONG_TEXT_CHARACTERS
                 and _longest(column, pyarrow.compute.utf8_length) > LONG_TEXT_CHARACTERS]
    frame = table.drop_columns([table.column_names[position] for position in long_text]).to_pandas(
        split_blocks=True, types_mapper=lambda data_type: ARROW_TEXT if _is_text(data_type) else None, **options)
    for position in long_text:  # in column order, so that each lands where the file has it
        frame.insert(position, table.column_names[position], table.column(position).to_pandas())
    return frame


def _longest(column: pyarrow.ChunkedArray, length) -> int:
    """The longest value of a text column by ``length``: bytes (read from the offsets alone, no text is
    read, so a mapped file's text stays on disk) or characters (every value is read)."""
    return pyarrow.compute.max(length(column)).as_py() or 0


def copy_named_in_environment() -> Path | None:
    """The validated copy the report run named in :data:`ENV_VAR` for this process, if any."""
    copy = os.environ.get(ENV_VAR)
    return Path(copy) if copy else None


def _file_stamp(path: Path) -> dict:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _stamps(paths: list) -> list[dict]:
    """Stamps of a table's files: its one file, or its Parquet parts."""
    return [_file_stamp(Path(path)) for path in paths]


def _meta_stamp(source: Path) -> dict | None:
    meta = source / "meta.json"
    return _file_stamp(meta) if meta.is_file() else None


def write_snapshot(data, folder, *, files: dict) -> Path:
    """Write validated tables and the stamp of their source files to ``folder``.

    Parameters
    ----------
    data : cxlab.io.CXData
        Tables returned by :func:`cxlab.io.load` with ``strict=True``, no column mapping and no
        explicit as-of date (the calls the copy will stand in for).
    folder : str or pathlib.Path
        An empty or new folder, private to the run.
    files : dict of str to list of pathlib.Path
        The data folder's table files as :func:`cxlab.io.find_table_parts` finds them (a table's one
        file or its Parquet parts): what a later load compares the copy's stamps with.

    Returns
    -------
    pathlib.Path
        The folder, to be named in :data:`ENV_VAR`.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if len(data.rejected):
        raise ValueError("write_snapshot: the data had rejected rows; only strictly valid data can be copied")
    tables = {}
    for table, frame in data.tables().items():
        name = f"{table}{TABLE_SUFFIX}"
        rows = write_table(pyarrow.Table.from_pandas(frame, preserve_index=False), folder / name)
        tables[table] = {"file": name, "rows": rows}
    write_manifest(folder, source=data.source, files=files, as_of=data.as_of, as_of_source=data.as_of_source,
                   tables=tables)
    release_arrow_memory()
    return folder


def write_manifest(folder, *, source, files: dict, as_of, as_of_source: str, tables: dict) -> None:
    """Write the manifest of a validated copy whose table files are already in ``folder``.

    Parameters
    ----------
    folder : pathlib.Path
        The copy's folder.
    source : str or pathlib.Path
        The data folder the copy stands for.
    files : dict of str to list of pathlib.Path
        Its table files (a table's one file, or the Parquet parts of its folder), whose name, size
        and modification time are recorded.
    as_of : pandas.Timestamp
    as_of_source : str
    tables : dict of str to dict
        Per table, ``{"file": "<table>.arrow", "rows": n}``.
    """
    manifest = {
        "format": _FORMAT,
        "source": str(Path(source).resolve()),
        "source_files": {table: _stamps(paths) for table, paths in files.items()},
        "meta_file": _meta_stamp(Path(source)),
        "as_of": str(pd.Timestamp(as_of).date()),
        "as_of_source": as_of_source,
        "tables": tables,
    }
    (Path(folder) / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _still_current(manifest: dict, source: Path, files: dict) -> bool:
    if manifest.get("format") != _FORMAT or manifest.get("source") != str(source.resolve()):
        return False
    recorded = manifest["source_files"]
    if set(recorded) != set(files) or any(_stamps(files[t]) != recorded[t] for t in files):
        return False
    return _meta_stamp(source) == manifest["meta_file"]


def read_snapshot(copy, source, files: dict, tables) -> dict | None:
    """Validated tables of ``source`` from a copy written by :func:`write_snapshot`, if it is current.

    Parameters
    ----------
    copy : str or pathlib.Path
        The folder :func:`write_snapshot` wrote.
    source : str or pathlib.Path
        The data folder :func:`cxlab.io.load` was asked to load.
    files : dict of str to list of pathlib.Path
        All its table files (as found by :func:`cxlab.io.find_table_parts`).
    tables : collection of str
        The tables to read, among those of ``files``.

    Returns
    -------
    dict or None
        ``{"tables": {name: DataFrame}, "as_of": Timestamp, "as_of_source": str}``, or None when
        the copy is missing, or was written for another folder or for different file contents.
    """
    manifest = current_manifest(copy, source, files)
    if manifest is None:
        return None
    frames = {t: read_with_arrow_text(Path(copy) / manifest["tables"][t]["file"]) for t in tables}
    return {"tables": frames, "as_of": pd.Timestamp(manifest["as_of"]), "as_of_source": manifest["as_of_source"]}


def current_manifest(copy, source, files: dict) -> dict | None:
    """The manifest of a validated copy if it stands for ``source`` as its files are now, else None.

    Parameters
    ----------
    copy : str or pathlib.Path
        The folder :func:`write_snapshot` or :meth:`cxlab.engine.Engine.write_validated_copy` wrote.
    source : str or pathlib.Path
        The data folder.
    files : dict of str to list of pathlib.Path
        All its table files (a table's one file or its Parquet parts).

    Returns
    -------
    dict or None
        The manifest: ``as_of``, ``as_of_source`` and ``tables`` (per table its ``file`` in ``copy``).
    """
    manifest_path = Path(copy) / MANIFEST
    if not manifest_path.is_file():
        return None
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return manifest if _still_current(manifest, Path(source), files) else None


def mapped_table(path) -> pyarrow.Table:
    """A validated copy's table as an Arrow table on the file's memory map (nothing read into memory)."""
    return pyarrow.ipc.open_file(pyarrow.memory_map(str(path))).read_all()
