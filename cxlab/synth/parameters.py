"""The simulated world's parameters: every constant of the generating process in one place
(documented in :mod:`cxlab.synth`)."""

from __future__ import annotations

import math

import numpy as np

from cxlab import synth_comments
from cxlab.schema import TOUCHPOINTS

__all__ = ["ACQUISITION_COST_SIGMA", "ACQUISITION_GROWTH", "ACQUISITION_TO_RETENTION", "ANNUAL_CONTRACT_SHARE",
           "ANNUAL_RETENTION_COST", "BASELINE_DECAY_MONTHS", "BASELINE_EARLY_EXTRA", "BASELINE_LATE", "CES_CENTER",
           "CES_CUTS", "CES_INTERCEPT", "CES_NOISE_SD", "CES_SLOPE", "CHANNELS", "CHANNEL_COST_MULTIPLIER",
           "CHANNEL_WEIGHTS", "CHURN_LOG_HR", "CLOSE_DAYS", "COMMENT_PROB", "COMPLAINT_GENERAL_SLOPE",
           "COMPLAINT_RATE_PER_MONTH", "CSAT_BASE_TOP2", "CSAT_CUTS", "CSAT_LATENT_SD", "CSAT_NOISE_SD", "DAY",
           "DEFAULT_END", "DEFAULT_FOLLOWUP_HAZARD_RATIO", "DEFAULT_N_CUSTOMERS", "DEFAULT_SEED", "DEFAULT_START",
           "DEFAULT_TRANSACTIONAL_PER_MONTH", "DRIVER_SCALE", "DRIVER_WEIGHTS", "EXP_AR", "EXP_AR_VAR",
           "EXP_CUSTOMER_VAR", "EXP_GENERAL_SHARE", "FIELD_OPS_SHARE", "FIRST_RESPONSE_HOURS", "FOLLOWUP_COVERAGE",
           "FOLLOWUP_EFFECT_MONTHS", "FOLLOWUP_OPEN_DELAY_MEDIAN_MINUTES", "FOLLOWUP_SLA_HOURS",
           "FOLLOWUP_VALUE_LOGIT", "HOUR", "INVOICING_RAMP_MONTHS", "INVOICING_REDESIGN_DATE", "INVOICING_TOP2_AFTER",
           "INVOICING_TOP2_BEFORE", "LANGUAGES", "LANGUAGE_BY_REGION", "NAT", "NEVER", "NPS_CUSTOMER_SD",
           "NPS_HAZARD_CENTER", "NPS_INTERCEPT", "NPS_NOISE_SD", "NPS_STATES", "N_TP", "ONBOARDING_EARLY_MULTIPLIER",
           "ONBOARDING_EARLY_TENURE_MONTHS", "PEAK_SEASON_DELIVERY", "REFERRAL_PER_PROMOTER_SHARE", "REGIONS",
           "REGION_SHARE", "RELATIONSHIP_CHANNEL_SHARE", "RELATIONSHIP_MIN_TENURE_DAYS", "RELATIONSHIP_WAVE_MONTHS",
           "RESPONSE_DELAY_MAX_DAYS", "RESPONSE_DELAY_MEDIAN_HOURS", "RESPONSE_DELAY_SIGMA", "RESPONSE_MODEL",
           "REVENUE_DRIFT", "REVENUE_DRIFT_GENERAL", "REVENUE_DRIFT_SD", "REVENUE_MEDIAN", "REVENUE_NOISE_SD",
           "REVENUE_SIGMA", "REVENUE_WALK_SD", "SEGMENTS", "SEGMENT_EXPERIENCE", "SEGMENT_SHARE", "SENTIMENTS",
           "SERVICE_RATE_PER_MONTH", "SLA_HOURS", "SURVEY_CHANNELS", "TEAMS", "TOUCHPOINT_INVITATION_SHARE",
           "TP_INDEX", "TRANSACTIONAL_CHANNEL_SHARE", "TREND_PER_YEAR"]

DEFAULT_SEED = 20210101
DEFAULT_START = "2021-01-01"
DEFAULT_END = "2026-09-30"
DEFAULT_N_CUSTOMERS = 20_000
DEFAULT_TRANSACTIONAL_PER_MONTH = 1.0

DAY = 86_400
HOUR = 3_600
NAT = np.iinfo(np.int64).min
NEVER = np.iinfo(np.int64).max

