"""cxlab benchmarks: wall time, CPU time and peak memory per step and world size.

``make bench`` runs ``python benchmarks/run.py``: for the shipped demo folder and simulated
worlds of 20,000, 200,000 and 1,000,000 customers (about five survey invitations, three cases
and 22 monthly revenue rows per customer, Parquet files) it times, each in a fresh process,
loading with validation, each analysis function, the lifelines calls they are compared with,
and the full ``cxlab report``; prints a table and the ratios against the targets; and saves
``benchmarks/results/<name>.json`` and ``.csv``. See ``benchmarks/README.md``.

Examples
--------
Quick run on the small sizes, without the report::

    .venv/bin/python benchmarks/run.py --sizes demo,20000 --skip report --name quick
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import measure  # noqa: E402
import pandas as pd  # noqa: E402
import psutil  # noqa: E402
import steps  # noqa: E402
import targets  # noqa: E402
import worlds  # noqa: E402

DEFAULT_SIZES = "demo,20000,200000,1000000"
PACKAGES = [
    "cxlab",
    "pandas",
    "numpy",
    "scipy",
    "lifelines",
    "statsmodels",
    "pandera",
    "pyarrow",
    "papermill",
    "nbconvert",
]
GENERATION_RECORD = "generation.json"
TABLE_COLUMNS = [
    "size",
    "step",
    "wall_s",
    "cpu_s",
    "repeats",
    "peak_rss_mb",
    "inputs_rss_mb",
    "load_1m",
    "note",
]


def environment() -> dict:
    """Machine, versions and commit the figures belong to."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = ""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = ""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 1024**3, 1),
        "git_commit": commit,
        "versions": versions,
    }


def run_worker(batch: list[str], size: str, cache: Path, budget: float, timeout: float) -> list[dict]:
    """Run steps in a fresh process (its own session, so a timeout ends its kernels too)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    command = [
        sys.executable,
        str(HERE / "worker.py"),
        *batch,
        "--size",
        size,
        "--out",
        str(out),
        "--budget",
        str(budget),
        "--data",
        str(worlds.data_dir(size, cache)),
        "--work",
        str(worlds.work_dir(size, cache)),
    ]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    problem = ""
    try:
        output, _ = process.communicate(timeout=timeout)
        if process.returncode and not out.stat().st_size:
            problem = f"worker exited {process.returncode}: {output[-1500:]}"
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
        problem = f"timed out after {timeout:.0f} s"
    records = json.loads(out.read_text(encoding="utf-8")) if out.stat().st_size else []
    out.unlink(missing_ok=True)
    done = {r["step"] for r in records}
    records += [
        {"step": step, "size": size, "error": problem or "not run"} for step in batch if step not in done
    ]
    for record in records:
        record["worker_wall_s"] = time.perf_counter() - started
    return records


def ensure_world(size: str, cache: Path, regenerate: bool, timeout: float) -> dict | None:
    """Generate a world unless it is cached; return the generation record.

    The record of a cached world is the one kept when it was generated, marked ``cached``
    (None for the demo folder or when none was kept).
    """
    if size == worlds.DEMO:
        return None
    kept = worlds.work_dir(size, cache) / GENERATION_RECORD
    if worlds.is_generated(size, cache) and not regenerate:
        return {**json.loads(kept.read_text(encoding="utf-8")), "cached": True} if kept.is_file() else None
    worlds.work_dir(size, cache).mkdir(parents=True, exist_ok=True)
    record = run_worker(["generate"], size, cache, budget=0, timeout=timeout)[0]
    if not record.get("error"):
        kept.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


def table_row(record: dict) -> dict:
    facts = record.get("facts", {})
    note = record.get("error") or ", ".join(
        f"{k}={v}" for k, v in facts.items() if not isinstance(v, dict) and k != "log_likelihood"
    )
    return {
        "size": record["size"],
        "step": record["step"],
        "wall_s": record.get("wall_s"),
        "cpu_s": record.get("cpu_s"),
        "repeats": record.get("repeats"),
        "peak_rss_mb": record.get("peak_rss_mb"),
        "inputs_rss_mb": record.get("inputs_rss_mb"),
        "load_1m": (record.get("load_average_start") or [None])[0],
        "note": note[:70],
    }


def save(name: str, results_dir: Path, payload: dict) -> None:
    """Write ``<name>.json`` (everything) and ``<name>.csv`` (one row per size and step)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / f"{name}.json").write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    rows = [
        {
            **table_row(r),
            "wall_median_s": r.get("wall_median_s"),
            "process_peak_rss_mb": r.get("process_peak_rss_mb"),
            "facts": json.dumps(r.get("facts", {})),
        }
        for r in payload["records"]
    ]
    pd.DataFrame(rows).to_csv(results_dir / f"{name}.csv", index=False, float_format="%.4g")


