"""Follow-up matching: which detractor answer each ``detractor_followup`` case belongs to, and its times.

The building block under the closed-loop analyses (:mod:`cxlab.loop`), the survival frames
(:mod:`cxlab.survival.frames`) and the causal designs (:mod:`cxlab.causal`); it imports none of them.

* A case belongs to the answer whose ``invitation_id`` it carries. If the cases table has no
  ``invitation_id`` (or it is empty for every follow-up), the answer's follow-up is the customer's
  first ``detractor_followup`` case opened within ``followup_window_days`` days after the answer.
* Cases opened after the as-of date do not exist yet; response and close times after it are not
  known yet (the as-of date is the end of that day, :mod:`cxlab.periods`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab.answer_order import by_answer_time
from cxlab.identifiers import as_text_ids, attributes_of
from cxlab.periods import as_of_end, known_by, quarter_labels

__all__ = ["CASE_LEVEL_GROUPS", "DETRACTOR_MAX", "FOLLOWUP_KIND", "HOURS", "answer_followups", "detractor_followups"]

FOLLOWUP_KIND = "detractor_followup"
DETRACTOR_MAX = 6
CASE_LEVEL_GROUPS = ("team",)
HOURS = pd.Timedelta(hours=1)


def _require(df: pd.DataFrame, columns: list[str], table: str, caller: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{caller}: {table} table lacks column(s) {missing}")



def detractor_followups(
    surveys: pd.DataFrame,
    cases: pd.DataFrame | None,
    *,
    as_of,
    customers: pd.DataFrame | None = None,
    followup_window_days: int = 7,
    default_sla_hours: float = 24.0,
) -> pd.DataFrame:
    """One row per detractor answer with its follow-up case and response times.

    :func:`answer_followups` restricted to the answers 0-6; see it for the parameters and columns.

    Examples
    --------
    >>> s = pd.DataFrame({"invitation_id": ["i1", "i2"], "customer_id": ["c1", "c2"],
    ...     "responded_at": pd.to_datetime(["2026-01-05", "2026-01-06"]), "nps": [3, 8]})
    >>> detractor_followups(s, None, as_of="2026-03-31")["nps"].tolist()
    [3]
    """
    return answer_followups(surveys, cases, as_of=as_of, customers=customers, max_nps=DETRACTOR_MAX,
                            followup_window_days=followup_window_days, default_sla_hours=default_sla_hours)


def answer_followups(
    surveys: pd.DataFrame,
    cases: pd.DataFrame | None,
    *,
    as_of,
    customers: pd.DataFrame | None = None,
    max_nps: int = 10,
    followup_window_days: int = 7,
    default_sla_hours: float = 24.0,
) -> pd.DataFrame:
    """One row per NPS answer up to ``max_nps`` with its follow-up case and response times.

    Answers above the follow-up threshold (7-10) normally have no case; they are the comparison
    group of the designs in :mod:`cxlab.causal`.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; the answers kept are those with ``nps`` 0 to ``max_nps`` answered on
        or before ``as_of``. Not modified.
    cases : pandas.DataFrame or None
        A ``cases`` table (only ``detractor_followup`` rows are used); None means no follow-ups.
    as_of : str or pandas.Timestamp
        Analysis date.
    customers : pandas.DataFrame, optional
        A ``customers`` table; adds ``segment``, ``region`` and ``contract``.
    max_nps : int
        Highest score kept (6: detractor answers only).
    followup_window_days : int
        Days after an answer within which a follow-up is expected: answers younger than this are
        not yet counted in coverage, and (without ``invitation_id``) the matching window.
    default_sla_hours : float
        Promised hours to first response for cases whose ``sla_hours`` is missing.

    Returns
    -------
    pandas.DataFrame
        Columns ``invitation_id``, ``customer_id``, ``responded_at``, ``nps``, ``quarter``
        (of the answer), ``mature``, ``followed_up``, ``case_id``, ``team`` (if known),
        ``opened_at``, ``first_response_at``, ``closed_at`` (missing when after ``as_of``),
        ``sla_hours``, ``hours_to_first_response`` (observed or censored hours),
        ``first_response_observed``, ``within_sla`` (1/0, missing while undecided),
        ``hours_to_close``, ``close_observed``; ``attrs["match"]`` says how cases were matched. In the
        order of ``responded_at`` and then ``invitation_id``, whatever the order of ``surveys``.
    """
    _require(
        surveys, ["invitation_id", "customer_id", "responded_at", "nps"], "surveys", "answer_followups"
    )
    if followup_window_days <= 0:
        raise ValueError(
            f"answer_followups: followup_window_days must be positive, got {followup_window_days}"
        )
    as_of = pd.Timestamp(as_of)
    answered_at = pd.to_datetime(surveys["responded_at"], cache=False)
    keep = (
        surveys["nps"].notna()
        & (surveys["nps"] <= max_nps)
        & known_by(answered_at, as_of=as_of)
    )
    det = surveys.loc[keep, ["invitation_id", "customer_id", "responded_at", "nps"]].copy()
    det["customer_id"] = as_text_ids(det["customer_id"])
    det["responded_at"] = pd.to_datetime(det["responded_at"], cache=False)
    det["quarter"] = quarter_labels(det["responded_at"])
    det["mature"] = det["responded_at"] < as_of_end(as_of) - pd.Timedelta(days=followup_window_days)

    case_cols = ["case_id", "team", "opened_at", "first_response_at", "closed_at", "sla_hours"]
    if cases is None:
        follow = pd.DataFrame(columns=["customer_id", "invitation_id", *case_cols])
        match = "no cases table"
    else:
        _require(
            cases,
            ["case_id", "customer_id", "kind", "opened_at", "first_response_at", "closed_at", "sla_hours"],
            "cases",
            "answer_followups",
        )
        follow = cases.loc[  # the columns used, then the rows: the cases' other columns are not read
            (cases["kind"] == FOLLOWUP_KIND) & known_by(pd.to_datetime(cases["opened_at"], cache=False), as_of=as_of),
            [c for c in ("customer_id", "invitation_id", *case_cols) if c in cases.columns],
        ].copy()
        follow["customer_id"] = as_text_ids(follow["customer_id"])
        for col in ("opened_at", "first_response_at", "closed_at"):
            follow[col] = pd.to_datetime(follow[col], cache=False)
        if "team" not in follow.columns:
            follow["team"] = np.nan
        by_invitation = "invitation_id" in follow.columns and follow["invitation_id"].notna().any()
        match = (
            "invitation_id"
            if by_invitation
            else (f"customer's first follow-up opened within {followup_window_days} days after the answer")
        )
        if not by_invitation:
            follow["invitation_id"] = np.nan
    follow = follow.sort_values("opened_at")

    if match == "invitation_id":
        first = follow.dropna(subset=["invitation_id"]).drop_duplicates("invitation_id")
        out = det  # a frame of its own: the case columns are added in place
        for name, values in attributes_of(det["invitation_id"], first, case_cols, id_col="invitation_id").items():
            out[name] = values
    elif len(follow) and len(det):
        out = pd.merge_asof(
            det.sort_values("responded_at"),
            follow[["customer_id", *case_cols]],
            left_on="responded_at",
            right_on="opened_at",
            by="customer_id",
            direction="forward",
            tolerance=pd.Timedelta(days=followup_window_days),
        )
    else:
        out = det.assign(**{c: np.nan for c in case_cols})
        for col in ("opened_at", "first_response_at", "closed_at"):
            out[col] = pd.to_datetime(out[col], cache=False)
    out["followed_up"] = out["case_id"].notna()
    for col in ("first_response_at", "closed_at"):
        out[col] = out[col].where(known_by(out[col], as_of=as_of))
    out["sla_hours"] = out["sla_hours"].astype(float).fillna(default_sla_hours).where(out["followed_up"])

    opened = out["opened_at"]
    out["first_response_observed"] = out["first_response_at"].notna()
    out["hours_to_first_response"] = (
        out["first_response_at"].fillna(as_of_end(as_of)).where(out["followed_up"]) - opened
    ) / HOURS
    out["close_observed"] = out["closed_at"].notna()
    out["hours_to_close"] = (out["closed_at"].fillna(as_of).where(out["followed_up"]) - opened) / HOURS
    hours = out["hours_to_first_response"]
    decided = out["first_response_observed"] | (hours > out["sla_hours"])
    within = out["first_response_observed"] & (hours <= out["sla_hours"])
    out["within_sla"] = within.astype(float).where(decided & out["followed_up"])
    if customers is not None:
        _require(customers, ["customer_id"], "customers", "answer_followups")
        attrs = [c for c in ("segment", "region", "contract") if c in customers.columns]
        for name, values in attributes_of(out["customer_id"], customers, attrs).items():
            out[name] = values
    out = by_answer_time(out)
    out.index = pd.RangeIndex(len(out))  # renumbered in place: reset_index would copy every column
    out.attrs.update(as_of=as_of, match=match, followup_window_days=followup_window_days)
    return out
