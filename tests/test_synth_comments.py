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


def test_cause_specific_hazard_ratios_follow_from_the_reason_shares():
    # hand calculation for service_quality, detractor vs passive: HR 2 x [0.25 e^1 / sum_k pi_k e^b_k] / 0.25
    pi = np.array(sc.REASON_BASE_SHARE)
    b = np.array(sc.REASON_LOG_MULTIPLIER["detractor"])
    expected = 2.0 * math.exp(1.0) / float(np.sum(pi * np.exp(b)))
    out = sc.cause_specific_hazard_ratios({"detractor_vs_passive": 2.0, "promoter_vs_passive": 0.6,
                                           "no_response_vs_passive": 1.4})
    assert out["service_quality"]["detractor_vs_passive"] == pytest.approx(expected)
    assert out["price"]["no_response_vs_passive"] == pytest.approx(1.4)
    # the shares of the reasons, weighted by each reason's hazard ratio, give back the churn hazard ratio
    weighted = sum(out[r]["detractor_vs_passive"] * pi[j] for j, r in enumerate(sc.CHURN_REASONS))
    assert weighted == pytest.approx(2.0)
