"""Compare the headline figures of two report runs: every value, interval, n and series point.

A change that only renames or moves code must leave every number of the demo report identical::

    cxlab report --data data/demo --out /tmp/before --force     # on the old commit
    cxlab report --data data/demo --out /tmp/after --force      # on the new one
    python benchmarks/compare_headlines.py /tmp/before/2026Q3 /tmp/after/2026Q3

Exit code 0 when every figure is identical, 1 otherwise (each difference is printed).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path


def _flatten(value, prefix: str = ""):
    """Yield ``(path, leaf)`` for every number, text or empty value of a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{index}]")
    else:
        yield prefix, value


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def compare(before: Path, after: Path) -> tuple[int, list[str]]:
    """Compare the ``executed/*.headlines.json`` files of two report quarters.

    Parameters
    ----------
    before, after : pathlib.Path
        The quarters' report folders (``reports/2026Q3``).

    Returns
    -------
    tuple of (int, list of str)
        The number of values compared and one line per difference (a missing file or key counts).
    """
    compared, differences = 0, []
    files = sorted({p.name for p in (before / "executed").glob("*.headlines.json")}
                   | {p.name for p in (after / "executed").glob("*.headlines.json")})
    for name in files:
        old_path, new_path = before / "executed" / name, after / "executed" / name
        if not (old_path.exists() and new_path.exists()):
            differences.append(f"{name}: only in {'before' if old_path.exists() else 'after'}")
            continue
        old = dict(_flatten(json.loads(old_path.read_text(encoding="utf-8"))))
        new = dict(_flatten(json.loads(new_path.read_text(encoding="utf-8"))))
        for key in sorted(old.keys() | new.keys()):
            compared += 1
            if key not in old or key not in new:
                differences.append(f"{name} {key}: only in {'before' if key in old else 'after'}")
            elif not _same(old[key], new[key]):
                differences.append(f"{name} {key}: {old[key]!r} -> {new[key]!r}")
    return compared, differences


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    compared, differences = compare(args.before, args.after)
    for line in differences:
        print(line)
    print(f"{compared} values compared, {len(differences)} differ")
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
