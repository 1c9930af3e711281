"""Cox model from risk-set sums over cells against lifelines, at 100,000 and 1,000,000 customers.

Run ``.venv/bin/python benchmarks/cox_aggregates.py [--sizes 100000 1000000] [--repeats 3]``.

The world: customers acquired evenly over 72 months, monthly tenure (churn in month k of a
constant monthly hazard; censored at the months observed), four categorical covariates
(segment 3 levels, contract 2, region 4, answer category 4: 9 terms) with known hazard ratios.
Every fit gets the same numeric design frame (one row per customer, the 9 terms, tenure,
churn), except ``cxlab_fit_cox``, which starts from the categorical columns and encodes them.

Configurations, each in a fresh Python process (so its peak memory is its own):

``cxlab_cells``
    :func:`cxlab.survival.risk_sets.cox_cells` + :func:`~cxlab.survival.risk_sets.fit_cox_cells`.
``cxlab_fit_cox``
    :func:`cxlab.survival.fit_cox` end to end (design encoding, cells, fit, hazard-ratio table).
``lifelines_auto``, ``lifelines_batch``
    ``CoxPHFitter().fit`` with its automatic choice of algorithm and with ``batch_mode=True``.
``lifelines_collapsed``
    ``batch_mode=True`` on the rows with identical censored customers merged into weights (the
    merging is timed too): lifelines' fastest exact configuration.

Wall and CPU time (this process) are the best of ``--repeats`` runs (one run for a configuration
slower than 60 s; CPU time is less disturbed when other work shares the machine);
peak memory is the resident-set high-water mark of the process during the timed runs, next to
the resident set before them (interpreter and inputs). Every fit's log-likelihood and largest
coefficient difference from ``cxlab_cells`` are printed to show they fit the same model.
Results go to ``benchmarks/results/cox_aggregates.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import peak_since_reset_mb, reset_peak_rss, rss_mb  # noqa: E402

CONFIGURATIONS = ("cxlab_cells", "cxlab_fit_cox", "lifelines_batch", "lifelines_collapsed", "lifelines_auto")
COVARIATES = ["segment", "contract", "region", "answer"]
HAZARD_RATIOS = {("segment", "Mid-market"): 0.8, ("segment", "Enterprise"): 0.6, ("contract", "annual"): 0.55,
                 ("region", "South"): 1.1, ("region", "East"): 1.2, ("region", "West"): 0.9,
                 ("answer", "detractor"): 1.8, ("answer", "promoter"): 0.7, ("answer", "none"): 1.3}
LEVELS = {"segment": ["SMB", "Mid-market", "Enterprise"], "contract": ["monthly", "annual"],
          "region": ["North", "South", "East", "West"], "answer": ["passive", "detractor", "promoter", "none"]}
MONTHLY_HAZARD = 0.025
RESULTS = Path(__file__).resolve().parent / "results" / "cox_aggregates.json"


def world(n_customers: int, seed: int = 0) -> pd.DataFrame:
    """One row per customer: the categorical covariates, tenure in whole months and the churn flag."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: pd.Categorical.from_codes(rng.integers(0, len(LEVELS[c]), n_customers), LEVELS[c])
                          for c in COVARIATES})
    log_hr = np.zeros(n_customers)
    for (covariate, level), ratio in HAZARD_RATIOS.items():
        log_hr += np.log(ratio) * (frame[covariate] == level).to_numpy()
    churn_month = rng.geometric(1 - np.exp(-MONTHLY_HAZARD * np.exp(log_hr)))
    observed = rng.integers(1, 73, n_customers)
    frame["tenure_months"] = np.minimum(churn_month, observed)
    frame["churned"] = (churn_month <= observed).astype(int)
    return frame


