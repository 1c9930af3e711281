"""The simulated world's parameters: every constant of the generating process in one frozen
dataclass, :class:`WorldParameters` (the process is documented in :mod:`cxlab.synth`).

``simulate(parameters=WorldParameters(...))`` builds a world from other values; the defaults
build the demo world. Category labels (segments, regions, channels, teams, languages), time units
and the defaults of :func:`~cxlab.synth.simulate`'s own arguments stay module-level constants. The
upper-case names of the former module (``CHURN_LOG_HR``, ``DRIVER_WEIGHTS``, ...) are kept, read
from the default instance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from cxlab import synth_comments
from cxlab.schema import TOUCHPOINTS

__all__ = ["ACQUISITION_COST_SIGMA", "ACQUISITION_GROWTH", "ACQUISITION_TO_RETENTION", "ANNUAL_CONTRACT_SHARE",
           "ANNUAL_RETENTION_COST", "BASELINE_DECAY_MONTHS", "BASELINE_EARLY_EXTRA", "BASELINE_LATE", "CES_CENTER",
           "CES_CUTS", "CES_INTERCEPT", "CES_NOISE_SD", "CES_SLOPE", "CHANNELS", "CHANNEL_COST_MULTIPLIER",
           "CHANNEL_WEIGHTS", "CHURN_LOG_HR", "CLOSE_DAYS", "COMMENT_PROB", "COMPLAINT_GENERAL_SLOPE",
           "COMPLAINT_RATE_PER_MONTH", "CSAT_BASE_TOP2", "CSAT_CUTS", "CSAT_LATENT_SD", "CSAT_NOISE_SD", "DAY",
           "DEFAULT_END", "DEFAULT_FOLLOWUP_HAZARD_RATIO", "DEFAULT_N_CUSTOMERS", "DEFAULT_PARAMETERS",
           "DEFAULT_SEED", "DEFAULT_START", "DEFAULT_TRANSACTIONAL_PER_MONTH", "DRIVER_SCALE", "DRIVER_WEIGHTS",
           "EXP_AR", "EXP_AR_VAR", "EXP_CUSTOMER_VAR", "EXP_GENERAL_SHARE", "FIELD_OPS_SHARE",
           "FIRST_RESPONSE_HOURS", "FOLLOWUP_COVERAGE", "FOLLOWUP_EFFECT_MONTHS",
           "FOLLOWUP_OPEN_DELAY_MEDIAN_MINUTES", "FOLLOWUP_SLA_HOURS", "FOLLOWUP_VALUE_LOGIT", "HOUR",
           "INVOICING_RAMP_MONTHS", "INVOICING_REDESIGN_DATE", "INVOICING_TOP2_AFTER", "INVOICING_TOP2_BEFORE",
           "LANGUAGES", "LANGUAGE_BY_REGION", "NAT", "NEVER", "NPS_CUSTOMER_SD", "NPS_HAZARD_CENTER",
           "NPS_INTERCEPT", "NPS_NOISE_SD", "NPS_STATES", "N_TP", "ONBOARDING_EARLY_MULTIPLIER",
           "ONBOARDING_EARLY_TENURE_MONTHS", "PEAK_SEASON_DELIVERY", "REFERRAL_PER_PROMOTER_SHARE", "REGIONS",
           "REGION_SHARE", "RELATIONSHIP_CHANNEL_SHARE", "RELATIONSHIP_MIN_TENURE_DAYS", "RELATIONSHIP_WAVE_MONTHS",
           "RESPONSE_DELAY_MAX_DAYS", "RESPONSE_DELAY_MEDIAN_HOURS", "RESPONSE_DELAY_SIGMA", "RESPONSE_MODEL",
           "REVENUE_DRIFT", "REVENUE_DRIFT_GENERAL", "REVENUE_DRIFT_SD", "REVENUE_MEDIAN", "REVENUE_NOISE_SD",
           "REVENUE_SIGMA", "REVENUE_WALK_SD", "SEGMENTS", "SEGMENT_EXPERIENCE", "SEGMENT_SHARE", "SENTIMENTS",
           "SERVICE_RATE_PER_MONTH", "SLA_HOURS", "SURVEY_CHANNELS", "TEAMS", "TOUCHPOINT_INVITATION_SHARE",
           "TP_INDEX", "TRANSACTIONAL_CHANNEL_SHARE", "TREND_PER_YEAR", "WorldParameters"]

# --------------------------------------------------------------------------- arguments of simulate
DEFAULT_SEED = 20210101
DEFAULT_START = "2021-01-01"
DEFAULT_END = "2026-09-30"
DEFAULT_N_CUSTOMERS = 20_000
DEFAULT_TRANSACTIONAL_PER_MONTH = 1.0

# --------------------------------------------------------------------------- units and sentinels
DAY = 86_400  # seconds
HOUR = 3_600  # seconds
NAT = np.iinfo(np.int64).min
NEVER = np.iinfo(np.int64).max

# --------------------------------------------------------------------------- category labels
SEGMENTS = ("SMB", "Mid-market", "Enterprise")
REGIONS = ("North America", "Latin America", "Western Europe", "Eastern Europe", "Asia Pacific")
CHANNELS = ("referral", "direct_sales", "partner", "paid_search", "events")
N_TP = len(TOUCHPOINTS)
TP_INDEX = {tp: k for k, tp in enumerate(TOUCHPOINTS)}
SURVEY_CHANNELS = ("email", "sms", "web", "phone")
NPS_STATES = ("none", "detractor", "passive", "promoter")  # codes 0-3 of the latest-answer state
TEAMS = ("customer_success", "account_management", "support_desk", "field_ops", "customer_relations")
LANGUAGES = synth_comments.LANGUAGE_CODES
SENTIMENTS = ("negative", "neutral", "positive")


def _dict_field(values: dict):
    """A dataclass field whose default is a fresh copy of ``values``."""
    return field(default_factory=lambda: dict(values))


@dataclass(frozen=True)
class WorldParameters:
    """Every constant of the generating process (see :mod:`cxlab.synth` for the model they enter).

    Tuples ``..._by_segment`` follow ``SEGMENTS``, ``..._by_channel`` follow ``CHANNELS``,
    ``region_share`` follows ``REGIONS`` and the survey channel shares follow ``SURVEY_CHANNELS``.
    Latent experience is in standard deviations (SD) across customers. Change a value with
    :func:`dataclasses.replace`, e.g. ``replace(WorldParameters(), followup_hazard_ratio=0.8)``.

    Examples
    --------
    >>> WorldParameters().followup_hazard_ratio
    0.6
    >>> WorldParameters(followup_hazard_ratio=0)
    Traceback (most recent call last):
    ...
    ValueError: followup_hazard_ratio must be positive, got 0
    """

    # ---- customers
    segment_share: tuple = (0.62, 0.28, 0.10)
    """Share of acquired customers per segment."""
    region_share: tuple = (0.34, 0.10, 0.28, 0.12, 0.16)
    """Share of acquired customers per region."""
    annual_contract_share_by_segment: tuple = (0.35, 0.60, 0.85)
    """Probability of an annual (rather than monthly) contract per segment."""
    acquisition_growth_end_vs_start: float = 2.5
    """Acquisitions per day at the end of the period divided by those at the start (exponential growth)."""
    revenue_median_per_month_by_segment: tuple = (900.0, 4_500.0, 22_000.0)
    """Median ``monthly_revenue`` per segment (currency per month; log-normal)."""
    revenue_log_sd_by_segment: tuple = (0.70, 0.60, 0.55)
    """Standard deviation of log ``monthly_revenue`` per segment."""
    annual_retention_cost_by_segment: tuple = (350.0, 1_400.0, 6_000.0)
    """Cost of retaining a customer for a year per segment (currency per customer and year)."""
    acquisition_to_annual_retention_cost_ratio: float = 5.0
    """Acquisition cost as a multiple of the segment's annual retention cost (before channel and noise)."""
    acquisition_cost_log_sd: float = 0.35
    """Standard deviation of the mean-one log-normal noise of ``acquisition_cost``."""
    channel_weights_by_segment: tuple = ((0.0, 0.15, 0.20, 0.45, 0.20),
                                         (0.0, 0.35, 0.25, 0.20, 0.20),
                                         (0.0, 0.55, 0.20, 0.05, 0.20))
    """Acquisition-channel weights per segment (rows) and channel (columns); the referral weight is added
    monthly."""
    referral_weight_per_promoter_share: float = 0.34
    """Referral weight = this x the current share of (latent) promoters among active customers."""
    acquisition_cost_multiplier_by_channel: tuple = (0.45, 1.40, 0.90, 0.80, 1.20)
    """Multiplier of the acquisition cost per channel."""

    # ---- experience
    experience_customer_variance: float = 0.80
    """Variance (SD^2) of the stable customer effect on latent experience per touchpoint."""
    experience_general_share: float = 0.25
    """Share of the customer variance coming from one general factor shared by all touchpoints."""
    experience_ar_coefficient_per_month: float = 0.85
    """Monthly AR(1) coefficient of the changing part of latent experience."""
    segment_experience_shift_sd: dict = field(default_factory=lambda: {
        "SMB": {"support": -0.10, "portal": 0.05},
        "Mid-market": {},
        "Enterprise": {"sales": 0.20, "delivery": 0.10, "support": 0.10, "field_service": 0.15, "portal": -0.10},
    })
    """Additive shift of latent experience (SD) per segment and touchpoint."""
    experience_trend_sd_per_year: dict = _dict_field({
        "sales": 0.00, "onboarding": 0.015, "delivery": 0.01, "support": -0.015, "field_service": 0.0,
        "portal": 0.025, "invoicing": 0.00})
    """Linear trend of latent experience per touchpoint (SD per year)."""
    peak_season_delivery_shift_sd: float = -0.30
    """Shift of delivery experience in November and December (SD)."""
    invoicing_redesign_date: str = "2022-04-01"
    """Date the invoicing improvement ramp starts (ISO date)."""
    invoicing_ramp_months: int = 51
    """Months over which invoicing experience climbs linearly after the redesign."""
    invoicing_top2_share_after: float = 0.905
    """Share of invoicing CSAT 4-5 at the end of the ramp (the share before is the invoicing entry of
    ``csat_base_top2_share_by_touchpoint``)."""

    # ---- scores
    csat_noise_sd: float = 0.40
    """Standard deviation of the answer noise on the CSAT latent scale (SD)."""
    csat_cut_points: tuple = (-2.2, -1.35, -0.62, 0.75)
    """Cut points of the CSAT latent scale into the answers 1-5."""
    csat_base_top2_share_by_touchpoint: dict = _dict_field({
        "sales": 0.81, "onboarding": 0.80, "delivery": 0.81, "support": 0.80, "field_service": 0.81,
        "portal": 0.79, "invoicing": 0.725})
    """Share of CSAT 4-5 at the start per touchpoint (sets the CSAT intercepts)."""
    ces_slope_per_sd: float = 0.8
    """Decrease of the CES latent value per SD of better experience."""
    ces_noise_sd: float = 0.7
    """Standard deviation of the answer noise on the CES latent scale."""
    ces_cut_points: tuple = (-0.75, 0.0, 0.7, 1.35, 2.0, 2.6)
    """Cut points of the CES latent scale into the answers 1-7."""
    ces_intercept_by_touchpoint: dict = _dict_field({
        "sales": -0.3, "onboarding": 0.1, "delivery": -0.2, "support": 0.2, "field_service": 0.0, "portal": 0.0,
        "invoicing": 0.1})
    """Intercept of the CES latent value per touchpoint."""
    ces_center_points: float = 3.0
    """CES answer subtracted in the churn model's CES covariate (CES points)."""
    driver_weights_nps_points_per_sd: dict = _dict_field({
        "delivery": 1.00, "invoicing": 0.82, "support": 0.66, "onboarding": 0.50, "field_service": 0.35,
        "portal": 0.20, "sales": 0.06})
    """Weight of each touchpoint's experience in the relationship NPS answer (NPS points per SD, before
    ``driver_scale``)."""
    driver_scale: float = 1.0
    """Common multiplier of the driver weights (NPS points per SD = ``driver_scale`` x weight)."""
    nps_intercept_points: float = 7.6
    """Mean latent NPS answer at average experience (0-10 points)."""
    nps_customer_sd_points: float = 0.5
    """Standard deviation of the stable customer effect on the NPS answer (points)."""
    nps_noise_sd_points: float = 0.8
    """Standard deviation of the answer noise of the NPS answer (points)."""

    # ---- surveys
    relationship_channel_share: tuple = (0.60, 0.05, 0.20, 0.15)
    """Share of relationship invitations per survey channel."""
    transactional_channel_share: tuple = (0.55, 0.25, 0.15, 0.05)
    """Share of transactional invitations per survey channel."""
    touchpoint_invitation_share: dict = field(default_factory=lambda: {tp: 1.0 / N_TP for tp in TOUCHPOINTS})
    """Share of transactional invitations per touchpoint."""
    onboarding_early_multiplier: float = 1.0
    """Multiplier of the onboarding invitation share in the first ``onboarding_early_tenure_months``."""
    onboarding_early_tenure_months: int = 3
    """Tenure (months) during which ``onboarding_early_multiplier`` applies."""
    relationship_wave_months: tuple = (3, 9)
    """Calendar months (1-12) of the relationship NPS survey waves."""
    relationship_min_tenure_days: int = 60
    """Tenure (days) a customer needs at the send time to be invited to a relationship wave."""
    response_model_logit: dict = field(default_factory=lambda: {
        "intercept": -1.36,
        "relationship": 0.10,
        "previous_nps_category": {"none": 0.0, "detractor": -1.2, "passive": 0.0, "promoter": 0.4},
        "segment": {"SMB": -0.20, "Mid-market": 0.0, "Enterprise": 0.25},
        "acquisition_channel": {"referral": 0.30, "direct_sales": 0.10, "partner": 0.0, "paid_search": -0.30,
                                "events": 0.0},
        "survey_channel": {"email": 0.0, "sms": -0.35, "web": 0.10, "phone": 0.70},
        "customer_sd": 2.0,
    })
    """Coefficients of the response propensity (logit scale) and the SD of the per-customer
    responsiveness (``customer_sd``)."""
    response_delay_median_hours: float = 4.0
    """Median delay between invitation and answer (hours; log-normal)."""
    response_delay_log_sd: float = 1.3
    """Standard deviation of the log response delay."""
    response_delay_max_days: int = 14
    """Longest response delay (days); later answers are non-responses."""

    # ---- churn
    churn_log_hazard_ratios: dict = field(default_factory=lambda: {
        "per_nps_point": math.log(0.76),
        "no_response_vs_passive": math.log(1.4),
        "annual_vs_monthly": math.log(0.55),
        "segment_Mid-market_vs_SMB": math.log(0.8),
        "segment_Enterprise_vs_SMB": math.log(0.6),
        "per_unit_ces": math.log(1.12),
        "per_sd_unobserved_value": math.log(0.7),
    })
    """Log hazard ratios of the churn model's covariates (natural log, per month at risk)."""
    nps_hazard_center_points: float = 7.5
    """Latest answered NPS score at which the score term of the churn hazard is 0 (points)."""
    followup_hazard_ratio: float = 0.6
    """Causal effect of a detractor follow-up: multiplier of the churn hazard (1.0 = no effect)."""
    followup_effect_months: int = 12
    """Calendar months after the month of the follow-up's first response during which the effect lasts."""
    baseline_late_monthly_hazard: float = 0.0135
    """Baseline churn hazard per month after the early months (reference profile)."""
    baseline_early_extra_monthly_hazard: float = 0.022
    """Extra baseline churn hazard per month in tenure month 1, decaying exponentially."""
    baseline_decay_months: float = 5.0
    """Decay time (months) of the early extra hazard."""

    # ---- cases
    followup_coverage_by_segment: dict = field(default_factory=lambda: {
        "SMB": 0.70, "Mid-market": 0.80, "Enterprise": 0.90})
    """Average probability that a detractor answer gets a follow-up case, per segment."""
    followup_logit_per_sd_value: dict = field(default_factory=lambda: {
        "observed_value": 0.5, "unobserved_value": 1.0})
    """Follow-up logit per SD of the observed and the unobserved customer value."""
    followup_sla_hours: float = 24.0
    """Service level of a follow-up's first response (hours)."""
    followup_open_delay_median_minutes: float = 15.0
    """Median delay between a detractor answer and its follow-up case (minutes; log-normal)."""
    first_response_hours_lognormal: dict = field(default_factory=lambda: {
        "detractor_followup/customer_success": (12.0, 0.95),
        "detractor_followup/account_management": (7.0, 0.95),
        "service_request": (3.0, 1.0),
        "complaint": (20.0, 0.9),
    })
    """Time to first response per case kind/team: (median hours, log SD)."""
    close_days_lognormal: dict = field(default_factory=lambda: {
        "detractor_followup": (2.0, 0.8), "service_request": (1.5, 0.9), "complaint": (5.0, 0.8)})
    """Time from first response to closure per case kind: (median days, log SD)."""
    sla_hours_by_kind: dict = field(default_factory=lambda: {
        "detractor_followup": 24.0, "service_request": 8.0, "complaint": 48.0})
    """``sla_hours`` written on each case kind (hours)."""
    service_request_rate_per_month_by_segment: dict = field(default_factory=lambda: {
        "SMB": 0.020, "Mid-market": 0.030, "Enterprise": 0.045})
    """Service requests per active customer-month, per segment."""
    complaint_rate_per_month: float = 0.006
    """Complaints per active customer-month at average general experience."""
    complaint_log_rate_per_sd_general: float = -0.6
    """Change of the log complaint rate per SD of the customer's general experience."""
    field_ops_share: float = 0.30
    """Share of service requests handled by the field operations team."""

    # ---- revenue
    revenue_drift_log_per_month_by_segment: dict = field(default_factory=lambda: {
        "SMB": 0.002, "Mid-market": 0.004, "Enterprise": 0.005})
    """Mean expansion drift of log revenue per month, per segment."""
    revenue_drift_log_per_month_per_sd_general: float = 0.002
    """Extra drift of log revenue per month per SD of general experience."""
    revenue_drift_sd_log_per_month: float = 0.006
    """Standard deviation across customers of the drift of log revenue per month."""
    revenue_walk_log_sd_per_month: float = 0.02
    """Standard deviation of the monthly random-walk step of log revenue."""
    revenue_noise_log_sd: float = 0.04
    """Standard deviation of the monthly usage noise of log revenue."""

    # ---- comments
    comment_probability_by_sentiment: dict = field(default_factory=lambda: {
        "negative": 0.70, "neutral": 0.50, "positive": 0.45})
    """Probability that a respondent writes a comment, per sentiment of the answer."""
    language_share_by_region: dict = field(default_factory=lambda: {
        "North America": (0.003, 0.0),
        "Latin America": (0.0, 0.0),
        "Western Europe": (0.005, 0.15),
        "Eastern Europe": (0.60, 0.02),
        "Asia Pacific": (0.0, 0.0),
    })
    """Probability of a comment in Russian and in German, per region: (P(ru), P(de))."""

    def __post_init__(self):
        if not self.followup_hazard_ratio > 0:
            raise ValueError(f"followup_hazard_ratio must be positive, got {self.followup_hazard_ratio}")

    @property
    def invoicing_top2_share_before(self) -> float:
        """Share of invoicing CSAT 4-5 before the redesign (from ``csat_base_top2_share_by_touchpoint``)."""
        return self.csat_base_top2_share_by_touchpoint["invoicing"]

    @property
    def csat_latent_sd(self) -> float:
        """Standard deviation of the CSAT latent value (experience plus answer noise)."""
        return math.sqrt(1.0 + self.csat_noise_sd**2)

    @property
    def experience_ar_variance(self) -> float:
        """Stationary variance of the AR(1) part of latent experience (1 minus the customer variance)."""
        return 1.0 - self.experience_customer_variance


