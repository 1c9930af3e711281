"""Execute notebooks/05_churn_survival.ipynb with papermill and check its headlines against lifelines."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest
from lifelines import CoxTimeVaryingFitter, KaplanMeierFitter
from lifelines.utils import median_survival_times, restricted_mean_survival_time

import cxlab.io
from cxlab.headlines import read_headlines
from cxlab.periods import analysis_as_of
from cxlab.survival import time_varying_frame
from cxlab.synth import simulate, write_demo
from cxlab.tenure import tenure_frame

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "05_churn_survival.ipynb"
KEYS = ["median_tenure", "survival_12m", "survival_24m", "rmst_36m", "hr_detractor", "hr_followup"]


def _execute(folder: Path, out_dir: Path) -> tuple[dict, nbformat.NotebookNode]:
    headlines = out_dir / "headlines.json"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("MPLCONFIGDIR", str(out_dir / "mpl"))
        papermill.execute_notebook(str(NOTEBOOK), str(out_dir / "executed.ipynb"), kernel_name="python3",
                                   cwd=str(NOTEBOOKS), progress_bar=False,
                                   parameters={"data_dir": str(folder), "quarter": "", "min_cell_size": 30,
                                               "headlines_path": str(headlines)})
    return read_headlines(headlines), nbformat.read(out_dir / "executed.ipynb", as_version=4)


@pytest.fixture(scope="module")
def world_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    write_demo(simulate(n_customers=3000, seed=5), folder, compression_level=3)
    return folder


@pytest.fixture(scope="module")
def executed(world_folder, tmp_path_factory):
    return _execute(world_folder, tmp_path_factory.mktemp("run"))


def test_committed_notebook_is_clean_and_parameterised():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"] == {"name": "python3", "display_name": "Python 3", "language": "python"}
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = re.findall(r"^(\w+) = ", tagged[0].source, flags=re.M)
    assert names[:4] == ["data_dir", "quarter", "min_cell_size", "headlines_path"]
    assert not any(re.search(r"^\s*(def|class) ", c.source, flags=re.M) for c in code)


def test_headlines_match_lifelines(executed, world_folder):
    headlines, nb = executed
    assert set(KEYS) <= set(headlines)
    data = cxlab.io.load(world_folder)
    _, as_of = analysis_as_of("", data.as_of)
    frame = tenure_frame(data.customers, as_of)
    kmf = KaplanMeierFitter().fit(frame["tenure_months"], frame["churned"])
    median = headlines["median_tenure"]
    if np.isfinite(kmf.median_survival_time_):
        assert median.value == kmf.median_survival_time_
        low, high = median_survival_times(kmf.confidence_interval_).iloc[0]
        assert median.ci_low == low and (median.ci_high == high or (np.isinf(high) and median.ci_high is None))
    else:
        assert median.value is None and median.note.startswith("not reached")
    assert median.n == len(frame) and median.unit == "months"
    ci = kmf.confidence_interval_survival_function_
    for months in (12, 24):
        h = headlines[f"survival_{months}m"]
        assert h.value == pytest.approx(100 * kmf.survival_function_at_times(months).iloc[0], rel=1e-12)
        assert h.ci_low == pytest.approx(100 * ci.loc[:months].iloc[-1, 0], rel=1e-12)
        assert h.ci_high == pytest.approx(100 * ci.loc[:months].iloc[-1, 1], rel=1e-12)
        assert h.unit == "%"
    rmst = headlines["rmst_36m"]
    assert rmst.value == pytest.approx(restricted_mean_survival_time(kmf, t=36), rel=1e-9)
    assert rmst.ci_low < rmst.value < rmst.ci_high

    # hazard ratios: lifelines' CoxTimeVaryingFitter on the same start/stop frame with hand-made dummies
    tv = time_varying_frame(data.customers, data.surveys, data.cases, as_of)
    ces_observed = tv["ces"].notna()
    design = pd.DataFrame({
        "start": tv["start_months"], "stop": tv["stop_months"], "event": tv["churned"],
        "detractor": (tv["nps_category"] == "detractor") * 1.0,
        "no_response": (tv["nps_category"] == "no_response") * 1.0,
        "promoter": (tv["nps_category"] == "promoter") * 1.0,
        "followup": tv["followup"] * 1.0,
        "ces": tv["ces"].fillna(tv.loc[ces_observed, "ces"].mean()),
        "ces_missing": (~ces_observed) * 1.0,
        "enterprise": (tv["segment"] == "Enterprise") * 1.0,
        "mid_market": (tv["segment"] == "Mid-market") * 1.0,
        "annual": (tv["contract"] == "annual") * 1.0,
    })
    ctv = CoxTimeVaryingFitter().fit(design, event_col="event", start_col="start", stop_col="stop")
    bounds = np.exp(ctv.confidence_intervals_)
    for key, column in (("hr_detractor", "detractor"), ("hr_followup", "followup")):
        h = headlines[key]
        assert h.value == pytest.approx(np.exp(ctv.params_[column]), rel=1e-6)
        assert h.ci_low == pytest.approx(bounds.loc[column].iloc[0], rel=1e-6)
        assert h.ci_high == pytest.approx(bounds.loc[column].iloc[1], rel=1e-6)
        assert h.unit == "x" and h.section == "cox"

    anchors = set(re.findall(r'<a id="([\w-]+)"></a>', "\n".join(c.source for c in nb.cells
                                                                  if c.cell_type == "markdown")))
    assert {h.section for h in headlines.values()} <= anchors
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors


def test_customers_only_folder_runs_and_says_what_is_missing(world_folder, tmp_path):
    folder = tmp_path / "customers_only"
    folder.mkdir()
    for name in ("customers.csv", "meta.json"):
        shutil.copy(world_folder / name, folder / name)
    headlines, nb = _execute(folder, tmp_path)
    for key in ("hr_detractor", "hr_followup"):
        assert headlines[key].value is None and "no survey answers" in headlines[key].note
    assert headlines["survival_12m"].value is not None
    text = "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/markdown", ""))
                     for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "This section is skipped: the data has no survey answers." in text
