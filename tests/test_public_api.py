"""The public API: every module declares ``__all__``, and the paths users import from still work."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import cxlab

MODULES = sorted(info.name for info in pkgutil.walk_packages(cxlab.__path__, "cxlab.")
                 if not info.name.endswith("__main__"))

# Public names of the modules that became packages, as they were before the split: each must
# still be importable from the package itself.
FORMER_MODULES = {
    "cxlab.metrics": [
        "CESEstimate", "CES_SCALE", "CSATEstimate", "CSAT_SCALE", "DEFAULT_CLUSTER_COL", "DEFAULT_RESAMPLES",
        "Difference", "LOW_EFFORT_SCORES", "NPSEstimate", "NPS_METHODS", "NPS_SCALE", "PASSIVE_SCORES",
        "PROMOTER_SCORES", "SATISFIED_SCORES", "ces", "ces_by", "cluster_column", "compare_by", "compare_ces",
        "compare_csat", "compare_nps", "csat", "csat_by", "fdr_selection", "mean_intervals_from_sums",
        "multiplicity_note", "nps", "nps_by", "nps_from_counts", "nps_intervals", "score_distribution",
        "variance_label", "wilson_interval"],
    "cxlab.synth": [
        "CHANNELS", "CHURN_LOG_HR", "DEFAULT_END", "DEFAULT_FOLLOWUP_HAZARD_RATIO", "DEFAULT_N_CUSTOMERS",
        "DEFAULT_SEED", "DEFAULT_START", "DEFAULT_TRANSACTIONAL_PER_MONTH", "DRIVER_WEIGHTS", "REGIONS",
        "SEGMENTS", "SimulatedWorld", "TABLE_FILES", "baseline_monthly_hazard", "main", "read_demo", "simulate",
        "write_demo"],
    "cxlab.drivers": [
        "EXACT_DOMINANCE_MAX", "IMPORTANCE_METHODS", "IMPORTANCE_NAMES", "KeyDriverAnalysis", "MAX_DRIVERS",
        "MISSING_RULES", "OUTCOMES", "OUTCOME_KINDS", "asked_together", "available_outcome",
        "bootstrap_importance", "driver_frame", "general_dominance", "importance_weights", "key_drivers",
        "latest_before", "pairwise_covariance", "relative_weights", "totals_before"],
    "cxlab.touchpoints": [
        "CHANGE_COLUMNS", "HEADLINE_METRICS", "InterventionEffect", "OVERALL_QUESTIONS", "SCORE_COLUMNS",
        "SCORE_LABELS", "SURVEY_COLUMNS", "TREND_METRICS", "intervention_effect", "overall_share",
        "plot_intervention", "plot_trend", "plot_trend_panels", "quarter_changes", "quarter_estimates",
        "quarter_labels", "recent_comments", "score_labels", "scorecard", "scorecard_changes", "surveys_as_of",
        "with_customer_attributes"],
}


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_its_public_names(name):
    module = importlib.import_module(name)
    assert isinstance(getattr(module, "__all__", None), list), f"{name} has no __all__"
    missing = [item for item in module.__all__ if not hasattr(module, item)]
    assert not missing, f"{name}.__all__ lists {missing}, which the module does not define"
    assert len(set(module.__all__)) == len(module.__all__), f"{name}.__all__ repeats a name"


@pytest.mark.parametrize("package", sorted(FORMER_MODULES))
def test_names_of_a_split_module_are_still_importable_from_it(package):
    module = importlib.import_module(package)
    missing = [name for name in FORMER_MODULES[package] if name not in module.__all__]
    assert not missing, f"{package} no longer exports {missing}"


def test_the_generator_still_runs_as_a_module():
    done = subprocess.run([sys.executable, "-m", "cxlab.synth", "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "--out" in done.stdout


def test_the_api_page_is_current():
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "docs"))
    try:
        from build_api import PAGE, api_page
    finally:
        sys.path.remove(str(root / "docs"))
    page = PAGE.read_text(encoding="utf-8")
    missing = [name for name in MODULES if f"## `{name}`" not in page]
    assert not missing, f"docs/api.md does not list {missing}: run python docs/build_api.py"
    assert page == api_page(), "docs/api.md is out of date: run python docs/build_api.py"
