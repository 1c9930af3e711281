"""Memory of a report run: each kernel's peak is recorded, notebooks start beside others only within the
memory budget, and a kernel that died beside others has its notebook run again alone."""

from __future__ import annotations

import json

import nbformat
import pytest
from test_report import scores_notebook, sleeping_notebook

import cxlab.report
from cxlab.report import ReportInputError, memory
from cxlab.report.execute import KERNEL_DIED, KERNEL_DIED_ALONE, NotebookJob, execute_notebooks
from cxlab.report.layout import page
from cxlab.report.memory import memory_budget_mb, parse_memory_size
from cxlab.report.provenance import Provenance

KERNELSPEC = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}

# Each notebook marks that it runs, then waits (up to `wait_seconds`) for the other's mark, and
# records whether it saw it: two notebooks running side by side both see the other.
MEET = """\
import json, pathlib, time
pathlib.Path(mark).write_text("here")
deadline = time.monotonic() + wait_seconds
while not pathlib.Path(other).exists() and time.monotonic() < deadline:
    time.sleep(0.05)
pathlib.Path(out).write_text(json.dumps({"saw_the_other": pathlib.Path(other).exists()}))"""

# Killed by a signal, as the out-of-memory killer would, the first time (or every time).
DIES = """\
import os, pathlib, signal
if always or not pathlib.Path(mark).exists():
    pathlib.Path(mark).write_text("died once")
    os.kill(os.getpid(), signal.SIGKILL)"""


def _notebook(path, parameters: str, code: str):
    nb = nbformat.v4.new_notebook(metadata=KERNELSPEC)
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell(code)]
    nbformat.write(nb, path)
    return path


def _meeting(tmp_path, wait_seconds: float) -> list[NotebookJob]:
    source = _notebook(tmp_path / "meet.ipynb", 'mark = other = out = ""\nwait_seconds = 0.0', MEET)
    return [NotebookJob(name, source, tmp_path / f"{name}.executed.ipynb",
                        {"mark": str(tmp_path / f"{name}.mark"), "other": str(tmp_path / f"{other}.mark"),
                         "out": str(tmp_path / f"{name}.json"), "wait_seconds": wait_seconds})
            for name, other in (("a", "b"), ("b", "a"))]


def _saw(tmp_path, name: str) -> bool:
    return json.loads((tmp_path / f"{name}.json").read_text())["saw_the_other"]


def test_notebooks_whose_earlier_peaks_exceed_the_budget_run_one_after_the_other(tmp_path):
    result = execute_notebooks(_meeting(tmp_path, wait_seconds=4.0), cwd=tmp_path, workers=2, progress=False,
                               expected_peak_mb={"a": 3000.0, "b": 3000.0}, memory_budget_mb=4000.0)
    assert not result.failures
    assert not _saw(tmp_path, "a")  # a waited its 4 s for b, which started only once a had ended
    assert _saw(tmp_path, "b")  # a's mark was there when b ran


def test_notebooks_whose_earlier_peaks_fit_run_side_by_side(tmp_path):
    result = execute_notebooks(_meeting(tmp_path, wait_seconds=60.0), cwd=tmp_path, workers=2, progress=False,
                               expected_peak_mb={"a": 3000.0, "b": 3000.0}, memory_budget_mb=6000.0)
    assert not result.failures
    assert _saw(tmp_path, "a") and _saw(tmp_path, "b")


def test_each_kernels_peak_memory_is_recorded(tmp_path):
    source = _notebook(tmp_path / "hold.ipynb", "megabytes = 0",
                       "import numpy as np\nheld = np.ones(megabytes * 131072)  # 8-byte floats")
    jobs = [NotebookJob(f"hold{mb}", source, tmp_path / f"hold{mb}.ipynb", {"megabytes": mb}) for mb in (0, 400)]
    result = execute_notebooks(jobs, cwd=tmp_path, workers=1, progress=False)
    assert not result.failures
    small, large = result.peak_mb["hold0"], result.peak_mb["hold400"]
    assert 30 < small < 400  # an idle kernel with numpy loaded
    assert 390 < large - small < 450  # the 400 MB array, written in full, and little else


