"""The quarterly report end to end on data folders converted from real public files.

Each public file in ``shared/datasets/`` (next to the repository; see its PROVENANCE.md) is converted
with :func:`cxlab.datasets.convert` and the full report runs on the folder: every notebook must
publish a page although the folder lacks most tables. Headline figures the notebooks record are
checked against values computed here directly from the raw file.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from cxlab.datasets import SOURCE_FILES, convert
from cxlab.datasets.airline import TOUCHPOINTS
from cxlab.report import run
from cxlab.report.params import discover_notebooks
from cxlab.report.runner import DEFAULT_NOTEBOOKS_DIR

SHARED = Path(os.environ.get("CXLAB_SHARED_DATASETS",
                             Path(__file__).resolve().parents[1].parent / "shared" / "datasets"))

pytestmark = pytest.mark.slow


def _source(name: str) -> Path:
    path = SHARED / name
    if not path.is_file():
        pytest.skip(f"public data set {name} not found in {SHARED} (set CXLAB_SHARED_DATASETS to its folder)")
    return path


def _report(source: str, quarter: str, tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mplconfig"))
    folder = tmp_path / source
    convert(source, _source(SOURCE_FILES[source]), folder)
    index = run(data=folder, out=tmp_path / "reports", quarter=quarter, progress=False)
    assert index == tmp_path / "reports" / quarter / "index.html"
    expected = {nb.name for nb in discover_notebooks(DEFAULT_NOTEBOOKS_DIR)}
    assert expected, "no report notebooks found"
    assert {p.stem for p in index.parent.glob("*.html")} - {"index"} == expected
    for page in index.parent.glob("*.html"):
        assert "Traceback" not in page.read_text(encoding="utf-8"), page.name
    return index.parent


def _headline(report: Path, notebook: str, key: str) -> dict:
    recorded = json.loads((report / "executed" / f"{notebook}.headlines.json").read_text(encoding="utf-8"))
    found = [h for h in recorded["headlines"] if h["key"] == key]
    assert len(found) == 1, f"{notebook} records no headline {key!r}"
    return found[0]


def test_report_on_telco(tmp_path, monkeypatch):
    report = _report("telco", "2024Q4", tmp_path, monkeypatch)
    raw = pd.read_csv(_source(SOURCE_FILES["telco"]))
    direct = KaplanMeierFitter().fit(raw["tenure"], raw["Churn"] == "Yes")
    interval = direct.confidence_interval_survival_function_.loc[12.0]
    retention = _headline(report, "04_retention_cohorts", "retention_12m")
    assert retention["n"] == len(raw)
    assert retention["value"] == pytest.approx(100 * direct.predict(12), abs=1e-9)
    assert (retention["ci_low"], retention["ci_high"]) == pytest.approx(
        (100 * interval.iloc[0], 100 * interval.iloc[1]), abs=1e-9)


def test_report_on_airline(tmp_path, monkeypatch):
    report = _report("airline", "2024Q4", tmp_path, monkeypatch)
    with open(_source(SOURCE_FILES["airline"]), newline="", encoding="utf-8") as handle:
        ratings = [int(row[column]) for row in csv.DictReader(handle) for column in TOUCHPOINTS]
    rated = [r for r in ratings if r > 0]  # 0 = not applicable
    csat = _headline(report, "01_cx_scorecard", "csat")
    assert csat["n"] == len(rated)
    assert csat["value"] == pytest.approx(100 * sum(r >= 4 for r in rated) / len(rated), abs=1e-9)


def test_report_on_nhs_fft(tmp_path, monkeypatch):
    _report("fft", "2024Q1", tmp_path, monkeypatch)
