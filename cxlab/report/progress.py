"""Progress of the report notebooks on stderr, written without any lock.

Progress bars such as tqdm serialise their writes with a lock (and a monitor thread takes it
too); a signal arriving while that lock is held can deadlock the clean-up of an interrupted
run. This display instead writes each state as one line with a single ``os.write`` system
call, so it never takes a lock and never blocks a thread that another one waits for. On a
terminal the line is rewritten in place; elsewhere (cron, CI logs) a new line is written
whenever the state changes.
"""

from __future__ import annotations

import os
import sys

__all__ = ["NotebookProgress"]


class NotebookProgress:
    """Shows how many notebooks are done and which are running.

    Parameters
    ----------
    total : int
        Number of notebooks.
    enabled : bool
        Write anything at all.
    fd : int, optional
        File descriptor to write to; default: that of ``sys.stderr`` (when it has one).
    """

    def __init__(self, total: int, *, enabled: bool = True, fd: int | None = None):
        self.total = total
        self.fd = _stderr_fd() if fd is None else fd
        self.enabled = enabled and self.fd is not None
        self.terminal = self.enabled and os.isatty(self.fd)
        self._last = ""

    def show(self, done: int, running: list[str]) -> None:
        """Write the state: notebooks done out of the total, and the names of those running."""
        line = f"report notebooks: {done}/{self.total} done; running: {', '.join(sorted(running)) or '-'}"
        if line == self._last:
            return
        self._last = line
        self.write(f"\r{line}\x1b[K" if self.terminal else f"{line}\n")

    def close(self) -> None:
        """End the line on a terminal."""
        if self.terminal and self._last:
            self.write("\n")

    def write(self, text: str) -> None:
        """Write ``text`` with one system call; errors of the stream (closed, broken pipe) are ignored."""
        if not self.enabled:
            return
        try:
            os.write(self.fd, text.encode("utf-8", "replace"))
        except OSError:
            self.enabled = False


def _stderr_fd() -> int | None:
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return None  # replaced by an object without a descriptor (a test runner's capture)
