"""Ratios between steps and the performance targets they are judged against.

Ratios use the fastest of a step's repeated runs (wall time) and, beside it, CPU time, which
other work on a shared machine disturbs less. A ratio is missing when one of its steps was
not run or failed.
"""

from __future__ import annotations

import math

DEMO = "demo"
LARGE = "1000000"
SMALL = "20000"
LIFELINES_COX = {"experience": ["auto", "single", "batch"], "attributes": ["auto", "batch"]}


def _index(records: list[dict]) -> dict:
    return {(r["size"], r["step"]): r for r in records if not r.get("error") and "wall_s" in r}


def _ratio(a: dict | None, b: dict | None, key: str = "wall_s") -> float:
    if a is None or b is None or not b.get(key):
        return math.nan
    return a[key] / b[key]


def ratios(records: list[dict]) -> dict:
    """Per size: Cox against lifelines, wrapper overheads and the cost of validation.

    Returns
    -------
    dict
        ``{size: {name: value}}``; for each Cox model (``experience``, ``attributes``):
        ``cox_<model>_speedup_vs_auto`` (lifelines' automatic settings / cxlab),
        ``cox_<model>_vs_best_lifelines`` (cxlab / the fastest lifelines configuration on one row
        per customer, named in ``cox_<model>_best_lifelines``) and ``cox_<model>_vs_collapsed``
        (cxlab / lifelines fitting the rows cxlab fits, merged censored rows, fit only: the cost of
        everything cxlab adds); ``km_vs_lifelines_raw`` and ``km_vs_lifelines_counts`` (cxlab
        ``km_by`` / lifelines on one row per customer, on the counts); ``validation_over_read``
        ((load - read) / read). Each also with ``_cpu`` from CPU times.
    """
    index = _index(records)
    sizes = list(dict.fromkeys(r["size"] for r in records))
    out = {}
    for size in sizes:
        got = {}
        for key, suffix in (("wall_s", ""), ("cpu_s", "_cpu")):
            for model, configs in LIFELINES_COX.items():
                cxlab = index.get((size, f"cox_{model}_cxlab"))
                runs = {c: index.get((size, f"cox_{model}_lifelines_{c}")) for c in configs}
                got[f"cox_{model}_speedup_vs_auto{suffix}"] = _ratio(runs["auto"], cxlab, key)
                timed = {c: r[key] for c, r in runs.items() if r is not None}
                if timed and cxlab is not None:
                    best = min(timed, key=timed.get)
                    got[f"cox_{model}_vs_best_lifelines{suffix}"] = cxlab[key] / timed[best]
                    got[f"cox_{model}_best_lifelines{suffix}"] = best
                collapsed = index.get((size, f"cox_{model}_lifelines_collapsed"))
                got[f"cox_{model}_vs_collapsed{suffix}"] = _ratio(cxlab, collapsed, key)
            km = index.get((size, "km_by_segment"))
            got[f"km_vs_lifelines_raw{suffix}"] = _ratio(km, index.get((size, "km_lifelines_raw")), key)
            got[f"km_vs_lifelines_counts{suffix}"] = _ratio(km, index.get((size, "km_lifelines_counts")), key)
            load, read = index.get((size, "load_validate")), index.get((size, "read_files"))
            got[f"validation_over_read{suffix}"] = _ratio(load, read, key) - 1
        for model in LIFELINES_COX:
            path = index.get((size, f"cox_{model}_lifelines_auto"), {}).get("facts", {}).get("path")
            if path:
                got[f"cox_{model}_auto_path"] = path
        out[size] = {
            k: (round(v, 4) if isinstance(v, float) else v)
            for k, v in got.items()
            if not (isinstance(v, float) and math.isnan(v))
        }
    return out


def _target(name: str, value, limit, met: bool | None, unit: str, detail: str = "") -> dict:
    return {
        "target": name,
        "value": value,
        "limit": limit,
        "unit": unit,
        "status": "not measured" if met is None else ("met" if met else "missed"),
        "detail": detail,
    }


def _check(value, limit, smaller_is_better: bool = True) -> bool | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value < limit if smaller_is_better else value >= limit


