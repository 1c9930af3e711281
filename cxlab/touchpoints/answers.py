"""Survey answers as of an instant: the quarter an answer belongs to, late answers masked, customer
attributes joined."""

from __future__ import annotations

import pandas as pd

from cxlab.identifiers import attributes_of
from cxlab.periods import as_datetime, known_by, quarter_labels
from cxlab.schema import RELATIONSHIP, TOUCHPOINTS

__all__ = ["ANSWER_COLUMNS", "SCORE_COLUMNS", "SURVEY_COLUMNS", "TREND_METRICS", "quarter_labels", "surveys_as_of",
           "with_customer_attributes"]

KNOWN_AS_OF = "known_as_of"
SURVEY_COLUMNS = ("touchpoint", "sent_at", "responded_at", "nps", "csat", "ces")
SCORE_COLUMNS = ("nps", "csat", "ces", "comment")
ANSWER_COLUMNS = (*SCORE_COLUMNS, "recommend5", "satisfied", "score")  # blanked when the answer came too late
TREND_METRICS = {
    "csat": ("Share satisfied (CSAT 4-5), %", "CSAT by touchpoint and quarter"),
    "ces": ("Mean effort (CES 1-7, lower = easier)", "Customer effort by touchpoint and quarter"),
    "nps": ("Relationship NPS (points, -100 to 100)", "Relationship NPS by quarter"),
}


def _require(df: pd.DataFrame, columns, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{what}: expected a surveys DataFrame; got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: surveys table lacks column(s) {missing} (have {list(df.columns)})")


def surveys_as_of(surveys: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """The survey invitations known at a date, with their quarter and response flag.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table (see :mod:`cxlab.schema`); not modified.
    as_of : str or pandas.Timestamp
        Analysis date: invitations sent after it are dropped, answers received after it are
        treated as no answer (scores, the optional answers of :data:`ANSWER_COLUMNS`, comment and
        ``responded_at`` blanked).

    Returns
    -------
    pandas.DataFrame
        The known invitations with ``quarter`` (label of the ``sent_at`` quarter, e.g.
        ``"2026Q3"``) and ``responded`` (bool) added; ``attrs["known_as_of"]`` holds the date. Given
        such a frame (or rows of it) and the same date again, it returns a shallow copy of the
        frame without passing over its rows a second time.

    Examples
    --------
    >>> s = pd.DataFrame({"touchpoint": ["portal"] * 2, "sent_at": pd.to_datetime(["2026-09-29"] * 2),
    ...                   "responded_at": pd.to_datetime(["2026-09-29", "2026-10-02"]),
    ...                   "nps": [None, None], "csat": [5, 4], "ces": [1, 2]})
    >>> surveys_as_of(s, as_of="2026-09-30")[["quarter", "responded", "csat"]].to_dict("list")
    {'quarter': ['2026Q3', '2026Q3'], 'responded': [True, False], 'csat': [5.0, nan]}
    """
    _require(surveys, SURVEY_COLUMNS, "surveys_as_of")
    as_of = pd.Timestamp(as_of)
    if surveys.attrs.get(KNOWN_AS_OF) == as_of and {"quarter", "responded"} <= set(surveys.columns):
        return surveys.copy(deep=False)
    known = known_by(as_datetime(surveys["sent_at"]), as_of=as_of)
    # a shallow copy is enough to add columns to; when every invitation is known (the usual case
    # at the data's own as-of date) no row is copied at all
    out = surveys.copy(deep=False) if known.all() else surveys.loc[known].copy(deep=False)
    out["responded_at"] = as_datetime(out["responded_at"])
    for col in ("nps", "csat", "ces"):
        if out[col].dtype != float:
            out[col] = out[col].astype(float)
    late = out["responded_at"].notna() & ~known_by(out["responded_at"], as_of=as_of)
    if late.any():
        for col in ["responded_at", *(c for c in ANSWER_COLUMNS if c in out.columns)]:
            out[col] = out[col].mask(late)
    out["responded"] = out["responded_at"].notna()
    out["quarter"] = quarter_labels(out["sent_at"])
    out.attrs[KNOWN_AS_OF] = as_of
    return out


def with_customer_attributes(surveys: pd.DataFrame, customers: pd.DataFrame, columns) -> pd.DataFrame:
    """The survey rows with attributes of their customers added (e.g. to break NPS down by region).

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table (or rows of it); not modified.
    customers : pandas.DataFrame
        The ``customers`` table.
    columns : str or list of str
        Customer columns to add, e.g. ``"region"`` or ``["region", "contract"]``.

    Returns
    -------
    pandas.DataFrame
        ``surveys`` with the columns added (missing for answers of unknown customers), in the same
        row order.

    Raises
    ------
    ValueError
        Naming the columns the customers table does not have, and those it has.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": ["a", "b", "a"], "nps": [9.0, 3.0, 10.0]})
    >>> c = pd.DataFrame({"customer_id": ["a", "b"], "region": ["North", "South"]})
    >>> with_customer_attributes(s, c, "region")["region"].tolist()
    ['North', 'South', 'North']
    """
    columns = [columns] if isinstance(columns, str) else list(columns)
    unknown = [c for c in columns if c not in customers.columns]
    if unknown:
        raise ValueError(f"with_customer_attributes: customers table has no column(s) {unknown}; "
                         f"it has {list(customers.columns)}")
    clashing = [c for c in columns if c in surveys.columns]
    if clashing:
        raise ValueError(f"with_customer_attributes: surveys already have column(s) {clashing}")
    return surveys.assign(**attributes_of(surveys["customer_id"], customers, columns))


def _scores_only(surveys: pd.DataFrame, cluster_col: str | None = None, extra=()) -> pd.DataFrame:
    """The columns the estimates need (and ``extra``), with the customer ids when clustering (copying every column
    is slow).

    The columns :func:`surveys_as_of` adds stay, so that a frame it returned is not worked out again.
    """
    _require(surveys, SURVEY_COLUMNS, "surveys")
    added = [c for c in ("quarter", "responded") if c in surveys.columns]
    return surveys[[*SURVEY_COLUMNS, *([cluster_col] if cluster_col else []), *extra, *added]]


def _touchpoint_order(values) -> list[str]:
    known = [RELATIONSHIP, *TOUCHPOINTS]
    present = set(pd.Series(values).unique())  # once: a set per known touchpoint took minutes at millions of rows
    return [t for t in known if t in present] + sorted(present - set(known))
