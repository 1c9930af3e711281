"""The ground truth of a simulated world, computed from the same parameters the simulation used."""

from __future__ import annotations

import math

import numpy as np

from cxlab import synth_comments
from cxlab.schema import TOUCHPOINTS
from cxlab.synth.model import SimulatedWorld, _clean, _followup_intercepts, _invoicing_lift, _nps
from cxlab.synth.parameters import (
    CHANNELS,
    LANGUAGES,
    N_TP,
    REGIONS,
    SEGMENTS,
    SURVEY_CHANNELS,
    TP_INDEX,
    WorldParameters,
)

__all__ = []


def _share_by_year(years: np.ndarray, values: np.ndarray) -> dict:
    out = {}
    for y in np.unique(years):
        sel = years == y
        if sel.any():
            out[str(int(y))] = float(values[sel].mean())
    return out


def _truth(world: SimulatedWorld, *, start_ts, as_of, month_starts, base_h, risk_months, churns, promoter_by_month,
           sample_x, csat_a, ces_b, transactional_per_month, parameters: WorldParameters, category_multiplier,
           extra) -> dict:
    """Collect the ground truth: the parameters used (``parameters``) and the realised values."""
    lat = extra["_latent"]
    cu, su, ca = world.customers, world.surveys, world.cases
    tp, years, answered = lat["tp"], lat["year"], lat["answered"]
    is_rel = tp == N_TP
    inv = tp == TP_INDEX["invoicing"]
    nps_all = lat["nps_true"][is_rel]
    nps_ans = lat["nps_true"][is_rel & answered]
    y_rel = years[is_rel]
    y_ans = years[is_rel & answered]
    inv_top2 = lat["csat_true"][inv] >= 4
    inv_ans = answered[inv]

    det_answers = int((answered & is_rel & (lat["nps_true"] <= 6)).sum())
    fu = ca[ca["kind"] == "detractor_followup"]
    fu_hours = (fu["first_response_at"] - fu["opened_at"]).dt.total_seconds() / 3600
    kept = (float((fu_hours.dropna() <= parameters.followup_sla_hours).mean()) if fu_hours.notna().any()
            else float("nan"))
    month_year = month_starts.year.to_numpy()
    churn_by_year = {}
    for y in np.unique(month_year):
        sel = month_year == y
        if risk_months[sel].sum():
            monthly = churns[sel].sum() / risk_months[sel].sum()
            churn_by_year[str(int(y))] = 1 - (1 - monthly) ** 12
    monthly_all = churns.sum() / max(risk_months.sum(), 1)
    acq_year = cu["acquired_at"].dt.year.to_numpy()
    ref = (cu["acquisition_channel"] == "referral").to_numpy()
    prom_year = {}
    for y in np.unique(month_year):
        vals = promoter_by_month[month_year == y]
        vals = vals[np.isfinite(vals)]
        if vals.size:
            prom_year[str(int(y))] = float(vals.mean())
    corr = np.corrcoef(sample_x, rowvar=False) if sample_x is not None and len(sample_x) > 2 else None
    mean_corr = float(corr[~np.eye(N_TP, dtype=bool)].mean()) if corr is not None else float("nan")
    seg_names = cu["segment"].to_numpy()
    retention = dict(zip(SEGMENTS, parameters.annual_retention_cost_by_segment, strict=True))
    ratio = float(cu["acquisition_cost"].sum() / np.sum([retention[s] for s in seg_names]))
    has_comment = lat["comment"] >= 0
    lang_of = lat["comment"][has_comment] // 100
    themes = lat["comment_themes"]
    nps_of_comment = np.where(tp[has_comment] == N_TP, lat["nps_true"][has_comment], -1)
    reasons = cu["churn_reason"].dropna()
    driver_weights = parameters.driver_weights_nps_points_per_sd
    ranking = sorted(driver_weights, key=lambda t: -driver_weights[t])
    kinds = ca["kind"].value_counts()
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_multiplier = category_multiplier[0] / category_multiplier[1]

    truth = {
        "ces_scale": "CES 1 = very easy (very low effort) ... 7 = very difficult (very high effort); higher is "
                     "worse; low effort = 1-2",
        "period": {"start": str(start_ts.date()), "end": str(as_of.date()), "as_of": str(as_of.date())},
        "n_customers_acquired": len(cu),
        "n_active_at_as_of": int(cu["churned_at"].isna().sum()),
        "segments": list(SEGMENTS),
        "regions": list(REGIONS),
        "acquisition_channels": list(CHANNELS),
        "survey_channels": list(SURVEY_CHANNELS),
        "touchpoints": list(TOUCHPOINTS),
        "acquisition": {
            "growth_factor_end_vs_start": parameters.acquisition_growth_end_vs_start,
            "segment_share": dict(zip(SEGMENTS, parameters.segment_share, strict=True)),
            "region_share": dict(zip(REGIONS, parameters.region_share, strict=True)),
            "annual_contract_share_by_segment": dict(zip(SEGMENTS, parameters.annual_contract_share_by_segment,
                                                         strict=True)),
            "monthly_revenue_lognormal": {s: {"median": parameters.revenue_median_per_month_by_segment[i],
                                              "sigma": parameters.revenue_log_sd_by_segment[i]}
                                          for i, s in enumerate(SEGMENTS)},
            "annual_retention_cost_by_segment": retention,
            "acquisition_cost_multiplier_by_channel": dict(zip(CHANNELS,
                                                               parameters.acquisition_cost_multiplier_by_channel,
                                                               strict=True)),
            "acquisition_cost_formula": f"{parameters.acquisition_to_annual_retention_cost_ratio:g} * "
                                        "annual_retention_cost[segment] * multiplier[channel] * "
                                        f"lognormal(mean 1, sigma {parameters.acquisition_cost_log_sd:g})",
            "acquisition_to_annual_retention_cost_ratio": ratio,
            "mean_acquisition_cost_by_channel": cu.groupby("acquisition_channel")["acquisition_cost"].mean()
            .to_dict(),
        },
        "referral": {
            "referral_weight_per_promoter_share": parameters.referral_weight_per_promoter_share,
            "promoter_share_by_year": prom_year,
            "referral_share_by_year": _share_by_year(acq_year, ref),
        },
        "experience_model": {
            "customer_variance": parameters.experience_customer_variance,
            "general_factor_share_of_customer_variance": parameters.experience_general_share,
            "ar1_coefficient_monthly": parameters.experience_ar_coefficient_per_month,
            "ar1_stationary_variance": parameters.experience_ar_variance,
            "segment_effects": parameters.segment_experience_shift_sd,
            "trend_per_year": parameters.experience_trend_sd_per_year,
            "delivery_peak_season_nov_dec": parameters.peak_season_delivery_shift_sd,
            "invoicing_lift_after_ramp": _invoicing_lift(parameters),
            "invoicing_ramp_months": parameters.invoicing_ramp_months,
            "mean_correlation": mean_corr,
        },
        "invoicing_redesign_date": parameters.invoicing_redesign_date,
        "invoicing_csat_share_by_year": _share_by_year(years[inv], inv_top2),
        "invoicing_csat_share_by_year_observed": _share_by_year(years[inv][inv_ans], inv_top2[inv_ans]),
        "csat_model": {
            "intercepts": dict(zip(TOUCHPOINTS, csat_a, strict=True)),
            "noise_sd": parameters.csat_noise_sd,
            "cut_points": parameters.csat_cut_points,
            "base_top2_share": parameters.csat_base_top2_share_by_touchpoint,
            "true_top2_share": {t: float((lat["csat_true"][tp == k] >= 4).mean()) if (tp == k).any() else None
                                for k, t in enumerate(TOUCHPOINTS)},
        },
        "ces_model": {"intercepts": dict(zip(TOUCHPOINTS, ces_b, strict=True)),
                      "slope_on_experience": -parameters.ces_slope_per_sd,
                      "noise_sd": parameters.ces_noise_sd, "cut_points": parameters.ces_cut_points},
        "nps_model": {
            "formula": "nps = round(clip(intercept + sum_k weight_k * x_k + u + e, 0, 10))",
            "intercept": parameters.nps_intercept_points, "customer_effect_sd": parameters.nps_customer_sd_points,
            "noise_sd": parameters.nps_noise_sd_points,
        },
        "driver_weights": {t: parameters.driver_scale * driver_weights[t] for t in TOUCHPOINTS},
        "driver_ranking": ranking,
        "response_model": parameters.response_model_logit | {
            "formula": "logit P(respond) = intercept + relationship (relationship survey only) + "
                       "previous_nps_category + segment + acquisition_channel + survey_channel + r, "
                       "r ~ N(0, customer_sd) per customer",
            "previous_nps_category_definition": "category of the most recent answered relationship survey with "
                                                "responded_at before the first day of the invitation's month "
                                                "(detractor 0-6, passive 7-8, promoter 9-10; 'none' before the "
                                                "first answer); for relationship invitations this is the latest "
                                                "answer before sent_at",
            "missing_at_random": "response never depends on the answer itself, only on the columns above, which "
                                 "the tables record before each invitation",
            "response_delay_hours_lognormal": {"median": parameters.response_delay_median_hours,
                                               "sigma": parameters.response_delay_log_sd}},
        "response_rate": {"overall": float(answered.mean()) if answered.size else None,
                          "relationship": float(answered[is_rel].mean()) if is_rel.any() else None,
                          "transactional": float(answered[~is_rel].mean()) if (~is_rel).any() else None},
        "true_population_nps": _nps(nps_all),
        "true_population_nps_by_year": {str(int(y)): _nps(nps_all[y_rel == y]) for y in np.unique(y_rel)},
        "respondent_nps": _nps(nps_ans),
        "respondent_nps_by_year": {str(int(y)): _nps(nps_ans[y_ans == y]) for y in np.unique(y_ans)},
        "churn_model": {
            "form": "monthly discrete-time proportional hazard: h = baseline_monthly_hazard[tenure_month - 1] * "
                    "exp(sum of log hazard ratios of the covariates)",
            "time_scale": "tenure_month = calendar-month index - acquisition calendar-month index (1 = the "
                          "calendar month after the acquisition month); no churn in the acquisition month",
            "covariates_evaluated_at": "00:00 of the first day of each calendar month, constant within the month",
            "covariates": {
                "nps_score": "score (0-10) of the most recent answered relationship survey with responded_at "
                             "before the month start, linear on the log-hazard scale (per_nps_point, 0 at "
                             f"{parameters.nps_hazard_center_points}): churn risk changes smoothly with the score, "
                             "with no jump "
                             "between categories; 'none' (no answer yet) has its own ratio "
                             "(no_response_vs_passive)",
                "followup": "followup_hazard_ratio in each of the FOLLOWUP_EFFECT_MONTHS calendar months after "
                            "the month in which a detractor_followup case got its first response (whatever the "
                            "customer answers later); the only jump in churn risk at the follow-up threshold "
                            "(answers 0-6 are called back, 7-10 are not)",
                "unobserved_value": "per_sd_unobserved_value per SD of a customer value that no table records "
                                    "(mean-one multiplier); it also raises the chance of a follow-up",
                "ces": "most recent answered transactional CES (any touchpoint, by responded_at before the "
                       "month start) minus 3; 0 before the first CES answer",
                "contract": "annual vs monthly (time-fixed)",
                "segment": "reference SMB (time-fixed)",
            },
            "churned_at": "uniform day within the churn month (dates, 00:00)",
            "reference_profile": f"SMB, monthly, latest answer {parameters.nps_hazard_center_points}, no follow-up, "
                                 "ces covariate "
                                 "0, average unobserved value",
        },
        "churn_log_hazard_ratios": parameters.churn_log_hazard_ratios,
        "churn_hazard_ratios": {k: math.exp(v) for k, v in parameters.churn_log_hazard_ratios.items()},
        "churn_hazard_ratios_by_category": {
            "definition": "mean hazard multiplier of the latest score over the customer-months at risk in each "
                          "category of the latest answer, relative to passives: the category contrasts the data "
                          "show (not parameters)",
            "detractor_vs_passive": mean_multiplier[1] / mean_multiplier[2],
            "promoter_vs_passive": mean_multiplier[3] / mean_multiplier[2],
        },
        "followup_hazard_ratio": parameters.followup_hazard_ratio,
        "followup_effect_months": parameters.followup_effect_months,
        "followup_assignment": {
            "formula": "logit P(follow-up | detractor answer) = intercept_segment + observed_value * "
                       "(log monthly_revenue - log segment median) / segment sigma + unobserved_value * u, "
                       "u ~ N(0, 1) per customer (the same u lowers churn)",
            "logit_per_sd": parameters.followup_logit_per_sd_value,
            "intercept_by_segment": dict(zip(SEGMENTS, _followup_intercepts(parameters), strict=True)),
        },
        "baseline_monthly_hazard": base_h,
        "baseline_monthly_hazard_formula": (f"{parameters.baseline_late_monthly_hazard} + "
                                            f"{parameters.baseline_early_extra_monthly_hazard} * exp(-(k - 1) / "
                                            f"{parameters.baseline_decay_months})"),
        "annual_churn_rate": 1 - (1 - monthly_all) ** 12,
        "annual_churn_rate_by_year": churn_by_year,
        "followup_coverage": (len(fu) / det_answers) if det_answers else None,
        "followup_coverage_by_segment": parameters.followup_coverage_by_segment,
        "sla_24h_kept_share": kept,
        "first_response_hours": {k: {"median": v[0], "sigma": v[1]}
                                 for k, v in parameters.first_response_hours_lognormal.items()},
        "cases": {
            "sla_hours": parameters.sla_hours_by_kind,
            "service_rate_per_month": parameters.service_request_rate_per_month_by_segment,
            "complaint_rate_per_month": parameters.complaint_rate_per_month,
            "complaint_general_experience_slope": parameters.complaint_log_rate_per_sd_general,
            "rate_scale": extra["_case_scale"],
            "count_by_kind": {k: int(kinds.get(k, 0)) for k in ("detractor_followup", "service_request",
                                                                 "complaint")},
            "open_cases": int(ca["closed_at"].isna().sum()),
            "awaiting_first_response": int(ca["first_response_at"].isna().sum()),
            "cases_per_customer": len(ca) / max(len(cu), 1),
            "close_days_lognormal": {k: {"median": v[0], "sigma": v[1]}
                                     for k, v in parameters.close_days_lognormal.items()},
        },
        "revenue_model": {
            "drift_log_per_month_by_segment": parameters.revenue_drift_log_per_month_by_segment,
            "drift_per_general_experience_sd": parameters.revenue_drift_log_per_month_per_sd_general,
            "drift_sd": parameters.revenue_drift_sd_log_per_month,
            "random_walk_sd": parameters.revenue_walk_log_sd_per_month,
            "usage_noise_sd": parameters.revenue_noise_log_sd,
            "proration": "first and churn month prorated by active days",
        },
        "comment_model": {
            "comment_probability_by_sentiment": parameters.comment_probability_by_sentiment,
            "language_probability_by_region": {r: {"ru": v[0], "de": v[1]}
                                               for r, v in parameters.language_share_by_region.items()},
            "comment_share": float(has_comment[answered].mean()) if answered.any() else None,
            "language_share": {lg: float((lang_of == i).mean()) if lang_of.size else 0.0
                               for i, lg in enumerate(LANGUAGES)},
            "themes": list(synth_comments.THEMES),
            "theme_labels": synth_comments.THEME_LABELS,
            "theme_by_touchpoint_and_sentiment": "negative answers: the touchpoint's negative theme(s) 85%, "
                                                 "off-topic 15%; neutral: negative theme 45%, each praise theme "
                                                 "12.5%, off-topic 30%; positive: each praise theme 40%, off-topic "
                                                 "20%; relationship answers: the touchpoint that pulled the score most",
            "second_theme_share": synth_comments.MIX_SHARE,
            "typo_share": synth_comments.TYPO_SHARE,
            "emerging_theme": synth_comments.EMERGING_THEME,
            "emerging_start": synth_comments.EMERGING_START,
            "emerging_share_of_negative_neutral": synth_comments.EMERGING_SHARE,
            **synth_comments.theme_truth(themes["theme"].to_numpy(), themes["second_theme"].to_numpy(), lang_of,
                                         nps_of_comment, lat["comment_quarter"]),
        },
        "churn_reasons": {
            "reasons": list(synth_comments.CHURN_REASONS),
            "share_given_passive": dict(zip(synth_comments.CHURN_REASONS, synth_comments.REASON_BASE_SHARE,
                                            strict=True)),
            "hazard_ratio_by_nps_state": synth_comments.REASON_HAZARD_RATIO,
            "largest_recorded_share": synth_comments.REASON_RECORDED_SHARE,
            "realised_share": (reasons.value_counts() / max(len(reasons), 1)).to_dict(),
            "recorded_share": float(len(reasons) / max(int(cu["churned_at"].notna().sum()), 1)),
            # the parameters draw_churn_reasons uses: cause-specific hazards proportional in the NPS state
            "cause_specific_hazard_ratios": synth_comments.cause_specific_hazard_ratios(),
            "case_reasons": list(synth_comments.CASE_REASONS),
            "complaint_match_multiplier": synth_comments.COMPLAINT_MATCH_MULTIPLIER,
            "complaint_lead_days": synth_comments.COMPLAINT_LEAD_DAYS,
            "complaint_reason_matching_churn_reason": synth_comments.REASON_CASE_MATCH,
        },
        "transactional_per_month": transactional_per_month,
        "survey_counts": {"invitations": int(len(su)), "responses": int(answered.sum()),
                          "relationship_invitations": int(is_rel.sum())},
    }
    return _clean(truth)
