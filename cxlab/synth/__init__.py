"""Seeded simulator of a B2B logistics / equipment-service company.

:func:`simulate` builds a world of customers acquired between ``start`` and
``end`` and returns the four cxlab tables (see :mod:`cxlab.schema`) together
with the ground truth that generated them, so every analysis module can be
checked against known answers. :func:`write_demo` writes a world to a data
folder; ``python -m cxlab.synth --out data/demo`` regenerates the committed
demo data identically.

Modules: :mod:`~cxlab.synth.parameters` (every constant of the generating process, one frozen
:class:`WorldParameters`: ``simulate(parameters=replace(WorldParameters(), followup_hazard_ratio=0.8))``
builds a world with another follow-up effect, and its truth records the values used),
:mod:`~cxlab.synth.model` (its building blocks and :class:`SimulatedWorld`),
:mod:`~cxlab.synth.simulation` (:func:`simulate`), :mod:`~cxlab.synth.truth` (the ground truth)
and :mod:`~cxlab.synth.files` (data folders and the command line); comments come from
:mod:`cxlab.synth_comments`. Every public name is importable from ``cxlab.synth`` itself.

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

from cxlab.synth.files import TABLE_FILES, main, read_demo, write_demo
from cxlab.synth.model import SimulatedWorld, baseline_monthly_hazard
from cxlab.synth.parameters import (
    ACQUISITION_COST_SIGMA,
    ACQUISITION_GROWTH,
    ACQUISITION_TO_RETENTION,
    ANNUAL_CONTRACT_SHARE,
    ANNUAL_RETENTION_COST,
    BASELINE_DECAY_MONTHS,
    BASELINE_EARLY_EXTRA,
    BASELINE_LATE,
    CES_CENTER,
    CES_CUTS,
    CES_INTERCEPT,
    CES_NOISE_SD,
    CES_SLOPE,
    CHANNEL_COST_MULTIPLIER,
    CHANNEL_WEIGHTS,
    CHANNELS,
    CHURN_LOG_HR,
    CLOSE_DAYS,
    COMMENT_PROB,
    COMPLAINT_GENERAL_SLOPE,
    COMPLAINT_RATE_PER_MONTH,
    CSAT_BASE_TOP2,
    CSAT_CUTS,
    CSAT_LATENT_SD,
    CSAT_NOISE_SD,
    DAY,
    DEFAULT_END,
    DEFAULT_FOLLOWUP_HAZARD_RATIO,
    DEFAULT_N_CUSTOMERS,
    DEFAULT_PARAMETERS,
    DEFAULT_SEED,
    DEFAULT_START,
    DEFAULT_TRANSACTIONAL_PER_MONTH,
    DRIVER_SCALE,
    DRIVER_WEIGHTS,
    EXP_AR,
    EXP_AR_VAR,
    EXP_CUSTOMER_VAR,
    EXP_GENERAL_SHARE,
    FIELD_OPS_SHARE,
    FIRST_RESPONSE_HOURS,
    FOLLOWUP_COVERAGE,
    FOLLOWUP_EFFECT_MONTHS,
    FOLLOWUP_OPEN_DELAY_MEDIAN_MINUTES,
    FOLLOWUP_SLA_HOURS,
    FOLLOWUP_VALUE_LOGIT,
    HOUR,
    INVOICING_RAMP_MONTHS,
    INVOICING_REDESIGN_DATE,
    INVOICING_TOP2_AFTER,
    INVOICING_TOP2_BEFORE,
    LANGUAGE_BY_REGION,
    LANGUAGES,
    N_TP,
    NAT,
    NEVER,
    NPS_CUSTOMER_SD,
    NPS_HAZARD_CENTER,
    NPS_INTERCEPT,
    NPS_NOISE_SD,
    NPS_STATES,
    ONBOARDING_EARLY_MULTIPLIER,
    ONBOARDING_EARLY_TENURE_MONTHS,
    PEAK_SEASON_DELIVERY,
    REFERRAL_PER_PROMOTER_SHARE,
    REGION_SHARE,
    REGIONS,
    RELATIONSHIP_CHANNEL_SHARE,
    RELATIONSHIP_MIN_TENURE_DAYS,
    RELATIONSHIP_WAVE_MONTHS,
    RESPONSE_DELAY_MAX_DAYS,
    RESPONSE_DELAY_MEDIAN_HOURS,
    RESPONSE_DELAY_SIGMA,
    RESPONSE_MODEL,
    REVENUE_DRIFT,
    REVENUE_DRIFT_GENERAL,
    REVENUE_DRIFT_SD,
    REVENUE_MEDIAN,
    REVENUE_NOISE_SD,
    REVENUE_SIGMA,
    REVENUE_WALK_SD,
    SEGMENT_EXPERIENCE,
    SEGMENT_SHARE,
    SEGMENTS,
    SENTIMENTS,
    SERVICE_RATE_PER_MONTH,
    SLA_HOURS,
    SURVEY_CHANNELS,
    TEAMS,
    TOUCHPOINT_INVITATION_SHARE,
    TP_INDEX,
    TRANSACTIONAL_CHANNEL_SHARE,
    TREND_PER_YEAR,
    WorldParameters,
)
from cxlab.synth.simulation import simulate

__all__ = [
    "ACQUISITION_COST_SIGMA",
    "ACQUISITION_GROWTH",
    "ACQUISITION_TO_RETENTION",
    "ANNUAL_CONTRACT_SHARE",
    "ANNUAL_RETENTION_COST",
    "BASELINE_DECAY_MONTHS",
    "BASELINE_EARLY_EXTRA",
    "BASELINE_LATE",
    "CES_CENTER",
    "CES_CUTS",
    "CES_INTERCEPT",
    "CES_NOISE_SD",
    "CES_SLOPE",
    "CHANNELS",
    "CHANNEL_COST_MULTIPLIER",
    "CHANNEL_WEIGHTS",
    "CHURN_LOG_HR",
    "CLOSE_DAYS",
    "COMMENT_PROB",
    "COMPLAINT_GENERAL_SLOPE",
    "COMPLAINT_RATE_PER_MONTH",
    "CSAT_BASE_TOP2",
    "CSAT_CUTS",
    "CSAT_LATENT_SD",
    "CSAT_NOISE_SD",
    "DAY",
    "DEFAULT_END",
    "DEFAULT_FOLLOWUP_HAZARD_RATIO",
    "DEFAULT_N_CUSTOMERS",
    "DEFAULT_PARAMETERS",
    "DEFAULT_SEED",
    "DEFAULT_START",
    "DEFAULT_TRANSACTIONAL_PER_MONTH",
    "DRIVER_SCALE",
    "DRIVER_WEIGHTS",
    "EXP_AR",
    "EXP_AR_VAR",
    "EXP_CUSTOMER_VAR",
    "EXP_GENERAL_SHARE",
    "FIELD_OPS_SHARE",
    "FIRST_RESPONSE_HOURS",
    "FOLLOWUP_COVERAGE",
    "FOLLOWUP_EFFECT_MONTHS",
    "FOLLOWUP_OPEN_DELAY_MEDIAN_MINUTES",
    "FOLLOWUP_SLA_HOURS",
    "FOLLOWUP_VALUE_LOGIT",
    "HOUR",
    "INVOICING_RAMP_MONTHS",
    "INVOICING_REDESIGN_DATE",
    "INVOICING_TOP2_AFTER",
    "INVOICING_TOP2_BEFORE",
    "LANGUAGES",
    "LANGUAGE_BY_REGION",
    "NAT",
    "NEVER",
    "NPS_CUSTOMER_SD",
    "NPS_HAZARD_CENTER",
    "NPS_INTERCEPT",
    "NPS_NOISE_SD",
    "NPS_STATES",
    "N_TP",
    "ONBOARDING_EARLY_MULTIPLIER",
    "ONBOARDING_EARLY_TENURE_MONTHS",
    "PEAK_SEASON_DELIVERY",
    "REFERRAL_PER_PROMOTER_SHARE",
    "REGIONS",
    "REGION_SHARE",
    "RELATIONSHIP_CHANNEL_SHARE",
    "RELATIONSHIP_MIN_TENURE_DAYS",
    "RELATIONSHIP_WAVE_MONTHS",
    "RESPONSE_DELAY_MAX_DAYS",
    "RESPONSE_DELAY_MEDIAN_HOURS",
    "RESPONSE_DELAY_SIGMA",
    "RESPONSE_MODEL",
    "REVENUE_DRIFT",
    "REVENUE_DRIFT_GENERAL",
    "REVENUE_DRIFT_SD",
    "REVENUE_MEDIAN",
    "REVENUE_NOISE_SD",
    "REVENUE_SIGMA",
    "REVENUE_WALK_SD",
    "SEGMENTS",
    "SEGMENT_EXPERIENCE",
    "SEGMENT_SHARE",
    "SENTIMENTS",
    "SERVICE_RATE_PER_MONTH",
    "SLA_HOURS",
    "SURVEY_CHANNELS",
    "TABLE_FILES",
    "TEAMS",
    "TOUCHPOINT_INVITATION_SHARE",
    "TP_INDEX",
    "TRANSACTIONAL_CHANNEL_SHARE",
    "TREND_PER_YEAR",
    "SimulatedWorld",
    "WorldParameters",
    "baseline_monthly_hazard",
    "main",
    "read_demo",
    "simulate",
    "write_demo",
]
