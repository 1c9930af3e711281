"""Benchmark worlds: simulated data folders in Parquet, cached between runs.

A world of ``n`` customers is :func:`cxlab.synth.simulate` with about five survey invitations
and three cases per customer (``transactional_per_month=0.07``, ``cases_per_customer=3``) and
its monthly revenue rows, written as one Parquet file per table plus ``meta.json`` (as-of date,
truth, generator parameters). The world named ``demo`` is the shipped demo folder
(``data/demo``, 20,000 customers with about 25 invitations each), used as it is.

The validated tables (the output of :func:`cxlab.io.load`) are also kept in ``validated/``
inside the world's cache folder, so that each analysis step can start from them in a fresh
process without paying for validation again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cxlab.datasets import demo_path
from cxlab.io import CXData

SEED = 20240601
TRANSACTIONAL_PER_MONTH = 0.07
CASES_PER_CUSTOMER = 3.0
DEMO = "demo"
VALIDATED = "validated"


def world_name(size: str) -> str:
    """Folder name of a world: ``demo`` or ``n<customers>-s<seed>-t<transactional>-c<cases>``."""
    if size == DEMO:
        return DEMO
    return f"n{int(size)}-s{SEED}-t{TRANSACTIONAL_PER_MONTH:g}-c{CASES_PER_CUSTOMER:g}"


def data_dir(size: str, cache: Path) -> Path:
    """Data folder of a world (the shipped demo folder for ``demo``)."""
    return demo_path() if size == DEMO else cache / world_name(size) / "data"


def work_dir(size: str, cache: Path) -> Path:
    """Cache folder of a world's derived files (validated tables, frames)."""
    return cache / world_name(size)


def is_generated(size: str, cache: Path) -> bool:
    """Whether the world's data folder is complete."""
    return (data_dir(size, cache) / "meta.json").is_file()


def generate(n_customers: int, folder: Path) -> dict:
    """Simulate a world and write it as Parquet files; return the row counts.

    ``meta.json`` is written last, so a folder with it is complete.
    """
    from cxlab.synth import simulate

    world = simulate(
        n_customers=n_customers,
        seed=SEED,
        cases_per_customer=CASES_PER_CUSTOMER,
        transactional_per_month=TRANSACTIONAL_PER_MONTH,
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").unlink(missing_ok=True)
    rows = {}
    for name, df in world.tables().items():
        pq.write_table(
            pa.Table.from_pandas(df, preserve_index=False),
            folder / f"{name}.parquet",
            compression="zstd",
            compression_level=3,
        )
        rows[name] = len(df)
    meta = {"as_of": str(world.as_of.date()), "truth": world.truth, "generator": world.params}
    (folder / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return rows


def loader_fingerprint(data_folder: Path) -> str:
    """Hash of the data files and of the validating code: saved validated tables are reused while it holds."""
    import cxlab.fast_rules
    import cxlab.io
    import cxlab.schema

    digest = hashlib.sha256()
    code = [Path(module.__file__) for module in (cxlab.io, cxlab.schema, cxlab.fast_rules)]
    for path in [*code, *sorted(data_folder.iterdir())]:
        if path.is_file():
            digest.update(f"{path.name}:{path.stat().st_size}:{path.stat().st_mtime_ns}".encode())
    return digest.hexdigest()


def has_validated(folder: Path, fingerprint: str) -> bool:
    """Whether ``folder`` holds validated tables saved for this fingerprint."""
    meta = folder / "meta.json"
    return meta.is_file() and json.loads(meta.read_text(encoding="utf-8")).get("fingerprint") == fingerprint


def save_validated(data: CXData, folder: Path, fingerprint: str) -> None:
    """Keep the validated tables of a world as uncompressed Parquet (``meta.json`` last)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").unlink(missing_ok=True)
    for name, df in data.tables().items():
        pq.write_table(
            pa.Table.from_pandas(df, preserve_index=False), folder / f"{name}.parquet", compression="none"
        )
    meta = {
        "as_of": str(data.as_of.date()),
        "as_of_source": data.as_of_source,
        "source": str(data.source),
        "fingerprint": fingerprint,
    }
    (folder / "meta.json").write_text(json.dumps(meta) + "\n", encoding="utf-8")


def read_validated(folder: Path, tables, columns: dict | None = None) -> CXData:
    """The validated tables a step needs (others are None) as a :class:`cxlab.io.CXData`.

    Parameters
    ----------
    folder : pathlib.Path
        A folder written by :func:`save_validated`.
    tables : sequence of str
        Tables to read.
    columns : dict, optional
        Columns to read per table (default: all).
    """
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    columns = columns or {}
    frames = {
        name: pd.read_parquet(folder / f"{name}.parquet", columns=columns.get(name))
        for name in tables
        if (folder / f"{name}.parquet").is_file()
    }
    return CXData(
        customers=frames.get("customers"),
        revenue=frames.get("revenue"),
        surveys=frames.get("surveys"),
        cases=frames.get("cases"),
        as_of=pd.Timestamp(meta["as_of"]),
        as_of_source=meta["as_of_source"],
        source=Path(meta["source"]),
        files={},
    )
