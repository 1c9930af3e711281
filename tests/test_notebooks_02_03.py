"""Execute notebook 02 with papermill on a small simulated world and check its headlines.

Notebook 03 has its own file, tests/test_notebook_03.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest

from cxlab import drivers, touchpoints
from cxlab.headlines import read_headlines
from cxlab.synth import simulate, write_demo

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NB02 = NOTEBOOKS / "02_touchpoints_and_drivers.ipynb"
QUARTER = "2026Q3"  # latest complete quarter of a world simulated up to 2026-09-30


def _run(notebook: Path, folder: Path, out_dir: Path, **parameters):
    headlines = out_dir / f"{notebook.stem}.json"
    papermill.execute_notebook(
        str(notebook),
        str(out_dir / notebook.name),
        kernel_name="python3",
        cwd=str(NOTEBOOKS),
        progress_bar=False,
        parameters={
            "data_dir": str(folder),
            "quarter": "",
            "min_cell_size": 30,
            "headlines_path": str(headlines),
            **parameters,
        },
    )
    return read_headlines(headlines), nbformat.read(out_dir / notebook.name, as_version=4)


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    world = simulate(n_customers=3000, seed=5)
    folder = tmp_path_factory.mktemp("world")
    write_demo(world, folder)
    out_dir = tmp_path_factory.mktemp("run")
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("MPLCONFIGDIR", str(out_dir / "mpl"))
        runs = {nb.stem: _run(nb, folder, out_dir) for nb in (NB02,)}
    return world, runs


def _anchors(nb) -> set[str]:
    return set(
        re.findall(
            r'<a id="([^"]+)"></a>', "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        )
    )


@pytest.mark.parametrize("path", [NB02])
def test_committed_notebooks_are_clean_and_parameterised(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert tagged[0].source.splitlines()[:4] == [
        'data_dir = "../data/demo"',
        'quarter = ""',
        "min_cell_size = 30",
        'headlines_path = ""',
    ]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert not any(re.search(r"^\s*(def|class) ", c.source, re.M) for c in code)
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_notebook_02_headlines_match_the_package(executed):
    world, runs = executed
    headlines, nb = runs["02_touchpoints_and_drivers"]
    assert {"top_driver", "invoicing_change"} <= set(headlines)
    assert {h.section for h in headlines.values()} <= _anchors(nb)

    as_of = pd.Timestamp("2026-09-30")
    effect = touchpoints.intervention_effect(
        world.surveys, date="2022-04-01", as_of=as_of, touchpoint="invoicing", window_months=12
    )
    change = headlines["invoicing_change"]
    assert change.value == pytest.approx(effect.change.estimate)
    assert (change.ci_low, change.ci_high) == pytest.approx((effect.change.ci_low, effect.change.ci_high))
    assert change.unit == "percentage points"

    frame = drivers.driver_frame(world.surveys, as_of=as_of, window_days=180)
    rated = frame.attrs["touchpoints"]
    frame = frame[frame["responded_at"] > as_of - pd.DateOffset(months=24)]
    result = drivers.key_drivers(
        frame, outcome="nps", drivers=rated, missing="pairwise", cluster_col="customer_id", n_resamples=200
    )
    top = headlines["top_driver"]
    assert top.value == result.summary["driver"].iloc[0]
    assert top.n == result.n_
    assert f"{result.summary['importance_share'].iloc[0]:.0f}% of the explained variation" in top.note
    # The small world (3,000 customers) already names the generator's strongest driver.
    assert top.value == world.truth["driver_ranking"][0]


def test_notebooks_survive_a_folder_with_customers_only(tmp_path, monkeypatch):
    folder = tmp_path / "customers_only"
    written = write_demo(simulate(n_customers=300, seed=2), folder)
    for table in ("surveys", "cases", "revenue"):
        written[table].unlink()
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))
    for notebook in (NB02,):
        headlines, nb = _run(notebook, folder, tmp_path)
        assert all(h.value is None for h in headlines.values())
        text = "\n".join(
            o.get("text", "") + str(o.get("data", {}).get("text/markdown", ""))
            + str(o.get("data", {}).get("text/html", ""))
            for c in nb.cells
            if c.cell_type == "code"
            for o in c.outputs
        )
        assert "This section is skipped" in text
