"""Churn reasons as competing risks: Aalen-Johansen against lifelines and by hand, cause-specific Cox
against the generator's truth, and the before-churn comparison without look-ahead."""

from __future__ import annotations

import math
import weakref

import numpy as np
import pandas as pd
import pytest
from lifelines import AalenJohansenFitter

from cxlab import churn_reasons, synth, synth_comments
from cxlab.churn_reasons import before_churn, cause_specific_cox, cumulative_incidence, reason_frame
from cxlab.survival import fit_time_varying_cox, time_varying_frame
from cxlab.tenure import tenure_frame


def test_cumulative_incidence_by_hand():
    # 5 customers: churn at 1 (price), 2 (price), 2 (service), censored at 3, churn at 4 (service).
    # S: 1 -> 4/5 at t=1 -> 4/5 * 2/4 = 0.4 at t=2 -> 0 at t=4.
    # F_price = 1/5 + (4/5)(1/4) = 0.4; F_service = (4/5)(1/4) + 0.4 * (1/1) = 0.6.
    f = pd.DataFrame({"tenure_months": [1, 2, 2, 3, 4], "churned": [1, 1, 1, 0, 1],
                      "reason": ["price", "price", "service", None, "service"]})
    cif = cumulative_incidence(f).set_index(["reason", "time"])["cumulative_incidence"]
    assert cif[("price", 1.0)] == pytest.approx(0.2)
    assert cif[("price", 4.0)] == pytest.approx(0.4)
    assert cif[("service", 2.0)] == pytest.approx(0.2)
    assert cif[("service", 4.0)] == pytest.approx(0.6)


def test_estimate_variance_and_interval_equal_lifelines_without_ties():
    # lifelines' AalenJohansenFitter (Collett's delta-method variance, log(-log) interval) computed
    # independently on continuous times (no ties, so lifelines does not jitter).
    rng = np.random.default_rng(0)
    n = 400
    event_time = rng.exponential(10, n)
    censor = rng.exponential(15, n)
    duration = np.minimum(event_time, censor)
    cause = np.where(event_time < censor, rng.integers(1, 3, n), 0)
    frame = pd.DataFrame({"tenure_months": duration, "churned": (cause > 0).astype(int),
                          "reason": np.where(cause == 1, "a", np.where(cause == 2, "b", None))})
    ours = cumulative_incidence(frame)
    for code, name in ((1, "a"), (2, "b")):
        mine = ours[ours["reason"] == name].set_index("time")
        aj = AalenJohansenFitter(calculate_variance=True).fit(duration, cause, event_of_interest=code)
        theirs = aj.cumulative_density_.iloc[:, 0].reindex(mine.index)
        np.testing.assert_allclose(mine["cumulative_incidence"], theirs, atol=1e-12)
        variance = pd.Series(np.asarray(aj.variance_), index=aj.event_table.index).reindex(mine.index)
        np.testing.assert_allclose(mine["se"] ** 2, variance, atol=1e-12)
        bounds = aj.confidence_interval_.reindex(mine.index)
        defined = bounds.notna().all(axis=1).to_numpy()  # lifelines leaves the interval empty while F = 0
        assert defined.mean() > 0.95
        np.testing.assert_allclose(mine["ci_low"][defined], bounds.min(axis=1)[defined], atol=1e-10)
        np.testing.assert_allclose(mine["ci_high"][defined], bounds.max(axis=1)[defined], atol=1e-10)


def test_interval_covers_the_analytic_cumulative_incidence():
    # Constant cause-specific hazards 0.03 and 0.01 per month, administrative censoring at 36 months:
    # F_1(t) = 0.03 / 0.04 * (1 - exp(-0.04 t)) (exact for exponential competing risks).
    rng = np.random.default_rng(3)
    n = 3000
    t1, t2 = rng.exponential(1 / 0.03, n), rng.exponential(1 / 0.01, n)
    duration = np.minimum(np.minimum(t1, t2), 36.0)
    cause = np.where(duration >= 36.0, None, np.where(t1 < t2, "first", "second"))
    frame = pd.DataFrame({"tenure_months": duration, "churned": (cause != None).astype(int),  # noqa: E711
                          "reason": cause})
    cif = cumulative_incidence(frame)
    for name, rate in (("first", 0.03), ("second", 0.01)):
        at = cif[(cif["reason"] == name) & (cif["time"] <= 24)].iloc[-1]
        truth = rate / 0.04 * (1 - math.exp(-0.04 * 24))
        assert at["ci_low"] <= truth <= at["ci_high"]


@pytest.fixture(scope="module")
def world():
    return synth.simulate(n_customers=12_000, seed=11)


