"""Where a report notebook spends its time: per-cell seconds and a profile of the slow cells.

Runs the code cells of report notebooks in one Python process, in order, with the notebook's
parameters (``data_dir`` set to a benchmark world), and times every cell. Cells slower than
``--threshold`` seconds are run under pyinstrument and their call tree is printed: cxlab's
frames and the library calls they make, where they take at least 3% of the cell.
``cxlab.io.load`` is replaced by a reader of the world's validated tables (written by the
benchmark's ``load_validate`` step, which times the real loading), so that the profiles show
the analyses rather than the validation.

Needs pyinstrument (``.venv/bin/pip install pyinstrument``; not a cxlab dependency).

Usage::

    .venv/bin/python benchmarks/run.py --sizes 1000000 --steps load_validate   # once
    .venv/bin/python benchmarks/profile_notebooks.py --size 1000000 [--notebooks 03,05] [--threshold 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import worlds  # noqa: E402

NOTEBOOKS_DIR = HERE.parent / "notebooks"


def _is_ours(frame) -> bool:
    """A frame of cxlab or of the notebook cell itself."""
    path = frame.file_path or ""
    return "cxlab" in Path(path).parts or (frame.file_path_short or "").endswith("]")


def _tree(frame, total: float, depth: int, lines: list[str], caller_is_ours: bool = False) -> None:
    """Print cxlab's frames and the library calls they make (not the libraries' insides)."""
    if frame.time < 0.03 * total:
        return
    ours = _is_ours(frame)
    if ours or caller_is_ours:
        where = f"{frame.file_path_short}:{frame.line_no}" if frame.file_path_short else ""
        lines.append(f"{'  ' * depth}{frame.time:8.2f} s  {frame.function}  {where}")
        depth += 1
    for child in sorted(frame.children, key=lambda c: -c.time):
        _tree(child, total, depth, lines, ours)


def _cached_load(validated: Path):
    """A stand-in for cxlab.io.load that reads the validated tables (same frames, no checks)."""

    def load(path, *, tables=None, **_):
        names = ["customers", *(tables or ["revenue", "surveys", "cases"])]
        return worlds.read_validated(validated, list(dict.fromkeys(names)))

    return load


def profile_notebook(path: Path, data_dir: Path, threshold: float, max_lines: int) -> list[tuple]:
    """Run a notebook's code cells here; return (cell index, seconds, first line) per code cell."""
    import nbformat
    from pyinstrument import Profiler

    book = nbformat.read(path, as_version=4)
    namespace = {"__name__": "__main__", "display": lambda *a, **k: None}
    headlines = Path(tempfile.mkdtemp()) / f"{path.stem}.headlines.json"
    timings = []
    for index, cell in enumerate(book.cells):
        if cell.cell_type != "code":
            continue
        source = cell.source
        if "parameters" in cell.metadata.get("tags", []):
            source += f"\ndata_dir = {str(data_dir)!r}\nheadlines_path = {str(headlines)!r}\n"
        source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        profiler = Profiler(interval=0.01)
        started = time.perf_counter()
        profiler.start()
        failure = None
        try:
            exec(compile(source, f"{path.stem}[{index}]", "exec"), namespace)  # noqa: S102 - the project's notebooks
        except Exception as err:  # report and go on with the next notebook
            failure = f"{type(err).__name__}: {err}"
        session = profiler.stop()
        seconds = time.perf_counter() - started
        first = next(
            (
                line
                for line in source.splitlines()
                if line.strip() and not line.startswith(("import ", "from ", "#"))
            ),
            "",
        )
        timings.append((index, seconds, first[:90]))
        print(f"  cell {index:3d}: {seconds:8.2f} s  {first[:90]}", flush=True)
        if seconds >= threshold:
            lines: list[str] = []
            root = session.root_frame()
            _tree(root, root.time, 0, lines)
            print("\n".join("        " + line for line in lines[:max_lines]), flush=True)
        if failure:
            print(f"  cell {index} failed ({failure}); the rest of {path.stem} is skipped", flush=True)
            break
    return timings


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1000000", help="world (customers, or demo)")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    parser.add_argument("--notebooks", default="", help="comma-separated name prefixes (default: all)")
    parser.add_argument("--threshold", type=float, default=5.0, help="profile cells slower than this (s)")
    parser.add_argument("--lines", type=int, default=40, help="lines of each printed call tree")
    args = parser.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.show = lambda *a, **k: plt.close("all")
    import cxlab.io

    data_dir = worlds.data_dir(args.size, args.cache)
    validated = worlds.work_dir(args.size, args.cache) / worlds.VALIDATED
    if not (validated / "meta.json").is_file():
        parser.error(f"{validated}: run `benchmarks/run.py --sizes {args.size} --steps load_validate` first")
    cxlab.io.load = _cached_load(validated)
    os.environ.setdefault("MPLCONFIGDIR", tempfile.mkdtemp())
    prefixes = [p for p in args.notebooks.split(",") if p]
    paths = [
        p
        for p in sorted(NOTEBOOKS_DIR.glob("0*_*.ipynb"))
        if not prefixes or any(p.name.startswith(x) for x in prefixes)
    ]
    cwd = os.getcwd()
    os.chdir(NOTEBOOKS_DIR)
    try:
        for path in paths:
            print(f"{path.stem}:", flush=True)
            timings = profile_notebook(path, data_dir, args.threshold, args.lines)
            plt.close("all")
            print(f"  total {sum(t[1] for t in timings):.1f} s", flush=True)
    finally:
        os.chdir(cwd)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
