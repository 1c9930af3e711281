"""Score cells: the moments by hand, and every estimate, table and comparison from cells equal to the same from rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlab import metrics


@pytest.fixture(scope="module")
def answers():
    """Answers of 400 customers in three segments (and some without one); customers answer 1-6 times."""
    rng = np.random.default_rng(11)
    customers = pd.DataFrame({"customer_id": np.arange(400),
                              "segment": rng.choice(["smb", "mid", "enterprise", None], 400, p=[.5, .3, .15, .05])})
    rows = customers.loc[customers.index.repeat(rng.integers(1, 7, 400))].reset_index(drop=True)
    lean = rng.normal(0, 1.5, 400)[rows["customer_id"]]  # answers of one customer resemble each other
    rows["nps"] = np.clip(np.round(7 + lean + rng.normal(0, 1.5, len(rows))), 0, 10)
    rows["csat"] = np.clip(np.round(4 + lean / 2 + rng.normal(0, 0.7, len(rows))), 1, 5)
    rows["ces"] = np.clip(np.round(3 - lean + rng.normal(0, 1, len(rows))), 1, 7)
    rows.loc[rng.random(len(rows)) < 0.2, "ces"] = np.nan  # unanswered
    return rows


def test_moments_by_hand():
    # customer 1 answers 10 and 3 (+1, -1) in cell a, customer 2 answers 9 (+1) in a and 7 (0) in b
    df = pd.DataFrame({"cell": ["a", "a", "a", "b"], "customer_id": [1, 1, 2, 2], "nps": [10, 3, 9, 7]})
    moments = metrics.score_cells(df, "cell", kind="nps").moments
    assert moments.loc["a"].to_dict() == {"customers": 2, "n": 3, "nn": 2**2 + 1**2, "s0": 1, "q0": 3,
                                          "ss0": 0**2 + 1**2, "sn0": 0 * 2 + 1 * 1}
    assert moments.loc["b"].to_dict() == {"customers": 1, "n": 1, "nn": 1, "s0": 0, "q0": 0, "ss0": 0, "sn0": 0}
    assert list(moments.columns) == metrics.moment_columns("nps")


@pytest.mark.parametrize("kind", ["nps", "csat", "ces"])
def test_each_cells_estimate_equals_the_estimate_of_its_answers(answers, kind):
    cells = metrics.score_cells(answers, "segment", kind=kind)
    for segment in ("smb", "mid", "enterprise"):
        rows = answers[answers["segment"] == segment]
        expected = getattr(metrics, kind)(rows[kind], clusters=rows["customer_id"])
        got = cells.estimate(segment)
        assert got.n == expected.n > 30 and got.deff == pytest.approx(expected.deff, rel=1e-12) and got.deff > 1
        assert (got.value, got.ci_low, got.ci_high) == pytest.approx(
            (expected.value, expected.ci_low, expected.ci_high), rel=1e-12)
    empty = cells.estimate("no such segment")
    reference = getattr(metrics, kind)([], clusters=[])
    assert empty.n == reference.n == 0 and np.isnan(empty.value) and empty.n_clusters == reference.n_clusters == 0


def test_naive_cells_give_the_independent_estimate(answers):
    cells = metrics.score_cells(answers, "segment", kind="csat", cluster_col=None)
    rows = answers[answers["segment"] == "mid"]
    assert cells.moments is None and cells.estimate("mid") == metrics.csat(rows["csat"])


def test_estimates_from_counts_equal_those_from_scores():
    scores = [1, 2, 2, 3, 5, 5, 5, 4, 4, 1, 2]
    counts = np.bincount(scores, minlength=6)[1:]
    assert metrics.csat_from_counts(counts) == metrics.csat(scores)
    effort = [1, 1, 2, 7, 6, 3, 3, 2]
    assert metrics.ces_from_counts(np.bincount(effort, minlength=8)[1:]) == metrics.ces(effort)
    with pytest.raises(ValueError, match="CSAT counts must be 5 non-negative whole numbers"):
        metrics.csat_from_counts([1, 2, 3])
    with pytest.raises(ValueError, match="CES counts"):
        metrics.ces_from_counts([1, 2, 3, 4, 5, 6, -7])


@pytest.mark.parametrize("kind", ["nps", "csat", "ces"])
def test_comparison_with_the_rest_from_cells_equals_compare_by(answers, kind):
    expected = metrics.compare_by(answers, "segment", versus="rest", kind=kind, min_cell_size=20)
    got = metrics.compare_with_rest(metrics.score_cells(answers, "segment", kind=kind), min_cell_size=20)
    assert expected["segment"].isna().any()  # customers without a segment are a cell of their own
    pd.testing.assert_frame_equal(got, expected, rtol=1e-10)
    assert got.attrs == expected.attrs


def test_tables_from_cells_equal_the_tables_from_rows(answers):
    cells = metrics.score_cells(answers, "segment", kind="ces", hit_scores=(1, 2, 3))
    pd.testing.assert_frame_equal(metrics.ces_table(cells),
                                  metrics.ces_by(answers, "segment", low_effort_scores=(1, 2, 3)))
    with pytest.raises(ValueError, match="one index level"):
        metrics.compare_with_rest(metrics.score_cells(answers, ["segment", "csat"], kind="nps"))