def _dying(tmp_path, *, always: bool) -> list[NotebookJob]:
    dies = _notebook(tmp_path / "dies.ipynb", 'mark = ""\nalways = False', DIES)
    waits = _notebook(tmp_path / "waits.ipynb", "seconds = 0.0", "import time\ntime.sleep(seconds)")
    return [NotebookJob("dies", dies, tmp_path / "dies.executed.ipynb",
                        {"mark": str(tmp_path / "dies.mark"), "always": always}),
            NotebookJob("waits", waits, tmp_path / "waits.executed.ipynb", {"seconds": 5.0})]


def test_a_kernel_that_died_beside_others_is_run_again_alone(tmp_path):
    result = execute_notebooks(_dying(tmp_path, always=False), cwd=tmp_path, workers=2, progress=False)
    assert not result.failures
    assert result.run_again_alone == ["dies"]
    assert set(result.seconds) == {"dies", "waits"} and "dies" in result.peak_mb


def test_a_kernel_that_dies_again_alone_fails_the_notebook(tmp_path):
    result = execute_notebooks(_dying(tmp_path, always=True), cwd=tmp_path, workers=2, progress=False)
    assert result.run_again_alone == ["dies"]
    assert [(f.name, f.error) for f in result.failures] == [("dies", KERNEL_DIED_ALONE)]
    assert "out-of-memory killer" in result.failures[0].describe()


def test_a_kernel_that_died_alone_is_not_run_again(tmp_path):
    result = execute_notebooks(_dying(tmp_path, always=False), cwd=tmp_path, workers=1, progress=False)
    assert result.run_again_alone == []
    assert [(f.name, f.error) for f in result.failures] == [("dies", KERNEL_DIED)]


@pytest.mark.parametrize(("text", "expected"), [("4GB", 4096.0), ("512 MB", 512.0), ("1.5GiB", 1536.0),
                                                ("2g", 2048.0), ("1TB", 1024.0 ** 2)])
def test_memory_sizes_are_read_in_mb(text, expected):
    assert parse_memory_size(text) == expected


@pytest.mark.parametrize("text", ["", "4", "0GB", "-1GB", "4KB", "four GB", "4 GB extra"])
def test_a_memory_size_that_is_not_one_is_refused(text):
    with pytest.raises(ReportInputError, match="memory limit must be a positive size like 4GB"):
        parse_memory_size(text)


def test_without_a_limit_the_budget_is_the_memory_available(monkeypatch):
    monkeypatch.setattr(memory, "available_memory_mb", lambda: 12345.0)
    assert memory_budget_mb(None) == 12345.0
    assert memory_budget_mb("2GB") == 2048.0


def test_a_page_says_its_notebook_was_run_again_alone():
    record = Provenance(quarter="2026Q3", data_as_of="2026-09-30", data_folder="data", file_hashes={},
                        parameters={"07_voice": {}, "01_scores": {}}, versions={}, git_commit="abc",
                        started_at="2026-10-05T06:00:00+00:00", notebook_seconds={"07_voice": 41.0, "01_scores": 9.0},
                        run_again_alone=["07_voice"])
    text = " ".join(page(title="t", body="b", nav=[], provenance=record, notebook="07_voice").split())
    assert "this notebook ran 41.0 s (run a second time, alone, after its kernel died beside other notebooks)" in text
    assert "run a second time" not in page(title="t", body="b", nav=[], provenance=record, notebook="01_scores")
    assert "run a second time" not in page(title="t", body="b", nav=[], provenance=record)


def test_check_says_how_the_run_would_start_its_notebooks(tmp_path, small_world_dir):
    notebooks, out = tmp_path / "notebooks", tmp_path / "reports"
    scores_notebook(notebooks)
    sleeping_notebook(notebooks)
    text = cxlab.report.check(data=small_world_dir, out=out, notebooks_dir=notebooks, workers=2)
    assert "notebooks at once: at most 2; their memory together: what the machine has available when they start" in (
        text)
    assert "start order: page order (no earlier run on this data folder)" in text
    (out / "2001Q1").mkdir(parents=True)
    (out / "2001Q1" / "provenance.json").write_text(json.dumps({
        "data_folder": str(small_world_dir), "started_at": "2026-01-05T06:00:00+00:00",
        "notebook_seconds": {"01_scores": 5.0, "03_sleeps": 60.0}, "notebook_peak_mb": {"01_scores": 500}}))
    text = cxlab.report.check(data=small_world_dir, out=out, notebooks_dir=notebooks, memory_limit="3GB")
    assert "their memory together: at most 3GB (3,072 MB)" in text
    assert ("start order: quickest by the last run on this data folder (its seconds and peak memory per notebook): "
            "03_sleeps, 01_scores") in text
