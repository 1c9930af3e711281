"""The ways a report run can end without publishing, each mapped to an exit code of ``cxlab report``.

=====  ==================================================================================
code   meaning
=====  ==================================================================================
0      the report was published (or, with ``--check``, the run would start)
1      a notebook failed (its kernel raised or died) or a page did not render
2      bad input: parameters, data (including an unreadable file), quarter, existing report
3      another run of the same quarter holds the lock on the reports folder
4      the reports folder cannot be written (read-only, permission denied, disk full)
5      a data file changed while the run read it
130    interrupted by SIGINT (Ctrl-C); 143: by SIGTERM (128 + the signal number)
=====  ==================================================================================

In every case but 0 nothing was published and an earlier report of the quarter is unchanged.
"""

from __future__ import annotations

import signal

__all__ = ["ReportDataChangedError", "ReportError", "ReportInputError", "ReportInterrupted", "ReportLockedError",
           "ReportOutputError", "ReportRunError"]


class ReportError(Exception):
    """A report run that ended without publishing; ``exit_code`` is the command's exit code."""

    exit_code = 1


class ReportInputError(ReportError, ValueError):
    """Bad input found before any notebook ran: parameters, data, quarter or output folder (exit code 2)."""

    exit_code = 2


class ReportRunError(ReportError, RuntimeError):
    """A notebook or a page failed; no report was published (exit code 1)."""

    exit_code = 1


class ReportLockedError(ReportError):
    """Another run of the same quarter is under way in the same reports folder (exit code 3)."""

    exit_code = 3


class ReportOutputError(ReportError, OSError):
    """The reports folder cannot be written: read-only, no permission or disk full (exit code 4)."""

    exit_code = 4


class ReportDataChangedError(ReportError):
    """A data file changed between the start and the end of the run (exit code 5)."""

    exit_code = 5


class ReportInterrupted(KeyboardInterrupt):
    """The run was stopped by SIGINT or SIGTERM; nothing was published (exit code 128 + signal number).

    Parameters
    ----------
    signum : int
        The signal received (``signal.SIGINT`` when the interrupt did not come from a signal).
    """

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        """128 + the signal number: 130 for SIGINT, 143 for SIGTERM."""
        return 128 + self.signum
