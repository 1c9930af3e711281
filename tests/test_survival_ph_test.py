"""Proportional-hazards test from per-tenure sums (cxlab.survival.ph_test) against lifelines and by definition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.datasets import load_rossi
from lifelines.statistics import proportional_hazard_test
from scipy import stats

from cxlab.survival import fit_cox, fit_time_varying_cox
from cxlab.survival.ph_test import schoenfeld_test


def _ours(frame, model, transform, **kw):
    return schoenfeld_test(frame, params=model.params_, variance=model.variance_matrix_, time_transform=transform,
                           **kw)


def _lifelines(model, frame, transform):
    table = proportional_hazard_test(model, frame, time_transform=transform).summary
    table.index = table.index.map(str)
    return table


@pytest.mark.parametrize("transform", ["identity", "log", "km"])
def test_rossi_with_tied_weeks_equals_lifelines(transform):
    rossi = load_rossi().assign(w=1.0)
    model = CoxPHFitter().fit(rossi, "week", "arrest", weights_col="w")
    ours = _ours(rossi, model, transform, duration_col="week", event_col="arrest", weights_col="w")
    ref = _lifelines(model, rossi, transform).reindex(ours.index)
    np.testing.assert_allclose(ours["test_statistic"], ref["test_statistic"], rtol=1e-10)
    np.testing.assert_allclose(ours["p"], ref["p"], rtol=1e-8)


def _continuous_world(n=800, seed=1):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.binomial(1, 0.4, n), "s": rng.integers(0, 3, n)})
    churn = rng.exponential(1 / np.exp(0.5 * frame["x1"] - 0.3 * frame["x2"]))
    censor = rng.exponential(1.5, n)
    return frame.assign(T=np.minimum(churn, censor), E=(churn <= censor).astype(int), w=1.0)


@pytest.mark.parametrize("transform", ["rank", "identity", "log", "km"])
def test_untied_times_equal_lifelines_for_every_transform(transform):
    frame = _continuous_world()
    columns = ["x1", "x2", "T", "E", "w"]
    model = CoxPHFitter().fit(frame[columns], "T", "E", weights_col="w")
    ours = _ours(frame, model, transform, duration_col="T", event_col="E", weights_col="w")
    ref = _lifelines(model, frame[columns], transform).reindex(ours.index)
    np.testing.assert_allclose(ours["test_statistic"], ref["test_statistic"], rtol=1e-10)


def test_strata_equal_lifelines():
    frame = _continuous_world(seed=2)
    columns = ["x1", "x2", "T", "E", "w", "s"]
    model = CoxPHFitter().fit(frame[columns], "T", "E", weights_col="w", strata=["s"])
    ours = _ours(frame, model, "identity", duration_col="T", event_col="E", weights_col="w", strata=["s"])
    ref = _lifelines(model, frame[columns], "identity").reindex(ours.index)
    np.testing.assert_allclose(ours["test_statistic"], ref["test_statistic"], rtol=1e-10)


def _by_definition(frame, beta, variance, transform_ranks=True):
    """Scaled Schoenfeld test written out event time by event time (Efron ties, late entry)."""
    x = frame[["x1", "x2"]].to_numpy()
    score = frame["w"].to_numpy() * np.exp(x @ beta)
    stop, start, event = frame["T"].to_numpy(), frame["entry"].to_numpy(), frame["E"].to_numpy() == 1
    residuals, times = [], []
    for t in np.unique(stop[event]):
        risk = (start < t) & (stop >= t)
        dead = event & (stop == t)
        d = dead.sum()
        mean = np.zeros(2)
        for step in range(d):
            num = (score[risk, None] * x[risk]).sum(0) - step / d * (score[dead, None] * x[dead]).sum(0)
            den = score[risk].sum() - step / d * score[dead].sum()
            mean += num / den / d
        residuals += list(x[dead] - mean)
        times += [t] * d
    resid, n = np.array(residuals), len(residuals)
    scaled = n * resid @ variance
    g = stats.rankdata(times) if transform_ranks else np.asarray(times, float)
    g = g - g.mean()
    return (g @ scaled) ** 2 / (n * np.diag(variance) * (g @ g))


def test_late_entry_and_ties_follow_the_definition():
    rng = np.random.default_rng(4)
    n = 400
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.binomial(1, 0.5, n).astype(float)})
    frame["entry"] = rng.integers(0, 6, n).astype(float)
    frame["T"] = frame["entry"] + 1 + rng.integers(0, 24, n)  # whole months: many ties
    frame["E"] = rng.binomial(1, 0.6, n)
    frame["w"] = rng.choice([1.0, 2.0], n)
    model = CoxPHFitter().fit(frame, "T", "E", weights_col="w", entry_col="entry", robust=False)
    beta, variance = model.params_.to_numpy(), model.variance_matrix_.to_numpy()
    # A churned row of weight 2 is two churned customers: the definition runs on one row per churner.
    repeats = np.where(frame["E"] == 1, frame["w"], 1.0).astype(int)
    one_per_churner = frame.loc[frame.index.repeat(repeats)].assign(
        w=lambda f: np.where(f["E"] == 1, 1.0, f["w"]))
    for transform, ranks in (("rank", True), ("identity", False)):
        ours = _ours(frame, model, transform, duration_col="T", event_col="E", weights_col="w", entry_col="entry")
        np.testing.assert_allclose(ours["test_statistic"], _by_definition(one_per_churner, beta, variance, ranks),
                                   rtol=1e-10)


def test_unknown_transform_is_refused():
    frame = _continuous_world(n=50)
    model = CoxPHFitter().fit(frame[["x1", "T", "E", "w"]], "T", "E", weights_col="w")
    with pytest.raises(ValueError, match="time_transform"):
        _ours(frame, model, "sqrt", duration_col="T", event_col="E", weights_col="w")


def test_grouped_rows_count_customers_not_rows():
    # Reference: lifelines' proportional_hazard_test on one row per person of the Rossi data; the
    # grouped frame (counts per week, arrest and covariates) must give the same statistic.
    rossi = load_rossi().assign(w=1.0)[["week", "arrest", "fin", "race", "wexp", "mar", "paro", "w"]]
    model = CoxPHFitter().fit(rossi, "week", "arrest", weights_col="w")
    keys = ["week", "arrest", "fin", "race", "wexp", "mar", "paro"]
    grouped = rossi.groupby(keys)["w"].sum().reset_index()
    assert len(grouped) < len(rossi)
    ours = _ours(grouped, model, "identity", duration_col="week", event_col="arrest", weights_col="w")
    ref = _lifelines(model, rossi, "identity").reindex(ours.index)
    np.testing.assert_allclose(ours["test_statistic"], ref["test_statistic"], rtol=1e-10)


def _start_stop_world(n: int, seed: int) -> pd.DataFrame:
    """Customers whose state x switches on at a random month (constant hazard ratio 2) and a fixed z whose
    hazard ratio is 3 in the first 6 months and 1 afterwards (not proportional)."""
    rng = np.random.default_rng(seed)
    switch = rng.integers(1, 20, n)
    z = rng.integers(0, 2, n)
    rows = []
    base = 0.04
    for month in range(1, 31):
        hazard = base * np.where(month > switch, 2.0, 1.0) * np.where((z == 1) & (month <= 6), 3.0, 1.0)
        rows.append(rng.random(n) < hazard)
    churned = np.array(rows).T
    churn_month = np.where(churned.any(axis=1), churned.argmax(axis=1) + 1, 30)
    event = churned.any(axis=1).astype(int)
    frames = []
    before = np.minimum(switch, churn_month)
    frames.append(pd.DataFrame({"customer_id": np.arange(n), "start_months": 0, "stop_months": before,
                                "churned": np.where(churn_month <= switch, event, 0), "x": 0, "z": z}))
    later = churn_month > switch
    frames.append(pd.DataFrame({"customer_id": np.arange(n)[later], "start_months": switch[later],
                                "stop_months": churn_month[later], "churned": event[later], "x": 1, "z": z[later]}))
    return pd.concat(frames, ignore_index=True)


def test_time_varying_model_has_a_proportional_hazards_check():
    frame = _start_stop_world(6000, seed=3)
    tv = fit_time_varying_cox(frame, covariates=["x", "z"])
    table = tv.check_proportional_hazards()
    assert table.loc["x", "proportional"] and not table.loc["z", "proportional"]
    assert table.loc["z", "p"] < 1e-4
    # The same rows as late entries of a Cox model: the same partial likelihood, so the same test
    same = fit_cox(frame, duration_col="stop_months", entry_col="start_months", covariates=["x", "z"])
    np.testing.assert_allclose(same.model_.params.to_numpy(), tv.model_.params.to_numpy(), rtol=1e-6)
    reference = same.check_proportional_hazards()
    np.testing.assert_allclose(table["test_statistic"].to_numpy(), reference["test_statistic"].to_numpy(), rtol=1e-5)
