"""Seeded simulator of a B2B logistics / equipment-service company.

:func:`simulate` builds a world of customers acquired between ``start`` and
``end`` and returns the four cxlab tables (see :mod:`cxlab.schema`) together
with the ground truth that generated them, so every analysis module can be
checked against known answers. :func:`write_demo` writes a world to a data
folder; ``python -m cxlab.synth --out data/demo`` regenerates the committed
demo data identically.

Generating process
------------------
Time runs in calendar months (vectorised over customers, a Python loop over
months only). All timestamps are ``<= as_of`` where ``as_of`` is ``end`` at
00:00; survey and case events therefore happen up to the day before ``end``.

Customers
    ``n_customers`` acquisition dates between ``start`` and ``end`` with an
    exponentially growing intensity (2.5 times more acquisitions per day at the
    end than at the start). Segment (SMB / Mid-market / Enterprise), region
    (five), contract (``monthly``/``annual``; annual is more common for larger
    segments) and ``monthly_revenue`` (log-normal by segment) are drawn
    independently of time. The acquisition channel is drawn in the month of
    acquisition: segment-specific weights for direct_sales, partner,
    paid_search and events plus a referral weight proportional to the current
    share of (latent) promoters among active customers, so the referral share
    rises with the promoter share. ``acquisition_cost`` = 5 x the segment's
    annual retention cost x a channel multiplier x mean-one log-normal noise.
Experience
    Each customer has a latent experience quality per touchpoint (standard
    deviation 1 across customers): ``x_k(t) = trend_k(t) + segment_k +
    c_k + z_k(t)``; the stable customer effects ``c_k`` (variance 0.8) load
    on one general factor (a quarter of their variance, so touchpoints
    correlate about 0.2), ``z_k`` is a monthly AR(1) (rho 0.85, variance 0.2).
    Trends are small except for invoicing, which climbs linearly after the
    invoicing redesign (2022-04-01) for 51 months.
    Delivery dips in November and December (peak season).
Transactional surveys
    An active customer receives on average ``transactional_per_month`` survey
    invitations per month, split evenly over the seven touchpoints (equal
    coverage keeps key-driver estimates comparable across touchpoints). Each
    asks CSAT (1-5) and CES. CSAT latent = ``a_k + x_k + N(0, 0.4)`` cut at (-2.2, -1.35, -0.62,
    0.75); ``a_k`` is set so that the share of CSAT 4-5 at the start is the
    value in ``truth["csat_model"]["base_top2_share"]``.
CES scale
    **CES 1 = very easy ... 7 = very difficult** (higher = more effort, worse;
    "low effort" = 1-2). CES latent = ``b_k - 0.8 x_k + N(0, 0.7)`` cut into
    seven categories.
Relationship NPS survey
    Waves in March and September (sent between the 8th and the 21st) to every
    customer active at the send time with at least 60 days of tenure. ``nps``
    = round(clip(7.6 + sum_k w_k x_k + u + e, 0, 10)) with customer effect
    ``u ~ N(0, 0.5)`` and noise ``e ~ N(0, 0.8)``; ``w`` are the driver
    weights (delivery 1.0 > invoicing 0.82 > support 0.66 > onboarding 0.5 >
    field_service 0.35 > portal 0.2 > sales 0.06 NPS points per SD).
Response
    ``logit P(respond) = intercept + relationship + previous_nps_category +
    segment + acquisition_channel + survey_channel + r`` (``relationship``
    only for the relationship survey). ``previous_nps_category`` is the state
    the churn model uses: the category of the customer's most recent answered
    relationship survey with ``responded_at`` before the first day of the
    invitation's month (``none`` before the first answer, detractor -1.2,
    passive 0, promoter +0.4). Customers who were detractors last time answer
    far fewer surveys of every kind, and as answers are correlated over time
    the respondents' NPS is biased upwards (about 8 points on the demo).
    ``r ~ N(0, 2)`` is a per-customer responsiveness (engaged accounts answer
    most surveys), independent of experience. Response never depends on the
    answer itself: it is missing at random given what the tables record
    before each invitation (earlier answers, response history, customer and
    channel attributes), so weighting on those can remove the bias
    (:mod:`cxlab.nonresponse`). Relationship answers arrive within days and
    waves are six months apart, so for a relationship invitation the state is
    simply the category of the latest answer given before ``sent_at``.
    Answers arrive after a log-normal delay (median 4 h); an answer that would
    arrive after ``as_of`` or after the customer churned is a non-response.
    Non-respondents have empty scores, comment and ``responded_at``.
Comments
    About half of the respondents comment (detractors and low CSAT more
    often), mostly in English, in Russian (mainly Eastern Europe, ~7 %) and
    German (Western Europe). Each comment has a latent primary theme drawn
    from the touchpoint it is about and the answer's sentiment (relationship
    comments talk about the touchpoint that pulled the score most), a second
    theme in 12 % of them, or none (off-topic text); the texts are written
    by :mod:`cxlab.synth_comments` with several phrasings per theme, typos,
    negation, emoji, URLs, personal data and HTML-special characters, e.g.
    ``Invoice total was <b>wrong</b> & late`` and
    ``<script>alert('x')</script>``. A price-increase theme emerges from
    2026-04-01. Texts, churn reasons and case reasons use their own random
    generator, so changing them leaves every other column as it was.
Churn reasons and case reasons
    Each churner's ``churn_reason`` (at most 90 % recorded) is drawn so that
    each reason's hazard is proportional in the NPS state in the churn month
    with the hazard ratios ``synth_comments.REASON_HAZARD_RATIO`` (the truth of
    the cause-specific Cox models); complaints and service requests carry
    a ``reason`` category, complaints in the 180 days before a churn leaning
    to the categories of its reason.
Churn
    Monthly discrete-time proportional hazard, see ``truth["churn_model"]``:
    a customer is at risk in every calendar month after the acquisition month
    (tenure month ``k`` = month index - acquisition month index, 1, 2, ...)
    with ``h = baseline_monthly_hazard[k - 1] * exp(lp)``. ``lp`` uses
    quantities observable in the tables, evaluated at the first day of the
    month (events at or after 00:00 of the first day count from the next
    month): segment, contract, the *score* of the most recent answered
    relationship survey (log hazard linear in the score, ``log(0.76)`` per
    point, 0 at 7.5; ``none`` until the first answer, ratio 1.4), whether a
    ``detractor_followup`` case got its first response in one of the 12
    calendar months before (``followup_hazard_ratio``, default 0.6), the most
    recent answered CES minus 3 (0 before the first CES answer) and an
    unobserved customer value (``log(0.7)`` per SD). Churn risk therefore
    changes smoothly with the score: the follow-up is the only jump at the
    follow-up threshold (6 vs 7), so a regression-discontinuity design can
    recover ``followup_hazard_ratio``. The categories still differ as the
    data show (detractors about twice the passives' hazard, promoters about
    0.55 times; ``truth["churn_hazard_ratios_by_category"]``).
    ``churned_at`` is a uniformly drawn day of the churn month; the customer
    gets no surveys from then on and revenue rows stop with that month.
Cases
    Detractor answers (nps <= 6) get a ``detractor_followup`` case with
    probability ``expit(a_segment + 0.5 observed value + 1.0 unobserved
    value)``: the observed value is the customer's revenue relative to its
    segment, the unobserved one the value that also lowers churn, so
    followed-up detractors are better customers and a naive comparison
    flatters the follow-up. ``a_segment`` keeps the average coverage at 70 % /
    80 % / 90 % for SMB / Mid-market / Enterprise. Cases open minutes after
    the answer, ``sla_hours`` 24, log-normal time to first response (about 80 %
    within 24 h). ``service_request`` (sla 8 h) and ``complaint`` (sla 48 h,
    more frequent for customers with a poor general experience) arrive as
    Poisson processes over the active life; ``cases_per_customer`` rescales
    them so the total number of cases per customer matches. Cases whose first
    response or closure would fall after ``as_of`` stay open (empty).
Revenue
    One row per customer and calendar month from the acquisition month to the
    churn month (``month`` = first day of month); ``amount`` =
    ``monthly_revenue`` x exp(per-customer expansion drift x months + random
    walk + usage noise), prorated by active days in the first and churn month.

Truth keys
----------
``ces_scale``
    Text describing the CES direction (1 = very easy, 7 = very difficult).
``period``
    start, end, as_of dates.
``n_customers_acquired``, ``n_active_at_as_of``
    Realised counts.
``segments``, ``regions``, ``acquisition_channels``, ``survey_channels``, ``touchpoints``
    Category labels used.
``acquisition``
    growth factor, segment/region/annual-contract shares, revenue log-normal
    parameters, ``annual_retention_cost_by_segment``, ``acquisition_cost_multiplier_by_channel``,
    realised ``acquisition_to_annual_retention_cost_ratio`` and mean
    acquisition cost by channel.
``referral``
    ``referral_weight_per_promoter_share`` and realised
    ``promoter_share_by_year`` (latent, active customers) and
    ``referral_share_by_year`` (acquisitions).
``experience_model``
    AR coefficient, variances, general-factor share, segment effects, trends
    per year, seasonality, realised ``mean_correlation`` between touchpoints.
``invoicing_redesign_date``
    Date the invoicing improvement ramp starts.
``invoicing_csat_share_by_year``
    True share of CSAT 4-5 (latent answers of all invoicing invitations) by
    year; ``invoicing_csat_share_by_year_observed`` is the same among
    respondents.
``csat_model``, ``ces_model``
    Intercepts, noise, cut points, base top-2 shares.
``nps_model``
    Intercept, noise and customer-effect standard deviations, mapping.
``driver_weights``
    NPS points per standard deviation of latent experience, per touchpoint.
``driver_ranking``
    Touchpoints ordered by true importance (largest weight first).
``response_model``
    Coefficients of the response propensity (logit scale), its formula and
    the definition of ``previous_nps_category``.
``response_rate``
    Realised overall, relationship and transactional response rates.
``true_population_nps``, ``true_population_nps_by_year``
    NPS of the latent answers of everyone invited to relationship surveys.
``respondent_nps``, ``respondent_nps_by_year``
    NPS among those who answered (what a naive analysis reports).
``churn_model``
    Description of the time scale and of every covariate of the hazard.
``churn_log_hazard_ratios``, ``churn_hazard_ratios``
    Keys: per_nps_point, no_response_vs_passive, annual_vs_monthly,
    segment_Mid-market_vs_SMB, segment_Enterprise_vs_SMB, per_unit_ces,
    per_sd_unobserved_value.
``churn_hazard_ratios_by_category``
    Realised detractor_vs_passive and promoter_vs_passive contrasts of the
    score term (what the data show; not parameters).
``followup_hazard_ratio``, ``followup_effect_months``, ``followup_assignment``
    The causal effect of a follow-up on the churn hazard, how long it lasts,
    and how follow-ups are assigned (observed and unobserved value).
``baseline_monthly_hazard``, ``baseline_monthly_hazard_formula``
    Hazard for tenure months 1, 2, ... of the reference profile (SMB,
    monthly, latest answer 7.5, no follow-up, CES covariate 0, average
    unobserved value), and its formula.
``annual_churn_rate``, ``annual_churn_rate_by_year``
    Realised: 1 - (1 - churns / customer-months at risk) ** 12.
``followup_coverage``, ``followup_coverage_by_segment``
    Realised share of detractor answers that got a follow-up case, and the
    configured average probability by segment.
``sla_24h_kept_share``
    Realised share of follow-ups with a first response within 24 h (among
    those with a first response); ``first_response_hours`` holds the
    log-normal parameters per case kind/team.
``cases``
    Rates, counts per kind, open cases, cases per customer.
``revenue_model``
    Expansion drift and noise parameters.
``comment_model``
    Comment probability by sentiment and language probabilities by region;
    realised ``comment_share`` and language shares; the themes, their
    comments per language, their effect on NPS (``nps_points_by_theme``) and
    the emerging theme's share by quarter.
``churn_reasons``
    Reasons, their shares by NPS state, the cause-specific hazard ratios and
    the complaint categories that precede each reason.
``transactional_per_month``
    Mean transactional invitations per active customer-month.
``survey_counts``
    Invitations, responses and relationship invitations in the table.

Scale
-----
About 25 survey invitations, 22 revenue rows and 1 case per customer with
the defaults. Measured on the 2-core reference machine: 20,000 customers in
about 2.5 s, 200,000 in about 25 s (1.5 GB peak), 1,000,000 with
``cases_per_customer=3`` in about 3 minutes with a 6.7 GB peak; memory is
linear in the number of rows (roughly 0.2 KB per survey invitation, most of
it the object-dtype id strings). ``transactional_per_month`` is the main
knob for volume.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.optimize import brentq
from scipy.special import expit, ndtr, ndtri

from cxlab import synth_comments
from cxlab.schema import DATE_COLUMNS, RELATIONSHIP, TOUCHPOINTS

__all__ = ["SimulatedWorld", "simulate", "write_demo", "read_demo", "main"]

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


# --------------------------------------------------------------------------- helpers
@dataclass
class SimulatedWorld:
    """A simulated CX world: the four cxlab tables plus the truth behind them.

    Attributes
    ----------
    customers, revenue, surveys, cases : pandas.DataFrame
        Tables following :mod:`cxlab.schema` (cases also carry
        ``invitation_id`` and ``team``).
    as_of : pandas.Timestamp
        Data cut-off; no timestamp in any table is later.
    truth : dict
        JSON-serialisable ground truth (see the module docstring).
    params : dict
        The arguments of :func:`simulate` that produced the world.
    comment_themes : pandas.DataFrame
        The truth behind each comment (not written to files): ``invitation_id``, ``language``
        (``en``/``ru``/``de``), ``theme`` and ``second_theme`` (names, None when absent).
    """

    customers: pd.DataFrame
    revenue: pd.DataFrame
    surveys: pd.DataFrame
    cases: pd.DataFrame
    as_of: pd.Timestamp
    truth: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    comment_themes: pd.DataFrame = field(default_factory=pd.DataFrame)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the four tables keyed by table name.

        Returns
        -------
        dict of str to pandas.DataFrame
        """
        return {"customers": self.customers, "revenue": self.revenue, "surveys": self.surveys,
                "cases": self.cases}


