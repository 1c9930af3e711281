"""The key-driver frame: each overall answer paired with the respondent's touchpoint ratings of the
preceding days (no look-ahead), and the outcome questions a survey has."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab.identifiers import as_text_ids
from cxlab.periods import known_by, nanoseconds
from cxlab.schema import RELATIONSHIP, TOUCHPOINTS

__all__ = ["OUTCOMES", "asked_together", "available_outcome", "driver_frame", "driver_frame_from_totals",
           "driver_touchpoints", "latest_before", "totals_before"]


def driver_frame(
    surveys: pd.DataFrame,
    *,
    as_of,
    window_days: int = 180,
    score: str = "csat",
    outcome: str = "nps",
    touchpoints: list[str] | None = None,
    same_questionnaire: bool = False,
) -> pd.DataFrame:
    """One row per relationship-survey answer with the respondent's recent touchpoint scores.

    For each relationship answer given at time t (on or before ``as_of``) the driver value of a
    touchpoint is the customer's mean ``score`` over their answers to that touchpoint's survey
    given in ``[t - window_days, t)``: strictly before the relationship answer, so nothing the
    customer said afterwards is used. A touchpoint without an answer in the window is missing (NaN).

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table (see :mod:`cxlab.schema`); not modified.
    as_of : str or pandas.Timestamp
        Analysis date: answers given after it are ignored.
    window_days : int
        Look-back window in days.
    score : str
        Transactional score averaged per touchpoint (``"csat"`` or ``"ces"``).
    outcome : str
        Score column of the relationship survey kept as the outcome.
    touchpoints : list of str, optional
        Touchpoints to use as drivers; default all non-relationship touchpoints in the data, in
        the order of :data:`cxlab.schema.TOUCHPOINTS` first.
    same_questionnaire : bool
        Also count touchpoint answers given at the same moment as the outcome answer. Use it for
        questionnaires that ask the touchpoint ratings and the overall question together (e.g. a
        wide survey export, all answers sharing one ``responded_at``); in longitudinal data leave
        it off so that only earlier experiences explain a later answer.

    Returns
    -------
    pandas.DataFrame
        Columns ``invitation_id``, ``customer_id``, ``responded_at``, ``outcome`` (named as given),
        then one float column per touchpoint. ``attrs`` records ``as_of``, ``window_days``, ``score``
        and ``touchpoints`` (the driver columns).

    Examples
    --------
    >>> s = pd.DataFrame({"invitation_id": ["a", "b", "c"], "customer_id": ["1", "1", "1"],
    ...     "touchpoint": ["support", "support", "relationship"],
    ...     "responded_at": pd.to_datetime(["2025-01-01", "2025-03-01", "2025-03-10"], cache=False),
    ...     "csat": [2.0, 4.0, None], "nps": [None, None, 9.0]})
    >>> float(driver_frame(s, as_of="2025-12-31")["support"].iloc[0])
    3.0
    """
    needed = ["invitation_id", "customer_id", "touchpoint", "responded_at", score, outcome]
    missing = [c for c in needed if c not in surveys.columns]
    if missing:
        raise ValueError(f"driver_frame: surveys table lacks column(s) {missing}")
    if window_days <= 0:
        raise ValueError(f"driver_frame: window_days must be positive, got {window_days}")
    as_of = pd.Timestamp(as_of)
    answered = surveys.loc[surveys["responded_at"].notna(), needed].copy()
    answered["responded_at"] = pd.to_datetime(answered["responded_at"], cache=False)
    answered = answered[known_by(answered["responded_at"], as_of=as_of)]
    answered["customer_id"] = as_text_ids(answered["customer_id"])

    rel = answered[(answered["touchpoint"] == RELATIONSHIP) & answered[outcome].notna()]
    rel = rel[["invitation_id", "customer_id", "responded_at", outcome]].sort_values(["responded_at", "invitation_id"])
    trans = answered[(answered["touchpoint"] != RELATIONSHIP) & answered[score].notna()]
    if touchpoints is None:
        touchpoints = driver_touchpoints(trans["touchpoint"].unique())
    trans = trans[trans["touchpoint"].isin(touchpoints)]
    # Long format: one key per (customer, touchpoint) pair, one query per (answer, touchpoint) pair.
    n_tp = len(touchpoints)
    customers, _ = pd.factorize(pd.concat([rel["customer_id"], trans["customer_id"]], ignore_index=True))
    rel_customer, trans_customer = customers[: len(rel)], customers[len(rel) :]
    tp_code = pd.Categorical(trans["touchpoint"], categories=touchpoints).codes
    events = pd.DataFrame(
        {
            "key": trans_customer * n_tp + tp_code,
            "at": trans["responded_at"].to_numpy(),
            "score": trans[score].astype(float).to_numpy(),
        }
    )
    queries = pd.DataFrame(
        {
            "key": np.repeat(rel_customer * n_tp, n_tp) + np.tile(np.arange(n_tp), len(rel)),
            "at": np.repeat(rel["responded_at"].to_numpy(), n_tp),
        }
    )
    totals = totals_before(
        events,
        queries,
        event_time="at",
        query_time="at",
        value_cols=["score"],
        by="key",
        window_days=window_days,
        include_same_time=same_questionnaire,
    )
    return driver_frame_from_totals(rel, totals["score_sum"].to_numpy().reshape(len(rel), n_tp),
                                    totals["score_n"].to_numpy().reshape(len(rel), n_tp), touchpoints=touchpoints,
                                    as_of=as_of, window_days=window_days, score=score)


def driver_touchpoints(present) -> list[str]:
    """The driver touchpoints among those present: the journey's (:data:`cxlab.schema.TOUCHPOINTS`) in order,
    then any others alphabetically."""
    present = set(present)
    return [t for t in TOUCHPOINTS if t in present] + sorted(present - set(TOUCHPOINTS))


def driver_frame_from_totals(answers: pd.DataFrame, sums: np.ndarray, counts: np.ndarray, *, touchpoints: list[str],
                             as_of, window_days: int, score: str) -> pd.DataFrame:
    """The frame of :func:`driver_frame` from the overall answers and each one's score totals per touchpoint.

    Parameters
    ----------
    answers : pandas.DataFrame
        The overall answers in order (``invitation_id``, ``customer_id``, ``responded_at``, the outcome).
    sums, counts : numpy.ndarray
        Shape (answers, touchpoints): the sum and number of the customer's scores in the window.
    touchpoints : list of str
        The driver columns, in the order of the arrays' columns.
    as_of, window_days, score
        Recorded in ``attrs``.

    Returns
    -------
    pandas.DataFrame
        ``answers`` with one column per touchpoint: the mean score, NaN without any.
    """
    means = np.where(counts > 0, sums / np.where(counts > 0, counts, 1), np.nan)
    out = pd.concat([answers.reset_index(drop=True), pd.DataFrame(means, columns=list(touchpoints))], axis=1)
    out.attrs.update(as_of=pd.Timestamp(as_of), window_days=window_days, score=score, touchpoints=list(touchpoints))
    return out


# Overall questions a relationship row may carry, in order of preference, with their plain-words name.
OUTCOMES = {
    "nps": "likelihood to recommend (NPS, 0-10)",
    "recommend5": "likelihood to recommend (1-5)",
    "satisfied": "overall satisfied (yes / no)",
}


def available_outcome(surveys: pd.DataFrame) -> str | None:
    """The overall question the relationship answers carry: ``nps``, else ``recommend5``, else ``satisfied``.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.

    Returns
    -------
    str or None
        The first column of :data:`OUTCOMES` with at least one relationship answer, or None.

    Examples
    --------
    >>> s = pd.DataFrame({"touchpoint": ["relationship", "support"], "nps": [None, None],
    ...                   "satisfied": [1.0, None]})
    >>> available_outcome(s)
    'satisfied'
    """
    if "touchpoint" not in surveys.columns:
        raise ValueError("available_outcome: surveys table lacks column 'touchpoint'")
    relationship = surveys[surveys["touchpoint"] == RELATIONSHIP]
    for column in OUTCOMES:
        if column in relationship.columns and relationship[column].notna().any():
            return column
    return None


def asked_together(surveys: pd.DataFrame, *, outcome: str) -> bool:
    """Whether most overall answers were given at the same moment as touchpoint answers.

    True for a wide questionnaire (one export row per respondent with the overall question and the
    touchpoint ratings), False for longitudinal survey data where touchpoint surveys come before
    the relationship survey. Decides ``same_questionnaire`` of :func:`driver_frame`.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    outcome : str
        Column of the overall question.

    Returns
    -------
    bool
        True when more than half of the overall answers share their customer and ``responded_at``
        with a touchpoint answer.
    """
    missing = [c for c in ("customer_id", "touchpoint", "responded_at", outcome) if c not in surveys.columns]
    if missing:
        raise ValueError(f"asked_together: surveys table lacks column(s) {missing}")
    answered = surveys[surveys["responded_at"].notna()]
    is_overall = (answered["touchpoint"] == RELATIONSHIP) & answered[outcome].notna()
    overall = answered.loc[is_overall, ["customer_id", "responded_at"]]
    if overall.empty:
        return False
    touchpoint = answered.loc[answered["touchpoint"] != RELATIONSHIP, ["customer_id", "responded_at"]]
    shared = overall.merge(touchpoint.drop_duplicates(), on=["customer_id", "responded_at"], how="inner")
    return len(shared) > len(overall) / 2


def totals_before(
    events: pd.DataFrame,
    queries: pd.DataFrame,
    *,
    event_time: str,
    query_time: str,
    value_cols: list[str],
    by: str = "customer_id",
    window_days: float | None = None,
    include_same_time: bool = False,
) -> pd.DataFrame:
    """Sum and count of each value over a key's events strictly before each query time.

    The no-look-ahead aggregation behind :func:`driver_frame` and
    :func:`cxlab.nonresponse.propensity_frame`: for a query at time t it uses the events of the
    same ``by`` key with time in ``[t - window_days, t)`` (or ``< t`` without a window). Events are
    sorted by (key, time) once and every query binary-searches its key's block of running totals, so
    the cost is a sort, not a loop.

    Parameters
    ----------
    events : pandas.DataFrame
        Rows with ``by``, ``event_time`` and the value columns (NaN = no value); not modified.
    queries : pandas.DataFrame
        Rows with ``by`` and ``query_time``; not modified.
    event_time, query_time : str
        Timestamp columns of ``events`` and ``queries``.
    value_cols : list of str
        Columns of ``events`` to total.
    by : str
        Key column in both frames (e.g. ``customer_id``).
    window_days : float, optional
        Look-back window; None means all earlier events.
    include_same_time : bool
        Count events at exactly the query time too (``[t - window_days, t]``).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``queries``, with ``<col>_sum`` and ``<col>_n`` (count of non-missing values)
        for each value column; 0 where there is no earlier event.

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a", "a", "a"], "at": pd.to_datetime(["2025-01-01", "2025-02-01",
    ...     "2025-03-01"]), "x": [1.0, 2.0, 4.0]})
    >>> q = pd.DataFrame({"customer_id": ["a"], "at": pd.to_datetime(["2025-03-01"])})
    >>> totals_before(ev, q, event_time="at", query_time="at", value_cols=["x"]).iloc[0].tolist()
    [3.0, 2.0]
    """
    columns = [f"{c}_{kind}" for c in value_cols for kind in ("sum", "n")]
    if len(events) == 0:
        return pd.DataFrame(0.0, index=queries.index, columns=columns)
    blocks = _EventBlocks(events, queries, event_time=event_time, query_time=query_time, by=by)
    values = events[value_cols].astype(float).to_numpy()[blocks.order]
    per_event = np.empty((len(values), len(columns)))
    per_event[:, 0::2] = np.nan_to_num(values)
    per_event[:, 1::2] = ~np.isnan(values)
    # running totals within each key (restarting at every key, so no large totals are subtracted)
    running = pd.DataFrame(per_event).groupby(blocks.event_keys, sort=False).cumsum().to_numpy()

    def totals_up_to(bound: np.ndarray, side: str) -> np.ndarray:
        """Totals of the key's events before ``bound`` (``side="right"``: at ``bound`` too)."""
        end = blocks.end(bound, side)
        return np.where((end > blocks.first)[:, None], running[np.maximum(end - 1, 0)], 0.0)

    totals = totals_up_to(blocks.query_at, "right" if include_same_time else "left")
    if window_days is not None:  # the window's start is inclusive: subtract what came strictly before it
        totals = totals - totals_up_to(blocks.query_at - int(pd.Timedelta(days=window_days).value), "left")
    return pd.DataFrame(totals, index=queries.index, columns=columns)


