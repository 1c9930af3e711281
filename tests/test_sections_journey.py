"""Sections of the touchpoints and drivers page, run without a kernel on a small simulated world."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from cxlab import drivers, touchpoints
from cxlab.sections import journey, open_report


@pytest.fixture(scope="module")
def world_and_report(small_world, small_world_dir):
    return small_world, open_report("02_touchpoints_and_drivers", data_dir=small_world_dir, tables=["surveys"])


def test_intervention_and_drivers_equal_the_package_functions(world_and_report):
    world, report = world_and_report
    result = report.show(journey.intervention, touchpoint="invoicing", date="2022-04-01", window_months=12)
    effect = touchpoints.intervention_effect(world.surveys, date="2022-04-01", as_of=pd.Timestamp("2026-09-30"),
                                             touchpoint="invoicing", window_months=12)
    change = result.headline("invoicing_change")
    assert (change.value, change.ci_low, change.ci_high) == pytest.approx(
        (effect.change.estimate, effect.change.ci_low, effect.change.ci_high))
    assert change.label == "Change in invoicing CSAT after the redesign"
    assert f"{effect.change.estimate:+.1f} percentage points" in result.answer

    top = report.show(journey.key_drivers).headline("top_driver")
    frame = drivers.driver_frame(world.surveys, as_of=report.as_of, window_days=180)
    rated = frame.attrs["touchpoints"]
    frame = frame[frame["responded_at"] > report.as_of - pd.DateOffset(months=24)]
    fit = drivers.key_drivers(frame, outcome="nps", drivers=rated, missing="pairwise", cluster_col="customer_id",
                              n_resamples=200)
    assert (top.value, top.n) == (fit.summary["driver"].iloc[0], fit.n_)
    # the importance map draws the same fit: no second bootstrap
    assert report.show(journey.importance_map).charts[0].alt.startswith("Each touchpoint")


def test_tables_read_as_words(world_and_report):
    _, report = world_and_report
    card = report.show(journey.touchpoint_scorecard)
    table = card.tables[0].frame
    assert table.columns.tolist()[:4] == ["Touchpoint", "Invitations", "Answers", "Response rate"]
    html = re.sub(r"<img[^>]*>", "", card._repr_html_())
    assert not re.search(r"\bnan\b|\bNone\b", html) and "<th></th>" not in html


def test_intervention_without_enough_answers_says_why(world_and_report):
    _, report = world_and_report
    result = report.show(journey.intervention, touchpoint="invoicing", date="2021-01-15", window_months=12)
    assert not result.available and "needed on each side" in result.unavailable
    assert result.headline("invoicing_change").value is None


PAGE = (journey.overview, journey.touchpoint_scorecard, journey.csat_trend, journey.intervention,
        journey.key_drivers, journey.importance_map)


def test_the_page_from_engine_queries_equals_the_page_from_loaded_surveys(world_and_report, small_world_dir):
    _, loaded = world_and_report
    queried = open_report("02_touchpoints_and_drivers", data_dir=small_world_dir, tables=["customers"],
                          queried=["surveys"])
    assert queried.data.surveys is None
    no_images = re.compile(r"<img[^>]*>")
    for section in PAGE:
        mine, theirs = queried.show(section), loaded.show(section)
        assert no_images.sub("", mine._repr_html_()) == no_images.sub("", theirs._repr_html_()), section.__name__
        assert [(h.key, h.value, h.ci_low, h.ci_high, h.n, h.note) for h in mine.headlines] == \
            [(h.key, h.value, h.ci_low, h.ci_high, h.n, h.note) for h in theirs.headlines], section.__name__
    # the answered rows the analyses read: the same rows, in the same order, either way
    pd.testing.assert_frame_equal(queried.answered(journey.READ_COLUMNS), loaded.answered(journey.READ_COLUMNS),
                                  check_dtype=False)
