"""Charts of the survival analyses: Kaplan-Meier curves, hazard-ratio forest plots and the tail
beyond the observed window.

Each function draws on ``ax`` (a new figure when omitted) and returns the Axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

from cxlab.palette import group_colours
from cxlab.survival.km import fitters_by_group
from cxlab.survival.parametric import MODEL_NAMES, ParametricSurvival, extrapolated_survival
from cxlab.survival.wording import term_label

__all__ = ["plot_extrapolation", "plot_hazard_ratios", "plot_km"]


def plot_km(km, *, ax=None, ci: bool = True, min_cell_size: int = 0, max_months: float | None = None,
            title: str = "Share of customers still active by tenure"):
    """Plot Kaplan-Meier curves with their confidence bands.

    Parameters
    ----------
    km : lifelines.KaplanMeierFitter or dict of them
        The result of :func:`km_by`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).
    ci : bool
        Draw the confidence bands.
    min_cell_size : int
        Groups with fewer customers are not drawn (the legend title says how many were left out).
    max_months : float, optional
        Right end of the tenure axis.
    title : str
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5))
    hidden = 0
    fitters = fitters_by_group(km)
    colours = group_colours(fitters)
    for group, kmf in fitters.items():
        n = int(round(kmf.event_table["entrance"].sum()))
        if n < min_cell_size:
            hidden += 1
            continue
        kmf.plot_survival_function(ax=ax, ci_show=ci, label=f"{group} (n = {n:,})", color=colours[group])
    ax.set_xlabel("Tenure (months)")
    ax.set_ylabel("Share of customers still active")
    ax.set_ylim(0, 1.02)
    if max_months is not None:
        ax.set_xlim(0, max_months)
    ax.set_title(title)
    legend_title = f"{hidden} group(s) under {min_cell_size} customers not shown" if hidden else None
    ax.legend(title=legend_title, loc="lower left")
    return ax


def plot_hazard_ratios(model, *, ax=None, title: str = "Churn hazard ratios"):
    """Forest plot of hazard ratios with their confidence intervals (log scale).

    Parameters
    ----------
    model : ChurnCox or TimeVaryingChurnCox
        A fitted model.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).
    title : str
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    table = model.hazard_ratios_.iloc[::-1]
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.4 * len(table) + 1.5))
    labels = [term_label(model.design_.terms[t], model.labels) for t in table.index]
    y = np.arange(len(table))
    ax.errorbar(table["hazard_ratio"], y, xerr=[table["hazard_ratio"] - table["ci_low"],
                                                table["ci_high"] - table["hazard_ratio"]],
                fmt="o", color="#1f4e79", ecolor="#7f9fbf", capsize=3)
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    low, high = ax.get_xlim()
    ticks = [t for t in (0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 10, 20) if low <= t <= high]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(y, labels)
    ax.set_xlabel(f"Hazard ratio vs reference (log scale, {model.level:.0%} CI); > 1 = churns faster")
    ax.set_title(title)
    return ax


def plot_extrapolation(fit: ParametricSurvival, horizon_months: int, *, ax=None,
                       title: str = "Survival beyond the observed window"):
    """Kaplan-Meier data with every fitted parametric curve, and the joined tail, up to a horizon.

    The parametric curves are drawn over the whole range (to compare them with the data); the
    curve used beyond the observed window (:func:`extrapolated_survival` with the best model)
    is drawn from the end of the window with its interval.

    Parameters
    ----------
    fit : ParametricSurvival
        A fitted model set.
    horizon_months : int
        Right end of the chart.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on (default: a new figure).
    title : str
        Chart title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 5))
    fit.km_.plot_survival_function(ax=ax, ci_show=True, color="black", label="Kaplan-Meier (data)")
    grid = np.linspace(0.01, horizon_months, 400)
    for name, fitter in fit.fitters_.items():
        style = "-" if name == fit.best_ else "--"
        delta = fit.table_.loc[name, "delta_aic"]
        label = f"{MODEL_NAMES[name]} ({'best, ' if name == fit.best_ else ''}ΔAIC {delta:.1f})"
        ax.plot(grid, fitter.survival_function_at_times(grid).to_numpy(), style, label=label)
    tau = fit.observed_through_months_
    if horizon_months > tau:
        tail = extrapolated_survival(fit, np.arange(tau, horizon_months + 1) if tau > 0
                                     else np.arange(1, horizon_months + 1))
        ax.plot(tail.index, tail["survival"], color="black", linewidth=2.2,
                label=f"used beyond month {tau} (data level x {MODEL_NAMES[fit.best_]} decline)")
        ax.fill_between(tail.index, tail["ci_low"], tail["ci_high"], color="grey", alpha=0.3, linewidth=0)
    ax.axvline(tau, color="grey", linestyle=":", linewidth=1.2)
    ax.text(tau, 0.98, f" observed through month {tau}", va="top", fontsize=9, color="grey")
    ax.set_xlim(0, horizon_months)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("Tenure (months)")
    ax.set_ylabel("Share of customers still active")
    ax.set_title(title)
    ax.legend(loc="lower left")
    return ax