def latest_before(
    events: pd.DataFrame,
    queries: pd.DataFrame,
    *,
    event_time: str,
    query_time: str,
    value_col: str,
    by: str = "customer_id",
) -> np.ndarray:
    """Value of each query key's latest event strictly before the query time (NaN if none).

    Of events at the same instant the one later in the table counts as the latest, as
    ``pandas.merge_asof`` takes it.

    Parameters
    ----------
    events : pandas.DataFrame
        Rows with ``by``, ``event_time`` and ``value_col``; not modified.
    queries : pandas.DataFrame
        Rows with ``by`` and ``query_time``; not modified.
    event_time, query_time : str
        Timestamp columns of ``events`` and ``queries``.
    value_col : str
        Column of ``events`` to return.
    by : str
        Key column in both frames.

    Returns
    -------
    numpy.ndarray of float
        One value per query, in the order of ``queries``.

    Examples
    --------
    >>> ev = pd.DataFrame({"customer_id": ["a", "a"], "at": pd.to_datetime(["2025-01-01", "2025-02-01"]),
    ...     "x": [1.0, 2.0]})
    >>> q = pd.DataFrame({"customer_id": ["a", "a", "b"], "at": pd.to_datetime(["2025-02-01", "2025-03-01",
    ...     "2025-03-01"])})
    >>> latest_before(ev, q, event_time="at", query_time="at", value_col="x").tolist()
    [1.0, 2.0, nan]
    """
    if len(events) == 0:
        return np.full(len(queries), np.nan)
    blocks = _EventBlocks(events, queries, event_time=event_time, query_time=query_time, by=by)
    values = events[value_col].to_numpy(dtype=float)[blocks.order]
    end = blocks.end(blocks.query_at, "left")
    return np.where(end > blocks.first, values[np.maximum(end - 1, 0)], np.nan)


