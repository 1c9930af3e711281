"""Shared fixture: full CPU load, under which the report's fault tests must still pass."""

import os
import subprocess
import sys

import pytest


@pytest.fixture
def cpu_load():
    """Keep every core this process may use busy with a spinning process for the duration of the test."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
    yield cores
    for spinner in spinners:
        spinner.kill()
        spinner.wait()
