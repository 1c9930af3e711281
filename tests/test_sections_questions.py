"""Sections of the declared questions, run without a kernel on a small simulated survey."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest

from cxlab.catalogue import catalogue_from_dict
from cxlab.datasets.generic import from_wide_survey
from cxlab.sections import open_report, questions

ITEMS = [f"item_{i:02d}" for i in range(12)]
SPEC = {"questions": [
    *({"id": item, "label": f"Item {i}", "scale": [1, 100], "top_box": [80, 100], "bottom_box": [1, 40]}
      for i, item in enumerate(ITEMS)),
    {"id": "staff", "label": "Staff were friendly", "scale": [1, 7]},
    {"id": "overall", "label": "Overall satisfaction", "scale": [1, 10], "role": "overall"},
    {"id": "ltr", "label": "Recommend", "preset": "nps", "role": "recommend"},
    {"id": "again", "label": "Would buy again", "scale": [1, 5], "role": "repurchase"},
    {"id": "vs", "label": "Compared with competitors", "preset": "competitors", "role": "preference"},
    *({"id": f"imp_{item}", "label": f"Importance of item {i}", "scale": [1, 5], "role": "importance",
       "importance_of": item} for i, item in enumerate(ITEMS[:4])),
]}


def _wide(n: int = 800, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    halo = rng.normal(size=(n, 1))
    items = np.clip(np.round(60 + 12 * halo + 15 * rng.normal(size=(n, len(ITEMS)))), 1, 100)
    drive = (items - 60) @ np.linspace(1.0, 0.0, len(ITEMS)) / 40
    latent = drive + rng.normal(size=n)
    wide = pd.DataFrame(items, columns=ITEMS)
    wide["staff"] = np.clip(np.round(4 + halo[:, 0] + rng.normal(size=n)), 1, 7)
    wide["overall"] = np.clip(np.round(7 + 1.5 * latent), 1, 10)
    wide["ltr"] = np.clip(np.round(7.5 + 2 * latent + rng.normal(size=n)), 0, 10)
    wide["again"] = np.clip(np.round(3.5 + latent), 1, 5)
    wide["vs"] = np.clip(np.round(2 + latent / 2), 1, 3)
    for i, item in enumerate(ITEMS[:4]):
        wide[f"imp_{item}"] = np.clip(np.round(4 - (i % 2) * 2 + rng.normal(size=n) / 2), 1, 5)
    wide.insert(0, "id", [f"r{i}" for i in range(n)])
    wide["segment"] = np.where(rng.random(n) < 0.5, "business", "leisure")
    wide["date"] = np.where(np.arange(n) < n // 2, "2024-02-15", "2024-05-15")
    return wide


@pytest.fixture(scope="module")
def wide():
    return _wide()


def _folder(path, customers, surveys, as_of, catalogue=None):
    path.mkdir(parents=True, exist_ok=True)
    customers.to_csv(path / "customers.csv", index=False)
    surveys.to_csv(path / "surveys.csv", index=False)
    (path / "meta.json").write_text(json.dumps({"as_of": as_of}))
    if catalogue is not None:
        catalogue.write(path / "questions.yaml")
    return path


@pytest.fixture(scope="module")
def report(wide, tmp_path_factory):
    catalogue = catalogue_from_dict(SPEC)
    customers, surveys = from_wide_survey(wide, respondent_id="id", touchpoints=[], responded_at="date",
                                          catalogue=catalogue, segment="segment")
    folder = _folder(tmp_path_factory.mktemp("survey"), customers, surveys, "2024-06-30", catalogue)
    return open_report("02_touchpoints_and_drivers", data_dir=folder, quarter="2024Q2")


def test_every_declared_question_on_its_own_scale(report, wide):
    declared = report.show(questions.declared_questions)
    assert declared.answer.startswith("The survey declares 21 questions on 6 scale(s) (0-10, 1-3, 1-5, 1-7, 1-10, "
                                      "1-100)")
    scores = report.show(questions.question_scores)
    q2 = wide[wide["date"] == "2024-05-15"]
    row = scores.tables[0].frame.set_index("Question").loc["Overall satisfaction"]
    # By hand: top box of a 1-10 scale is 9-10 by default.
    assert row["Top-box share"] == f"{100 * q2['overall'].between(9, 10).mean():.1f}%"
    assert row["Mean"] == f"{q2['overall'].mean():.2f}" and row["Answers"] == f"{len(q2):,}"
    trends = report.show(questions.question_trends)
    assert list(trends.tables[0].frame.columns) == ["Question", "2024Q1", "2024Q2"]
    changes = report.show(questions.question_changes)
    q1 = wide[wide["date"] == "2024-02-15"]
    row = changes.tables[0].frame.set_index("Question").loc["Overall satisfaction"]
    by_hand = 100 * (q2["overall"].between(9, 10).mean() - q1["overall"].between(9, 10).mean())
    assert row["Change (points)"] == f"{by_hand:.1f}"
    assert changes.answer.endswith("since 2024Q1 (false discovery rate 5%).")  # the two quarters are alike


def test_overall_satisfaction_is_a_headline(report, wide):
    result = report.show(questions.overall_satisfaction)
    q2 = wide[wide["date"] == "2024-05-15"]
    headline = result.headline("overall_satisfaction")
    assert headline.value == pytest.approx(100 * q2["overall"].between(9, 10).mean())
    assert headline.n == len(q2) and headline.ci_low < headline.value < headline.ci_high
    assert headline.label == "Overall satisfaction, 2024Q2: share in the top box (9-10)"
    assert report.recorder.items["overall_satisfaction"] == headline


def test_typology_and_index_by_hand(report, wide):
    q2 = wide[wide["date"] == "2024-05-15"]
    satisfied = q2["overall"] >= 9
    loyal = (q2["ltr"] >= 9) & (q2["again"] >= 4)
    typology = report.show(questions.loyalty_typology)
    apostles = typology.headline("apostles")
    assert apostles.value == pytest.approx(100 * (satisfied & loyal).mean()) and apostles.n == len(q2)
    assert len(typology.charts) == 2  # this quarter by group, and the trend over quarters
    assert set(typology.tables[0].frame["Group"]) == {"All", "business", "leisure"}
    index = report.show(questions.retention_index).headline("retention_index")
    # Positions 0-100 on each scale, equal weights over the four TRI*M-style questions.
    by_hand = (100 * (q2["overall"] - 1) / 9 + 100 * q2["ltr"] / 10 + 100 * (q2["again"] - 1) / 4
               + 100 * (q2["vs"] - 1) / 2) / 4
    assert index.value == pytest.approx(by_hand.mean()) and index.n == len(q2)


def test_grid_and_drivers(report):
    grid = report.show(questions.importance_grid, n_resamples=100)
    assert len(grid.tables[0].frame) == 4 and grid.charts[0].alt
    assert set(grid.tables[0].frame["Quadrant"]) <= {"motivators", "hygiene factors", "hidden opportunities",
                                                    "potential savings"}
    drivers = report.show(questions.item_drivers, n_resamples=100)
    table = drivers.tables[0].frame
    assert len(table) == 13 and "Johnson's relative weights" in drivers.tables[0].caption
    # Simulation recovery: the generator weights fall from item_00 to item_11.
    assert drivers.headline("top_item_driver").value in {"Item 0", "Item 1"}


def test_without_a_catalogue_each_section_says_why_and_overall_csat_is_a_headline(tmp_path):
    # A one-off survey: one overall 1-5 satisfaction question answered in August, reported for 2019Q3.
    rng = np.random.default_rng(1)
    wide = pd.DataFrame({"id": range(200), "sat": rng.integers(1, 6, 200).astype(float)})
    wide.loc[:9, "sat"] = np.nan
    customers, surveys = from_wide_survey(wide, respondent_id="id", touchpoints=[], outcome="sat",
                                          outcome_kind="csat", survey_date="2019-08-22")
    report = open_report("02", data_dir=_folder(tmp_path, customers, surveys, "2019-09-30"), quarter="2019Q3")
    for section in (questions.declared_questions, questions.question_scores, questions.loyalty_typology,
                    questions.retention_index, questions.importance_grid, questions.item_drivers):
        result = report.show(section)
        assert not result.available and "no questions.yaml" in result.unavailable
    overall = report.show(questions.overall_satisfaction).headline("overall_satisfaction")
    assert overall.n == 190 and overall.value == pytest.approx(100 * (wide["sat"] >= 4).sum() / 190)


def test_a_customer_answering_twice_in_a_quarter_counts_once(tmp_path):
    wide = _wide(200, seed=2)
    wide["date"] = "2024-05-15"
    again = wide.iloc[:50].assign(date="2024-06-01", overall=1.0)  # the same 50 customers, later and unhappy
    catalogue = catalogue_from_dict(SPEC)
    customers, surveys = from_wide_survey(wide, respondent_id="id", touchpoints=[], responded_at="date",
                                          catalogue=catalogue)
    _, later = from_wide_survey(again, respondent_id="id", touchpoints=[], responded_at="date", catalogue=catalogue)
    later["invitation_id"] = later["invitation_id"] + "-2"
    report = open_report("02", data_dir=_folder(tmp_path, customers, pd.concat([surveys, later]), "2024-06-30",
                                                catalogue), quarter="2024Q2")
    headline = report.show(questions.overall_satisfaction).headline("overall_satisfaction")
    latest = pd.concat([again["overall"], wide["overall"].iloc[50:]])
    assert headline.n == 200 and headline.value == pytest.approx(100 * (latest >= 9).mean())


def test_every_section_shows_itself_without_missing_markers(report):
    sections = (questions.declared_questions, questions.question_scores, questions.question_changes,
                questions.question_trends, questions.overall_satisfaction, questions.loyalty_typology,
                questions.retention_index, questions.importance_grid, questions.item_drivers)
    for section in sections:
        result = section(report, **({"n_resamples": 50} if section in (questions.importance_grid,
                                                                      questions.item_drivers) else {}))
        page = result._repr_html_()
        assert all(f'alt="{html.escape(chart.alt, quote=True)}"' in page for chart in result.charts)
        text = re.sub(r"<img[^>]*>", "", page)
        assert result.available and not re.search(r"\bnan\b", text, flags=re.IGNORECASE), section.__name__


QUESTION_SECTIONS = (questions.declared_questions, questions.question_scores, questions.question_changes,
                     questions.question_trends, questions.overall_satisfaction, questions.loyalty_typology,
                     questions.retention_index, questions.importance_grid, questions.item_drivers)


def test_a_page_that_queries_the_surveys_shows_the_declared_questions_the_same(report):
    queried = open_report("02_touchpoints_and_drivers", data_dir=report.data.source, quarter="2024Q2",
                          tables=["customers"], queried=["surveys"])
    no_images = re.compile(r"<img[^>]*>")
    for section in QUESTION_SECTIONS:
        mine, theirs = queried.show(section), report.show(section)
        assert not mine.unavailable, section.__name__
        assert no_images.sub("", mine._repr_html_()) == no_images.sub("", theirs._repr_html_()), section.__name__
    assert queried.data.surveys is None and queried.table("surveys") is not None  # loaded for the questions only
