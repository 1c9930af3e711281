"""The quarterly report run: notebooks executed with papermill, rendered to shareable HTML.

Use :func:`run` from Python or ``cxlab report`` from the command line.
"""

from cxlab.report.errors import ReportInputError, ReportRunError
from cxlab.report.runner import run

__all__ = ["ReportInputError", "ReportRunError", "run"]
