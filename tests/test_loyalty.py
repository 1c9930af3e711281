"""Loyalty typology, TRI*M-style retention index and importance grid, checked by hand and by simulation."""

import numpy as np
import pandas as pd
import pytest

from cxlab.catalogue import Catalogue, Question
from cxlab.loyalty import importance_grid, index_scores, loyalty_types, retention_index, typology_shares


def _catalogue(*extra):
    return Catalogue([
        Question.from_preset("csat", id="sat", labels="Overall satisfaction", role="overall"),
        Question.from_preset("nps", id="ltr", labels="Recommend", role="recommend"),
        Question("again", {"en": "Fly with us again"}, 1, 7, role="repurchase"),
        Question.from_preset("competitors", id="vs", labels="Compared with other airlines", role="preference"),
        *extra,
    ])


ANSWERS = pd.DataFrame({
    # sat top box 4-5; ltr top box 9-10; again top box 6-7
    "sat": [5, 5, 4, 2, 1, 3, 5, np.nan, 4, 2],
    "ltr": [10, 9, 3, 9, 0, 6, 10, 10, 9, 10],
    "again": [7, 5, 7, 6, 1, 2, 7, 7, 6, 3],
    "vs": [3, 2, 2, 1, 1, 2, 3, 3, 3, 1],
    "segment": ["a"] * 5 + ["b"] * 5,
})


def test_types_by_hand_with_both_loyalty_rules():
    cat = _catalogue()
    assert loyalty_types(ANSWERS, cat, rule="all").tolist() == [
        "apostles", "mercenaries", "mercenaries", "hostages", "terrorists", "terrorists", "apostles", np.nan,
        "apostles", "terrorists"]
    assert loyalty_types(ANSWERS, cat, rule="any").tolist() == [
        "apostles", "apostles", "apostles", "hostages", "terrorists", "terrorists", "apostles", np.nan,
        "apostles", "hostages"]
    with pytest.raises(ValueError, match="role 'overall'"):
        loyalty_types(ANSWERS.drop(columns="sat"), cat)


def test_shares_by_hand_overall_and_by_segment():
    table = typology_shares(ANSWERS, _catalogue(), min_cell_size=1).set_index("type")
    # 9 typed respondents: apostles 3, hostages 1, mercenaries 2, terrorists 3.
    assert table["n"].unique().tolist() == [9]
    assert table["count"].to_dict() == {"apostles": 3, "hostages": 1, "mercenaries": 2, "terrorists": 3}
    assert table.loc["apostles", "share"] == pytest.approx(100 / 3)
    # Wilson 95% interval of 3/9 (z = 1.959964): centre (3/9 + z²/18)/(1 + z²/9), by hand 12.06% to 64.58%.
    assert table.loc["apostles", "ci_low"] == pytest.approx(12.06, abs=0.01)
    assert table.loc["apostles", "ci_high"] == pytest.approx(64.58, abs=0.01)
    by = typology_shares(ANSWERS, _catalogue(), by="segment", min_cell_size=5)
    b = by[by["segment"] == "b"].set_index("type")
    assert b["n"].iloc[0] == 4 and b["suppressed"].all() and b["share"].isna().all()
    a = by[by["segment"] == "a"].set_index("type")
    assert a["count"].to_dict() == {"apostles": 1, "hostages": 1, "mercenaries": 2, "terrorists": 1}
    assert a.loc["mercenaries", "share"] == pytest.approx(40.0)


