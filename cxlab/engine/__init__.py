"""Loading, validation and aggregation where the data live: DuckDB in process, or Spark.

The analyses of cxlab work from aggregates (answers per score and cell, life tables, cohort
counts, revenue per cohort-month). This package computes them with SQL written once and run by
DuckDB (default: out of core over Parquet and CSV, 2 threads) or Spark (``pyspark``; a local
session or a cluster's), so tables larger than memory never enter Python::

    from cxlab.engine import connect
    with connect("data/demo", engine="duckdb") as engine:
        engine.score_distribution("nps", ["segment", "quarter"], touchpoints="relationship")
        engine.life_tables("segment")

The pandas functions (:func:`cxlab.io.load`, :mod:`cxlab.metrics`, :mod:`cxlab.tenure`, ...) keep
working on whole tables and give the same numbers. In a report run, ``connect(folder,
validated_copy=copy)`` queries the run's validated copy (:mod:`cxlab.snapshot`) instead of validating
the folder again; report pages reach it as ``report.engine``.
"""

from cxlab.engine.dialects import DEFAULT_THREADS, REPORT_MEMORY_LIMIT
from cxlab.engine.session import ENGINES, Engine, connect
from cxlab.engine.sources import DataSource, TableSource, locate

__all__ = ["DEFAULT_THREADS", "ENGINES", "REPORT_MEMORY_LIMIT", "DataSource", "Engine", "TableSource", "connect",
           "locate"]
