"""One run per quarter and reports folder at a time: a lock file ``<out>/.<quarter>.lock``.

The lock is an ``fcntl.flock`` on that file, which the operating system releases when the
process ends however it ends, so a crashed or killed run never leaves a lock that blocks the
next one. The file holds the holder's process id, host name, start time and command, which a
second run names in its message. The holder deletes the file when it ends; a run that finds
the file replaced after it locked it (the holder deleted it meanwhile) locks again.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from cxlab.report.errors import ReportLockedError

__all__ = ["lock_holder", "lock_path", "quarter_lock"]


def lock_path(out: Path, quarter: str) -> Path:
    """The lock file of ``quarter`` in the reports folder ``out``."""
    return Path(out) / f".{quarter}.lock"


def _holder_text(path: Path) -> str:
    try:
        holder = json.loads(path.read_text(encoding="utf-8"))
        return (f"process {holder['pid']} on host {holder['host']}, started {holder['started_at']} "
                f"({holder['command']})")
    except (OSError, ValueError, KeyError, TypeError):
        return "a process whose details could not be read"


def _try_lock(path: Path) -> int | None:
    """Open and lock ``path``; the descriptor, or None when another process holds the lock."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        try:
            same_file = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same_file = False
        if same_file:
            return fd
        os.close(fd)  # the previous holder deleted the file after we opened it: lock the new one


@contextlib.contextmanager
def quarter_lock(out: Path, quarter: str) -> Iterator[Path]:
    """Hold the lock of ``quarter`` in ``out`` for the duration of the block.

    Parameters
    ----------
    out : pathlib.Path
        The reports folder (must exist).
    quarter : str
        The report quarter.

    Yields
    ------
    pathlib.Path
        The lock file.

    Raises
    ------
    ReportLockedError
        Another process holds the lock; the message says which.
    """
    path = lock_path(out, quarter)
    fd = _try_lock(path)
    if fd is None:
        raise ReportLockedError(f"another report run of {quarter} is under way in {out}: "
                                f"{_holder_text(path)}; its lock is {path}")
    try:
        holder = {"pid": os.getpid(), "host": socket.gethostname(),
                  "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                  "command": " ".join(sys.argv) or sys.executable}
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(holder).encode("utf-8"))
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)


def lock_holder(out: Path, quarter: str) -> str | None:
    """Describe the run holding the lock of ``quarter`` in ``out``; None when nobody holds it."""
    path = lock_path(out, quarter)
    if not path.exists():
        return None
    fd = _try_lock(path)
    if fd is None:
        return _holder_text(path)
    os.close(fd)  # free: a crashed run's file; release at once and leave it for the next run
    return None
