"""The report context's cache: values shared by a page's sections, let go once every section reading them is shown."""

from __future__ import annotations

import pandas as pd

from cxlab.datasets import demo_path
from cxlab.headlines import Headlines
from cxlab.sections import open_report
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


def test_cases_of_some_kinds_and_columns_are_the_same_loaded_or_queried():
    loaded = open_report("07_voice_of_customer", data_dir=demo_path())
    queried = open_report("07_voice_of_customer", data_dir=demo_path(), tables=["customers"], queried=["cases"])
    assert queried.data.cases is None
    table = loaded.data.cases
    for kinds, columns in [("detractor_followup", None), (None, ["customer_id", "opened_at", "reason"]),
                           (["complaint", "service_request"], ["reason", "no_such_column", "kind"])]:
        wanted = [kinds] if isinstance(kinds, str) else kinds
        rows = table if kinds is None else table[table["kind"].isin(wanted)]
        expected = rows[[c for c in columns if c in rows.columns]] if columns else rows
        assert len(expected) and expected.shape[1] == (len(columns) - ("no_such_column" in columns) if columns else 10)
        got = queried.cases(kinds, columns=columns)
        pd.testing.assert_frame_equal(got, expected.reset_index(drop=True).astype(got.dtypes.to_dict()))
        pd.testing.assert_frame_equal(loaded.cases(kinds, columns=columns), expected)
    assert loaded.cases() is table  # all of the loaded table: the table itself, not a copy


def test_cases_read_by_some_sections_are_let_go_after_them():
    report = open_report("07_voice_of_customer", data_dir=demo_path(), tables=["customers"], queried=["cases"])

    def reader(page):
        return SectionResult("reader", "reader", answer=str(len(page.cases(columns=["reason"], readers={reader}))))

    first = report.cases(columns=["reason"], readers={reader})
    assert report.show(reader).answer == str(len(first))
    assert report.cases(columns=["reason"]) is not first  # let go once its reader was shown: queried again
