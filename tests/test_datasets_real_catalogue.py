"""The public airline survey through a question catalogue: scales declared, scores and drivers on the raw file."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlab.catalogue import answers_frame, catalogue_from_dict, summarise_questions
from cxlab.datasets.airline import AIRLINE_FILE, TOUCHPOINTS
from cxlab.datasets.generic import from_wide_survey
from cxlab.drivers import key_drivers

SHARED = Path(os.environ.get("CXLAB_SHARED_DATASETS", Path(__file__).resolve().parents[2] / "shared" / "datasets"))
PATH = SHARED / AIRLINE_FILE
pytestmark = pytest.mark.skipif(not PATH.is_file(), reason=f"public data set {AIRLINE_FILE} not found in {SHARED}")

CATALOGUE = {"questions": [
    *({"id": name, "label": column, "preset": "csat", "touchpoint": name} for column, name in TOUCHPOINTS.items()),
    {"id": "satisfied", "label": "Satisfied with the airline", "preset": "satisfied", "role": "overall"},
]}


@pytest.fixture(scope="module")
def tables():
    raw = pd.read_csv(PATH)
    catalogue = catalogue_from_dict(CATALOGUE)
    _, surveys = from_wide_survey(
        raw, respondent_id="ID", touchpoints=TOUCHPOINTS, survey_date="2024-12-31", outcome="Satisfaction",
        outcome_kind="binary", outcome_labels={"Satisfied": 1, "Neutral or Dissatisfied": 0}, catalogue=catalogue,
        questions={**{column: name for column, name in TOUCHPOINTS.items()}, "Satisfaction": "satisfied"})
    return raw, catalogue, answers_frame(surveys, catalogue)


def test_scores_on_the_declared_scales_match_the_raw_file(tables):
    raw, catalogue, answers = tables
    assert len(answers) == 129_880
    summary = summarise_questions(answers, catalogue).set_index("question_id")
    boarding = raw["Online Boarding"].replace(0, np.nan).dropna()  # 0 = not applicable
    assert summary.loc["online_boarding", "n"] == len(boarding)
    assert summary.loc["online_boarding", "top_box"] == pytest.approx(100 * (boarding >= 4).mean())
    assert summary.loc["online_boarding", "mean"] == pytest.approx(boarding.mean())
    # PROVENANCE.md: Satisfied 56,428 of 129,880.
    assert summary.loc["satisfied", "top_box"] == pytest.approx(100 * 56_428 / 129_880)


def test_relative_weights_agree_with_dominance_on_the_airline_survey(tables):
    _, _, answers = tables
    items = list(TOUCHPOINTS.values())
    shares = {method: key_drivers(answers, outcome="satisfied", drivers=items, importance=method, n_resamples=50)
              .summary.set_index("driver")["importance_share"] for method in ("dominance", "relative_weights")}
    gap = (shares["dominance"] - shares["relative_weights"]).abs()
    assert gap.max() < 2.0, gap.round(2).to_dict()
    assert shares["relative_weights"].idxmax() == shares["dominance"].idxmax() == "online_boarding"