def print_table(records: list[dict]) -> None:
    frame = pd.DataFrame([table_row(r) for r in records], columns=TABLE_COLUMNS)
    with pd.option_context("display.width", 200, "display.max_rows", 500, "display.max_colwidth", 70):
        print(frame.to_string(index=False, float_format=lambda x: f"{x:,.3f}" if x < 10 else f"{x:,.1f}"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=DEFAULT_SIZES,
        help="comma-separated world sizes in customers; 'demo' is the shipped demo folder "
        f"(default {DEFAULT_SIZES})",
    )
    parser.add_argument(
        "--steps",
        default="",
        help="comma-separated steps to run (default: all but cox_experience_lifelines_single)",
    )
    parser.add_argument("--skip", default="", help="comma-separated steps to leave out, e.g. report")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache", help="folder of the generated worlds")
    parser.add_argument("--results", type=Path, default=HERE / "results", help="folder of the results files")
    parser.add_argument("--name", default="latest", help="results file name (without extension)")
    parser.add_argument(
        "--budget",
        type=float,
        default=10.0,
        help="stop repeating a step once its runs took this many seconds (at most 5 runs)",
    )
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds before a step is stopped")
    parser.add_argument(
        "--regenerate", action="store_true", help="simulate the worlds again even when cached"
    )
    args = parser.parse_args(argv)

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    default = [name for name, step in steps.STEPS.items() if not step.optional]
    chosen = [s for s in (args.steps.split(",") if args.steps else default) if s]
    skipped = [s for s in args.skip.split(",") if s]
    unknown = sorted(set(chosen + skipped) - set(steps.STEPS))
    if unknown:
        parser.error(f"unknown step(s) {unknown}; choose from {', '.join(steps.STEPS)}")
    chosen = [s for s in chosen if s not in skipped]

    clock = time.perf_counter()
    payload = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_average_start": measure.load_average(),
        "environment": environment(),
        "sizes": sizes,
        "world": {
            "transactional_per_month": worlds.TRANSACTIONAL_PER_MONTH,
            "cases_per_customer": worlds.CASES_PER_CUSTOMER,
            "seed": worlds.SEED,
            "format": "parquet",
        },
        "records": [],
    }
    print(
        f"cxlab benchmarks: sizes {sizes}; load average {payload['load_average_start']} on "
        f"{payload['environment']['cpu_count']} cores",
        flush=True,
    )
    for size in sizes:
        generation = ensure_world(size, args.cache, args.regenerate, args.timeout)
        if generation is not None:
            payload["records"].append(generation)
            how = "cached, generated earlier in" if generation.get("cached") else "generated in"
            seconds = generation.get("wall_s", float("nan"))
            print(f"[{size}] {how} {seconds:.1f} s {generation.get('error', '')}", flush=True)
        names = [
            s
            for s in chosen
            if (size != worlds.DEMO or s in steps.DEMO_STEPS) and (s != "imports" or size == sizes[0])
        ]
        for batch in steps.worker_batches(names):
            for record in run_worker(batch, size, args.cache, args.budget, args.timeout):
                payload["records"].append(record)
                row = table_row(record)
                wall = (
                    "not run"
                    if row["wall_s"] is None
                    else f"{row['wall_s']:.3f} s, peak {row['peak_rss_mb']:,.0f} MB"
                )
                print(f"[{size}] {record['step']}: {wall}  {row['note']}", flush=True)
            save(args.name, args.results, payload)
    payload["total_wall_s"] = time.perf_counter() - clock
    payload["load_average_end"] = measure.load_average()
    payload["ratios"] = targets.ratios(payload["records"])
    payload["targets"] = targets.evaluate(payload["records"], payload["ratios"], payload["total_wall_s"])
    save(args.name, args.results, payload)

    print()
    print_table(payload["records"])
    print()
    print(targets.format_ratios(payload["ratios"]))
    print()
    print(targets.format_targets(payload["targets"]))
    start, end = payload["load_average_start"], payload["load_average_end"]
    minutes = payload["total_wall_s"] / 60
    print(f"\nTotal {minutes:.1f} min; load average {start} at the start, {end} at the end.")
    print(f"Results: {args.results / args.name}.json and .csv")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
