"""The report context's cache: values shared by a page's sections, let go once every section reading them is shown."""

from __future__ import annotations

import pandas as pd

from cxlab.headlines import Headlines
from cxlab.sections.context import ReportContext
from cxlab.sections.result import SectionResult


def _context() -> ReportContext:
    return ReportContext(data=None, quarter="2026Q3", as_of=pd.Timestamp("2026-09-30"), min_cell_size=30,
                         recorder=Headlines("", notebook="test"))


def test_a_value_is_let_go_once_every_section_reading_it_has_been_shown():
    builds = []

    def shared(report):
        return report.cached("frame", lambda: builds.append(1) or len(builds), readers={first, second})

    def first(report):
        return SectionResult("first", "first", answer=str(shared(report)))

    def second(report):
        return SectionResult("second", "second", answer=str(shared(report)))

    def unrelated(report):
        return SectionResult("unrelated", "unrelated", answer=str(report.cached("kept", lambda: "kept")))

    report = _context()
    assert report.show(first).answer == "1"
    assert report.show(unrelated).answer == "kept"
    assert report.show(second).answer == "1"  # still held: second reads it, and had not been shown
    assert len(builds) == 1
    report.show(unrelated)
    assert report.cached("kept", lambda: "built again") == "kept"  # a value without readers is kept for the run
    assert report.cached("frame", lambda: "built again") == "built again"  # let go after second: built again
    assert report.show(first).answer == "built again"


def test_a_section_called_directly_lets_nothing_go():
    def reader(report):
        return SectionResult("reader", "reader", answer=report.cached("frame", lambda: "built", readers={reader}))

    report = _context()
    reader(report)
    assert report.cached("frame", lambda: "built again") == "built"
    report.show(reader)
    assert report.cached("frame", lambda: "built again") == "built again"