def test_index_by_hand_and_configurable_weights():
    cat = _catalogue()
    scores, used = index_scores(ANSWERS, cat)
    # Respondent 1: sat 5 -> 100, ltr 10 -> 100, again 7 -> 100, vs 3 -> 100.
    # Respondent 2: sat 5 -> 100, ltr 9 -> 90, again 5 -> 66.67, vs 2 -> 50: mean 76.67.
    assert scores.iloc[0] == pytest.approx(100.0) and scores.iloc[1] == pytest.approx((100 + 90 + 200 / 3 + 50) / 4)
    assert used == {"sat": 0.25, "ltr": 0.25, "again": 0.25, "vs": 0.25}
    weighted, used = index_scores(ANSWERS, cat, weights={"overall": 2, "recommend": 1, "repurchase": 1,
                                                         "preference": 0})
    assert used == {"sat": 0.5, "ltr": 0.25, "again": 0.25}
    assert weighted.iloc[1] == pytest.approx(0.5 * 100 + 0.25 * 90 + 0.25 * 200 / 3)
    table = retention_index(ANSWERS, cat, min_cell_size=1)
    valid = scores.dropna()
    assert table["n"].iloc[0] == 9 and table["index"].iloc[0] == pytest.approx(valid.mean())
    half = 2.306004 * valid.std(ddof=1) / 3  # t(0.975, 8) * s / sqrt(9)
    assert table["ci_high"].iloc[0] - table["index"].iloc[0] == pytest.approx(half, rel=1e-6)
    with pytest.raises(ValueError, match="weights must map roles"):
        index_scores(ANSWERS, cat, weights={"loyalty": 1})


def test_the_comparison_with_competitors_stands_for_preference():
    cat = Catalogue([Question.from_preset("csat", id="sat", role="overall"),
                     Question.from_preset("competitors", id="vs")])  # role "competitors" by default
    scores, used = index_scores(pd.DataFrame({"sat": [5, 1], "vs": [2, 1]}), cat)
    assert used == {"sat": 0.5, "vs": 0.5} and scores.tolist() == [75.0, 0.0]  # (100 + 50) / 2, (0 + 0) / 2


def test_effort_is_turned_round_in_the_index():
    cat = Catalogue([Question.from_preset("ces", id="effort", role="overall"),
                     Question.from_preset("nps", id="ltr", role="recommend")])
    scores, _ = index_scores(pd.DataFrame({"effort": [1, 7], "ltr": [10, 10]}), cat)
    assert scores.tolist() == [100.0, 50.0]


def test_grid_recovers_the_simulated_quadrants():
    # Four items; the overall answer depends strongly on a and b, weakly on c and d; customers say
    # a and c matter most. Expected: a motivator, b hidden opportunity, c hygiene factor, d potential saving.
    rng = np.random.default_rng(0)
    n = 2000
    items = {k: rng.integers(1, 8, n).astype(float) for k in "abcd"}
    stated = {"a": 6, "b": 2, "c": 6, "d": 2}
    answers = pd.DataFrame({**items, **{f"imp_{k}": np.clip(stated[k] + rng.integers(-1, 2, n), 1, 7)
                                       for k in "abcd"}})
    answers["overall"] = 2 * items["a"] + 2 * items["b"] + 0.3 * items["c"] + 0.3 * items["d"] + rng.normal(size=n)
    questions = [Question(k, {"en": k.upper()}, 1, 7) for k in "abcd"]
    questions += [Question(f"imp_{k}", {"en": f"Importance of {k}"}, 1, 7, role="importance", importance_of=k)
                  for k in "abcd"]
    grid = importance_grid(answers, Catalogue(questions), outcome="overall", n_resamples=100).set_index("question_id")
    assert grid["quadrant"].to_dict() == {"a": "motivators", "b": "hidden opportunities", "c": "hygiene factors",
                                          "d": "potential savings"}
    # Stated importance as a position 0-100 on 1-7: answer 6 -> 83.3 (on average, by construction ~6).
    assert grid.loc["a", "stated"] == pytest.approx(100 * (answers["imp_a"].mean() - 1) / 6)
    assert grid["derived"].sum() == pytest.approx(100)
    assert (grid["derived_ci_low"] <= grid["derived"]).all() and (grid["derived"] <= grid["derived_ci_high"]).all()
