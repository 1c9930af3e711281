"""Charts of the economics analyses: survival curves with their intervals, the lift by year, the tornado of
assumptions, the claim map, and money axes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from cxlab.economics.curves import SurvivalDraws
from cxlab.economics.scenario import LiftScenario
from cxlab.economics.sensitivity import CLAIM_HIGH_PCT, CLAIM_LOW_PCT, OUTCOMES

__all__ = ["money_axis", "plot_claim_map", "plot_lift_by_year", "plot_survival", "plot_tornado"]


def _setting(name: str, value: float) -> str:
    if name in ("gross_margin_share", "annual_discount_rate", "retention_lift"):
        return f"{100 * value:.1f}%"
    if name == "horizon_months":
        return f"{value:.0f} mo"
    return f"{value:,.0f}"


def money_axis(ax, *, axis: str = "y", currency: str = "EUR", label: str = "") -> None:
    """Label a money axis in readable units (thousands or millions) instead of scientific notation.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    axis : {"x", "y"}
    currency : str
    label : str
        What the axis shows; the unit is appended, e.g. ``"Extra profit (EUR million)"``.
    """
    low, high = ax.get_xlim() if axis == "x" else ax.get_ylim()
    size = max(abs(low), abs(high))
    scale, word = (1e6, " million") if size >= 2e6 else (1e3, " thousand") if size >= 2e3 else (1.0, "")
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_formatter(FuncFormatter(lambda x, _: f"{x / scale:,.{1 if scale > 1 else 0}f}"))
    text = f"{label} ({currency}{word})" if label else f"{currency}{word}"
    (ax.set_xlabel if axis == "x" else ax.set_ylabel)(text)


def plot_tornado(table: pd.DataFrame, *, outcome: str = "incremental_discounted_profit", currency: str = "EUR",
                 ax=None):
    """Tornado chart: how far each assumption's low and high setting moves an outcome.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`sensitivity_table`.
    outcome : str
        One of :data:`OUTCOMES`.
    currency : str
        Currency label of money outcomes.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {list(OUTCOMES)}; got {outcome!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.7 * len(table) + 1.5))
    centre = table.attrs["base"][outcome]
    low, high = table[f"{outcome}_low"], table[f"{outcome}_high"]
    order = (high - low).abs().sort_values().index
    palette = sns.color_palette("deep")
    spread = max(float((high - low).abs().max()), 1e-12)
    for y, name in enumerate(order):
        settings = f"{_setting(name, table.loc[name, 'low_value'])} / {_setting(name, table.loc[name, 'high_value'])}"
        if abs(high[name] - centre) < 1e-9 * spread and abs(low[name] - centre) < 1e-9 * spread:
            ax.text(centre, y, f"  no effect ({settings})", va="center", fontsize=8)
            continue
        for value, setting, colour in ((low[name], "low_value", palette[0]), (high[name], "high_value", palette[1])):
            ax.barh(y, value - centre, left=centre, color=colour, height=0.6)
            ax.text(value, y, f" {_setting(name, table.loc[name, setting])} ", va="center", fontsize=8,
                    ha="left" if value >= centre else "right")
    ax.axvline(centre, color="black", linewidth=1)
    ax.set_yticks(range(len(order)), [table.loc[name, "label"] for name in order])
    ax.margins(x=0.25)
    if outcome.endswith("_pct"):
        ax.set_xlabel(OUTCOMES[outcome])
    else:
        money_axis(ax, axis="x", currency=currency, label=OUTCOMES[outcome])
    ax.set_title(f"What moves the answer: {OUTCOMES[outcome].lower()}")
    ax.legend(handles=[Patch(color=palette[0], label="low setting"), Patch(color=palette[1], label="high setting")],
              loc="lower right", fontsize=8)
    return ax


