"""Charts of the touchpoint analyses: trends per touchpoint and the intervention's segmented fit."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from cxlab.palette import OKABE_ITO, TARGET_COLOUR, group_colours
from cxlab.touchpoints.answers import TREND_METRICS, _require, _touchpoint_order
from cxlab.touchpoints.intervention import InterventionEffect

__all__ = ["plot_intervention", "plot_trend", "plot_trend_panels"]


def plot_trend_panels(card: pd.DataFrame, *, metric: str = "csat", figure=None, target: float | None = None,
                      columns: int = 4):
    """Small multiples: one panel per touchpoint with its quarterly metric, interval band and target line.

    One chart per idea instead of every touchpoint's band on top of each other; all panels share
    the y axis so the touchpoints can be compared.

    Parameters
    ----------
    card : pandas.DataFrame
        Output of :func:`scorecard` (suppressed cells show as gaps).
    metric : {"csat", "ces", "nps"}
        What to plot.
    figure : matplotlib.figure.Figure, optional
        Figure to draw on (default: a new pyplot figure).
    target : float, optional
        Target of the metric, drawn as a dashed line in every panel.
    columns : int
        Panels per row.

    Returns
    -------
    list of matplotlib.axes.Axes
        One per touchpoint with data for the metric.
    """
    if metric not in TREND_METRICS:
        raise ValueError(f"metric must be one of {tuple(TREND_METRICS)}; got {metric!r}")
    _require(card, ["touchpoint", "quarter", metric, f"{metric}_ci_low", f"{metric}_ci_high"], "plot_trend_panels")
    data = card[card[metric].notna()].assign(quarter_start=lambda d: pd.PeriodIndex(d["quarter"], freq="Q").start_time)
    names = _touchpoint_order(data["touchpoint"])
    figure = figure if figure is not None else plt.figure(figsize=(12, 3 * max(1, -(-len(names) // columns))))
    if not names:
        return []
    rows = -(-len(names) // columns)
    axes = figure.subplots(rows, min(columns, len(names)), sharey=True, squeeze=False).ravel()
    ylabel, title = TREND_METRICS[metric]
    colour = OKABE_ITO[0]
    for ax, name in zip(axes, names, strict=False):
        rows_ = data[data["touchpoint"] == name].sort_values("quarter_start")
        ax.plot(rows_["quarter_start"], rows_[metric], marker="o", color=colour)
        ax.fill_between(rows_["quarter_start"], rows_[f"{metric}_ci_low"], rows_[f"{metric}_ci_high"], color=colour,
                        alpha=0.2, linewidth=0)
        if target is not None:
            ax.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1, label="target")
        ax.set_title(name)
        ticks = rows_.iloc[::2]
        ax.set_xticks(ticks["quarter_start"], ticks["quarter"], rotation=45, ha="right", fontsize=8)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    axes[0].set_ylabel(ylabel)
    level = card.attrs.get("level", 0.95)
    figure.suptitle(f"{title} (bands: {level * 100:g}% intervals)")
    return list(axes[: len(names)])


def plot_trend(card: pd.DataFrame, *, metric: str = "csat", touchpoints=None, ax=None):
    """Line chart of a scorecard metric over quarters with its interval as a band.

    Parameters
    ----------
    card : pandas.DataFrame
        Output of :func:`scorecard` (suppressed cells show as gaps; its ``attrs["level"]`` names
        the interval level in the title).
    metric : {"csat", "ces", "nps"}
        What to plot.
    touchpoints : list of str, optional
        Touchpoints to show; default all with data for the metric.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if metric not in TREND_METRICS:
        raise ValueError(f"metric must be one of {tuple(TREND_METRICS)}; got {metric!r}")
    _require(card, ["touchpoint", "quarter", metric, f"{metric}_ci_low", f"{metric}_ci_high"], "plot_trend")
    data = card[card[metric].notna()]
    if touchpoints is not None:
        data = data[data["touchpoint"].isin(touchpoints)]
    data = data.assign(quarter_start=pd.PeriodIndex(data["quarter"], freq="Q").start_time)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    ylabel, title = TREND_METRICS[metric]
    names = _touchpoint_order(data["touchpoint"])
    palette = group_colours(names)
    if len(data):
        sns.lineplot(data=data, x="quarter_start", y=metric, hue="touchpoint", hue_order=names, palette=palette,
                     marker="o", errorbar=None, ax=ax)
        for name, rows in data.groupby("touchpoint"):
            ax.fill_between(rows["quarter_start"], rows[f"{metric}_ci_low"], rows[f"{metric}_ci_high"],
                            color=palette[name], alpha=0.15, linewidth=0)
        ax.legend(title="Touchpoint", loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        ticks = data.drop_duplicates("quarter").sort_values("quarter_start")
        ax.set_xticks(ticks["quarter_start"])
        ax.set_xticklabels(ticks["quarter"], rotation=45, ha="right")
    level = card.attrs.get("level", 0.95)
    ax.set_title(f"{title} (bands: {level * 100:g}% intervals)" if len(data) else f"{title}: no data to show")
    ax.set_xlabel("Quarter the survey was sent")
    ax.set_ylabel(ylabel)
    return ax


def plot_intervention(effect: InterventionEffect, *, ax=None):
    """Monthly CSAT share around an intervention with intervals, the date and the segmented fit.

    Parameters
    ----------
    effect : InterventionEffect
        Output of :func:`intervention_effect`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    monthly = effect.monthly
    sns.scatterplot(data=monthly, x="start", y="share", size="n", sizes=(15, 120), color="tab:blue", ax=ax,
                    legend=False)
    ax.vlines(monthly["start"], monthly["ci_low"], monthly["ci_high"], color="tab:blue", alpha=0.35)
    for side in (monthly["month"] < 0, monthly["month"] >= 0):
        if monthly.loc[side, "fitted"].notna().any():
            ax.plot(monthly.loc[side, "start"], monthly.loc[side, "fitted"], color="tab:orange",
                    label="Segmented trend" if side.iloc[-1] else None)
    ax.axvline(effect.date, color="grey", linestyle="--", label=f"Intervention {effect.date.date()}")
    ax.set_title(f"{effect.touchpoint.replace('_', ' ').capitalize()}: monthly CSAT around the intervention "
                 f"(lines: {effect.level * 100:g}% intervals)")
    ax.set_xlabel("Month the survey was sent")
    ax.set_ylabel("Share satisfied (CSAT 4-5), %")
    ax.legend(frameon=False, loc="lower right")
    return ax
