"""Report sections: one function per section of a report page, returning a result that shows itself.

A report notebook is its parameters cell, :func:`open_report` and one :meth:`ReportContext.show`
call per section; the logic, the method choices, the sentences and the headline figures live
here, where they are tested without a kernel.

Modules: :mod:`~cxlab.sections.scorecard` (page 01), :mod:`~cxlab.sections.journey` and
:mod:`~cxlab.sections.questions` (page 02), :mod:`~cxlab.sections.loop` (page 03),
:mod:`~cxlab.sections.retention` (page 04), :mod:`~cxlab.sections.churn` (page 05),
:mod:`~cxlab.sections.economics` (page 06), :mod:`~cxlab.sections.voice` (page 07),
:mod:`~cxlab.sections.drilldown` (the drill-down page of ``cxlab report --by``).
"""

import importlib

from cxlab.sections.result import Chart, SectionResult, Table

_PAGES = ("churn", "drilldown", "economics", "journey", "loop", "questions", "retention", "scorecard", "voice")
_CONTEXT = ("ReportContext", "open_report")


def __getattr__(name: str):
    """Import a page's module when it is first asked for: a report kernel loads only its own page's.

    The report context too (it loads the data and the analyses every page shares), so that the
    report run, which reads :mod:`cxlab.sections.result`'s markers, does not import them.
    """
    if name in _PAGES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _CONTEXT:
        return getattr(importlib.import_module(f"{__name__}.context"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["Chart", "ReportContext", "SectionResult", "Table", "churn", "drilldown", "economics", "journey", "loop",
           "open_report", "questions", "retention", "scorecard", "voice"]
