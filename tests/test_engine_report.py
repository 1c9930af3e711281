"""The report run's engines (DuckDB by default, Spark, pandas): the same plan and the same headline figures."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys

import pytest

import cxlab.engine
import cxlab.report
from cxlab.datasets import demo_path
from cxlab.report import ReportError


def test_duckdb_is_the_default_and_plans_the_run_pandas_plans(tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(cxlab.engine.Engine, "__init__", _recording(cxlab.engine.Engine.__init__, opened))
    by_default = cxlab.report.check(data=demo_path(), out=tmp_path)
    assert [options["engine"] for options in opened] == ["duckdb"]
    with_pandas = cxlab.report.check(data=demo_path(), out=tmp_path, engine="pandas")
    assert len(opened) == 1  # pandas loads the tables with cxlab.io.load
    assert by_default == with_pandas and "quarter 2026Q3" in by_default


def _recording(method, calls: list):
    def record(self, data, **options):
        calls.append(options)
        method(self, data, **options)
    return record


def test_an_unknown_engine_is_refused_before_the_data_are_read(tmp_path):
    with pytest.raises(ReportError, match="engine must be one of duckdb, spark, pandas; got 'sqlite'"):
        cxlab.report.check(data=tmp_path / "nothing here", out=tmp_path, engine="sqlite")


@pytest.mark.slow
def test_the_scorecard_page_has_the_same_headlines_with_every_engine(tmp_path):
    figures = {}
    engines = ("duckdb", "pandas", *(("spark",) if _spark_runs() else ()))
    for engine in engines:
        out = tmp_path / engine
        cxlab.report.run(data=demo_path(), out=out, only=["01"], progress=False, engine=engine)
        figures[engine] = sorted(json.loads(p.read_text()) for p in out.glob("2026Q3/**/*.headlines.json"))
        assert json.loads((out / "2026Q3" / "provenance.json").read_text())["validated_by"] == engine
        assert f"</code>, validated with {engine}</dd>" in (out / "2026Q3" / "01_cx_scorecard.html").read_text()
    assert len(figures["duckdb"]) == 1
    assert all(figures[engine] == figures["duckdb"] for engine in engines)


def _spark_runs() -> bool:
    return importlib.util.find_spec("pyspark") is not None and shutil.which("java") is not None


def test_spark_without_pyspark_is_bad_input_naming_the_package(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now raises ImportError
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    needs = r"--engine spark needs the package 'pyspark'.*pip install -e \"\.\[spark\]\""
    with pytest.raises(ReportError, match=needs):
        cxlab.report.check(data=demo_path(), out=tmp_path, engine="spark")
