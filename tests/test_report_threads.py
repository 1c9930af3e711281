"""The kernels of a report run share the cores: each one's numerical libraries get its share of threads."""

from __future__ import annotations

import json
import os

import nbformat
import pytest

from cxlab.report import execute
from cxlab.report.execute import BLAS_THREAD_VARIABLES, NotebookJob, execute_notebooks

KERNELSPEC = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
RECORD = """\
import json, os
import numpy  # loads its OpenBLAS, which threadpoolctl then finds
from threadpoolctl import threadpool_info
blas = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
with open(out, "w") as f:
    json.dump({"env": {name: os.environ.get(name) for name in names}, "blas": blas}, f)"""


def _jobs(tmp_path, count: int) -> list[NotebookJob]:
    nb = nbformat.v4.new_notebook(metadata=KERNELSPEC)
    parameters = nbformat.v4.new_code_cell('out = ""\nnames = []')
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, nbformat.v4.new_code_cell(RECORD)]
    source = tmp_path / "record.ipynb"
    nbformat.write(nb, source)
    return [NotebookJob(f"record{i}", source, tmp_path / f"executed{i}.ipynb",
                        {"out": str(tmp_path / f"seen{i}.json"), "names": list(BLAS_THREAD_VARIABLES)})
            for i in range(count)]


@pytest.mark.parametrize(("cores", "workers", "expected"), [(4, 2, 2), (2, 2, 1), (3, 2, 1)])
def test_each_kernel_gets_its_share_of_the_cores(tmp_path, monkeypatch, cores, workers, expected):
    for name in BLAS_THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(execute, "_usable_cores", lambda: cores)
    jobs = _jobs(tmp_path, 2)
    result = execute_notebooks(jobs, cwd=tmp_path, workers=workers, progress=False)
    assert not result.failures
    for i in range(len(jobs)):
        seen = json.loads((tmp_path / f"seen{i}.json").read_text())
        assert seen["env"] == dict.fromkeys(BLAS_THREAD_VARIABLES, str(expected))
        # what numpy's OpenBLAS runs with: the setting, capped by OpenBLAS at the cores the kernel has
        assert seen["blas"] and set(seen["blas"]) == {min(expected, len(os.sched_getaffinity(0)))}


def test_a_thread_setting_in_the_environment_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(execute, "_usable_cores", lambda: 2)
    result = execute_notebooks(_jobs(tmp_path, 1), cwd=tmp_path, workers=2, progress=False)
    assert not result.failures
    seen = json.loads((tmp_path / "seen0.json").read_text())
    assert seen["env"]["OPENBLAS_NUM_THREADS"] == "3" and seen["env"]["OMP_NUM_THREADS"] == "2"
