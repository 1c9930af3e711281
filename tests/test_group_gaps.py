"""Gaps in a share between groups: Newcombe intervals, Bonferroni-adjusted for several pairs, Holm p-values."""

import math

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cxlab.group_gaps import share_gaps


def _newcombe(hits1, n1, hits2, n2, level):
    """Newcombe's method 10 from its definition: Wilson intervals of each share combined."""
    p1, p2 = hits1 / n1, hits2 / n2
    l1, u1 = proportion_confint(hits1, n1, alpha=1 - level, method="wilson")
    l2, u2 = proportion_confint(hits2, n2, alpha=1 - level, method="wilson")
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def test_two_groups_reproduce_newcombes_published_example():
    # Newcombe (1998), Statistics in Medicine 17:873-890, Table II example (56/70 vs 48/80): method 10 gives
    # 0.0524 to 0.3339 for the difference 0.2
    gaps = share_gaps(pd.DataFrame({"segment": ["A", "B"], "hit": [56, 48], "n": [70, 80]}), group="segment",
                      hits="hit", trials="n")
    row = gaps.iloc[0]
    assert (row["low_group"], row["high_group"]) == ("B", "A")
    assert row["gap"] == pytest.approx(0.2)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert gaps.attrs == {"comparisons": 1, "pair_level": pytest.approx(0.95)}
    assert row["p_adjusted"] == row["p_value"] and row["n"] == 150


def test_several_groups_get_simultaneous_intervals_and_holm_p_values():
    counts = pd.DataFrame({"segment": ["SMB", "Mid-market", "Enterprise"], "followed": [352, 290, 248],
                           "detractors": [500, 380, 270]})
    gaps = share_gaps(counts, group="segment", hits="followed", trials="detractors")
    assert gaps.attrs["comparisons"] == 3 and gaps.attrs["pair_level"] == pytest.approx(1 - 0.05 / 3)
    # largest gap first: Enterprise 91.9% vs SMB 70.4%
    top = gaps.iloc[0]
    assert (top["high_group"], top["low_group"]) == ("Enterprise", "SMB")
    assert top["gap"] == pytest.approx(248 / 270 - 352 / 500)
    assert (top["ci_low"], top["ci_high"]) == pytest.approx(_newcombe(248, 270, 352, 500, 1 - 0.05 / 3), abs=1e-9)
    # each adjusted interval is wider than its unadjusted 95% interval
    low95, high95 = _newcombe(248, 270, 352, 500, 0.95)
    assert top["ci_low"] < low95 and top["ci_high"] > high95
    # Holm: the smallest p-value times 3, the next times 2, the largest times 1 (kept monotone)
    raw = sorted(gaps["p_value"])
    holm = sorted(gaps["p_adjusted"])
    expected = [min(1, 3 * raw[0])]
    expected.append(max(expected[-1], min(1, 2 * raw[1])))
    expected.append(max(expected[-1], min(1, raw[2])))
    assert holm == pytest.approx(expected)


def test_bad_counts_are_named():
    with pytest.raises(ValueError, match=r"rows \[1\] need 0 <= hit <= n and n > 0"):
        share_gaps(pd.DataFrame({"g": ["A", "B"], "hit": [3, 9], "n": [10, 8]}), group="g", hits="hit", trials="n")
    with pytest.raises(ValueError, match="counts have no column 'trials'"):
        share_gaps(pd.DataFrame({"g": ["A"], "hit": [3]}), group="g", hits="hit", trials="trials")


def test_fewer_than_two_groups_give_no_gap():
    assert share_gaps(pd.DataFrame({"g": ["A"], "hit": [3], "n": [10]}), group="g", hits="hit", trials="n").empty