def _report_targets(
    records: list[dict], size: str, what: str, wall_limit: float | None, memory_limit: float | None
) -> list[dict]:
    """Wall and memory targets of the report; a failed run counts as missed once it was already over."""
    record = next((r for r in records if r["size"] == size and r["step"] == "report" and "wall_s" in r), None)
    found = []
    for key, limit, unit, label in (
        ("wall_s", wall_limit, "s", "wall"),
        ("peak_rss_mb", memory_limit, "MB", "peak RSS (all processes)"),
    ):
        if limit is None:
            continue
        value = record[key] if record else None
        met = _check(value, limit)
        detail = ""
        if record and record.get("error"):
            detail = f"the run failed after {record['wall_s']:.0f} s: {record['error']}"
            met = False if met is False else None  # already over the limit before the run ended
        found.append(_target(f"full report, {what}, {label}", value, limit, met, unit, detail))
    return found


def evaluate(records: list[dict], ratio_table: dict, total_wall_s: float) -> list[dict]:
    """Compare the measurements with the targets of the performance issue."""
    index = _index(records)
    scenario = index.get((SMALL, "lift_scenario"))
    large = ratio_table.get(LARGE, {})
    found = [
        *_report_targets(records, DEMO, "shipped demo (20k customers)", 60, None),
        *_report_targets(records, LARGE, "1M customers", 300, 6144),
    ]
    for model in LIFELINES_COX:
        speedup = large.get(f"cox_{model}_speedup_vs_auto")
        found.append(
            _target(
                f"Cox ({model}) on 1M: lifelines automatic / cxlab",
                speedup,
                10,
                _check(speedup, 10, smaller_is_better=False),
                "x",
                f"lifelines chose its {large.get(f'cox_{model}_auto_path', '?')} path",
            )
        )
        versus = large.get(f"cox_{model}_vs_best_lifelines")
        found.append(
            _target(
                f"Cox ({model}) on 1M: cxlab / best lifelines configuration",
                versus,
                1.2,
                _check(versus, 1.2 + 1e-12),
                "x",
                f"best: {large.get(f'cox_{model}_best_lifelines', '?')}",
            )
        )
    for size, table in ratio_table.items():
        for name, what in (
            ("km_vs_lifelines_raw", "Kaplan-Meier: cxlab / lifelines on customer rows"),
            ("cox_experience_vs_best_lifelines", "Cox (experience): cxlab / best lifelines configuration"),
            ("cox_attributes_vs_best_lifelines", "Cox (attributes): cxlab / best lifelines configuration"),
        ):
            if name in table:
                found.append(
                    _target(
                        f"wrapper overhead, {what} ({size})",
                        table[name],
                        1.10,
                        _check(table[name], 1.10),
                        "x",
                    )
                )
    found.append(
        _target(
            "retention-lift scenario, 500 replicates, 20k customers, wall",
            scenario and scenario["wall_s"],
            30,
            _check(scenario and scenario["wall_s"], 30),
            "s",
        )
    )
    for size, table in ratio_table.items():
        if "validation_over_read" in table:
            found.append(
                _target(
                    f"validation / read ({size})",
                    table["validation_over_read"],
                    2,
                    _check(table["validation_over_read"], 2),
                    "x",
                )
            )
    parquet = [r for r in records if r["step"] == "load_validate" and r["size"] != DEMO]
    loaded = len([r for r in parquet if not r.get("error")])
    found.append(
        _target(
            "Parquet input (worlds are Parquet files)",
            loaded,
            len(parquet),
            (loaded == len(parquet)) if parquet else None,
            "worlds loaded",
        )
    )
    found.append(_target("whole benchmark run, wall", total_wall_s, 1200, _check(total_wall_s, 1200), "s"))
    return found


def format_ratios(ratio_table: dict) -> str:
    lines = [
        "Ratios (wall time of the fastest run; _cpu = CPU time). *_vs_collapsed and",
        "km_vs_lifelines_counts compare with lifelines fitting rows cxlab has already aggregated (the",
        "aggregation itself is not timed there): they bound what the wrapper adds, they are not targets.",
    ]
    for size, table in ratio_table.items():
        lines.append(f"  {size}:")
        lines.extend(
            f"    {k:42s} {v:.3f}" if isinstance(v, float) else f"    {k:42s} {v}" for k, v in table.items()
        )
    return "\n".join(lines)


def format_targets(found: list[dict]) -> str:
    lines = ["Targets"]
    for t in found:
        value = t["value"]
        shown = f"{value:,.3f}" if isinstance(value, float) else str(value)
        lines.append(
            f"  [{t['status']:12s}] {t['target']}: {shown} {t['unit']} (limit {t['limit']}) {t['detail']}"
        )
    return "\n".join(lines)