DEFAULT_PARAMETERS = WorldParameters()

# --------------------------------------------------------------------------- names of the former module
_D = DEFAULT_PARAMETERS
SEGMENT_SHARE = _D.segment_share
REGION_SHARE = _D.region_share
ANNUAL_CONTRACT_SHARE = _D.annual_contract_share_by_segment
ACQUISITION_GROWTH = _D.acquisition_growth_end_vs_start
REVENUE_MEDIAN = _D.revenue_median_per_month_by_segment
REVENUE_SIGMA = _D.revenue_log_sd_by_segment
ANNUAL_RETENTION_COST = _D.annual_retention_cost_by_segment
ACQUISITION_TO_RETENTION = _D.acquisition_to_annual_retention_cost_ratio
ACQUISITION_COST_SIGMA = _D.acquisition_cost_log_sd
CHANNEL_WEIGHTS = np.array(_D.channel_weights_by_segment)
REFERRAL_PER_PROMOTER_SHARE = _D.referral_weight_per_promoter_share
CHANNEL_COST_MULTIPLIER = _D.acquisition_cost_multiplier_by_channel
EXP_CUSTOMER_VAR = _D.experience_customer_variance
EXP_GENERAL_SHARE = _D.experience_general_share
EXP_AR = _D.experience_ar_coefficient_per_month
EXP_AR_VAR = _D.experience_ar_variance
SEGMENT_EXPERIENCE = _D.segment_experience_shift_sd
TREND_PER_YEAR = _D.experience_trend_sd_per_year
PEAK_SEASON_DELIVERY = _D.peak_season_delivery_shift_sd
INVOICING_REDESIGN_DATE = _D.invoicing_redesign_date
INVOICING_RAMP_MONTHS = _D.invoicing_ramp_months
INVOICING_TOP2_BEFORE = _D.invoicing_top2_share_before
INVOICING_TOP2_AFTER = _D.invoicing_top2_share_after
CSAT_NOISE_SD = _D.csat_noise_sd
CSAT_CUTS = np.array(_D.csat_cut_points)
CSAT_BASE_TOP2 = _D.csat_base_top2_share_by_touchpoint
CSAT_LATENT_SD = _D.csat_latent_sd
CES_SLOPE = _D.ces_slope_per_sd
CES_NOISE_SD = _D.ces_noise_sd
CES_CUTS = np.array(_D.ces_cut_points)
CES_INTERCEPT = _D.ces_intercept_by_touchpoint
CES_CENTER = _D.ces_center_points
DRIVER_WEIGHTS = _D.driver_weights_nps_points_per_sd
DRIVER_SCALE = _D.driver_scale
NPS_INTERCEPT = _D.nps_intercept_points
NPS_CUSTOMER_SD = _D.nps_customer_sd_points
NPS_NOISE_SD = _D.nps_noise_sd_points
RELATIONSHIP_CHANNEL_SHARE = _D.relationship_channel_share
TRANSACTIONAL_CHANNEL_SHARE = _D.transactional_channel_share
TOUCHPOINT_INVITATION_SHARE = _D.touchpoint_invitation_share
ONBOARDING_EARLY_MULTIPLIER = _D.onboarding_early_multiplier
ONBOARDING_EARLY_TENURE_MONTHS = _D.onboarding_early_tenure_months
RELATIONSHIP_WAVE_MONTHS = _D.relationship_wave_months
RELATIONSHIP_MIN_TENURE_DAYS = _D.relationship_min_tenure_days
RESPONSE_MODEL = _D.response_model_logit
RESPONSE_DELAY_MEDIAN_HOURS = _D.response_delay_median_hours
RESPONSE_DELAY_SIGMA = _D.response_delay_log_sd
RESPONSE_DELAY_MAX_DAYS = _D.response_delay_max_days
CHURN_LOG_HR = _D.churn_log_hazard_ratios
NPS_HAZARD_CENTER = _D.nps_hazard_center_points
DEFAULT_FOLLOWUP_HAZARD_RATIO = _D.followup_hazard_ratio
FOLLOWUP_EFFECT_MONTHS = _D.followup_effect_months
BASELINE_LATE = _D.baseline_late_monthly_hazard
BASELINE_EARLY_EXTRA = _D.baseline_early_extra_monthly_hazard
BASELINE_DECAY_MONTHS = _D.baseline_decay_months
FOLLOWUP_COVERAGE = _D.followup_coverage_by_segment
FOLLOWUP_VALUE_LOGIT = _D.followup_logit_per_sd_value
FOLLOWUP_SLA_HOURS = _D.followup_sla_hours
FOLLOWUP_OPEN_DELAY_MEDIAN_MINUTES = _D.followup_open_delay_median_minutes
FIRST_RESPONSE_HOURS = _D.first_response_hours_lognormal
CLOSE_DAYS = _D.close_days_lognormal
SLA_HOURS = _D.sla_hours_by_kind
SERVICE_RATE_PER_MONTH = _D.service_request_rate_per_month_by_segment
COMPLAINT_RATE_PER_MONTH = _D.complaint_rate_per_month
COMPLAINT_GENERAL_SLOPE = _D.complaint_log_rate_per_sd_general
FIELD_OPS_SHARE = _D.field_ops_share
REVENUE_DRIFT = _D.revenue_drift_log_per_month_by_segment
REVENUE_DRIFT_GENERAL = _D.revenue_drift_log_per_month_per_sd_general
REVENUE_DRIFT_SD = _D.revenue_drift_sd_log_per_month
REVENUE_WALK_SD = _D.revenue_walk_log_sd_per_month
REVENUE_NOISE_SD = _D.revenue_noise_log_sd
COMMENT_PROB = _D.comment_probability_by_sentiment
LANGUAGE_BY_REGION = _D.language_share_by_region
del _D
