"""Relative importance for any number of drivers: Johnson's relative weights, exact dominance, bootstrap intervals."""

import numpy as np
import pandas as pd
import pytest

from cxlab.drivers import (
    EXACT_DOMINANCE_MAX,
    driver_frame,
    general_dominance,
    importance_weights,
    key_drivers,
    relative_weights,
)

# mtcars (R datasets; Henderson & Velleman 1981): mpg, cyl, disp, hp, gear of the 32 cars.
MTCARS = np.array([
    [21, 6, 160, 110, 4], [21, 6, 160, 110, 4], [22.8, 4, 108, 93, 4], [21.4, 6, 258, 110, 3],
    [18.7, 8, 360, 175, 3], [18.1, 6, 225, 105, 3], [14.3, 8, 360, 245, 3], [24.4, 4, 146.7, 62, 4],
    [22.8, 4, 140.8, 95, 4], [19.2, 6, 167.6, 123, 4], [17.8, 6, 167.6, 123, 4], [16.4, 8, 275.8, 180, 3],
    [17.3, 8, 275.8, 180, 3], [15.2, 8, 275.8, 180, 3], [10.4, 8, 472, 205, 3], [10.4, 8, 460, 215, 3],
    [14.7, 8, 440, 230, 3], [32.4, 4, 78.7, 66, 4], [30.4, 4, 75.7, 52, 4], [33.9, 4, 71.1, 65, 4],
    [21.5, 4, 120.1, 97, 3], [15.5, 8, 318, 150, 3], [15.2, 8, 304, 150, 3], [13.3, 8, 350, 245, 3],
    [19.2, 8, 400, 175, 3], [27.3, 4, 79, 66, 4], [26, 4, 120.3, 91, 5], [30.4, 4, 95.1, 113, 5],
    [15.8, 8, 351, 264, 5], [19.7, 6, 145, 175, 5], [15, 8, 301, 335, 5], [21.4, 4, 121, 109, 4],
])


def test_relative_weights_match_the_published_mtcars_example():
    # Reference: the README of the R package rwa (Martin Chan, github.com/martinctc/rwa), "Basic
    # example": rwa(mtcars, outcome = "mpg", predictors = c("cyl", "disp", "hp", "gear")) gives
    # R² 0.7791896 and raw relative weights 0.2284797, 0.2221469, 0.2321744, 0.0963886
    # (rescaled 29.32274, 28.50999, 29.79691, 12.37037 %), Johnson's (2000) method.
    weights = relative_weights(np.corrcoef(MTCARS, rowvar=False))
    np.testing.assert_allclose(weights, [0.2284797, 0.2221469, 0.2321744, 0.0963886], atol=5e-7)
    assert weights.sum() == pytest.approx(0.7791896, abs=5e-7)
    np.testing.assert_allclose(100 * weights / weights.sum(), [29.32274, 28.50999, 29.79691, 12.37037], atol=5e-5)


def test_orthogonal_drivers_get_their_squared_correlations():
    # Columns of a 2^3 factorial design are exactly uncorrelated: each weight is r², for both methods.
    design = np.array([[a, b, c] for a in (-1, 1) for b in (-1, 1) for c in (-1, 1)], dtype=float)
    y = design @ [3.0, 2.0, 1.0] + np.array([1, -1, -1, 1, -1, 1, 1, -1.0])
    corr = np.corrcoef(np.column_stack([y, design]), rowvar=False)
    # By hand: var(y) = (9 + 4 + 1) + 1 = 15 (the error column is orthogonal to all three), so r² = 9/15, 4/15, 1/15.
    np.testing.assert_allclose(relative_weights(corr), [9 / 15, 4 / 15, 1 / 15], atol=1e-12)
    np.testing.assert_allclose(general_dominance(corr), [9 / 15, 4 / 15, 1 / 15], atol=1e-12)


def test_relative_weights_agree_with_dominance_on_random_correlated_data():
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(20):
        p = int(rng.integers(3, 9))
        x = rng.normal(size=(500, 1)) * rng.uniform(0.2, 0.9) + rng.normal(size=(500, p))
        y = x @ rng.uniform(0, 1, p) + rng.normal(size=500) * 2
        corr = np.corrcoef(np.column_stack([y, x]), rowvar=False)
        rw, gd = relative_weights(corr), general_dominance(corr)
        assert rw.sum() == pytest.approx(gd.sum(), rel=1e-10)  # both split the full-model R²
        worst = max(worst, np.abs(100 * rw / rw.sum() - 100 * gd / gd.sum()).max())
    assert worst < 2.0


