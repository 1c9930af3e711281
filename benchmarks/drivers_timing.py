"""How long key-driver analysis takes as the number of rated items grows.

Run ``.venv/bin/python benchmarks/drivers_timing.py [--respondents 1000] [--resamples 500]``.
For 10, 20, 30 and 50 items on 1,000 simulated respondents (7-point items sharing a halo
factor, an overall outcome weighted from the first item to the last) it prints the wall time of
:func:`cxlab.drivers.key_drivers` with its default settings (the HC3 regression, the importance
and its bootstrap intervals) and of exact general dominance without the bootstrap where that is
still possible (2^p subsets: refused above 20 items). Each time is the best of three runs.
BLAS threads compete on a loaded machine: ``OPENBLAS_NUM_THREADS=1`` gives steadier numbers.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from cxlab.drivers import MAX_DRIVERS, general_dominance, key_drivers

ITEM_COUNTS = (10, 20, 30, 50)


def survey(n_items: int, n_respondents: int, seed: int = 0) -> pd.DataFrame:
    """Simulated 1-7 ratings with a common halo, plus an ``overall`` outcome."""
    rng = np.random.default_rng(seed)
    halo = rng.normal(size=(n_respondents, 1))
    items = np.clip(np.round(4 + 1.2 * halo + rng.normal(size=(n_respondents, n_items))), 1, 7)
    frame = pd.DataFrame(items, columns=[f"item_{i:02d}" for i in range(n_items)])
    frame["overall"] = items @ np.linspace(1.0, 0.0, n_items) + rng.normal(size=n_respondents) * 3
    return frame


def best_of_three(run) -> float:
    """Shortest wall time of three runs, in seconds."""
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1000)
    parser.add_argument("--resamples", type=int, default=500)
    args = parser.parse_args()
    rows = []
    for n_items in ITEM_COUNTS:
        frame = survey(n_items, args.respondents)
        result = key_drivers(frame, outcome="overall", n_resamples=args.resamples)
        full = best_of_three(lambda f=frame: key_drivers(f, outcome="overall", n_resamples=args.resamples))
        corr = np.corrcoef(frame[["overall", *frame.columns[:-1]]].to_numpy(), rowvar=False)
        exact = best_of_three(lambda c=corr: general_dominance(c)) if n_items <= MAX_DRIVERS else np.nan
        rows.append({"items": n_items, "method": result.importance_method_, "key_drivers_s": full,
                     "exact_dominance_once_s": exact})
    print(f"key_drivers on {args.respondents:,} respondents, {args.resamples} bootstrap resamples "
          "(best of three runs; exact dominance: one decomposition, no bootstrap):")
    print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.2f}", na_rep="refused"))


if __name__ == "__main__":
    main()
