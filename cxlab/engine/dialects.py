"""What differs between the SQL engines: reading files into views, time arithmetic, fetching results.

Every query of :mod:`cxlab.engine` is written once, in the SQL that DuckDB and Spark SQL share
(``CASE``, ``COALESCE``, ``TRY_CAST``, ``year()``, ``quarter()``, ``FLOOR``/``CEIL``, window-free
``GROUP BY``). The few things they spell differently live here, behind one small interface:

* :meth:`Dialect.register` makes a view of one table's files with two added columns, ``_file``
  (the file a row came from) and ``_row`` (its 0-based data row in that file);
* :meth:`Dialect.epoch_us` turns a timestamp into microseconds since 1970-01-01;
* :meth:`Dialect.float_sum` sums floating-point values (DuckDB compensates, so threads cannot change the total);
* :meth:`Dialect.frame` runs a query and returns a pandas DataFrame;
* :meth:`Dialect.batches` streams a query's rows as Arrow record batches, in order;
* :meth:`Dialect.query_errors` names the exceptions the engine raises for a query it cannot run.

Timestamps carry no time zone (naive, as in the files); the Spark session runs in UTC so that no
local-time shift enters the arithmetic.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow

from cxlab.snapshot import frame_with_arrow_text

__all__ = ["DEFAULT_THREADS", "DIALECTS", "REPORT_MEMORY_LIMIT", "DuckDBDialect", "SparkDialect"]

DEFAULT_THREADS = 2
# DuckDB's working memory in a report run, in its validation and in each page's engine, beyond which it spills to
# disk: the cohort revenue of 10M customers (220M revenue rows) fails at 2 GB; without a limit DuckDB takes up to
# 80% of the machine's memory (18.5 GB to validate the 10M world, against 3.5 GB within 3 GB, in the same time)
REPORT_MEMORY_LIMIT = "3GB"


def _quoted(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _kind(sql_type: str) -> str:
    """The kind of an SQL type name of DuckDB or Spark."""
    sql_type = sql_type.lower()
    if sql_type in ("varchar", "string") or sql_type.startswith("varchar"):
        return "text"
    if sql_type.startswith(("timestamp", "date")):
        return "date"
    if sql_type.startswith(("double", "float", "real", "decimal", "bigint", "int", "smallint", "tinyint", "hugeint",
                            "ubigint", "uinteger", "long", "short", "byte")):
        return "number"
    return "other"


class DuckDBDialect:
    """DuckDB in process: out of core over Parquet and CSV, spilling to ``temp_directory``.

    Parameters
    ----------
    threads : int
        Worker threads (default 2).
    memory_limit : str, optional
        DuckDB's memory limit, e.g. ``"2GB"``; beyond it, operators spill to disk. Default:
        DuckDB's own (80% of the machine's memory).
    temp_directory : str or pathlib.Path, optional
        Where spilled data go. Default: a private temporary folder, removed on :meth:`close` (an
        in-memory DuckDB database without one cannot spill, and the uniqueness rules over hundreds
        of millions of keys then fail at the memory limit instead of going to disk).

    Notes
    -----
    DuckDB's allocator hands freed memory back to the system after every task (by default it
    keeps up to 128 MB per thread, and a report kernel that has run a few large queries held
    about 400 MB it no longer used).
    """

    name = "duckdb"
    keeps_scan_order = True  # "preserve_insertion_order": rows come out in the files' order without sorting

    def __init__(self, *, threads: int = DEFAULT_THREADS, memory_limit: str | None = None,
                 temp_directory: str | Path | None = None):
        import duckdb

        config = {"threads": int(threads), "preserve_insertion_order": True, "allocator_flush_threshold": "0MB",
                  "allocator_background_threads": True}
        if memory_limit:
            config["memory_limit"] = str(memory_limit)
        self._spill = None if temp_directory else tempfile.TemporaryDirectory(prefix="cxlab-duckdb-")
        config["temp_directory"] = str(temp_directory) if temp_directory else self._spill.name
        self.connection = duckdb.connect(database=":memory:", config=config)
        try:  # no progress bars in the logs of unattended runs
            self.connection.execute("SET enable_progress_bar = false")
        except duckdb.InvalidInputException:  # Jupyter without ipywidgets refuses the setting, and draws no bars
            pass

    @staticmethod
    def query_errors() -> tuple[type[Exception], ...]:
        """What DuckDB raises for a query it cannot run, e.g. over a file it cannot read."""
        import duckdb

        return (duckdb.Error,)

    def register(self, view: str, files: list[str], file_format: str, label: str) -> None:
        """Create ``view`` over ``files`` (one table) with ``_file`` and ``_row``; ``label`` names the source."""
        paths = "[" + ", ".join(_quoted(f) for f in files) + "]"
        if file_format == "parquet":
            source = f"read_parquet({paths}, filename = true, file_row_number = true)"
            rows = "CAST(file_row_number AS BIGINT)"
            excluded = "filename, file_row_number"
        else:
            # CSV has no row-number column: number the rows as the scan delivers them (in file order, a
            # streaming window), then count from each file's first row. A window partitioned by file
            # numbers rows in the order its parallel partitions arrive, which is not the file's.
            source = (f"(SELECT *, row_number() OVER () AS _scanned FROM read_csv({paths}, header = true, "
                      "all_varchar = true, filename = true))")
            rows = "CAST(_scanned - MIN(_scanned) OVER (PARTITION BY filename) AS BIGINT)"
            excluded = "filename, _scanned"
        file_column = _quoted(label) if len(files) == 1 else "filename"
        self.connection.execute(
            f"CREATE OR REPLACE VIEW {view} AS SELECT * EXCLUDE ({excluded}), {file_column} AS _file, "
            f"{rows} AS _row FROM {source}"
        )

    def register_frame(self, view: str, frame: pd.DataFrame) -> None:
        """Make a pandas DataFrame or an Arrow table queryable as ``view`` (read in place, not copied)."""
        self.connection.register(f"{view}_frame", frame)
        self.connection.execute(f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM {view}_frame")

    def columns(self, view: str) -> dict[str, str]:
        """Column names of a view and their kind: ``"text"``, ``"number"``, ``"date"`` or ``"other"``."""
        return {name: _kind(kind) for name, kind, *_ in self.connection.execute(f"DESCRIBE {view}").fetchall()}

    def create_view(self, view: str, query: str) -> None:
        """Name a query."""
        self.connection.execute(f"CREATE OR REPLACE VIEW {view} AS {query}")

    @staticmethod
    def epoch_us(expression: str) -> str:
        """SQL for microseconds since 1970-01-01 of a timestamp expression."""
        return f"epoch_us(CAST({expression} AS TIMESTAMP))"

    @staticmethod
    def float_sum(expression: str) -> str:
        """SQL sum of floating-point values, compensated (``fsum``): the same total whatever order threads add in."""
        return f"fsum({expression})"

    @staticmethod
    def hash64(expressions: str) -> str:
        """SQL for a 64-bit hash of one or more comma-separated expressions (equal values, equal hashes)."""
        return f"hash({expressions})"

    def repeated_hashes(self, keys: str, view: str, where: str) -> str:
        """SQL of ``n``: the rows of ``view`` (where ``where`` holds) whose keys hash as an earlier row's; 0: none.

        The hashes are sorted and each is compared with the one before: on the 22M revenue rows of
        the 1M-customer benchmark world that takes about 1.1 s, where counting the distinct hashes
        (a hash table of 22M entries) takes 1.5-2.0 s.
        """
        return (f"SELECT COUNT(*) AS n FROM (SELECT h, lag(h) OVER (ORDER BY h) AS previous FROM "
                f"(SELECT {self.hash64(keys)} AS h FROM {view} WHERE {where}) hashes) ordered WHERE h = previous")

    def frame(self, query: str) -> pd.DataFrame:
        """Run a query; its result as a pandas DataFrame."""
        return self.connection.execute(query).df()

    @contextlib.contextmanager
    def batches(self, query: str) -> Iterator[pyarrow.RecordBatchReader]:
        """Run a query; its rows as a stream of Arrow record batches, in the query's order."""
        yield pyarrow.RecordBatchReader.from_stream(self.connection.sql(query))

    def text_frame(self, query: str) -> pd.DataFrame:
        """Run a query; its result as a pandas DataFrame with text held as a report's kernels hold it
        (:func:`cxlab.snapshot.frame_with_arrow_text`: short text as Arrow-backed strings, no Python object per value;
        comments as Python strings) and timestamps in nanoseconds; for results of many rows."""
        table = pyarrow.table(self.connection.sql(query))  # through the Arrow stream interface
        return frame_with_arrow_text(table, coerce_temporal_nanoseconds=True)

    def close(self) -> None:
        """Release the connection and remove the private spill folder."""
        self.connection.close()
        if self._spill is not None:
            self._spill.cleanup()


