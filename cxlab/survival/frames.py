"""Survival frames from the data model, without look-ahead.

Both frames take tenure and the churn flag from :func:`cxlab.tenure.tenure_frame` (months of
365.25 / 12 days; churn in the k-th month has ``tenure_months = k``; active customers are
censored at their whole months).

When is a covariate known?
--------------------------
An answer counts from the moment it is given (``responded_at``); a detractor follow-up counts
from the case's first response (``first_response_at``; the case is matched to its answer by
:func:`cxlab.followups.detractor_followups`: by ``invitation_id``, else the customer's first
follow-up within ``followup_window_days``). Nothing after ``as_of`` is used.

* :func:`time_varying_frame` rows are intervals ``(start_months, stop_months]`` of tenure whose
  covariates are those known at tenure ``start_months``: answers and first responses given at
  or before ``acquired_at + start_months`` months. A new answer given during tenure month ``j``
  (after ``j - 1`` months) therefore takes effect from ``start_months = j``: a churn in month
  ``k`` is related to what was known at the start of month ``k``. This is the discrete-time
  equivalent of "the state at the start of the month" and never uses an answer given during
  the churn month (an answer given just before churning in the same month is ignored for that
  churn, never the other way round).
* :func:`survival_frame` with ``landmark_months = L`` keeps customers still active after ``L``
  months and describes them by the answers given at or before ``acquired_at + L`` months, so
  its covariates equal those of the time-varying row that starts at ``L``. Without a landmark the
  covariates use every answer up to churn or ``as_of``: descriptive only, because customers who
  stay longer have more chances to answer (immortal-time bias); ``attrs["look_ahead"]`` is then
  True and :class:`cxlab.survival.ChurnCox` says so in its warnings.

Covariates
----------
``nps_category``
    ``detractor`` (0-6), ``passive`` (7-8), ``promoter`` (9-10) of the relationship-survey answer
    used, or ``no_response`` when the customer had not answered a relationship survey yet.
``followup``
    1 if that answer was a detractor answer whose follow-up case had its first response by then,
    else 0 (so among detractors it compares those reached with those not reached).
``ces``, ``touchpoint_csat``
    Score of the customer effort (CES, 1 = very easy ... 7 = very difficult) and satisfaction
    (CSAT, 1-5) answer used, of any touchpoint; missing before the first such answer.
``responded``
    1 if the customer had answered any survey (relationship or transactional) by then, else 0.
``segment``, ``contract`` (or other ``customers`` columns)
    Fixed customer attributes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow

from cxlab.answer_order import by_answer_time
from cxlab.followups import detractor_followups
from cxlab.identifiers import as_text_ids, positions
from cxlab.periods import known_by
from cxlab.schema import RELATIONSHIP
from cxlab.snapshot import ARROW_TEXT
from cxlab.tenure import DAYS_PER_MONTH, tenure_frame

__all__ = ["DEFAULT_COVARIATES", "NO_RESPONSE", "NPS_CATEGORIES", "READ_COLUMNS", "SURVEY_COVARIATES",
           "TIME_VARYING_COVARIATES", "nps_category", "nps_category_codes", "nps_category_text", "survival_frame",
           "time_varying_frame"]

NO_RESPONSE = "no_response"
NPS_CATEGORIES = ("detractor", "passive", "promoter", NO_RESPONSE)  # in the order of their codes
READ_COLUMNS = ("invitation_id", "customer_id", "touchpoint", "responded_at", "nps", "csat", "ces")  # of surveys
SURVEY_COVARIATES = ("nps_category", "followup", "ces", "touchpoint_csat", "responded")
DEFAULT_COVARIATES = ("nps_category", "ces", "touchpoint_csat", "followup", "segment", "contract", "responded")
TIME_VARYING_COVARIATES = ("nps_category", "followup", "ces", "touchpoint_csat")
_ANSWER_CHOICES = ("latest", "first")
_DETRACTOR = NPS_CATEGORIES.index("detractor")
_MONTH = pd.Timedelta(days=DAYS_PER_MONTH)


def nps_category_codes(scores) -> np.ndarray:
    """Position in :data:`NPS_CATEGORIES` of the category of each 0-10 score (missing: ``no_response``).

    Examples
    --------
    >>> nps_category_codes([3, 7, 10, np.nan]).tolist()
    [0, 1, 2, 3]
    """
    s = np.asarray(scores, dtype=float)
    codes = np.full(s.shape, NPS_CATEGORIES.index(NO_RESPONSE), dtype=np.int8)
    for code, top in ((2, 10), (1, 8), (0, 6)):  # a missing score fails every comparison
        codes[s <= top] = code
    return codes


def nps_category(scores) -> np.ndarray:
    """NPS category of 0-10 scores: detractor, passive, promoter; missing scores are ``no_response``.

    Examples
    --------
    >>> nps_category([3, 7, 10, np.nan]).tolist()
    ['detractor', 'passive', 'promoter', 'no_response']
    """
    return np.asarray(NPS_CATEGORIES)[nps_category_codes(scores)]


def nps_category_text(codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """The categories of :func:`nps_category_codes` as Arrow text (:data:`cxlab.snapshot.ARROW_TEXT`).

    Taken from the four names by code: no string per row is made, in Python or in numpy (from a
    numpy array of a few million category names the conversion took 0.6 s, this takes 0.02 s).

    Examples
    --------
    >>> nps_category_text(nps_category_codes([3, np.nan])).tolist()
    ['detractor', 'no_response']
    """
    return pd.array(pyarrow.array(NPS_CATEGORIES, type=pyarrow.large_string()).take(codes), dtype=ARROW_TEXT)


def _tables(data_or_tables, as_of):
    if isinstance(data_or_tables, pd.DataFrame):
        tables, data_as_of = {"customers": data_or_tables}, None
    elif isinstance(data_or_tables, dict):
        tables, data_as_of = data_or_tables, data_or_tables.get("as_of")
    else:
        tables = {name: getattr(data_or_tables, name, None) for name in ("customers", "surveys", "cases")}
        data_as_of = getattr(data_or_tables, "as_of", None)
    if tables.get("customers") is None:
        raise ValueError("survival_frame: a customers table is required")
    as_of = as_of if as_of is not None else data_as_of
    if as_of is None:
        raise ValueError("survival_frame: pass as_of (the data has no as-of date)")
    return tables["customers"], tables.get("surveys"), tables.get("cases"), pd.Timestamp(as_of)


def _answers(surveys: pd.DataFrame | None, customer_ids: pd.Series, acquired_at: pd.Series,
             as_of: pd.Timestamp) -> pd.DataFrame | None:
    """Survey answers given on or before ``as_of`` by the given customers.

    ``row`` is the customer's position in ``customer_ids`` (integer keys make the merges fast);
    ``relationship`` says whether the answer is to the relationship survey.
    """
    if surveys is None:
        return None
    missing = [c for c in READ_COLUMNS if c not in surveys.columns]
    if missing:
        raise ValueError(f"surveys table lacks column(s) {missing}")
    responded = pd.to_datetime(surveys["responded_at"])
    known = np.flatnonzero(known_by(responded, as_of=as_of).to_numpy())
    row = positions(surveys["customer_id"].take(known), customer_ids)
    taken = known[row >= 0]  # answers of the given customers: the columns are taken once, for these rows
    row = row[row >= 0]
    answers = surveys[["invitation_id", "nps", "csat", "ces"]].take(taken)
    # whether each is a relationship answer, rather than a copy of every answer's touchpoint text
    answers["relationship"] = (surveys["touchpoint"] == RELATIONSHIP).to_numpy(dtype=bool, na_value=False)[taken]
    answers["responded_at"] = responded.to_numpy()[taken]
    answers["row"] = row
    answers["acquired_at"] = acquired_at.to_numpy()[row]
    answers = by_answer_time(answers)  # of answers given at once, the larger id is the later
    answers.index = pd.RangeIndex(len(answers))  # renumbered in place: reset_index would copy every column
    return answers


def _followups(surveys, cases, as_of, followup_window_days: int) -> pd.DataFrame:
    """First response time of each followed-up detractor answer (invitation_id, first_response_at)."""
    if surveys is None or cases is None:
        return pd.DataFrame({"invitation_id": pd.Series(dtype=str),
                             "first_response_at": pd.Series(dtype="datetime64[ns]")})
    followups = detractor_followups(surveys, cases, as_of=as_of, followup_window_days=followup_window_days)
    reached = followups[followups["first_response_at"].notna()]
    return reached[["invitation_id", "first_response_at"]].drop_duplicates("invitation_id")


def _months_after_acquisition(times: pd.Series, acquired: pd.Series) -> np.ndarray:
    """Tenure month from whose start an event is known: ceil(months since acquisition), at least 0."""
    months = (pd.to_datetime(times) - pd.to_datetime(acquired)) / _MONTH
    return np.maximum(np.ceil(np.asarray(months, dtype=float) - 1e-9), 0).astype(int)


def _pick(answers: pd.DataFrame, cutoff: np.ndarray, answer: str, n_rows: int) -> pd.DataFrame:
    """The latest (or first) answer of each customer (``row``) given at or before the row's cutoff.

    Returns one row per customer position ``0 .. n_rows - 1`` (missing where nothing was known).
    """
    known = answers[answers["responded_at"].to_numpy() <= cutoff[answers["row"].to_numpy()]]
    ordered = known.sort_values(["row", "responded_at"], kind="stable")
    chosen = ordered.drop_duplicates("row", keep="last" if answer == "latest" else "first")
    return chosen.set_index("row").reindex(pd.RangeIndex(n_rows))


def survival_frame(data_or_tables, *, as_of=None, landmark_months: int | None = None,
                   covariates=DEFAULT_COVARIATES, answer: str = "latest",
                   followup_window_days: int = 7) -> pd.DataFrame:
    """One row per customer: tenure, churn and covariates known at a landmark (or at the end).

    Parameters
    ----------
    data_or_tables : CXData, dict or pandas.DataFrame
        An object with ``customers`` (required), ``surveys`` and ``cases`` (optional, None when
        absent) and ``as_of`` (e.g. :func:`cxlab.io.load`), a dict of those tables, or a
        customers table alone. Not modified.
    as_of : str or pandas.Timestamp, optional
        Analysis date (default: the data's ``as_of``).
    landmark_months : int, optional
        Landmark ``L`` in months of tenure: keep the customers still active after ``L`` months
        with time at risk beyond it (``tenure_months > L``; every row can be passed to lifelines
        with ``entry_col="landmark_months"``) and use only what was known then (see the module
        docstring). None: covariates from all
        answers up to churn or ``as_of`` (descriptive; ``attrs["look_ahead"]`` is True).
    covariates : sequence of str
        Covariates to add: any of :data:`SURVEY_COVARIATES` and columns of ``customers``.
        Survey covariates are skipped when the surveys table is absent.
    answer : {"latest", "first"}
        Which answer before the landmark describes the customer.
    followup_window_days : int
        Matching window for follow-up cases without ``invitation_id`` (see
        :func:`cxlab.followups.detractor_followups`).

    Returns
    -------
    pandas.DataFrame
        The customers columns plus ``tenure_months``, ``churned`` (:func:`cxlab.tenure.tenure_frame`),
        ``landmark_months`` (entry time; 0 without a landmark) and the covariates.
        ``attrs``: ``as_of``, ``landmark_months``, ``answer``, ``covariates`` (those present),
        ``look_ahead``, ``not_active_at_landmark`` (customers left out because they churned by
        the landmark or were not followed beyond it), ``acquired_after_as_of``.

    Raises
    ------
    ValueError
        When a table or column is missing, or an argument is out of range.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": ["a", "b"], "segment": ["SMB", "SMB"],
    ...     "contract": ["monthly", "annual"], "acquired_at": pd.to_datetime(["2024-01-01", "2024-06-01"]),
    ...     "churned_at": pd.to_datetime(["2024-03-10", None])})
    >>> survival_frame(customers, as_of="2025-01-01", covariates=["segment"])["tenure_months"].tolist()
    [3, 7]
    """
    customers, surveys, cases, as_of = _tables(data_or_tables, as_of)
    if answer not in _ANSWER_CHOICES:
        raise ValueError(f"answer must be one of {_ANSWER_CHOICES}, got {answer!r}")
    if landmark_months is not None and (landmark_months < 0 or landmark_months % 1):
        raise ValueError(f"landmark_months must be whole months >= 0, got {landmark_months}")
    covariates = list(covariates)
    fixed = [c for c in covariates if c not in SURVEY_COVARIATES]
    absent = [c for c in fixed if c not in customers.columns]
    if absent:
        raise ValueError(f"covariate(s) {absent} are neither survey covariates {SURVEY_COVARIATES} nor "
                         f"customers columns")
    frame = tenure_frame(customers.assign(customer_id=as_text_ids(customers["customer_id"])), as_of=as_of)
    acquired_after = frame.attrs["acquired_after_as_of"]
    n_known = len(frame)
    if landmark_months is None:
        cutoff_at = frame["end_at"]
    else:
        # at risk after the landmark: customers censored at L have no time left to contribute
        # (and lifelines rejects rows whose entry is not before their duration)
        frame = frame[frame["tenure_months"] > landmark_months]
        cutoff_at = pd.to_datetime(frame["acquired_at"]) + landmark_months * _MONTH
    frame.index = pd.RangeIndex(len(frame))  # a frame of this function's own, renumbered without a copy
    cutoff = cutoff_at.to_numpy(dtype="datetime64[ns]")
    frame["landmark_months"] = 0 if landmark_months is None else int(landmark_months)
    present = [c for c in covariates if c in fixed or surveys is not None]
    answers = _answers(surveys, frame["customer_id"], frame["acquired_at"], as_of)
    if answers is not None:
        n = len(frame)
        relationship = answers[answers["relationship"] & answers["nps"].notna()]
        chosen = _pick(relationship, cutoff, answer, n)
        category = nps_category_codes(chosen["nps"])
        if "nps_category" in covariates:
            frame["nps_category"] = nps_category_text(category)  # Arrow text, as the time-varying frame has it
        if "followup" in covariates:
            reached = _followups(surveys, cases, as_of, followup_window_days).set_index("invitation_id")
            first_response = chosen["invitation_id"].map(reached["first_response_at"]).to_numpy()
            frame["followup"] = ((category == _DETRACTOR) & (first_response <= cutoff)).astype(int)
        for column, score in (("ces", "ces"), ("touchpoint_csat", "csat")):
            if column in covariates:
                frame[column] = _pick(answers[answers[score].notna()], cutoff, answer, n)[score].to_numpy()
        if "responded" in covariates:
            frame["responded"] = _pick(answers, cutoff, answer, n)["responded_at"].notna().to_numpy(dtype=int)
    frame.attrs.update(as_of=as_of, landmark_months=landmark_months, answer=answer, covariates=present,
                       look_ahead=landmark_months is None, not_active_at_landmark=n_known - len(frame),
                       acquired_after_as_of=acquired_after)
    return frame


def _stream(events: pd.DataFrame, values: list[str], grid: pd.DataFrame) -> dict[str, np.ndarray]:
    """Value of each customer's latest event known at every grid month (binary search, no loops).

    ``grid`` is sorted by ``row`` and ``month``; ``events`` are in answer order, so of two events of
    one customer known from the same month the later answer counts. Missing where nothing was known.
    """
    month = _months_after_acquisition(events["responded_at"], events["acquired_at"])
    grid_row, grid_month = grid["row"].to_numpy(np.int64), grid["month"].to_numpy(np.int64)
    width = np.int64(max(month.max(initial=0), grid_month.max(initial=0)) + 1)
    key = events["row"].to_numpy(np.int64) * width + month
    order = np.argsort(key, kind="stable")  # answer order kept within a (customer, month)
    key = key[order]
    latest = np.searchsorted(key, grid_row * width + grid_month, side="right") - 1
    known = latest >= 0
    known[known] = key[latest[known]] >= grid_row[known] * width  # an event of the same customer
    out = {}
    for value in values:
        taken = np.full(len(grid), np.nan)
        taken[known] = events[value].to_numpy(dtype=float, na_value=np.nan)[order][latest[known]]
        out[value] = taken
    return out


def _changed(values: list[np.ndarray], row: np.ndarray) -> np.ndarray:
    """True where a row starts a new customer or any covariate differs from the row before."""
    changed = np.ones(len(row), dtype=bool)
    changed[1:] = row[1:] != row[:-1]
    for value in values:
        same = (value[1:] == value[:-1]) | (pd.isna(value[1:]) & pd.isna(value[:-1]))
        changed[1:] |= ~same
    return changed


def time_varying_frame(customers: pd.DataFrame, surveys: pd.DataFrame | None, cases: pd.DataFrame | None,
                       *, as_of, static=("segment", "contract"), followup_window_days: int = 7) -> pd.DataFrame:
    """Start/stop (counting-process) frame in which the survey covariates change over tenure.

    Each row is an interval ``(start_months, stop_months]`` of one customer's tenure with the
    covariates known at tenure ``start_months`` (see the module docstring: an answer given during
    month ``j`` applies from ``start_months = j``). A row starts at 0 and wherever a covariate
    changes; consecutive months with identical covariates form one row; the last row ends at
    ``tenure_months`` of :func:`cxlab.tenure.tenure_frame` with ``churned`` = 1 if the customer
    churned. Customers with 0 months of tenure have no time at risk and no row.

    Parameters
    ----------
    customers : pandas.DataFrame
        A ``customers`` table; not modified.
    surveys, cases : pandas.DataFrame or None
        ``surveys`` and ``cases`` tables (None when absent: only the fixed covariates vary,
        i.e. one row per customer; without cases ``followup`` is 0).
    as_of : str or pandas.Timestamp
        Analysis date; nothing after it is used.
    static : sequence of str
        Fixed customer columns to carry.
    followup_window_days : int
        Matching window for follow-up cases without ``invitation_id``.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id``, ``start_months``, ``stop_months``, ``churned``, ``nps_category``,
        ``followup``, ``ces``, ``touchpoint_csat`` (when surveys exist) and the ``static`` columns;
        ready for :class:`cxlab.survival.TimeVaryingChurnCox` (lifelines' CoxTimeVaryingFitter).
        ``attrs``: ``as_of``, ``covariates``, ``customers_without_time_at_risk``.

    Examples
    --------
    >>> customers = pd.DataFrame({"customer_id": ["a"], "segment": ["SMB"], "contract": ["monthly"],
    ...     "acquired_at": pd.to_datetime(["2024-01-01"]), "churned_at": pd.to_datetime(["2024-06-20"])})
    >>> surveys = pd.DataFrame({"invitation_id": ["s1"], "customer_id": ["a"], "touchpoint": ["relationship"],
    ...     "responded_at": pd.to_datetime(["2024-03-05"]), "nps": [4.0], "csat": [np.nan], "ces": [np.nan]})
    >>> tv = time_varying_frame(customers, surveys, None, as_of="2025-01-01")
    >>> tv[["start_months", "stop_months", "churned", "nps_category"]].values.tolist()
    [[0, 3, 0, 'no_response'], [3, 6, 1, 'detractor']]
    """
    as_of = pd.Timestamp(as_of)
    static = list(static)
    absent = [c for c in static if c not in customers.columns]
    if absent:
        raise ValueError(f"time_varying_frame: customers table lacks static column(s) {absent}")
    identified = customers.copy(deep=False)  # the customers' columns shared, not copied; only the ids replaced
    identified["customer_id"] = as_text_ids(customers["customer_id"])
    tenure = tenure_frame(identified, as_of=as_of)
    at_risk = tenure["tenure_months"] > 0
    tenure = tenure.loc[at_risk, ["customer_id", "acquired_at", "tenure_months", "churned", *static]]
    tenure.index = pd.RangeIndex(len(tenure))
    answers = _answers(surveys, tenure["customer_id"], tenure["acquired_at"], as_of)
    grid = pd.DataFrame({"row": np.arange(len(tenure)), "month": 0})
    covariates: list[str] = []
    has_answers = answers is not None
    if has_answers:
        # each stream with only the columns it reads: copies of all the answers' columns took most of the memory
        timing = ["row", "responded_at", "acquired_at"]
        relationship = answers.loc[(answers["relationship"] & answers["nps"].notna()).to_numpy(),
                                   ["invitation_id", *timing, "nps"]]
        relationship["answer"] = np.arange(len(relationship), dtype=float)
        followups = _followups(surveys, cases, as_of, followup_window_days)
        answer = positions(followups["invitation_id"], relationship["invitation_id"])
        reached = followups[answer >= 0].assign(answer=answer[answer >= 0])
        reached["row"] = relationship["row"].to_numpy()[reached["answer"].to_numpy()]
        reached["month"] = _months_after_acquisition(
            reached["first_response_at"], relationship["acquired_at"].to_numpy()[reached["answer"].to_numpy()])
        # the month each relationship answer's follow-up was reached (NaN: not followed up), by answer number
        reached_at = np.full(len(relationship), np.nan)
        reached_at[reached["answer"].to_numpy()] = reached["month"].to_numpy()
        streams = [(relationship, ["answer", "nps"]),
                   *((answers.loc[answers[score].notna().to_numpy(), [*timing, score]], [score])
                     for score in ("ces", "csat"))]
        del answers, followups
        changes = [pd.DataFrame({"row": events["row"].to_numpy(), "month":
                                 _months_after_acquisition(events["responded_at"], events["acquired_at"])})
                   for events, _ in streams]
        grid = pd.concat([grid, *changes, reached[["row", "month"]]], ignore_index=True)
        del changes, reached
    tenure_months = tenure["tenure_months"].to_numpy()
    grid = grid[grid["month"].to_numpy() < tenure_months[grid["row"].to_numpy()]]
    grid = grid.drop_duplicates(["row", "month"]).sort_values(["row", "month"]).reset_index(drop=True)
    row = grid["row"].to_numpy()
    month = grid["month"].to_numpy()
    state: dict[str, np.ndarray] = {}
    if has_answers:
        for events, values in streams:
            state.update(_stream(events, values, grid))
        del streams, relationship
        category = nps_category_codes(state.pop("nps"))
        # the answer in force was followed up once its case's first response is known
        in_force = state.pop("answer")
        reached_month = np.full(len(in_force), np.nan)
        has_answer = ~np.isnan(in_force)
        reached_month[has_answer] = reached_at[in_force[has_answer].astype(np.int64)]
        state = {"nps_category": category,
                 "followup": ((category == _DETRACTOR) & (reached_month <= month)).astype(int),
                 "ces": state["ces"].astype(float), "touchpoint_csat": state["csat"].astype(float)}
        covariates = list(TIME_VARYING_COVARIATES)
    last_of_customer = np.append(row[1:] != row[:-1], True)
    stop = np.where(last_of_customer, tenure_months[row], np.append(month[1:], 0))
    # merge consecutive intervals whose covariates did not change
    starts = np.flatnonzero(_changed([state[c] for c in covariates], row))
    ends = np.append(starts[1:], len(row)) - 1
    out_row = row[starts]
    # text is taken in its own type (Arrow text stays Arrow text), and the NPS category is Arrow text
    # made from its codes: as Python strings, a few million intervals' texts took hundreds of MB
    out = pd.DataFrame({
        "customer_id": tenure["customer_id"].take(out_row).array,
        "start_months": month[starts],
        "stop_months": stop[ends],
    })
    out["churned"] = ((out["stop_months"].to_numpy() == tenure_months[out_row])
                      & (tenure["churned"].to_numpy()[out_row] == 1)).astype(int)
    for column in covariates:
        values = state[column][starts]
        out[column] = nps_category_text(values) if column == "nps_category" else values
    for column in static:
        out[column] = tenure[column].take(out_row).array
    out.attrs.update(as_of=as_of, covariates=[*covariates, *static],
                     customers_without_time_at_risk=int((~at_risk).sum()))
    return out
