"""Shared fixtures: the demo data (also as folders of Parquet parts) and a small simulated world built
once per session, a papermill
smoke run of a notebook, the thin-notebook checks, a full CPU load for the report's fault tests, and
the check that a page queried through the engine equals the page on the loaded table."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import numpy as np
import papermill
import pytest

import cxlab.io
from cxlab import snapshot
from cxlab.headlines import read_headlines
from cxlab.synth import simulate, write_demo

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = ROOT / "data" / "demo"
NOTEBOOKS = ROOT / "notebooks"
#: The first names of every report notebook's parameters cell, which the report run sets.
STANDARD_PARAMETERS = ["data_dir", "quarter", "min_cell_size", "headlines_path"]
#: The small world most section and notebook tests share: 3,000 customers, seed 5.
SMALL_WORLD = {"n_customers": 3000, "seed": 5}


@pytest.fixture(scope="session")
def demo_data() -> cxlab.io.CXData:
    """The committed demo data folder, loaded and validated once per session (do not modify it)."""
    return cxlab.io.load(DEMO_DIR)


@pytest.fixture(scope="session")
def demo_world():
    """The demo world simulated in memory with its ground truth (``data/demo`` is written from it)."""
    return simulate()


@pytest.fixture(scope="session")
def small_world():
    """A small simulated world (:data:`SMALL_WORLD`) with its ground truth, built once per session."""
    return simulate(**SMALL_WORLD)


@pytest.fixture(scope="session")
def small_world_dir(small_world, tmp_path_factory) -> Path:
    """:func:`small_world` written once as a data folder (do not modify it)."""
    folder = tmp_path_factory.mktemp("small_world")
    write_demo(small_world, folder, compression_level=3)
    return folder


@pytest.fixture(scope="session")
def demo_parts(demo_data, tmp_path_factory) -> Path:
    """The demo folder with each table written as three Parquet parts in a folder of its own
    (``surveys/part-0.parquet`` ...), as Spark and DuckDB export tables (do not modify it)."""
    folder = tmp_path_factory.mktemp("exported")
    for table in ("customers", "revenue", "surveys", "cases"):
        frame = getattr(demo_data, table)
        (folder / table).mkdir()
        for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
            frame.iloc[rows].to_parquet(folder / table / f"part-{i}.parquet", index=False)
    (folder / "meta.json").write_text((DEMO_DIR / "meta.json").read_text())
    return folder


@dataclass
class NotebookRun:
    """An executed notebook and the headline figures it recorded."""

    notebook: nbformat.NotebookNode
    headlines: dict

    @property
    def outputs(self) -> list:
        """Every output of every code cell."""
        return [o for c in self.notebook.cells if c.cell_type == "code" for o in c.outputs]

    @property
    def html(self) -> str:
        """The HTML of every output, joined."""
        return "\n".join(str(o.get("data", {}).get("text/html", "")) for o in self.outputs)

    @property
    def anchors(self) -> set[str]:
        """The section anchors of the notebook's markdown cells."""
        return markdown_anchors(self.notebook)


def markdown_anchors(nb) -> set[str]:
    """The ``<a id="..."></a>`` anchors in a notebook's markdown cells."""
    return set(re.findall(r'<a id="([\w-]+)"></a>', "\n".join(c.source for c in nb.cells
                                                              if c.cell_type == "markdown")))


@pytest.fixture
def run_notebook(tmp_path, monkeypatch):
    """Execute a notebook of ``notebooks/`` with papermill; fail on any error output.

    Returns a function ``run(name, **parameters) -> NotebookRun``; a report notebook also gets a
    ``headlines_path`` in the test's temporary folder, whose figures come back in
    :attr:`NotebookRun.headlines`.
    """
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))

    def run(name: str, **parameters) -> NotebookRun:
        source = NOTEBOOKS / f"{name}.ipynb"
        executed = tmp_path / f"{name}.executed.ipynb"
        headlines = tmp_path / f"{name}.headlines.json"
        if "headlines_path" in papermill.inspect_notebook(str(source)):
            parameters = {"headlines_path": str(headlines), **parameters}
        papermill.execute_notebook(str(source), str(executed), kernel_name="python3", cwd=str(NOTEBOOKS),
                                   progress_bar=False, parameters=parameters)
        result = NotebookRun(nbformat.read(executed, as_version=4),
                             read_headlines(headlines) if headlines.exists() else {})
        errors = [o for o in result.outputs if o.output_type == "error"]
        assert not errors, f"{name}: {errors[0].get('ename')}: {errors[0].get('evalue')}"
        return result

    return run


@pytest.fixture
def thin_notebook():
    """The check of a committed report notebook: ``thin_notebook(name) -> NotebookNode``."""
    return _thin_report_notebook


def _thin_report_notebook(name: str, *, max_lines: int = 40) -> nbformat.NotebookNode:
    """Check that a committed report notebook is thin and return it.

    Thin: committed without outputs, one cell tagged ``parameters`` starting with
    :data:`STANDARD_PARAMETERS`, at most ``max_lines`` lines of code and no ``def``, ``class``
    or branching, run by the ``python3`` kernel.
    """
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), f"{name} has outputs"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}: {len(tagged)} cells tagged parameters"
    names = re.findall(r"^(\w+) = ", tagged[0].source, flags=re.M)
    assert names[:4] == STANDARD_PARAMETERS, names[:4]
    lines = [line for c in code for line in c.source.splitlines() if line.strip()]
    assert len(lines) <= max_lines, f"{name}: {len(lines)} lines of code"
    assert not [line for line in lines if re.match(r"\s*(def|class|if|for|while|try|elif|else)\b", line)]
    assert nb.metadata["kernelspec"]["name"] == "python3"
    return nb


@pytest.fixture
def cpu_load():
    """Keep every core this process may use busy with a spinning process for the duration of the test."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(cores)]
    yield cores
    for spinner in spinners:
        spinner.kill()
        spinner.wait()


@pytest.fixture(scope="session")
def as_arrow_text():
    """Validated tables as a report's copy reads them: short object text as Arrow-backed text, long text as is."""
    def convert(frame):
        short = [c for c in frame.columns if frame[c].dtype == object
                 and frame[c].dropna().str.len().max() <= snapshot.LONG_TEXT_CHARACTERS]
        return frame.astype(dict.fromkeys(short, snapshot.ARROW_TEXT))
    return convert


_IMAGES = re.compile(r"<img[^>]*>")


def _assert_same_sections(queried, loaded, sections) -> None:
    for section in sections:
        mine, theirs = queried.show(section), loaded.show(section)
        name = section.__name__
        assert not mine.unavailable, name
        assert _IMAGES.sub("", mine._repr_html_()) == _IMAGES.sub("", theirs._repr_html_()), name
        assert [(h.key, h.value, h.ci_low, h.ci_high, h.n, h.note) for h in mine.headlines] == \
            [(h.key, h.value, h.ci_low, h.ci_high, h.n, h.note) for h in theirs.headlines], name


@pytest.fixture
def same_sections():
    """A check that each section shows the same text and records the same headlines on two report contexts (a
    page that queries a table and the page that loads it), charts aside."""
    return _assert_same_sections