# --------------------------------------------------------------------------- customers
SEGMENTS = ("SMB", "Mid-market", "Enterprise")
SEGMENT_SHARE = (0.62, 0.28, 0.10)
REGIONS = ("North America", "Latin America", "Western Europe", "Eastern Europe", "Asia Pacific")
REGION_SHARE = (0.34, 0.10, 0.28, 0.12, 0.16)
ANNUAL_CONTRACT_SHARE = (0.35, 0.60, 0.85)
ACQUISITION_GROWTH = 2.5  # acquisition intensity at the end / at the start
REVENUE_MEDIAN = (900.0, 4_500.0, 22_000.0)  # monthly, currency units
REVENUE_SIGMA = (0.70, 0.60, 0.55)
ANNUAL_RETENTION_COST = (350.0, 1_400.0, 6_000.0)  # per customer and year
ACQUISITION_TO_RETENTION = 5.0
ACQUISITION_COST_SIGMA = 0.35

CHANNELS = ("referral", "direct_sales", "partner", "paid_search", "events")
# Non-referral channel weights by segment; the referral weight is added monthly.
CHANNEL_WEIGHTS = np.array(
    [
        [0.0, 0.15, 0.20, 0.45, 0.20],
        [0.0, 0.35, 0.25, 0.20, 0.20],
        [0.0, 0.55, 0.20, 0.05, 0.20],
    ]
)
REFERRAL_PER_PROMOTER_SHARE = 0.34  # referral weight = 0.34 * promoter share
CHANNEL_COST_MULTIPLIER = (0.45, 1.40, 0.90, 0.80, 1.20)

# --------------------------------------------------------------------------- experience
N_TP = len(TOUCHPOINTS)
TP_INDEX = {tp: k for k, tp in enumerate(TOUCHPOINTS)}
EXP_CUSTOMER_VAR = 0.80
EXP_GENERAL_SHARE = 0.25  # share of the customer variance coming from one general factor
EXP_AR = 0.85
EXP_AR_VAR = 1.0 - EXP_CUSTOMER_VAR
SEGMENT_EXPERIENCE = {  # additive, latent SD units
    "SMB": {"support": -0.10, "portal": 0.05},
    "Mid-market": {},
    "Enterprise": {"sales": 0.20, "delivery": 0.10, "support": 0.10, "field_service": 0.15, "portal": -0.10},
}
TREND_PER_YEAR = {
    "sales": 0.00,
    "onboarding": 0.015,
    "delivery": 0.01,
    "support": -0.015,
    "field_service": 0.0,
    "portal": 0.025,
    "invoicing": 0.00,
}
PEAK_SEASON_DELIVERY = -0.30  # November and December
INVOICING_REDESIGN_DATE = "2022-04-01"
INVOICING_RAMP_MONTHS = 51
INVOICING_TOP2_BEFORE = 0.725
INVOICING_TOP2_AFTER = 0.905

# --------------------------------------------------------------------------- scores
CSAT_NOISE_SD = 0.40
CSAT_CUTS = np.array([-2.2, -1.35, -0.62, 0.75])
CSAT_BASE_TOP2 = {
    "sales": 0.81,
    "onboarding": 0.80,
    "delivery": 0.81,
    "support": 0.80,
    "field_service": 0.81,
    "portal": 0.79,
    "invoicing": INVOICING_TOP2_BEFORE,
}
CSAT_LATENT_SD = math.sqrt(1.0 + CSAT_NOISE_SD**2)
CES_SLOPE = 0.8
CES_NOISE_SD = 0.7
CES_CUTS = np.array([-0.75, 0.0, 0.7, 1.35, 2.0, 2.6])
CES_INTERCEPT = {
    "sales": -0.3,
    "onboarding": 0.1,
    "delivery": -0.2,
    "support": 0.2,
    "field_service": 0.0,
    "portal": 0.0,
    "invoicing": 0.1,
}
CES_CENTER = 3.0

DRIVER_WEIGHTS = {
    "delivery": 1.00,
    "invoicing": 0.82,
    "support": 0.66,
    "onboarding": 0.50,
    "field_service": 0.35,
    "portal": 0.20,
    "sales": 0.06,
}
DRIVER_SCALE = 1.0  # NPS points per SD of experience = DRIVER_SCALE * weight above
NPS_INTERCEPT = 7.6
NPS_CUSTOMER_SD = 0.5
NPS_NOISE_SD = 0.8

