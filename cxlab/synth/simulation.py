"""The month-by-month simulation: customers, experience, surveys, cases, churn and revenue."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.special import expit, ndtr

from cxlab import synth_comments
from cxlab.schema import RELATIONSHIP, TOUCHPOINTS
from cxlab.synth.model import (
    SimulatedWorld,
    _business_hours,
    _categorical,
    _csat_intercepts,
    _experience_trend,
    _followup_intercepts,
    _ids,
    _lognormal_seconds,
    _sec,
    _to_datetime,
    baseline_monthly_hazard,
)
from cxlab.synth.parameters import (
    CHANNELS,
    DAY,
    DEFAULT_END,
    DEFAULT_N_CUSTOMERS,
    DEFAULT_PARAMETERS,
    DEFAULT_SEED,
    DEFAULT_START,
    DEFAULT_TRANSACTIONAL_PER_MONTH,
    HOUR,
    LANGUAGES,
    N_TP,
    NAT,
    NEVER,
    NPS_STATES,
    REGIONS,
    SEGMENTS,
    SENTIMENTS,
    SURVEY_CHANNELS,
    TEAMS,
    TP_INDEX,
    WorldParameters,
)
from cxlab.synth.truth import _truth

__all__ = ["simulate"]


# --------------------------------------------------------------------------- simulate
def simulate(
    n_customers: int = DEFAULT_N_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    cases_per_customer: float | None = None,
    transactional_per_month: float = DEFAULT_TRANSACTIONAL_PER_MONTH,
    followup_hazard_ratio: float | None = None,
    parameters: WorldParameters = DEFAULT_PARAMETERS,
) -> SimulatedWorld:
    """Simulate a B2B service company's customers, revenue, surveys and cases.

    Parameters
    ----------
    n_customers : int, default 20_000
        Customers acquired between ``start`` and ``end``.
    seed : int
        Seed for :func:`numpy.random.default_rng`; same seed, same world.
    start, end : str
        First day of the simulated period and the as-of date (ISO dates).
    cases_per_customer : float, optional
        Target mean number of cases (all kinds) per customer; service requests
        and complaints are rescaled to reach it. ``None`` keeps the natural
        rates (about one case per customer).
    transactional_per_month : float, default 1.0
        Mean transactional survey invitations per active customer-month.
    followup_hazard_ratio : float, optional
        The causal effect of a detractor follow-up: the churn hazard is multiplied by it in the
        ``parameters.followup_effect_months`` calendar months after the month of the first response
        (1.0 = the follow-up has no effect). Given, it replaces ``parameters.followup_hazard_ratio``
        (0.6 by default).
    parameters : WorldParameters, optional
        Every constant of the generating process (default: the demo world's); the world's truth
        records the values used.

    Returns
    -------
    SimulatedWorld
        Tables, ``as_of`` and ``truth``.

    Examples
    --------
    >>> world = simulate(n_customers=500, seed=1)
    >>> sorted(world.tables())
    ['cases', 'customers', 'revenue', 'surveys']
    """
    if n_customers < 1:
        raise ValueError("n_customers must be positive")
    if followup_hazard_ratio is not None:
        parameters = replace(parameters, followup_hazard_ratio=followup_hazard_ratio)
    rng = np.random.default_rng(seed)
    start_ts = pd.Timestamp(start).normalize()
    as_of = pd.Timestamp(end).normalize()
    if as_of <= start_ts:
        raise ValueError("end must be after start")
    s_start, s_asof = _sec(start_ts), _sec(as_of)
    month_starts = pd.date_range(start_ts.to_period("M").start_time, as_of, freq="MS")
    n_months = len(month_starts)
    msec = np.append(month_starts.asi8 // 10**9,
                     _sec(month_starts[-1] + pd.offsets.MonthBegin(1))).astype(np.int64)
    month_len = np.diff(msec)
    win_lo = np.maximum(msec[:-1], s_start)
    win_hi = np.minimum(msec[1:], s_asof)  # events strictly before as_of 00:00 (or at it)
    trend = _experience_trend(month_starts, start_ts, parameters)
    csat_a = _csat_intercepts(parameters)
    ces_b = np.array([parameters.ces_intercept_by_touchpoint[tp] for tp in TOUCHPOINTS])
    weights = parameters.driver_scale * np.array([parameters.driver_weights_nps_points_per_sd[tp]
                                                  for tp in TOUCHPOINTS])
    base_h = baseline_monthly_hazard(n_months, parameters=parameters)
    emerging_month = month_starts >= pd.Timestamp(synth_comments.EMERGING_START)
    emerging_tp = np.isin(np.arange(N_TP), [TP_INDEX["sales"], TP_INDEX["invoicing"]])
    n = int(n_customers)

    # ---- customers (sorted by acquisition time) ---------------------------------------
    span_days = (as_of - start_ts).days
    growth = math.log(parameters.acquisition_growth_end_vs_start) / max(span_days, 1)
    u = rng.random(n)
    acq_day = np.floor(np.log1p(u * np.expm1(growth * (span_days + 1))) / growth).astype(np.int64)
    acq_day = np.sort(np.minimum(acq_day, span_days))
    acq_sec = s_start + acq_day * DAY
    acq_month = (np.searchsorted(msec, acq_sec, side="right") - 1).astype(np.int32)
    seg = _categorical(rng, parameters.segment_share, n)
    region = _categorical(rng, parameters.region_share, n)
    annual = rng.random(n) < np.asarray(parameters.annual_contract_share_by_segment)[seg]
    log_median = np.log(np.asarray(parameters.revenue_median_per_month_by_segment))
    log_sd = np.asarray(parameters.revenue_log_sd_by_segment)
    log_rev = log_median[seg] + log_sd[seg] * rng.standard_normal(n)
    monthly_revenue = np.round(np.exp(log_rev), 2)
    general = rng.standard_normal(n)
    specific = rng.standard_normal((n, N_TP))
    general_share = parameters.experience_general_share
    cust_eff = math.sqrt(parameters.experience_customer_variance) * (
        math.sqrt(general_share) * general[:, None] + math.sqrt(1 - general_share) * specific
    )
    del specific
    seg_eff = np.zeros((len(SEGMENTS), N_TP))
    for si, s in enumerate(SEGMENTS):
        for tp, v in parameters.segment_experience_shift_sd[s].items():
            seg_eff[si, TP_INDEX[tp]] = v
    cust_eff += seg_eff[seg]
    nps_u = parameters.nps_customer_sd_points * rng.standard_normal(n)
    response_model = parameters.response_model_logit
    resp_r = response_model["customer_sd"] * rng.standard_normal(n)
    resp_base = (np.array([response_model["segment"][s] for s in SEGMENTS])[seg]
                 + response_model["intercept"] + resp_r)
    acq_resp_eff = np.array([response_model["acquisition_channel"][c] for c in CHANNELS])
    svch_resp_eff = np.array([response_model["survey_channel"][c] for c in SURVEY_CHANNELS])
    state_resp_eff = np.array([response_model["previous_nps_category"][c] for c in NPS_STATES])
    log_hr = parameters.churn_log_hazard_ratios
    ppd = {"SMB": 0.0, "Mid-market": log_hr["segment_Mid-market_vs_SMB"],
           "Enterprise": log_hr["segment_Enterprise_vs_SMB"]}
    # customer value: observed (revenue relative to the segment's median, in SDs) and unobserved (a
    # separate stream, so the rest of the world is drawn as without it); both raise the chance of a
    # follow-up, the unobserved one also lowers churn (mean-one multiplier)
    observed_value = (log_rev - log_median[seg]) / log_sd[seg]
    unobserved_value = np.random.default_rng([seed, 1]).standard_normal(n)
    value_log_hr = log_hr["per_sd_unobserved_value"]
    lp_static = (np.array([ppd[s] for s in SEGMENTS])[seg] + log_hr["annual_vs_monthly"] * annual
                 + value_log_hr * unobserved_value - value_log_hr**2 / 2)
    value_logit = parameters.followup_logit_per_sd_value
    followup_logit = (_followup_intercepts(parameters)[seg] + value_logit["observed_value"] * observed_value
                      + value_logit["unobserved_value"] * unobserved_value)
    log_followup_hr = math.log(parameters.followup_hazard_ratio)
    effect_months = parameters.followup_effect_months
    channel_weights = np.asarray(parameters.channel_weights_by_segment)
    chan = np.full(n, -1, dtype=np.int8)
    z = np.zeros((n, N_TP))
    lang_p = np.array([parameters.language_share_by_region[r] for r in REGIONS])  # (region, [ru, de])

    # ---- state -----------------------------------------------------------------------
    churn_sec = np.full(n, NEVER, dtype=np.int64)
    churn_month = np.full(n, n_months, dtype=np.int32)
    churn_state = np.zeros(n, dtype=np.int8)  # NPS state in the churn month (draws the churn reason)
    churn_score = np.full(n, -1, dtype=np.int8)  # latest score in the churn month (-1: none)
    cat_cur = np.zeros(n, dtype=np.int8)  # 0 none, 1 detractor, 2 passive, 3 promoter
    score_cur = np.full(n, -1, dtype=np.int8)  # latest answered relationship score, -1 before the first
    fu_month = np.full(n, -effect_months - 1, dtype=np.int32)  # month of the latest follow-up response
    pend_time = np.full(n, NEVER, dtype=np.int64)
    pend_cat = np.zeros(n, dtype=np.int8)
    pend_score = np.full(n, -1, dtype=np.int8)
    ces_cur = np.full(n, parameters.ces_center_points)
    pool_c = np.empty(0, dtype=np.int64)
    pool_t = np.empty(0, dtype=np.int64)
    pool_v = np.empty(0, dtype=float)
    lp_score = np.append(log_hr["per_nps_point"] * (np.arange(11) - parameters.nps_hazard_center_points),
                         log_hr["no_response_vs_passive"])  # index -1: no answer yet
    category_multiplier = np.zeros((2, len(NPS_STATES)))  # sums of exp(score term), customer-months

    tp_share = np.array([parameters.touchpoint_invitation_share[tp] for tp in TOUCHPOINTS])
    tp_share_early = tp_share.copy()
    tp_share_early[TP_INDEX["onboarding"]] *= parameters.onboarding_early_multiplier
    early_total = tp_share_early.sum()
    cum_tp = np.cumsum(tp_share / tp_share.sum())
    cum_tp_early = np.cumsum(tp_share_early / early_total)

    out_s: list[dict] = []  # survey blocks in generation order
    out_f: list[dict] = []  # follow-up cases
    gen_counter = 0
    promoter_share = 0.40
    acq_bounds = np.searchsorted(acq_month, np.arange(n_months + 1), side="left")
    alive = np.empty(0, dtype=np.int64)
    risk_months = np.zeros(n_months, dtype=np.int64)
    churns = np.zeros(n_months, dtype=np.int64)
    promoter_by_month = np.full(n_months, np.nan)
    sample_x = None

    for m in range(n_months):
        t0 = msec[m]
        # pending state changes whose responses arrived before the month started
        due = np.flatnonzero(pend_time < t0) if m else np.empty(0, dtype=np.int64)
        if due.size:
            cat_cur[due] = pend_cat[due]
            score_cur[due] = pend_score[due]
            pend_time[due] = NEVER
        if pool_c.size:
            ready = pool_t < t0
            if ready.any():
                c_r, t_r, v_r = pool_c[ready], pool_t[ready], pool_v[ready]
                order = np.lexsort((t_r, c_r))
                c_r, v_r = c_r[order], v_r[order]
                last = np.r_[c_r[1:] != c_r[:-1], True]
                ces_cur[c_r[last]] = v_r[last]
                pool_c, pool_t, pool_v = pool_c[~ready], pool_t[~ready], pool_v[~ready]

        # new customers: channel depends on the current promoter share
        new = np.arange(acq_bounds[m], acq_bounds[m + 1])
        if new.size:
            w = channel_weights[seg[new]].copy()
            w[:, 0] = parameters.referral_weight_per_promoter_share * promoter_share
            chan[new] = _categorical(rng, w)
            z[new] = math.sqrt(parameters.experience_ar_variance) * rng.standard_normal((new.size, N_TP))
        old = alive
        if old.size:
            ar = parameters.experience_ar_coefficient_per_month
            z[old] = ar * z[old] + math.sqrt(parameters.experience_ar_variance * (1 - ar**2)) * rng.standard_normal(
                (old.size, N_TP))
        alive = np.concatenate([old, new])
        if alive.size == 0:
            continue
        x = trend[m] + cust_eff[alive] + z[alive]
        nps_mean = parameters.nps_intercept_points + x @ weights + nps_u[alive]

        # churn in month m (customers acquired before this month)
        n_old = old.size
        if n_old:
            tenure = m - acq_month[old]
            score_term = lp_score[score_cur[old]]
            np.add.at(category_multiplier, (0, cat_cur[old]), np.exp(score_term))
            np.add.at(category_multiplier, (1, cat_cur[old]), 1.0)
            since_followup = m - fu_month[old]
            lp = (lp_static[old] + score_term
                  + log_followup_hr * ((since_followup >= 1) & (since_followup <= effect_months))
                  + log_hr["per_unit_ces"] * (ces_cur[old] - parameters.ces_center_points))
            h = np.minimum(base_h[tenure - 1] * np.exp(lp), 0.9)
            out = rng.random(n_old) < h
            risk_months[m] = n_old
            churns[m] = int(out.sum())
            gone = old[out]
            last_day = (min(msec[m + 1] - DAY, s_asof) - t0) // DAY
            churn_sec[gone] = t0 + rng.integers(0, last_day + 1, gone.size) * DAY
            churn_state[gone] = cat_cur[gone]
            churn_score[gone] = score_cur[gone]
            churn_month[gone] = m
        # activity window within the month
        lo = np.maximum(win_lo[m], acq_sec[alive])
        hi = np.minimum(win_hi[m], churn_sec[alive])
        width = np.maximum(hi - lo, 0)
        tenure_now = m - acq_month[alive]

        # ---- transactional surveys -------------------------------------------------
        early = tenure_now < parameters.onboarding_early_tenure_months
        lam = transactional_per_month * width / month_len[m] * np.where(early, early_total, 1.0)
        counts = rng.poisson(lam)
        if counts.sum():
            rows = np.repeat(np.arange(alive.size), counts)
            nr = rows.size
            u_tp = rng.random(nr)
            tp = np.where(early[rows], np.searchsorted(cum_tp_early, u_tp, side="right"),
                          np.searchsorted(cum_tp, u_tp, side="right"))
            tp = np.minimum(tp, N_TP - 1).astype(np.int8)
            sent = _business_hours(rng, lo[rows] + np.floor(rng.random(nr) * width[rows]).astype(np.int64),
                                   lo[rows], lo[rows] + width[rows])
            xv = x[rows, tp]
            csat_lat = csat_a[tp] + xv + parameters.csat_noise_sd * rng.standard_normal(nr)
            csat = (np.searchsorted(parameters.csat_cut_points, csat_lat) + 1).astype(np.int8)
            ces_lat = (ces_b[tp] - parameters.ces_slope_per_sd * xv
                       + parameters.ces_noise_sd * rng.standard_normal(nr))
            ces = (np.searchsorted(parameters.ces_cut_points, ces_lat) + 1).astype(np.int8)
            svch = _categorical(rng, parameters.transactional_channel_share, nr)
            cid = alive[rows]
            logit = resp_base[cid] + acq_resp_eff[chan[cid]] + svch_resp_eff[svch] + state_resp_eff[cat_cur[cid]]
            responded = rng.random(nr) < expit(logit)
            delay = np.minimum(_response_delays(rng, parameters, nr), parameters.response_delay_max_days * DAY)
            resp_t = sent + delay
            responded &= (resp_t <= s_asof) & (resp_t < churn_sec[cid])
            sentiment = np.where(csat <= 2, 0, np.where(csat == 3, 1, 2)).astype(np.int8)
            comment = _comments(rng, responded, region[cid], tp, sentiment, lang_p,
                                emerging_month[m] & emerging_tp[tp], parameters)
            out_s.append({"cust": cid.astype(np.int32), "tp": tp, "ch": svch, "sent": sent,
                          "resp": np.where(responded, resp_t, NAT), "csat_true": csat, "ces_true": ces,
                          "nps_true": np.full(nr, -1, dtype=np.int8), "comment": comment})
            gen_counter += nr
            if responded.any():
                pool_c = np.concatenate([pool_c, cid[responded]])
                pool_t = np.concatenate([pool_t, resp_t[responded]])
                pool_v = np.concatenate([pool_v, ces[responded].astype(float)])

        # ---- relationship wave ---------------------------------------------------------
        if month_starts[m].month in parameters.relationship_wave_months:
            send = t0 + (7 + rng.integers(0, 14, alive.size)) * DAY
            send = _business_hours(rng, send, send, send + DAY)
            ok = ((send >= lo) & (send < hi)
                  & (send - acq_sec[alive] >= parameters.relationship_min_tenure_days * DAY))
            rows = np.flatnonzero(ok)
            nr = rows.size
            if nr:
                cid = alive[rows]
                sent = send[rows]
                nps_lat = nps_mean[rows] + parameters.nps_noise_sd_points * rng.standard_normal(nr)
                nps = np.clip(np.rint(nps_lat), 0, 10).astype(np.int8)
                svch = _categorical(rng, parameters.relationship_channel_share, nr)
                logit = (resp_base[cid] + acq_resp_eff[chan[cid]] + svch_resp_eff[svch] + state_resp_eff[cat_cur[cid]]
                         + response_model["relationship"])
                responded = rng.random(nr) < expit(logit)
                delay = np.minimum(
                    _response_delays(rng, parameters, nr), parameters.response_delay_max_days * DAY)
                resp_t = sent + delay
                responded &= (resp_t <= s_asof) & (resp_t < churn_sec[cid])
                cat = np.where(nps <= 6, 1, np.where(nps <= 8, 2, 3)).astype(np.int8)
                # comment topic: the touchpoint pulling the score most in the answer's direction
                contrib = x[rows] * weights
                topic = np.where(cat == 1, contrib.argmin(axis=1),
                                 np.where(cat == 3, contrib.argmax(axis=1),
                                          _categorical(rng, weights, nr))).astype(np.int8)
                comment = _comments(rng, responded, region[cid], topic, (cat - 1).astype(np.int8), lang_p,
                                    np.full(nr, emerging_month[m]), parameters)
                gen = gen_counter + np.arange(nr)
                gen_counter += nr
                out_s.append({"cust": cid.astype(np.int32), "tp": np.full(nr, N_TP, dtype=np.int8), "ch": svch,
                              "sent": sent, "resp": np.where(responded, resp_t, NAT),
                              "csat_true": np.zeros(nr, dtype=np.int8), "ces_true": np.zeros(nr, dtype=np.int8),
                              "nps_true": nps, "comment": comment})
                # detractor follow-ups
                det = np.flatnonzero(responded & (cat == 1))
                if det.size:
                    dc = cid[det]
                    covered = rng.random(det.size) < expit(followup_logit[dc])
                    nd = det.size
                    opened = resp_t[det] + _lognormal_seconds(
                        rng, parameters.followup_open_delay_median_minutes * 60, 0.8, nd)
                    team = np.where(seg[dc] == 2, 1, 0).astype(np.int8)
                    first_hours = parameters.first_response_hours_lognormal
                    med = np.where(team == 1, first_hours["detractor_followup/account_management"][0],
                                   first_hours["detractor_followup/customer_success"][0]) * HOUR
                    first = opened + _lognormal_seconds(rng, med, 0.95, nd)
                    cmed, csig = parameters.close_days_lognormal["detractor_followup"]
                    closed = first + _lognormal_seconds(rng, cmed * DAY, csig, nd)
                    keep = covered & (opened <= s_asof)
                    first_obs = np.where(first <= s_asof, first, NAT)
                    closed_obs = np.where(closed <= s_asof, closed, NAT)
                    out_f.append({"gen": gen[det][keep], "cust": dc[keep].astype(np.int32), "opened": opened[keep],
                                  "first": first_obs[keep], "closed": closed_obs[keep], "team": team[keep]})
                    reached = keep & (first <= s_asof)
                    fu_month[dc[reached]] = np.searchsorted(msec, first[reached], side="right") - 1
                rr = np.flatnonzero(responded)
                pend_time[cid[rr]] = resp_t[rr]
                pend_cat[cid[rr]] = cat[rr]
                pend_score[cid[rr]] = nps[rr]

        # promoter share among customers still active at the end of the month
        still = alive[churn_month[alive] > m]
        keep_rows = churn_month[alive] > m
        if still.size:
            promoter_share = float(ndtr((nps_mean[keep_rows] - 8.5) / parameters.nps_noise_sd_points).mean())
            promoter_by_month[m] = promoter_share
        if m == n_months - 1 or (sample_x is None and still.size >= min(n, 5_000)):
            sample_x = x[keep_rows][:20_000]
        alive = still

    world = _assemble(
        rng=rng, n=n, start_ts=start_ts, as_of=as_of, s_asof=s_asof, msec=msec, month_starts=month_starts,
        acq_sec=acq_sec, acq_month=acq_month, seg=seg, region=region, annual=annual, chan=chan,
        monthly_revenue=monthly_revenue, general=general, churn_sec=churn_sec, churn_month=churn_month,
        out_s=out_s, out_f=out_f, churn_state=churn_state, churn_score_log_hazard=lp_score[churn_score],
        text_rng=np.random.default_rng([seed, 1]),
        cases_per_customer=cases_per_customer, parameters=parameters,
    )
    world.truth = _truth(world, start_ts=start_ts, as_of=as_of, month_starts=month_starts, base_h=base_h,
                         risk_months=risk_months, churns=churns, promoter_by_month=promoter_by_month,
                         sample_x=sample_x, csat_a=csat_a, ces_b=ces_b,
                         transactional_per_month=transactional_per_month,
                         parameters=parameters, category_multiplier=category_multiplier,
                         extra=world.truth)
    world.params = {"n_customers": n, "seed": int(seed), "start": str(start_ts.date()), "end": str(as_of.date()),
                    "cases_per_customer": cases_per_customer, "transactional_per_month": transactional_per_month,
                    "followup_hazard_ratio": parameters.followup_hazard_ratio}
    world.parameters = parameters
    return world


def _response_delays(rng, parameters: WorldParameters, size: int) -> np.ndarray:
    """Log-normal delays (seconds) between an invitation and its answer, before the cap."""
    return _lognormal_seconds(rng, parameters.response_delay_median_hours * HOUR, parameters.response_delay_log_sd,
                              size)


def _comments(rng, responded, region, tp, sentiment, lang_p, emerging, parameters) -> np.ndarray:
    """Comment codes ``100 * language + primary theme + 1`` (theme 0: off-topic; -1 = no comment)."""
    nr = responded.size
    prob = np.array([parameters.comment_probability_by_sentiment[s] for s in SENTIMENTS])[sentiment]
    has = responded & (rng.random(nr) < prob)
    u = rng.random(nr)
    p_ru = lang_p[region, 0]
    p_de = lang_p[region, 1]
    lang = np.where(u < p_ru, 1, np.where(u < p_ru + p_de, 2, 0))
    code = 100 * lang + synth_comments.primary_theme(rng.random(nr), tp, sentiment, emerging) + 1
    return np.where(has, code, -1).astype(np.int16)


def _assemble(*, rng, n, start_ts, as_of, s_asof, msec, month_starts, acq_sec, acq_month, seg, region, annual, chan,
              monthly_revenue, general, churn_sec, churn_month, out_s, out_f, churn_state, churn_score_log_hazard,
              text_rng,
              cases_per_customer, parameters) -> SimulatedWorld:
    """Turn the simulated arrays into the four tables."""
    n_months = len(month_starts)
    cust_ids = _ids("C", n, 7)
    seg_names = np.array(SEGMENTS, dtype=object)
    churned = churn_sec != NEVER

    # ---- customers ----------------------------------------------------------------------
    channel_mult = np.asarray(parameters.acquisition_cost_multiplier_by_channel)[chan]
    cost_sd = parameters.acquisition_cost_log_sd
    noise = np.exp(cost_sd * rng.standard_normal(n) - cost_sd**2 / 2)
    retention_cost = np.asarray(parameters.annual_retention_cost_by_segment)[seg]
    acquisition_cost = np.round(
        parameters.acquisition_to_annual_retention_cost_ratio * retention_cost * channel_mult * noise, 2)
    customers = pd.DataFrame({
        "customer_id": cust_ids,
        "segment": seg_names[seg],
        "region": np.array(REGIONS, dtype=object)[region],
        "acquisition_channel": np.array(CHANNELS, dtype=object)[chan],
        "acquired_at": _to_datetime(acq_sec),
        "churned_at": _to_datetime(np.where(churned, churn_sec, NAT)),
        "contract": np.where(annual, "annual", "monthly").astype(object),
        "monthly_revenue": monthly_revenue,
        "acquisition_cost": acquisition_cost,
        "churn_reason": synth_comments.draw_churn_reasons(text_rng, churned, churn_state, churn_score_log_hazard),
    }, copy=False)

    # ---- revenue ------------------------------------------------------------------------
    last = np.where(churned, np.where(churn_sec > msec[np.minimum(churn_month, n_months - 1)], churn_month,
                                      churn_month - 1), n_months - 1)
    counts = np.maximum(last - acq_month + 1, 0).astype(np.int64)
    total = int(counts.sum())
    offsets = np.r_[0, np.cumsum(counts)[:-1]]
    rows = np.repeat(np.arange(n, dtype=np.int32), counts)
    k = np.arange(total, dtype=np.int32)
    k -= np.repeat(offsets.astype(np.int32), counts)
    drift = (np.array([parameters.revenue_drift_log_per_month_by_segment[s] for s in SEGMENTS])[seg]
             + parameters.revenue_drift_log_per_month_per_sd_general * general
             + parameters.revenue_drift_sd_log_per_month * rng.standard_normal(n))
    log_amount = rng.standard_normal(total)
    log_amount *= parameters.revenue_walk_log_sd_per_month
    np.cumsum(log_amount, out=log_amount)  # random walk per customer, 0 in the first month
    if total:
        log_amount -= np.repeat(log_amount[offsets], counts)
    log_amount += drift[rows] * k
    log_amount += parameters.revenue_noise_log_sd * rng.standard_normal(total)
    np.exp(log_amount, out=log_amount)
    log_amount *= monthly_revenue[rows]
    month_idx = acq_month[rows] + k
    del k
    m_lo = msec[month_idx]
    # prorate the acquisition month and the churn month by active days
    edge = np.flatnonzero((month_idx == acq_month[rows]) | (month_idx == churn_month[rows]))
    e_rows, e_m = rows[edge], month_idx[edge]
    act_lo = np.maximum(msec[e_m], acq_sec[e_rows])
    act_hi = np.minimum(np.minimum(msec[e_m + 1], s_asof + DAY), churn_sec[e_rows])
    log_amount[edge] *= np.clip((act_hi - act_lo) / (msec[e_m + 1] - msec[e_m]), 0.0, 1.0)
    del month_idx, edge, e_rows, e_m, act_lo, act_hi
    revenue = pd.DataFrame({
        "customer_id": cust_ids[rows],
        "month": _to_datetime(m_lo),
        "amount": np.round(log_amount, 2),
    }, copy=False)
    del rows, log_amount, m_lo

    # ---- surveys ------------------------------------------------------------------------
    def cat(blocks, key, dtype):
        return np.concatenate([b[key] for b in blocks]) if blocks else np.empty(0, dtype=dtype)

    def take(key, dtype):
        arrays = [b.pop(key) for b in out_s]
        return np.concatenate(arrays) if arrays else np.empty(0, dtype=dtype)

    sent = take("sent", np.int64)
    total_inv = sent.size
    order = np.argsort(sent, kind="stable")  # chronological, ties in generation order
    rank = np.empty(total_inv, dtype=np.int64)
    rank[order] = np.arange(total_inv)
    f_gen = cat(out_f, "gen", np.int64)
    f_inv = rank[f_gen]  # row of the answered invitation each follow-up refers to
    del rank, f_gen
    sent = sent[order]
    cust, tp, ch, resp = (take(k, d)[order] for k, d in (("cust", np.int32), ("tp", np.int8), ("ch", np.int8),
                                                          ("resp", np.int64)))
    csat_true, ces_true, nps_true, comment = (take(k, d)[order] for k, d in (
        ("csat_true", np.int8), ("ces_true", np.int8), ("nps_true", np.int8), ("comment", np.int16)))
    del out_s[:], order
    inv_ids = _ids("S", total_inv, 9)
    answered = resp != NAT
    is_rel = tp == N_TP
    nan = np.nan
    has_comment = comment >= 0
    written = synth_comments.comment_texts(text_rng, comment[has_comment] // 100, comment[has_comment] % 100 - 1)
    comment_text = np.full(total_inv, None, dtype=object)
    comment_text[has_comment] = written["comment"].to_numpy()
    surveys = pd.DataFrame({
        "invitation_id": inv_ids,
        "customer_id": cust_ids[cust],
        "touchpoint": np.array(TOUCHPOINTS + (RELATIONSHIP,), dtype=object)[tp],
        "channel": np.array(SURVEY_CHANNELS, dtype=object)[ch],
        "sent_at": _to_datetime(sent),
        "responded_at": _to_datetime(resp),
        "nps": np.where(answered & is_rel, nps_true, nan),
        "csat": np.where(answered & ~is_rel, csat_true, nan),
        "ces": np.where(answered & ~is_rel, ces_true, nan),
        "comment": comment_text,
    }, copy=False)
    year = (sent // DAY).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int16) + 1970
    latent = {"year": year, "tp": tp, "answered": answered, "csat_true": csat_true, "nps_true": nps_true,
              "comment": comment, "comment_themes": written,
              "comment_quarter": pd.PeriodIndex(_to_datetime(sent[has_comment]), freq="Q").astype(str).to_numpy()}
    del sent, resp, cust, ch, ces_true

    # ---- cases --------------------------------------------------------------------------
    f_cust = cat(out_f, "cust", np.int32).astype(np.int64)
    n_f = f_cust.size
    f_open, f_first, f_closed = cat(out_f, "opened", np.int64), cat(out_f, "first", np.int64), cat(
        out_f, "closed", np.int64)
    f_team = cat(out_f, "team", np.int8)
    # service requests and complaints over the active life
    end_sec = np.minimum(churn_sec, s_asof)
    life = np.maximum(end_sec - acq_sec, 0)
    life_months = life / (30.4375 * DAY)
    service_rate = parameters.service_request_rate_per_month_by_segment
    sr_rate = np.array([service_rate[s] for s in SEGMENTS])[seg] * life_months
    cp_rate = (parameters.complaint_rate_per_month * np.exp(parameters.complaint_log_rate_per_sd_general * general)
               * life_months)
    scale = 1.0
    if cases_per_customer is not None:
        needed = max(cases_per_customer * n - n_f, 0.0)
        expected = sr_rate.sum() + cp_rate.sum()
        scale = needed / expected if expected > 0 else 0.0
    n_sr = rng.poisson(sr_rate * scale)
    n_cp = rng.poisson(cp_rate * scale)
    blocks = []
    for kind, cnt in (("service_request", n_sr), ("complaint", n_cp)):
        who = np.repeat(np.arange(n), cnt)
        nk = who.size
        opened = _business_hours(rng, acq_sec[who] + np.floor(rng.random(nk) * life[who]).astype(np.int64),
                                 acq_sec[who], acq_sec[who] + life[who])
        if kind == "service_request":
            team = np.where(rng.random(nk) < parameters.field_ops_share, 3, 2).astype(np.int8)
        else:
            team = np.full(nk, 4, dtype=np.int8)
        med, sig = parameters.first_response_hours_lognormal[kind]
        first = opened + _lognormal_seconds(rng, med * HOUR, sig, nk)
        cmed, csig = parameters.close_days_lognormal[kind]
        closed = first + _lognormal_seconds(rng, cmed * DAY, csig, nk)
        blocks.append((kind, who, opened, np.where(first <= s_asof, first, NAT),
                       np.where(closed <= s_asof, closed, NAT), team))
    kinds = np.concatenate([np.zeros(n_f, dtype=np.int8)] + [np.full(b[1].size, i + 1, dtype=np.int8)
                                                             for i, b in enumerate(blocks)])
    c_cust = np.concatenate([f_cust] + [b[1] for b in blocks])
    c_open = np.concatenate([f_open] + [b[2] for b in blocks])
    c_first = np.concatenate([f_first] + [b[3] for b in blocks])
    c_closed = np.concatenate([f_closed] + [b[4] for b in blocks])
    c_team = np.concatenate([f_team] + [b[5] for b in blocks])
    c_inv = np.concatenate([f_inv,
                            np.full(c_cust.size - n_f, -1, dtype=np.int64)])
    corder = np.lexsort((c_cust, kinds, c_open))
    kinds, c_cust, c_open, c_first, c_closed, c_team, c_inv = (
        a[corder] for a in (kinds, c_cust, c_open, c_first, c_closed, c_team, c_inv))
    kind_names = ("detractor_followup", "service_request", "complaint")
    inv_col = np.where(c_inv >= 0, inv_ids[np.maximum(c_inv, 0)] if total_inv else None, None)
    cases = pd.DataFrame({
        "case_id": _ids("K", c_cust.size, 8),
        "customer_id": cust_ids[c_cust],
        "kind": np.array(kind_names, dtype=object)[kinds],
        "opened_at": _to_datetime(c_open),
        "first_response_at": _to_datetime(c_first),
        "closed_at": _to_datetime(c_closed),
        "sla_hours": np.array([parameters.sla_hours_by_kind[k] for k in kind_names])[kinds],
        "invitation_id": inv_col.astype(object),
        "team": np.array(TEAMS, dtype=object)[c_team],
        "reason": synth_comments.draw_case_reasons(text_rng, np.array(kind_names, dtype=object)[kinds], c_open,
                                                   churn_sec[c_cust], customers["churn_reason"].to_numpy()[c_cust]),
    }, copy=False)
    names = np.array((*synth_comments.THEMES, None), dtype=object)
    comment_themes = pd.DataFrame({"invitation_id": inv_ids[has_comment],
                                   "language": np.array(LANGUAGES, dtype=object)[comment[has_comment] // 100],
                                   "theme": names[written["theme"].to_numpy()],
                                   "second_theme": names[written["second_theme"].to_numpy()]})
    world = SimulatedWorld(customers=customers, revenue=revenue, surveys=surveys, cases=cases, as_of=as_of,
                           comment_themes=comment_themes)
    world.truth = {"_latent": latent, "_case_scale": scale}
    return world
