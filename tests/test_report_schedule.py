"""The start order of a run's notebooks: the schedule that ends soonest by an earlier run's seconds."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from cxlab.report.schedule import (
    MAX_SEARCHED,
    EarlierRun,
    earlier_run,
    finish_time,
    first_fitting,
    longest_first,
    quickest_order,
)

# seconds per notebook of a report run on 1M customers, two workers
SECONDS_1M = {"01_cx_scorecard": 11.9, "02_touchpoints_and_drivers": 14.2, "03_feedback_loop": 35.6,
              "04_retention_cohorts": 16.6, "05_churn_survival": 19.7, "06_retention_economics": 10.0,
              "07_voice_of_customer": 41.0}


def _jobs(names):
    return [SimpleNamespace(name=name) for name in names]


def _finish(order, seconds, workers):
    return finish_time([seconds[job.name] for job in order], workers)


def test_the_order_ends_when_the_best_split_of_the_notebooks_does():
    jobs = _jobs(sorted(SECONDS_1M))
    # longest first by hand: 07 | 03, then 05 (at 35.6) and 04 (at 41.0), then 02 (at 55.3) and 01
    # (at 57.6); both end at 69.5 and 06 runs alone to 79.5
    assert _finish(longest_first(jobs, SECONDS_1M), SECONDS_1M, 2) == pytest.approx(79.5)
    order = quickest_order(jobs, SECONDS_1M, workers=2)
    assert sorted(job.name for job in order) == sorted(SECONDS_1M)
    # the best split of the 149.0 s: 07 + 05 + 02 = 74.9 s against 03 + 04 + 01 + 06 = 74.1 s
    assert _finish(order, SECONDS_1M, 2) == pytest.approx(74.9)


def test_longest_first_stands_where_no_order_ends_sooner():
    jobs = _jobs(["a", "b", "c"])
    seconds = {"a": 1.0, "b": 5.0, "c": 2.0}
    assert [job.name for job in quickest_order(jobs, seconds, workers=2)] == ["b", "c", "a"]
    assert [job.name for job in quickest_order(jobs, seconds, workers=1)] == ["b", "c", "a"]


def test_jobs_without_an_earlier_time_start_last_in_their_order():
    jobs = _jobs(["new1", "a", "new2", "b"])
    order = quickest_order(jobs, {"a": 2.0, "b": 3.0}, workers=2)
    assert [job.name for job in order] == ["b", "a", "new1", "new2"]


def test_beyond_the_searched_size_the_order_is_longest_first():
    seconds = {f"n{i}": float(i % 4 + 1) for i in range(MAX_SEARCHED + 1)}
    jobs = _jobs(sorted(seconds))
    assert quickest_order(jobs, seconds, workers=2) == longest_first(jobs, seconds)


def test_with_a_budget_a_notebook_that_does_not_fit_waits_and_smaller_ones_go_ahead():
    # a and b held 3 GB each, c and d 1 GB: within 4 GB only a heavy and a light one run together
    seconds, peaks = {"a": 3.0, "b": 3.0, "c": 3.0, "d": 3.0}, {"a": 3.0, "b": 3.0, "c": 1.0, "d": 1.0}

    def finish(names):
        return finish_time([seconds[n] for n in names], 2, peak_mb=[peaks[n] for n in names], memory_budget_mb=4.0)

    # b does not fit beside a, c after it does and starts: a | c to 3, then b | d to 6 (had c and d waited
    # behind b: a alone to 3, b | c to 6, d to 9)
    assert finish("abcd") == finish("acbd") == 6.0
    assert finish("ab") == 6.0  # the heavy ones one after the other
    assert first_fitting([3.0, 1.0, 1.0], [3.0], 4.0) == 1
    assert first_fitting([3.0, 2.0], [3.0], 4.0) is None and first_fitting([5.0], [], 4.0) == 0
    # a light notebook of 6 s: the heavy ones run one after the other beside it, then d; no order does better
    seconds["c"] = 6.0
    assert finish("abcd") == finish("cdab") == 9.0
    order = quickest_order(_jobs("abcd"), seconds, workers=2, peak_mb=peaks, memory_budget_mb=4.0)
    assert finish([job.name for job in order]) == 9.0
    assert finish_time([3.0] * 4, 2) == 6.0  # without a budget any order of four 3 s notebooks ends at 6


def test_a_notebook_larger_than_the_budget_still_runs_alone():
    assert finish_time([2.0, 2.0], 2, peak_mb=[5.0, 1.0], memory_budget_mb=4.0) == 4.0
    assert finish_time([2.0, 2.0], 2, peak_mb=[5.0, 1.0], memory_budget_mb=6.0) == 2.0


def test_the_earlier_run_is_the_latest_on_the_same_data(tmp_path):
    def record(quarter, started, folder, seconds, peaks):
        (tmp_path / quarter).mkdir()
        (tmp_path / quarter / "provenance.json").write_text(json.dumps(
            {"started_at": started, "data_folder": folder, "notebook_seconds": seconds, "notebook_peak_mb": peaks}))

    record("2026Q1", "2026-04-02T08:00:00+00:00", "data/big", {"a": 1.0}, {"a": 900})
    record("2026Q2", "2026-07-02T08:00:00+00:00", "data/big", {"a": 2.0}, {"a": 1000})
    record("2026Q3", "2026-10-02T08:00:00+00:00", "data/demo", {"a": 3.0}, {})
    (tmp_path / "2026Q4").mkdir()
    (tmp_path / "2026Q4" / "provenance.json").write_text("{not json")
    assert earlier_run(tmp_path, "data/big") == EarlierRun({"a": 2.0}, {"a": 1000})
    assert earlier_run(tmp_path, "data/demo") == EarlierRun({"a": 3.0}, {})
    assert earlier_run(tmp_path, "data/other") == EarlierRun()