def test_stacked_matrices_give_the_weights_of_each():
    rng = np.random.default_rng(0)
    stack = np.stack([np.corrcoef(rng.normal(size=(50, 5)), rowvar=False) for _ in range(3)])
    for method, one in (("dominance", general_dominance), ("relative_weights", relative_weights)):
        np.testing.assert_allclose(importance_weights(stack, method), [one(c) for c in stack], atol=1e-12)
    stack[1, 2, 2] = 0.0  # a constant driver in one resample: NaN weights there, the others kept
    out = importance_weights(stack, "relative_weights")
    assert np.isnan(out[1]).all() and np.isfinite(out[[0, 2]]).all()


def _survey(n_items: int, n: int = 1000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    halo = rng.normal(size=(n, 1))
    items = np.clip(np.round(4 + 1.2 * halo + rng.normal(size=(n, n_items))), 1, 7)
    frame = pd.DataFrame(items, columns=[f"item_{i:02d}" for i in range(n_items)])
    frame["overall"] = items @ np.linspace(1.0, 0.0, n_items) + rng.normal(size=n)
    return frame


def test_thirty_items_use_relative_weights_with_intervals_for_importance_and_rank():
    frame = _survey(30)
    result = key_drivers(frame, outcome="overall", n_resamples=200)
    table = result.summary
    assert result.importance_method_ == "relative_weights" and set(table["method"]) == {"Johnson's relative weights"}
    assert len(table) == 30 and table["importance_share"].sum() == pytest.approx(100)
    assert (table["importance_ci_low"] <= table["importance"]).all()
    assert (table["importance"] <= table["importance_ci_high"]).all()
    assert (table["rank_ci_low"] <= table["rank"]).all() and (table["rank"] <= table["rank_ci_high"]).all()
    # Simulation recovery: the generator's weights fall from item_00 (1.0) to item_29 (0.0).
    ranks = table.set_index("driver")["rank"].sort_index().to_numpy()
    assert table["driver"].iloc[0] in {"item_00", "item_01", "item_02"}
    assert np.corrcoef(ranks, np.arange(30))[0, 1] > 0.95
    again = key_drivers(frame, outcome="overall", n_resamples=200).summary  # seeded: identical
    pd.testing.assert_frame_equal(table, again)


def test_dominance_where_cheap_and_refused_where_not():
    small = key_drivers(_survey(EXACT_DOMINANCE_MAX), outcome="overall", n_resamples=100)
    assert small.importance_method_ == "dominance"
    assert small.summary["method"].iloc[0] == "exact general dominance (Shapley value of R²)"
    with pytest.raises(ValueError, match="at most 20 drivers .*importance='relative_weights'"):
        key_drivers(_survey(21), outcome="overall", importance="dominance")
    with pytest.raises(ValueError, match="importance must be one of"):
        key_drivers(_survey(3), outcome="overall", importance="shapley")


def test_relative_weights_agree_with_dominance_on_the_demo(demo_data):
    data = demo_data
    frame = driver_frame(data.surveys, as_of=data.as_of)
    rated = frame.attrs["touchpoints"]
    shares = {method: key_drivers(frame, outcome="nps", drivers=rated, importance=method, n_resamples=50)
              .summary.set_index("driver")["importance_share"] for method in ("dominance", "relative_weights")}
    gap = (shares["dominance"] - shares["relative_weights"]).abs()
    assert gap.max() < 2.0, gap.round(2).to_dict()


def test_bootstrap_intervals_by_hand_and_without_usable_resamples():
    from cxlab.drivers import bootstrap_importance

    draws = np.array([[0.3, 0.1], [0.2, 0.2], [0.1, 0.3], [np.nan, 0.1]])
    out = bootstrap_importance(np.array([0.2, 0.2]), draws, level=0.5)
    # Usable resamples: the first three. Quartiles (linear): 0.15 and 0.25; shares 75/50/25 % -> 37.5 and 62.5.
    assert out.loc[0, ["importance_ci_low", "importance_ci_high"]].tolist() == pytest.approx([0.15, 0.25])
    assert out.loc[0, ["importance_share_ci_low", "importance_share_ci_high"]].tolist() == pytest.approx([37.5, 62.5])
    # Ranks of driver 0 in the resamples: 1, 1 (tie, method "min"), 2 -> central half 1 to 2.
    assert out.loc[0, ["rank_ci_low", "rank_ci_high"]].tolist() == [1, 2]
    empty = bootstrap_importance(np.array([0.2, 0.2]), np.full((3, 2), np.nan), level=0.95)
    assert empty.isna().all().all()