# --------------------------------------------------------------------------- surveys
SURVEY_CHANNELS = ("email", "sms", "web", "phone")
RELATIONSHIP_CHANNEL_SHARE = (0.60, 0.05, 0.20, 0.15)
TRANSACTIONAL_CHANNEL_SHARE = (0.55, 0.25, 0.15, 0.05)
TOUCHPOINT_INVITATION_SHARE = {tp: 1.0 / N_TP for tp in TOUCHPOINTS}
ONBOARDING_EARLY_MULTIPLIER = 1.0
ONBOARDING_EARLY_TENURE_MONTHS = 3
RELATIONSHIP_WAVE_MONTHS = (3, 9)
RELATIONSHIP_MIN_TENURE_DAYS = 60
NPS_STATES = ("none", "detractor", "passive", "promoter")  # codes 0-3 of the latest-answer state
RESPONSE_MODEL = {
    "intercept": -1.36,
    "relationship": 0.10,
    "previous_nps_category": {"none": 0.0, "detractor": -1.2, "passive": 0.0, "promoter": 0.4},
    "segment": {"SMB": -0.20, "Mid-market": 0.0, "Enterprise": 0.25},
    "acquisition_channel": {"referral": 0.30, "direct_sales": 0.10, "partner": 0.0, "paid_search": -0.30,
                            "events": 0.0},
    "survey_channel": {"email": 0.0, "sms": -0.35, "web": 0.10, "phone": 0.70},
    "customer_sd": 2.0,
}
RESPONSE_DELAY_MEDIAN_HOURS = 4.0
RESPONSE_DELAY_SIGMA = 1.3
RESPONSE_DELAY_MAX_DAYS = 14

# --------------------------------------------------------------------------- churn
CHURN_LOG_HR = {
    "per_nps_point": math.log(0.76),
    "no_response_vs_passive": math.log(1.4),
    "annual_vs_monthly": math.log(0.55),
    "segment_Mid-market_vs_SMB": math.log(0.8),
    "segment_Enterprise_vs_SMB": math.log(0.6),
    "per_unit_ces": math.log(1.12),
    "per_sd_unobserved_value": math.log(0.7),
}
NPS_HAZARD_CENTER = 7.5  # latest answered score at which the score term is 0 (the passives' midpoint)
DEFAULT_FOLLOWUP_HAZARD_RATIO = 0.6
FOLLOWUP_EFFECT_MONTHS = 12
BASELINE_LATE = 0.0135
BASELINE_EARLY_EXTRA = 0.022
BASELINE_DECAY_MONTHS = 5.0

# --------------------------------------------------------------------------- cases
FOLLOWUP_COVERAGE = {"SMB": 0.70, "Mid-market": 0.80, "Enterprise": 0.90}
FOLLOWUP_VALUE_LOGIT = {"observed_value": 0.5, "unobserved_value": 1.0}  # logit per SD of customer value
FOLLOWUP_SLA_HOURS = 24.0
FOLLOWUP_OPEN_DELAY_MEDIAN_MINUTES = 15.0
FIRST_RESPONSE_HOURS = {  # log-normal median (hours) and sigma
    "detractor_followup/customer_success": (12.0, 0.95),
    "detractor_followup/account_management": (7.0, 0.95),
    "service_request": (3.0, 1.0),
    "complaint": (20.0, 0.9),
}
CLOSE_DAYS = {"detractor_followup": (2.0, 0.8), "service_request": (1.5, 0.9), "complaint": (5.0, 0.8)}
SLA_HOURS = {"detractor_followup": 24.0, "service_request": 8.0, "complaint": 48.0}
SERVICE_RATE_PER_MONTH = {"SMB": 0.020, "Mid-market": 0.030, "Enterprise": 0.045}
COMPLAINT_RATE_PER_MONTH = 0.006
COMPLAINT_GENERAL_SLOPE = -0.6
FIELD_OPS_SHARE = 0.30
TEAMS = ("customer_success", "account_management", "support_desk", "field_ops", "customer_relations")

# --------------------------------------------------------------------------- revenue
REVENUE_DRIFT = {"SMB": 0.002, "Mid-market": 0.004, "Enterprise": 0.005}  # log per month
REVENUE_DRIFT_GENERAL = 0.002
REVENUE_DRIFT_SD = 0.006
REVENUE_WALK_SD = 0.02
REVENUE_NOISE_SD = 0.04

# --------------------------------------------------------------------------- comments
COMMENT_PROB = {"negative": 0.70, "neutral": 0.50, "positive": 0.45}
LANGUAGES = synth_comments.LANGUAGE_CODES
LANGUAGE_BY_REGION = {  # P(ru), P(de)
    "North America": (0.003, 0.0),
    "Latin America": (0.0, 0.0),
    "Western Europe": (0.005, 0.15),
    "Eastern Europe": (0.60, 0.02),
    "Asia Pacific": (0.0, 0.0),
}
SENTIMENTS = ("negative", "neutral", "positive")
