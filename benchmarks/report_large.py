"""The whole quarterly report on a large world: wall time, peak memory, and where the time goes.

Runs ``cxlab report --data <world> --out <reports folder> --force [--engine duckdb|spark|pandas]`` in a
child process while :class:`measure.TreeSampler` records the peak resident memory (RSS, and PSS,
which counts the pages of the validated copy the kernels share once) summed over
the run and its notebook kernels (not this script), then reads the executed notebooks (papermill records each
cell's duration) to give the seconds of every page and of its slowest sections, and which
sections were running, with each process's memory, when the summed PSS peaked.

Usage::

    .venv/bin/python benchmarks/chunked_worlds.py 1000000          # once: the 1M world
    .venv/bin/python benchmarks/report_large.py benchmarks/.cache/chunked-n1000000-k250000-s20240601-t0.07-c3/data \\
        --engine duckdb --save benchmarks/results/report-1m-duckdb.json
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import TreeSampler, load_average  # noqa: E402
from steps import code_cell_seconds  # noqa: E402

from cxlab.report.schedule import earlier_run  # noqa: E402

SECTION_CALL = re.compile(r"report\.show\(\s*\w+\.(\w+)")


def running_at(executed: Path, instant: float) -> list[str]:
    """The page and section (cell) each kernel was running at ``instant`` (seconds since the epoch),
    from the start and end times papermill records for every cell."""
    import nbformat

    running = []
    for path in sorted(executed.glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            timing = cell.metadata.get("papermill", {})
            if cell.cell_type != "code" or not timing.get("start_time") or not timing.get("end_time"):
                continue
            start, end = (datetime.fromisoformat(timing[key]).timestamp() for key in ("start_time", "end_time"))
            if start <= instant <= end:
                calls = SECTION_CALL.findall(cell.source)
                running.append(f"{path.stem} {calls[0] if calls else 'opening'}")
    return running


def section_seconds(executed: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Seconds per page and per section from the executed notebooks of a report folder."""
    pages, sections = {}, {}
    for page, cells in code_cell_seconds(executed).items():
        pages[page] = round(sum(seconds for _, seconds, _ in cells), 1)
        for _, seconds, source in cells:
            for name in SECTION_CALL.findall(source):
                sections[f"{page} {name}"] = round(seconds, 1)
    return pages, sections


def world_name(world: Path) -> str:
    """The world's folder name (its ``data`` folder's parent for a chunked world)."""
    return world.name if world.name != "data" else world.parent.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("world", type=Path, help="data folder of the world")
    parser.add_argument("--engine", choices=["duckdb", "spark", "pandas"], default=None,
                        help="the report's --engine (default: the report's default, duckdb)")
    parser.add_argument("--out", type=Path, default=None,
                        help="reports folder (default: benchmarks/.cache/reports-<world>, kept between runs)")
    parser.add_argument("--save", type=Path, default=None, help="JSON file for the figures")
    parser.add_argument("--memory-limit", default="", help="passed to cxlab report (default: its own)")
    parser.add_argument("--workers", type=int, default=0, help="passed to cxlab report (default: its own)")
    args = parser.parse_args()
    cxlab = Path(sys.executable).with_name("cxlab")
    # The reports folder stays between runs, as a quarterly run's does: a run starts the notebooks
    # that took longest in the earlier run first (cxlab.report.schedule); a first run has no
    # earlier times and starts them in page order.
    out = args.out or HERE / ".cache" / f"reports-{world_name(args.world)}"
    out.mkdir(parents=True, exist_ok=True)
    # the report matches an earlier run by the data folder as it was given (cxlab.report.schedule)
    earlier = bool(earlier_run(out, str(args.world)).seconds)
    command = [str(cxlab), "report", "--data", str(args.world), "--out", str(out), "--force"]
    command += ["--engine", args.engine] if args.engine else []
    command += ["--memory-limit", args.memory_limit] if args.memory_limit else []
    command += ["--workers", str(args.workers)] if args.workers else []
    load_before = load_average()[0]
    started = time.perf_counter()
    with TreeSampler(descendants_only=True) as sampler:  # the report and its kernels, not this script
        finished = subprocess.run(command, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    if finished.returncode != 0:
        raise SystemExit(f"the report failed with exit code {finished.returncode}")
    executed = next(out.glob("*/executed"))
    provenance = json.loads((executed.parent / "provenance.json").read_text(encoding="utf-8"))
    pages, sections = section_seconds(executed)
    slowest = dict(sorted(sections.items(), key=lambda item: -item[1])[:8])
    figures = {"world": world_name(args.world),
               "command": " ".join(["cxlab report --data <world> --out <folder> --force", *command[7:]]),
               "start_order": "quickest by the earlier run" if earlier else "page order (no earlier run)",
               "load_1m_before": round(load_before, 2), "load_1m_after": round(load_average()[0], 2),
               "wall_seconds": round(wall, 1), "peak_rss_mb_all_processes": round(sampler.peak_mb),
               "peak_pss_mb_all_processes": round(sampler.peak_pss_mb),
               "peak_private_mb_all_processes": round(sampler.peak_private_mb),
               "at_the_pss_peak": {"running": running_at(executed, sampler.peak_pss_at),
                                   "processes": sorted(sampler.peak_pss_processes, key=lambda p: -p["pss_mb"])},
               "memory_budget_mb": provenance.get("memory_budget_mb"),
               "kernel_peak_mb": provenance.get("notebook_peak_mb"),
               "run_again_alone": provenance.get("run_again_alone"),
               "cell_seconds_per_page": pages, "slowest_sections": slowest,
               "section_seconds": sections}
    print(json.dumps(figures, indent=2))
    if args.save:
        args.save.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
