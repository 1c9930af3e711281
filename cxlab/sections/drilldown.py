"""Sections of the drill-down page: the quarter's figures per group of one customer attribute.

Every section reads the one :class:`cxlab.drilldown.DrillDown` of the run (computed once per
attribute): the scorecard, the closed loop and retention per group, then the groups that differ
from the other customers beyond chance. Researchers get the same tables without a page::

    from cxlab.sections import drilldown, open_report
    report = open_report("drill_down", data_dir="data/demo")
    report.show(drilldown.differences, by="region")
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab.drilldown import ADJUSTMENT, ALL_CUSTOMERS, FIGURE_BY_KEY, DrillDown, drill_down
from cxlab.headlines import spec
from cxlab.palette import OKABE_ITO
from cxlab.sections.formatting import count, interval, number
from cxlab.sections.result import Chart, SectionResult, Table, new_figure
from cxlab.survival.wording import format_p

__all__ = ["FLAGGED_COLOUR", "SHOWN_COLOUR", "attribute_label", "closed_loop", "differences", "overview", "retention",
           "scorecard"]

FLAGGED_COLOUR = "#D55E00"  # a group that differs beyond chance
SHOWN_COLOUR = OKABE_ITO[0]


def attribute_label(by: str) -> str:
    """The attribute in words for headings and sentences (``"acquisition_channel"`` -> ``"acquisition channel"``)."""
    return by.replace("_", " ")


def _drill(report, by: str, method: str, months: int, followup_window_days: int) -> DrillDown:
    """The run's drill-down by ``by`` (computed once, shared by every section of the page)."""
    return report.cached(("drill_down", by, method, months, followup_window_days), lambda: drill_down(
        report.data, by, quarter=report.quarter, as_of=report.as_of, min_cell_size=report.min_cell_size,
        method=method, months=months, followup_window_days=followup_window_days))


def _figure_label(key: str, months: int) -> str:
    return FIGURE_BY_KEY[key].label.format(months=months)


def _unit(key: str) -> str:
    return "%" if FIGURE_BY_KEY[key].unit == "%" else ""


def _difference_unit(key: str) -> str:
    return "percentage points" if FIGURE_BY_KEY[key].unit == "%" else FIGURE_BY_KEY[key].unit


def overview(report, *, by: str, method: str = "adjusted_wald", months: int = 12,
             followup_window_days: int = 7) -> SectionResult:
    """The attribute, its groups and their sizes, and which groups are too small to show."""
    drill = _drill(report, by, method, months, followup_window_days)
    groups = drill.groups
    hidden = groups.loc[groups["suppressed"], "group"].tolist()
    label = attribute_label(by)
    table = Table(pd.DataFrame({
        label.capitalize(): groups["group"],
        "Customers acquired by the as-of date": [count(n) if not small else None
                                                 for n, small in zip(groups["customers"], groups["suppressed"],
                                                                     strict=True)],
    }), f"A dash: fewer than {report.min_cell_size} customers, not shown on this page")
    answer = (f"The figures of {report.quarter} for each {label} ({len(groups)} groups), as of the end of "
              f"{report.as_of:%d %B %Y}, each next to all customers.")
    if hidden:
        answer += (f" {len(hidden)} {'group has' if len(hidden) == 1 else 'groups have'} fewer than "
                   f"{report.min_cell_size} customers and {'is' if len(hidden) == 1 else 'are'} not shown.")
    return SectionResult("overview", f"By {label}", answer=answer, tables=[table])


def _figure_columns(drill: DrillDown, keys, months: int) -> pd.DataFrame:
    """One row per group (all customers first): value and interval of each figure, a dash where suppressed."""
    figures = drill.figures[drill.figures["figure"].isin(keys)]
    order = [ALL_CUSTOMERS, *drill.groups["group"]]
    columns = {attribute_label(drill.by).capitalize(): order}
    for key in keys:
        rows = figures[figures["figure"] == key].set_index("group").reindex(order)
        if rows["n"].isna().all():
            continue
        figure, unit = FIGURE_BY_KEY[key], _unit(key)
        short = figure.short.format(months=months)
        columns[short] = [number(v, figure.decimals, unit) for v in rows["value"]]
        columns[f"{short}, 95% interval"] = [interval(lo, hi, figure.decimals, unit)
                                            for lo, hi in zip(rows["ci_low"], rows["ci_high"], strict=True)]
        columns[f"{short}: {figure.counts}"] = [None if small else count(n)
                                               for n, small in zip(rows["n"], rows["suppressed"], strict=True)]
    return pd.DataFrame(columns)


