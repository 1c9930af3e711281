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
from cxlab.metrics import wilson_interval
from cxlab.periods import analysis_as_of, known_by
from cxlab.report import run
from cxlab.report.params import discover_notebooks
from cxlab.report.plan import DEFAULT_NOTEBOOKS_DIR

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
    assert {p.stem for p in index.parent.glob("*.html")} - {"index", "appendix"} == expected
    assert (index.parent / "appendix.html").is_file()
    for page in index.parent.glob("*.html"):
        assert "Traceback" not in page.read_text(encoding="utf-8"), page.name
    return index.parent


def _headline(report: Path, notebook: str, key: str) -> dict:
    recorded = json.loads((report / "executed" / f"{notebook}.headlines.json").read_text(encoding="utf-8"))
    found = [h for h in recorded["headlines"] if h["key"] == key]
    assert len(found) == 1, f"{notebook} records no headline {key!r}"
    return found[0]


def _assert_share(headline: dict, hits: int, n: int) -> None:
    low, high = wilson_interval(hits, n)
    assert headline["n"] == n
    assert headline["value"] == pytest.approx(100 * hits / n, abs=1e-9)
    assert (headline["ci_low"], headline["ci_high"]) == pytest.approx((100 * low, 100 * high), abs=1e-9)


def _assert_no_history(report: Path) -> None:
    """Pages of a source without tenure or churn skip survival and economics and record no such figure."""
    skipped = "the data has no record of when customers joined and left"
    for notebook, keys in (("04_retention_cohorts", ["retention"]),
                           ("05_churn_survival", ["median_tenure", "survival_24m", "rmst_36m"]),
                           ("06_retention_economics", ["lift_profit", "clv", "cac"])):
        page = (report / f"{notebook}.html").read_text(encoding="utf-8")
        assert skipped in page, notebook
        assert "of whom had left" not in page and "of them active" not in page, notebook
        for key in keys:
            assert _headline(report, notebook, key)["value"] is None, (notebook, key)
    assert "lifetime value of a new customer (" not in (report / "06_retention_economics.html").read_text(
        encoding="utf-8")


def test_report_on_telco(tmp_path, monkeypatch):
    report = _report("telco", "2024Q4", tmp_path, monkeypatch)
    raw = pd.read_csv(_source(SOURCE_FILES["telco"]))
    direct = KaplanMeierFitter().fit(raw["tenure"], raw["Churn"] == "Yes")
    interval = direct.confidence_interval_survival_function_.loc[12.0]
    retention = _headline(report, "04_retention_cohorts", "retention")
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
    raw = pd.read_csv(_source(SOURCE_FILES["airline"]), usecols=["Satisfaction"])
    satisfied = int((raw["Satisfaction"] == "Satisfied").sum())
    assert (satisfied, len(raw)) == (56_428, 129_880)  # 43.4% satisfied, the reference figure
    _assert_share(_headline(report, "01_cx_scorecard", "satisfied_share"), satisfied, len(raw))
    assert _headline(report, "01_cx_scorecard", "nps")["note"] == "not in the data: the survey has no NPS question"
    assert _headline(report, "01_cx_scorecard", "recommend_share")["value"] is None
    _assert_no_history(report)


def test_report_on_nhs_fft(tmp_path, monkeypatch):
    report = _report("fft", "2024Q1", tmp_path, monkeypatch)
    raw = pd.read_csv(_source(SOURCE_FILES["fft"]), usecols=["time", "rating"], parse_dates=["time"])
    scored = raw[~raw["rating"].str.replace("\u2019", "'").eq("Don't know")]
    likely = scored["rating"].isin(["Extremely likely", "Likely"])
    assert (int(likely.sum()), len(scored)) == (3_517, 3_863)  # 91.0% over the whole file
    # The scorecard's figure is the report quarter's: answers from 1 January 2024 up to its as-of date.
    _, as_of = analysis_as_of("2024Q1", raw["time"].max())
    in_quarter = (scored["time"] >= pd.Timestamp("2024-01-01")) & known_by(scored["time"], as_of=as_of)
    recommend = _headline(report, "01_cx_scorecard", "recommend_share")
    _assert_share(recommend, int((likely & in_quarter).sum()), int(in_quarter.sum()))
    assert recommend["unit"] == "% likely to recommend (5-point scale)" and "NPS" not in recommend["unit"]
    for key in ("nps", "csat", "ces"):
        assert _headline(report, "01_cx_scorecard", key)["note"].startswith("not in the data"), key
    assert _headline(report, "01_cx_scorecard", "satisfied_share")["value"] is None
    summary = (report / "index.html").read_text(encoding="utf-8")
    assert "More figures by analysis" in summary and "likely to recommend" in summary
    _assert_no_history(report)