def test_reason_frame_marks_unrecorded_reasons_and_never_looks_ahead(world):
    frame = reason_frame(world.customers, as_of="2024-12-31")
    churned = frame["churned"] == 1
    assert frame.loc[~churned, "reason"].isna().all()
    assert set(frame.loc[churned, "reason"]) <= set(synth_comments.CHURN_REASONS) | {churn_reasons.NOT_RECORDED}
    # a churn after the as-of date is not a churn, so its reason is not used
    late = world.customers.loc[world.customers["churned_at"] > "2025-01-01", "customer_id"]
    assert frame.loc[frame["customer_id"].isin(late), "reason"].isna().all()
    assert frame["customer_id"].isin(late).sum() > 100


def test_free_text_reasons_are_grouped_by_theme():
    rng = np.random.default_rng(0)
    # exit-interview answers: 20 distinct wordings of each of two reasons
    price = [f"Too expensive after the price increase of {p}%" for p in range(5, 15)] + [
        f"The price went up {p}% again, too expensive" for p in range(5, 15)]
    support = [f"Support never answered our {k} tickets" for k in range(2, 12)] + [
        f"Support was slow to answer {k} tickets" for k in range(2, 12)]
    texts = np.array(price + support, dtype=object)
    n = 400
    customers = pd.DataFrame({"customer_id": [f"c{i}" for i in range(n)],
                              "acquired_at": pd.Timestamp("2023-01-01"),
                              "churned_at": pd.Timestamp("2024-01-15"),
                              "churn_reason": texts[rng.integers(0, len(texts), n)]})
    frame = reason_frame(customers, as_of="2024-12-31")
    is_price = frame["churn_reason"].isin(price)
    # the 40 wordings become a few themes, none mixing the price and the support answers
    assert 2 <= frame["reason"].nunique() <= 4
    assert frame.groupby("reason")["churn_reason"].agg(lambda s: s.isin(price).mean()).isin([0.0, 1.0]).all()
    assert frame.loc[is_price, "reason"].str.contains("price").all()


def test_cause_specific_hazard_ratios_recover_the_generator_truth(world):
    as_of = world.as_of
    reasons = reason_frame(world.customers, as_of=as_of).set_index("customer_id")["reason"]
    frame = time_varying_frame(world.customers, world.surveys, world.cases, as_of=as_of)
    models = cause_specific_cox(frame, reasons, covariates=["nps_category", "followup", "ces", "segment",
                                                            "contract"], level=0.99)
    # the truth is the hazard ratios draw_churn_reasons uses (synth_comments.REASON_HAZARD_RATIO);
    # 99% intervals, ten of them
    truth = world.truth["churn_reasons"]["cause_specific_hazard_ratios"]
    assert truth["service_quality"]["detractor_vs_passive"] == 3.0
    checked = 0
    for reason, model in models.items():
        if reason == churn_reasons.NOT_RECORDED:
            continue
        ratios = model.hazard_ratios_
        for term, key in (("nps_category[detractor]", "detractor_vs_passive"),
                          ("nps_category[promoter]", "promoter_vs_passive")):
            row = ratios.loc[term]
            assert row["ci_low"] <= truth[reason][key] <= row["ci_high"], (reason, term, row["hazard_ratio"])
            checked += 1
    assert checked == 10


def test_a_cause_specific_model_is_the_cox_model_of_that_reason_by_hand(world):
    as_of = world.as_of
    reasons = reason_frame(world.customers, as_of=as_of).set_index("customer_id")["reason"]
    frame = time_varying_frame(world.customers, world.surveys, world.cases, as_of=as_of)
    before = frame.copy()
    covariates = ["nps_category", "ces", "segment"]
    models = cause_specific_cox(frame, reasons, covariates=covariates)
    pd.testing.assert_frame_equal(frame, before)  # not modified
    reason = max(models, key=lambda name: models[name].n_events_)
    by_hand = frame.assign(churned=((frame["churned"] == 1)
                                    & (frame["customer_id"].map(reasons) == reason)).astype(int))
    direct = fit_time_varying_cox(by_hand, covariates=covariates)
    pd.testing.assert_frame_equal(models[reason].hazard_ratios_, direct.hazard_ratios_)
    assert (models[reason].n_customers_, models[reason].n_events_) == (direct.n_customers_, direct.n_events_)


