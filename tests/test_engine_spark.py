"""Spark (local mode) gives the same validation and aggregates as DuckDB on the demo.

One local Spark session serves the module; the tests skip when pyspark or Java is missing.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pyarrow.ipc
import pytest

from cxlab import touchpoints
from cxlab.datasets import demo_path
from cxlab.engine import connect

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java", allow_module_level=True)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def engines():
    duck = connect(demo_path(), engine="duckdb")
    spark = connect(demo_path(), engine="spark", threads=2, driver_memory="1g")
    yield duck, spark
    duck.close()
    spark.close()
    spark.dialect.session.stop()


AGGREGATES = {
    "relationship NPS by segment x quarter": lambda e: e.score_distribution("nps", ["segment", "quarter"],
                                                                             touchpoints="relationship"),
    "CSAT by touchpoint x quarter": lambda e: e.score_distribution("csat", ["touchpoint", "quarter"]),
    "NPS design effects": lambda e: e.design_effects("nps", ["segment", "quarter"], touchpoints="relationship"),
    "response counts": lambda e: e.response_counts(["touchpoint", "quarter"], as_of="2026-06-30"),
    "life tables by segment": lambda e: e.life_tables("segment"),
    "cohort retention": lambda e: e.cohort_alive(cohort="quarter", period="month"),
    "revenue per cohort-month": lambda e: e.revenue_by_cohort_month(),
    "cohort revenue retention by quarter": lambda e: e.cohort_table(cohort="quarter", period="quarter"),
    "pooled revenue retention": lambda e: e.revenue_retention(months=12),
    "scorecard from its cells": lambda e: touchpoints.scorecard_from_cells(e.survey_cells(as_of="2026-06-30")),
    "latest comments": lambda e: e.latest_comments(quarter="2026Q2", per_touchpoint=2, as_of="2026-06-30"),
    "driver frame": lambda e: e.driver_frame(as_of="2025-06-30", window_days=90),
    "answered rows": lambda e: e.answered_rows(["customer_id", "sent_at", "csat"], touchpoints="support"),
    "response counts by segment, mature": lambda e: e.response_counts("segment", response_window_days=7),
    "first invitations": lambda e: e.first_invitations(as_of="2026-06-30"),
    "invitation history": lambda e: e.invitation_history(as_of="2026-06-30", sent_after="2025-06-30"),
}


def test_spark_validates_the_demo_as_duckdb(engines):
    duck, spark = engines
    assert spark.row_counts() == duck.row_counts()
    assert spark.as_of == duck.as_of and spark.rejected_counts == duck.rejected_counts


@pytest.mark.parametrize("name", list(AGGREGATES))
def test_spark_aggregates_equal_duckdb(engines, name):
    duck, spark = engines
    # Spark adds floating-point revenue in its own order (DuckDB's sum is compensated): equal to rounding
    pd.testing.assert_frame_equal(AGGREGATES[name](spark), AGGREGATES[name](duck), check_dtype=False, rtol=1e-12)


def test_spark_text_frames_hold_their_columns_as_duckdb_does(engines):
    # short text as Arrow-backed strings, comments as Python strings, naive nanosecond timestamps: the pages
    # join and compare these columns with those of the loaded tables, so the kinds must agree, not only the values
    duck, spark = engines
    columns = ["customer_id", "responded_at", "comment", "nps"]
    for rows in (lambda e: e.answered_rows(columns, touchpoints="relationship"),
                 lambda e: e.invitation_history(as_of="2026-06-30", sent_after="2025-06-30")):
        ours, theirs = rows(spark), rows(duck)
        pd.testing.assert_series_equal(ours.dtypes, theirs.dtypes)
        pd.testing.assert_frame_equal(ours, theirs, rtol=1e-12)


def test_spark_writes_the_validated_copy_duckdb_writes(engines, tmp_path):
    # the copy is what a report run's kernels read: the same schema and rows, in file order, whichever engine
    # validated the folder (Spark streams it back through Parquet part files, read in the order of its sort)
    duck, spark = engines
    ours = spark.write_validated_copy(tmp_path / "spark")
    theirs = duck.write_validated_copy(tmp_path / "duckdb")
    for table in ("customers", "revenue", "surveys", "cases"):
        written, expected = (pyarrow.ipc.open_file(folder / f"{table}.arrow").read_all() for folder in (ours, theirs))
        assert written.schema.equals(expected.schema), table
        assert written.num_rows == duck.row_counts()[table] and written.equals(expected), table
    assert json.loads((ours / "manifest.json").read_text()) == json.loads((theirs / "manifest.json").read_text())
    with connect(demo_path(), validated_copy=ours) as from_copy:
        assert from_copy.validated_copy == ours


def test_both_dialects_count_the_rows_beyond_the_first_of_each_hash(engines):
    # keys a, b, a, c, a, b: two more a's and one more b than distinct keys, by hand 3 rows repeat a hash
    keys = pd.DataFrame({"key": ["a", "b", "a", "c", "a", "b"], "month": [1, 1, 1, 1, 1, 1]})
    for engine in engines:
        engine.dialect.register_frame("repeats", keys)
        for where, repeated in (("TRUE", 3), ("key <> 'a'", 1), ("key = 'c'", 0)):
            query = engine.dialect.repeated_hashes("key, month", "repeats", where)
            assert int(engine.dialect.frame(query)["n"].iloc[0]) == repeated, (engine.dialect.name, where)
