"""Did calling back detractors work? The causal effect of a detractor follow-up on churn.

Follow-ups are not assigned at random: account teams reach valuable customers more often, and
some of that value shows in no table. Comparing followed-up with not-followed-up detractors (the
*naive* design) therefore flatters the follow-up. This module estimates the effect four ways,
all on one *answer frame* (:func:`answer_frame`): one row per relationship-survey answer, timed
from the answer itself (the landmark), so no time before the follow-up could happen counts as
"followed-up" time (no immortal time).

``rdd`` (the design to trust)
    Regression discontinuity at the follow-up threshold: answers 0-6 are called back, 7-10 are
    not. Customers answering 6 and 7 are alike except for the call, so the jump in churn at the
    threshold, divided by the jump in the share followed up (fuzzy: not every detractor is
    reached), is the effect of the follow-up for the detractors a call reaches (the *compliers*).
    Each side is fitted by a local linear regression in the score with a triangular kernel (the
    score is discrete: every score is a mass point, and the two sides are extrapolated half a
    point to 6.5). It assumes churn risk changes *smoothly* with the score across the threshold,
    so that the follow-up is the only jump there; it needs no assumption about who is followed up.
``ipw``
    Inverse-probability weighting of the followed-up and not-followed-up detractors by a
    logistic model of the follow-up on what the tables record (segment, contract, region,
    revenue, score, tenure, previous answer, complaints, year), then a weighted Cox model.
``aipw``
    Doubly robust (augmented IPW) risk of churn within the horizon with and without a follow-up.
``naive``
    Cox model of churn on the follow-up flag alone.

The IPW and AIPW designs assume no unmeasured confounding: whatever drives both the follow-up and
churn is recorded. When follow-ups also go to customers whose value the tables do not show
(as in the demo world), they stay biased; the discontinuity design does not.

``value`` is always a hazard ratio of churn (followed-up vs not, below 1 = the follow-up lowers
churn) over the first ``horizon_months`` after the answer: for ``ipw`` and ``naive`` the Cox
hazard ratio; for ``rdd`` and ``aipw`` the ratio of cumulative hazards ``log(1 - r1) / log(1 - r0)``
of the churn risks ``r1``, ``r0`` within the horizon with and without a follow-up, which equals
the hazard ratio under proportional hazards. The risk difference ``r1 - r0`` is given as well.

Notes
-----
Answers whose horizon is not yet fully observable (given less than ``horizon_months`` before the
as-of date) are used by the Cox designs up to the as-of date and left out of the risk designs.
Intervals come from closed forms where they exist (Cox robust variance, AIPW influence
functions, clustered by customer) and otherwise from a bootstrap over customers with a fixed seed.
The Cox models are fitted from risk-set sums (:mod:`cxlab.survival.risk_sets`); their robust
variance counts tied churn months as R's ``coxph`` does (lifelines takes each tied churner's risk
set in its row order instead, so its intervals differ slightly when churn months are tied). The
propensity models are fitted on distinct covariate patterns (:mod:`cxlab.patterns`), which gives
the row-level fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from cxlab.drivers import latest_before, totals_before
from cxlab.followups import DETRACTOR_MAX, answer_followups
from cxlab.identifiers import attributes_of
from cxlab.least_squares import robust_ols
from cxlab.nonresponse import _design
from cxlab.patterns import first_rows, fit_logit_on_patterns, identical_rows
from cxlab.periods import known_by
from cxlab.resampling import profile_draw_counts
from cxlab.schema import RELATIONSHIP
from cxlab.survival.risk_sets import cox_cells, fit_cox_cells
from cxlab.tenure import DAYS_PER_MONTH, tenure_frame

__all__ = ["BALANCE_COVARIATES", "DESIGN_NAMES", "ESTIMANDS", "METHODS", "PROPENSITY_BOUNDS", "PROPENSITY_COVARIATES",
           "THRESHOLD", "FollowupEffect", "answer_density", "answer_frame", "at_horizon", "covariate_balance",
           "followup_effect", "local_randomisation_p", "overlap_table", "placebo_thresholds", "rd_jumps",
           "speed_effect"]

METHODS = ("rdd", "ipw", "aipw", "naive")
THRESHOLD = DETRACTOR_MAX + 0.5
PROPENSITY_COVARIATES = ["segment", "contract", "region", "log_revenue", "nps", "tenure_at_answer_months",
                         "previous_nps", "complaints_before", "answer_year"]
BALANCE_COVARIATES = {
    "enterprise": "Share Enterprise",
    "mid_market": "Share Mid-market",
    "annual": "Share on an annual contract",
    "log_revenue": "Log monthly revenue",
    "tenure_at_answer_months": "Months with us at the answer",
    "previous_nps": "Previous relationship answer (0-10)",
    "complaints_before": "Complaints in the year before the answer (placebo outcome)",
}
PROPENSITY_BOUNDS = (0.01, 0.99)
# the columns of the answers' follow-ups an answer frame keeps, and those of its building it drops
_ANSWER_COLUMNS = ("customer_id", "responded_at", "nps", "followed_up", "within_sla", "team", "segment", "region",
                   "contract")
_SPENT_COLUMNS = ("followed_up", "acquired_at", "churned_at", "monthly_revenue", "end_at", "tenure_days", "active")


def _tables(data, as_of):
    """customers, surveys, cases and the as-of date of loaded data or a simulated world."""
    tables = {name: getattr(data, name, None) for name in ("customers", "surveys", "cases")}
    if tables["customers"] is None or tables["surveys"] is None:
        raise ValueError("followup_effect: the data needs customers and surveys tables")
    as_of = as_of if as_of is not None else getattr(data, "as_of", None)
    if as_of is None:
        raise ValueError("followup_effect: pass as_of (the data has no as-of date)")
    return tables["customers"], tables["surveys"], tables["cases"], pd.Timestamp(as_of)


def answer_frame(data, *, as_of=None, horizon_months: int = 12, followup_window_days: int = 7) -> pd.DataFrame:
    """One row per relationship answer old enough to have been followed up, timed from the answer.

    Parameters
    ----------
    data : cxlab.io.CXData or cxlab.synth.SimulatedWorld
        Anything with ``customers``, ``surveys`` and ``cases`` tables (``cases`` may be None).
    as_of : str or pandas.Timestamp, optional
        Analysis date (default: the data's).
    horizon_months : int
        Months after the answer over which churn is counted (``churn_within``).
    followup_window_days : int
        Answers younger than this are left out (their call may still come).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``responded_at``, ``nps``, ``followup`` (0/1), ``within_sla`` (1/0 for
        followed-up answers whose first response is decided), ``team``, the covariates of
        :data:`PROPENSITY_COVARIATES` and of :data:`BALANCE_COVARIATES`, the landmark outcome
        ``tenure_months`` / ``churned`` (months from the answer, :func:`cxlab.tenure.tenure_frame`
        convention) with ``observable_months``, ``cluster`` (a code per customer), ``horizon_observed``
        (the horizon ended before the as-of date) and ``churn_within`` (churned within the horizon;
        missing when not observed).

    Examples
    --------
    >>> from cxlab.synth import simulate
    >>> frame = answer_frame(simulate(n_customers=500, seed=1))
    >>> bool(frame.loc[frame["nps"] >= 7, "followup"].eq(0).all())
    True
    """
    customers, surveys, cases, as_of = _tables(data, as_of)
    relationship = surveys[surveys["touchpoint"] == RELATIONSHIP]
    answers = answer_followups(relationship, cases, as_of=as_of, customers=customers,
                               followup_window_days=followup_window_days)
    mature = np.flatnonzero(answers["mature"].to_numpy(dtype=bool))
    found = attributes_of(answers["customer_id"].take(mature), customers, [
        "acquired_at", "churned_at", *[c for c in ("monthly_revenue",) if c in customers.columns]])
    # answers given before the customer's churn, with only the columns the designs read: the rows are taken once
    before_churn = ~(pd.to_datetime(found["churned_at"], cache=False) < answers["responded_at"].to_numpy()[mature])
    rows = mature[before_churn]
    frame = pd.DataFrame({column: answers[column].array.take(rows) for column in _ANSWER_COLUMNS
                          if column in answers.columns})
    match = answers.attrs.get("match")
    del answers
    for name, values in found.items():
        frame[name] = values[before_churn]
    frame = tenure_frame(frame, as_of=as_of, acquired_col="responded_at")
    frame.index = pd.RangeIndex(len(frame))
    frame["followup"] = frame["followed_up"].astype(int)
    acquired = pd.to_datetime(frame["acquired_at"], cache=False)
    frame["tenure_at_answer_months"] = (frame["responded_at"] - acquired).dt.days / DAYS_PER_MONTH
    revenue = frame["monthly_revenue"] if "monthly_revenue" in frame.columns else pd.Series(np.nan, frame.index)
    frame["log_revenue"] = np.log1p(revenue.astype(float))
    for column in _SPENT_COLUMNS:  # read to build the columns above; the designs do not
        if column in frame.columns:
            del frame[column]
    distinct_years, year = np.unique(frame["responded_at"].dt.year.to_numpy(), return_inverse=True)
    frame["answer_year"] = np.array([str(y) for y in distinct_years], dtype=object)[year]  # a string per year, shared
    for column in ("segment", "contract", "region"):
        if column not in frame.columns:
            frame[column] = "unknown"
    frame["enterprise"] = (frame["segment"] == "Enterprise").astype(float)
    frame["mid_market"] = (frame["segment"] == "Mid-market").astype(float)
    frame["annual"] = (frame["contract"] == "annual").astype(float)

    # earlier answers and complaints, as known at the answer
    answered = relationship[relationship["nps"].notna() & known_by(pd.to_datetime(
        relationship["responded_at"], cache=False), as_of=as_of)][["customer_id", "responded_at", "nps"]]
    frame["previous_nps"] = latest_before(answered, frame, event_time="responded_at", query_time="responded_at",
                                          value_col="nps")
    if cases is not None and "kind" in cases.columns:
        complaints = cases.loc[cases["kind"] == "complaint", ["customer_id", "opened_at"]]
        frame["complaints_before"] = totals_before(
            complaints.assign(one=1.0), frame, event_time="opened_at", query_time="responded_at", value_cols=["one"],
            window_days=365.25)["one_n"].to_numpy()
    else:
        frame["complaints_before"] = np.nan
    codes = pd.factorize(frame["customer_id"])[0]
    frame["cluster"] = codes
    frame.attrs.update(as_of=as_of, match=match, followup_window_days=followup_window_days)
    _count_churn_within(frame, horizon_months)
    return frame


def _count_churn_within(frame: pd.DataFrame, horizon_months: int) -> None:
    """Add ``horizon_observed`` and ``churn_within`` for a horizon, and record it in the frame's attrs."""
    frame["horizon_observed"] = frame["observable_months"] >= horizon_months
    within = (frame["churned"] == 1) & (frame["tenure_months"] <= horizon_months)
    frame["churn_within"] = within.astype(float).where(frame["horizon_observed"])
    frame.attrs["horizon_months"] = horizon_months


def at_horizon(frame: pd.DataFrame, horizon_months: int) -> pd.DataFrame:
    """The answers of an :func:`answer_frame` with churn counted over another horizon.

    Parameters
    ----------
    frame : pandas.DataFrame
        An :func:`answer_frame`.
    horizon_months : int
        Months after the answer over which churn is counted.

    Returns
    -------
    pandas.DataFrame
        A new frame, equal to ``answer_frame(..., horizon_months=horizon_months)`` of the same data
        (only ``horizon_observed`` and ``churn_within`` depend on the horizon). Its other columns are
        those of ``frame``, shared rather than copied: neither frame is to be changed in place.

    Examples
    --------
    >>> frame = pd.DataFrame({"observable_months": [3, 12, 12], "churned": [0, 1, 1], "tenure_months": [3, 5, 9]})
    >>> at_horizon(frame, 6)["churn_within"].tolist()
    [nan, 1.0, 0.0]
    """
    shorter = frame.copy(deep=False)  # every other column stays shared with ``frame``, not copied
    for column in ("horizon_observed", "churn_within"):
        if column in shorter.columns:
            del shorter[column]
    shorter.attrs = dict(frame.attrs)
    _count_churn_within(shorter, horizon_months)
    return shorter


# --------------------------------------------------------------------------- discontinuity
def _cluster_total(clusters: np.ndarray, n_clusters: int):
    """A function giving the sum of a row-level column per cluster."""
    return lambda column: np.bincount(clusters, weights=column, minlength=n_clusters)


def _bootstrap_totals(cluster_sums: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """Column totals over bootstrap resamples of clusters: (n_resamples, columns).

    Clusters with identical sums are one profile (:mod:`cxlab.resampling`), so the draws equal a
    row-level bootstrap over customers without a (resamples x rows) weight matrix.
    """
    profile = identical_rows(cluster_sums.T, len(cluster_sums))
    profiles = cluster_sums[first_rows(profile)]
    return np.vstack([counts @ profiles for counts in profile_draw_counts(profile, n_resamples, seed)])


def _side_sums(kernel: np.ndarray, dx: np.ndarray, values: np.ndarray, present: np.ndarray, total
               ) -> tuple[list[np.ndarray], np.ndarray]:
    """Per-cluster totals of the kernel-weighted sums of one side, and where each outcome's five sums are.

    An outcome's sums are s0 = sum k, s1 = sum k dx, s2 = sum k dx^2 over its non-missing rows and
    t0 = sum k y, t1 = sum k dx y; outcomes without missing values share one s0, s1, s2. Each
    row-level term is summed per cluster by ``total`` as soon as it is formed, so that only one
    term of the rows' length is held at a time.
    """
    sums = [total(kernel), total(kernel * dx), total(kernel * dx**2)]
    places = []
    for j in range(values.shape[1]):
        if present[:, j].all():
            s_places = [0, 1, 2]
        else:
            k = kernel * present[:, j]
            s_places = [len(sums), len(sums) + 1, len(sums) + 2]
            sums += [total(k), total(k * dx), total(k * dx**2)]
        places.append([*s_places, len(sums), len(sums) + 1])
        sums += [total(kernel * values[:, j]), total(kernel * dx * values[:, j])]
    return sums, np.array(places)


def _limits(totals: np.ndarray, places: np.ndarray, degree: int) -> np.ndarray:
    """Local polynomial value at dx = 0 of each outcome from its kernel-weighted sums."""
    s0, s1, s2, t0, t1 = (totals[..., places[:, part]] for part in range(5))
    with np.errstate(divide="ignore", invalid="ignore"):
        return t0 / s0 if degree == 0 else (s2 * t0 - s1 * t1) / (s0 * s2 - s1**2)


def _kernel(score: np.ndarray, cutoff: float, bandwidth: float, kernel: str) -> np.ndarray:
    distance = np.abs(score - cutoff) / bandwidth
    if kernel == "triangular":
        return np.clip(1 - distance, 0, None)
    if kernel == "uniform":
        return (distance <= 1).astype(float)
    raise ValueError(f"kernel must be 'triangular' or 'uniform', got {kernel!r}")


def rd_jumps(frame: pd.DataFrame, outcomes: list[str], *, bandwidth: float = 3.5, kernel: str = "triangular",
             degree: int = 1, n_resamples: int = 499, seed: int = 0, cutoff: float = THRESHOLD) -> dict:
    """Local polynomial limits of outcomes on each side of a score cutoff, with bootstrap replicates.

    The fits need only kernel-weighted sums per side, so each customer is reduced to its sums and
    the bootstrap over customers resamples those (one draw of customers for all outcomes and both
    sides: a customer answering 6 once and 7 later is kept or left out whole).

    Parameters
    ----------
    frame : pandas.DataFrame
        Rows with ``nps`` (the running variable), ``cluster`` (customer code) and the outcomes.
    outcomes : list of str
        Columns whose left (score below ``cutoff``) and right limits are estimated; a missing value
        leaves its row out of that outcome's fit only.
    bandwidth : float
        Scores within this distance of the cutoff enter, weighted by the kernel.
    kernel : {"triangular", "uniform"}
    degree : {0, 1}
        0: local randomisation (means on each side); 1: local linear.
    n_resamples : int
        Bootstrap replicates over customers.
    seed : int
        Seed of the bootstrap.
    cutoff : float
        Where the sides meet (6.5: the follow-up threshold).

    Returns
    -------
    dict
        ``left``, ``right``: Series of the limits; ``left_draws``, ``right_draws``: arrays
        (n_resamples, outcomes); ``n_left``, ``n_right``: rows with positive weight.

    Examples
    --------
    >>> frame = pd.DataFrame({"nps": [5, 6, 6, 7, 8, 8], "churn_within": [0.4, 0.3, 0.3, 0.1, 0.0, 0.0],
    ...                       "cluster": range(6)})
    >>> fit = rd_jumps(frame, ["churn_within"], bandwidth=2.5, n_resamples=9)
    >>> round(float(fit["left"]["churn_within"] - fit["right"]["churn_within"]), 3)  # 0.25 from 5-6, 0.15 from 7-8
    0.1
    """
    score = frame["nps"].to_numpy(float)
    weight = _kernel(score, cutoff, bandwidth, kernel)
    used = weight > 0
    score, weight = score[used], weight[used]
    dx = score - cutoff
    values = frame.loc[used, outcomes].to_numpy(float)
    present = ~np.isnan(values)
    values = np.where(present, values, 0.0)
    clusters = pd.factorize(frame["cluster"].to_numpy()[used])[0]
    total = _cluster_total(clusters, int(clusters.max()) + 1 if clusters.size else 0)
    columns, places, counts = [], {}, {}
    for side, mask in (("left", score < cutoff), ("right", score > cutoff)):
        if np.unique(score[mask]).size < degree + 1:
            raise ValueError(f"rd_jumps: the {side} side of {cutoff} has fewer than {degree + 1} distinct scores "
                             f"within the bandwidth {bandwidth}")
        side_sums, side_places = _side_sums(weight * mask, dx, values, present, total)
        places[side] = side_places + len(columns)
        columns += side_sums
        counts[side] = int(mask.sum())
    sums = np.column_stack(columns)
    del columns
    point, draws = sums.sum(axis=0), _bootstrap_totals(sums, n_resamples, seed)
    result = {}
    for side in ("left", "right"):
        result[side] = pd.Series(_limits(point, places[side], degree), index=outcomes)
        result[f"{side}_draws"] = _limits(draws, places[side], degree)
        result[f"n_{side}"] = counts[side]
    return result


def _interval(draws: np.ndarray, level: float) -> tuple[float, float]:
    finite = draws[np.isfinite(draws)]
    if finite.size < 10:
        return np.nan, np.nan
    tail = (1 - level) / 2
    return tuple(float(q) for q in np.quantile(finite, [tail, 1 - tail]))


def _cumulative_hazard_ratio(r1, r0):
    """log(1 - r1) / log(1 - r0): the hazard ratio when hazards are proportional."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r1, r0 = np.asarray(r1, float), np.asarray(r0, float)
        valid = (r1 > 0) & (r1 < 1) & (r0 > 0) & (r0 < 1)
        return np.where(valid, np.log1p(-np.where(valid, r1, 0.5)) / np.log1p(-np.where(valid, r0, 0.5)), np.nan)


def _complier_risks(left, right):
    """Churn risks with and without a follow-up of the answers the call reaches, at the threshold."""
    first_stage = left["followup"] - right["followup"]
    r1 = (left["y_treated"] - right["y_treated"]) / first_stage
    r0 = (right["y_untreated"] - left["y_untreated"]) / first_stage
    return r1, r0, first_stage, left["churn_within"] - right["churn_within"]


def _rdd(frame, *, bandwidth, kernel, degree, n_resamples, seed, level):
    # the columns the fit reads, before the rows: a copy of the whole answer frame took seconds at 1M answers
    data = frame[["nps", "cluster", "churn_within", "followup"]][frame["horizon_observed"].to_numpy()].assign(
        y_treated=lambda d: d["churn_within"] * d["followup"],
        y_untreated=lambda d: d["churn_within"] * (1 - d["followup"]))
    outcomes = ["churn_within", "followup", "y_treated", "y_untreated"]
    fit = rd_jumps(data, outcomes, bandwidth=bandwidth, kernel=kernel, degree=degree, n_resamples=n_resamples,
                   seed=seed)
    r1, r0, first_stage, itt = _complier_risks(fit["left"], fit["right"])
    draws = {name: pd.DataFrame(fit[f"{name}_draws"], columns=outcomes) for name in ("left", "right")}
    d_r1, d_r0, d_fs, d_itt = _complier_risks(draws["left"], draws["right"])
    hr = float(_cumulative_hazard_ratio(r1, r0))
    d_hr = _cumulative_hazard_ratio(d_r1, d_r0)
    log_low, log_high = _interval(np.log(d_hr), level)
    rd_low, rd_high = _interval((d_r1 - d_r0).to_numpy(), level)
    return dict(value=hr, ci_low=float(np.exp(log_low)), ci_high=float(np.exp(log_high)),
                n=fit["n_left"] + fit["n_right"], risk_difference=float(r1 - r0), rd_ci_low=rd_low,
                rd_ci_high=rd_high, risk_followed_up=float(r1), risk_not_followed_up=float(r0),
                first_stage=float(first_stage), first_stage_ci=_interval(d_fs.to_numpy(), level),
                intention_to_treat=float(itt), intention_to_treat_ci=_interval(d_itt.to_numpy(), level),
                n_left=fit["n_left"], n_right=fit["n_right"], bandwidth=bandwidth, kernel=kernel, degree=degree,
                failed_resamples=int((~np.isfinite(d_hr)).sum()))


# --------------------------------------------------------------------------- weighting designs
def _detractors(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["nps"] <= DETRACTOR_MAX].reset_index(drop=True)


def _propensity(frame: pd.DataFrame, treatment: str, covariates: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Logistic propensity of the treatment (clipped to PROPENSITY_BOUNDS) and its design matrix."""
    design = _design(frame, [c for c in covariates if c in frame.columns])
    model = fit_logit_on_patterns(design, frame[treatment].to_numpy(float))
    return np.clip(model.predict(), *PROPENSITY_BOUNDS), design


def overlap_table(propensity: np.ndarray, treated: np.ndarray) -> pd.DataFrame:
    """Propensity distribution and weight concentration in each arm.

    Parameters
    ----------
    propensity : numpy.ndarray
        Estimated probabilities of treatment.
    treated : numpy.ndarray
        1 for treated rows.

    Returns
    -------
    pandas.DataFrame
        One row per arm: ``n``, propensity quantiles (``p05``, ``p50``, ``p95``), ``share_below_0.05``,
        ``share_above_0.95``, ``max_weight`` and ``effective_n`` (Kish) of the inverse-probability weights.

    Examples
    --------
    >>> overlap_table(np.array([0.2, 0.5, 0.8, 0.5]), np.array([0, 1, 1, 0]))["n"].tolist()
    [2, 2]
    """
    rows = []
    for arm, label in ((1, "followed up"), (0, "not followed up")):
        p = propensity[treated == arm]
        w = 1 / p if arm else 1 / (1 - p)
        rows.append({"arm": label, "n": int(p.size), "p05": np.quantile(p, 0.05), "p50": np.median(p),
                     "p95": np.quantile(p, 0.95), "share_below_0.05": float((p < 0.05).mean()),
                     "share_above_0.95": float((p > 0.95).mean()), "max_weight": float(w.max()),
                     "effective_n": float(w.sum() ** 2 / (w**2).sum())})
    return pd.DataFrame(rows)


def _cox(frame: pd.DataFrame, treatment: str, horizon_months: int, weights: np.ndarray | None, level: float):
    """Cox model of churn within the horizon on the treatment, robust variance clustered by customer."""
    weights = np.ones(len(frame)) if weights is None else weights
    observed = (frame["tenure_months"] > 0).to_numpy()  # answers of the as-of month add no time at risk
    frame = frame[observed]
    duration = np.minimum(frame["tenure_months"], horizon_months)
    event = ((frame["churned"] == 1) & (frame["tenure_months"] <= horizon_months)).astype(int)
    data = pd.DataFrame({"duration": duration, "event": event, "treated": frame[treatment],
                         "w": weights[observed]})
    cells = cox_cells(data, ["treated"], duration_col="duration", event_col="event", weights_col="w")
    cox = fit_cox_cells(cells, clusters=frame["cluster"].to_numpy(), level=level)
    coef = float(cox.params["treated"])
    se = float(cox.standard_errors["treated"])
    z = stats.norm.ppf(0.5 + level / 2)
    return dict(value=float(np.exp(coef)), ci_low=float(np.exp(coef - z * se)), ci_high=float(np.exp(coef + z * se)),
                n=len(data), events=int(event.sum()))


def _weights(propensity: np.ndarray, treated: np.ndarray) -> np.ndarray:
    share = treated.mean()
    return np.where(treated == 1, share / propensity, (1 - share) / (1 - propensity))


def _ipw(frame, *, horizon_months, level, treatment="followup", covariates=PROPENSITY_COVARIATES):
    propensity, _ = _propensity(frame, treatment, covariates)
    treated = frame[treatment].to_numpy(int)
    weights = _weights(propensity, treated)
    out = _cox(frame, treatment, horizon_months, weights, level)
    observed = frame["horizon_observed"].to_numpy()
    y = frame["churn_within"].to_numpy(float)
    r1 = np.average(y[observed & (treated == 1)], weights=weights[observed & (treated == 1)])
    r0 = np.average(y[observed & (treated == 0)], weights=weights[observed & (treated == 0)])
    out.update(risk_difference=float(r1 - r0), overlap=overlap_table(propensity, treated))
    return out


def _aipw(frame, *, level, covariates=PROPENSITY_COVARIATES):
    data = frame[frame["horizon_observed"]].reset_index(drop=True)
    propensity, design = _propensity(data, "followup", covariates)
    treated = data["followup"].to_numpy(int)
    y = data["churn_within"].to_numpy(float)
    predictions = {}
    for arm in (1, 0):
        rows = treated == arm
        model = fit_logit_on_patterns(design[rows], y[rows])
        predictions[arm] = np.asarray(model.result.predict(design))
    psi1 = predictions[1] + treated * (y - predictions[1]) / propensity
    psi0 = predictions[0] + (1 - treated) * (y - predictions[0]) / (1 - propensity)
    mu1, mu0 = psi1.mean(), psi0.mean()
    n = len(data)
    clusters = data["cluster"].to_numpy()

    def clustered_se(influence):
        return float(np.sqrt(np.square(np.bincount(clusters, weights=influence)).sum()) / n)

    def slope(mu):  # derivative of log(-log(1 - mu))
        return 1 / ((1 - mu) * -np.log1p(-mu))

    z = stats.norm.ppf(0.5 + level / 2)
    rd_se = clustered_se((psi1 - mu1) - (psi0 - mu0))
    log_hr = float(np.log(_cumulative_hazard_ratio(mu1, mu0)))
    log_se = clustered_se(slope(mu1) * (psi1 - mu1) - slope(mu0) * (psi0 - mu0))
    return dict(value=float(np.exp(log_hr)), ci_low=float(np.exp(log_hr - z * log_se)),
                ci_high=float(np.exp(log_hr + z * log_se)), n=n, risk_difference=float(mu1 - mu0),
                rd_ci_low=float(mu1 - mu0 - z * rd_se), rd_ci_high=float(mu1 - mu0 + z * rd_se),
                risk_followed_up=float(mu1), risk_not_followed_up=float(mu0),
                overlap=overlap_table(propensity, treated))


def _naive(frame, *, horizon_months, level):
    out = _cox(frame, "followup", horizon_months, None, level)
    observed = frame[frame["horizon_observed"]]
    risks = observed.groupby("followup")["churn_within"].mean()
    out.update(risk_difference=float(risks.get(1, np.nan) - risks.get(0, np.nan)))
    return out


# --------------------------------------------------------------------------- result
ESTIMANDS = {
    "rdd": "hazard ratio (ratio of cumulative hazards within the horizon) for the detractors a call reaches, at "
           "the 6/7 threshold; regression discontinuity, local linear, triangular kernel",
    "ipw": "hazard ratio, inverse-probability weighted Cox model among detractors (robust variance clustered by "
           "customer)",
    "aipw": "hazard ratio (ratio of cumulative hazards within the horizon) from doubly robust churn risks among "
            "detractors",
    "naive": "hazard ratio of followed-up vs not followed-up detractors, unadjusted Cox model",
}
DESIGN_NAMES = {"rdd": "Regression discontinuity at 6/7", "ipw": "Inverse-probability weighting",
                "aipw": "Doubly robust (AIPW)", "naive": "Naive comparison"}


@dataclass
class FollowupEffect:
    """The effect of a detractor follow-up on churn, as one design estimates it.

    Attributes
    ----------
    method : str
        ``"rdd"``, ``"ipw"``, ``"aipw"`` or ``"naive"``.
    value : float
        Hazard ratio of churn, followed-up vs not (below 1: the follow-up lowers churn).
    ci_low, ci_high : float
        Its interval at ``level``.
    n : int
        Answers used.
    horizon_months : int
        Months after the answer the effect covers.
    risk_difference : float
        Churn risk within the horizon with minus without a follow-up.
    level : float
        Confidence level.
    estimand : str
        What ``value`` is, in words.
    diagnostics : dict
        Design-specific figures: complier risks, first stage, overlap table, bandwidth, ...
    """

    method: str
    value: float
    ci_low: float
    ci_high: float
    n: int
    horizon_months: int
    risk_difference: float = np.nan
    level: float = 0.95
    estimand: str = ""
    diagnostics: dict = field(default_factory=dict)

    @property
    def sentence(self) -> str:
        """The estimate in one plain sentence."""
        change = (1 - self.value) * 100
        direction = "lower" if change > 0 else "higher"
        return (f"{DESIGN_NAMES[self.method]}: followed-up detractors' churn risk is {abs(change):.0f}% {direction} "
                f"(hazard ratio {self.value:.2f}, {self.level:.0%} interval {self.ci_low:.2f} to {self.ci_high:.2f}; "
                f"{self.n:,} answers, first {self.horizon_months} months after the answer).")

    @property
    def summary(self) -> pd.DataFrame:
        """One row: method, hazard ratio with interval, risk difference, n."""
        return pd.DataFrame([{"method": self.method, "hazard_ratio": self.value, "ci_low": self.ci_low,
                              "ci_high": self.ci_high, "risk_difference": self.risk_difference,
                              "rd_ci_low": self.diagnostics.get("rd_ci_low", np.nan),
                              "rd_ci_high": self.diagnostics.get("rd_ci_high", np.nan), "n": self.n}])

    def __repr__(self) -> str:
        return self.sentence


def followup_effect(data, *, as_of=None, method: str = "rdd", horizon_months: int = 12, bandwidth: float = 3.5,
                    kernel: str = "triangular", degree: int = 1, n_resamples: int = 499, seed: int = 0,
                    level: float = 0.95, followup_window_days: int = 7, frame: pd.DataFrame | None = None
                    ) -> FollowupEffect:
    """The effect of calling back a detractor on churn, by one design.

    Parameters
    ----------
    data : cxlab.io.CXData or cxlab.synth.SimulatedWorld
        Loaded data or a simulated world (``customers``, ``surveys``, ``cases``).
    as_of : str or pandas.Timestamp, optional
        Analysis date (default: the data's).
    method : {"rdd", "ipw", "aipw", "naive"}
        The design, see the module docstring.
    horizon_months : int
        Months after the answer over which churn counts.
    bandwidth, kernel, degree : float, str, int
        Regression discontinuity only: scores within ``bandwidth`` of 6.5 enter; ``degree`` 0 with a
        uniform kernel is local randomisation in the window (bandwidth 0.5: {6, 7}; 1.5: {5..8}).
    n_resamples, seed : int
        Bootstrap over customers (regression discontinuity only).
    level : float
        Confidence level.
    followup_window_days : int
        Answers younger than this are left out.
    frame : pandas.DataFrame, optional
        A ready :func:`answer_frame` of the data (to share it between designs).

    Returns
    -------
    FollowupEffect

    Examples
    --------
    >>> from cxlab.synth import simulate
    >>> effect = followup_effect(simulate(n_customers=3000, seed=2), method="naive")
    >>> effect.method, effect.value < 1
    ('naive', True)
    """
    if method not in METHODS:
        raise ValueError(f"followup_effect: method must be one of {METHODS}, got {method!r}")
    if frame is None:
        frame = answer_frame(data, as_of=as_of, horizon_months=horizon_months,
                             followup_window_days=followup_window_days)
    elif frame.attrs.get("horizon_months") != horizon_months:
        raise ValueError("followup_effect: the frame was built for another horizon_months")
    if method == "rdd":
        found = _rdd(frame, bandwidth=bandwidth, kernel=kernel, degree=degree, n_resamples=n_resamples, seed=seed,
                     level=level)
    elif method == "ipw":
        found = _ipw(_detractors(frame), horizon_months=horizon_months, level=level)
    elif method == "aipw":
        found = _aipw(_detractors(frame), level=level)
    else:
        found = _naive(_detractors(frame), horizon_months=horizon_months, level=level)
    main = {k: found.pop(k) for k in ("value", "ci_low", "ci_high", "n", "risk_difference")}
    return FollowupEffect(method=method, horizon_months=horizon_months, level=level, estimand=ESTIMANDS[method],
                          diagnostics=found, **main)


def speed_effect(frame: pd.DataFrame, *, level: float = 0.95) -> FollowupEffect:
    """Does answering within the promise matter? Followed-up detractors answered on time vs later.

    Among followed-up detractor answers whose first response is decided (``within_sla`` 1/0), an
    inverse-probability weighted Cox model compares those answered within the SLA with those
    answered later, weighting by a logistic model of being on time (the covariates of the follow-up
    model plus ``team``). Same assumption as ``ipw``: no unmeasured confounding of the speed.

    Parameters
    ----------
    frame : pandas.DataFrame
        An :func:`answer_frame`.
    level : float
        Confidence level.

    Returns
    -------
    FollowupEffect
        ``value``: hazard ratio of churn, on time vs late; ``method`` ``"ipw"``.
    """
    cases = _detractors(frame)
    cases = cases[(cases["followup"] == 1) & cases["within_sla"].notna()].reset_index(drop=True)
    cases = cases.assign(on_time=cases["within_sla"].astype(int), team=cases["team"].astype(str))
    found = _ipw(cases, horizon_months=frame.attrs["horizon_months"], level=level, treatment="on_time",
                 covariates=[*PROPENSITY_COVARIATES, "team"])
    found["overlap"] = found["overlap"].replace({"followed up": "on time", "not followed up": "late"})
    main = {k: found.pop(k) for k in ("value", "ci_low", "ci_high", "n", "risk_difference")}
    return FollowupEffect(method="ipw", horizon_months=frame.attrs["horizon_months"], level=level,
                          estimand="hazard ratio of churn, follow-ups answered within the SLA vs later, "
                                   "inverse-probability weighted Cox model", diagnostics=found, **main)


# --------------------------------------------------------------------------- falsification
def placebo_thresholds(frame: pd.DataFrame, *, cutoffs=(5.5, 7.5), bandwidth: float = 3.5,
                       level: float = 0.95) -> pd.DataFrame:
    """Jumps in churn and follow-up at cutoffs where nothing changes (5/6 and 7/8).

    Within the scores ``6.5 +- bandwidth`` the outcome is regressed on a line on each side of the
    real threshold, the real jump, and a step at the placebo cutoff (on its side of the
    threshold); the step's coefficient should be zero. Standard errors are clustered by customer.

    Parameters
    ----------
    frame : pandas.DataFrame
        An :func:`answer_frame`.
    cutoffs : tuple of float
        Placebo cutoffs.
    bandwidth : float
        Half-width of the score window around 6.5.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per cutoff and outcome (``churn_within``, ``followup``; the follow-up is left out
        on a side where it never varies): ``jump``, ``ci_low``, ``ci_high``, ``p``, ``n``.
    """
    data = frame[frame["horizon_observed"] & (np.abs(frame["nps"] - THRESHOLD) <= bandwidth)]
    dx = data["nps"] - THRESHOLD
    below = (dx < 0).astype(float)
    rows = []
    for cutoff in cutoffs:
        step = ((data["nps"] < cutoff) & (dx < 0)) if cutoff < THRESHOLD else ((data["nps"] > THRESHOLD)
                                                                              & (data["nps"] < cutoff))
        design = pd.DataFrame({"const": 1.0, "dx": dx, "below": below, "below_dx": below * dx,
                               "step": step.astype(float)})
        for outcome in ("churn_within", "followup"):
            if data.loc[step.to_numpy(bool) | ((dx < 0) == (cutoff < THRESHOLD)), outcome].nunique() < 2:
                continue  # no follow-ups above the threshold: nothing to test there
            fit = robust_ols(data[outcome].to_numpy(float), design.to_numpy(), groups=data["cluster"], level=level)
            step_at = design.columns.get_loc("step")
            rows.append({"cutoff": cutoff, "outcome": outcome, "jump": fit.params[step_at],
                         "ci_low": fit.ci_low[step_at], "ci_high": fit.ci_high[step_at],
                         "p": fit.pvalues[step_at], "n": fit.nobs})
    return pd.DataFrame(rows)


def covariate_balance(frame: pd.DataFrame, *, bandwidth: float = 3.5, n_resamples: int = 499, seed: int = 0,
                      level: float = 0.95) -> pd.DataFrame:
    """Jumps at the threshold in what was known before the answer (should be none).

    Parameters
    ----------
    frame : pandas.DataFrame
        An :func:`answer_frame`.
    bandwidth : float
        As in :func:`followup_effect`.
    n_resamples, seed : int
        Bootstrap over customers.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per covariate of :data:`BALANCE_COVARIATES`: ``label``, ``below`` (limit from 0-6),
        ``above`` (from 7-10), ``jump``, ``ci_low``, ``ci_high``, ``p`` (normal, bootstrap SE).
    """
    columns = list(BALANCE_COVARIATES)
    fit = rd_jumps(frame, columns, bandwidth=bandwidth, n_resamples=n_resamples, seed=seed)
    rows = []
    for position, column in enumerate(columns):
        jump = float(fit["left"][column] - fit["right"][column])
        draws = fit["left_draws"][:, position] - fit["right_draws"][:, position]
        low, high = _interval(draws, level)
        se = float(np.nanstd(draws, ddof=1))
        rows.append({"covariate": column, "label": BALANCE_COVARIATES[column], "below": fit["left"][column],
                     "above": fit["right"][column], "jump": jump, "ci_low": low, "ci_high": high,
                     "p": float(2 * stats.norm.sf(abs(jump) / se)) if se > 0 else np.nan})
    return pd.DataFrame(rows)


def answer_density(frame: pd.DataFrame, *, scores=range(2, 10), level: float = 0.95) -> dict:
    """Is there a dip or heap of answers at the threshold? A discrete density test.

    Counts of answers per score are fitted by a Poisson regression with a quadratic in the score
    and a step for 0-6; a step ratio far from 1 would mean answers are pushed across the threshold
    (for example customers who learn that a 6 brings a call). Scores 0-1 (very few) and 10 (the
    top of the scale heaps answers) are left out by default. Density tests for continuous running
    variables (``rddensity``) have no asymptotic test with eleven mass points, hence this one.

    Parameters
    ----------
    frame : pandas.DataFrame
        An :func:`answer_frame`.
    scores : iterable of int
        Scores fitted.
    level : float
        Confidence level.

    Returns
    -------
    dict
        ``counts`` (Series by score), ``ratio`` (observed/expected density just below vs above),
        ``ci_low``, ``ci_high``, ``p``.
    """
    scores = np.asarray(list(scores))
    counts = frame["nps"].value_counts().reindex(scores, fill_value=0)
    centred = scores - THRESHOLD
    design = pd.DataFrame({"const": 1.0, "s": centred, "s2": centred**2, "below": (centred < 0).astype(float)})
    fit = sm.GLM(counts.to_numpy(float), design, family=sm.families.Poisson()).fit()
    scale = max(float(fit.pearson_chi2 / fit.df_resid), 1.0) if fit.df_resid > 0 else 1.0
    fit = sm.GLM(counts.to_numpy(float), design, family=sm.families.Poisson()).fit(scale=scale)
    low, high = fit.conf_int(1 - level).loc["below"]
    return {"counts": counts, "ratio": float(np.exp(fit.params["below"])), "ci_low": float(np.exp(low)),
            "ci_high": float(np.exp(high)), "p": float(fit.pvalues["below"]), "overdispersion": scale}


def local_randomisation_p(frame: pd.DataFrame, *, window=(6, 7)) -> float:
    """Fisher's exact permutation p-value of the difference in churn between the two sides of a score window.

    Under random assignment of the side labels within the window, the churners on the lower side
    follow a hypergeometric distribution, so the p-value is computed exactly rather than from
    sampled permutations.

    Parameters
    ----------
    frame : pandas.DataFrame
        An :func:`answer_frame` (``churn_within`` is 0/1).
    window : tuple of int
        Lowest and highest score of the window.

    Returns
    -------
    float
        Probability, over all reassignments of the side labels, of an absolute difference in the
        churned share at least the observed one.

    Examples
    --------
    >>> frame = pd.DataFrame({"nps": [6, 6, 7, 7], "churn_within": [1.0, 1.0, 0.0, 0.0], "horizon_observed": True})
    >>> round(local_randomisation_p(frame), 4)  # 2 of the 6 assignments are as extreme
    0.3333
    """
    data = frame[frame["horizon_observed"] & frame["nps"].between(*window)]
    churned = data["churn_within"].to_numpy(float)
    lower = (data["nps"] <= DETRACTOR_MAX).to_numpy()
    n, n_lower, n_churned = len(churned), int(lower.sum()), int(churned.sum())
    possible = np.arange(max(0, n_churned - (n - n_lower)), min(n_lower, n_churned) + 1)
    difference = np.abs(possible / n_lower - (n_churned - possible) / (n - n_lower))
    observed = abs(churned[lower].mean() - churned[~lower].mean())
    extreme = difference >= observed - 1e-12
    return float(min(1.0, stats.hypergeom.pmf(possible[extreme], n, n_churned, n_lower).sum()))
