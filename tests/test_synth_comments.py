"""The comment generator: themes by touchpoint and sentiment, texts per language, exact cause-specific truth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cxlab import synth_comments as sc


def test_primary_theme_follows_touchpoint_and_sentiment():
    rng = np.random.default_rng(0)
    n = 200_000
    u = rng.random(n)
    delivery = np.full(n, 2)
    negative = sc.primary_theme(u, delivery, np.zeros(n, dtype=int), np.zeros(n, dtype=bool))
    shares = np.bincount(negative + 1, minlength=len(sc.THEMES) + 1) / n
    assert shares[0] == pytest.approx(0.15, abs=0.005)  # off-topic
    assert shares[1 + sc.THEME_INDEX["delivery_late"]] == pytest.approx(0.85 * 0.6, abs=0.005)
    assert shares[1 + sc.THEME_INDEX["damaged_goods"]] == pytest.approx(0.85 * 0.4, abs=0.005)
    emerging = sc.primary_theme(u, delivery, np.zeros(n, dtype=int), np.ones(n, dtype=bool))
    assert np.mean(emerging == sc.THEME_INDEX["price_increase"]) == pytest.approx(sc.EMERGING_SHARE, abs=0.005)
    positive = sc.primary_theme(u, delivery, np.full(n, 2), np.ones(n, dtype=bool))
    assert not np.isin(positive, [sc.THEME_INDEX[t] for t in sc.NEGATIVE_THEMES]).any()


def test_texts_are_seeded_and_carry_the_themes():
    theme = np.repeat(np.arange(-1, len(sc.THEMES)), 50)
    language = np.tile([0, 1], theme.size // 2)
    a = sc.comment_texts(np.random.default_rng(1), language, theme)
    b = sc.comment_texts(np.random.default_rng(1), language, theme)
    assert a.equals(b)
    ru = a["comment"][(language == 1) & (theme >= 0)]
    assert ru.str.contains("[\u0400-\u04ff]").all()
    assert (a["second_theme"][theme < 0] == -1).all()
    mixed = a["second_theme"] >= 0
    assert mixed.any() and (a.loc[mixed, "second_theme"] != a.loc[mixed, "theme"]).all()


def test_reason_probabilities_make_the_cause_specific_hazards_proportional_in_the_nps_state():
    # two detractors and a passive whose churn hazards have score terms 0.4, 1.0 and 0.1: the
    # hazard of reason j is h0 exp(s) P(j | state, s), which must not depend on s and must be
    # HR_j[detractor] times the passive's
    detractor, passive = sc.NPS_STATES.index("detractor"), sc.NPS_STATES.index("passive")
    state = np.array([detractor, detractor, passive])
    s = np.array([0.4, 1.0, 0.1])
    p = sc.reason_probabilities(state, s)
    hazard = np.exp(s)[:, None] * p
    np.testing.assert_allclose(hazard[0], hazard[1])
    np.testing.assert_allclose(hazard[0] / hazard[2], sc.REASON_HAZARD_RATIO["detractor"])
    assert p.sum(axis=1).max() == pytest.approx(sc.REASON_RECORDED_SHARE)
    # by hand: the passive's weights 0.25..0.15 times exp(-0.1); the largest row (the first detractor:
    # sum_j base_j HR_j = 0.3 + 0.75 + 0.375 + 0.3 + 0.09 = 1.815, times exp(-0.4)) is scaled to 0.9
    scale = 0.9 / (1.815 * math.exp(-0.4))
    assert p[2, 0] == pytest.approx(0.25 * math.exp(-0.1) * scale)
    truth = sc.cause_specific_hazard_ratios()
    assert truth["service_quality"]["detractor_vs_passive"] == 3.0
    assert truth["price"]["promoter_vs_passive"] == 0.8


def test_churn_reasons_are_drawn_with_the_given_probabilities():
    rng = np.random.default_rng(5)
    n = 200_000
    state = np.full(n, sc.NPS_STATES.index("promoter"))
    drawn = sc.draw_churn_reasons(rng, np.ones(n, dtype=bool), state, np.zeros(n))
    p = sc.reason_probabilities(state[:1], np.zeros(1))[0]
    observed = np.array([np.mean(drawn == r) for r in sc.CHURN_REASONS])
    np.testing.assert_allclose(observed, p, atol=0.004)
    assert np.mean(drawn == None) == pytest.approx(1 - p.sum(), abs=0.004)  # noqa: E711
    assert (sc.draw_churn_reasons(rng, np.zeros(3, dtype=bool), state[:3], np.zeros(3)) == None).all()  # noqa: E711
