"""An engine session over one data source: validated views, the as-of date, and the aggregates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cxlab import drivers, metrics, schema, snapshot
from cxlab.engine import queries, tables, validation
from cxlab.engine.dialects import DEFAULT_THREADS, DIALECTS
from cxlab.engine.sources import DataSource, locate
from cxlab.io import REJECTED_COLUMNS, DataValidationError
from cxlab.metrics.cells import DEFAULT_HIT_SCORES
from cxlab.retention import period_months, revenue_retention_from_sums
from cxlab.schema import RELATIONSHIP
from cxlab.touchpoints import HEADLINE_METRICS, OVERALL_QUESTIONS, SCORE_LABELS, SurveyCells

__all__ = ["ENGINES", "Engine", "connect"]

ENGINES = tuple(DIALECTS)


class Engine:
    """Validated tables of a data source in DuckDB or Spark, and the aggregates the analyses need.

    Opening an engine checks every rule of :mod:`cxlab.schema` as queries, with the failures and
    messages of :func:`cxlab.io.load`; nothing is brought into Python but the failures and the
    aggregates asked for.

    Parameters
    ----------
    data : str or pathlib.Path
        Data folder or URI (see :mod:`cxlab.engine.sources`).
    engine : {"duckdb", "spark"}
        DuckDB in process (default) or Spark (a local session, or ``spark_session``).
    strict : bool, default True
        As in :func:`cxlab.io.load`: raise on any broken rule, or keep the valid rows and list the
        rejected ones in :attr:`rejected`.
    as_of : str or pandas.Timestamp, optional
        The data's as-of date; default ``meta.json``'s, else the latest date in the data.
    validated_copy : str or pathlib.Path, optional
        A validated copy of this data folder (:mod:`cxlab.snapshot`, as a report run gives its
        kernels). While it is current (:func:`cxlab.snapshot.current_manifest`), the engine queries
        its tables, mapped from the files, instead of validating the folder again; with DuckDB,
        ``strict=True`` and no ``as_of`` only, the calls it stands in for.
    threads : int
        Threads (DuckDB) or local cores (Spark); default 2.
    memory_limit : str, optional
        DuckDB's memory limit (e.g. ``"2GB"``), beyond which it spills to disk.
    temp_directory : str, optional
        Where DuckDB spills.
    spark_session : pyspark.sql.SparkSession, optional
        A running Spark session (e.g. on a cluster) instead of a local one.
    driver_memory : str
        Memory of a local Spark driver (default ``"2g"``).

    Attributes
    ----------
    name : str
        ``"duckdb"`` or ``"spark"``.
    source : DataSource
    as_of : pandas.Timestamp
    as_of_source : str
    rejected : pandas.DataFrame
        Rejected rows (table, file, row, column, rule, value; 1-based rows); empty with ``strict=True``.
    validated_copy : pathlib.Path or None
        The validated copy the engine reads, if it reads one.

    Examples
    --------
    >>> from cxlab.datasets import demo_path
    >>> with Engine(demo_path()) as engine:
    ...     str(engine.as_of.date())
    '2026-09-30'
    """

    def __init__(self, data, *, engine: str = "duckdb", strict: bool = True, as_of=None, validated_copy=None,
                 threads: int = DEFAULT_THREADS, memory_limit: str | None = None, temp_directory=None,
                 spark_session=None, driver_memory: str = "2g"):
        if engine not in DIALECTS:
            raise ValueError(f"engine must be one of {ENGINES}; got {engine!r}")
        self.name = engine
        self.source: DataSource = locate(data)
        if engine == "duckdb":
            self.dialect = DIALECTS[engine](threads=threads, memory_limit=memory_limit, temp_directory=temp_directory)
        else:
            self.dialect = DIALECTS[engine](session=spark_session, threads=threads, driver_memory=driver_memory)
        self._strict = strict
        self._billing_faults: dict[pd.Timestamp, int] = {}
        copy_stands_in = validated_copy is not None and strict and as_of is None
        manifest = self._current_copy(validated_copy) if copy_stands_in else None
        self.validated_copy = Path(validated_copy) if manifest is not None else None
        if manifest is None:
            self._validate(strict, as_of)
        else:
            self._open_copy(manifest)

    def _current_copy(self, copy) -> dict | None:
        """The manifest of ``copy`` if it is a current validated copy of this local folder (DuckDB only)."""
        if self.name != "duckdb" or "://" in self.source.location:
            return None
        return snapshot.current_manifest(copy, self.source.location, self._local_files())

    def _local_files(self) -> dict[str, list[Path]]:
        """Each table's files in the local folder: its one file or its Parquet parts."""
        return {table: [Path(f) for f in t.files] for table, t in self.source.tables.items()}

    def _open_copy(self, manifest: dict) -> None:
        """Make the validated copy's tables the valid views, mapped from its files, without validating again."""
        self._present = {}
        for table, entry in manifest["tables"].items():
            self.dialect.register_frame(f"valid_{table}", snapshot.mapped_table(self.validated_copy / entry["file"]))
            self._present[table] = self.dialect.columns(f"valid_{table}")
        self.as_of, self.as_of_source = pd.Timestamp(manifest["as_of"]), manifest["as_of_source"]
        self.rejected = pd.DataFrame(columns=REJECTED_COLUMNS)

    # -- loading and validation -------------------------------------------------------------------

    def _validate(self, strict: bool, as_of) -> None:
        self._present = present = {}
        for table, table_source in self.source.tables.items():
            raw = f"raw_{table}"
            self.dialect.register(raw, table_source.files, table_source.file_format, table_source.label)
            present[table] = {c: kind for c, kind in self.dialect.columns(raw).items()
                              if c not in ("_file", "_row")}
            missing = [c for c in schema.required_columns(table) if c not in present[table]]
            if missing:
                raise DataValidationError(
                    f"{table_source.label}: missing column(s) {missing} of table '{table}'; "
                    f"found {list(present[table])}. "
                    "Rename them or map them with load(..., columns={'<cxlab name>': '<your column>'})")
            if int(self.dialect.frame(f"SELECT COUNT(*) AS n FROM {raw}")["n"].iloc[0]) == 0:
                raise DataValidationError(f"{table_source.label}: table '{table}' has a header but no rows")
            self.dialect.create_view(f"typed_{table}", validation.typed_view_sql(raw, table, present[table]))
        failures = validation.column_failures(self.dialect, self.source, present)
        if as_of is not None:
            self.as_of, self.as_of_source = pd.Timestamp(as_of).normalize(), "argument"
        elif "as_of" in self.source.meta:
            self.as_of, self.as_of_source = pd.Timestamp(self.source.meta["as_of"]).normalize(), "meta.json"
        else:
            self.as_of, self.as_of_source = validation.latest_date(self.dialect, self.source), "latest date in the data"
        failures = pd.concat([f for f in (failures, validation.relational_failures(self.dialect, self.source,
                                                                                    self.as_of)) if len(f)]
                             or [pd.DataFrame(columns=REJECTED_COLUMNS)], ignore_index=True)
        self.rejected = validation.raise_or_keep(failures, strict)
        self._create_valid_views(failures)

    def _create_valid_views(self, failures: pd.DataFrame) -> None:
        if not len(failures):
            for table in self.source.tables:
                self.dialect.create_view(f"valid_{table}", f"SELECT * FROM typed_{table}")
            return
        self.dialect.register_frame("rejected_rows", self._rejected_keys(failures))
        self._exclude_rejected()
        cascaded = validation.cascade_failures(self.dialect, self.source)
        if len(cascaded):
            failures = pd.concat([failures, cascaded], ignore_index=True)
            self.dialect.register_frame("rejected_rows", self._rejected_keys(failures))
            self._exclude_rejected()
        self.rejected = validation.raise_or_keep(failures, strict=False)

    @staticmethod
    def _rejected_keys(failures: pd.DataFrame) -> pd.DataFrame:
        keys = failures[["table", "file", "row"]].drop_duplicates()
        return pd.DataFrame({"table_name": keys["table"].astype(str).to_numpy(),
                             "_file": keys["file"].astype(str).to_numpy(),
                             "_row": keys["row"].astype("int64").to_numpy()})

    def _exclude_rejected(self) -> None:
        for table in self.source.tables:
            self.dialect.create_view(
                f"valid_{table}",
                f"SELECT * FROM typed_{table} v WHERE NOT EXISTS (SELECT 1 FROM rejected_rows r "
                f"WHERE r.table_name = '{table}' AND r._file = v._file AND r._row = v._row)")

    @property
    def rejected_counts(self) -> dict[str, int]:
        """Rejected rows per table (0 for tables without any)."""
        rows = self.rejected.drop_duplicates(["table", "file", "row"])["table"].value_counts()
        return {table: int(rows.get(table, 0)) for table in self.source.tables}

    def row_counts(self) -> dict[str, int]:
        """Valid rows per table."""
        return {table: int(self.dialect.frame(f"SELECT COUNT(*) AS n FROM valid_{table}")["n"].iloc[0])
                for table in self.source.tables}

    def has(self, table: str) -> bool:
        """Whether the source has ``table``."""
        return table in self.source.tables

    def columns(self, table: str) -> list[str]:
        """The columns of ``table`` in the source, in file order."""
        self._require(table, "columns")
        return list(self._present[table])

    # -- aggregates -------------------------------------------------------------------------------

    def _require(self, table: str, what: str) -> None:
        if table not in self.source.tables:
            raise ValueError(f"{what}: the data in {self.source.location} have no {table} table")

    def _as_of(self, as_of) -> pd.Timestamp:
        return self.as_of if as_of is None else pd.Timestamp(as_of)

    def score_counts(self, metric: str, by, *, as_of=None, touchpoints=None) -> pd.DataFrame:
        """Answers per cell and score, e.g. NPS by segment x quarter.

        Parameters
        ----------
        metric : {"nps", "csat", "ces"}
        by : str or list of str
            Cell columns: ``touchpoint``, ``channel``, ``quarter`` (of ``sent_at``) or customer columns.
        as_of : str or pandas.Timestamp, optional
            Default: the data's as-of date.
        touchpoints : str or list of str, optional
            Keep only these touchpoints (e.g. ``"relationship"``).

        Returns
        -------
        pandas.DataFrame
            The ``by`` columns, ``score`` and ``answers``, sorted by cell and score.
        """
        by = _as_list(by)
        self._require("surveys", "score_counts")
        _check_metric(metric)
        frame = self.dialect.frame(queries.score_counts(self._as_of(as_of), metric, by, touchpoints))
        return queries.order(_labelled(frame, "quarter", "quarter"), [*by, "score"])

    def score_distribution(self, metric: str, by, *, as_of=None, touchpoints=None) -> pd.DataFrame:
        """Answers per cell (rows) and score (columns), as :func:`cxlab.metrics.score_distribution`."""
        by = _as_list(by)
        return tables.score_distribution(self.score_counts(metric, by, as_of=as_of, touchpoints=touchpoints),
                                         metric, by)

    def design_effects(self, metric: str, by, *, as_of=None, touchpoints=None) -> pd.DataFrame:
        """Customer-clustered design effects per cell, as in :func:`cxlab.metrics.nps_by` / ``csat_by`` / ``ces_by``.

        Returns
        -------
        pandas.DataFrame
            Indexed by the cells: ``deff`` (NPS) or ``share_deff`` and ``mean_deff`` (CSAT, CES), and
            ``n_clusters`` (customers who answered).
        """
        out = self.score_cells(metric, by, as_of=as_of, touchpoints=touchpoints).deffs()
        return out.assign(n_clusters=out["n_clusters"].astype("int64"))

    def score_cells(self, metric: str, by, *, as_of=None, touchpoints=None) -> metrics.ScoreCells:
        """Answers per score and customer moments per cell (:class:`cxlab.metrics.ScoreCells`), clustered by customer.

        What :func:`cxlab.metrics.score_cells` gives on the known answers (invitations sent by the
        as-of instant, answers received by it), for the tables, estimates and comparisons of
        :mod:`cxlab.metrics`. The arguments are those of :meth:`score_counts`.

        Returns
        -------
        cxlab.metrics.ScoreCells
        """
        by = _as_list(by)
        self._require("surveys", "score_cells")
        _check_metric(metric)
        as_of = self._as_of(as_of)
        counts = self.score_distribution(metric, by, as_of=as_of, touchpoints=touchpoints)
        moments = self.dialect.frame(queries.cluster_moments(as_of, metric, by, touchpoints))
        moments = queries.order(_labelled(moments, "quarter", "quarter"), by).set_index(by)
        return metrics.ScoreCells(metric, counts, moments.reindex(counts.index)[metrics.moment_columns(metric)],
                                  DEFAULT_HIT_SCORES[metric], "customer_id")

    def survey_cells(self, *, as_of=None) -> SurveyCells:
        """The scorecard's aggregates (:class:`cxlab.touchpoints.SurveyCells`) as :func:`cxlab.touchpoints.survey_cells`
        gives them.

        Parameters
        ----------
        as_of : str or pandas.Timestamp, optional
            Default: the data's as-of date.

        Returns
        -------
        cxlab.touchpoints.SurveyCells
        """
        as_of = self._as_of(as_of)
        responses = self.response_counts(["touchpoint", "quarter"], as_of=as_of)
        return SurveyCells(
            as_of=as_of, responses=responses.drop(columns="response_rate"),
            by_touchpoint={m: self.score_cells(m, ["touchpoint", "quarter"], as_of=as_of) for m in HEADLINE_METRICS},
            by_quarter={m: self.headline_cells(m, ["quarter"], as_of=as_of) for m in HEADLINE_METRICS},
            cluster_col="customer_id", overall=self._overall_counts(as_of))

    def _overall_counts(self, as_of) -> dict[str, pd.DataFrame]:
        """Answers per quarter and value of each overall question the surveys have and some customer answered."""
        counts = {c: self.answer_counts(c, ["quarter"], as_of=as_of) for c in OVERALL_QUESTIONS
                  if c in self.columns("surveys")}
        return {c: frame for c, frame in counts.items() if len(frame)}

    def headline_cells(self, metric: str, by, *, as_of=None) -> metrics.ScoreCells:
        """:meth:`score_cells` over the touchpoints of a metric's headline (:data:`cxlab.touchpoints.HEADLINE_METRICS`):
        the relationship survey for NPS, every other touchpoint for CSAT and CES."""
        _check_metric(metric)
        if HEADLINE_METRICS[metric][0] == "relationship":
            asked = [RELATIONSHIP]
        else:
            present = self.dialect.frame("SELECT DISTINCT touchpoint FROM valid_surveys")["touchpoint"]
            asked = sorted(set(present.dropna()) - {RELATIONSHIP})
        return self.score_cells(metric, by, as_of=as_of, touchpoints=asked)

    def answer_counts(self, column: str, by, *, as_of=None) -> pd.DataFrame:
        """Known answers per cell and value of any survey column (e.g. the optional ``recommend5``).

        Returns
        -------
        pandas.DataFrame
            The ``by`` columns, ``value`` and ``answers``; answers received after the as-of
            instant do not count.
        """
        by = _as_list(by)
        self._require("surveys", "answer_counts")
        if column not in self.columns("surveys"):
            raise ValueError(f"answer_counts: the surveys of {self.source.location} have no column {column!r}")
        frame = self.dialect.frame(queries.answer_counts(self._as_of(as_of), column, by))
        return queries.order(_labelled(frame, "quarter", "quarter"), [*by, "value"])

    def answered_rows(self, columns, *, touchpoints=None) -> pd.DataFrame:
        """The survey rows that have an answer (``responded_at`` set), with these columns of them (those present).

        For the analyses that read answers one by one (a dated intervention at one touchpoint, the
        relationship survey's overall question), without the invitations nobody answered or the
        columns they do not read. The rows come in the order of ``responded_at`` and then
        ``invitation_id``, with a fresh index; text is held as Arrow-backed strings, as
        :func:`cxlab.io.load` holds identifiers.

        Parameters
        ----------
        columns : list of str
            Survey columns (``invitation_id`` and ``responded_at`` always come).
        touchpoints : str or list of str, optional
            Keep only these touchpoints.

        Returns
        -------
        pandas.DataFrame
        """
        self._require("surveys", "answered_rows")
        wanted = dict.fromkeys(["invitation_id", "responded_at", *columns])
        present = [c for c in wanted if c in self.columns("surveys")]
        return self.dialect.text_frame(f"SELECT {', '.join(present)} FROM valid_surveys "
                                       f"WHERE responded_at IS NOT NULL{queries.touchpoint_filter(touchpoints)} "
                                       f"ORDER BY responded_at, invitation_id")

    def case_rows(self, columns=None, *, kinds=None) -> pd.DataFrame:
        """The cases, or those of some kinds, with these columns of them (those present; default all).

        For the analyses that read cases one by one (the follow-ups of detractor answers, the
        complaints before an answer) without the kinds or columns they do not read. The rows come in
        the order of the table; text is held as Arrow-backed strings, as :func:`cxlab.io.load`
        holds identifiers.

        Parameters
        ----------
        columns : list of str, optional
            Case columns.
        kinds : str or list of str, optional
            Keep only cases of these kinds (``kind``).

        Returns
        -------
        pandas.DataFrame
        """
        self._require("cases", "case_rows")
        present = [c for c in (self.columns("cases") if columns is None else dict.fromkeys(columns))
                   if c in self.columns("cases")]
        return self.dialect.text_frame(f"SELECT {', '.join(present)} FROM valid_cases WHERE TRUE"
                                       f"{queries.value_filter('kind', kinds)}")

    def driver_frame(self, *, as_of=None, window_days: int = 180, score: str = "csat", outcome: str = "nps",
                     touchpoints: list[str] | None = None, same_questionnaire: bool = False) -> pd.DataFrame:
        """One row per relationship answer with the respondent's recent touchpoint scores, as
        :func:`cxlab.drivers.driver_frame` gives it on the surveys table (same arguments).

        The engine sums each customer's scores per touchpoint in the window before each
        relationship answer; only the overall answers and those sums come back.
        """
        self._require("surveys", "driver_frame")
        missing = [c for c in (score, outcome) if c not in self.columns("surveys")]
        if missing:
            raise ValueError(f"driver_frame: surveys table lacks column(s) {missing}")
        if window_days <= 0:
            raise ValueError(f"driver_frame: window_days must be positive, got {window_days}")
        as_of = self._as_of(as_of)
        answers = self.dialect.text_frame(queries.overall_answers(as_of, outcome))
        if touchpoints is None:
            scored = self.dialect.frame(queries.answer_counts(as_of, score, ["touchpoint"]))["touchpoint"]
            touchpoints = drivers.driver_touchpoints(set(scored) - {RELATIONSHIP})
        totals = self.dialect.frame(queries.driver_totals(as_of, outcome, score, window_days, list(touchpoints),
                                                          same_questionnaire))
        rows = pd.Index(answers["invitation_id"]).get_indexer(totals["invitation_id"])
        columns = pd.Index(list(touchpoints)).get_indexer(totals["touchpoint"])
        sums, counts = np.zeros((len(answers), len(touchpoints))), np.zeros((len(answers), len(touchpoints)))
        sums[rows, columns], counts[rows, columns] = totals["total"].to_numpy(float), totals["answers"].to_numpy(float)
        return drivers.driver_frame_from_totals(answers, sums, counts, touchpoints=list(touchpoints), as_of=as_of,
                                                window_days=window_days, score=score)

    def asked_together(self, *, outcome: str) -> bool:
        """Whether most overall answers were given with touchpoint answers, as :func:`cxlab.drivers.asked_together`."""
        self._require("surveys", "asked_together")
        counts = self.dialect.frame(queries.answered_together(outcome)).iloc[0]
        return bool(counts["overall"]) and int(counts["shared"]) > int(counts["overall"]) / 2

    def relationship_answer_counts(self, columns) -> dict[str, int]:
        """Relationship-survey rows with a value in each of ``columns`` (those the surveys have), answered or not."""
        self._require("surveys", "relationship_answer_counts")
        present = [c for c in columns if c in self.columns("surveys")]
        if not present:
            return {}
        counts = self.dialect.frame(queries.relationship_answer_counts(present)).iloc[0]
        return {c: int(counts[c]) for c in present}

    def available_outcome(self) -> str | None:
        """The overall question the relationship answers carry, as :func:`cxlab.drivers.available_outcome`."""
        counts = self.relationship_answer_counts(drivers.OUTCOMES)
        return next((c for c, n in counts.items() if n > 0), None)

    def latest_comments(self, *, quarter: str, per_touchpoint: int, as_of=None) -> pd.DataFrame:
        """The latest comments per touchpoint among the invitations sent in ``quarter``, known at the as-of instant.

        The rows :func:`cxlab.touchpoints.recent_comments` needs (``touchpoint``, ``responded_at``,
        ``invitation_id``, ``comment`` and the scores), newest first per touchpoint, ties by
        invitation id, at most ``per_touchpoint`` each.
        """
        self._require("surveys", "latest_comments")
        scores = [c for c in [*SCORE_LABELS, "satisfied"] if c in self.columns("surveys")]
        return self.dialect.frame(queries.latest_comments(self._as_of(as_of), str(quarter), int(per_touchpoint),
                                                          scores))

    def response_counts(self, by, *, as_of=None, touchpoints=None, response_window_days: float = 0) -> pd.DataFrame:
        """Invitations sent by the as-of date and answers received by it, per cell, with ``response_rate``.

        With ``response_window_days``, only the invitations sent at least that long before the end
        of the as-of day count, as :func:`cxlab.nonresponse.response_counts` counts them. ``by`` may
        name customer columns (``segment``); invitations of a customer without a value form a cell
        with a missing key.
        """
        by = _as_list(by)
        self._require("surveys", "response_counts")
        frame = self.dialect.frame(queries.response_counts(self._as_of(as_of), by, touchpoints,
                                                           response_window_days))
        frame = queries.order(_labelled(frame, "quarter", "quarter"), by)
        frame[["invitations", "responses"]] = frame[["invitations", "responses"]].astype("int64")
        return frame.assign(response_rate=frame["responses"] / frame["invitations"])

    def first_invitations(self, *, as_of=None, touchpoint: str = RELATIONSHIP,
                          response_window_days: int = 7) -> pd.DataFrame:
        """Each customer's first invitation to a survey, as :func:`cxlab.nonresponse.first_invitations` gives it."""
        self._require("surveys", "first_invitations")
        as_of = self._as_of(as_of)
        first = self.dialect.text_frame(queries.first_invitations(as_of, touchpoint, response_window_days))
        first["responded"] = first["responded"].astype(int)
        first.attrs["as_of"] = as_of
        return first

    def invitation_history(self, *, as_of=None, touchpoint: str = RELATIONSHIP, response_window_days: int = 7,
                           recent_days: int = 180, sent_after=None) -> pd.DataFrame:
        """The invitations with what was known when each was sent, as :func:`cxlab.nonresponse.invitation_history`
        gives them (same arguments and rows).

        The engine joins each invitation with its customer's earlier invitations and answers and
        returns only the invitations and their totals.
        """
        self._require("surveys", "invitation_history")
        missing = [c for c in ("channel", "nps", "csat", "ces") if c not in self.columns("surveys")]
        if missing:
            raise ValueError(f"propensity_frame: surveys table lacks column(s) {missing}")
        as_of = self._as_of(as_of)
        history = self.dialect.text_frame(queries.invitation_history(as_of, touchpoint, response_window_days,
                                                                     recent_days, sent_after))
        for column in ("responded", "prior_invitations", "prior_responses"):
            history[column] = history[column].astype(int)
        for column in ("nps", *queries.HISTORY_TOTALS[2:], "latest_nps"):  # the counts of answers and sums
            history[column] = history[column].astype(float)
        history.attrs.update(as_of=as_of, response_window_days=response_window_days, recent_days=recent_days,
                             sent_after=None if sent_after is None else pd.Timestamp(sent_after))
        return history

    def life_table_counts(self, by=(), *, as_of=None) -> pd.DataFrame:
        """Customers per group, tenure month and churn flag (tenure convention of :mod:`cxlab.tenure`).

        These are also the distinct covariate patterns with their weights for a Cox or logistic fit
        on aggregates.
        """
        by = _as_list(by)
        frame = self.dialect.frame(queries.life_table_counts(self.dialect, self._as_of(as_of), by))
        frame[["tenure_months", "churned", "customers"]] = frame[["tenure_months", "churned", "customers"]].astype(
            "int64")
        return queries.order(frame, [*by, "tenure_months", "churned"])

    def life_tables(self, by=(), *, as_of=None) -> pd.DataFrame:
        """Life table per group (at risk, churned, censored, hazard, Kaplan-Meier survival per tenure month)."""
        by = _as_list(by)
        return tables.life_tables(self.life_table_counts(by, as_of=as_of), by)

    def cohort_counts(self, *, cohort: str = "quarter", as_of=None) -> pd.DataFrame:
        """Customers per acquisition cohort, tenure month and churn flag, with each cohort's shortest follow-up."""
        frame = self.dialect.frame(queries.cohort_counts(self.dialect, self._as_of(as_of), cohort))
        return queries.order(_labelled(frame, "cohort", cohort), ["cohort", "tenure_months", "churned"])

    def cohort_alive(self, *, cohort: str = "quarter", period: str = "month", as_of=None) -> pd.DataFrame:
        """Logo retention of each acquisition cohort, as the logo columns of :func:`cxlab.retention.cohort_table`."""
        months = period_months(period)  # refused before any query runs
        return tables.cohort_alive(self.cohort_counts(cohort=cohort, as_of=as_of), months)

    def revenue_by_cohort_month(self, *, cohort: str = "quarter", as_of=None) -> pd.DataFrame:
        """Revenue and paying customers per acquisition cohort and complete billing month."""
        self._require("revenue", "revenue_by_cohort_month")
        frame = _labelled(self.dialect.frame(queries.revenue_by_cohort_month(self._as_of(as_of), cohort)), "cohort",
                          cohort)
        frame["month"] = pd.to_datetime(frame["month"]).astype("datetime64[ns]")
        frame["customers"] = frame["customers"].astype("int64")
        return queries.order(frame, ["cohort", "month"])

    def cohort_table(self, *, cohort: str = "quarter", period: str = "month", revenue: bool = True,
                     as_of=None) -> pd.DataFrame:
        """Logo and revenue retention of each acquisition cohort, as :func:`cxlab.retention.cohort_table`.

        Parameters
        ----------
        cohort : {"quarter", "month", "year"}
        period : {"month", "quarter", "year"}
        revenue : bool
            Add the revenue columns (when the source has a revenue table).
        as_of : str or pandas.Timestamp, optional
            Default: the data's as-of date.

        Returns
        -------
        pandas.DataFrame
            The columns and ``attrs`` of :func:`cxlab.retention.cohort_table`, with the revenue
            columns when ``revenue`` is true and the source has a revenue table.

        Raises
        ------
        ValueError
            On an unknown cohort or period, when no customer was acquired by the as-of date, or
            for revenue billed before a customer's acquisition month.
        """
        as_of = self._as_of(as_of)
        m = period_months(period)
        counts = self.cohort_counts(cohort=cohort, as_of=as_of)
        if counts.empty:
            raise ValueError(f"cohort_table: no customer was acquired on or before {as_of.date()}")
        table = tables.cohort_alive(counts, m)
        if revenue and self.has("revenue"):
            self._check_billing(as_of)
            cells = _labelled(self.dialect.frame(queries.cohort_revenue(self.dialect, as_of, cohort, m)), "cohort",
                              cohort)
            newest = _labelled(self.dialect.frame(queries.cohort_newest_months(self.dialect, as_of, cohort)), "cohort",
                               cohort)
            table = tables.cohort_revenue(table, cells, newest, as_of=as_of, months_per_period=m)
        after = self.dialect.frame(f"SELECT COUNT(*) AS n FROM valid_customers WHERE acquired_at >= "
                                   f"{queries.end_literal(as_of)}")["n"].iloc[0]
        table.attrs.update(as_of=as_of, cohort=cohort, period=period, period_months=m,
                           acquired_after_as_of=int(after))
        return table

    def revenue_retention(self, *, months: int = 12, level: float = 0.95, as_of=None) -> pd.DataFrame:
        """Net and gross revenue retention after ``months`` months, pooled (:func:`cxlab.retention.revenue_retention`).

        The engine returns the sums over customers (:func:`cxlab.retention.ratio_sums`); the
        estimates and their delta-method intervals are worked out from them here.
        """
        self._require("revenue", "revenue_retention")
        if months < 0 or months != int(months):
            raise ValueError(f"months must be a whole number >= 0; got {months}")
        as_of = self._as_of(as_of)
        self._check_billing(as_of)
        sums = self.dialect.frame(queries.revenue_retention_sums(self.dialect, as_of, int(months))).iloc[0]
        sums = {name: (0.0 if pd.isna(value) else float(value)) for name, value in sums.items()}
        return revenue_retention_from_sums(sums, as_of=as_of, months=int(months), level=level)

    def _check_billing(self, as_of) -> None:
        """Raise as :func:`cxlab.retention.cohort_table` does for revenue billed before the acquisition month.

        The count is made once per as-of date (a page asks for several revenue aggregates).
        """
        key = pd.Timestamp(as_of)
        if key not in self._billing_faults:
            self._billing_faults[key] = int(
                self.dialect.frame(queries.billed_before_acquisition(self.dialect, as_of))["faulty"].iloc[0])
        faulty = self._billing_faults[key]
        if faulty:
            raise ValueError(f"{self.source.tables['revenue'].label}: column 'month': {faulty:,} row(s) of revenue "
                             "billed before the customer's acquisition month")

    def pattern_counts(self, table: str, columns) -> pd.DataFrame:
        """Distinct combinations of ``columns`` among a table's valid rows, with their ``weight`` (rows)."""
        self._require(table, "pattern_counts")
        columns = _as_list(columns)
        return queries.order(self.dialect.frame(queries.pattern_counts(f"valid_{table}", columns)), columns)

    def write_validated_copy(self, folder) -> Path:
        """Write the valid rows as the validated copy a report run shares with its notebook kernels.

        The copy has the format of :func:`cxlab.snapshot.write_snapshot`: each table's columns in the
        order of its file, rows in file order, types as :func:`cxlab.io.load` returns them; kernels
        read it with ``cxlab.io.load(folder, validated_copy=...)`` without validating again. The rows
        stream from the engine to the file in Arrow batches, never as a whole table in memory (Spark
        first writes them as Parquet part files into a temporary folder, which the files' reader then
        streams; see :meth:`cxlab.engine.dialects.SparkDialect.batches`).

        Parameters
        ----------
        folder : str or pathlib.Path
            An empty or new folder.

        Returns
        -------
        pathlib.Path
            The folder.

        Raises
        ------
        ValueError
            With rejected rows (only strictly valid data can stand in for the folder), or for a
            source that is not a local folder (a URI).
        """
        if self.validated_copy is not None:
            raise ValueError(f"write_validated_copy: this engine reads the validated copy {self.validated_copy}")
        if len(self.rejected) or not self._strict:
            raise ValueError("write_validated_copy: only strictly validated data can be copied")
        if "://" in self.source.location:
            raise ValueError("write_validated_copy: the copy stands for a local folder, not a URI")
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        tables = {}
        for table in self.source.tables:
            name = f"{table}{snapshot.TABLE_SUFFIX}"
            # DuckDB streams a Parquet scan's rows in file order: sorting the 22M revenue rows of the 1M-customer
            # benchmark world again took 1.4 s. CSV rows are numbered by a window, whose output is sorted.
            in_order = self.dialect.keeps_scan_order and self.source.tables[table].file_format == "parquet"
            order = "" if in_order else " ORDER BY _file, _row"
            query = f"SELECT {', '.join(self._present[table])} FROM valid_{table}{order}"
            with self.dialect.batches(query) as batches:
                tables[table] = {"file": name, "rows": snapshot.write_table(batches, folder / name)}
        snapshot.write_manifest(folder, source=self.source.location, files=self._local_files(),
                                as_of=self.as_of, as_of_source=self.as_of_source, tables=tables)
        return folder

    def sql(self, query: str) -> pd.DataFrame:
        """Run any query on the views ``valid_customers``, ``valid_surveys``, ``valid_revenue``, ``valid_cases``."""
        return self.dialect.frame(query)

    # -- life cycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the engine's connection (a Spark session stays for the process)."""
        self.dialect.close()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Engine({self.name!r} over {self.source.location}, as of {self.as_of.date()} ({self.as_of_source}))"


def _labelled(frame: pd.DataFrame, column: str, period: str) -> pd.DataFrame:
    """``column``'s period codes written as labels (see :func:`cxlab.engine.queries.period_code`)."""
    if column in frame.columns:
        frame = frame.assign(**{column: queries.period_labels(frame[column], period)})
    return frame


def _as_list(by) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


def _check_metric(metric: str) -> None:
    if metric not in queries.SCALES:
        raise ValueError(f"metric must be one of {tuple(queries.SCALES)}; got {metric!r}")


def connect(data, *, engine: str = "duckdb", **options) -> Engine:
    """Open an :class:`Engine` over a data folder or URI (same arguments).

    Examples
    --------
    >>> from cxlab.datasets import demo_path
    >>> engine = connect(demo_path(), engine="duckdb")
    >>> engine.rejected_counts
    {'customers': 0, 'revenue': 0, 'surveys': 0, 'cases': 0}
    >>> engine.close()
    """
    return Engine(data, engine=engine, **options)
