"""cxlab.io.load on tables given as folders of Parquet parts: the single files' rows, and errors naming the part."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from cxlab import io, snapshot
from cxlab.datasets import demo_path

TABLES = ("customers", "revenue", "surveys", "cases")


@pytest.fixture
def editable_parts(demo_parts, tmp_path):
    """A copy of the demo's parts folder that a test may change."""
    return shutil.copytree(demo_parts, tmp_path / "exported")


def test_parts_load_as_the_single_files_do(demo_parts, demo_data, tmp_path):
    for table in TABLES:  # the parts' rows as one Parquet file per table
        getattr(demo_data, table).to_parquet(tmp_path / f"{table}.parquet", index=False)
    shutil.copy(demo_parts / "meta.json", tmp_path)
    loaded, single = io.load(demo_parts), io.load(tmp_path)
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(loaded, table), getattr(single, table))
        assert len(getattr(loaded, table)) == len(getattr(demo_data, table))
    assert loaded.as_of == single.as_of == demo_data.as_of
    assert loaded.files["surveys"] == demo_parts / "surveys"


def test_a_broken_rule_names_the_part_and_its_row(editable_parts):
    part = editable_parts / "surveys" / "part-1.parquet"
    frame = pd.read_parquet(part)
    frame.loc[4, "nps"] = 11  # the part's fifth data row
    frame.to_parquet(part, index=False)
    with pytest.raises(io.DataValidationError, match=r"part-1\.parquet: column 'nps' .*1 row\(s\) \[5\]"):
        io.load(editable_parts)
    kept = io.load(editable_parts, strict=False)
    rejected = kept.rejected[kept.rejected["column"] == "nps"]
    assert rejected[["file", "row"]].values.tolist() == [[str(part), 5]]
    assert len(kept.surveys) == len(io.load(demo_path(), tables=["surveys"]).surveys) - 1


def test_an_unreadable_part_is_named(editable_parts):
    part = editable_parts / "cases" / "part-2.parquet"
    part.write_bytes(part.read_bytes()[:-100])
    with pytest.raises(io.DataValidationError, match=r"cases/part-2\.parquet: not a readable Parquet file"):
        io.load(editable_parts)


def test_a_part_with_other_columns_is_named(editable_parts):
    part = editable_parts / "revenue" / "part-2.parquet"
    pd.read_parquet(part).rename(columns={"amount": "value"}).to_parquet(part, index=False)
    with pytest.raises(io.DataValidationError, match=r"revenue/part-2\.parquet: its columns .* differ from those "
                                                     r"of part-0\.parquet"):
        io.load(editable_parts)


def test_a_folder_of_one_part_names_the_part(tmp_path, demo_data):
    (tmp_path / "customers").mkdir()
    frame = demo_data.customers.copy()
    frame.loc[2, "acquired_at"] = pd.NaT
    frame.to_parquet(tmp_path / "customers" / "part-0.parquet", index=False)
    with pytest.raises(io.DataValidationError, match=r"customers/part-0\.parquet: column 'acquired_at' .*\[3\]"):
        io.load(tmp_path)


def test_a_copy_of_parts_loaded_by_pandas_is_current(demo_parts, tmp_path, monkeypatch):
    # the copy a pandas-validated report run writes stamps every part, so its kernels read the copy
    loaded = io.load(demo_parts)
    copy = snapshot.write_snapshot(loaded, tmp_path / "copy", files=io.find_table_parts(demo_parts))
    assert snapshot.current_manifest(copy, demo_parts, io.find_table_parts(demo_parts)) is not None
    monkeypatch.setattr(io, "_read_parquet", lambda paths: pytest.fail(f"read {paths} instead of the copy"))
    assert len(io.load(demo_parts, validated_copy=copy).surveys) == len(loaded.surveys)

