"""Run notebooks/04_retention_cohorts.ipynb with papermill on a small simulated world."""

import json
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest
from lifelines import KaplanMeierFitter

from cxlab.periods import analysis_as_of
from cxlab.synth import simulate, write_demo
from cxlab.tenure import tenure_frame

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "04_retention_cohorts.ipynb"


@pytest.fixture(scope="module")
def world():
    return simulate(n_customers=1500, seed=11)


def run_notebook(data_dir: Path, out_dir: Path, monkeypatch) -> tuple[dict, nbformat.NotebookNode]:
    monkeypatch.setenv("MPLCONFIGDIR", str(out_dir / "mpl"))
    headlines = out_dir / "headlines.json"
    output = out_dir / "04_out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(output), kernel_name="python3", cwd=str(NOTEBOOKS), progress_bar=False,
        parameters={"data_dir": str(data_dir), "headlines_path": str(headlines), "n_draws": 500},
    )
    payload = json.loads(headlines.read_text())
    return {h["key"]: h for h in payload["headlines"]}, nbformat.read(output, as_version=4)


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.extend(str(v) for k, v in out.get("data", {}).items() if k.startswith("text/"))
    return "\n".join(parts)


def test_notebook_structure():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = [line.split("=")[0].strip() for line in tagged[0].source.splitlines() if "=" in line]
    assert names[:4] == ["data_dir", "quarter", "min_cell_size", "headlines_path"]
    assert not any(line.lstrip().startswith(("def ", "class ")) for c in code for line in c.source.splitlines())
    anchors = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for anchor in ("retention-12m", "cohort-retention", "revenue-retention", "sbg"):
        assert f'<a id="{anchor}"></a>' in anchors


def test_notebook_matches_lifelines_on_simulated_world(world, tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    write_demo(world, data_dir)
    headlines, nb = run_notebook(data_dir, tmp_path, monkeypatch)

    # independent computation: customers read straight from the written CSV, lifelines Kaplan-Meier
    customers = pd.read_csv(data_dir / "customers.csv", parse_dates=["acquired_at", "churned_at"])
    _, as_of = analysis_as_of("", world.as_of)
    frame = tenure_frame(customers, as_of)
    kmf = KaplanMeierFitter().fit(frame["tenure_months"], frame["churned"])
    expected = 100 * float(kmf.survival_function_at_times(12).iloc[0])
    ci = kmf.confidence_interval_survival_function_.loc[:12].iloc[-1]
    retention = headlines["retention_12m"]
    assert retention["value"] == pytest.approx(expected, abs=1e-9)
    assert retention["ci_low"] == pytest.approx(100 * ci.iloc[0], abs=1e-9)
    assert retention["ci_high"] == pytest.approx(100 * ci.iloc[1], abs=1e-9)
    assert retention["n"] == len(frame)
    assert retention["unit"] == "%" and retention["section"] == "retention-12m"

    for key in ("sbg_alpha", "sbg_beta"):
        h = headlines[key]
        assert 0 < h["ci_low"] < h["value"] < h["ci_high"]
        assert h["n"] == len(frame) and h["section"] == "sbg"
    # the sBG fit describes the same data: its 12-month survival is close to Kaplan-Meier's
    a, b = headlines["sbg_alpha"]["value"], headlines["sbg_beta"]["value"]
    sbg_12 = np.prod([(b + t - 1) / (a + b + t - 1) for t in range(1, 13)])
    assert 100 * sbg_12 == pytest.approx(expected, abs=3)

    nrr = headlines["nrr_12m"]
    assert nrr["ci_low"] < nrr["value"] < nrr["ci_high"]
    assert 50 < nrr["value"] < 150 and nrr["n"] >= 30
    text = outputs_text(nb)
    assert "customer_id" not in text and "C000" not in text


def test_notebook_without_revenue_table(world, tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    paths = write_demo(world, data_dir)
    paths["revenue"].unlink()
    headlines, nb = run_notebook(data_dir, tmp_path, monkeypatch)
    assert "nrr_12m" not in headlines
    assert {"retention_12m", "sbg_alpha", "sbg_beta"} <= set(headlines)
    assert "the data has no revenue table" in outputs_text(nb)
