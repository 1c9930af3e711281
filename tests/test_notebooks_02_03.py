"""Execute notebook 02 with papermill on a small simulated world and check its headlines.

The package computes every figure; this checks that the notebook's recorded headlines equal
what the package returns for the same data and parameters.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cxlab import drivers, touchpoints
from cxlab.synth import simulate, write_demo

NAME = "02_touchpoints_and_drivers"


def test_committed_notebook_is_thin_and_parameterised(thin_notebook):
    nb = thin_notebook(NAME)
    parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    assert parameters.source.splitlines()[:4] == ['data_dir = "../data/demo"', 'quarter = ""', "min_cell_size = 30",
                                                  'headlines_path = ""']


def test_notebook_02_headlines_match_the_package(run_notebook, small_world, small_world_dir):
    run = run_notebook(NAME, data_dir=str(small_world_dir))
    headlines = run.headlines
    assert {"top_driver", "invoicing_change"} <= set(headlines)
    assert {h.section for h in headlines.values()} <= run.anchors

    as_of = pd.Timestamp("2026-09-30")
    effect = touchpoints.intervention_effect(
        small_world.surveys, date="2022-04-01", as_of=as_of, touchpoint="invoicing", window_months=12
    )
    change = headlines["invoicing_change"]
    assert change.value == pytest.approx(effect.change.estimate)
    assert (change.ci_low, change.ci_high) == pytest.approx((effect.change.ci_low, effect.change.ci_high))
    assert change.unit == "percentage points"

    frame = drivers.driver_frame(small_world.surveys, as_of=as_of, window_days=180)
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
    assert top.value == small_world.truth["driver_ranking"][0]


def test_notebook_survives_a_folder_with_customers_only(run_notebook, tmp_path):
    folder = tmp_path / "customers_only"
    written = write_demo(simulate(n_customers=300, seed=2), folder)
    for table in ("surveys", "cases", "revenue"):
        written[table].unlink()
    run = run_notebook(NAME, data_dir=str(folder))
    assert all(h.value is None for h in run.headlines.values())
    text = "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/markdown", ""))
                     + str(o.get("data", {}).get("text/html", "")) for o in run.outputs)
    assert "This section is skipped" in text
