"""Did calling back detractors work? Coverage of each design over simulated worlds with a known effect.

Run ``.venv/bin/python benchmarks/followup_effect_coverage.py [--worlds 20] [--n-customers 20000]``.
For each true follow-up hazard ratio (0.6 and 1.0) it simulates ``--worlds`` demo-sized worlds
(seeds 1, 2, ...; follow-ups assigned by observed and unobserved customer value) and estimates
the effect with every design of :func:`cxlab.causal.followup_effect`. It prints, per design, the
mean and median estimate, the share of 95% intervals covering the truth, the median interval
and the share of intervals excluding 1, and writes every estimate to
``benchmarks/results/followup_effect_coverage.csv``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from cxlab import causal
from cxlab.synth import simulate

RESULTS = Path(__file__).resolve().parent / "results" / "followup_effect_coverage.csv"
TRUE_HAZARD_RATIOS = (0.6, 1.0)


def estimates(n_worlds: int, n_customers: int, n_resamples: int) -> pd.DataFrame:
    """Every design's estimate in every world."""
    rows = []
    for truth in TRUE_HAZARD_RATIOS:
        for seed in range(1, n_worlds + 1):
            started = time.perf_counter()
            world = simulate(n_customers=n_customers, seed=seed, followup_hazard_ratio=truth)
            frame = causal.answer_frame(world)
            for method in causal.METHODS:
                effect = causal.followup_effect(world, method=method, frame=frame, n_resamples=n_resamples,
                                                seed=seed)
                rows.append({"true_hazard_ratio": truth, "seed": seed, "method": method, "value": effect.value,
                             "ci_low": effect.ci_low, "ci_high": effect.ci_high, "n": effect.n,
                             "risk_difference": effect.risk_difference})
            print(f"truth {truth}, seed {seed}: {time.perf_counter() - started:.1f} s", flush=True)
    return pd.DataFrame(rows)


def coverage_table(found: pd.DataFrame) -> pd.DataFrame:
    """Per truth and design: mean/median estimate, coverage, median interval, share excluding 1."""
    found = found.assign(covers=(found["ci_low"] <= found["true_hazard_ratio"])
                         & (found["true_hazard_ratio"] <= found["ci_high"]),
                         excludes_one=(found["ci_high"] < 1) | (found["ci_low"] > 1))
    return found.groupby(["true_hazard_ratio", "method"], sort=False).agg(
        worlds=("value", "size"), mean_estimate=("value", "mean"), median_estimate=("value", "median"),
        coverage=("covers", "mean"), median_ci_low=("ci_low", "median"), median_ci_high=("ci_high", "median"),
        share_excluding_1=("excludes_one", "mean")).reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=20)
    parser.add_argument("--n-customers", type=int, default=20_000)
    parser.add_argument("--n-resamples", type=int, default=499)
    args = parser.parse_args()
    found = estimates(args.worlds, args.n_customers, args.n_resamples)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    found.to_csv(RESULTS, index=False)
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(coverage_table(found).round(3).to_string(index=False))
    print(f"\nestimates: {RESULTS}")


if __name__ == "__main__":
    main()