def design_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The numeric frame lifelines fits: one 0/1 column per non-reference level, tenure and churn."""
    columns = {f"{covariate}[{level}]": (frame[covariate] == level).to_numpy(dtype=float)
               for covariate, level in HAZARD_RATIOS}
    return pd.DataFrame(columns).assign(tenure_months=frame["tenure_months"].to_numpy(),
                                        churned=frame["churned"].to_numpy())


def _collapsed(data: pd.DataFrame) -> pd.DataFrame:
    from cxlab.survival.design import collapse_censored_rows

    keys = [c for c in data.columns if c not in ("churned", "customers")]
    return collapse_censored_rows(data.assign(customers=1.0), key_cols=keys, event_col="churned",
                                  weights_col="customers")


def _fit(configuration: str, frame: pd.DataFrame, data: pd.DataFrame) -> dict:
    """Fit once; the coefficients by term and the log-likelihood."""
    terms = [c for c in data.columns if c not in ("tenure_months", "churned")]
    if configuration == "cxlab_cells":
        from cxlab.survival.risk_sets import cox_cells, fit_cox_cells

        fit = fit_cox_cells(cox_cells(data, terms, duration_col="tenure_months", event_col="churned"))
        return {"params": fit.params.to_dict(), "log_likelihood": fit.log_likelihood, "cells": fit.n_cells}
    if configuration == "cxlab_fit_cox":
        from cxlab.survival import fit_cox

        model = fit_cox(frame, covariates=COVARIATES, baseline={c: LEVELS[c][0] for c in COVARIATES})
        return {"params": model.hazard_ratios_["coef"].to_dict(), "log_likelihood": model.log_likelihood_,
                "cells": model.n_rows_fitted_}
    from lifelines import CoxPHFitter

    options = {"lifelines_auto": {}, "lifelines_batch": {"batch_mode": True},
               "lifelines_collapsed": {"batch_mode": True, "weights_col": "customers"}}[configuration]
    rows = _collapsed(data) if configuration == "lifelines_collapsed" else data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitter = CoxPHFitter().fit(rows, "tenure_months", "churned", **options)
    return {"params": fitter.params_.to_dict(), "log_likelihood": float(fitter.log_likelihood_), "rows": len(rows)}


def measure(configuration: str, n_customers: int, repeats: int) -> dict:
    """Time and peak memory of one configuration in this process."""
    frame = world(n_customers)
    data = design_frame(frame)
    import lifelines  # noqa: F401  (imports are not timed)

    import cxlab.survival  # noqa: F401

    inputs = rss_mb()
    reset_peak_rss()
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = _fit(configuration, frame, data)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        if times[-1] > 60:
            break
    return {"configuration": configuration, "customers": n_customers, "events": int(data["churned"].sum()),
            "wall_s": min(times), "cpu_s": min(cpu), "runs": len(times), "peak_rss_mb": peak_since_reset_mb(),
            "inputs_rss_mb": inputs, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--configurations", nargs="+", default=list(CONFIGURATIONS), choices=CONFIGURATIONS)
    parser.add_argument("--one", nargs=2, metavar=("CONFIGURATION", "CUSTOMERS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], int(args.one[1]), args.repeats)))
        return
    records = []
    for size in args.sizes:
        reference = None
        for configuration in args.configurations:
            out = subprocess.run([sys.executable, __file__, "--one", configuration, str(size),
                                  "--repeats", str(args.repeats)], capture_output=True, text=True, check=True)
            record = json.loads(out.stdout.strip().splitlines()[-1])
            params = pd.Series(record.pop("params"))
            params.index = [i.replace("[", "_").replace("]", "") for i in params.index]
            reference = params if reference is None else reference
            record["max_coef_difference"] = float((params - reference[params.index]).abs().max())
            records.append(record)
            print(f"{size:>9,} {configuration:<20} {record['wall_s']:8.2f} s (CPU {record['cpu_s']:6.2f} s)  "
                  f"peak {record['peak_rss_mb']:7.0f} MB "
                  f"(inputs {record['inputs_rss_mb']:5.0f} MB)  log-lik {record['log_likelihood']:.4f}  "
                  f"max |coef - cxlab_cells| {record['max_coef_difference']:.1e}", flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(records, indent=1))
    table = pd.DataFrame(records)
    for (size, clock), group in table.melt(["customers", "configuration"], ["wall_s", "cpu_s"]).groupby(
            ["customers", "variable"]):
        lifelines_best = group.loc[group["configuration"].str.startswith("lifelines"), "value"].min()
        ours = group.set_index("configuration")["value"]
        print(f"{size:,} customers, {clock}: lifelines' fastest configuration / cxlab_cells = "
              f"{lifelines_best / ours.get('cxlab_cells', np.nan):.1f}x; / cxlab_fit_cox = "
              f"{lifelines_best / ours.get('cxlab_fit_cox', np.nan):.1f}x")


if __name__ == "__main__":
    main()
