"""Gaps in a share between groups (e.g. follow-up coverage of SMB vs Enterprise), multiplicity-aware.

Every pair of groups is compared: the difference of the two shares with a Newcombe hybrid score
interval (Newcombe 1998, method 10) and a score test. With several groups, the intervals are
Bonferroni-adjusted (each at level ``1 - (1 - level) / m`` for ``m`` pairs) so that all of them
hold together at ``level``, which also covers the pair picked afterwards as the largest gap; the
p-values are Holm-adjusted. Only aggregate counts go in.
"""

from __future__ import annotations

from itertools import combinations

import pandas as pd
from statsmodels.stats import proportion
from statsmodels.stats.multitest import multipletests

__all__ = ["share_gaps"]


def share_gaps(counts: pd.DataFrame, *, group: str, hits: str, trials: str, level: float = 0.95) -> pd.DataFrame:
    """Every pairwise difference of a share between groups, with simultaneous intervals.

    Parameters
    ----------
    counts : pandas.DataFrame
        One row per group: the group label, the number of hits and of trials (e.g. detractor
        answers followed up, detractor answers). Suppress small groups before calling.
    group, hits, trials : str
        Column names.
    level : float
        Joint confidence level of all the intervals together.

    Returns
    -------
    pandas.DataFrame
        One row per pair, the lower share first, largest gap first: ``low_group``, ``high_group``,
        ``low_share``, ``high_share`` (fractions), ``gap`` (``high_share - low_share``), ``ci_low``,
        ``ci_high`` (adjusted), ``p_value`` (score test), ``p_adjusted`` (Holm), ``n`` (trials of the
        two groups); ``attrs`` hold
        ``comparisons`` and ``pair_level`` (each interval's own level).

    Raises
    ------
    ValueError
        Naming the column and rows when a count is missing or negative or hits exceed trials, or
        when a group has no trials.

    Examples
    --------
    >>> gaps = share_gaps(pd.DataFrame({"segment": ["A", "B"], "hit": [56, 48], "n": [70, 80]}),
    ...                   group="segment", hits="hit", trials="n")
    >>> gaps[["low_group", "high_group"]].iloc[0].tolist(), round(float(gaps["gap"].iloc[0]), 3)
    (['B', 'A'], 0.2)
    """
    for column in (group, hits, trials):
        if column not in counts.columns:
            raise ValueError(f"share_gaps: counts have no column {column!r}; columns: {list(counts.columns)}")
    numbers = counts[[hits, trials]]
    bad = counts.index[numbers.isna().any(axis=1) | (numbers < 0).any(axis=1) | (counts[hits] > counts[trials])
                       | (counts[trials] == 0)]
    if len(bad):
        raise ValueError(f"share_gaps: rows {list(bad)} need 0 <= {hits} <= {trials} and {trials} > 0; got "
                         f"{counts.loc[bad, [group, hits, trials]].to_dict('records')}")
    rows = counts.assign(share=counts[hits] / counts[trials]).to_dict("records")
    pairs = list(combinations(rows, 2))
    comparisons = len(pairs)
    pair_level = 1 - (1 - level) / max(comparisons, 1)
    out = []
    for a, b in pairs:
        low, high = (a, b) if a["share"] <= b["share"] else (b, a)
        ci_low, ci_high = proportion.confint_proportions_2indep(high[hits], high[trials], low[hits], low[trials],
                                                     method="newcomb", compare="diff", alpha=1 - pair_level)
        test = proportion.test_proportions_2indep(high[hits], high[trials], low[hits], low[trials], method="score",
                                       compare="diff")
        out.append({"low_group": low[group], "high_group": high[group], "low_share": low["share"],
                    "high_share": high["share"], "gap": high["share"] - low["share"], "ci_low": float(ci_low),
                    "ci_high": float(ci_high), "p_value": float(test.pvalue), "n": int(low[trials] + high[trials])})
    table = pd.DataFrame(out, columns=["low_group", "high_group", "low_share", "high_share", "gap", "ci_low",
                                       "ci_high", "p_value", "n"])
    table["p_adjusted"] = multipletests(table["p_value"], method="holm")[1] if comparisons else []
    table = table.sort_values("gap", ascending=False, kind="stable").reset_index(drop=True)
    table.attrs.update(comparisons=comparisons, pair_level=pair_level)
    return table