def _chart(drill: DrillDown, keys, months: int) -> Chart | None:
    """Small multiples: each figure's value per group with its interval, the line of all customers, flags marked."""
    figures = drill.figures[drill.figures["figure"].isin(keys)]
    keys = [k for k in keys if figures.loc[figures["figure"] == k, "value"].notna().any()]
    if not keys:
        return None
    groups = drill.groups["group"].tolist()
    flagged = set(zip(drill.flagged["figure"], drill.flagged["group"], strict=True))
    figure = new_figure(4.0 * len(keys), 0.45 * len(groups) + 1.6)
    axes = np.atleast_1d(figure.subplots(1, len(keys), sharey=True))
    for ax, key in zip(axes, keys, strict=True):
        rows = figures[figures["figure"] == key].set_index("group")
        overall = rows.loc[ALL_CUSTOMERS, "value"] if ALL_CUSTOMERS in rows.index else np.nan
        if np.isfinite(overall):
            ax.axvline(overall, color="#777777", linestyle="--", linewidth=1)
        for position, group in enumerate(groups):
            if group not in rows.index or not np.isfinite(rows.loc[group, "value"]):
                continue
            row = rows.loc[group]
            colour = FLAGGED_COLOUR if (key, group) in flagged else SHOWN_COLOUR
            ax.errorbar(row["value"], position, xerr=[[row["value"] - row["ci_low"]], [row["ci_high"] - row["value"]]],
                        fmt="o", color=colour, capsize=3)
        ax.set_title(_figure_label(key, months), fontsize=9, wrap=True)
        ax.set_xlabel({"%": "%", "points": "NPS points"}.get(FIGURE_BY_KEY[key].unit, FIGURE_BY_KEY[key].unit),
                      fontsize=8)
        ax.set_yticks(range(len(groups)), groups)
        ax.grid(axis="x", alpha=0.3)
    axes[0].invert_yaxis()  # the first group on top (the axes share it)
    names = ", ".join(_figure_label(k, months) for k in keys)
    marked = [f"{group} ({_figure_label(key, months)})" for key, group in sorted(flagged) if key in keys]
    alt = (f"{names} for each {attribute_label(drill.by)} in {drill.quarter} with 95% intervals, beside a dashed line "
           f"for all customers; "
           + (f"differing beyond chance, in vermillion: {'; '.join(marked)}." if marked else
              "no group differs from the other customers beyond chance."))
    return Chart(figure, alt)


def _figures_section(report, key: str, title: str, keys, what: str, needs: str, *, by: str, method: str,
                     months: int, followup_window_days: int) -> SectionResult:
    drill = _drill(report, by, method, months, followup_window_days)
    if not report.availability.allows(*needs.split()):
        return SectionResult(key, title, unavailable=report.availability.why_not(*needs.split()))
    table = _figure_columns(drill, keys, months)
    names = "; ".join(f"{FIGURE_BY_KEY[k].short.format(months=months)}: {_figure_label(k, months)}"
                      for k in keys if FIGURE_BY_KEY[k].short.format(months=months) in table.columns)
    result = SectionResult(key, title, tables=[Table(table, f"{report.quarter}. {names}. A dash: a group below the "
                                                            f"minimum size of {report.min_cell_size} ({what}), not "
                                                            "shown.")])
    chart = _chart(drill, keys, months)
    if chart is not None:
        result.charts.append(chart)
    flagged = drill.flagged[drill.flagged["figure"].isin(keys)]
    label = attribute_label(by)
    result.answer = (f"No {label} differs from the other customers beyond chance on these figures."
                     if flagged.empty else
                     f"Differing from the other customers beyond chance: {_flag_sentence(flagged, months)}.")
    return result


def scorecard(report, *, by: str, method: str = "adjusted_wald", months: int = 12,
             followup_window_days: int = 7) -> SectionResult:
    """Relationship NPS, CSAT and CES of the quarter per group."""
    return _figures_section(report, "scorecard", "Scorecard", ("nps", "csat", "ces"), "answers", "surveys", by=by,
                            method=method, months=months, followup_window_days=followup_window_days)


