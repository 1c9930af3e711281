"""The aggregates behind the scorecard: invitations and score cells per touchpoint and quarter, and per quarter.

Every figure of the scorecard, its changes and its trends follows from a :class:`SurveyCells`:
:func:`survey_cells` builds it from a surveys table, :meth:`cxlab.engine.Engine.survey_cells` from the
data where they live, and the functions ending in ``_from_cells`` in :mod:`cxlab.touchpoints` take
either.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from cxlab import metrics
from cxlab.schema import RELATIONSHIP
from cxlab.touchpoints.answers import _scores_only, surveys_as_of

__all__ = ["HEADLINE_METRICS", "OVERALL_QUESTIONS", "SurveyCells", "metric_rows", "survey_cells"]

HEADLINE_METRICS = {
    # metric: (touchpoints asked, unit of the level, unit of a change, what a change compares)
    "nps": ("relationship", "points", "points", "NPS"),
    "csat": ("transactional", "% satisfied", "percentage points", "share satisfied"),
    "ces": ("transactional", "mean effort 1–7", "mean effort 1–7", "mean effort"),
}

# Overall questions on scales other than NPS/CSAT/CES (optional survey columns, see cxlab.schema):
# column: (headline key, label, unit, answers counted as a hit, scale of valid answers).
OVERALL_QUESTIONS = {
    "satisfied": ("satisfied_share", "Share satisfied (overall satisfied / not satisfied answer)",
                  "% satisfied", (1,), (0, 1)),
    "recommend5": ("recommend_share", "Share likely to recommend (extremely likely or likely, 4-5 on a 5-point "
                   "scale; not NPS)", "% likely to recommend (5-point scale)", (4, 5), (1, 5)),
}


@dataclass(frozen=True)
class SurveyCells:
    """Invitations, answers and score cells of the known surveys at an as-of instant.

    Attributes
    ----------
    as_of : pandas.Timestamp
        The as-of instant: invitations sent by it, answers received by it.
    responses : pandas.DataFrame
        One row per touchpoint and quarter (of ``sent_at``): ``touchpoint``, ``quarter``,
        ``invitations`` and ``responses``.
    by_touchpoint : dict of str to cxlab.metrics.ScoreCells
        For ``nps``, ``csat`` and ``ces``: cells per touchpoint and quarter.
    by_quarter : dict of str to cxlab.metrics.ScoreCells
        For each metric: cells per quarter over the touchpoints of its headline (the
        relationship survey for NPS, every other touchpoint for CSAT and CES; :data:`HEADLINE_METRICS`).
    cluster_col : str or None
        Column of customer ids the cells' moments were taken over (None: independent answers).
    overall : dict of str to pandas.DataFrame
        For each overall question of :data:`OVERALL_QUESTIONS` with known answers: ``quarter``,
        ``value`` and ``answers``.
    """

    as_of: pd.Timestamp
    responses: pd.DataFrame
    by_touchpoint: dict
    by_quarter: dict
    cluster_col: str | None
    overall: dict

    def overall_counts(self, column: str, quarter: str) -> pd.Series:
        """Answers per value of an overall question in ``quarter`` (empty when it has none there)."""
        counts = self.overall[column]
        in_quarter = counts[counts["quarter"] == str(quarter)]
        return pd.Series(in_quarter["answers"].to_numpy(), index=in_quarter["value"].to_numpy(float), dtype="int64")

    def asked(self, metric: str) -> bool:
        """Whether any known invitation was answered with ``metric``."""
        return bool(len(self.by_touchpoint[metric].counts))

    def invitations_in(self, quarter: str) -> int:
        """Invitations sent in ``quarter`` (known at the as-of instant)."""
        return int(self.responses.loc[self.responses["quarter"] == str(quarter), "invitations"].sum())


def metric_rows(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The answers of a metric's headline touchpoints (:data:`HEADLINE_METRICS`) that have the metric."""
    relationship = frame["touchpoint"] == RELATIONSHIP
    rows = frame[relationship] if HEADLINE_METRICS[metric][0] == "relationship" else frame[~relationship]
    return rows[rows[metric].notna()]


def survey_cells(surveys: pd.DataFrame, *, as_of, cluster_col: str | None = metrics.DEFAULT_CLUSTER_COL) -> SurveyCells:
    """The scorecard's aggregates of a surveys table at an as-of instant.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    as_of : str or pandas.Timestamp
        Analysis date (:func:`cxlab.touchpoints.surveys_as_of`).
    cluster_col : str or None
        Column of customer ids (default ``"customer_id"`` when present; None: independent answers).

    Returns
    -------
    SurveyCells

    Examples
    --------
    >>> s = pd.DataFrame({"touchpoint": "portal", "sent_at": pd.Timestamp("2026-08-01"),
    ...                   "responded_at": pd.Timestamp("2026-08-02"), "nps": None,
    ...                   "csat": [5.0, 4.0, 2.0], "ces": 2.0})
    >>> cells = survey_cells(s, as_of="2026-09-30")
    >>> cells.responses.to_dict("records"), cells.by_quarter["csat"].n.to_dict()
    ([{'touchpoint': 'portal', 'quarter': '2026Q3', 'invitations': 3, 'responses': 3}], {'2026Q3': 3})
    """
    cluster_col = metrics.cluster_column(surveys, cluster_col)
    overall = [c for c in OVERALL_QUESTIONS if c in surveys.columns]
    frame = surveys_as_of(_scores_only(surveys, cluster_col, overall), as_of=as_of)
    keys = ["touchpoint", "quarter"]
    responses = frame.groupby(keys, observed=True).agg(invitations=("responded", "size"),
                                                       responses=("responded", "sum")).reset_index()
    responses[["invitations", "responses"]] = responses[["invitations", "responses"]].astype("int64")
    options = {"cluster_col": cluster_col}
    return SurveyCells(
        as_of=pd.Timestamp(as_of), responses=responses,
        by_touchpoint={m: metrics.score_cells(frame, keys, kind=m, **options) for m in HEADLINE_METRICS},
        by_quarter={m: metrics.score_cells(metric_rows(frame, m), "quarter", kind=m, **options)
                    for m in HEADLINE_METRICS},
        cluster_col=cluster_col, overall={c: _value_counts(frame, c) for c in overall if frame[c].notna().any()})


def _value_counts(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Known answers per quarter and value of ``column``."""
    counts = frame.loc[frame[column].notna(), ["quarter", column]].astype({column: float})
    return counts.groupby(["quarter", column]).size().rename("answers").reset_index().rename(columns={column: "value"})
