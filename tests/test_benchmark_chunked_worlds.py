"""Chunked benchmark worlds: every chunk appended, identifiers unique across chunks, the world valid."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pyarrow.parquet as pq

from cxlab.engine import connect

_SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "chunked_worlds.py"


def _module():
    spec = importlib.util.spec_from_file_location("chunked_worlds", _SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_world_of_three_chunks_is_one_valid_world(tmp_path):
    chunked_worlds = _module()
    lines = []
    rows = chunked_worlds.write_chunked_world(650, tmp_path, chunk_customers=300, progress=lines.append)
    assert len(lines) == 3 and rows["customers"] == 650  # chunks of 300, 300 and 50 customers
    customers = pq.read_table(tmp_path / "customers.parquet")
    assert customers.num_rows == 650 and pq.ParquetFile(tmp_path / "customers.parquet").num_row_groups == 3
    ids = customers.column("customer_id").to_pylist()
    assert len(set(ids)) == 650 and ids[0].startswith("K0000-") and ids[-1].startswith("K0002-")
    with connect(tmp_path) as engine:  # unique ids, every survey/case/revenue customer known, dates in order
        assert engine.row_counts() == rows
        assert sum(engine.rejected_counts.values()) == 0