def _sec(ts: pd.Timestamp) -> int:
    return int(pd.Timestamp(ts).value // 10**9)


def _to_datetime(sec: np.ndarray) -> np.ndarray:
    """Seconds since the epoch (NAT sentinel for missing) to datetime64[ns]."""
    sec = np.asarray(sec, dtype=np.int64)
    ns = np.where(sec == NAT, NAT, sec * 1_000_000_000)
    return ns.view("datetime64[ns]")


def _ids(prefix: str, count: int, width: int) -> np.ndarray:
    """Zero-padded identifiers ``prefix0000001`` ... as an object array of str."""
    width = max(width, len(str(count)))
    out = np.empty(count, dtype=object)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    chunk = 1_000_000
    for lo in range(0, count, chunk):  # chunks bound the temporary memory
        numbers = np.arange(lo + 1, min(lo + chunk, count) + 1, dtype=np.int64)
        digits = (numbers[:, None] // powers % 10).astype(np.uint32) + ord("0")
        text = np.empty((numbers.size, width + len(prefix)), dtype=np.uint32)
        text[:, : len(prefix)] = [ord(c) for c in prefix]
        text[:, len(prefix):] = digits
        out[lo: lo + numbers.size] = text.view(f"U{width + len(prefix)}").ravel().astype(object)
    return out


def _categorical(rng: np.random.Generator, probs: np.ndarray, size: int | None = None) -> np.ndarray:
    """Draw category codes; ``probs`` is one vector or one row per draw."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim == 1:
        cum = np.cumsum(probs / probs.sum())
        return np.minimum(np.searchsorted(cum, rng.random(size), side="right"), len(cum) - 1).astype(np.int8)
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(probs.shape[0])[:, None]
    return np.minimum((u >= cum).sum(axis=1), probs.shape[1] - 1).astype(np.int8)


def _lognormal_seconds(rng: np.random.Generator, median_seconds: np.ndarray | float, sigma: np.ndarray | float,
                       size: int) -> np.ndarray:
    return np.rint(median_seconds * np.exp(sigma * rng.standard_normal(size))).astype(np.int64)


def _business_hours(rng: np.random.Generator, t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Move times to a random minute between 08:00 and 18:00 of the same day when that stays in [lo, hi)."""
    moved = (t // DAY) * DAY + 8 * HOUR + 60 * rng.integers(0, 600, t.size)
    return np.where((moved >= lo) & (moved < hi), moved, t)


def _nps(scores: np.ndarray) -> float:
    scores = np.asarray(scores)
    if scores.size == 0:
        return float("nan")
    return float(100.0 * ((scores >= 9).mean() - (scores <= 6).mean()))


def _clean(obj):
    """Make nested truth JSON-serialisable with rounded floats."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.integer | bool | np.bool_):
        return obj.item() if hasattr(obj, "item") else obj
    if isinstance(obj, float | np.floating):
        value = float(obj)
        if not math.isfinite(value):
            return None
        return float(f"{value:.6g}")
    return obj


def baseline_monthly_hazard(n_months: int) -> np.ndarray:
    """Baseline monthly churn hazard for tenure months 1..``n_months``.

    Reference profile: SMB, monthly contract, latest answer 7.5, no
    follow-up, CES covariate 0, average unobserved value.
    ``h0(k) = 0.0135 + 0.022 * exp(-(k - 1) / 5)``.

    Parameters
    ----------
    n_months : int
        Number of tenure months.

    Returns
    -------
    numpy.ndarray
        Hazards, element ``k - 1`` for tenure month ``k``.
    """
    k = np.arange(1, n_months + 1)
    return BASELINE_LATE + BASELINE_EARLY_EXTRA * np.exp(-(k - 1) / BASELINE_DECAY_MONTHS)


def _experience_trend(month_starts: pd.DatetimeIndex, start: pd.Timestamp) -> np.ndarray:
    """Mean latent experience by month (rows) and touchpoint (columns)."""
    years = (month_starts - start).days.to_numpy() / 365.25
    trend = np.outer(years, [TREND_PER_YEAR[tp] for tp in TOUCHPOINTS])
    peak = np.isin(month_starts.month, (11, 12))
    trend[peak, TP_INDEX["delivery"]] += PEAK_SEASON_DELIVERY
    redesign = pd.Timestamp(INVOICING_REDESIGN_DATE)
    months_since = (month_starts.year - redesign.year) * 12 + (month_starts.month - redesign.month)
    ramp = np.clip(np.asarray(months_since, dtype=float) / INVOICING_RAMP_MONTHS, 0.0, 1.0)
    trend[:, TP_INDEX["invoicing"]] += _invoicing_lift() * ramp
    return trend


def _invoicing_lift() -> float:
    """Latent shift that moves invoicing CSAT top-2 share from before to after."""
    return float((ndtri(INVOICING_TOP2_AFTER) - ndtri(INVOICING_TOP2_BEFORE)) * CSAT_LATENT_SD)


def _csat_intercepts() -> np.ndarray:
    return np.array([CSAT_CUTS[2] + CSAT_LATENT_SD * ndtri(CSAT_BASE_TOP2[tp]) for tp in TOUCHPOINTS])


def _followup_intercepts() -> np.ndarray:
    """Logit intercepts per segment that give the segment's ``FOLLOWUP_COVERAGE`` on average over values.

    The follow-up logit is ``a_segment + b_obs * observed_value + b_unobs * unobserved_value`` with
    both values standard normal and independent, so ``a`` solves ``E[expit(a + s Z)] = coverage``
    with ``s**2 = b_obs**2 + b_unobs**2`` (Gauss-Hermite quadrature).
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / weights.sum()
    scale = math.hypot(*FOLLOWUP_VALUE_LOGIT.values())
    return np.array([brentq(lambda a, c=FOLLOWUP_COVERAGE[s]: float(weights @ expit(a + scale * nodes)) - c,
                            -10.0, 10.0, xtol=1e-12) for s in SEGMENTS])


# --------------------------------------------------------------------------- simulate
def simulate(
    n_customers: int = DEFAULT_N_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    cases_per_customer: float | None = None,
    transactional_per_month: float = DEFAULT_TRANSACTIONAL_PER_MONTH,
    followup_hazard_ratio: float = DEFAULT_FOLLOWUP_HAZARD_RATIO,
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
    followup_hazard_ratio : float, default 0.6
        The causal effect of a detractor follow-up: the churn hazard is multiplied by it in the
        ``FOLLOWUP_EFFECT_MONTHS`` calendar months after the month of the first response
        (1.0 = the follow-up has no effect).

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
    if not followup_hazard_ratio > 0:
        raise ValueError(f"followup_hazard_ratio must be positive, got {followup_hazard_ratio}")
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
    trend = _experience_trend(month_starts, start_ts)
    csat_a = _csat_intercepts()
    ces_b = np.array([CES_INTERCEPT[tp] for tp in TOUCHPOINTS])
    weights = DRIVER_SCALE * np.array([DRIVER_WEIGHTS[tp] for tp in TOUCHPOINTS])
    base_h = baseline_monthly_hazard(n_months)
    emerging_month = month_starts >= pd.Timestamp(synth_comments.EMERGING_START)
    emerging_tp = np.isin(np.arange(N_TP), [TP_INDEX["sales"], TP_INDEX["invoicing"]])
    n = int(n_customers)

    # ---- customers (sorted by acquisition time) ---------------------------------------
    span_days = (as_of - start_ts).days
    growth = math.log(ACQUISITION_GROWTH) / max(span_days, 1)
    u = rng.random(n)
    acq_day = np.floor(np.log1p(u * np.expm1(growth * (span_days + 1))) / growth).astype(np.int64)
    acq_day = np.sort(np.minimum(acq_day, span_days))
    acq_sec = s_start + acq_day * DAY
    acq_month = (np.searchsorted(msec, acq_sec, side="right") - 1).astype(np.int32)
    seg = _categorical(rng, SEGMENT_SHARE, n)
    region = _categorical(rng, REGION_SHARE, n)
    annual = rng.random(n) < np.asarray(ANNUAL_CONTRACT_SHARE)[seg]
    log_rev = np.log(np.asarray(REVENUE_MEDIAN))[seg] + np.asarray(REVENUE_SIGMA)[seg] * rng.standard_normal(n)
    monthly_revenue = np.round(np.exp(log_rev), 2)
    general = rng.standard_normal(n)
    specific = rng.standard_normal((n, N_TP))
    cust_eff = math.sqrt(EXP_CUSTOMER_VAR) * (
        math.sqrt(EXP_GENERAL_SHARE) * general[:, None] + math.sqrt(1 - EXP_GENERAL_SHARE) * specific
    )
    del specific
    seg_eff = np.zeros((len(SEGMENTS), N_TP))
    for si, s in enumerate(SEGMENTS):
        for tp, v in SEGMENT_EXPERIENCE[s].items():
            seg_eff[si, TP_INDEX[tp]] = v
    cust_eff += seg_eff[seg]
    nps_u = NPS_CUSTOMER_SD * rng.standard_normal(n)
    resp_r = RESPONSE_MODEL["customer_sd"] * rng.standard_normal(n)
    resp_base = (np.array([RESPONSE_MODEL["segment"][s] for s in SEGMENTS])[seg]
                 + RESPONSE_MODEL["intercept"] + resp_r)
    acq_resp_eff = np.array([RESPONSE_MODEL["acquisition_channel"][c] for c in CHANNELS])
    svch_resp_eff = np.array([RESPONSE_MODEL["survey_channel"][c] for c in SURVEY_CHANNELS])
    state_resp_eff = np.array([RESPONSE_MODEL["previous_nps_category"][c] for c in NPS_STATES])
    ppd = {"SMB": 0.0, "Mid-market": CHURN_LOG_HR["segment_Mid-market_vs_SMB"],
           "Enterprise": CHURN_LOG_HR["segment_Enterprise_vs_SMB"]}
    # customer value: observed (revenue relative to the segment's median, in SDs) and unobserved (a
    # separate stream, so the rest of the world is drawn as without it); both raise the chance of a
    # follow-up, the unobserved one also lowers churn (mean-one multiplier)
    observed_value = (log_rev - np.log(np.asarray(REVENUE_MEDIAN))[seg]) / np.asarray(REVENUE_SIGMA)[seg]
    unobserved_value = np.random.default_rng([seed, 1]).standard_normal(n)
    value_log_hr = CHURN_LOG_HR["per_sd_unobserved_value"]
    lp_static = (np.array([ppd[s] for s in SEGMENTS])[seg] + CHURN_LOG_HR["annual_vs_monthly"] * annual
                 + value_log_hr * unobserved_value - value_log_hr**2 / 2)
    followup_logit = (_followup_intercepts()[seg] + FOLLOWUP_VALUE_LOGIT["observed_value"] * observed_value
                      + FOLLOWUP_VALUE_LOGIT["unobserved_value"] * unobserved_value)
    log_followup_hr = math.log(followup_hazard_ratio)
    chan = np.full(n, -1, dtype=np.int8)
    z = np.zeros((n, N_TP))
    lang_p = np.array([LANGUAGE_BY_REGION[r] for r in REGIONS])  # (region, [ru, de])

    # ---- state -----------------------------------------------------------------------
    churn_sec = np.full(n, NEVER, dtype=np.int64)
    churn_month = np.full(n, n_months, dtype=np.int32)
    churn_state = np.zeros(n, dtype=np.int8)  # NPS state in the churn month (draws the churn reason)
    churn_score = np.full(n, -1, dtype=np.int8)  # latest score in the churn month (-1: none)
    cat_cur = np.zeros(n, dtype=np.int8)  # 0 none, 1 detractor, 2 passive, 3 promoter
    score_cur = np.full(n, -1, dtype=np.int8)  # latest answered relationship score, -1 before the first
    fu_month = np.full(n, -FOLLOWUP_EFFECT_MONTHS - 1, dtype=np.int32)  # month of the latest follow-up response
    pend_time = np.full(n, NEVER, dtype=np.int64)
    pend_cat = np.zeros(n, dtype=np.int8)
    pend_score = np.full(n, -1, dtype=np.int8)
    ces_cur = np.full(n, CES_CENTER)
    pool_c = np.empty(0, dtype=np.int64)
    pool_t = np.empty(0, dtype=np.int64)
    pool_v = np.empty(0, dtype=float)
    lp_score = np.append(CHURN_LOG_HR["per_nps_point"] * (np.arange(11) - NPS_HAZARD_CENTER),
                         CHURN_LOG_HR["no_response_vs_passive"])  # index -1: no answer yet
    category_multiplier = np.zeros((2, len(NPS_STATES)))  # sums of exp(score term), customer-months

    tp_share = np.array([TOUCHPOINT_INVITATION_SHARE[tp] for tp in TOUCHPOINTS])
    tp_share_early = tp_share.copy()
    tp_share_early[TP_INDEX["onboarding"]] *= ONBOARDING_EARLY_MULTIPLIER
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
            w = CHANNEL_WEIGHTS[seg[new]].copy()
            w[:, 0] = REFERRAL_PER_PROMOTER_SHARE * promoter_share
            chan[new] = _categorical(rng, w)
            z[new] = math.sqrt(EXP_AR_VAR) * rng.standard_normal((new.size, N_TP))
        old = alive
        if old.size:
            z[old] = EXP_AR * z[old] + math.sqrt(EXP_AR_VAR * (1 - EXP_AR**2)) * rng.standard_normal(
                (old.size, N_TP))
        alive = np.concatenate([old, new])
        if alive.size == 0:
            continue
        x = trend[m] + cust_eff[alive] + z[alive]
        nps_mean = NPS_INTERCEPT + x @ weights + nps_u[alive]

        # churn in month m (customers acquired before this month)
        n_old = old.size
        if n_old:
            tenure = m - acq_month[old]
            score_term = lp_score[score_cur[old]]
            np.add.at(category_multiplier, (0, cat_cur[old]), np.exp(score_term))
            np.add.at(category_multiplier, (1, cat_cur[old]), 1.0)
            since_followup = m - fu_month[old]
            lp = (lp_static[old] + score_term
                  + log_followup_hr * ((since_followup >= 1) & (since_followup <= FOLLOWUP_EFFECT_MONTHS))
                  + CHURN_LOG_HR["per_unit_ces"] * (ces_cur[old] - CES_CENTER))
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
        early = tenure_now < ONBOARDING_EARLY_TENURE_MONTHS
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
            csat_lat = csat_a[tp] + xv + CSAT_NOISE_SD * rng.standard_normal(nr)
            csat = (np.searchsorted(CSAT_CUTS, csat_lat) + 1).astype(np.int8)
            ces_lat = ces_b[tp] - CES_SLOPE * xv + CES_NOISE_SD * rng.standard_normal(nr)
            ces = (np.searchsorted(CES_CUTS, ces_lat) + 1).astype(np.int8)
            svch = _categorical(rng, TRANSACTIONAL_CHANNEL_SHARE, nr)
            cid = alive[rows]
            logit = resp_base[cid] + acq_resp_eff[chan[cid]] + svch_resp_eff[svch] + state_resp_eff[cat_cur[cid]]
            responded = rng.random(nr) < expit(logit)
            delay = np.minimum(_lognormal_seconds(rng, RESPONSE_DELAY_MEDIAN_HOURS * HOUR, RESPONSE_DELAY_SIGMA, nr),
                               RESPONSE_DELAY_MAX_DAYS * DAY)
            resp_t = sent + delay
            responded &= (resp_t <= s_asof) & (resp_t < churn_sec[cid])
            sentiment = np.where(csat <= 2, 0, np.where(csat == 3, 1, 2)).astype(np.int8)
            comment = _comments(rng, responded, region[cid], tp, sentiment, lang_p,
                                emerging_month[m] & emerging_tp[tp])
            out_s.append({"cust": cid.astype(np.int32), "tp": tp, "ch": svch, "sent": sent,
                          "resp": np.where(responded, resp_t, NAT), "csat_true": csat, "ces_true": ces,
                          "nps_true": np.full(nr, -1, dtype=np.int8), "comment": comment})
            gen_counter += nr
            if responded.any():
                pool_c = np.concatenate([pool_c, cid[responded]])
                pool_t = np.concatenate([pool_t, resp_t[responded]])
                pool_v = np.concatenate([pool_v, ces[responded].astype(float)])

        # ---- relationship wave ---------------------------------------------------------
        if month_starts[m].month in RELATIONSHIP_WAVE_MONTHS:
            send = t0 + (7 + rng.integers(0, 14, alive.size)) * DAY
            send = _business_hours(rng, send, send, send + DAY)
            ok = (send >= lo) & (send < hi) & (send - acq_sec[alive] >= RELATIONSHIP_MIN_TENURE_DAYS * DAY)
            rows = np.flatnonzero(ok)
            nr = rows.size
            if nr:
                cid = alive[rows]
                sent = send[rows]
                nps_lat = nps_mean[rows] + NPS_NOISE_SD * rng.standard_normal(nr)
                nps = np.clip(np.rint(nps_lat), 0, 10).astype(np.int8)
                svch = _categorical(rng, RELATIONSHIP_CHANNEL_SHARE, nr)
                logit = (resp_base[cid] + acq_resp_eff[chan[cid]] + svch_resp_eff[svch] + state_resp_eff[cat_cur[cid]]
                         + RESPONSE_MODEL["relationship"])
                responded = rng.random(nr) < expit(logit)
                delay = np.minimum(
                    _lognormal_seconds(rng, RESPONSE_DELAY_MEDIAN_HOURS * HOUR, RESPONSE_DELAY_SIGMA, nr),
                    RESPONSE_DELAY_MAX_DAYS * DAY)
                resp_t = sent + delay
                responded &= (resp_t <= s_asof) & (resp_t < churn_sec[cid])
                cat = np.where(nps <= 6, 1, np.where(nps <= 8, 2, 3)).astype(np.int8)
                # comment topic: the touchpoint pulling the score most in the answer's direction
                contrib = x[rows] * weights
                topic = np.where(cat == 1, contrib.argmin(axis=1),
                                 np.where(cat == 3, contrib.argmax(axis=1),
                                          _categorical(rng, weights, nr))).astype(np.int8)
                comment = _comments(rng, responded, region[cid], topic, (cat - 1).astype(np.int8), lang_p,
                                    np.full(nr, emerging_month[m]))
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
                    opened = resp_t[det] + _lognormal_seconds(rng, FOLLOWUP_OPEN_DELAY_MEDIAN_MINUTES * 60, 0.8, nd)
                    team = np.where(seg[dc] == 2, 1, 0).astype(np.int8)
                    med = np.where(team == 1, FIRST_RESPONSE_HOURS["detractor_followup/account_management"][0],
                                   FIRST_RESPONSE_HOURS["detractor_followup/customer_success"][0]) * HOUR
                    first = opened + _lognormal_seconds(rng, med, 0.95, nd)
                    cmed, csig = CLOSE_DAYS["detractor_followup"]
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
            promoter_share = float(ndtr((nps_mean[keep_rows] - 8.5) / NPS_NOISE_SD).mean())
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
        cases_per_customer=cases_per_customer,
    )
    world.truth = _truth(world, start_ts=start_ts, as_of=as_of, month_starts=month_starts, base_h=base_h,
                         risk_months=risk_months, churns=churns, promoter_by_month=promoter_by_month,
                         sample_x=sample_x, csat_a=csat_a, ces_b=ces_b,
                         transactional_per_month=transactional_per_month,
                         followup_hazard_ratio=followup_hazard_ratio, category_multiplier=category_multiplier,
                         extra=world.truth)
    world.params = {"n_customers": n, "seed": int(seed), "start": str(start_ts.date()), "end": str(as_of.date()),
                    "cases_per_customer": cases_per_customer, "transactional_per_month": transactional_per_month,
                    "followup_hazard_ratio": followup_hazard_ratio}
    return world


def _comments(rng, responded, region, tp, sentiment, lang_p, emerging) -> np.ndarray:
    """Comment codes ``100 * language + primary theme + 1`` (theme 0: off-topic; -1 = no comment)."""
    nr = responded.size
    prob = np.array([COMMENT_PROB[s] for s in SENTIMENTS])[sentiment]
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
              cases_per_customer) -> SimulatedWorld:
    """Turn the simulated arrays into the four tables."""
    n_months = len(month_starts)
    cust_ids = _ids("C", n, 7)
    seg_names = np.array(SEGMENTS, dtype=object)
    churned = churn_sec != NEVER

    # ---- customers ----------------------------------------------------------------------
    channel_mult = np.asarray(CHANNEL_COST_MULTIPLIER)[chan]
    noise = np.exp(ACQUISITION_COST_SIGMA * rng.standard_normal(n) - ACQUISITION_COST_SIGMA**2 / 2)
    acquisition_cost = np.round(
        ACQUISITION_TO_RETENTION * np.asarray(ANNUAL_RETENTION_COST)[seg] * channel_mult * noise, 2)
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
    drift = (np.array([REVENUE_DRIFT[s] for s in SEGMENTS])[seg] + REVENUE_DRIFT_GENERAL * general
             + REVENUE_DRIFT_SD * rng.standard_normal(n))
    log_amount = rng.standard_normal(total)
    log_amount *= REVENUE_WALK_SD
    np.cumsum(log_amount, out=log_amount)  # random walk per customer, 0 in the first month
    if total:
        log_amount -= np.repeat(log_amount[offsets], counts)
    log_amount += drift[rows] * k
    log_amount += REVENUE_NOISE_SD * rng.standard_normal(total)
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
    sr_rate = np.array([SERVICE_RATE_PER_MONTH[s] for s in SEGMENTS])[seg] * life_months
    cp_rate = COMPLAINT_RATE_PER_MONTH * np.exp(COMPLAINT_GENERAL_SLOPE * general) * life_months
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
            team = np.where(rng.random(nk) < FIELD_OPS_SHARE, 3, 2).astype(np.int8)
        else:
            team = np.full(nk, 4, dtype=np.int8)
        med, sig = FIRST_RESPONSE_HOURS[kind]
        first = opened + _lognormal_seconds(rng, med * HOUR, sig, nk)
        cmed, csig = CLOSE_DAYS[kind]
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
        "sla_hours": np.array([SLA_HOURS[k] for k in kind_names])[kinds],
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


def _share_by_year(years: np.ndarray, values: np.ndarray) -> dict:
    out = {}
    for y in np.unique(years):
        sel = years == y
        if sel.any():
            out[str(int(y))] = float(values[sel].mean())
    return out


def _truth(world: SimulatedWorld, *, start_ts, as_of, month_starts, base_h, risk_months, churns, promoter_by_month,
           sample_x, csat_a, ces_b, transactional_per_month, followup_hazard_ratio, category_multiplier,
           extra) -> dict:
    """Collect the ground truth (configuration and realised values)."""
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
    kept = float((fu_hours.dropna() <= FOLLOWUP_SLA_HOURS).mean()) if fu_hours.notna().any() else float("nan")
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
    retention = dict(zip(SEGMENTS, ANNUAL_RETENTION_COST, strict=True))
    ratio = float(cu["acquisition_cost"].sum() / np.sum([retention[s] for s in seg_names]))
    has_comment = lat["comment"] >= 0
    lang_of = lat["comment"][has_comment] // 100
    themes = lat["comment_themes"]
    nps_of_comment = np.where(tp[has_comment] == N_TP, lat["nps_true"][has_comment], -1)
    reasons = cu["churn_reason"].dropna()
    ranking = sorted(DRIVER_WEIGHTS, key=lambda t: -DRIVER_WEIGHTS[t])
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
            "growth_factor_end_vs_start": ACQUISITION_GROWTH,
            "segment_share": dict(zip(SEGMENTS, SEGMENT_SHARE, strict=True)),
            "region_share": dict(zip(REGIONS, REGION_SHARE, strict=True)),
            "annual_contract_share_by_segment": dict(zip(SEGMENTS, ANNUAL_CONTRACT_SHARE, strict=True)),
            "monthly_revenue_lognormal": {s: {"median": REVENUE_MEDIAN[i], "sigma": REVENUE_SIGMA[i]}
                                          for i, s in enumerate(SEGMENTS)},
            "annual_retention_cost_by_segment": retention,
            "acquisition_cost_multiplier_by_channel": dict(zip(CHANNELS, CHANNEL_COST_MULTIPLIER, strict=True)),
            "acquisition_cost_formula": "5 * annual_retention_cost[segment] * multiplier[channel] * "
                                        "lognormal(mean 1, sigma 0.35)",
            "acquisition_to_annual_retention_cost_ratio": ratio,
            "mean_acquisition_cost_by_channel": cu.groupby("acquisition_channel")["acquisition_cost"].mean()
            .to_dict(),
        },
        "referral": {
            "referral_weight_per_promoter_share": REFERRAL_PER_PROMOTER_SHARE,
            "promoter_share_by_year": prom_year,
            "referral_share_by_year": _share_by_year(acq_year, ref),
        },
        "experience_model": {
            "customer_variance": EXP_CUSTOMER_VAR,
            "general_factor_share_of_customer_variance": EXP_GENERAL_SHARE,
            "ar1_coefficient_monthly": EXP_AR,
            "ar1_stationary_variance": EXP_AR_VAR,
            "segment_effects": SEGMENT_EXPERIENCE,
            "trend_per_year": TREND_PER_YEAR,
            "delivery_peak_season_nov_dec": PEAK_SEASON_DELIVERY,
            "invoicing_lift_after_ramp": _invoicing_lift(),
            "invoicing_ramp_months": INVOICING_RAMP_MONTHS,
            "mean_correlation": mean_corr,
        },
        "invoicing_redesign_date": INVOICING_REDESIGN_DATE,
        "invoicing_csat_share_by_year": _share_by_year(years[inv], inv_top2),
        "invoicing_csat_share_by_year_observed": _share_by_year(years[inv][inv_ans], inv_top2[inv_ans]),
        "csat_model": {
            "intercepts": dict(zip(TOUCHPOINTS, csat_a, strict=True)),
            "noise_sd": CSAT_NOISE_SD,
            "cut_points": CSAT_CUTS,
            "base_top2_share": CSAT_BASE_TOP2,
            "true_top2_share": {t: float((lat["csat_true"][tp == k] >= 4).mean()) if (tp == k).any() else None
                                for k, t in enumerate(TOUCHPOINTS)},
        },
        "ces_model": {"intercepts": dict(zip(TOUCHPOINTS, ces_b, strict=True)), "slope_on_experience": -CES_SLOPE,
                      "noise_sd": CES_NOISE_SD, "cut_points": CES_CUTS},
        "nps_model": {
            "formula": "nps = round(clip(intercept + sum_k weight_k * x_k + u + e, 0, 10))",
            "intercept": NPS_INTERCEPT, "customer_effect_sd": NPS_CUSTOMER_SD, "noise_sd": NPS_NOISE_SD,
        },
        "driver_weights": {t: DRIVER_SCALE * DRIVER_WEIGHTS[t] for t in TOUCHPOINTS},
        "driver_ranking": ranking,
        "response_model": RESPONSE_MODEL | {
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
            "response_delay_hours_lognormal": {"median": RESPONSE_DELAY_MEDIAN_HOURS,
                                               "sigma": RESPONSE_DELAY_SIGMA}},
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
                             f"{NPS_HAZARD_CENTER}): churn risk changes smoothly with the score, with no jump "
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
            "reference_profile": f"SMB, monthly, latest answer {NPS_HAZARD_CENTER}, no follow-up, ces covariate "
                                 "0, average unobserved value",
        },
        "churn_log_hazard_ratios": CHURN_LOG_HR,
        "churn_hazard_ratios": {k: math.exp(v) for k, v in CHURN_LOG_HR.items()},
        "churn_hazard_ratios_by_category": {
            "definition": "mean hazard multiplier of the latest score over the customer-months at risk in each "
                          "category of the latest answer, relative to passives: the category contrasts the data "
                          "show (not parameters)",
            "detractor_vs_passive": mean_multiplier[1] / mean_multiplier[2],
            "promoter_vs_passive": mean_multiplier[3] / mean_multiplier[2],
        },
        "followup_hazard_ratio": followup_hazard_ratio,
        "followup_effect_months": FOLLOWUP_EFFECT_MONTHS,
        "followup_assignment": {
            "formula": "logit P(follow-up | detractor answer) = intercept_segment + observed_value * "
                       "(log monthly_revenue - log segment median) / segment sigma + unobserved_value * u, "
                       "u ~ N(0, 1) per customer (the same u lowers churn)",
            "logit_per_sd": FOLLOWUP_VALUE_LOGIT,
            "intercept_by_segment": dict(zip(SEGMENTS, _followup_intercepts(), strict=True)),
        },
        "baseline_monthly_hazard": base_h,
        "baseline_monthly_hazard_formula": f"{BASELINE_LATE} + {BASELINE_EARLY_EXTRA} * exp(-(k - 1) / "
                                           f"{BASELINE_DECAY_MONTHS})",
        "annual_churn_rate": 1 - (1 - monthly_all) ** 12,
        "annual_churn_rate_by_year": churn_by_year,
        "followup_coverage": (len(fu) / det_answers) if det_answers else None,
        "followup_coverage_by_segment": FOLLOWUP_COVERAGE,
        "sla_24h_kept_share": kept,
        "first_response_hours": {k: {"median": v[0], "sigma": v[1]} for k, v in FIRST_RESPONSE_HOURS.items()},
        "cases": {
            "sla_hours": SLA_HOURS,
            "service_rate_per_month": SERVICE_RATE_PER_MONTH,
            "complaint_rate_per_month": COMPLAINT_RATE_PER_MONTH,
            "complaint_general_experience_slope": COMPLAINT_GENERAL_SLOPE,
            "rate_scale": extra["_case_scale"],
            "count_by_kind": {k: int(kinds.get(k, 0)) for k in ("detractor_followup", "service_request",
                                                                 "complaint")},
            "open_cases": int(ca["closed_at"].isna().sum()),
            "awaiting_first_response": int(ca["first_response_at"].isna().sum()),
            "cases_per_customer": len(ca) / max(len(cu), 1),
            "close_days_lognormal": {k: {"median": v[0], "sigma": v[1]} for k, v in CLOSE_DAYS.items()},
        },
        "revenue_model": {
            "drift_log_per_month_by_segment": REVENUE_DRIFT, "drift_per_general_experience_sd": REVENUE_DRIFT_GENERAL,
            "drift_sd": REVENUE_DRIFT_SD, "random_walk_sd": REVENUE_WALK_SD, "usage_noise_sd": REVENUE_NOISE_SD,
            "proration": "first and churn month prorated by active days",
        },
        "comment_model": {
            "comment_probability_by_sentiment": COMMENT_PROB,
            "language_probability_by_region": {r: {"ru": v[0], "de": v[1]} for r, v in LANGUAGE_BY_REGION.items()},
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


# --------------------------------------------------------------------------- files
TABLE_FILES = {"customers": "customers.csv", "revenue": "revenue.parquet", "surveys": "surveys.parquet",
               "cases": "cases.parquet"}


def write_demo(world: SimulatedWorld, folder: str | Path, compression_level: int = 19) -> dict[str, Path]:
    """Write a world as a cxlab data folder with ``meta.json``.

    ``customers`` goes to CSV (dates as ``YYYY-MM-DD``), the other tables to
    zstd-compressed Parquet (timestamps and row ids delta-encoded).

    Parameters
    ----------
    world : SimulatedWorld
        Output of :func:`simulate`.
    folder : str or pathlib.Path
        Target folder, created if needed.
    compression_level : int, default 19
        zstd level for the Parquet files (lower is faster for big worlds).

    Returns
    -------
    dict of str to pathlib.Path
        Written file per table plus ``meta``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    row_ids = {"surveys": "invitation_id", "cases": "case_id"}
    for name, df in world.tables().items():
        path = folder / TABLE_FILES[name]
        if path.suffix == ".csv":
            df.to_csv(path, index=False, date_format="%Y-%m-%d", lineterminator="\n")
        else:
            encoding = {c: "DELTA_BINARY_PACKED" for c in DATE_COLUMNS[name]}
            if name in row_ids:
                encoding[row_ids[name]] = "DELTA_BYTE_ARRAY"
            table = pa.Table.from_pandas(df, preserve_index=False)
            pq.write_table(table, path, compression="zstd", compression_level=compression_level,
                           use_dictionary=[c for c in df.columns if c not in encoding], column_encoding=encoding)
        paths[name] = path
    meta = {"as_of": str(world.as_of.date()), "truth": world.truth, "generator": world.params}
    paths["meta"] = folder / "meta.json"
    paths["meta"].write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return paths


def read_demo(folder: str | Path) -> tuple[dict[str, pd.DataFrame], dict]:
    """Read a folder written by :func:`write_demo`.

    Parameters
    ----------
    folder : str or pathlib.Path

    Returns
    -------
    tables : dict of str to pandas.DataFrame
        Same columns and dtypes as :func:`simulate` returns.
    meta : dict
        Parsed ``meta.json``.
    """
    folder = Path(folder)
    tables = {}
    for name, file in TABLE_FILES.items():
        path = folder / file
        if path.suffix == ".csv":
            df = pd.read_csv(path, dtype={"customer_id": str}, parse_dates=list(DATE_COLUMNS[name]))
        else:
            df = pd.read_parquet(path, engine="pyarrow")
        for col in DATE_COLUMNS[name]:
            df[col] = df[col].astype("datetime64[ns]")
        tables[name] = df
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return tables, meta


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m cxlab.synth --out data/demo``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code.
    """
    parser = argparse.ArgumentParser(prog="python -m cxlab.synth", description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--n-customers", type=int, default=DEFAULT_N_CUSTOMERS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--start", default=DEFAULT_START)
    parser.add_argument("--end", default=DEFAULT_END)
    parser.add_argument("--cases-per-customer", type=float, default=None)
    parser.add_argument("--transactional-per-month", type=float, default=DEFAULT_TRANSACTIONAL_PER_MONTH)
    args = parser.parse_args(argv)
    world = simulate(n_customers=args.n_customers, seed=args.seed, start=args.start, end=args.end,
                     cases_per_customer=args.cases_per_customer,
                     transactional_per_month=args.transactional_per_month)
    paths = write_demo(world, args.out)
    for name, path in paths.items():
        print(f"{name:10s} {path}  {path.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
