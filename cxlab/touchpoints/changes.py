"""Quarter-on-quarter and year-on-year changes of the scorecard, adjusted across the whole table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab import metrics
from cxlab.schema import RELATIONSHIP
from cxlab.touchpoints.answers import _touchpoint_order
from cxlab.touchpoints.cells import HEADLINE_METRICS, SurveyCells, survey_cells

__all__ = ["CHANGE_COLUMNS", "quarter_changes", "quarter_changes_from_cells", "scorecard_changes",
           "scorecard_changes_from_cells"]


CHANGE_COLUMNS = ["metric", "comparison", "quarter", "reference_quarter", "value", "reference_value", "difference",
                  "ci_low", "ci_high", "p_value", "p_adjusted", "significant", "adj_ci_low", "adj_ci_high", "n",
                  "n_reference", "unit", "note"]


def _difference(metric: str, current, reference, level: float):
    if metric == "nps":
        return metrics.compare_nps(current, reference, level=level)
    if metric == "csat":
        return metrics.compare_csat(current, reference, on="share", level=level)
    return metrics.compare_ces(current, reference, on="mean", level=level)


def _period_changes(units: list[tuple[dict, str, metrics.ScoreCells]], *, period: pd.Period, min_cell_size: int,
                    method: str, level: float, cluster_col: str | None, family: str) -> pd.DataFrame:
    """Changes from the previous quarter and the same quarter a year earlier, adjusted as one family.

    ``units`` holds (leading columns of the row, metric, that metric's score cells per quarter) per row group.
    All tested changes form one Benjamini-Hochberg family; flagged changes get
    false-coverage-rate adjusted intervals from the same comparison at the adjusted level.
    """
    rows, pairs = [], []
    for keys, metric, quarters in units:
        change_unit, what = HEADLINE_METRICS[metric][2:]
        n_by_quarter = quarters.n
        current = quarters.estimate(str(period), method=method, level=level)
        earlier = n_by_quarter[(n_by_quarter.index < str(period)) & (n_by_quarter >= min_cell_size)]
        for comparison, reference in (("prev_quarter", period - 1), ("prev_year", period - 4)):
            reference, note = str(reference), ""
            if comparison == "prev_quarter" and n_by_quarter.get(reference, 0) < min_cell_size and len(earlier):
                note = f"{reference} has fewer than {min_cell_size} answers; compared with {earlier.index.max()}, " \
                       "the latest earlier quarter with enough answers"
                reference = earlier.index.max()
            ref = quarters.estimate(reference, method=method, level=level)
            row = {**keys, "metric": metric, "comparison": comparison, "quarter": str(period),
                   "reference_quarter": reference, "value": current.value, "reference_value": ref.value,
                   "n": current.n, "n_reference": ref.n, "unit": change_unit}
            if min(current.n, ref.n) < min_cell_size:
                short = " and ".join(q for q, n in ((str(period), current.n), (reference, ref.n)) if n < min_cell_size)
                row.update(difference=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan,
                           note=f"suppressed: fewer than {min_cell_size} answers in {short}")
                if current.n < min_cell_size:
                    row["value"] = np.nan
                if ref.n < min_cell_size:
                    row["reference_value"] = np.nan
                pairs.append(None)
            else:
                diff = _difference(metric, current, ref, level)
                row.update(difference=diff.estimate, ci_low=diff.ci_low, ci_high=diff.ci_high,
                           p_value=diff.p_value, note=note or f"{what}: {str(period)} minus {reference}")
                pairs.append((metric, current, ref))
            rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=list(dict.fromkeys([*(rows[0] if rows else {}), *CHANGE_COLUMNS])))
    selection = metrics.fdr_selection(out["p_value"], level)
    out["p_adjusted"], out["significant"] = selection["p_adjusted"], selection["selected"]
    adjusted = [_difference(*pair, selection["adjusted_level"]) if chosen else None
                for pair, chosen in zip(pairs, selection["selected"], strict=True)]
    out["adj_ci_low"] = [np.nan if d is None else d.ci_low for d in adjusted]
    out["adj_ci_high"] = [np.nan if d is None else d.ci_high for d in adjusted]
    out.attrs.update(variance=metrics.variance_label(cluster_col), adjusted_level=selection["adjusted_level"],
                     note=f"{metrics.multiplicity_note(selection, level, family)}; variance "
                          f"{metrics.variance_label(cluster_col)}")
    return out


def quarter_changes(surveys: pd.DataFrame, *, quarter: str, as_of, min_cell_size: int = metrics.DEFAULT_MIN_CELL_SIZE,
                    method: str = "adjusted_wald", level: float = 0.95,
                    cluster_col: str | None = metrics.DEFAULT_CLUSTER_COL) -> pd.DataFrame:
    """Change of NPS, CSAT and CES from the previous quarter and from the same quarter a year earlier.

    The relationship survey may not run every quarter: when the previous quarter has fewer than
    ``min_cell_size`` answers for a metric, the latest earlier quarter that has enough is used instead
    and ``note`` says so. Comparisons with fewer than ``min_cell_size`` answers on either side are
    blanked. Differences are quarter minus reference: NPS points (same interval method as the
    estimates), CSAT share in percentage points (Newcombe interval), CES mean in score points
    (Welch; lower = easier, so a negative change is an improvement). The six changes (three
    metrics, two comparisons) are one family: ``p_adjusted`` is Benjamini-Hochberg across it and
    flagged changes get false-coverage-rate adjusted intervals.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    quarter : str
        Report quarter, e.g. ``"2026Q3"``.
    as_of : str or pandas.Timestamp
        Analysis date.
    min_cell_size : int
        Minimum answers per quarter and metric.
    method : {"adjusted_wald", "wald", "bootstrap"}
        NPS interval method.
    level : float
        Confidence level; ``1 - level`` is the false discovery rate.
    cluster_col : str or None
        Column of customer ids: intervals allow for customers answering several times
        (default ``"customer_id"`` when present; None treats answers as independent).

    Returns
    -------
    pandas.DataFrame
        One row per metric (``nps``, ``csat``, ``ces``) and ``comparison`` (``prev_quarter``,
        ``prev_year``): ``quarter``, ``reference_quarter``, ``value``, ``reference_value``,
        ``difference``, ``ci_low``, ``ci_high`` (unadjusted), ``p_value``, ``p_adjusted``,
        ``significant``, ``adj_ci_low``, ``adj_ci_high`` (flagged changes only), ``n``,
        ``n_reference``, ``unit`` and ``note``; ``attrs["note"]`` is the table note.
    """
    return quarter_changes_from_cells(survey_cells(surveys, as_of=as_of, cluster_col=cluster_col), quarter=quarter,
                                      min_cell_size=min_cell_size, method=method, level=level)


def quarter_changes_from_cells(cells: SurveyCells, *, quarter: str,
                               min_cell_size: int = metrics.DEFAULT_MIN_CELL_SIZE, method: str = "adjusted_wald",
                               level: float = 0.95) -> pd.DataFrame:
    """:func:`quarter_changes` from the scorecard's aggregates (same arguments after ``cells``, same result)."""
    units = [({}, metric, cells.by_quarter[metric]) for metric in HEADLINE_METRICS]
    return _period_changes(units, period=pd.Period(str(quarter), freq="Q"), min_cell_size=min_cell_size, method=method,
                           level=level, cluster_col=cells.cluster_col, family="metrics and periods")[CHANGE_COLUMNS]


def scorecard_changes(surveys: pd.DataFrame, *, quarter: str, as_of, min_cell_size: int = metrics.DEFAULT_MIN_CELL_SIZE,
                      method: str = "adjusted_wald", level: float = 0.95,
                      cluster_col: str | None = metrics.DEFAULT_CLUSTER_COL) -> pd.DataFrame:
    """Quarter-on-quarter and year-on-year change of every scorecard cell, adjusted as one family.

    For each touchpoint and the metrics it asks (CSAT and CES for the journey touchpoints, NPS
    for the relationship survey), the report quarter against the previous quarter and the same
    quarter a year earlier, as in :func:`quarter_changes`. All tested changes (touchpoints x
    metrics x both comparisons) form one family: ``p_adjusted`` is Benjamini-Hochberg across
    it, ``significant`` is based on it, and the flagged changes get false-coverage-rate adjusted
    intervals (``adj_ci_low``, ``adj_ci_high``) that exclude zero.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    quarter : str
        Report quarter, e.g. ``"2026Q3"``.
    as_of : str or pandas.Timestamp
        Analysis date.
    min_cell_size : int
        Minimum answers per quarter, touchpoint and metric.
    method : {"adjusted_wald", "wald", "bootstrap"}
        NPS interval method.
    level : float
        Confidence level; ``1 - level`` is the false discovery rate.
    cluster_col : str or None
        Column of customer ids (default ``"customer_id"`` when present; None treats answers as
        independent).

    Returns
    -------
    pandas.DataFrame
        ``touchpoint`` and the columns of :func:`quarter_changes`, touchpoints in journey order;
        ``attrs["note"]`` says how p-values and intervals are adjusted and which variance is used.
    """
    return scorecard_changes_from_cells(survey_cells(surveys, as_of=as_of, cluster_col=cluster_col),
                                        quarter=quarter, min_cell_size=min_cell_size, method=method, level=level)


def scorecard_changes_from_cells(cells: SurveyCells, *, quarter: str,
                                 min_cell_size: int = metrics.DEFAULT_MIN_CELL_SIZE, method: str = "adjusted_wald",
                                 level: float = 0.95) -> pd.DataFrame:
    """:func:`scorecard_changes` from the scorecard's aggregates (same arguments after ``cells``, same result)."""
    units = []
    for touchpoint in _touchpoint_order(cells.responses["touchpoint"]):
        asked = ["nps"] if touchpoint == RELATIONSHIP else ["csat", "ces"]
        for metric in asked:
            quarters = cells.by_touchpoint[metric].xs(touchpoint, "touchpoint")
            if len(quarters.counts):
                units.append(({"touchpoint": touchpoint}, metric, quarters))
    out = _period_changes(units, period=pd.Period(str(quarter), freq="Q"), min_cell_size=min_cell_size, method=method,
                          level=level, cluster_col=cells.cluster_col, family="touchpoints, metrics and periods")
    return out.reindex(columns=["touchpoint", *CHANGE_COLUMNS])
