"""The report run with ``engine="duckdb"``: the same plan as with pandas, and the same headline figures."""

from __future__ import annotations

import json

import pytest

import cxlab.report
from cxlab.datasets import demo_path
from cxlab.report import ReportError


def test_the_duckdb_engine_plans_the_run_pandas_plans(tmp_path):
    with_pandas = cxlab.report.check(data=demo_path(), out=tmp_path)
    with_duckdb = cxlab.report.check(data=demo_path(), out=tmp_path, engine="duckdb")
    assert with_duckdb == with_pandas and "quarter 2026Q3" in with_duckdb


def test_engines_that_cannot_write_the_notebooks_copy_are_refused(tmp_path):
    with pytest.raises(ReportError, match="only duckdb writes"):
        cxlab.report.check(data=demo_path(), out=tmp_path, engine="spark")
    with pytest.raises(ReportError, match="engine must be one of"):
        cxlab.report.check(data=demo_path(), out=tmp_path, engine="sqlite")


@pytest.mark.slow
def test_the_scorecard_page_has_the_same_headlines_with_duckdb(tmp_path):
    figures = {}
    for engine in (None, "duckdb"):
        out = tmp_path / (engine or "pandas")
        cxlab.report.run(data=demo_path(), out=out, only=["01"], progress=False, engine=engine)
        figures[engine] = sorted(json.loads(p.read_text()) for p in out.glob("2026Q3/**/*.headlines.json"))
    assert figures["duckdb"] == figures[None] and len(figures[None]) == 1
