"""Grouped tables: NPS, CSAT and CES per cell, and many comparisons at once under false-discovery-rate
control."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from cxlab.metrics.cells import (
    ScoreCells,
    _customer_sums,
    _design_effects,
    cluster_column,
    score_cells,
    score_distribution,
)
from cxlab.metrics.estimates import _fmt_level
from cxlab.metrics.intervals import (
    _mean_differences,
    _nps_differences,
    _proportion_differences,
    cell_moments,
    mean_intervals_from_sums,
    nps_intervals,
    wilson_interval,
)
from cxlab.metrics.scales import (
    CES_SCALE,
    CSAT_SCALE,
    DEFAULT_CLUSTER_COL,
    DEFAULT_MIN_CELL_SIZE,
    DEFAULT_RESAMPLES,
    LOW_EFFORT_SCORES,
    PASSIVE_SCORES,
    PROMOTER_SCORES,
    SATISFIED_SCORES,
    _as_list,
    _check_level,
    _check_method,
    _check_resamples,
    _check_subset,
)

__all__ = ["ces_by", "ces_table", "cluster_column", "compare_by", "compare_with_rest", "csat_by", "csat_table",
           "fdr_selection", "multiplicity_note", "nps_by", "nps_table", "score_distribution", "variance_label"]


# ---------------------------------------------------------------------------------------------
# Grouped tables
# ---------------------------------------------------------------------------------------------

def _suppress(out: pd.DataFrame, small: pd.Series, value_cols: list[str], suppress: bool) -> pd.DataFrame:
    out["small_cell"] = small.to_numpy()
    if suppress:
        counts = [c for c in value_cols if pd.api.types.is_integer_dtype(out[c])]
        out[value_cols] = out[value_cols].astype(float).mask(out["small_cell"])
        out[counts] = out[counts].astype("Int64")
    return out


def _grouped_kwargs(min_cell_size: int, level: float) -> tuple[int, float]:
    if int(min_cell_size) != min_cell_size or min_cell_size < 0:
        raise ValueError(f"min_cell_size must be a non-negative whole number of responses; got {min_cell_size!r}")
    return int(min_cell_size), _check_level(level)


def variance_label(cluster_col: str | None) -> str:
    """How a table's intervals treat repeated answers, as recorded in its ``attrs["variance"]``.

    Parameters
    ----------
    cluster_col : str or None
        Column of customer ids the answers were clustered by, or None.

    Returns
    -------
    str

    Examples
    --------
    >>> variance_label("customer_id")
    'clustered by customer_id (cluster-robust variance, design effect floored at 1)'
    """
    if cluster_col is None:
        return "naive (answers treated as independent)"
    return f"clustered by {cluster_col} (cluster-robust variance, design effect floored at 1)"


def _rest_sums(sums: dict[str, np.ndarray], cells: pd.Index, within: list[str]) -> dict[str, np.ndarray]:
    """Per (cell, customer) sums of each cell's rest: the other answers of the cell's ``within`` group.

    Built from the per-customer totals of each ``within`` group minus the cell's own (aggregated
    tables, one merge; no loop over customers).
    """
    frame = cells.to_frame(index=False)
    group_of_cell = (frame.groupby(within, dropna=False, observed=True).ngroup().to_numpy() if within
                     else np.zeros(len(cells), np.int64))
    width = sums["s"].shape[1]
    pairs = pd.DataFrame({"cell": sums["group"], "cluster": sums["cluster"], "n": sums["n"],
                          **{f"s{j}": sums["s"][:, j] for j in range(width)},
                          **{f"q{j}": sums["q"][:, j] for j in range(width)}})
    values = [c for c in pairs.columns if c not in ("cell", "cluster")]
    totals = (pairs.assign(group=group_of_cell[pairs["cell"]]).groupby(["group", "cluster"], sort=False)[values]
              .sum().reset_index())
    cross = (pd.DataFrame({"cell": np.arange(len(cells)), "group": group_of_cell}).merge(totals, on="group")
             .merge(pairs, on=["cell", "cluster"], how="left", suffixes=("", "_own")).fillna(0.0))
    rest = {c: cross[c].to_numpy() - cross[f"{c}_own"].to_numpy() for c in values}
    return {"group": cross["cell"].to_numpy(), "n": rest["n"],
            "s": np.column_stack([rest[f"s{j}"] for j in range(width)]),
            "q": np.column_stack([rest[f"q{j}"] for j in range(width)])}


def _rest_deffs(df: pd.DataFrame, keys: list[str], *, score_col: str, cluster_col: str | None, kind: str,
                hit_scores: tuple[int, ...], index: pd.Index, within: list[str]) -> pd.DataFrame:
    """Design effects and customers of each cell's rest (the other answers of its ``within`` group), aligned to
    ``index``; every design effect 1 and ``n_clusters`` NaN without ``cluster_col``."""
    if cluster_col is None:
        return _design_effects(kind, index, None)
    sums, cells = _customer_sums(df, keys, kind=kind, score_col=score_col, cluster_col=cluster_col,
                                 hit_scores=hit_scores)
    rest = cell_moments(_rest_sums(sums, cells, within), len(cells)).set_axis(cells)
    return _design_effects(kind, index, rest)


def nps_by(df: pd.DataFrame, by, *, score_col: str = "nps", cluster_col: str | None = DEFAULT_CLUSTER_COL,
           min_cell_size: int = DEFAULT_MIN_CELL_SIZE, method: str = "adjusted_wald", level: float = 0.95,
           suppress: bool = True, seed: int = 0, n_resamples: int = DEFAULT_RESAMPLES) -> pd.DataFrame:
    """NPS with interval per cell (e.g. per segment and quarter).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per invitation or response; not modified. Missing scores are non-responses.
    by : str or list of str
        Columns defining the cells.
    score_col : str
        Column of 0-10 scores.
    cluster_col : str or None
        Column of customer ids: intervals allow for customers answering several times
        (cluster-robust variance through design effects, see the module docstring). By default
        ``"customer_id"`` when the table has it, else answers are treated as independent;
        None gives the independent ("naive") interval.
    min_cell_size : int
        Cells with fewer responses are flagged ``small_cell``.
    method : {"adjusted_wald", "wald", "bootstrap"}
        Interval method, as in :func:`nps`.
    level : float
        Confidence level.
    suppress : bool
        Blank the estimates and counts of small cells (report tables); ``n`` stays.
    seed, n_resamples : int
        Bootstrap settings.

    Returns
    -------
    pandas.DataFrame
        One row per cell: the ``by`` columns, ``n``, ``promoters``, ``passives``,
        ``detractors``, their ``*_share`` (%), ``nps``, ``ci_low``, ``ci_high``, ``se``
        (points), ``deff`` (design effect applied), ``n_clusters`` (customers; empty when
        naive) and ``small_cell``; ``attrs["variance"]`` says which variance was used.

    Examples
    --------
    >>> df = pd.DataFrame({"segment": ["a"] * 40 + ["b"] * 5, "nps": [10, 6] * 20 + [9] * 5})
    >>> nps_by(df, "segment")[["segment", "n", "nps", "small_cell"]].to_dict("records")[1]["small_cell"]
    True
    """
    cells = score_cells(df, by, kind="nps", score_col=score_col, cluster_col=cluster_col)
    return nps_table(cells, min_cell_size=min_cell_size, method=method, level=level, suppress=suppress, seed=seed,
                     n_resamples=n_resamples)


def nps_table(cells: ScoreCells, *, min_cell_size: int = DEFAULT_MIN_CELL_SIZE, method: str = "adjusted_wald",
              level: float = 0.95, suppress: bool = True, seed: int = 0,
              n_resamples: int = DEFAULT_RESAMPLES) -> pd.DataFrame:
    """NPS with interval per cell from score cells (:func:`cxlab.metrics.score_cells` or an engine's).

    The arguments after ``cells`` and the result are those of :func:`nps_by`.

    Examples
    --------
    >>> df = pd.DataFrame({"segment": ["a"] * 40, "nps": [10, 6] * 20})
    >>> float(nps_table(score_cells(df, "segment", kind="nps"))["nps"].iloc[0])
    0.0
    """
    min_cell_size, level = _grouped_kwargs(min_cell_size, level)
    method = _check_method(method)
    dist = cells.counts
    deffs = cells.deffs()
    promoters = dist[[float(s) for s in PROMOTER_SCORES]].sum(axis=1)
    passives = dist[[float(s) for s in PASSIVE_SCORES]].sum(axis=1)
    n = dist.sum(axis=1)
    detractors = n - promoters - passives
    res = nps_intervals(promoters, passives, detractors, method=method, level=level, seed=seed,
                         n_resamples=_check_resamples(n_resamples), deff=deffs["deff"].to_numpy())
    out = pd.DataFrame({"n": n, "promoters": promoters, "passives": passives, "detractors": detractors})
    for col in ("promoters", "passives", "detractors"):
        out[f"{col[:-1]}_share"] = out[col] / n * 100
    out["nps"], out["ci_low"], out["ci_high"], out["se"] = res["value"], res["ci_low"], res["ci_high"], res["se"]
    out["deff"], out["n_clusters"] = deffs["deff"].to_numpy(), deffs["n_clusters"].astype("Int64").to_numpy()
    value_cols = ["promoters", "passives", "detractors", "promoter_share", "passive_share", "detractor_share",
                  "nps", "ci_low", "ci_high", "se", "deff"]
    out = _suppress(out.reset_index(), n < min_cell_size, value_cols, suppress)
    out.attrs["variance"] = variance_label(cells.cluster_col)
    return out


def _share_and_mean_by(dist: pd.DataFrame, hit_scores: tuple[int, ...], level: float,
                       deffs: pd.DataFrame) -> pd.DataFrame:
    """Share (Wilson) and mean (t) per row of a score distribution, with the rows' design effects."""
    levels = dist.columns.to_numpy(dtype=float)
    counts = dist.to_numpy(dtype=float)
    n = counts.sum(axis=1)
    hits = dist[[float(s) for s in hit_scores]].sum(axis=1).to_numpy(dtype=float)
    share_deff, mean_deff = deffs["share_deff"].to_numpy(), deffs["mean_deff"].to_numpy()
    n_clusters = deffs["n_clusters"].to_numpy()
    low, high = wilson_interval(hits, n, level, deff=share_deff)
    means = mean_intervals_from_sums(counts @ levels, counts @ levels**2, n, level, deff=mean_deff,
                                     n_clusters=n_clusters)
    return pd.DataFrame({"n": n.astype(int), "hits": hits.astype(int), "share": hits / n * 100,
                         "share_ci_low": low * 100, "share_ci_high": high * 100, "mean": means["mean"],
                         "mean_ci_low": means["ci_low"], "mean_ci_high": means["ci_high"],
                         "mean_se": means["se"], "sd": means["sd"], "share_deff": share_deff,
                         "mean_deff": mean_deff, "n_clusters": n_clusters}, index=dist.index)


def _share_table(cells: ScoreCells, level: float) -> pd.DataFrame:
    """Grouped share and mean table of CSAT or CES score cells."""
    table = _share_and_mean_by(cells.counts, cells.hit_scores, level, cells.deffs())
    table["n_clusters"] = table["n_clusters"].astype("Int64")
    return table


def csat_by(df: pd.DataFrame, by, *, score_col: str = "csat", cluster_col: str | None = DEFAULT_CLUSTER_COL,
            min_cell_size: int = DEFAULT_MIN_CELL_SIZE, level: float = 0.95, suppress: bool = True,
            satisfied_scores: tuple[int, ...] = SATISFIED_SCORES) -> pd.DataFrame:
    """CSAT per cell: share satisfied (Wilson interval) and mean score (t interval).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per invitation or response; not modified.
    by : str or list of str
        Columns defining the cells.
    score_col : str
        Column of 1-5 scores.
    cluster_col : str or None
        Column of customer ids: intervals allow for customers answering several times
        (cluster-robust variance through design effects, see the module docstring). By default
        ``"customer_id"`` when the table has it, else answers are treated as independent;
        None gives the independent ("naive") interval.
    min_cell_size : int
        Cells with fewer responses are flagged ``small_cell``.
    level : float
        Confidence level.
    suppress : bool
        Blank the estimates of small cells; ``n`` stays.
    satisfied_scores : tuple of int
        Scores counted as satisfied.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``n``, ``satisfied``, ``csat`` (% satisfied), ``ci_low``,
        ``ci_high`` (Wilson, %), ``mean``, ``mean_ci_low``, ``mean_ci_high``, ``mean_se``,
        ``sd``, ``deff`` and ``mean_deff`` (design effects of the share and the mean),
        ``n_clusters`` and ``small_cell``; ``attrs["variance"]`` says which variance was used.

    Examples
    --------
    >>> df = pd.DataFrame({"q": ["a"] * 40, "csat": [5, 4, 3, 1] * 10})
    >>> float(csat_by(df, "q")["csat"].iloc[0])
    50.0
    """
    cells = score_cells(df, by, kind="csat", score_col=score_col, cluster_col=cluster_col,
                        hit_scores=_check_subset(satisfied_scores, CSAT_SCALE, "satisfied_scores"))
    return csat_table(cells, min_cell_size=min_cell_size, level=level, suppress=suppress)


def csat_table(cells: ScoreCells, *, min_cell_size: int = DEFAULT_MIN_CELL_SIZE, level: float = 0.95,
               suppress: bool = True) -> pd.DataFrame:
    """CSAT per cell from score cells; the arguments after ``cells`` and the result are those of :func:`csat_by`.

    Satisfied are the cells' ``hit_scores``.

    Examples
    --------
    >>> df = pd.DataFrame({"q": ["a"] * 40, "csat": [5, 4, 3, 1] * 10})
    >>> float(csat_table(score_cells(df, "q", kind="csat"))["csat"].iloc[0])
    50.0
    """
    min_cell_size, level = _grouped_kwargs(min_cell_size, level)
    table = _share_table(cells, level).rename(columns={"hits": "satisfied", "share": "csat", "share_ci_low": "ci_low",
                                                       "share_ci_high": "ci_high", "share_deff": "deff"})
    value_cols = ["satisfied", "csat", "ci_low", "ci_high", "mean", "mean_ci_low", "mean_ci_high", "mean_se", "sd",
                  "deff", "mean_deff"]
    out = _suppress(table.reset_index(), table["n"] < min_cell_size, value_cols, suppress)
    out.attrs["variance"] = variance_label(cells.cluster_col)
    return out


def ces_by(df: pd.DataFrame, by, *, score_col: str = "ces", cluster_col: str | None = DEFAULT_CLUSTER_COL,
           min_cell_size: int = DEFAULT_MIN_CELL_SIZE, level: float = 0.95, suppress: bool = True,
           low_effort_scores: tuple[int, ...] = LOW_EFFORT_SCORES) -> pd.DataFrame:
    """CES per cell: mean score (t interval) and share of low effort (Wilson interval).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per invitation or response; not modified.
    by : str or list of str
        Columns defining the cells.
    score_col : str
        Column of 1-7 scores.
    cluster_col : str or None
        Column of customer ids: intervals allow for customers answering several times
        (cluster-robust variance through design effects, see the module docstring). By default
        ``"customer_id"`` when the table has it, else answers are treated as independent;
        None gives the independent ("naive") interval.
    min_cell_size : int
        Cells with fewer responses are flagged ``small_cell``.
    level : float
        Confidence level.
    suppress : bool
        Blank the estimates of small cells; ``n`` stays.
    low_effort_scores : tuple of int
        Scores counted as low effort.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns, ``n``, ``ces`` (mean), ``ci_low``, ``ci_high`` (t), ``se``, ``sd``,
        ``low_effort``, ``low_effort_share``, ``low_effort_ci_low``, ``low_effort_ci_high`` (%),
        ``deff`` and ``low_effort_deff`` (design effects of the mean and the share),
        ``n_clusters`` and ``small_cell``; ``attrs["variance"]`` says which variance was used.

    Examples
    --------
    >>> df = pd.DataFrame({"q": ["a"] * 40, "ces": [7, 5, 3, 1] * 10})
    >>> float(ces_by(df, "q")["ces"].iloc[0])
    4.0
    """
    cells = score_cells(df, by, kind="ces", score_col=score_col, cluster_col=cluster_col,
                        hit_scores=_check_subset(low_effort_scores, CES_SCALE, "low_effort_scores"))
    return ces_table(cells, min_cell_size=min_cell_size, level=level, suppress=suppress)


def ces_table(cells: ScoreCells, *, min_cell_size: int = DEFAULT_MIN_CELL_SIZE, level: float = 0.95,
              suppress: bool = True) -> pd.DataFrame:
    """CES per cell from score cells; the arguments after ``cells`` and the result are those of :func:`ces_by`.

    Low effort are the cells' ``hit_scores``.

    Examples
    --------
    >>> df = pd.DataFrame({"q": ["a"] * 40, "ces": [7, 5, 3, 1] * 10})
    >>> float(ces_table(score_cells(df, "q", kind="ces"))["ces"].iloc[0])
    4.0
    """
    min_cell_size, level = _grouped_kwargs(min_cell_size, level)
    table = _share_table(cells, level).rename(
        columns={"mean": "ces", "mean_ci_low": "ci_low", "mean_ci_high": "ci_high", "mean_se": "se",
                 "hits": "low_effort", "share": "low_effort_share", "share_ci_low": "low_effort_ci_low",
                 "share_ci_high": "low_effort_ci_high", "mean_deff": "deff", "share_deff": "low_effort_deff"})
    table = table[["n", "ces", "ci_low", "ci_high", "se", "sd", "low_effort", "low_effort_share",
                   "low_effort_ci_low", "low_effort_ci_high", "deff", "low_effort_deff", "n_clusters"]]
    value_cols = [c for c in table.columns if c not in ("n", "n_clusters")]
    out = _suppress(table.reset_index(), table["n"] < min_cell_size, value_cols, suppress)
    out.attrs["variance"] = variance_label(cells.cluster_col)
    return out


def _reference_counts(dist: pd.DataFrame, by: str, within: list[str], versus) -> tuple[pd.DataFrame, pd.Series]:
    """Counts of the reference group of each cell and its label; cells without one are dropped."""
    dist = dist.sort_index()
    levels = dist.index.get_level_values(by)
    if versus == "rest":
        totals = dist.groupby(level=within, dropna=False).transform("sum") if within else \
            pd.DataFrame(np.broadcast_to(dist.sum().to_numpy(), dist.shape), index=dist.index, columns=dist.columns)
        return totals - dist, pd.Series("rest", index=dist.index)
    if versus == "previous":
        if within:
            ref = dist.groupby(level=within, dropna=False).shift(1)
            labels = pd.Series(levels, index=dist.index).groupby(level=within, dropna=False).shift(1)
        else:
            ref, labels = dist.shift(1), pd.Series(levels, index=dist.index).shift(1)
        keep = labels.notna().to_numpy()
        return ref[keep], labels[keep]
    if versus not in set(levels):
        raise ValueError(f"versus must be 'rest', 'previous' or a value of column {by!r} "
                         f"(have {sorted(map(str, set(levels)))}); got {versus!r}")
    base = dist[levels == versus].droplevel(by) if within else dist[levels == versus]
    others = dist[levels != versus]
    if within:
        keys = others.index.droplevel(by)
        ref = base.reindex(keys)
        ref.index = others.index
    else:
        ref = pd.DataFrame(np.broadcast_to(base.to_numpy(), others.shape), index=others.index,
                           columns=others.columns)
    keep = ref.notna().all(axis=1).to_numpy()
    return ref[keep], pd.Series(versus, index=others.index)[keep]


def fdr_selection(p_values, level: float = 0.95) -> dict:
    """Benjamini-Hochberg selection with the matching false-coverage-rate adjusted level.

    The family is every finite p-value; the false discovery rate is ``q = 1 - level``. With
    ``R`` of ``m`` comparisons selected, intervals at level ``1 - R * q / m`` for the selected
    comparisons keep the false coverage rate at ``q`` (Benjamini & Yekutieli 2005, JASA
    100:71-81). When each test inverts its interval, a selected comparison's adjusted interval
    excludes zero, because BH selects only p-values of at most ``R * q / m``.

    Parameters
    ----------
    p_values : array-like
        Two-sided p-values; NaN entries are not part of the family.
    level : float
        Confidence level; ``1 - level`` is the false discovery rate.

    Returns
    -------
    dict
        ``p_adjusted`` (array, BH), ``selected`` (bool array), ``m`` (family size), ``r``
        (number selected) and ``adjusted_level`` (``1 - r * q / m``; NaN when nothing is selected).

    Examples
    --------
    >>> out = fdr_selection([0.001, 0.02, 0.04, 0.5])
    >>> out["selected"].tolist(), out["r"], round(out["adjusted_level"], 4)
    ([True, True, False, False], 2, 0.975)
    """
    level = _check_level(level)
    p = np.asarray(p_values, float)
    testable = np.isfinite(p)
    p_adjusted = np.full(p.shape, np.nan)
    if testable.any():
        p_adjusted[testable] = multipletests(p[testable], alpha=1 - level, method="fdr_bh")[1]
    selected = p_adjusted < 1 - level
    m, r = int(testable.sum()), int(selected.sum())
    return {"p_adjusted": p_adjusted, "selected": selected, "m": m, "r": r,
            "adjusted_level": 1 - r * (1 - level) / m if r else np.nan}


def multiplicity_note(selection: dict, level: float, family: str) -> str:
    """Table note saying how the p-values and intervals of a family of comparisons are adjusted.

    Parameters
    ----------
    selection : dict
        Output of :func:`fdr_selection`.
    level : float
        Confidence level of the unadjusted intervals.
    family : str
        What the family is, e.g. ``"segments"``.

    Returns
    -------
    str

    Examples
    --------
    >>> multiplicity_note(fdr_selection([0.001, 0.5]), 0.95, "segments")[:60]
    'p_adjusted: Benjamini-Hochberg over the 2 comparisons of seg'
    """
    q = _fmt_level(1 - level)
    note = (f"p_adjusted: Benjamini-Hochberg over the {selection['m']} comparisons of {family} (false discovery "
            f"rate {q}); ci_low/ci_high: unadjusted {_fmt_level(level)} intervals")
    if selection["r"]:
        return (note + f"; adj_ci_low/adj_ci_high: false-coverage-rate adjusted intervals of the "
                f"{selection['r']} flagged comparisons at level 1 - {selection['r']}×{q}/{selection['m']} = "
                f"{selection['adjusted_level'] * 100:.2f}% (Benjamini & Yekutieli 2005); they exclude zero")
    return note + "; no comparison flagged, so no adjusted intervals"


def compare_by(df: pd.DataFrame, by: str, *, versus="rest", within=None, kind: str = "nps",
               score_col: str | None = None, on: str | None = None,
               cluster_col: str | None = DEFAULT_CLUSTER_COL, min_cell_size: int = DEFAULT_MIN_CELL_SIZE,
               method: str = "adjusted_wald", level: float = 0.95, suppress: bool = True, seed: int = 0,
               n_resamples: int = DEFAULT_RESAMPLES, satisfied_scores: tuple[int, ...] = SATISFIED_SCORES,
               low_effort_scores: tuple[int, ...] = LOW_EFFORT_SCORES) -> pd.DataFrame:
    """Compare every level of a column with a reference, controlling the false discovery rate.

    Cells are flagged by Benjamini-Hochberg adjusted p-values, and the flagged cells get
    false-coverage-rate adjusted intervals (see :func:`fdr_selection`), so a flagged cell's
    adjusted interval never includes zero.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per invitation or response; not modified.
    by : str
        Column whose levels are compared (e.g. ``"quarter"`` or ``"segment"``).
    versus : {"rest", "previous"} or a value of ``by``
        ``"rest"``: each level against all other rows (of the same ``within`` group);
        ``"previous"``: each level against the preceding level present in the data (sorted
        order, e.g. quarter against previous quarter; the first level has no comparison);
        a value: each level against that reference level.
    within : str or list of str, optional
        Columns inside which the comparisons are made (e.g. ``"touchpoint"``).
    kind : {"nps", "csat", "ces"}
        Metric compared.
    score_col : str, optional
        Column of scores; defaults to ``kind``.
    on : {"share", "mean"}, optional
        For CSAT (default ``"share"``) and CES (default ``"mean"``): what is compared.
    cluster_col : str or None
        Column of customer ids: each group's variance allows for customers answering several
        times (default ``"customer_id"`` when present; None treats answers as independent). The
        two groups of a comparison are treated as independent samples.
    min_cell_size : int
        Comparisons in which either group has fewer responses are flagged ``small_cell``,
        left out of the false-discovery-rate family and, with ``suppress``, blanked.
    method : {"adjusted_wald", "wald", "bootstrap"}
        NPS interval method, as in :func:`compare_nps`.
    level : float
        Confidence level; ``1 - level`` is also the false discovery rate.
    suppress : bool
        Blank the estimates of small comparisons.
    seed, n_resamples : int
        Bootstrap settings.
    satisfied_scores, low_effort_scores : tuple of int
        Category definitions for CSAT and CES shares.

    Returns
    -------
    pandas.DataFrame
        One row per compared cell: the ``within`` columns, ``by``, ``reference``, ``n_a``,
        ``value_a``, ``n_b``, ``value_b``, ``difference``, ``ci_low``, ``ci_high`` (unadjusted),
        ``se``, ``p_value``, ``p_adjusted`` (Benjamini-Hochberg), ``significant``,
        ``adj_ci_low``, ``adj_ci_high`` (false-coverage-rate adjusted, flagged cells only),
        ``deff_a``, ``deff_b`` (design effects) and ``small_cell``. Differences are in NPS
        points, percentage points (shares) or score points (means). ``attrs`` holds
        ``variance``, ``adjusted_level`` and ``note`` (the table note saying all this).

    Examples
    --------
    >>> df = pd.DataFrame({"q": ["2025Q1"] * 60 + ["2025Q2"] * 60, "nps": [10, 5] * 30 + [10, 10, 5] * 20})
    >>> round(float(compare_by(df, "q", versus="previous")["difference"].iloc[0]), 1)
    33.3
    """
    if not isinstance(by, str):
        raise ValueError(f"by must be one column name; got {by!r}")
    within = [] if within is None else _as_list(within)
    if by in within:
        raise ValueError(f"column {by!r} cannot be both compared (by) and a grouping column (within)")
    min_cell_size, level = _grouped_kwargs(min_cell_size, level)
    method = _check_method(method)
    n_resamples = _check_resamples(n_resamples)
    score_col = score_col or kind
    on = on or {"nps": "nps", "csat": "share", "ces": "mean"}.get(kind)
    if kind != "nps" and on not in ("share", "mean"):
        raise ValueError(f"on must be 'share' or 'mean' for {kind}; got {on!r}")
    hit_scores = (() if kind == "nps" else _check_subset(satisfied_scores, CSAT_SCALE, "satisfied_scores")
                  if kind == "csat" else _check_subset(low_effort_scores, CES_SCALE, "low_effort_scores"))
    cells = score_cells(df, [*within, by], kind=kind, score_col=score_col, cluster_col=cluster_col,
                        hit_scores=hit_scores)
    dist, deffs = cells.counts, cells.deffs()
    ref, labels = _reference_counts(dist.assign(_cell=np.arange(len(dist), dtype=float)), by, within, versus)
    positions = ref.pop("_cell").to_numpy()
    if versus == "rest":
        deff_b = _rest_deffs(df, [*within, by], score_col=score_col, cluster_col=cells.cluster_col, kind=kind,
                             hit_scores=hit_scores, index=dist.index, within=within).loc[ref.index]
    else:
        deff_b = deffs.iloc[positions.astype(int)].set_axis(ref.index)
    return _comparison_table(dist.loc[ref.index], ref, labels, deffs.loc[ref.index], deff_b, kind=kind, on=on,
                             hit_scores=hit_scores, method=method, level=level, seed=seed, n_resamples=n_resamples,
                             min_cell_size=min_cell_size, suppress=suppress, by=by, cluster_col=cells.cluster_col)


def compare_with_rest(cells: ScoreCells, *, on: str | None = None, min_cell_size: int = DEFAULT_MIN_CELL_SIZE,
                      method: str = "adjusted_wald", level: float = 0.95, suppress: bool = True, seed: int = 0,
                      n_resamples: int = DEFAULT_RESAMPLES) -> pd.DataFrame:
    """Compare every cell with all other cells together, from score cells that split the customers.

    :func:`compare_by` with ``versus="rest"`` and no ``within``, for cells of a customer attribute
    (each customer in one cell, e.g. the segment), where the rest's counts and customer moments
    are the totals minus the cell's own (:meth:`cxlab.metrics.ScoreCells.rest`).

    Parameters
    ----------
    cells : ScoreCells
        Cells with a one-level index: the compared column.
    on, min_cell_size, method, level, suppress, seed, n_resamples
        As in :func:`compare_by`.

    Returns
    -------
    pandas.DataFrame
        The table of :func:`compare_by`.

    Examples
    --------
    >>> df = pd.DataFrame({"segment": ["a"] * 60 + ["b"] * 60, "customer_id": range(120),
    ...                    "nps": [10, 5] * 30 + [10, 10, 5] * 20})
    >>> round(float(compare_with_rest(score_cells(df, "segment", kind="nps"))["difference"].iloc[0]), 1)
    -33.3
    """
    if cells.counts.index.nlevels != 1:
        raise ValueError(f"compare_with_rest: cells must have one index level, the compared column; "
                         f"got {list(cells.counts.index.names)}")
    min_cell_size, level = _grouped_kwargs(min_cell_size, level)
    kind = cells.kind
    on = on or {"nps": "nps", "csat": "share", "ces": "mean"}[kind]
    if kind != "nps" and on not in ("share", "mean"):
        raise ValueError(f"on must be 'share' or 'mean' for {kind}; got {on!r}")
    cells = cells.sort_index()
    rest = cells.rest()
    labels = pd.Series("rest", index=cells.counts.index)
    return _comparison_table(cells.counts, rest.counts, labels, cells.deffs(), rest.deffs(), kind=kind, on=on,
                             hit_scores=cells.hit_scores, method=_check_method(method), level=level, seed=seed,
                             n_resamples=_check_resamples(n_resamples), min_cell_size=min_cell_size,
                             suppress=suppress, by=str(cells.counts.index.name), cluster_col=cells.cluster_col)


def _comparison_table(cur: pd.DataFrame, ref: pd.DataFrame, labels: pd.Series, deff_a: pd.DataFrame,
                      deff_b: pd.DataFrame, *, kind: str, on: str, hit_scores: tuple[int, ...], method: str,
                      level: float, seed: int, n_resamples: int, min_cell_size: int, suppress: bool, by: str,
                      cluster_col: str | None) -> pd.DataFrame:
    """The table of :func:`compare_by` from the compared cells' counts, their references' and both design effects."""
    if kind == "nps":
        groups = []
        for counts in (cur, ref):
            prom = counts[[float(s) for s in PROMOTER_SCORES]].sum(axis=1)
            pas = counts[[float(s) for s in PASSIVE_SCORES]].sum(axis=1)
            groups.append(np.column_stack([prom, pas, counts.sum(axis=1) - prom - pas]))
        deff_a, deff_b = deff_a["deff"].to_numpy(), deff_b["deff"].to_numpy()

        def differences(lvl: float) -> dict[str, np.ndarray]:
            return _nps_differences(groups[0], groups[1], method=method, level=lvl, seed=seed,
                                    n_resamples=n_resamples, deff_a=deff_a, deff_b=deff_b)

        n_a, n_b = groups[0].sum(axis=1), groups[1].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            value_a = (groups[0][:, 0] - groups[0][:, 2]) / n_a * 100
            value_b = (groups[1][:, 0] - groups[1][:, 2]) / n_b * 100
    else:
        stat_a = _share_and_mean_by(cur, hit_scores, level, deff_a)
        stat_b = _share_and_mean_by(ref, hit_scores, level, deff_b)
        n_a, n_b = stat_a["n"].to_numpy(), stat_b["n"].to_numpy()
        deff_a, deff_b = stat_a[f"{on}_deff"].to_numpy(), stat_b[f"{on}_deff"].to_numpy()

        def differences(lvl: float) -> dict[str, np.ndarray]:
            if on == "share":
                return _proportion_differences(stat_a["hits"], n_a, stat_b["hits"], n_b, lvl, deff_a, deff_b)
            return _mean_differences(stat_a["mean"], stat_a["sd"], n_a, stat_b["mean"], stat_b["sd"], n_b, lvl,
                                     deff_a=deff_a, deff_b=deff_b, clusters_a=stat_a["n_clusters"],
                                     clusters_b=stat_b["n_clusters"])

        value_a, value_b = stat_a[on].to_numpy(), stat_b[on].to_numpy()
    res = differences(level)
    out = cur.index.to_frame(index=False)
    out["reference"] = labels.to_numpy()
    out["n_a"], out["value_a"], out["n_b"], out["value_b"] = n_a.astype(int), value_a, n_b.astype(int), value_b
    out["difference"] = res["estimate"]
    for col in ("ci_low", "ci_high", "se", "p_value"):
        out[col] = res[col]
    small = (out["n_a"] < min_cell_size) | (out["n_b"] < min_cell_size)
    selection = fdr_selection(out["p_value"].where(~small), level)
    out["p_adjusted"] = selection["p_adjusted"]
    out["significant"] = selection["selected"]
    out["adj_ci_low"], out["adj_ci_high"] = np.nan, np.nan
    if selection["r"]:
        adjusted = differences(selection["adjusted_level"])
        out["adj_ci_low"] = np.where(selection["selected"], adjusted["ci_low"], np.nan)
        out["adj_ci_high"] = np.where(selection["selected"], adjusted["ci_high"], np.nan)
    out["deff_a"], out["deff_b"] = deff_a, deff_b
    value_cols = ["value_a", "value_b", "difference", "ci_low", "ci_high", "se", "p_value", "p_adjusted",
                  "adj_ci_low", "adj_ci_high", "deff_a", "deff_b"]
    out = _suppress(out, small, value_cols, suppress)
    out.attrs.update(variance=variance_label(cluster_col), adjusted_level=selection["adjusted_level"],
                     note=f"{multiplicity_note(selection, level, f'levels of {by}')}; variance "
                          f"{variance_label(cluster_col)}")
    return out
