"""SIGINT and SIGTERM during a report run, handled without taking any lock.

A Python signal handler runs in the main thread between two bytecodes, wherever that thread
happens to be, possibly holding a lock (of a progress bar, of :mod:`logging`, of a future).
Anything the handler, or the clean-up it triggers, does with such a lock can deadlock. So the
handler of :class:`RunSignals` only assigns attributes, kills the kernels' process groups
(``os.killpg``, a system call) and, outside :meth:`RunSignals.deferred` sections, raises
:class:`~cxlab.report.errors.ReportInterrupted`. Inside a deferred section (the wait for the
notebooks, the renames that publish) the main thread polls :meth:`RunSignals.check` instead.

Two guarantees do not depend on the main thread at all:

* a second signal exits the process at once (``os._exit``, code 128 + signal number), after
  killing the kernels;
* a watchdog thread, which only sleeps and reads attributes, exits the process the same way
  when the run has not ended :data:`EXIT_DEADLINE_SECONDS` after the first signal.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from cxlab.report.errors import ReportInterrupted

__all__ = ["EXIT_DEADLINE_SECONDS", "HANDLED", "RunSignals"]

EXIT_DEADLINE_SECONDS = 8.0
HANDLED = (signal.SIGINT, signal.SIGTERM)
_WATCH_INTERVAL_SECONDS = 0.1


def _nothing() -> None:
    return None


class RunSignals:
    """Signal handling for one report run (a context manager; only effective in the main thread).

    Parameters
    ----------
    deadline : float
        Seconds after the first signal at which the watchdog ends the process if the run has
        not ended by itself.

    Attributes
    ----------
    signum : int or None
        The first signal received, None before any.
    kill_children : callable
        Called (from the handler and the watchdog) to kill the run's child processes; it must
        take no lock. :func:`~cxlab.report.execute.execute_notebooks` sets it while kernels run.
    """

    def __init__(self, deadline: float = EXIT_DEADLINE_SECONDS):
        self.deadline = deadline
        self.signum: int | None = None
        self.kill_children: Callable[[], None] = _nothing
        self._received_at: float | None = None
        self._raise = True
        self._active = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> RunSignals:
        if threading.current_thread() is not threading.main_thread():
            return self  # signal handlers can only be set in the main thread
        self._previous = {signum: signal.signal(signum, self._handle) for signum in HANDLED}
        self._active = True
        threading.Thread(target=self._watch, name="cxlab-report-watchdog", daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._active = False
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def _handle(self, signum: int, frame) -> None:
        if self.signum is not None:
            self._exit_now(signum)
        self.signum = signum
        self._received_at = time.monotonic()
        self.kill_children()
        if self._raise:
            raise ReportInterrupted(signum)

    def _exit_now(self, signum: int) -> None:
        self.kill_children()
        os._exit(128 + signum)

    def _watch(self) -> None:
        while self._active:
            received = self._received_at
            if received is not None and time.monotonic() - received > self.deadline:
                self._exit_now(self.signum)
            time.sleep(_WATCH_INTERVAL_SECONDS)

    def check(self) -> None:
        """Raise :class:`~cxlab.report.errors.ReportInterrupted` if a signal was received."""
        if self.signum is not None:
            raise ReportInterrupted(self.signum)

    @contextmanager
    def deferred(self, *, check_after: bool = True) -> Iterator[None]:
        """Record signals without raising inside this block, which may poll :meth:`check`.

        Parameters
        ----------
        check_after : bool
            Raise a signal received inside the block when the block ends. False for a block
            that completes the run (publishing): a signal that arrives then is too late to stop it.
        """
        previous, self._raise = self._raise, False
        try:
            yield
        finally:
            self._raise = previous
        if check_after:
            self.check()
