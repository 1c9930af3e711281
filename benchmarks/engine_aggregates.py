"""Time and peak memory of the report's aggregates: pandas on whole tables against the engine (DuckDB, Spark).

One run measures one way in a fresh process (``--way pandas|duckdb|spark``) on one data folder:

* ``pandas``: :func:`cxlab.io.load` (reading and every rule), then the aggregates with the pandas
  functions the analyses call;
* ``duckdb`` / ``spark``: :class:`cxlab.engine.Engine` (the same rules as queries), then the same
  aggregates as queries.

The aggregates: relationship-NPS answers per score by segment x quarter, CSAT answers per score
by touchpoint x quarter, response counts by touchpoint x quarter, life tables by segment, and
revenue per cohort-month. Peak memory is the largest sum of resident memory over the process and
its children (the Spark JVM), sampled every 0.1 s. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

import psutil

QUARTERLY = ["segment", "quarter"]
TOUCHPOINT_QUARTER = ["touchpoint", "quarter"]


class PeakMemory:
    """Largest resident memory (MB) of this process and its children while running."""

    def __init__(self, interval_s: float = 0.1):
        self.interval_s, self.peak_mb, self._stop = interval_s, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        me = psutil.Process()
        while not self._stop.is_set():
            total = 0
            for process in [me, *me.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self._stop.wait(self.interval_s)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def with_pandas(folder: Path) -> dict:
    from cxlab import io, metrics, touchpoints
    from cxlab.tenure import event_table, tenure_frame

    started = time.perf_counter()
    data = io.load(folder)
    loaded = time.perf_counter()
    known = touchpoints.with_customer_attributes(touchpoints.surveys_as_of(data.surveys, as_of=data.as_of),
                                                 data.customers, ["segment"])
    relationship = known[known["touchpoint"] == "relationship"]
    nps = metrics.score_distribution(relationship, QUARTERLY, score_col="nps", kind="nps")
    transactional = known[known["touchpoint"] != "relationship"]
    csat = metrics.score_distribution(transactional, TOUCHPOINT_QUARTER, score_col="csat", kind="csat")
    responses = known.groupby(TOUCHPOINT_QUARTER)["responded"].agg(["size", "sum"])
    frame = tenure_frame(data.customers, as_of=data.as_of)
    life = {s: event_table(g["tenure_months"], g["churned"]) for s, g in frame.groupby("segment")}
    customers = data.customers[["customer_id", "acquired_at"]]
    revenue = data.revenue.merge(customers, on="customer_id")
    revenue["cohort"] = revenue["acquired_at"].dt.to_period("Q").astype(str)
    per_cohort_month = revenue.groupby(["cohort", "month"])["amount"].sum()
    return {"load_s": loaded - started, "aggregate_s": time.perf_counter() - loaded,
            "cells": {"nps": len(nps), "csat": len(csat), "responses": len(responses),
                      "life_rows": sum(len(t) for t in life.values()), "revenue": len(per_cohort_month)},
            "answers_nps": int(nps.to_numpy().sum())}


def with_engine(folder: Path, engine_name: str, threads: int, memory_limit: str | None) -> dict:
    from cxlab.engine import connect

    started = time.perf_counter()
    options = {"memory_limit": memory_limit} if engine_name == "duckdb" and memory_limit else {}
    engine = connect(folder, engine=engine_name, threads=threads, **options)
    loaded = time.perf_counter()
    nps = engine.score_distribution("nps", QUARTERLY, touchpoints="relationship")
    transactional = [t for t in engine.sql("SELECT DISTINCT touchpoint FROM valid_surveys")["touchpoint"]
                     if t != "relationship"]
    csat = engine.score_distribution("csat", TOUCHPOINT_QUARTER, touchpoints=transactional)
    responses = engine.response_counts(TOUCHPOINT_QUARTER)
    life = engine.life_tables("segment")
    per_cohort_month = engine.revenue_by_cohort_month()
    finished = time.perf_counter()
    engine.close()
    return {"load_s": loaded - started, "aggregate_s": finished - loaded,
            "cells": {"nps": len(nps), "csat": len(csat), "responses": len(responses), "life_rows": len(life),
                      "revenue": len(per_cohort_month)},
            "answers_nps": int(nps.to_numpy().sum())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--way", choices=["pandas", "duckdb", "spark"], required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-limit", default=None, help="DuckDB memory limit, e.g. 1GB")
    args = parser.parse_args(argv)
    with PeakMemory() as peak:
        wall = time.perf_counter()
        if args.way == "pandas":
            result = with_pandas(args.data)
        else:
            result = with_engine(args.data, args.way, args.threads, args.memory_limit)
        wall = time.perf_counter() - wall
    print(json.dumps({"data": str(args.data), "way": args.way, "threads": args.threads,
                      "memory_limit": args.memory_limit, "wall_s": round(wall, 2),
                      **{k: round(v, 2) if isinstance(v, float) else v for k, v in result.items()},
                      "peak_rss_mb": round(peak.peak_mb), "load_1m": round(psutil.getloadavg()[0], 2)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