class _EventBlocks:
    """Events sorted by (key, time), with each query's block of its own key's events.

    ``order`` puts the events in that order (ties keep their table order); ``first`` and ``last``
    bound each query's block; :meth:`end` finds where a time falls inside it.
    """

    def __init__(self, events: pd.DataFrame, queries: pd.DataFrame, *, event_time: str, query_time: str, by: str):
        # a missing key is a key of its own (missing keys match each other, as in a merge)
        codes, _ = pd.factorize(pd.concat([events[by], queries[by]], ignore_index=True), use_na_sentinel=False)
        event_keys, query_keys = codes[: len(events)], codes[len(events) :]
        event_at = nanoseconds(events[event_time])
        self.order = np.lexsort((event_at, event_keys))
        self.event_keys, self.event_at = event_keys[self.order], event_at[self.order]
        self.query_at = nanoseconds(queries[query_time])
        block_end = np.cumsum(np.bincount(event_keys, minlength=int(codes.max()) + 1))
        self.first, self.last = np.r_[0, block_end][query_keys], block_end[query_keys]

    def end(self, bound: np.ndarray, side: str) -> np.ndarray:
        """Index just past the block's events before ``bound`` (``side="right"``: at ``bound`` too)."""
        return _search_blocks(self.event_at, self.first, self.last, bound, side)


def _search_blocks(values: np.ndarray, first: np.ndarray, last: np.ndarray, needles: np.ndarray,
                   side: str) -> np.ndarray:
    """``np.searchsorted`` of each needle within its own sorted block ``values[first:last]``.

    A binary search run for all needles at once; each pass halves the open ranges and drops the
    needles already placed, so small blocks (most keys have few events) cost few passes.
    """
    low, high = first.astype(np.int64), last.astype(np.int64)
    open_ = np.flatnonzero(low < high)
    while open_.size:
        below, above = low[open_], high[open_]
        middle = (below + above) // 2  # < above <= len(values): a valid position
        probe, needle = values[middle], needles[open_]
        up = (probe <= needle) if side == "right" else (probe < needle)
        below = np.where(up, middle + 1, below)
        above = np.where(up, above, middle)
        low[open_], high[open_] = below, above
        open_ = open_[below < above]
    return low