def plot_claim_map(table: pd.DataFrame, *, ax=None):
    """Heatmap of :func:`claim_map`: where a retention lift raises profit by 25-95%.

    Cells are coloured below / within / above the folklore's 25-95% band and annotated with
    the percentage; grey cells have a loss-making baseline. A star marks the company today.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`claim_map`.
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 6))
    palette = sns.color_palette("RdYlGn", 7)
    above = sns.color_palette("deep")[0]
    cmap = ListedColormap([palette[1], palette[5], above]).with_extremes(bad="lightgrey")
    norm = BoundaryNorm([-1e12, CLAIM_LOW_PCT, CLAIM_HIGH_PCT, 1e12], cmap.N)
    shown = table.sort_index(ascending=False)
    sns.heatmap(shown, ax=ax, cmap=cmap, norm=norm, cbar=False, annot=True, fmt=".0f", linewidths=0.5,
                linecolor="white", annot_kws={"fontsize": 8})
    ax.set_xticklabels([f"{100 * m:.0f}%" for m in shown.columns])
    ax.set_yticklabels([f"{100 * r:.0f}%" for r in shown.index], rotation=0)
    ax.set_xlabel("Gross margin share of revenue")
    ax.set_ylabel("Baseline annual retention of the active base")
    ax.set_title("Discounted profit increase (%) from the retention lift\n"
                 "(folklore: +25% to +95%; grey = baseline not profitable)")
    current_r = table.attrs.get("current_annual_retention")
    current_m = table.attrs.get("current_gross_margin_share")
    if current_r is not None and current_m is not None:
        x = np.interp(current_m, shown.columns.to_numpy(dtype=float), np.arange(len(shown.columns))) + 0.5
        y = np.interp(current_r, shown.index.to_numpy(dtype=float)[::-1], np.arange(len(shown.index))[::-1]) + 0.5
        ax.plot(x, y, marker="*", markersize=18, color="black", markeredgecolor="white", linestyle="none")
    ax.legend(handles=[Patch(color=palette[1], label="below 25%"),
                       Patch(color=palette[5], label="25-95% (claim holds)"),
                       Patch(color=above, label="above 95%"),
                       plt.Line2D([], [], marker="*", color="black", linestyle="none", markersize=12,
                                  label="this company today")],
              loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return ax


def plot_lift_by_year(result: LiftScenario, *, currency: str = "EUR", ax=None):
    """Bar chart of the extra discounted profit in each year of the horizon, with 95% intervals.

    Parameters
    ----------
    result : LiftScenario
    currency : str
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    yearly = result.by_year
    value = yearly["incremental_discounted_profit"]
    errors = [value - yearly["incremental_discounted_profit_ci_low"],
              yearly["incremental_discounted_profit_ci_high"] - value]
    ax.bar(yearly.index, value, color=sns.color_palette("deep")[2], yerr=np.nan_to_num(errors), capsize=4)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks(yearly.index)
    ax.set_xlabel("Year of the horizon")
    money_axis(ax, axis="y", currency=currency, label="Extra discounted profit")
    lift = result.parameters["retention_lift"]
    words = (f"a {100 * lift:g}% cut in monthly churn" if result.parameters["lift_kind"] == "relative"
             else f"{100 * lift:g} points more annual retention")
    ax.set_title(f"What {words} adds each year (bars: 95% interval)")
    return ax


def plot_survival(curve: SurvivalDraws, *, max_months: int | None = None, level: float = 0.95, ax=None,
                  title: str = "Share of customers still active, observed and extrapolated"):
    """The survival curve used for valuation: Kaplan-Meier in the window, the tail beyond, with intervals.

    Parameters
    ----------
    curve : SurvivalDraws
        The curve and its replicates.
    max_months : int, optional
        Right end of the chart (default: the window plus five years, within the curve).
    level : float
        Level of the shaded bootstrap interval.
    ax : matplotlib.axes.Axes, optional
    title : str

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5))
    last = min(curve.window_months + 60 if max_months is None else max_months, curve.horizon_months)
    summary = curve.survival_table(level).loc[:last]
    observed = summary.index <= curve.window_months
    colour = sns.color_palette("deep")[0]
    for part, style, label in ((observed, "-", "Kaplan-Meier (data)"),
                               (summary.index >= curve.window_months, "--", f"tail: {curve.tail}")):
        shown = summary[part]
        ax.plot(shown.index, shown["survival"], style, color=colour, label=label)
        ax.fill_between(shown.index, shown["ci_low"], shown["ci_high"], color=colour, alpha=0.2, linewidth=0)
    ax.axvline(curve.window_months, color="grey", linestyle=":", linewidth=1.2)
    ax.text(curve.window_months, 0.98, f" observed through month {curve.window_months}", va="top", fontsize=9,
            color="grey")
    ax.set_xlim(0, last)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Tenure (months)")
    ax.set_ylabel("Share of customers still active")
    ax.set_title(title)
    ax.legend(title=f"shaded: {100 * level:.0f}% bootstrap interval", fontsize=9, title_fontsize=9)
    return ax
