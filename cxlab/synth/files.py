"""Writing and reading a simulated world as a data folder, and the command line
(``python -m cxlab.synth --out data/demo``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cxlab.schema import DATE_COLUMNS
from cxlab.synth.model import SimulatedWorld
from cxlab.synth.parameters import (
    DEFAULT_END,
    DEFAULT_N_CUSTOMERS,
    DEFAULT_SEED,
    DEFAULT_START,
    DEFAULT_TRANSACTIONAL_PER_MONTH,
)
from cxlab.synth.simulation import simulate

__all__ = ["TABLE_FILES", "main", "read_demo", "write_demo"]


# --------------------------------------------------------------------------- files
TABLE_FILES = {"customers": "customers.csv", "revenue": "revenue.parquet", "surveys": "surveys.parquet",
               "cases": "cases.parquet"}


def write_demo(world: SimulatedWorld, folder: str | Path, compression_level: int = 19) -> dict[str, Path]:
    """Write a world as a cxlab data folder with ``meta.json``.

    ``customers`` goes to CSV (dates as ``YYYY-MM-DD``), the other tables to
    zstd-compressed Parquet (timestamps and row ids delta-encoded).

    Parameters
    ----------
    world : SimulatedWorld
        Output of :func:`simulate`.
    folder : str or pathlib.Path
        Target folder, created if needed.
    compression_level : int, default 19
        zstd level for the Parquet files (lower is faster for big worlds).

    Returns
    -------
    dict of str to pathlib.Path
        Written file per table plus ``meta``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    row_ids = {"surveys": "invitation_id", "cases": "case_id"}
    for name, df in world.tables().items():
        path = folder / TABLE_FILES[name]
        if path.suffix == ".csv":
            df.to_csv(path, index=False, date_format="%Y-%m-%d", lineterminator="\n")
        else:
            encoding = {c: "DELTA_BINARY_PACKED" for c in DATE_COLUMNS[name]}
            if name in row_ids:
                encoding[row_ids[name]] = "DELTA_BYTE_ARRAY"
            table = pa.Table.from_pandas(df, preserve_index=False)
            pq.write_table(table, path, compression="zstd", compression_level=compression_level,
                           use_dictionary=[c for c in df.columns if c not in encoding], column_encoding=encoding)
        paths[name] = path
    meta = {"as_of": str(world.as_of.date()), "truth": world.truth, "generator": world.params}
    paths["meta"] = folder / "meta.json"
    paths["meta"].write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths


def read_demo(folder: str | Path) -> tuple[dict[str, pd.DataFrame], dict]:
    """Read a folder written by :func:`write_demo`.

    Parameters
    ----------
    folder : str or pathlib.Path

    Returns
    -------
    tables : dict of str to pandas.DataFrame
        Same columns and dtypes as :func:`simulate` returns.
    meta : dict
        Parsed ``meta.json``.
    """
    folder = Path(folder)
    tables = {}
    for name, file in TABLE_FILES.items():
        path = folder / file
        if path.suffix == ".csv":
            df = pd.read_csv(path, dtype={"customer_id": str}, parse_dates=list(DATE_COLUMNS[name]))
        else:
            df = pd.read_parquet(path, engine="pyarrow")
        for col in DATE_COLUMNS[name]:
            df[col] = df[col].astype("datetime64[ns]")
        tables[name] = df
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return tables, meta


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m cxlab.synth --out data/demo``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code.
    """
    parser = argparse.ArgumentParser(prog="python -m cxlab.synth", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--n-customers", type=int, default=DEFAULT_N_CUSTOMERS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--start", default=DEFAULT_START)
    parser.add_argument("--end", default=DEFAULT_END)
    parser.add_argument("--cases-per-customer", type=float, default=None)
    parser.add_argument("--transactional-per-month", type=float, default=DEFAULT_TRANSACTIONAL_PER_MONTH)
    args = parser.parse_args(argv)
    world = simulate(n_customers=args.n_customers, seed=args.seed, start=args.start, end=args.end,
                     cases_per_customer=args.cases_per_customer,
                     transactional_per_month=args.transactional_per_month)
    paths = write_demo(world, args.out)
    for name, path in paths.items():
        print(f"{name:10s} {path}  {path.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
