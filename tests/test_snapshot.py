"""The validated copy a report run shares with its kernels (cxlab.snapshot)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow
import pytest

from cxlab import io, snapshot, synth


@pytest.fixture(scope="module")
def world_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("world") / "data"
    synth.write_demo(synth.simulate(n_customers=600, seed=5), folder)
    return folder


@pytest.fixture
def data_copy(world_dir, tmp_path, monkeypatch):
    """A private copy of the world (so tests may touch its files) and its validated snapshot."""
    folder = tmp_path / "data"
    shutil.copytree(world_dir, folder)
    monkeypatch.delenv(snapshot.ENV_VAR, raising=False)
    validated = io.load(folder)
    copy = snapshot.write_snapshot(validated, tmp_path / "validated", files=io.find_table_parts(folder))
    monkeypatch.setenv(snapshot.ENV_VAR, str(copy))
    return folder, validated


def _assert_same(left: io.CXData, right: io.CXData, tables, *, read_from_copy=None):
    """Same tables; ``read_from_copy`` (the ``as_arrow_text`` fixture) when ``left`` was read from the copy."""
    for table in tables:
        expected = getattr(right, table)
        pd.testing.assert_frame_equal(getattr(left, table), read_from_copy(expected) if read_from_copy else expected)
    assert left.as_of == right.as_of and left.as_of_source == right.as_of_source
    assert left.truth == right.truth


def test_the_copy_returns_exactly_the_validated_tables(data_copy, monkeypatch, as_arrow_text):
    folder, validated = data_copy
    reads = []
    original = snapshot.pyarrow.memory_map
    monkeypatch.setattr(snapshot.pyarrow, "memory_map",
                        lambda path, *a, **k: reads.append(str(path)) or original(path, *a, **k))
    from_copy = io.load(folder, validated_copy=snapshot.copy_named_in_environment())
    assert reads and all(str(os.environ[snapshot.ENV_VAR]) in path for path in reads)
    _assert_same(from_copy, validated, ["customers", "revenue", "surveys", "cases"], read_from_copy=as_arrow_text)
    assert from_copy.source == folder and from_copy.files == validated.files


def test_tables_argument_reads_only_those_tables(data_copy, as_arrow_text):
    folder, validated = data_copy
    part = io.load(folder, tables=["cases"], validated_copy=snapshot.copy_named_in_environment())
    assert part.revenue is None and part.surveys is None
    _assert_same(part, validated, ["customers", "cases"], read_from_copy=as_arrow_text)


def test_a_changed_file_is_validated_again(data_copy):
    folder, _ = data_copy
    customers = pd.read_csv(folder / "customers.csv", dtype=str)
    customers.loc[3, "monthly_revenue"] = "-5"  # breaks a rule: only validation can notice
    customers.to_csv(folder / "customers.csv", index=False)
    with pytest.raises(io.DataValidationError, match="monthly_revenue"):
        io.load(folder, validated_copy=snapshot.copy_named_in_environment())


def test_another_folder_or_a_mapping_or_an_as_of_is_not_served_from_the_copy(data_copy, tmp_path, monkeypatch):
    folder, validated = data_copy
    other = tmp_path / "other"
    shutil.copytree(folder, other)
    (other / "cases.parquet").unlink()
    assert io.load(other, validated_copy=snapshot.copy_named_in_environment()).cases is None  # its own files

    def refuse(*args, **kwargs):
        raise AssertionError("the copy must not be consulted")

    monkeypatch.setattr(io, "read_snapshot", refuse)
    copy = snapshot.copy_named_in_environment()
    mapped = io.load(folder, columns={"customer_id": "customer_id"}, validated_copy=copy)
    _assert_same(mapped, validated, ["customers", "surveys"])
    earlier = io.load(folder, as_of="2026-12-31", validated_copy=snapshot.copy_named_in_environment())
    assert earlier.as_of == pd.Timestamp("2026-12-31") and earlier.as_of_source == "argument"


def test_rejected_rows_cannot_be_copied(data_copy, tmp_path):
    folder, _ = data_copy
    customers = pd.read_csv(folder / "customers.csv", dtype=str)
    customers.loc[3, "monthly_revenue"] = "-5"
    customers.to_csv(folder / "customers.csv", index=False)
    lenient = io.load(folder, strict=False)
    assert len(lenient.rejected)
    with pytest.raises(ValueError, match="rejected"):
        snapshot.write_snapshot(lenient, tmp_path / "bad", files=io.find_table_parts(folder))


def test_loading_never_reads_the_environment_itself(data_copy, monkeypatch):
    folder, validated = data_copy

    def refuse(*args, **kwargs):
        raise AssertionError("the copy must not be consulted without validated_copy")

    monkeypatch.setattr(io, "read_snapshot", refuse)
    _assert_same(io.load(folder), validated, ["customers", "surveys"])


def test_short_text_is_read_into_arrow_and_long_text_stays_python_strings(tmp_path):
    frame = pd.DataFrame({"customer_id": ["C1", "C2", None], "comment": ["ok", "x" * 500, None], "nps": [1.0, 2, 3]})
    assert snapshot.write_table(pyarrow.Table.from_pandas(frame), tmp_path / "t.arrow") == 3
    read = snapshot.read_with_arrow_text(tmp_path / "t.arrow")
    assert read["customer_id"].dtype == snapshot.ARROW_TEXT and read["comment"].dtype == object
    assert list(read.columns) == list(frame.columns)
    assert read["customer_id"].isna().tolist() == [False, False, True]
    assert (read["customer_id"] == "C2").tolist() == [False, True, False]  # plain booleans, NaN compares False
    assert read["comment"].astype(str).str.len().max() == 500


def test_text_is_long_by_its_characters_not_its_bytes(tmp_path):
    # 40 Cyrillic letters are 80 bytes in UTF-8: short text (at most LONG_TEXT_CHARACTERS = 64 characters)
    frame = pd.DataFrame({"team": ["я" * 40, "ok"], "comment": ["я" * 65, "ok"]})
    snapshot.write_table(pyarrow.Table.from_pandas(frame), tmp_path / "t.arrow")
    read = snapshot.read_with_arrow_text(tmp_path / "t.arrow")
    assert read["team"].dtype == snapshot.ARROW_TEXT and read["comment"].dtype == object


def test_a_table_is_mapped_from_its_file_not_copied(tmp_path):
    frame = pd.DataFrame({"sent_at": pd.date_range("2026-01-01", periods=1000, freq="h"),
                          "nps": np.arange(1000, dtype=float)})
    snapshot.write_table(pyarrow.Table.from_pandas(frame, preserve_index=False), tmp_path / "t.arrow")
    read = snapshot.read_with_arrow_text(tmp_path / "t.arrow")
    pd.testing.assert_frame_equal(read, frame)
    # values without gaps are the file's pages (the kernels of a run share them), so they are read-only
    assert not read["nps"].to_numpy().flags.writeable and not read["sent_at"].to_numpy().flags.writeable


def test_short_text_is_mapped_from_its_file_not_converted(tmp_path):
    ids = pd.Series([f"C{i:09d}" for i in range(200_000)])
    snapshot.write_table(pyarrow.Table.from_pandas(pd.DataFrame({"customer_id": ids})), tmp_path / "t.arrow")
    before = pyarrow.total_allocated_bytes()
    read = snapshot.read_with_arrow_text(tmp_path / "t.arrow")
    # 200,000 ten-character ids are 2.8 MB of text and offsets: converting them would allocate that again
    assert pyarrow.total_allocated_bytes() - before < 100_000
    assert read["customer_id"].dtype == snapshot.ARROW_TEXT
    assert read["customer_id"].iloc[[0, -1]].tolist() == ["C000000000", "C000199999"]


def _private_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no RssAnon in /proc/self/status")


@pytest.mark.skipif(not Path("/proc/self/status").exists() or snapshot._MALLOC_TRIM is None,
                    reason="needs Linux's /proc and the C library's malloc_trim")
def test_release_unused_memory_hands_back_a_freed_c_heap():
    # 200 MB of 2 kB objects (above Python's own small-object allocator, so in the C heap), then one more that
    # stays: it holds the heap's top, so freeing the others cannot shrink the heap by itself
    blocks = [bytes(2048) for _ in range(100_000)]
    kept = bytes(2048)
    del blocks
    held = _private_mb()
    snapshot.release_unused_memory()
    assert held - _private_mb() > 100, "the freed C heap was not handed back"
    assert len(kept) == 2048
