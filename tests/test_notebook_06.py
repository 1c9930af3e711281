"""Execute notebooks/06_retention_economics.ipynb with papermill on small simulated worlds and check its headlines."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import papermill
import pytest

from cxlab.economics import clv_across_tails, customer_base, scenario_across_tails, unit_economics
from cxlab.economics.acquisition import ALL
from cxlab.headlines import read_headlines
from cxlab.synth import simulate, write_demo
from cxlab.tenure import tenure_frame

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOK = NOTEBOOKS / "06_retention_economics.ipynb"
KEYS = ["clv", "ltv_cac", "cac", "lift_profit", "lift_profit_pct", "acquisition_alternative_profit", "payback_months"]
SETTINGS = {"gross_margin_share": 0.35, "annual_discount_rate": 0.10, "retention_lift": 0.05, "horizon_months": 60,
            "programme_cost_per_customer_year": 50.0, "cost_to_serve_per_customer_month": 0.0}
N_BOOTSTRAP = 200


def _execute(folder: Path, out_dir: Path, monkeypatch, **parameters) -> tuple[dict, nbformat.NotebookNode]:
    monkeypatch.setenv("MPLCONFIGDIR", str(out_dir / "mpl"))
    headlines = out_dir / "headlines.json"
    papermill.execute_notebook(str(NOTEBOOK), str(out_dir / "executed.ipynb"), kernel_name="python3",
                               cwd=str(NOTEBOOKS), progress_bar=False,
                               parameters={"data_dir": str(folder), "quarter": "", "min_cell_size": 30,
                                           "headlines_path": str(headlines), "n_bootstrap": N_BOOTSTRAP,
                                           "seed": 0, **parameters})
    return read_headlines(headlines), nbformat.read(out_dir / "executed.ipynb", as_version=4)


def _outputs(nb, kind: str) -> str:
    return "\n".join(str(o.get("data", {}).get(kind, "")) for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))


@pytest.fixture(scope="module")
def world():
    return simulate(n_customers=3000, seed=5)


@pytest.fixture(scope="module")
def executed(world, tmp_path_factory):
    folder = tmp_path_factory.mktemp("world")
    write_demo(world, folder)
    out_dir = tmp_path_factory.mktemp("run")
    with pytest.MonkeyPatch.context() as monkeypatch:
        return _execute(folder, out_dir, monkeypatch)


def test_committed_notebook_is_clean_and_parameterised():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    lines = tagged[0].source.splitlines()
    assert lines[:4] == ['data_dir = "../data/demo"', 'quarter = ""', "min_cell_size = 30", 'headlines_path = ""']
    for literal in ("gross_margin_share = 0.35", "annual_discount_rate = 0.10", "retention_lift = 0.05",
                    'lift_kind = "relative"', "horizon_months = 60", "programme_cost_per_customer_year = 50.0",
                    "n_bootstrap = 500", "seed = 0", 'currency = "EUR"'):
        assert any(line.startswith(literal) for line in lines), literal
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert not any(re.search(r"^\s*(def|class) ", c.source, re.M) for c in code)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    papermill_view = papermill.inspect_notebook(str(NOTEBOOK))
    assert papermill_view["retention_lift"]["default"] == "0.05"


def test_headlines_equal_the_package_functions(world, executed):
    headlines, nb = executed
    assert set(KEYS) <= set(headlines)
    as_of = world.as_of  # the simulated world ends on 2026-09-30, the last day of 2026Q3
    base = customer_base(world.customers, as_of=as_of)
    scenario = scenario_across_tails(base, **SETTINGS, lift_kind="relative", n_bootstrap=N_BOOTSTRAP, seed=0)
    expected = {
        "lift_profit": scenario.summary.loc["incremental_discounted_profit"],
        "lift_profit_pct": scenario.summary.loc["profit_increase_pct"],
        "acquisition_alternative_profit": scenario.summary.loc["acquisition_alternative_profit"],
    }
    for key, row in expected.items():
        h = headlines[key]
        assert (h.value, h.ci_low, h.ci_high) == pytest.approx((row["value"], row["ci_low"], row["ci_high"])), key
    frame = tenure_frame(world.customers, as_of)
    overall = clv_across_tails(frame, gross_margin_share=0.35, annual_discount_rate=0.10, n_bootstrap=N_BOOTSTRAP,
                               seed=0).loc["headline"]
    assert (headlines["clv"].value, headlines["clv"].ci_low, headlines["clv"].ci_high, headlines["clv"].n) == (
        pytest.approx(overall["clv"]), pytest.approx(overall["clv_low"]), pytest.approx(overall["clv_high"]), 3000)
    economics = unit_economics(world.customers, as_of=as_of, gross_margin_share=0.35, annual_discount_rate=0.10,
                               n_bootstrap=N_BOOTSTRAP, seed=0).loc[ALL]
    for key, column in (("cac", "cac"), ("ltv_cac", "ltv_cac"), ("payback_months", "payback_months")):
        h = headlines[key]
        assert (h.value, h.ci_low, h.ci_high) == pytest.approx(
            (economics[column], economics[f"{column}_low"], economics[f"{column}_high"])), key
    assert headlines["cac"].n == economics["n_cac"]
    assert headlines["lift_profit"].unit == "EUR" and headlines["lift_profit_pct"].unit == "%"
    # the opening sentence states the same figure and its interval
    answer = _outputs(nb, "text/markdown")
    assert f"{headlines['lift_profit'].value:,.0f} EUR" in answer
    assert f"{headlines['lift_profit'].ci_low:,.0f} EUR" in answer and "A 5% cut in monthly churn" in answer


def test_sections_exist_and_nothing_unsafe_is_shown(world, executed):
    headlines, nb = executed
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', "\n".join(c.source for c in nb.cells
                                                                   if c.cell_type == "markdown")))
    for key in KEYS:
        assert headlines[key].section in anchors, key
        assert headlines[key].value is not None and headlines[key].ci_low <= headlines[key].ci_high, key
    assert not any(o.output_type == "error" for c in nb.cells for o in c.get("outputs", []))
    text = _outputs(nb, "text/plain") + _outputs(nb, "text/html")
    assert not set(re.findall(r"\bC\d{7}\b", text)) & set(world.customers["customer_id"])
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 4  # survival curve, lift by year, tornado, claim map


def test_runs_on_customers_only_without_acquisition_costs(tmp_path, monkeypatch):
    world = simulate(n_customers=1500, seed=9)
    customers = world.customers.assign(acquisition_cost=np.nan)
    folder = tmp_path / "world"
    folder.mkdir()
    customers.to_csv(folder / "customers.csv", index=False, date_format="%Y-%m-%d")
    headlines, nb = _execute(folder, tmp_path, monkeypatch, lift_kind="absolute")
    assert set(KEYS) <= set(headlines)
    for key in ("cac", "ltv_cac", "payback_months", "acquisition_alternative_profit"):
        assert headlines[key].value is None, key
    # the lift is still valued: five points of annual retention, without acquisition spending
    base = customer_base(customers, as_of=world.as_of)
    scenario = scenario_across_tails(base, **SETTINGS, lift_kind="absolute", n_bootstrap=N_BOOTSTRAP, seed=0)
    assert headlines["lift_profit"].value == pytest.approx(scenario.value("incremental_discounted_profit"))
    assert "percentage points more annual retention" in headlines["lift_profit"].label
    shown = _outputs(nb, "text/markdown")
    assert "This section is skipped: the data has no acquisition costs" in shown
    assert not any(o.output_type == "error" for c in nb.cells for o in c.get("outputs", []))
