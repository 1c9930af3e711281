"""Score cells: the answers per score and the customer moments of each cell.

They are the sufficient statistics of every grouped estimate in :mod:`cxlab.metrics`: the counts
give the estimates, the moments give the customer-clustered design effects of their intervals.
A table of cells comes from answer rows (:func:`score_cells`) or from a query engine
(:meth:`cxlab.engine.Engine.score_cells`); the tables, estimates and comparisons are then the same
arithmetic on either.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cxlab.metrics.estimates import ces_from_counts, csat_from_counts, nps_from_counts
from cxlab.metrics.intervals import (
    _N_VALUES,
    _answer_values,
    _cluster_codes,
    _cluster_sums,
    cell_moments,
    moment_deffs,
)
from cxlab.metrics.scales import (
    CES_SCALE,
    CSAT_SCALE,
    DEFAULT_CLUSTER_COL,
    LOW_EFFORT_SCORES,
    NPS_SCALE,
    PASSIVE_SCORES,
    PROMOTER_SCORES,
    SATISFIED_SCORES,
    _as_list,
    _check_columns,
    _check_subset,
    _valid_scores,
)

__all__ = ["DEFAULT_HIT_SCORES", "ScoreCells", "cluster_column", "moment_columns", "score_cells",
           "score_distribution"]

DEFAULT_HIT_SCORES = {"nps": (), "csat": SATISFIED_SCORES, "ces": LOW_EFFORT_SCORES}
_DEFF_NAMES = {"nps": ["deff"], "csat": ["share_deff", "mean_deff"], "ces": ["share_deff", "mean_deff"]}


_SCALES = {"nps": NPS_SCALE, "csat": CSAT_SCALE, "ces": CES_SCALE}


def score_distribution(df: pd.DataFrame, by, *, score_col: str, kind: str) -> pd.DataFrame:
    """Count the answers of each score per cell: the sufficient statistic of every grouped metric.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per survey invitation; not modified. Rows with a missing score are non-responses.
    by : str or list of str
        Columns defining the cells.
    score_col : str
        Column of scores.
    kind : {"nps", "csat", "ces"}
        Which scale the scores are on (0-10, 1-5, 1-7).

    Returns
    -------
    pandas.DataFrame
        Indexed by the cells (missing keys kept as their own cell), one column per score of the
        scale holding the number of answers. Cells without any answer are absent.

    Examples
    --------
    >>> t = score_distribution(pd.DataFrame({"q": ["a", "a", "b"], "csat": [5, 4, None]}),
    ...                        "q", score_col="csat", kind="csat")
    >>> int(t.loc["a", 5.0])
    1
    """
    if kind not in _SCALES:
        raise ValueError(f"kind must be one of {tuple(_SCALES)}; got {kind!r}")
    by = _as_list(by)
    _check_columns(df, [*by, score_col], f"{kind} by {by}")
    low, high = _SCALES[kind]
    _valid_scores(df[score_col], (low, high), kind.upper())
    answered = df.loc[df[score_col].notna(), [*by, score_col]].astype({score_col: float})
    counts = answered.groupby([*by, score_col], dropna=False, observed=True).size().unstack(score_col,
                                                                                           fill_value=0)
    levels = np.arange(low, high + 1, dtype=float)
    return counts.reindex(columns=levels, fill_value=0).rename_axis(columns="score")


def cluster_column(df: pd.DataFrame, cluster_col: str | None) -> str | None:
    """The column of customer ids that clusters the answers, or None for independent answers.

    Parameters
    ----------
    df : pandas.DataFrame
        The answers.
    cluster_col : str or None
        Requested column. The default :data:`DEFAULT_CLUSTER_COL` may be absent (then the
        answers are treated as independent); a column named otherwise must exist.

    Returns
    -------
    str or None

    Raises
    ------
    ValueError
        When a column other than the default is named and missing.

    Examples
    --------
    >>> cluster_column(pd.DataFrame({"nps": [9]}), "customer_id") is None
    True
    """
    if cluster_col is None:
        return None
    if cluster_col in df.columns:
        return cluster_col
    if cluster_col == DEFAULT_CLUSTER_COL:
        return None
    raise ValueError(f"cluster_col {cluster_col!r} is not a column of the table (have {list(df.columns)})")


def moment_columns(kind: str) -> list[str]:
    """Columns of a cell's customer moments for a metric.

    ``customers``, ``n`` (answers) and ``nn`` (sum over customers of their answers squared), and for
    each answer value ``j``: ``s{j}`` (sum), ``q{j}`` (sum of squares), ``ss{j}`` (sum over
    customers of their sum squared) and ``sn{j}`` (sum over customers of their sum times their
    answers).

    Examples
    --------
    >>> moment_columns("nps")
    ['customers', 'n', 'nn', 's0', 'q0', 'ss0', 'sn0']
    """
    return ["customers", "n", "nn", *(f"{name}{j}" for j in range(_N_VALUES[kind]) for name in ("s", "q", "ss", "sn"))]


@dataclass(frozen=True)
class ScoreCells:
    """One metric's answers per score and customer moments, per cell.

    Attributes
    ----------
    kind : {"nps", "csat", "ces"}
        The metric.
    counts : pandas.DataFrame
        Indexed by the cells, one column per score of the scale (floats ``low .. high``) holding
        the answers; the layout of :func:`cxlab.metrics.score_distribution`.
    moments : pandas.DataFrame or None
        The customer moments of each cell (:func:`moment_columns`), indexed as ``counts``; None
        when the answers are treated as independent.
    hit_scores : tuple of int
        Scores the moments' hit flag counts (satisfied for CSAT, low effort for CES).
    cluster_col : str or None
        The column of customer ids the moments were taken over (None: independent answers).
    """

    kind: str
    counts: pd.DataFrame
    moments: pd.DataFrame | None = None
    hit_scores: tuple[int, ...] = ()
    cluster_col: str | None = None

    @property
    def n(self) -> pd.Series:
        """Answers per cell."""
        return self.counts.sum(axis=1)

    def deffs(self) -> pd.DataFrame:
        """Design effects per cell and the customers who answered (``n_clusters``).

        Columns ``deff`` (NPS) or ``share_deff`` and ``mean_deff`` (CSAT, CES): the clustered
        variance over the independent one, floored at 1, missing for a cell of fewer than two
        customers (:func:`cxlab.metrics.intervals.deff_from_totals`). Without moments every
        design effect is 1 and ``n_clusters`` is missing.
        """
        return _design_effects(self.kind, self.counts.index, self.moments)

    def sort_index(self) -> ScoreCells:
        """The cells in the order of their index labels (missing labels last)."""
        counts = self.counts.sort_index()
        moments = None if self.moments is None else self.moments.reindex(counts.index)
        return replace(self, counts=counts, moments=moments)

    def xs(self, key, level: str) -> ScoreCells:
        """The cells of one value of an index level, that level dropped (e.g. one touchpoint's quarters)."""
        values = self.counts.index.get_level_values(level)
        keep = np.asarray(values == key)
        counts = self.counts[keep].droplevel(level)
        moments = None if self.moments is None else self.moments.reindex(self.counts.index[keep]).droplevel(level)
        return replace(self, counts=counts, moments=moments)

    def rest(self) -> ScoreCells:
        """For each cell, the cells of everyone else together: the totals minus the cell's own.

        Right for cells that split the customers (a customer attribute such as the segment, one
        value per customer): then every customer moment of the rest is the total less the cell's.
        For cells a customer answers in more than one of (touchpoints, quarters) use
        :func:`cxlab.metrics.compare_by`, which works from the answers.
        """
        counts = self.counts.sum() - self.counts
        moments = None if self.moments is None else self.moments.reindex(self.counts.index).sum() - self.moments
        return replace(self, counts=counts, moments=moments)

    def estimate(self, label, *, method: str = "adjusted_wald", level: float = 0.95):
        """The estimate of one cell, as :func:`cxlab.metrics.nps` / ``csat`` / ``ces`` gives it on its answers.

        Parameters
        ----------
        label : hashable
            The cell's index label; a cell without answers gives an estimate of ``n = 0``.
        method : {"adjusted_wald", "wald", "bootstrap"}
            NPS interval method.
        level : float
            Confidence level.

        Returns
        -------
        NPSEstimate, CSATEstimate or CESEstimate
        """
        present = label in self.counts.index
        width = len(self.counts.columns)
        counts = self.counts.loc[label].to_numpy(float) if present else np.zeros(width)
        if self.moments is None:
            deffs, n_clusters = [1.0] * _N_VALUES[self.kind], None
        elif present:
            row = self.deffs().loc[label]
            deffs, n_clusters = [float(row[name]) for name in _DEFF_NAMES[self.kind]], int(row["n_clusters"])
        else:
            deffs, n_clusters = [np.nan] * _N_VALUES[self.kind], 0
        if self.kind == "nps":
            levels = self.counts.columns.to_numpy(float)
            promoters = int(counts[levels >= PROMOTER_SCORES[0]].sum())
            passives = int(counts[(levels >= PASSIVE_SCORES[0]) & (levels < PROMOTER_SCORES[0])].sum())
            return nps_from_counts(promoters, passives, int(counts.sum()) - promoters - passives, method=method,
                                   level=level, deff=deffs[0], n_clusters=n_clusters)
        if self.kind == "csat":
            return csat_from_counts(counts, level=level, satisfied_scores=self.hit_scores, deff=deffs[0],
                                    mean_deff=deffs[1], n_clusters=n_clusters)
        return ces_from_counts(counts, level=level, low_effort_scores=self.hit_scores, deff=deffs[1],
                               low_effort_deff=deffs[0], n_clusters=n_clusters)


def score_cells(df: pd.DataFrame, by, *, kind: str, score_col: str | None = None,
                cluster_col: str | None = DEFAULT_CLUSTER_COL, hit_scores: tuple[int, ...] | None = None) -> ScoreCells:
    """The answers per score and the customer moments of each cell of answer rows.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per invitation or response; not modified. Missing scores are non-responses.
    by : str or list of str
        Columns defining the cells.
    kind : {"nps", "csat", "ces"}
        The metric.
    score_col : str, optional
        Column of scores; defaults to ``kind``.
    cluster_col : str or None
        Column of customer ids (default ``"customer_id"`` when present; None: independent answers).
    hit_scores : tuple of int, optional
        Scores counted as hits (default: satisfied 4-5 for CSAT, low effort 1-2 for CES).

    Returns
    -------
    ScoreCells

    Examples
    --------
    >>> df = pd.DataFrame({"q": ["a", "a", "b"], "customer_id": [1, 1, 2], "nps": [10, 3, 9]})
    >>> cells = score_cells(df, "q", kind="nps")
    >>> cells.n.tolist(), cells.moments["customers"].tolist()
    ([2, 1], [1, 1])
    """
    by = _as_list(by)
    score_col = score_col or kind
    if hit_scores is None:
        hit_scores = DEFAULT_HIT_SCORES[kind]
    elif kind != "nps":
        hit_scores = _check_subset(hit_scores, CSAT_SCALE if kind == "csat" else CES_SCALE, "hit_scores")
    counts = score_distribution(df, by, score_col=score_col, kind=kind)
    cluster_col = cluster_column(df, cluster_col)
    if cluster_col is None:
        return ScoreCells(kind, counts, None, tuple(hit_scores), None)
    sums, cells = _customer_sums(df, by, kind=kind, score_col=score_col, cluster_col=cluster_col,
                                 hit_scores=hit_scores)
    moments = cell_moments(sums, len(cells)).set_axis(cells).reindex(counts.index)
    return ScoreCells(kind, counts, moments, tuple(hit_scores), cluster_col)


def _customer_sums(df: pd.DataFrame, by: list[str], *, kind: str, score_col: str, cluster_col: str,
                   hit_scores: tuple[int, ...]) -> tuple[dict[str, np.ndarray], pd.Index]:
    """Answers and sums of the answer values per (cell, customer) pair of the answered rows, and the cells."""
    answered = df.loc[df[score_col].notna(), list(dict.fromkeys([*by, cluster_col, score_col]))]
    grouped = answered.groupby(by, dropna=False, observed=True)
    y = _answer_values(answered[score_col].to_numpy(dtype=float), kind, hit_scores)
    return (_cluster_sums(grouped.ngroup().to_numpy(), _cluster_codes(answered[cluster_col]), y),
            grouped.size().index)


def _design_effects(kind: str, index: pd.Index, moments: pd.DataFrame | None) -> pd.DataFrame:
    """Design effects and ``n_clusters`` per cell of ``index`` from customer moments (all 1 without moments)."""
    names = _DEFF_NAMES[kind]
    if moments is None:
        return pd.DataFrame(1.0, index=index, columns=names).assign(n_clusters=np.nan)
    moments = moments.reindex(index)
    return pd.DataFrame(moment_deffs(moments, len(names)), index=index, columns=names).assign(
        n_clusters=moments["customers"].to_numpy(float))
