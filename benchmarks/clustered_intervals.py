"""Repeated answers by the same customer: design effects on the demo and interval coverage by simulation.

Run ``.venv/bin/python benchmarks/clustered_intervals.py [--reps 2000]``. It prints

1. the design effects of the demo report quarter's scorecard cells and of the 12-month
   relationship NPS, each computed independently of cxlab with statsmodels (cluster-robust
   variance of an OLS on a constant over the i.i.d. variance ``s**2 / n``), not floored;
2. the coverage of nominal 95% intervals, independent ("naive") against clustered by customer,
   over ``--reps`` simulated surveys of 150 customers answering 1 + Poisson(3) times with a
   customer random effect (latent intra-customer correlation 0.39), against the known truth.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

import cxlab.io
from cxlab import metrics, touchpoints

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
SD_CUSTOMER, SD_ANSWER = 1.2, 1.5


def design_effect(y: np.ndarray, groups: np.ndarray) -> float:
    """statsmodels' cluster-robust variance of the mean over s²/n (not floored)."""
    y = np.asarray(y, float)
    fit = sm.OLS(y, np.ones(len(y))).fit(cov_type="cluster", cov_kwds={"groups": pd.factorize(groups)[0]})
    return float(fit.bse[0] ** 2 / (y.var(ddof=1) / len(y)))


def demo_design_effects() -> pd.DataFrame:
    """Design effects of the demo's last-quarter touchpoint cells and of the 12-month relationship NPS."""
    data = cxlab.io.load(DEMO, tables=["surveys"])
    frame = touchpoints.surveys_as_of(data.surveys, as_of=data.as_of)
    quarter = frame["quarter"].max()
    rows = []
    for touchpoint, answers in frame[(frame["quarter"] == quarter) & frame["csat"].notna()].groupby("touchpoint"):
        ids = answers["customer_id"].to_numpy()
        rows.append({"cell": f"{touchpoint} {quarter}", "answers": len(answers), "customers": len(set(ids)),
                     "csat_share": design_effect(answers["csat"] >= 4, ids),
                     "csat_mean": design_effect(answers["csat"], ids), "ces_mean": design_effect(answers["ces"], ids)})
    recent = frame[(frame["touchpoint"] == "relationship") & frame["nps"].notna()
                   & (frame["sent_at"] > data.as_of - pd.DateOffset(months=12))]
    net = (recent["nps"] >= 9).astype(float) - (recent["nps"] <= 6)
    rows.append({"cell": "relationship NPS, 12 months", "answers": len(recent),
                 "customers": recent["customer_id"].nunique(), "nps": design_effect(net, recent["customer_id"])})
    return pd.DataFrame(rows)


def simulated_survey(rng: np.random.Generator, n_customers: int = 150) -> pd.DataFrame:
    visits = 1 + rng.poisson(3, n_customers)
    customer = np.repeat(np.arange(n_customers), visits)
    latent = rng.normal(0, SD_CUSTOMER, n_customers)[customer] + rng.normal(0, SD_ANSWER, len(customer))
    return pd.DataFrame({"customer_id": customer, "nps": np.clip(np.round(7 + latent), 0, 10),
                         "csat": np.clip(np.round(3.6 + latent / 1.5), 1, 5)})


def truths() -> dict[str, float]:
    """Answer-level population values of :func:`simulated_survey` (normal latent, rounded and clipped)."""
    sd = np.hypot(SD_CUSTOMER, SD_ANSWER)
    cuts = np.arange(1.5, 5.5)  # CSAT k for latent 3.6 + x / 1.5 in [k - 0.5, k + 0.5), clipped to 1-5
    below = stats.norm.cdf(cuts, 3.6, sd / 1.5)
    probabilities = np.diff(np.concatenate([[0.0], below, [1.0]]))
    return {"nps": 100 * (stats.norm.sf(8.5, 7, sd) - stats.norm.cdf(6.5, 7, sd)),
            "csat_share": 100 * stats.norm.sf(3.5, 3.6, sd / 1.5),
            "csat_mean": float(probabilities @ np.arange(1, 6))}


def coverage(reps: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    truth = truths()
    hits = {(k, v): 0 for k in truth for v in ("naive", "clustered")}
    deffs = []
    for _ in range(reps):
        survey = simulated_survey(rng)
        for clusters, variant in ((None, "naive"), (survey["customer_id"], "clustered")):
            est = metrics.nps(survey["nps"], clusters=clusters)
            sat = metrics.csat(survey["csat"], clusters=clusters)
            hits["nps", variant] += est.ci_low <= truth["nps"] <= est.ci_high
            hits["csat_share", variant] += sat.ci_low <= truth["csat_share"] <= sat.ci_high
            hits["csat_mean", variant] += sat.mean_ci_low <= truth["csat_mean"] <= sat.mean_ci_high
        deffs.append(est.deff)
    table = pd.DataFrame([{"estimate": k, "truth": truth[k], "naive": hits[k, "naive"] / reps,
                           "clustered": hits[k, "clustered"] / reps} for k in truth])
    table.attrs["mean_nps_deff"] = float(np.mean(deffs))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    args = parser.parse_args()
    print("Design effects on the demo (statsmodels, not floored):")
    print(demo_design_effects().round(3).to_string(index=False))
    table = coverage(args.reps)
    print(f"\nCoverage of nominal 95% intervals, {args.reps} simulated surveys of 150 customers "
          f"(mean NPS design effect {table.attrs['mean_nps_deff']:.2f}); Monte Carlo SE about "
          f"{100 * np.sqrt(0.95 * 0.05 / args.reps):.1f} points:")
    print(table.round(4).to_string(index=False))


if __name__ == "__main__":
    main()
