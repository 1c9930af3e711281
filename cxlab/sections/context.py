"""One report notebook's run: the loaded data, the quarter and its as-of instant, the headline recorder.

A notebook opens a :class:`ReportContext` once, then shows one section per cell::

    report = open_report("04_retention_cohorts", data_dir=data_dir, quarter=quarter,
                         min_cell_size=min_cell_size, headlines_path=headlines_path)
    report.show(retention.retention_at, months=retention_months)

:meth:`ReportContext.show` runs the section, records its headline figures (so the executive
summary reads them, never recomputes them) and returns the result, which shows itself.
Frames several sections share (the tenure frame, a landmark frame, a fitted model) are built once per run
through :meth:`ReportContext.cached`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import pandas as pd

import cxlab.io
from cxlab import snapshot
from cxlab.availability import Availability, availability
from cxlab.followups import FOLLOWUP_KIND
from cxlab.headlines import Headlines
from cxlab.io import CXData
from cxlab.periods import analysis_as_of
from cxlab.sections.result import SectionResult
from cxlab.sections.survey_source import LoadedSurveys
from cxlab.survival.frames import READ_COLUMNS, survival_frame
from cxlab.targets import parse_targets
from cxlab.tenure import tenure_frame
from cxlab.touchpoints.answers import surveys_as_of
from cxlab.touchpoints.cells import SurveyCells, survey_cells

if TYPE_CHECKING:
    from cxlab.engine import Engine

__all__ = ["ReportContext", "open_report"]


@dataclass
class ReportContext:
    """The inputs every section of one notebook shares.

    Attributes
    ----------
    data : cxlab.io.CXData
        The loaded data.
    quarter : str
        Report quarter (``"2026Q3"``).
    as_of : pandas.Timestamp
        The quarter's last day; the analyses use everything up to the end of it.
    min_cell_size : int
        Groups smaller than this are suppressed.
    recorder : cxlab.headlines.Headlines
        Where the headline figures go.
    targets : dict
        Headline key to the target set for it (:func:`cxlab.targets.parse_targets`); recorded with
        the headline and drawn as a line in the figure's trend charts.
    queried : frozenset of str
        Tables of the data folder the page reads as aggregates through :attr:`engine` rather than
        loading them.
    """

    data: CXData
    quarter: str
    as_of: pd.Timestamp
    min_cell_size: int
    recorder: Headlines
    targets: dict = field(default_factory=dict)
    queried: frozenset = frozenset()
    _cache: dict = field(default_factory=dict, repr=False)
    _readers: dict = field(default_factory=dict, repr=False)  # cache key to the sections that read the value
    _shown: set = field(default_factory=set, repr=False)

    @property
    def availability(self) -> Availability:
        """What the data allow (:mod:`cxlab.availability`), the tables in :attr:`queried` included."""
        def build():
            answers = None
            if "surveys" in self.queried:
                answers = self.engine.relationship_answer_counts(["nps"]).get("nps", 0) > 0
            return availability(self.data, queried=self.queried, relationship_answers=answers)
        return self.cached("availability", build)

    @property
    def engine(self) -> Engine:
        """The data folder in DuckDB (:mod:`cxlab.engine`), for aggregates of tables the page does not load.

        Over the report run's validated copy when there is one (its files mapped, nothing validated
        again); otherwise the engine validates the folder with the rules of :func:`cxlab.io.load`.
        Opened once per run; the engine package is imported only by the pages that use it. Its
        working memory is bounded by :data:`cxlab.engine.REPORT_MEMORY_LIMIT` (beyond it DuckDB spills to
        disk), as several kernels of a report run work side by side.
        """
        from cxlab.engine import REPORT_MEMORY_LIMIT, connect

        return self.cached("engine", lambda: connect(self.data.source, memory_limit=REPORT_MEMORY_LIMIT,
                                                      validated_copy=snapshot.copy_named_in_environment()))

    @property
    def tenure(self) -> pd.DataFrame:
        """:func:`cxlab.tenure.tenure_frame` of the customers at the as-of date."""
        return self.cached("tenure", lambda: tenure_frame(self.data.customers, as_of=self.as_of))

    @property
    def surveys_known(self) -> pd.DataFrame:
        """:func:`cxlab.touchpoints.surveys_as_of` of the surveys at the as-of date, worked out once per run.

        Pass it where a function takes a surveys table and the same as-of date: it does not pass
        over the rows again.
        """
        return self.cached("surveys_known", lambda: surveys_as_of(self.data.surveys, as_of=self.as_of))

    @property
    def survey_cells(self) -> SurveyCells:
        """The scorecard's aggregates at the as-of date (:class:`cxlab.touchpoints.SurveyCells`), built once per run.

        From :attr:`engine` when the page queries the surveys (:attr:`queried`), else from the
        loaded surveys table.
        """
        if "surveys" in self.queried:
            return self.cached("survey_cells", lambda: self.engine.survey_cells(as_of=self.as_of))
        return self.cached("survey_cells", lambda: survey_cells(self.surveys_known, as_of=self.as_of))

    def table(self, name: str) -> pd.DataFrame | None:
        """A table of the data with all its rows: the loaded one, or, for a table the page queries, loaded now.

        For the analyses that need a queried table's rows after all (the declared questions of a
        questionnaire); None when the data have no such table.
        """
        if name not in self.queried:
            return getattr(self.data, name)
        return self.cached(("table", name), lambda: getattr(cxlab.io.load(
            self.data.source, tables=[name], validated_copy=snapshot.copy_named_in_environment()), name))

    def from_surveys(self, query: str, *, keep: bool = True, readers=(), **arguments):
        """A survey query, answered once per run by :attr:`engine` when the page queries the surveys, else by the
        loaded table (:class:`cxlab.sections.survey_source.LoadedSurveys`); both give the same result.

        Parameters
        ----------
        query : str
            A method both answer: ``answered_rows``, ``response_counts``, ``first_invitations`` or
            ``invitation_history``.
        keep : bool
            False: the rows are not kept for the run (for a query only one cached result is built from,
            so its rows can be freed once that is built).
        readers : collection of callables, optional
            The sections that read the result: it is let go once they have all been shown (:meth:`cached`).
        **arguments
            Its arguments (lists are passed as tuples).
        """
        arguments = {k: tuple(v) if isinstance(v, list) else v for k, v in arguments.items()}

        def build():
            source = (self.engine if "surveys" in self.queried
                      else LoadedSurveys(self.data.surveys, self.data.customers))
            return getattr(source, query)(**arguments)
        return (self.cached(("surveys", query, tuple(sorted(arguments.items()))), build, readers=readers) if keep
                else build())

    def answered(self, columns, *, touchpoints=None, readers=()) -> pd.DataFrame:
        """The survey rows that have an answer, with these columns (those the table has), built once and shared.

        In the order of ``responded_at`` and then ``invitation_id``, with a fresh index, from
        :meth:`from_surveys` (:meth:`cxlab.engine.Engine.answered_rows`). ``columns`` and
        ``touchpoints`` are those of :meth:`cxlab.engine.Engine.answered_rows`; ``readers`` that of
        :meth:`cached`.
        """
        wanted = None if touchpoints is None else tuple([touchpoints] if isinstance(touchpoints, str) else touchpoints)
        return self.from_surveys("answered_rows", columns=tuple(columns), touchpoints=wanted, readers=readers)

    def cases(self, kinds=None, *, columns=None, readers=()) -> pd.DataFrame | None:
        """The cases of some kinds, with some of their columns, built once per run.

        From :attr:`engine` when the page queries the cases (:attr:`queried`): only those rows and
        columns are brought into the kernel. Else from the loaded table. In the table's order either way.

        Parameters
        ----------
        kinds : str or list of str, optional
            Keep only cases of these kinds (``kind``); default all.
        columns : list of str, optional
            Keep only these columns (those the table has); default all.
        readers : collection of callables, optional
            The sections that read the result: it is let go once they have all been shown (:meth:`cached`).

        Returns
        -------
        pandas.DataFrame or None
            None when the data have no cases table.
        """
        kinds = None if kinds is None else tuple([kinds] if isinstance(kinds, str) else kinds)
        columns = None if columns is None else tuple(columns)
        if "cases" in self.queried:
            return self.cached(("cases", kinds, columns), lambda: self.engine.case_rows(columns, kinds=kinds),
                               readers=readers)
        cases = self.data.cases
        if cases is None or (kinds is None and columns is None):
            return cases

        def build():
            rows = cases if kinds is None else cases[cases["kind"].isin(kinds)]
            return rows if columns is None else rows[[c for c in columns if c in rows.columns]]
        return self.cached(("cases", kinds, columns), build, readers=readers)

    @property
    def answered_data(self) -> CXData:
        """The data with only the answered survey rows, the columns the survival frames read
        (:data:`cxlab.survival.frames.READ_COLUMNS`, from :meth:`answered`), and only the follow-up cases: what
        :func:`cxlab.survival.survival_frame` and :func:`cxlab.survival.time_varying_frame` need,
        whether the page loads or queries the surveys."""
        if not self.availability.allows("surveys"):
            return self.data
        return self.cached("answered_data", lambda: replace(self.data, surveys=self.answered(READ_COLUMNS),
                                                             cases=self.cases(FOLLOWUP_KIND)))

    def landmark(self, landmark_months: int) -> pd.DataFrame:
        """:func:`cxlab.survival.survival_frame` at a landmark (customers active after it), of :attr:`answered_data`."""
        return self.cached(("landmark", landmark_months), lambda: survival_frame(
            self.answered_data, as_of=self.as_of, landmark_months=landmark_months))

    def show(self, section: Callable[..., SectionResult], **parameters) -> SectionResult:
        """Run a section, record its headline figures, let go of the cached values whose readers have
        all been shown (:meth:`cached`), hand back to the system the memory freed
        (:func:`cxlab.snapshot.release_unused_memory`) and return its result.

        Parameters
        ----------
        section : callable
            A section function ``section(context, **parameters)``.
        **parameters
            The section's parameters.

        Returns
        -------
        SectionResult
            Its headlines carry the target set for their key, if any.
        """
        result = section(self, **parameters)
        self._shown.add(section)
        for key in [key for key, readers in self._readers.items() if readers <= self._shown]:
            del self._cache[key], self._readers[key]  # every section that reads it has been shown
        snapshot.release_unused_memory()  # what the section built and dropped, so that the next starts lower
        result.headlines = [replace(h, target=self.targets[h.key]) if h.key in self.targets else h
                            for h in result.headlines]
        self.recorder.record(*result.headlines)
        return result

    def cached(self, key, build: Callable[[], object], *, readers=()):
        """Build a value once per run and return the same object to every later caller.

        Sections share expensive intermediate results (a tenure frame, a fitted model, a
        bootstrap) through this cache, so one run computes each once and every page shows the
        same number.

        Parameters
        ----------
        key : hashable
            Names the value; use a tuple with the section's module and the parameters the value
            depends on, e.g. ``("economics", "base")`` or ``("landmark", 6)``.
        build : callable
            Called without arguments the first time ``key`` is asked for; it gives the same value
            each time it is called.
        readers : collection of callables, optional
            The sections that read the value. Once each of them has been shown (:meth:`show`),
            the value is let go, so that the page's later sections do not hold it; a caller after
            that builds it again. Default: kept for the run.

        Returns
        -------
        object
            The value ``build`` returned for ``key``.

        Examples
        --------
        >>> import pandas as pd
        >>> from cxlab.headlines import Headlines
        >>> context = ReportContext(data=None, quarter="2026Q3", as_of=pd.Timestamp("2026-09-30"),
        ...                         min_cell_size=30, recorder=Headlines("", "doc"))
        >>> calls = []
        >>> context.cached("answer", lambda: calls.append(1) or 42), context.cached("answer", lambda: 0), len(calls)
        (42, 42, 1)
        """
        if key not in self._cache:
            self._cache[key] = build()
            if readers:
                self._readers[key] = frozenset(readers)
        return self._cache[key]


def open_report(notebook: str, *, data_dir, quarter: str = "", min_cell_size: int = 30,
                headlines_path: str = "", tables: list[str] | None = None,
                targets: dict | None = None, queried: list[str] | None = None) -> ReportContext:
    """Load the data and resolve the quarter for one report notebook.

    Parameters
    ----------
    notebook : str
        The notebook's name (recorded with its headlines).
    data_dir : str or pathlib.Path
        The data folder (:func:`cxlab.io.load`).
    quarter : str
        Report quarter; empty for the latest complete quarter in the data.
    min_cell_size : int
        Groups smaller than this are suppressed.
    headlines_path : str
        Where to write the headline figures (empty: keep them in memory).
    tables : list of str, optional
        Optional tables to load besides ``customers`` (default all).
    targets : dict, optional
        Targets of headline figures, e.g. ``{"nps": 40, "csat": "85%"}`` (:func:`cxlab.targets.parse_targets`).
    queried : list of str, optional
        Tables the page reads only as aggregates, through :attr:`ReportContext.engine`, instead
        of loading them (e.g. ``["revenue"]``); those in the data folder count as present.

    Returns
    -------
    ReportContext

    Raises
    ------
    ValueError
        When a target is not valid (naming its key).
    """
    targets = parse_targets(targets)
    data = cxlab.io.load(data_dir, tables=tables, validated_copy=snapshot.copy_named_in_environment())
    quarter, as_of = analysis_as_of(quarter, data.as_of)
    in_folder = set(cxlab.io.find_table_parts(data.source)) & set(queried or ())
    return ReportContext(data=data, quarter=quarter, as_of=as_of, min_cell_size=min_cell_size,
                         recorder=Headlines(headlines_path, notebook=notebook), targets=targets,
                         queried=frozenset(in_folder))
