"""The quarterly scorecard per touchpoint, the quarter's headline estimates, overall questions and
recent comments."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab import metrics
from cxlab.periods import as_datetime, parse_quarter
from cxlab.schema import RELATIONSHIP, TOUCHPOINTS
from cxlab.touchpoints.answers import SURVEY_COLUMNS, _require, _touchpoint_order, surveys_as_of
from cxlab.touchpoints.cells import HEADLINE_METRICS, OVERALL_QUESTIONS, SurveyCells, survey_cells

__all__ = ["SCORE_LABELS", "overall_share", "overall_share_from_counts", "quarter_estimates",
           "quarter_estimates_from_cells", "recent_comments", "score_labels", "scorecard", "scorecard_from_cells"]


def scorecard(surveys: pd.DataFrame, *, as_of, quarters=None, min_cell_size: int = metrics.DEFAULT_MIN_CELL_SIZE,
              method: str = "adjusted_wald", level: float = 0.95, suppress: bool = True,
              cluster_col: str | None = metrics.DEFAULT_CLUSTER_COL) -> pd.DataFrame:
    """Scorecard per touchpoint and quarter: CSAT, CES and relationship NPS with intervals.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    as_of : str or pandas.Timestamp
        Analysis date (see :func:`surveys_as_of`).
    quarters : str or list of str, optional
        Quarter or quarters to keep (``"2026Q3"`` or ``["2026Q2", "2026Q3"]``); default all.
    min_cell_size : int
        Estimates from fewer answers are blanked (each metric by its own number of answers;
        the response rate by the number of invitations).
    method : {"adjusted_wald", "wald", "bootstrap"}
        NPS interval method.
    level : float
        Confidence level.
    suppress : bool
        Blank small cells (report tables); ``False`` keeps them for research.
    cluster_col : str or None
        Column of customer ids: intervals allow for customers answering several times
        (default ``"customer_id"`` when present; None treats answers as independent).

    Returns
    -------
    pandas.DataFrame
        One row per touchpoint (``relationship`` first) and quarter: ``invitations``,
        ``responses``, ``response_rate`` (%), ``csat`` (% satisfied), ``csat_ci_low``,
        ``csat_ci_high``, ``csat_n``, ``ces`` (mean 1-7), ``ces_ci_low``, ``ces_ci_high``,
        ``ces_n``, ``nps`` (points), ``nps_ci_low``, ``nps_ci_high``, ``nps_n``, the design
        effects ``csat_deff``, ``ces_deff``, ``nps_deff`` and ``small_cell`` (fewer than
        ``min_cell_size`` responses). Metrics a touchpoint does not ask are empty. ``attrs`` holds
        ``level`` and ``variance`` (how repeated answers were treated).

    Examples
    --------
    >>> s = pd.DataFrame({"touchpoint": "portal", "sent_at": pd.Timestamp("2026-08-01"),
    ...                   "responded_at": pd.Timestamp("2026-08-02"), "nps": np.nan,
    ...                   "csat": [5.0, 4.0, 2.0] * 20, "ces": 2.0})
    >>> card = scorecard(s, as_of="2026-09-30")
    >>> card[["touchpoint", "quarter", "responses", "csat"]].round(1).to_dict("records")
    [{'touchpoint': 'portal', 'quarter': '2026Q3', 'responses': 60, 'csat': 66.7}]
    """
    return scorecard_from_cells(survey_cells(surveys, as_of=as_of, cluster_col=cluster_col), quarters=quarters,
                                min_cell_size=min_cell_size, method=method, level=level, suppress=suppress)


def scorecard_from_cells(cells: SurveyCells, *, quarters=None, min_cell_size: int = metrics.DEFAULT_MIN_CELL_SIZE,
                         method: str = "adjusted_wald", level: float = 0.95, suppress: bool = True) -> pd.DataFrame:
    """:func:`scorecard` from the scorecard's aggregates (:func:`cxlab.touchpoints.survey_cells` or an engine's).

    The arguments after ``cells`` and the result are those of :func:`scorecard`.
    """
    keys = ["touchpoint", "quarter"]
    counts = cells.responses[[*keys, "invitations", "responses"]].copy()
    counts["response_rate"] = counts["responses"] / counts["invitations"] * 100
    if suppress:
        counts["response_rate"] = counts["response_rate"].mask(counts["invitations"] < min_cell_size)
    options = {"min_cell_size": min_cell_size, "level": level, "suppress": suppress}
    tables = {
        "csat": metrics.csat_table(cells.by_touchpoint["csat"], **options),
        "ces": metrics.ces_table(cells.by_touchpoint["ces"], **options),
        "nps": metrics.nps_table(cells.by_touchpoint["nps"], method=method, **options),
    }
    card = counts
    for name, table in tables.items():
        table = table[[*keys, "n", name, "ci_low", "ci_high", "deff"]].rename(
            columns={"n": f"{name}_n", "ci_low": f"{name}_ci_low", "ci_high": f"{name}_ci_high",
                     "deff": f"{name}_deff"})
        card = card.merge(table, on=keys, how="left")
        card[f"{name}_n"] = card[f"{name}_n"].fillna(0).astype(int)
    card["small_cell"] = card["responses"] < min_cell_size
    if quarters is not None:
        wanted = [quarters] if isinstance(quarters, str | pd.Period) else list(quarters)
        card = card[card["quarter"].isin([str(parse_quarter(str(q))) for q in wanted])]
    order = {t: i for i, t in enumerate(_touchpoint_order(card["touchpoint"]))}
    card = card.sort_values(["touchpoint", "quarter"], key=lambda s: s.map(order) if s.name == "touchpoint" else s)
    card = card.reset_index(drop=True)
    card.attrs.update(level=level, variance=metrics.variance_label(cells.cluster_col))
    return card


def quarter_estimates(surveys: pd.DataFrame, *, quarter: str, as_of, method: str = "adjusted_wald",
                      level: float = 0.95, cluster_col: str | None = metrics.DEFAULT_CLUSTER_COL) -> dict:
    """Relationship NPS, CSAT and CES of one quarter with their intervals.

    NPS comes from the relationship survey, CSAT and CES from all transactional touchpoints,
    each from the invitations sent in the quarter and answered by ``as_of``.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    quarter : str
        Quarter label, e.g. ``"2026Q3"``.
    as_of : str or pandas.Timestamp
        Analysis date.
    method : {"adjusted_wald", "wald", "bootstrap"}
        NPS interval method.
    level : float
        Confidence level.
    cluster_col : str or None
        Column of customer ids: intervals allow for customers answering several times
        (default ``"customer_id"`` when present; None treats answers as independent).

    Returns
    -------
    dict
        ``{"nps": NPSEstimate, "csat": CSATEstimate, "ces": CESEstimate}`` (n = 0 and missing
        values when the quarter has no answers).
    """
    return quarter_estimates_from_cells(survey_cells(surveys, as_of=as_of, cluster_col=cluster_col),
                                        quarter=quarter, method=method, level=level)


def quarter_estimates_from_cells(cells: SurveyCells, *, quarter: str, method: str = "adjusted_wald",
                                 level: float = 0.95) -> dict:
    """:func:`quarter_estimates` from the scorecard's aggregates (same arguments after ``cells``, same result)."""
    label = str(pd.Period(str(quarter), freq="Q"))
    return {m: cells.by_quarter[m].estimate(label, method=method, level=level) for m in HEADLINE_METRICS}


