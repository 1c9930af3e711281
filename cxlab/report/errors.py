"""The two ways a report run can fail, mapped to the command's exit codes."""

from __future__ import annotations


class ReportInputError(ValueError):
    """Bad input found before any notebook ran: parameters, data, quarter or output folder (exit code 2)."""

    exit_code = 2


class ReportRunError(RuntimeError):
    """A notebook failed or the run was interrupted; no report was published (exit code 1)."""

    exit_code = 1
