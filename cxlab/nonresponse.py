"""Silent customers: who does not answer surveys, how they differ, and an NPS corrected for it.

* :func:`response_rates` - share of invitations answered per segment, touchpoint or channel
  (Wilson intervals, small groups suppressed).
* :func:`respondent_comparison` and :func:`respondent_survival_frame` - customers who answered
  their first relationship invitation vs those who did not, on churn and revenue.
* :func:`propensity_frame` and :class:`NonresponseWeighting` - the relationship NPS reweighted to
  everyone invited, by inverse-probability weighting (IPW): a logistic response-propensity model
  on what is known about the customer at invitation time (segment, region, contract, acquisition
  channel, survey channel, tenure, CSAT and CES they gave in the previous months, how often they
  answered earlier invitations, the NPS they gave before and the category of their latest NPS
  answer). Each respondent counts 1 / p̂ times, so groups that rarely answer are not
  under-represented.

What the correction assumes, stated plainly: response depends only on what the model sees (the
answers are *missing at random* given the covariates). IPW then removes the non-response bias,
e.g. customers who were detractors last time and stop answering: their earlier answers are on
record, so the detractors who still answer speak for them. If willingness to answer depends on
satisfaction beyond what the covariates capture (unhappy customers staying silent for reasons
not visible in their history), the weighted NPS is only partly corrected and still leans towards
the respondents' view. Earlier NPS answers, recent CSAT/CES and past response behaviour are
included because they are the observed record of that satisfaction. On the simulated demo world
response follows exactly such observed history (:mod:`cxlab.synth`), and the weighted NPS
recovers the generator's true population NPS where the raw NPS misses it by several points.

Two checks of the correction: :meth:`NonresponseWeighting.weight_diagnostics` and
:meth:`~NonresponseWeighting.trimming_effect` (do the weights rest on a few answers of
customers who almost never answer?), and :meth:`~NonresponseWeighting.mnar_sensitivity` with
its :meth:`~NonresponseWeighting.tipping_point` (how far the corrected NPS moves if silent
customers are ``delta`` points less likely to recommend than similar respondents, and which
``delta`` would make the raw NPS right).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from scipy import linalg, stats

from cxlab import metrics
from cxlab.display import suppress_small
from cxlab.drivers import latest_before, totals_before
from cxlab.identifiers import as_text_ids, attributes_of
from cxlab.metrics import wilson_interval
from cxlab.patterns import fit_logit_on_patterns
from cxlab.periods import as_of_end, known_by
from cxlab.schema import RELATIONSHIP
from cxlab.survival.frames import nps_category_codes, nps_category_text
from cxlab.tenure import DAYS_PER_MONTH, tenure_frame

__all__ = ["CUSTOMER_ATTRIBUTES", "DEFAULT_COVARIATES", "HISTORY_TOTALS", "INTERVALS", "KEY", "NonresponseWeighting",
           "first_invitations", "invitation_history", "ipw_nps", "propensity_frame", "propensity_frame_from_history",
           "respondent_comparison", "respondent_frame", "respondent_survival_frame", "response_counts",
           "response_rates", "response_rates_from_counts"]

CUSTOMER_ATTRIBUTES = ("segment", "region", "contract", "acquisition_channel")
DEFAULT_COVARIATES = (
    "segment",
    "region",
    "contract",
    "acquisition_channel",
    "channel",
    "tenure_months_at_invitation",
    "recent_csat",
    "recent_ces",
    "prior_response_rate",
    "prior_nps_mean",
    "prior_nps_category",
)
INTERVALS = ("linearization", "bootstrap")
HISTORY_TOTALS = ("prior_invitations", "prior_responses", "recent_csat_sum", "recent_csat_n", "recent_ces_sum",
                  "recent_ces_n", "prior_nps_sum", "prior_nps_n", "latest_nps")
KEY = "_customer_key"  # integer code of customer_id inside propensity_frame


def _require(df: pd.DataFrame, columns, table: str, caller: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{caller}: {table} table lacks column(s) {missing}")



def _mature(sent_at: pd.Series, as_of, response_window_days: int) -> np.ndarray:
    """Which invitations are old enough for their answer to be in (sent at least the window before as_of)."""
    return (sent_at < as_of_end(as_of) - pd.Timedelta(days=response_window_days)).to_numpy()


def _mature_invitations(
    surveys: pd.DataFrame, as_of: pd.Timestamp, response_window_days: int
) -> pd.DataFrame:
    """The invitations old enough for their answer to be in, with ``responded`` (0/1) as of ``as_of``."""
    sent = pd.to_datetime(surveys["sent_at"], cache=False)
    inv = surveys.take(np.flatnonzero(_mature(sent, as_of, response_window_days)))
    inv["customer_id"] = as_text_ids(inv["customer_id"])
    inv["sent_at"] = pd.to_datetime(inv["sent_at"], cache=False)
    answered_at = pd.to_datetime(inv["responded_at"], cache=False)
    inv["responded"] = known_by(answered_at, as_of=as_of).astype(int)
    return inv


def response_counts(
    surveys: pd.DataFrame,
    *,
    as_of,
    by: str = "touchpoint",
    customers: pd.DataFrame | None = None,
    response_window_days: int = 7,
) -> pd.DataFrame:
    """Invitations old enough to have been answered, and the answers to them, per group.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    as_of : str or pandas.Timestamp
        Analysis date; answers received after it count as none.
    by : str
        A surveys column (``touchpoint``, ``channel``) or a customers column (``segment``,
        ``region``, ``contract``; then ``customers`` is required).
    customers : pandas.DataFrame, optional
        A ``customers`` table for customer-level groupings.
    response_window_days : int
        Days an invitation is given to be answered: younger invitations are not counted.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``invitations``, ``responses``, one row per group (sorted); invitations of customers
        without a value of ``by`` are in no group.
    """
    _require(surveys, ["customer_id", "sent_at", "responded_at"], "surveys", "response_counts")
    as_of = pd.Timestamp(as_of)
    needed = ["customer_id", "sent_at", "responded_at", *([by] if by in surveys.columns else [])]
    inv = _mature_invitations(surveys[list(dict.fromkeys(needed))], as_of, response_window_days)
    if by not in inv.columns:
        if customers is None:
            raise ValueError(f"response_counts: {by!r} is not a surveys column; pass customers to group by it")
        _require(customers, ["customer_id", by], "customers", "response_counts")
        inv = inv.assign(**attributes_of(inv["customer_id"], customers, [by]))
    return inv.groupby(by).agg(invitations=("responded", "size"), responses=("responded", "sum")).reset_index()


def response_rates_from_counts(
    counts: pd.DataFrame, *, by: str, min_cell_size: int = 30, level: float = 0.95
) -> pd.DataFrame:
    """Share of invitations answered per group, with Wilson intervals, from :func:`response_counts`.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``by``, ``invitations`` and ``responses`` per group (:func:`response_counts`, or the same counts
        from :meth:`cxlab.engine.Engine.response_counts`); rows without a group are left out.
    by : str
        The group column.
    min_cell_size : int
        Groups with fewer invitations have their rates blanked.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        As :func:`response_rates`.

    Examples
    --------
    >>> counts = pd.DataFrame({"channel": ["email", "sms"], "invitations": [40, 10], "responses": [10, 5]})
    >>> response_rates_from_counts(counts, by="channel")["response_rate"].tolist()
    [25.0, nan]
    """
    table = counts.loc[counts[by].notna(), [by, "invitations", "responses"]].reset_index(drop=True)
    low, high = wilson_interval(table["responses"], table["invitations"], level)
    table["response_rate"] = 100 * table["responses"] / table["invitations"]
    table["ci_low"], table["ci_high"] = 100 * low, 100 * high
    return suppress_small(
        table, n_col="invitations", min_cell_size=min_cell_size, value_cols=["response_rate", "ci_low", "ci_high"]
    )


def response_rates(
    surveys: pd.DataFrame,
    *,
    as_of,
    by: str = "touchpoint",
    customers: pd.DataFrame | None = None,
    response_window_days: int = 7,
    min_cell_size: int = 30,
    level: float = 0.95,
) -> pd.DataFrame:
    """Share of survey invitations answered, per group, with Wilson intervals.

    Only invitations sent at least ``response_window_days`` before ``as_of`` are counted, so that
    recent invitations that may still be answered do not pull the rate down.

    Parameters
    ----------
    surveys, as_of, by, customers, response_window_days
        As :func:`response_counts`.
    min_cell_size : int
        Groups with fewer invitations have their rates blanked.
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``invitations``, ``responses``, ``response_rate`` (%), ``ci_low``, ``ci_high`` (%),
        ``suppressed``.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": ["a", "b", "c"], "touchpoint": ["support"] * 3,
    ...     "sent_at": pd.to_datetime(["2025-01-01"] * 3, cache=False),
    ...     "responded_at": pd.to_datetime(["2025-01-02", None, None], cache=False)})
    >>> float(response_rates(s, as_of="2025-06-30", min_cell_size=1)["responses"].iloc[0])
    1.0
    """
    counts = response_counts(surveys, as_of=as_of, by=by, customers=customers,
                             response_window_days=response_window_days)
    return response_rates_from_counts(counts, by=by, min_cell_size=min_cell_size, level=level)


def first_invitations(
    surveys: pd.DataFrame,
    *,
    as_of,
    touchpoint: str = RELATIONSHIP,
    response_window_days: int = 7,
) -> pd.DataFrame:
    """Each customer's first invitation to one survey, and whether it was answered by the as-of date.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    as_of : str or pandas.Timestamp
        Analysis date.
    touchpoint : str
        The survey.
    response_window_days : int
        Days an invitation is given to be answered: invitations younger than this are left out.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``sent_at``, ``responded`` (0/1), one row per customer, in the order of
        ``sent_at`` and then ``invitation_id`` (of two invitations sent at once, the smaller id is the
        first); ``attrs["as_of"]`` is the as-of date.
    """
    _require(surveys, ["invitation_id", "customer_id", "touchpoint", "sent_at", "responded_at"], "surveys",
             "first_invitations")
    as_of = pd.Timestamp(as_of)
    inv = _mature_invitations(surveys[surveys["touchpoint"] == touchpoint], as_of, response_window_days)
    first = inv.sort_values(["sent_at", "invitation_id"], kind="stable").drop_duplicates("customer_id")
    first = first[["customer_id", "sent_at", "responded"]].reset_index(drop=True)
    first.attrs["as_of"] = as_of
    return first


def respondent_frame(first: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """:func:`respondent_survival_frame` from the customers' first invitations (:func:`first_invitations`).

    Parameters
    ----------
    first : pandas.DataFrame
        :func:`first_invitations`, or the same rows from :meth:`cxlab.engine.Engine.first_invitations`.
    customers : pandas.DataFrame
        A ``customers`` table; not modified.

    Returns
    -------
    pandas.DataFrame
        As :func:`respondent_survival_frame`.
    """
    _require(
        customers, ["customer_id", "churned_at", "monthly_revenue"], "customers", "respondent_survival_frame"
    )
    attrs = [c for c in CUSTOMER_ATTRIBUTES if c in customers.columns]
    info = customers[["customer_id", "churned_at", "monthly_revenue", *attrs]].assign(
        customer_id=lambda d: as_text_ids(d["customer_id"])
    )
    frame = first.assign(customer_id=as_text_ids(first["customer_id"])).merge(info, on="customer_id", how="inner")
    frame = frame[~(pd.to_datetime(frame["churned_at"], cache=False) < frame["sent_at"])]
    out = tenure_frame(frame, as_of=first.attrs["as_of"], acquired_col="sent_at", churned_col="churned_at")
    return out[
        ["customer_id", "sent_at", "responded", "tenure_months", "churned", "monthly_revenue", *attrs]
    ].reset_index(drop=True)


def respondent_survival_frame(
    surveys: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    as_of,
    touchpoint: str = RELATIONSHIP,
    response_window_days: int = 7,
) -> pd.DataFrame:
    """Customers by whether they answered their first invitation, with time to churn from it.

    Grouping on the *first* invitation (not "ever answered") avoids immortal-time bias: a
    customer who stays longer gets more invitations and so more chances to answer.

    Parameters
    ----------
    surveys, customers : pandas.DataFrame
        ``surveys`` and ``customers`` tables; not modified.
    as_of : str or pandas.Timestamp
        Analysis date.
    touchpoint : str
        Survey whose first invitation defines the groups.
    response_window_days : int
        Days an invitation is given to be answered (younger first invitations are left out).

    Returns
    -------
    pandas.DataFrame
        One row per invited customer: ``customer_id``, ``sent_at``, ``responded`` (0/1),
        ``tenure_months`` and ``churned`` from the invitation to churn or ``as_of`` (timing of
        :func:`cxlab.tenure.tenure_frame`), ``monthly_revenue`` and customer attributes. Ready for
        lifelines' ``KaplanMeierFitter`` grouped by ``responded``.
    """
    first = first_invitations(surveys, as_of=as_of, touchpoint=touchpoint,
                              response_window_days=response_window_days)
    return respondent_frame(first, customers)


def respondent_comparison(
    frame: pd.DataFrame, *, horizon_months: int = 12, level: float = 0.95
) -> pd.DataFrame:
    """Respondents vs non-respondents: churn within a horizon and monthly revenue, with intervals.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`respondent_survival_frame`.
    horizon_months : int
        Churn is the Kaplan-Meier probability of churning within this many months of the first
        invitation (censoring handled; an unweighted "share churned" would favour groups
        observed for less time).
    level : float
        Confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per group (``answered``/``did not answer``): ``customers``, ``churned`` (events
        observed), ``churn_within_horizon`` (%) with ``churn_ci_low``/``churn_ci_high`` (Greenwood
        log-log), ``mean_monthly_revenue`` with ``revenue_ci_low``/``revenue_ci_high`` (t interval).
    """
    from lifelines import KaplanMeierFitter

    _require(
        frame,
        ["responded", "tenure_months", "churned", "monthly_revenue"],
        "survival frame",
        "respondent_comparison",
    )
    rows = []
    for flag, label in ((1, "answered"), (0, "did not answer")):
        part = frame[frame["responded"] == flag]
        row = {"group": label, "customers": len(part), "churned": int(part["churned"].sum())}
        if len(part):
            kmf = KaplanMeierFitter(alpha=1 - level).fit(part["tenure_months"], part["churned"])
            surv = kmf.survival_function_.iloc[:, 0]
            ci = kmf.confidence_interval_survival_function_
            upto = surv.index <= horizon_months
            row["churn_within_horizon"] = 100 * (1 - float(surv[upto].iloc[-1]))
            row["churn_ci_low"] = 100 * (1 - float(ci[upto].iloc[-1, 1]))
            row["churn_ci_high"] = 100 * (1 - float(ci[upto].iloc[-1, 0]))
            revenue = part["monthly_revenue"].astype(float)
            mean, se = revenue.mean(), revenue.std(ddof=1) / np.sqrt(len(revenue))
            half = stats.t.ppf(0.5 + level / 2, len(revenue) - 1) * se if len(revenue) > 1 else np.nan
            row.update(mean_monthly_revenue=mean, revenue_ci_low=mean - half, revenue_ci_high=mean + half)
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs["horizon_months"] = horizon_months
    return out


def invitation_history(
    surveys: pd.DataFrame,
    *,
    as_of,
    touchpoint: str = RELATIONSHIP,
    response_window_days: int = 7,
    recent_days: int = 180,
    sent_after=None,
) -> pd.DataFrame:
    """The invitations of :func:`propensity_frame` with the totals of what was known when each was sent.

    Nothing after ``sent_at`` counts: the customer's transactional answers given in
    ``[sent_at - recent_days, sent_at)``; the invitations (any survey) sent and the answers given
    strictly before ``sent_at``; the answers to this survey given strictly before ``sent_at``.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    as_of, touchpoint, response_window_days, recent_days, sent_after
        As :func:`propensity_frame`.

    Returns
    -------
    pandas.DataFrame
        One row per invitation, in the order of ``sent_at`` and then ``invitation_id``:
        ``invitation_id``, ``customer_id``, ``sent_at``, ``responded`` (0/1), ``nps`` (missing
        without an answer), ``channel``, and the totals :data:`HISTORY_TOTALS`:
        ``prior_invitations``, ``prior_responses``, ``recent_csat_sum``/``recent_csat_n`` and
        ``recent_ces_sum``/``recent_ces_n`` (sum and number of the recent answers),
        ``prior_nps_sum``/``prior_nps_n`` (earlier answers to this survey) and ``latest_nps`` (the
        score of the latest of them, missing if none or if it gave no score; of answers given at
        the same instant, the one with the larger invitation id). ``attrs`` records the arguments.
    """
    columns = ["invitation_id", "customer_id", "touchpoint", "channel", "sent_at", "responded_at", "nps", "csat",
               "ces"]
    _require(surveys, columns, "surveys", "propensity_frame")
    as_of = pd.Timestamp(as_of)
    sent_at = pd.to_datetime(surveys["sent_at"], cache=False)
    responded_at = pd.to_datetime(surveys["responded_at"], cache=False)
    known = known_by(sent_at, as_of=as_of).to_numpy()
    answered = known & known_by(responded_at, as_of=as_of).to_numpy()
    this_survey = (surveys["touchpoint"] == touchpoint).to_numpy(dtype=bool, na_value=False)
    # Integer customer keys, hashed once: the look-ups below match on them instead of on text. The
    # events are numbers only; text is taken just for the invitations returned.
    key = pd.factorize(as_text_ids(surveys["customer_id"]))[0]
    events = pd.DataFrame({KEY: key, "sent_at": sent_at.to_numpy(), "responded_at": responded_at.to_numpy()})
    returned = known & this_survey & _mature(sent_at, as_of, response_window_days)
    if sent_after is not None:
        returned &= (sent_at > pd.Timestamp(sent_after)).to_numpy()
    rows = np.flatnonzero(returned)
    inv = pd.DataFrame({
        "invitation_id": surveys["invitation_id"].take(rows).array,
        "customer_id": as_text_ids(surveys["customer_id"].take(rows)).array,
        KEY: key[rows],
        "sent_at": sent_at.take(rows).to_numpy(),
        "responded": answered[rows].astype(int),
        "nps": surveys["nps"].take(rows).to_numpy(dtype=float),
        "channel": surveys["channel"].take(rows).array,
    })
    inv["nps"] = inv["nps"].where(inv["responded"] == 1)

    transactional = events.assign(csat=surveys["csat"].to_numpy(dtype=float), ces=surveys["ces"].to_numpy(dtype=float))[
        answered & (surveys["touchpoint"] != RELATIONSHIP).to_numpy(dtype=bool, na_value=False)]
    recent = totals_before(transactional, inv, event_time="responded_at", query_time="sent_at",
                           value_cols=["csat", "ces"], window_days=recent_days, by=KEY)
    for col in ("csat", "ces"):
        for total in ("sum", "n"):
            inv[f"recent_{col}_{total}"] = recent[f"{col}_{total}"].to_numpy()
    inv["prior_invitations"] = totals_before(
        events.loc[known, [KEY, "sent_at"]].assign(one=1.0), inv, event_time="sent_at", query_time="sent_at",
        value_cols=["one"], by=KEY,
    )["one_n"].astype(int).to_numpy()
    inv["prior_responses"] = totals_before(
        events.loc[answered, [KEY, "responded_at"]].assign(one=1.0), inv, event_time="responded_at",
        query_time="sent_at", value_cols=["one"], by=KEY,
    )["one_n"].astype(int).to_numpy()
    # earlier answers to this survey; by invitation id first, so that of answers given at the same
    # instant the larger id is the latest
    earlier = events.assign(nps=surveys["nps"].to_numpy(dtype=float))[answered & this_survey]
    earlier = earlier.take(np.argsort(surveys["invitation_id"].to_numpy()[answered & this_survey], kind="stable"))
    earlier_nps = totals_before(earlier, inv, event_time="responded_at", query_time="sent_at", value_cols=["nps"],
                                by=KEY)
    inv["prior_nps_sum"], inv["prior_nps_n"] = earlier_nps["nps_sum"].to_numpy(), earlier_nps["nps_n"].to_numpy()
    inv["latest_nps"] = latest_before(earlier, inv, event_time="responded_at", query_time="sent_at",
                                      value_col="nps", by=KEY)
    inv = inv[["invitation_id", "customer_id", "sent_at", "responded", "nps", "channel", *HISTORY_TOTALS]]
    inv = inv.sort_values(["sent_at", "invitation_id"], kind="stable", ignore_index=True)
    inv.attrs.update(as_of=as_of, response_window_days=response_window_days, recent_days=recent_days,
                     sent_after=None if sent_after is None else pd.Timestamp(sent_after))
    return inv


def propensity_frame_from_history(history: pd.DataFrame, customers: pd.DataFrame | None) -> pd.DataFrame:
    """:func:`propensity_frame` from the invitations with their totals (:func:`invitation_history`).

    Parameters
    ----------
    history : pandas.DataFrame
        :func:`invitation_history`, or the same rows from :meth:`cxlab.engine.Engine.invitation_history`.
    customers : pandas.DataFrame or None
        A ``customers`` table (adds segment, region, contract, acquisition channel and tenure).

    Returns
    -------
    pandas.DataFrame
        As :func:`propensity_frame`, in the rows' order of ``history``.
    """
    inv = history[["invitation_id", "customer_id", "sent_at", "responded", "nps", "channel"]].copy()
    for col in ("csat", "ces"):
        n = history[f"recent_{col}_n"]
        inv[f"recent_{col}"] = (history[f"recent_{col}_sum"] / n.where(n > 0)).to_numpy(dtype=float)
    sent_before, answered_before = history["prior_invitations"], history["prior_responses"]
    inv["prior_invitations"] = sent_before.astype(int).to_numpy()
    inv["prior_responses"] = answered_before.astype(int).to_numpy()
    inv["prior_response_rate"] = (
        (answered_before / sent_before.where(sent_before > 0)).clip(upper=1).to_numpy(dtype=float)
    )
    n = history["prior_nps_n"]
    inv["prior_nps_mean"] = (history["prior_nps_sum"] / n.where(n > 0)).to_numpy(dtype=float)
    inv["prior_nps_category"] = nps_category_text(nps_category_codes(history["latest_nps"]))  # not a string each
    if customers is not None:
        _require(customers, ["customer_id", "acquired_at"], "customers", "propensity_frame")
        attrs = [c for c in CUSTOMER_ATTRIBUTES if c in customers.columns]
        for name, values in attributes_of(inv["customer_id"], customers, ["acquired_at", *attrs]).items():
            inv[name] = values
        days = (inv["sent_at"] - pd.to_datetime(inv["acquired_at"], cache=False)).dt.total_seconds() / 86_400
        inv["tenure_months_at_invitation"] = (days / DAYS_PER_MONTH).clip(lower=0)
        del inv["acquired_at"]
    inv.attrs.update(history.attrs)
    return inv


def propensity_frame(
    surveys: pd.DataFrame,
    customers: pd.DataFrame | None,
    *,
    as_of,
    touchpoint: str = RELATIONSHIP,
    response_window_days: int = 7,
    recent_days: int = 180,
    sent_after=None,
) -> pd.DataFrame:
    """Relationship invitations with what was known about the customer when each was sent.

    Nothing after ``sent_at`` is used: recent CSAT/CES are means of the customer's transactional
    answers given in ``[sent_at - recent_days, sent_at)``; prior response behaviour counts the
    invitations (any survey) sent and the answers given strictly before ``sent_at``; earlier NPS
    answers are those to this survey given strictly before ``sent_at``.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    customers : pandas.DataFrame or None
        A ``customers`` table (adds segment, region, contract, acquisition channel and tenure).
    as_of : str or pandas.Timestamp
        Analysis date; invitations younger than ``response_window_days`` are left out.
    touchpoint : str
        The survey whose answers are reweighted.
    response_window_days : int
        Days an invitation is given to be answered.
    recent_days : int
        Look-back window for recent CSAT/CES.
    sent_after : str or pandas.Timestamp, optional
        Return only the invitations sent after this instant (e.g. those of the last 12 months);
        what was known when each was sent still counts every earlier invitation and answer.

    Returns
    -------
    pandas.DataFrame
        One row per invitation, in the order of ``sent_at`` and then ``invitation_id``:
        ``invitation_id``, ``customer_id``, ``sent_at``, ``responded``
        (0/1), ``nps``, ``channel``, customer attributes, ``tenure_months_at_invitation``,
        ``recent_csat``, ``recent_ces`` (NaN when none), ``prior_invitations``,
        ``prior_responses``, ``prior_response_rate`` (NaN without an earlier invitation),
        ``prior_nps_mean`` (mean of the customer's earlier answers to this survey; NaN if none),
        ``prior_nps_category`` (``detractor`` 0-6, ``passive`` 7-8 or ``promoter`` 9-10 of the latest
        of those answers; ``no_response`` if none).
    """
    history = invitation_history(surveys, as_of=as_of, touchpoint=touchpoint,
                                 response_window_days=response_window_days, recent_days=recent_days,
                                 sent_after=sent_after)
    return propensity_frame_from_history(history, customers)


def _design(frame: pd.DataFrame, covariates: list[str]) -> pd.DataFrame:
    """Numeric design matrix: dummies for categories, mean-imputed numbers with missing flags.

    The columns are those of ``pandas.get_dummies(drop_first=True)`` for each category and of the
    number with a ``<col>_missing`` flag where some values are missing, after a constant; constant
    columns and columns that depend linearly on earlier ones are left out. Only the columns that
    vary are filled, into one column-major matrix that the returned frame holds without a copy.
    """
    n = len(frame)
    names, fills = ["const"], [lambda out: out.fill(1.0)]
    for col in covariates:
        values = frame[col]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            if not pd.api.types.is_string_dtype(values) or values.hasnans:
                values = values.astype(str)  # a missing value is a level of its own, named as text
            codes, levels = pd.factorize(values, sort=True)  # levels present, so none is constant
            for level in range(1, len(levels)):  # the first level is the reference
                names.append(f"{col}_{levels[level]}")
                fills.append(lambda out, codes=codes, level=level: np.equal(codes, level, out=out))
        else:
            numeric = values.astype(float)
            filled = numeric.fillna(numeric.mean()).to_numpy()
            if filled.min(initial=np.inf) < filled.max(initial=-np.inf):
                names.append(col)
                fills.append(lambda out, filled=filled: np.copyto(out, filled))
            missing = numeric.isna().to_numpy()
            if missing.any() and not missing.all():
                names.append(f"{col}_missing")
                fills.append(lambda out, missing=missing: np.copyto(out, missing))
    matrix = np.empty((n, len(names)), order="F")
    for position, fill in enumerate(fills):
        fill(matrix[:, position])
    independent = _independent_columns(matrix)
    if len(independent) < len(names):  # moved left in place: a copy of the matrix would double its memory
        for target, source in enumerate(independent):
            matrix[:, target] = matrix[:, source]
        matrix, names = matrix[:, : len(independent)], [names[i] for i in independent]
    return pd.DataFrame(matrix, index=frame.index, columns=names, copy=False)


def _independent_columns(matrix: np.ndarray) -> np.ndarray:
    """Positions of a linearly independent set of columns (e.g. CSAT and CES are always missing together).

    Pivoted Cholesky factorisation of the small Gram matrix ``X'X`` (one pass over the rows, in
    BLAS) picks the columns greedily, each time the one with the largest part outside the span of
    those picked, as pivoted QR of the matrix does; it stops where what is left is rounding
    (LAPACK ``dpstrf``, its default tolerance).
    """
    _, pivot, rank, _ = linalg.lapack.dpstrf(matrix.T @ matrix, lower=0)
    return np.sort(pivot[:rank] - 1)


class NonresponseWeighting:
    """Relationship NPS corrected for non-response by inverse-probability weighting.

    Fit a logistic response-propensity model on the invitation-time covariates of
    :func:`propensity_frame` (on their distinct patterns with counts, the row-level fit:
    :func:`cxlab.patterns.fit_logit_on_patterns`); weight each respondent by 1 / p̂ (with p̂ floored at
    ``min_propensity``), cap the weights at their ``trim_quantile`` quantile and stabilise them
    (multiply by the response rate, so they average about 1). The weighted NPS is the Hájek
    estimator ``100 * sum(w * (promoter - detractor)) / sum(w)``.

    Interval: ``"linearization"`` (default) is the sandwich variance of that ratio with answers
    clustered by customer (a customer answering several times is one sampling unit);
    ``"bootstrap"`` resamples customers (seeded, ``n_resamples`` draws in one matrix product).
    Both treat the weights as fixed: re-estimating the propensity model in each draw is skipped
    because, for a correctly specified model, estimated propensities make IPW *more* precise than
    known ones (Lunceford & Davidian 2004, Statistics in Medicine 23:2937), so the fixed-weight
    interval errs on the wide side. The raw NPS comes from :func:`cxlab.metrics.nps`.

    See the module docstring for what IPW cannot correct.

    Parameters
    ----------
    covariates : list of str, optional
        Columns of the frame used in the propensity model; default those of
        :data:`DEFAULT_COVARIATES` present in the frame.
    min_propensity : float
        Floor on p̂ before inverting.
    trim_quantile : float
        Weights above this quantile of the respondents' weights are set to it (1 = no trimming).
    interval : {"linearization", "bootstrap"}
    n_resamples : int
        Bootstrap draws.
    seed : int
        Bootstrap seed.
    level : float
        Confidence level.

    Attributes
    ----------
    summary : pandas.DataFrame
        Raw and weighted NPS side by side: estimate, ci_low, ci_high, se, responses, effective n.
    raw_ : cxlab.metrics.NPSEstimate
    value_, ci_low_, ci_high_, se_ : float
        Weighted NPS in points, its interval and standard error.
    effective_n_ : float
        Effective sample size of the weighted respondents: Kish's (Σw)² / Σw² divided by the
        design effect of customers answering more than once (``raw_.deff``), the product form of
        the design effect of weighting and clustering (Gabler, Häder & Lahiri 1999, Survey
        Methodology 25:105). Equal to Kish's when every customer answers once.
    n_invited_, n_respondents_, n_trimmed_ : int
    weights_ : pandas.Series
        Stabilised weight of each respondent (index of the frame).
    model_ : cxlab.patterns.LogisticFit
        The propensity model (:func:`cxlab.patterns.fit_logit_on_patterns`): the coefficients and their
        covariance of the logistic regression on the invitations.
    balance_ : pandas.DataFrame
        Mean of each design column among all invited, raw respondents and weighted respondents.
    """

    def __init__(
        self,
        *,
        covariates: list[str] | None = None,
        min_propensity: float = 0.01,
        trim_quantile: float = 0.99,
        interval: str = "linearization",
        n_resamples: int = 2000,
        seed: int = 0,
        level: float = 0.95,
    ):
        if interval not in INTERVALS:
            raise ValueError(f"interval must be one of {INTERVALS}, got {interval!r}")
        if not 0 < min_propensity < 1:
            raise ValueError(f"min_propensity must be in (0, 1), got {min_propensity}")
        if not 0 < trim_quantile <= 1:
            raise ValueError(f"trim_quantile must be in (0, 1], got {trim_quantile}")
        self.covariates = covariates
        self.min_propensity = min_propensity
        self.trim_quantile = trim_quantile
        self.interval = interval
        self.n_resamples = n_resamples
        self.seed = seed
        self.level = level

    def fit(
        self,
        frame: pd.DataFrame,
        *,
        responded_col: str = "responded",
        score_col: str = "nps",
        cluster_col: str = "customer_id",
    ) -> NonresponseWeighting:
        """Fit the propensity model and compute the weighted NPS.

        Parameters
        ----------
        frame : pandas.DataFrame
            One row per invitation (e.g. :func:`propensity_frame`); not modified.
        responded_col : str
            0/1 response indicator.
        score_col : str
            NPS 0-10 of respondents.
        cluster_col : str
            Sampling unit for the interval (a customer).

        Returns
        -------
        NonresponseWeighting
            self, fitted.
        """
        covariates = self.covariates or [c for c in DEFAULT_COVARIATES if c in frame.columns]
        _require(
            frame, [responded_col, score_col, cluster_col, *covariates], "invitations", "NonresponseWeighting"
        )
        responded = frame[responded_col].astype(int).to_numpy()
        if (
            not set(np.unique(responded)) <= {0, 1}
            or responded.sum() == 0
            or responded.sum() == len(responded)
        ):
            raise ValueError(
                f"NonresponseWeighting: {responded_col!r} must be 0/1 with both respondents and "
                "non-respondents"
            )
        scores = frame[score_col].to_numpy(dtype=float)
        if np.isnan(scores[responded == 1]).any():
            raise ValueError(f"NonresponseWeighting: every respondent needs a {score_col!r} score")

        design = _design(frame, covariates)
        logit = fit_logit_on_patterns(design, responded)
        propensity = np.clip(logit.predict(), self.min_propensity, 1.0)
        self.model_ = logit.result  # coefficients and their covariance, not the patterns
        is_resp = responded == 1
        raw_weights = 1.0 / propensity[is_resp]
        cap = np.quantile(raw_weights, self.trim_quantile)
        self.n_trimmed_ = int((raw_weights > cap).sum())
        weights = np.minimum(raw_weights, cap) * is_resp.mean()
        self.weights_ = pd.Series(weights, index=frame.index[is_resp], name="weight")
        self.propensity_ = pd.Series(propensity, index=frame.index, name="propensity")
        self.response_rate_ = float(is_resp.mean())

        resp_scores = scores[is_resp]
        net = np.where(resp_scores >= 9, 100.0, np.where(resp_scores <= 6, -100.0, 0.0))
        self.value_ = float(np.sum(weights * net) / np.sum(weights))
        clusters = pd.factorize(frame[cluster_col].to_numpy()[is_resp])[0]
        self._net, self._clusters, self._responded = net, clusters, responded
        self.se_, self.ci_low_, self.ci_high_ = self._interval(weights, net, clusters, self.value_)
        self.n_invited_ = int(len(frame))
        self.n_respondents_ = int(is_resp.sum())
        self.raw_ = metrics.nps(resp_scores, clusters=clusters, level=self.level)
        self.effective_n_ = float(weights.sum() ** 2 / np.sum(weights**2)) / self.raw_.deff

        # means as products of the design with row weights: no copy of the design's rows
        matrix, all_weights = design.to_numpy(), np.zeros(len(design))
        all_weights[is_resp] = weights
        self.balance_ = pd.DataFrame(
            {
                "invited": matrix.mean(axis=0),
                "respondents": is_resp.astype(float) @ matrix / is_resp.sum(),
                "weighted_respondents": all_weights @ matrix / weights.sum(),
            },
            index=design.columns,
        ).drop(index="const")
        self.covariates_ = covariates
        return self

    def _interval(
        self, weights: np.ndarray, net: np.ndarray, clusters: np.ndarray, value: float
    ) -> tuple[float, float, float]:
        z = stats.norm.ppf(0.5 + self.level / 2)
        n_clusters = int(clusters.max()) + 1
        if self.interval == "linearization":
            # Influence of each customer on the ratio estimator sum(w*y)/sum(w).
            influence = np.bincount(clusters, weights=weights * (net - value), minlength=n_clusters)
            variance = n_clusters / (n_clusters - 1) * np.sum(influence**2) / weights.sum() ** 2
            se = float(np.sqrt(variance))
            return se, max(-100.0, value - z * se), min(100.0, value + z * se)
        numerator = np.bincount(clusters, weights=weights * net, minlength=n_clusters)
        denominator = np.bincount(clusters, weights=weights, minlength=n_clusters)
        rng = np.random.default_rng(self.seed)
        draws = rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=self.n_resamples)
        estimates = (draws @ numerator) / (draws @ denominator)
        tail = (1 - self.level) / 2
        low, high = np.quantile(estimates, [tail, 1 - tail])
        return float(estimates.std(ddof=1)), float(low), float(high)

    def _check_fitted(self) -> None:
        if not hasattr(self, "value_"):
            raise ValueError("NonresponseWeighting: call fit() first")

    def _inverse_propensity(self) -> np.ndarray:
        """1 / p̂ of each respondent, before trimming (p̂ floored at ``min_propensity``)."""
        return 1.0 / self.propensity_.to_numpy()[self._responded == 1]

    def weight_diagnostics(self) -> pd.DataFrame:
        """Overlap diagnostic: how the response propensities and the weights are distributed.

        Inverse-probability weighting needs every kind of invited customer to have a fair chance
        of answering. Where the silent customers' estimated propensities reach far below any
        respondent's, a few answers carry a large share of the weight and the corrected NPS
        rests on them: the weights' upper quantiles, the largest weight, the share of the total
        weight carried by the top 1% of answers and Kish's effective number of answers show it.

        Returns
        -------
        pandas.DataFrame
            Rows ``minimum``, ``1%``, ``5%``, ``25%``, ``median``, ``75%``, ``95%``, ``99%``,
            ``maximum``, ``mean``, ``answers or invitations``, then ``at the propensity floor``
            (propensity columns), ``share of weight in the top 1% of answers`` and ``Kish
            effective n`` (weight columns); columns the
            propensity among ``respondents`` and among the ``silent`` invitations, and the
            stabilised weight ``before trimming`` and ``as used`` (trimmed at
            ``trim_quantile``).
        """
        self._check_fitted()
        propensity = self.propensity_.to_numpy()
        answered = self._responded == 1
        columns = {
            "propensity: respondents": propensity[answered],
            "propensity: silent": propensity[~answered],
            "weight before trimming": self._inverse_propensity() * self.response_rate_,
            "weight as used": self.weights_.to_numpy(),
        }
        levels = {"minimum": 0.0, "1%": 0.01, "5%": 0.05, "25%": 0.25, "median": 0.5, "75%": 0.75, "95%": 0.95,
                  "99%": 0.99, "maximum": 1.0}
        table = {}
        for name, values in columns.items():
            row = dict(zip(levels, np.quantile(values, list(levels.values())), strict=True))
            row.update({"mean": values.mean(), "answers or invitations": float(len(values))})
            if name.startswith("propensity"):
                row["at the propensity floor"] = float(np.sum(values <= self.min_propensity))
            else:
                top = np.sort(values)[::-1][:max(1, int(np.ceil(0.01 * len(values))))]
                row["share of weight in the top 1% of answers"] = top.sum() / values.sum()
                row["Kish effective n"] = values.sum() ** 2 / np.sum(values**2)
            table[name] = row
        return pd.DataFrame(table)

    def trimming_effect(self, bounds=((0.0, 1.0), (0.0, 0.99), (0.01, 0.99), (0.05, 0.95))) -> pd.DataFrame:
        """The corrected NPS with the weights trimmed at other percentiles.

        Trimming (setting weights below the ``low`` and above the ``high`` quantile of the
        respondents' untrimmed weights to those quantiles) trades a little bias for less
        variance; if the corrected NPS moves much with it, it rests on a few heavily weighted
        answers.

        Parameters
        ----------
        bounds : sequence of (float, float)
            ``(low, high)`` quantiles; ``(0, 1)`` is no trimming.

        Returns
        -------
        pandas.DataFrame
            One row per pair: ``trimming`` (label), ``low``, ``high``, ``n_trimmed`` (answers
            whose weight changed), ``nps``, ``ci_low``, ``ci_high`` (the fit's interval method)
            and ``effective_n`` (Kish).
        """
        self._check_fitted()
        inverse = self._inverse_propensity()
        rows = []
        for low, high in bounds:
            if not 0 <= low < high <= 1:
                raise ValueError(f"trimming bounds need 0 <= low < high <= 1; got {(low, high)}")
            floor, cap = np.quantile(inverse, [low, high])
            weights = np.clip(inverse, floor, cap) * self.response_rate_
            value = float(np.sum(weights * self._net) / np.sum(weights))
            _, ci_low, ci_high = self._interval(weights, self._net, self._clusters, value)
            label = "none" if (low, high) == (0.0, 1.0) else f"at the {100 * low:g}% and {100 * high:g}% quantiles"
            rows.append({"trimming": label, "low": low, "high": high,
                         "n_trimmed": int(np.sum((inverse < floor) | (inverse > cap))), "nps": value,
                         "ci_low": ci_low, "ci_high": ci_high,
                         "effective_n": float(weights.sum() ** 2 / np.sum(weights**2))})
        return pd.DataFrame(rows)

    def _silent_share(self) -> float:
        """Share of the weighted total standing for silent invitations, ``sum(W - 1) / sum(W)`` with ``W = 1/p̂``."""
        inverse = self.weights_.to_numpy() / self.response_rate_
        return float(np.sum(inverse - 1.0) / np.sum(inverse))

    def mnar_sensitivity(self, deltas=(0, 5, 10, 15, 20, 30, 40)) -> pd.DataFrame:
        """The corrected NPS if silent customers recommend less than similar respondents (missing not at random).

        Pattern-mixture sensitivity analysis: each respondent, weighted ``W = 1/p̂``, speaks for
        itself and for ``W - 1`` similar silent invitations. The correction assumes those silent
        customers would have answered like the respondent; here their NPS is ``delta`` points
        lower (``delta = 10``: ten points more detractors than promoters, net, among silent
        customers than among similar respondents). The corrected NPS becomes

        ``NPS(delta) = sum W (net - delta (1 - 1/W)) / sum W = NPS_IPW - delta * s``,

        with ``s = sum(W - 1) / sum(W)`` the weighted share of silent invitations; its interval
        is the fit's, applied to the shifted values. ``delta = 0`` is the IPW estimate;
        negative values mean silent customers who are happier than similar respondents.

        Parameters
        ----------
        deltas : sequence of float
            Points by which the silent customers' NPS falls short of similar respondents'.

        Returns
        -------
        pandas.DataFrame
            One row per ``delta``: ``nps``, ``ci_low``, ``ci_high``, ``shift`` (change from the
            IPW estimate, ``-delta * s``). ``attrs`` hold ``silent_share`` and
            ``tipping_point_raw`` (:meth:`tipping_point`).
        """
        self._check_fitted()
        weights = self.weights_.to_numpy()
        inverse = weights / self.response_rate_
        rows = []
        for delta in deltas:
            shifted = self._net - float(delta) * (1.0 - 1.0 / inverse)
            value = float(np.sum(weights * shifted) / np.sum(weights))
            _, ci_low, ci_high = self._interval(weights, shifted, self._clusters, value)
            rows.append({"delta": float(delta), "nps": value, "ci_low": ci_low, "ci_high": ci_high,
                         "shift": value - self.value_})
        table = pd.DataFrame(rows).set_index("delta")
        table.attrs.update(silent_share=self._silent_share(), tipping_point_raw=self.tipping_point())
        return table

    def tipping_point(self, target: float | None = None) -> float:
        """The ``delta`` of :meth:`mnar_sensitivity` at which the corrected NPS equals ``target``.

        Parameters
        ----------
        target : float, optional
            NPS in points; default the raw NPS of the respondents: how much less (positive) or
            more (negative) likely to recommend than similar respondents the silent customers
            would have to be for the raw NPS to be right after all.

        Returns
        -------
        float
            ``(NPS_IPW - target) / s`` points.
        """
        self._check_fitted()
        target = self.raw_.value if target is None else float(target)
        return float((self.value_ - target) / self._silent_share())

    @property
    def summary(self) -> pd.DataFrame:
        """Raw and weighted NPS with intervals (points), responses and effective sample size."""
        if not hasattr(self, "value_"):
            raise ValueError("NonresponseWeighting: call fit() first")
        return pd.DataFrame(
            [
                {
                    "estimate": "raw NPS (respondents as they are)",
                    "nps": self.raw_.value,
                    "ci_low": self.raw_.ci_low,
                    "ci_high": self.raw_.ci_high,
                    "se": self.raw_.se,
                    "responses": self.raw_.n,
                    "effective_n": self.raw_.n / self.raw_.deff,
                    "interval": f"{self.raw_.method}, clustered by customer",
                },
                {
                    "estimate": "NPS weighted for non-response (IPW)",
                    "nps": self.value_,
                    "ci_low": self.ci_low_,
                    "ci_high": self.ci_high_,
                    "se": self.se_,
                    "responses": self.n_respondents_,
                    "effective_n": self.effective_n_,
                    "interval": f"{self.interval}, clustered by customer",
                },
            ]
        )

    def _repr_html_(self) -> str:
        if not hasattr(self, "value_"):
            return "<p>NonresponseWeighting (not fitted)</p>"
        head = (
            f"<p>{self.n_respondents_:,} answers of {self.n_invited_:,} invitations; propensity model on "
            f"{html.escape(', '.join(self.covariates_))}; {self.n_trimmed_} weights trimmed.</p>"
        )
        return head + self.summary.to_html(index=False, escape=True, float_format=lambda v: f"{v:.1f}")


def ipw_nps(
    frame: pd.DataFrame,
    *,
    covariates: list[str] | None = None,
    interval: str = "linearization",
    level: float = 0.95,
    **options,
) -> NonresponseWeighting:
    """Fit a :class:`NonresponseWeighting` in one call.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per invitation, e.g. from :func:`propensity_frame`; not modified.
    covariates : list of str, optional
        Propensity-model covariates (default: those of :data:`DEFAULT_COVARIATES` present).
    interval : {"linearization", "bootstrap"}
        Interval method.
    level : float
        Confidence level.
    **options
        Other :class:`NonresponseWeighting` parameters (``min_propensity``, ``trim_quantile``,
        ``n_resamples``, ``seed``).

    Returns
    -------
    NonresponseWeighting
        Fitted; ``summary`` shows raw and weighted NPS side by side.
    """
    return NonresponseWeighting(covariates=covariates, interval=interval, level=level, **options).fit(frame)