def closed_loop(report, *, by: str, method: str = "adjusted_wald", months: int = 12,
             followup_window_days: int = 7) -> SectionResult:
    """Detractor follow-up coverage and the share of follow-ups answered within the SLA per group."""
    return _figures_section(report, "loop", "Closed loop on detractors", ("followup_coverage", "sla_share"),
                            "detractor answers or follow-up cases", "relationship_nps cases", by=by, method=method,
                            months=months, followup_window_days=followup_window_days)


def retention(report, *, by: str, method: str = "adjusted_wald", months: int = 12,
             followup_window_days: int = 7) -> SectionResult:
    """The Kaplan-Meier share of customers still active after ``months`` months per group."""
    return _figures_section(report, "retention", "Retention", ("retention",), "customers", "tenure", by=by,
                            method=method, months=months, followup_window_days=followup_window_days)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _flag_sentence(flagged: pd.DataFrame, months: int) -> str:
    """"NPS of Latin America -9.3 points (Holm-adjusted p = 0.002); ..." for the flagged rows."""
    parts = []
    for row in flagged.itertuples():
        figure = FIGURE_BY_KEY[row.figure]
        parts.append(f"{_figure_label(row.figure, months)} of {row.group} "
                     f"{number(row.difference, figure.decimals, '')} {_difference_unit(row.figure)} "
                     f"({ADJUSTMENT}-adjusted {format_p(row.p_adjusted)})")
    return "; ".join(parts)


def differences(report, *, by: str, method: str = "adjusted_wald", months: int = 12,
             followup_window_days: int = 7) -> SectionResult:
    """Each group against all other customers on every figure, flagged after Holm's adjustment."""
    drill = _drill(report, by, method, months, followup_window_days)
    label = attribute_label(by)
    tested = drill.differences
    groups_tested = tested["group"].nunique()
    figures_tested = tested["figure"].nunique()
    family = (f"{_plural(len(tested), 'comparison')} ({_plural(groups_tested, 'group')} x "
              f"{_plural(figures_tested, 'figure')}), {ADJUSTMENT}-adjusted so that the chance of flagging any group "
              "falsely stays below 5%")
    flagged = drill.flagged
    headline = spec("drill_differences").headline(
        len(flagged), n=len(tested), attribute=label, quarter=report.quarter,
        note=(f"{_flag_sentence(flagged, months)}; {family}" if len(flagged) else
              f"no {label} differs beyond chance; {family}"))
    title = "Which groups differ from the other customers"
    if tested.empty:
        return SectionResult("differences", title, headlines=[headline],
                             answer=f"No {label} is large enough to be compared with the other customers.")
    ordered = tested.assign(_order=tested["figure"].map({k: i for i, k in enumerate(FIGURE_BY_KEY)}))
    ordered = ordered.sort_values(["_order", "group"])
    table = pd.DataFrame({
        "Figure": [_figure_label(k, months) for k in ordered["figure"]],
        label.capitalize(): ordered["group"],
        "Difference vs all other customers": [f"{number(d, FIGURE_BY_KEY[k].decimals)} {_difference_unit(k)}"
                                              for k, d in zip(ordered["figure"], ordered["difference"], strict=True)],
        "95% interval": [interval(lo, hi, FIGURE_BY_KEY[k].decimals)
                         for k, lo, hi in zip(ordered["figure"], ordered["ci_low"], ordered["ci_high"], strict=True)],
        "p-value": [format_p(p) for p in ordered["p_value"]],
        f"{ADJUSTMENT}-adjusted p-value": [format_p(p) for p in ordered["p_adjusted"]],
        "Beyond chance": ["yes" if s else "no" for s in ordered["significant"]],
    })
    result = SectionResult("differences", title, headlines=[headline], tables=[Table(
        table, f"{report.quarter}: each {label} minus all other customers; groups below the minimum size are not "
               f"compared. {family[0].upper()}{family[1:]}.")])
    result.answer = (f"No {label} differs from the other customers beyond chance ({family})." if flagged.empty else
                     f"{len(flagged)} of {len(tested)} comparisons differ beyond chance: "
                     f"{_flag_sentence(flagged, months)}.")
    result.notes.append("Differences are the group minus all other customers. NPS, CSAT and CES intervals count each "
                        "customer's answers together (clustered by customer); coverage uses Newcombe's interval and a "
                        "score test; the shares within the SLA and still active are Kaplan-Meier estimates compared "
                        "with Greenwood standard errors. The unadjusted interval of a flagged difference may be "
                        "narrower than the evidence after the adjustment; the adjusted p-value decides the flag.")
    return result
