"""Run benchmark steps in this fresh process and write their measurements as JSON.

Usage: ``python benchmarks/worker.py STEP [STEP ...] --size N --data DIR --work DIR --out FILE``,
or ``python benchmarks/worker.py generate --size N --data DIR --out FILE`` to simulate a world.
``benchmarks/run.py`` starts one worker per batch of :func:`steps.worker_batches`: loading,
reading, the imports and the report each get a process of their own; analysis steps on the
same inputs share one.

Before any step except ``imports`` the worker imports the notebook stack (untimed), so a step's
time never includes importing lifelines or cxlab. Measurements (see :mod:`measure`): for every
repeat the wall and CPU seconds of ``run``; the RSS after ``setup`` (``inputs_rss_mb``: the
interpreter, its inputs and whatever earlier steps of the same process left); the peak RSS
during the timed runs (``peak_rss_mb``: the process's high-water mark reset after setup, or the
sampled sum over the process and its children when that is larger, as for the report); and the
peak of the worker so far, setups and earlier steps included (``process_peak_rss_mb``).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import measure  # noqa: E402
import steps  # noqa: E402
import worlds  # noqa: E402


def _plain(value):
    """JSON-safe facts (numpy scalars to Python numbers)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value


def run_step(name: str, ctx: steps.Context, budget_seconds: float) -> dict:
    """Set up one step, then time its run, repeating while the time budget allows.

    Steps never modify their inputs, so the repeats share one setup.
    """
    step = steps.STEPS[name]
    started_rss = measure.rss_mb()
    state = step.setup(ctx)
    inputs_rss = measure.rss_mb()
    walls, cpus, peaks = [], [], []
    result = {}
    for _ in range(step.max_repeats):
        result = {}
        gc.collect()
        exact_peak = measure.reset_peak_rss()
        with measure.TreeSampler() as sampler, measure.Clock() as clock:
            result = step.run(state)
        own_peak = measure.peak_since_reset_mb() if exact_peak else measure.peak_rss_mb()
        walls.append(clock.wall_seconds)
        cpus.append(clock.cpu_seconds)
        peaks.append(max(own_peak, sampler.peak_mb))
        if sum(walls) > budget_seconds or result.get("_error"):
            break
    del state
    if step.after is not None and not result.get("_error"):
        step.after(ctx, result)
    facts = {k: v for k, v in result.items() if not k.startswith("_")}
    return {
        "wall_s": min(walls),
        "wall_median_s": sorted(walls)[len(walls) // 2],
        "cpu_s": min(cpus),
        "repeats": len(walls),
        "peak_rss_mb": max(peaks),
        "inputs_rss_mb": inputs_rss,
        "interpreter_rss_mb": started_rss,
        "process_peak_rss_mb": measure.peak_rss_mb(),
        "peak_is_exact": exact_peak,
        "facts": _plain(facts),
        "error": result.get("_error", ""),
    }


def generate(size: int, folder: Path) -> dict:
    """Simulate and write a world, timed (reported as generation, not as loading)."""
    with measure.TreeSampler() as sampler, measure.Clock() as clock:
        rows = worlds.generate(size, folder)
    return {
        "wall_s": clock.wall_seconds,
        "wall_median_s": clock.wall_seconds,
        "cpu_s": clock.cpu_seconds,
        "repeats": 1,
        "peak_rss_mb": max(measure.peak_rss_mb(), sampler.peak_mb),
        "inputs_rss_mb": 0.0,
        "interpreter_rss_mb": 0.0,
        "process_peak_rss_mb": measure.peak_rss_mb(),
        "peak_is_exact": True,
        "facts": {"rows": rows},
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", nargs="+", choices=["generate", *steps.STEPS])
    parser.add_argument("--size", required=True)
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--budget", type=float, default=10.0, help="stop repeating after this many seconds")
    args = parser.parse_args(argv)
    records = []
    for name in args.steps:
        record = {
            "step": name,
            "size": args.size,
            "load_average_start": measure.load_average(),
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        }
        try:
            if name == "generate":
                record.update(generate(int(args.size), args.data), error="")
            else:
                if name != "imports":
                    for module in steps.NOTEBOOK_IMPORTS:
                        importlib.import_module(module)
                ctx = steps.Context(size=args.size, data_dir=args.data, work_dir=args.work)
                record.update(run_step(name, ctx, args.budget))
        except Exception as err:  # the run goes on with the other steps and reports this one as failed
            record["error"] = f"{type(err).__name__}: {err}"
            record["traceback"] = traceback.format_exc()[-4000:]
        record["load_average_end"] = measure.load_average()
        records.append(record)
        args.out.write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    return 0 if not any(r["error"] for r in records) else 1


if __name__ == "__main__":
    raise SystemExit(main())
