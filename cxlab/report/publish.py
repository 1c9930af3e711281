"""Build folders and atomic publication of a quarter's report.

A run builds the quarter in a hidden folder ``<out>/.build-<quarter>-<pid>/`` and renames it
to ``<out>/<quarter>/`` only when everything succeeded, so a reader never sees half a
report. Replacing an existing quarter renames the old folder aside first
(``.old-<quarter>-<pid>``), renames the new one in, then deletes the old one. A failed run's
build folder becomes ``<out>/_failed/<quarter>-<YYYYmmddTHHMMSS>/``. Hidden folders left by
a run that was killed are tidied by the next run, and so are the private temporary folders
(``cxlab-run-<pid>-*`` in the system's temporary folder) of runs killed outright.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

__all__ = ["FAILED_DIR", "SCRATCH_PREFIX", "clean_leftover_scratch", "clean_leftovers", "keep_failed",
           "make_build_dir", "publish"]

FAILED_DIR = "_failed"
SCRATCH_PREFIX = "cxlab-run-"
_LEFTOVER = re.compile(r"^\.(build|old)-(.+)-(\d+)$")
_SCRATCH = re.compile(rf"^{SCRATCH_PREFIX}(\d+)-")


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(out: Path) -> list[Path]:
    """Tidy the hidden folders of runs that are no longer alive; return the folders handled.

    Build folders are removed. An old report renamed aside by a run that died before moving
    the new one in is renamed back when its quarter folder is missing, else removed.
    """
    out = Path(out)
    handled = []
    if not out.is_dir():
        return handled
    for path in out.iterdir():
        match = _LEFTOVER.match(path.name)
        if not (match and path.is_dir()) or _process_alive(int(match.group(3))):
            continue
        target = out / match.group(2)
        if match.group(1) == "old" and not target.exists():
            os.replace(path, target)
        else:
            shutil.rmtree(path, ignore_errors=True)
        handled.append(path)
    return handled


def make_build_dir(out: Path, quarter: str) -> Path:
    """Create an empty hidden build folder for ``quarter`` inside ``out``."""
    build = Path(out) / f".build-{quarter}-{os.getpid()}"
    if build.exists():
        shutil.rmtree(build)
    build.mkdir(parents=True)
    return build


def publish(build: Path, target: Path) -> None:
    """Move a finished build folder to ``target``, replacing an existing one by renames.

    Parameters
    ----------
    build : pathlib.Path
        The complete report.
    target : pathlib.Path
        ``<out>/<quarter>``, in the same folder as ``build`` (renames are atomic there).
    """
    if not target.exists():
        os.replace(build, target)
        return
    aside = target.with_name(f".old-{target.name}-{os.getpid()}")
    os.replace(target, aside)
    try:
        os.replace(build, target)
    except BaseException:
        os.replace(aside, target)
        raise
    shutil.rmtree(aside, ignore_errors=True)


def keep_failed(build: Path, out: Path, quarter: str, started: datetime) -> Path:
    """Move a failed build folder to ``<out>/_failed/<quarter>-<YYYYmmddTHHMMSS>/`` and return that path."""
    failed_root = Path(out) / FAILED_DIR
    failed_root.mkdir(parents=True, exist_ok=True)
    stem = f"{quarter}-{started:%Y%m%dT%H%M%S}"
    failed = failed_root / stem
    counter = 1
    while failed.exists():
        counter += 1
        failed = failed_root / f"{stem}-{counter}"
    os.replace(build, failed)
    return failed


def clean_leftover_scratch(folder: Path | None = None) -> list[Path]:
    """Remove the private temporary folders (``cxlab-run-<pid>-*``) of runs that are no longer alive.

    A run removes its own when it ends; only a run killed outright (SIGKILL, power cut) leaves one.

    Parameters
    ----------
    folder : pathlib.Path, optional
        Where the temporary folders are; default: the system's temporary folder.

    Returns
    -------
    list of pathlib.Path
        The folders removed.
    """
    folder = Path(folder or tempfile.gettempdir())
    removed = []
    for path in folder.glob(f"{SCRATCH_PREFIX}*"):
        match = _SCRATCH.match(path.name)
        if match and path.is_dir() and not _process_alive(int(match.group(1))):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
