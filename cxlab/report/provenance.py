"""Provenance of a report run: what data, which parameters, which code, when.

Every page of a report shows it, and ``provenance.json`` in the quarter folder keeps it in
machine-readable form (the list of quarters in ``reports/index.html`` reads it).
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["HASH_HEX_DIGITS", "PACKAGES", "PROVENANCE_FILE", "Provenance", "file_sha256", "git_commit",
           "input_name", "package_versions", "read_provenance", "short_hashes", "start_time"]

PACKAGES = ("cxlab", "pandas", "numpy", "lifelines", "statsmodels", "duckdb")
HASH_HEX_DIGITS = 12
PROVENANCE_FILE = "provenance.json"


@dataclass
class Provenance:
    """Everything needed to tell how a report was made.

    Attributes
    ----------
    quarter : str
        The report quarter, e.g. ``"2026Q3"``.
    data_as_of : str
        The data's as-of date (ISO).
    data_folder : str
        The data folder as given to the run.
    file_hashes : dict
        Input file name to the first 12 hex digits of its SHA-256.
    parameters : dict
        Notebook name to the parameters it received (without machine paths).
    versions : dict
        Package name to installed version (and Python's).
    git_commit : str
        Commit of the notebooks' repository, ``"unknown"`` outside a git repository.
    started_at : str
        Local start time of the run (ISO, seconds).
    notebook_seconds : dict
        Notebook name to its execution time in seconds.
    duration_seconds : float or None
        Wall time from the start of the run to the end of notebook execution.
    notebook_peak_mb : dict
        Notebook name to its kernel's peak private (anonymous resident) memory in MB, where the system
        reports it; the next run on the same data plans with it (:mod:`cxlab.report.schedule`).
    memory_budget_mb : float or None
        The memory the notebooks running together were allowed to hold by their earlier peaks.
    run_again_alone : list
        Notebooks whose kernel died beside others and that were run once more with nothing beside them.
    validated_by : str
        What validated the data folder and wrote the copy the notebooks read (``duckdb``, ``spark`` or
        ``pandas``); empty in records written before it was recorded.
    """

    quarter: str
    data_as_of: str
    data_folder: str
    file_hashes: dict
    parameters: dict
    versions: dict
    git_commit: str
    started_at: str
    notebook_seconds: dict = field(default_factory=dict)
    duration_seconds: float | None = None
    validated_by: str = ""
    notebook_peak_mb: dict = field(default_factory=dict)
    memory_budget_mb: float | None = None
    run_again_alone: list = field(default_factory=list)

    def write(self, folder: Path) -> Path:
        """Write ``provenance.json`` into ``folder`` and return its path."""
        path = Path(folder) / PROVENANCE_FILE
        path.write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False, default=str))
        return path


def read_provenance(folder: Path) -> Provenance | None:
    """Read a quarter folder's ``provenance.json``; None when absent or unreadable."""
    try:
        return Provenance(**json.loads((Path(folder) / PROVENANCE_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def file_sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_name(path: Path, folder: Path | None = None) -> str:
    """An input file's path within the data folder (``surveys/part-0.parquet``), else its name."""
    inside = folder is not None and path.is_relative_to(folder) and path != folder
    return path.relative_to(folder).as_posix() if inside else path.name


def short_hashes(digests: dict[Path, str], folder: Path | None = None) -> dict[str, str]:
    """Map each file's name to the first 12 hex digits of its SHA-256 (``digests``: path to hex digest), in name
    order; with ``folder``, the name is the path within it (:func:`input_name`)."""
    names = {p: input_name(p, folder) for p in digests}
    return {names[p]: digests[p][:HASH_HEX_DIGITS] for p in sorted(digests, key=names.get)}


def package_versions() -> dict[str, str]:
    """Installed versions of Python and of the packages behind the numbers."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit(folder: Path) -> str:
    """Commit hash of the repository holding ``folder``, marked when tracked files have changes.

    Returns ``"unknown"`` outside a git repository or without git.
    """
    def git(*args):
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                              timeout=30, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit} (with uncommitted changes)" if dirty else commit


def start_time() -> str:
    """The current local time with its UTC offset, to the second (ISO 8601)."""
    return datetime.now().astimezone().isoformat(timespec="seconds")