def test_cause_specific_fits_are_the_models_one_at_a_time(world):
    as_of = world.as_of
    reasons = reason_frame(world.customers, as_of=as_of).set_index("customer_id")["reason"]
    frame = time_varying_frame(world.customers, world.surveys, world.cases, as_of=as_of)
    covariates = ["nps_category", "ces"]
    models = cause_specific_cox(frame, reasons, covariates=covariates)
    fits = churn_reasons.cause_specific_fits(frame, reasons, covariates=covariates)
    first_reason, first = next(fits)  # fitted when asked for, before the other reasons
    assert first_reason == sorted(models)[0]
    freed = weakref.ref(first)
    del first
    rest = dict(fits)
    assert freed() is None, "a model the caller dropped is still held"
    assert sorted([first_reason, *rest]) == sorted(models) and len(models) >= 3
    for reason, model in rest.items():
        pd.testing.assert_frame_equal(model.hazard_ratios_, models[reason].hazard_ratios_)


def test_cumulative_incidence_agrees_with_a_ten_times_larger_world(world):
    # the generator's cumulative incidence of each reason at 24 months, estimated on a world of
    # 120,000 customers with the same parameters (other seed): the two estimates differ by less
    # than 2.58 standard errors of their difference (99%, five reasons)
    large = synth.simulate(n_customers=120_000, seed=12)

    def at_24(w):
        cif = cumulative_incidence(reason_frame(w.customers, as_of=w.as_of))
        return cif[cif["time"] <= 24].groupby("reason").last()

    small, big = at_24(world), at_24(large)
    for reason in synth_comments.CHURN_REASONS:
        a, b = small.loc[reason], big.loc[reason]
        assert a["ci_low"] < a["cumulative_incidence"] < a["ci_high"]
        z = (a["cumulative_incidence"] - b["cumulative_incidence"]) / math.hypot(a["se"], b["se"])
        assert abs(z) < 2.58, (reason, a["cumulative_incidence"], b["cumulative_incidence"])
        assert b["se"] < 0.5 * a["se"]


def test_before_churn_uses_only_the_window_before_leaving_and_controls_at_the_same_tenure():
    customers = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"],
        "acquired_at": pd.to_datetime(["2024-01-01"] * 4),
        "churned_at": pd.to_datetime(["2024-07-01", None, None, None])})
    frame = tenure_frame(customers, as_of="2025-06-30")
    events = pd.DataFrame({
        "customer_id": ["a", "a", "b", "c", "d"],
        # a: one mention 30 days before leaving, one after (must be ignored)
        "at": pd.to_datetime(["2024-06-01", "2024-08-01", "2024-06-10", "2025-01-01", "2024-03-01"]),
        "price": [True, True, True, True, True]})
    out = before_churn(frame, events, as_of="2025-06-30", window_days=90, time_col="at", label_cols=["price"],
                       controls_per_churner=30, seed=0)
    row = out.iloc[0]
    assert row["churner_share"] == 1.0 and row["churners"] == 1
    # controls b, c, d are active past a's tenure; only b mentions price in the same window (2024-04-02..07-01)
    assert 0.0 < row["control_share"] < 1.0
    assert row["controls"] == 30


def test_window_flags_equal_a_join_of_windows_and_events_with_events_on_the_bounds():
    from cxlab.churn_reasons import _labelled_in_windows

    rng = np.random.default_rng(3)
    day = np.datetime64("2024-01-01T00:00:00", "ns")
    n_events, n_windows = 4_000, 1_500
    events = pd.DataFrame({
        "key": rng.integers(0, 300, n_events),
        # whole days: many events share an instant, and many fall exactly on a window's start or stop
        "at": day + rng.integers(0, 200, n_events).astype("timedelta64[D]"),
        "price": rng.random(n_events) < 0.3,
        "delivery": pd.array(np.where(rng.random(n_events) < 0.1, None, rng.random(n_events) < 0.2),
                             dtype="boolean"),
    })
    events.loc[rng.random(n_events) < 0.05, "at"] = pd.NaT  # undated events fall in no window
    stops = day + rng.integers(0, 230, n_windows).astype("timedelta64[D]")
    windows = pd.DataFrame({"window": np.arange(n_windows), "key": rng.integers(0, 320, n_windows),
                            "start": stops - np.timedelta64(30, "D"), "stop": stops})
    joined = windows.merge(events, on="key")
    inside = joined[(joined["at"] >= joined["start"]) & (joined["at"] < joined["stop"])]
    expected = (inside.groupby("window")[["price", "delivery"]].agg(lambda v: bool(v.fillna(False).any()))
                .reindex(windows["window"], fill_value=False).to_numpy(dtype=bool))
    flags = _labelled_in_windows(events["key"].to_numpy(), events["at"], events[["price", "delivery"]],
                                 windows["key"].to_numpy(), windows["start"].to_numpy(), windows["stop"].to_numpy())
    np.testing.assert_array_equal(flags, expected)
    assert 0.1 < expected.mean() < 0.9  # windows with and without mentions
