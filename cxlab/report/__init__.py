"""The quarterly report run: notebooks executed with papermill, rendered to shareable HTML.

Use :func:`run` (or :func:`check`, which validates without running) from Python or
``cxlab report`` from the command line. The errors, one per exit code of the command, are in
:mod:`cxlab.report.errors`.
"""

from cxlab.report.errors import (
    ReportDataChangedError,
    ReportError,
    ReportInputError,
    ReportInterrupted,
    ReportLockedError,
    ReportOutputError,
    ReportRunError,
)
from cxlab.report.runner import check, run

__all__ = ["ReportDataChangedError", "ReportError", "ReportInputError", "ReportInterrupted", "ReportLockedError",
           "ReportOutputError", "ReportRunError", "check", "run"]
