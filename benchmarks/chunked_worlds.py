"""Benchmark worlds of millions of customers, simulated in chunks and written to Parquet as they come.

:func:`cxlab.synth.simulate` holds a whole world in memory (3.2 GB at 1M customers), so 10M
customers at once would need about 30 GB. Here a world of ``n`` customers is ``ceil(n / chunk)``
independent simulations of ``chunk`` customers (seed ``SEED + k`` for chunk ``k``), each appended
to the four Parquet files as one row group and then dropped, so memory stays that of one chunk.
Identifiers get the chunk as a prefix (``K0003-C0000008``) to stay unique across chunks. Each
chunk is a company of its own drawn from the same generator, so the world's aggregate figures are
those of the generator, not of one simulation of ``n`` customers.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cxlab.synth import simulate

SEED = 20240601
TRANSACTIONAL_PER_MONTH = 0.07
CASES_PER_CUSTOMER = 3.0
CHUNK_CUSTOMERS = 250_000
ID_COLUMNS = ("customer_id", "invitation_id", "case_id")


def world_name(n_customers: int, chunk_customers: int = CHUNK_CUSTOMERS) -> str:
    """Folder name of a chunked world."""
    return f"chunked-n{n_customers}-k{chunk_customers}-s{SEED}-t{TRANSACTIONAL_PER_MONTH:g}-c{CASES_PER_CUSTOMER:g}"


def _prefixed(table: pa.Table, prefix: str) -> pa.Table:
    """Identifiers of one chunk made unique across chunks; columns without a type (all missing) as text."""
    for position, field in enumerate(table.schema):
        column = table.column(position)
        if pa.types.is_null(field.type):
            table = table.set_column(position, pa.field(field.name, pa.string()), column.cast(pa.string()))
        elif field.name in ID_COLUMNS:
            table = table.set_column(position, field, pc.binary_join_element_wise(prefix, column, ""))
    return table


def write_chunked_world(n_customers: int, folder: Path, *, chunk_customers: int = CHUNK_CUSTOMERS,
                        progress=print) -> dict:
    """Simulate ``n_customers`` in chunks and write ``customers``/``revenue``/``surveys``/``cases`` Parquet files.

    Parameters
    ----------
    n_customers : int
        Customers of the world.
    folder : pathlib.Path
        Output folder; ``meta.json`` is written last, so a folder with it is complete.
    chunk_customers : int
        Customers per simulation (memory is about 3.2 KB per customer of a chunk).
    progress : callable
        Called with one line per chunk written.

    Returns
    -------
    dict
        Rows per table.
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "meta.json").unlink(missing_ok=True)
    n_chunks = math.ceil(n_customers / chunk_customers)
    writers: dict[str, pq.ParquetWriter] = {}
    schemas: dict[str, pa.Schema] = {}
    rows: dict[str, int] = {}
    as_of = None
    started = time.perf_counter()
    try:
        for k in range(n_chunks):
            size = min(chunk_customers, n_customers - k * chunk_customers)
            world = simulate(n_customers=size, seed=SEED + k, cases_per_customer=CASES_PER_CUSTOMER,
                             transactional_per_month=TRANSACTIONAL_PER_MONTH)
            as_of = world.as_of
            for name, df in world.tables().items():
                table = _prefixed(pa.Table.from_pandas(df, preserve_index=False), f"K{k:04d}-")
                if name not in writers:
                    schemas[name] = table.schema.remove_metadata()
                    writers[name] = pq.ParquetWriter(folder / f"{name}.parquet", schemas[name], compression="zstd",
                                                     compression_level=3)
                writers[name].write_table(table.select(schemas[name].names).cast(schemas[name]))
                rows[name] = rows.get(name, 0) + table.num_rows
            del world
            progress(f"chunk {k + 1}/{n_chunks}: {size:,} customers, {time.perf_counter() - started:.0f} s")
    finally:
        for writer in writers.values():
            writer.close()
    meta = {"as_of": str(as_of.date()), "generator": {
        "n_customers": n_customers, "chunk_customers": chunk_customers, "seeds": [SEED, SEED + n_chunks - 1],
        "transactional_per_month": TRANSACTIONAL_PER_MONTH, "cases_per_customer": CASES_PER_CUSTOMER}}
    (folder / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n_customers", type=int)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / ".cache")
    parser.add_argument("--chunk", type=int, default=CHUNK_CUSTOMERS)
    args = parser.parse_args(argv)
    folder = args.out / world_name(args.n_customers, args.chunk) / "data"
    rows = write_chunked_world(args.n_customers, folder, chunk_customers=args.chunk)
    print(json.dumps({"folder": str(folder), "rows": rows}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
