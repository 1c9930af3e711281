"""A data folder whose tables are folders of Parquet parts, as Spark and DuckDB write them: the report runs on it."""

from __future__ import annotations

import json
import os

import pyarrow.ipc
import pytest

import cxlab.report
from cxlab import io
from cxlab.datasets import demo_path
from cxlab.engine import connect
from cxlab.report import ReportError
from cxlab.report.errors import ReportDataChangedError
from cxlab.report.plan import check_inputs_unchanged, plan_run

TABLES = ("customers", "revenue", "surveys", "cases")


def _copy(data, folder):
    with connect(data) as engine:
        return engine.write_validated_copy(folder)


def test_the_copy_of_parts_holds_the_rows_of_the_single_files_in_order(demo_parts, tmp_path):
    ours, theirs = _copy(demo_parts, tmp_path / "parts"), _copy(demo_path(), tmp_path / "files")
    for table in TABLES:
        written, expected = (pyarrow.ipc.open_file(copy / f"{table}.arrow").read_all() for copy in (ours, theirs))
        assert written.schema.equals(expected.schema) and written.equals(expected), table
    loaded = io.load(demo_parts, validated_copy=ours)  # the notebooks' load: from the copy while it is current
    assert len(loaded.surveys) == len(io.load(demo_path(), tables=["surveys"]).surveys)
    with connect(demo_parts, validated_copy=ours) as engine:
        assert engine.validated_copy == ours


def test_a_changed_part_makes_the_copy_stale(demo_parts, tmp_path, monkeypatch):
    copy = _copy(demo_parts, tmp_path / "copy")
    part = demo_parts / "cases" / "part-1.parquet"
    stat = part.stat()
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        with connect(demo_parts, validated_copy=copy) as engine:
            assert engine.validated_copy is None  # validated again from the parts
        read = []
        original = io._read_parquet
        monkeypatch.setattr(io, "_read_parquet", lambda paths: read.append(paths) or original(paths))
        io.load(demo_parts, validated_copy=copy, tables=["cases"])
        assert [[path.parent.name for path in paths] for paths in read] == [["customers"] * 3, ["cases"] * 3]
    finally:
        os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_the_run_names_and_hashes_every_part(demo_parts, tmp_path):
    plan = plan_run(None, demo_parts, None, tmp_path, False, ["01"], None)
    described = plan.describe()
    assert "customers/part-0.parquet, customers/part-1.parquet" in described and "meta.json" in described
    assert len(plan.input_hashes) == 3 * len(TABLES) + 1
    with open(demo_parts / "surveys" / "part-2.parquet", "ab") as handle:
        handle.write(b"\0")  # an export being rewritten while the report runs
    try:
        with pytest.raises(ReportDataChangedError, match=r"data changed during the run: surveys/part-2.parquet in "):
            check_inputs_unchanged(plan)
    finally:
        with open(demo_parts / "surveys" / "part-2.parquet", "r+b") as handle:
            handle.truncate(os.path.getsize(demo_parts / "surveys" / "part-2.parquet") - 1)
    check_inputs_unchanged(plan)


def test_a_uri_is_refused_before_anything_is_read(tmp_path):
    with pytest.raises(ReportError, match=r"--data s3://bucket/cx: the report runs on a local data folder"):
        cxlab.report.check(data="s3://bucket/cx", out=tmp_path)


@pytest.mark.slow
def test_the_scorecard_page_on_parts_has_the_headlines_of_the_single_files(demo_parts, tmp_path):
    figures = {}
    for name, data in (("parts", demo_parts), ("files", demo_path())):
        out = tmp_path / name
        cxlab.report.run(data=data, out=out, only=["01"], progress=False)
        figures[name] = sorted(json.loads(p.read_text()) for p in out.glob("2026Q3/**/*.headlines.json"))
        if name == "parts":
            provenance = json.loads((out / "2026Q3" / "provenance.json").read_text())
            assert "surveys/part-2.parquet" in provenance["file_hashes"]
    assert len(figures["files"]) == 1 and figures["parts"] == figures["files"]