def overall_share(surveys: pd.DataFrame, *, column: str, quarter: str, as_of, level: float = 0.95) -> dict:
    """Share of positive answers to an overall question of a quarter, with its Wilson interval.

    For the optional overall questions of :data:`OVERALL_QUESTIONS`: ``satisfied`` (0/1, the
    share answering 1) and ``recommend5`` (the 5-point Friends and Family Test question, the
    share answering 4 "likely" or 5 "extremely likely"). Answers come from the invitations sent
    in the quarter and received by ``as_of``, like :func:`quarter_estimates`; empty cells
    (question not asked, not answered, or "don't know") are not counted.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table with ``column``; not modified.
    column : {"satisfied", "recommend5"}
        The overall question.
    quarter : str
        Quarter label, e.g. ``"2024Q1"``.
    as_of : str or pandas.Timestamp
        Analysis date.
    level : float
        Confidence level of the interval.

    Returns
    -------
    dict
        ``value``, ``ci_low``, ``ci_high`` (percent; NaN when there are no answers), ``n``
        (answers counted) and ``hits`` (positive answers).

    Raises
    ------
    ValueError
        When ``column`` is not an overall question, is missing, or holds values off its scale.

    Examples
    --------
    >>> s = pd.DataFrame({"touchpoint": "relationship", "sent_at": pd.to_datetime(["2024-02-01"] * 4),
    ...                   "responded_at": pd.to_datetime(["2024-02-01"] * 4), "nps": None, "csat": None,
    ...                   "ces": None, "recommend5": [5, 4, 2, None]})
    >>> share = overall_share(s, column="recommend5", quarter="2024Q1", as_of="2024-03-31")
    >>> share["n"], share["hits"], round(share["value"], 1)
    (3, 2, 66.7)
    """
    if column not in OVERALL_QUESTIONS:
        raise ValueError(f"overall_share: column must be one of {list(OVERALL_QUESTIONS)}; got {column!r}")
    _require(surveys, [*SURVEY_COLUMNS, column], "overall_share")
    period = pd.Period(str(quarter), freq="Q")
    sent = as_datetime(surveys["sent_at"])
    in_quarter = surveys.loc[(sent >= period.start_time) & (sent <= period.end_time), [*SURVEY_COLUMNS, column]]
    answers = surveys_as_of(in_quarter, as_of=as_of)[column].dropna().astype(float)
    return overall_share_from_counts(answers.value_counts(), column=column, level=level)