class SparkDialect:
    """Spark SQL through pyspark: a local session by default, or any session given (a cluster).

    Parameters
    ----------
    session : pyspark.sql.SparkSession, optional
        A running session (e.g. on a cluster). Default: ``local[threads]`` with
        ``spark.driver.memory`` set from ``driver_memory``.
    threads : int
        Cores of the local session (default 2).
    driver_memory : str
        Memory of the local session's driver JVM (default ``"2g"``).
    """

    name = "spark"
    keeps_scan_order = False  # partitions come back in any order

    def __init__(self, *, session=None, threads: int = DEFAULT_THREADS, driver_memory: str = "2g"):
        from pyspark.sql import SparkSession

        if session is None:
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            session = (SparkSession.builder.master(f"local[{int(threads)}]").appName("cxlab")
                       .config("spark.driver.memory", driver_memory)
                       .config("spark.sql.shuffle.partitions", str(max(4, 2 * int(threads))))
                       .config("spark.ui.enabled", "false")
                       .config("spark.ui.showConsoleProgress", "false")
                       .config("spark.sql.session.timeZone", "UTC")
                       .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                       .config("spark.sql.legacy.parquet.nanosAsLong", "true")
                       .getOrCreate())
        session.conf.set("spark.sql.session.timeZone", "UTC")
        session.sparkContext.setLogLevel("ERROR")
        # pandas writes nanosecond timestamps, which Spark reads only as integers: converted in register()
        session.conf.set("spark.sql.legacy.parquet.nanosAsLong", "true")
        self.session = session

    @staticmethod
    def query_errors() -> tuple[type[Exception], ...]:
        """What Spark raises for a query it cannot run, e.g. over a file it cannot read."""
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException

        return (PySparkException, Py4JJavaError)

    def register(self, view: str, files: list[str], file_format: str, label: str) -> None:
        """Create ``view`` over ``files`` with ``_file`` and ``_row`` (row order within each file)."""
        from pyspark import StorageLevel
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        reader = self.session.read
        if file_format == "parquet":
            df = reader.parquet(*files)
            for name in _nanosecond_columns(files[0]):
                df = df.withColumn(name, F.timestamp_micros(F.floor(F.col(name) / 1000)))
        else:
            df = reader.option("header", True).option("inferSchema", False).csv(files)
        df = df.withColumn("_file", F.input_file_name() if len(files) > 1 else F.lit(label))
        if file_format == "parquet":  # Spark knows each Parquet row's position in its file
            df = df.withColumn("_row", F.col("_metadata.row_index").cast("bigint"))
        else:  # a CSV file's rows in the order Spark reads them
            order = Window.partitionBy("_file").orderBy(F.monotonically_increasing_id())
            df = df.withColumn("_row", (F.row_number().over(order) - 1).cast("bigint"))
        # validation and the aggregates read each table several times: kept (memory, then disk) after the first
        df.persist(StorageLevel.MEMORY_AND_DISK).createOrReplaceTempView(view)

    def register_frame(self, view: str, frame: pd.DataFrame) -> None:
        """Make a small pandas DataFrame queryable as ``view``."""
        self.session.createDataFrame(frame).createOrReplaceTempView(view)

    def columns(self, view: str) -> dict[str, str]:
        """Column names of a view and their kind: ``"text"``, ``"number"``, ``"date"`` or ``"other"``."""
        return {name: _kind(kind) for name, kind in self.session.table(view).dtypes}

    def create_view(self, view: str, query: str) -> None:
        """Name a query."""
        self.session.sql(query).createOrReplaceTempView(view)

    @staticmethod
    def epoch_us(expression: str) -> str:
        """SQL for microseconds since 1970-01-01 of a timestamp expression."""
        return f"unix_micros(CAST({expression} AS TIMESTAMP))"

    @staticmethod
    def float_sum(expression: str) -> str:
        """SQL sum of floating-point values."""
        return f"SUM({expression})"

    @staticmethod
    def hash64(expressions: str) -> str:
        """SQL for a 64-bit hash of one or more comma-separated expressions (equal values, equal hashes)."""
        return f"xxhash64({expressions})"

    def repeated_hashes(self, keys: str, view: str, where: str) -> str:
        """SQL of ``n``: the rows of ``view`` (where ``where`` holds) whose keys hash as an earlier row's; 0: none.

        Rows less distinct hashes: a window ordered over all rows would run in a single partition.
        """
        return f"SELECT COUNT(*) - COUNT(DISTINCT {self.hash64(keys)}) AS n FROM {view} WHERE {where}"

    def frame(self, query: str) -> pd.DataFrame:
        """Run a query; its result as a pandas DataFrame."""
        return self.session.sql(query).toPandas()

    @contextlib.contextmanager
    def batches(self, query: str) -> Iterator[pyarrow.RecordBatchReader]:
        """Run a query; its rows as a stream of Arrow record batches, in the query's order.

        Spark writes the sorted result as Parquet part files, one per partition in the order of the
        sort, into a temporary folder of this machine (removed afterwards), and the part files are read
        back batch by batch in that order: no more than a batch is held in Python. The folder must be
        one Spark's executors write to, as in local mode.
        """
        import pyarrow.parquet as pq

        with tempfile.TemporaryDirectory(prefix="cxlab-spark-") as folder:
            written = Path(folder) / "rows"
            self.session.sql(query).write.parquet(str(written))
            parts = sorted(written.glob("part-*.parquet"))
            schema = pq.read_schema(parts[0])
            yield pyarrow.RecordBatchReader.from_batches(
                schema, (batch for part in parts for batch in pq.ParquetFile(part).iter_batches()))

    def text_frame(self, query: str) -> pd.DataFrame:
        """Run a query; its result as a pandas DataFrame with text held as a report's kernels hold it
        (:func:`cxlab.snapshot.frame_with_arrow_text`) and timestamps in nanoseconds, as :meth:`frame` gives them."""
        table = self.session.sql(query).toArrow()
        # the session's time zone is UTC: its instants are the wall-clock times the other results hold
        naive = [pyarrow.field(f.name, pyarrow.timestamp(f.type.unit)) if pyarrow.types.is_timestamp(f.type) else f
                 for f in table.schema]
        return frame_with_arrow_text(table.cast(pyarrow.schema(naive)), coerce_temporal_nanoseconds=True)

    def close(self) -> None:
        """Spark sessions are shared by the process; they stay open for the next engine."""


def _nanosecond_columns(path: str) -> list[str]:
    """Columns of a Parquet file stored as nanosecond timestamps (as pandas writes datetimes)."""
    import pyarrow.fs
    import pyarrow.parquet as pq

    filesystem, location = pyarrow.fs.FileSystem.from_uri(path) if "://" in path else (None, path)
    arrow_schema = pq.read_schema(location, filesystem=filesystem)
    return [field.name for field in arrow_schema
            if str(field.type).startswith("timestamp[ns")]


DIALECTS = {"duckdb": DuckDBDialect, "spark": SparkDialect}