def overall_share_from_counts(counts: pd.Series, *, column: str, level: float = 0.95) -> dict:
    """:func:`overall_share` from the answers per value of the question (index: answer, values: answers).

    Examples
    --------
    >>> share = overall_share_from_counts(pd.Series({5.0: 1, 4.0: 1, 2.0: 1}), column="recommend5")
    >>> share["n"], share["hits"], round(share["value"], 1)
    (3, 2, 66.7)
    """
    if column not in OVERALL_QUESTIONS:
        raise ValueError(f"overall_share: column must be one of {list(OVERALL_QUESTIONS)}; got {column!r}")
    *_, positive, (low_score, high_score) = OVERALL_QUESTIONS[column]
    values = counts.index.to_numpy(float)
    off_scale = values[(values < low_score) | (values > high_score) | (values % 1 != 0)]
    if len(off_scale):
        raise ValueError(f"overall_share: column {column!r} must hold whole numbers from {low_score} to "
                         f"{high_score}; found {sorted(off_scale.tolist())[:5]}")
    n, hits = int(counts.sum()), int(counts[np.isin(values, positive)].sum())
    low, high = metrics.wilson_interval(hits, n, level)
    return {"value": 100 * hits / n if n else np.nan, "ci_low": 100 * float(low), "ci_high": 100 * float(high),
            "n": n, "hits": hits}


# How each answer column is shown next to a comment, on its own scale.
SCORE_LABELS = {
    "nps": "NPS {} of 10",
    "recommend5": "recommend {} of 5",
    "csat": "CSAT {} of 5",
    "ces": "CES {} of 7",
}


def score_labels(answers: pd.DataFrame) -> pd.Series:
    """Describe each answer's scores in words, each on its own scale (e.g. ``"CSAT 2 of 5, CES 6 of 7"``).

    Parameters
    ----------
    answers : pandas.DataFrame
        Survey answers with any of the columns nps, recommend5, csat, ces, satisfied.

    Returns
    -------
    pandas.Series of str
        One label per row; scores a row does not have are left out.

    Examples
    --------
    >>> score_labels(pd.DataFrame({"nps": [9.0, None], "csat": [None, 2.0]})).tolist()
    ['NPS 9 of 10', 'CSAT 2 of 5']
    """
    label = pd.Series("", index=answers.index)
    for column, template in SCORE_LABELS.items():
        if column in answers.columns:
            values = answers[column].astype("Int64")
            before, after = template.split("{}")
            label = _join_labels(label, (before + values.astype(str) + after).where(values.notna(), ""))
    if "satisfied" in answers.columns:
        flag = answers["satisfied"]
        words = np.where(flag.isna(), "", np.where(flag == 1, "satisfied", "not satisfied"))
        label = _join_labels(label, pd.Series(words, index=answers.index))
    return label


def _join_labels(left: pd.Series, right: pd.Series) -> pd.Series:
    both = (left != "") & (right != "")
    return (left + np.where(both, ", ", "") + right).astype(str)


def recent_comments(answers: pd.DataFrame, *, per_touchpoint: int = 2) -> pd.DataFrame:
    """The most recent comments per touchpoint, with their scores in words, for an escaped table.

    Parameters
    ----------
    answers : pandas.DataFrame
        Survey answers (e.g. one quarter's) with touchpoint, responded_at, invitation_id and comment.
    per_touchpoint : int
        Comments shown per touchpoint.

    Returns
    -------
    pandas.DataFrame
        Columns touchpoint, answered (date), score, comment; the relationship survey first, then
        the journey touchpoints in order. No identifiers. Show it with :func:`cxlab.display.text_table`.
    """
    _require(answers, ["touchpoint", "responded_at", "invitation_id", "comment"], "recent_comments")
    rank = {name: i for i, name in enumerate([RELATIONSHIP, *TOUCHPOINTS])}
    said = (answers[answers["comment"].notna()]
            .sort_values(["responded_at", "invitation_id"], ascending=False)
            .groupby("touchpoint", sort=False).head(per_touchpoint))
    said = said.assign(rank=said["touchpoint"].map(rank).fillna(len(rank)))
    said = said.sort_values(["rank", "responded_at"], ascending=[True, False])
    return pd.DataFrame({"touchpoint": said["touchpoint"], "answered": said["responded_at"].dt.date,
                         "score": score_labels(said), "comment": said["comment"]}).reset_index(drop=True)
