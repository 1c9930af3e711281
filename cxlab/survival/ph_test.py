"""Grambsch-Therneau test of proportional hazards from per-tenure sums.

The test regresses each covariate's scaled Schoenfeld residual on a transform of the churn
time. lifelines' ``proportional_hazard_test`` computes the residuals one row at a time in a
Python loop that also grows an array row by row, which takes minutes on a million customers.
Here the risk-set sums behind every residual are accumulated once per distinct tenure, as in a
``batch_mode`` Cox fit: the residual of a churner is ``x_i - m(t_i)`` with ``m`` the Efron-tied
weighted covariate mean of the risk set at the churn time, shared by all churners at that time.
The statistic is lifelines' (scaled residuals ``n_events * r @ V``, 1 degree of freedom each),
with ``n_events`` the number of churned customers: a churned row of an aggregated frame that
stands for ``w`` customers is expanded to ``w`` rows first.

The ``"rank"`` transform gives tied churn times their average rank (as R's ``cox.zph`` does);
lifelines numbers tied churners in their row order instead, so the two differ slightly when
churn times are tied. The other transforms (``"identity"``, ``"log"``, ``"km"``) equal
lifelines' exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["TRANSFORMS", "expand_event_rows", "schoenfeld_test"]

TRANSFORMS = ("rank", "identity", "log", "km")


def expand_event_rows(data: pd.DataFrame, *, event_col: str, weights_col: str, name: str | None = None) -> pd.DataFrame:
    """One row per churned customer: event rows with a whole frequency weight ``w > 1`` repeated ``w`` times.

    lifelines (like R's ``coxph``) applies Efron's tie correction per *row*, so an event row
    standing for ``w`` tied churners gives a different estimate than ``w`` rows of one churner
    (the Breslow correction would not care). Repeating such rows restores the fit on one row per
    customer exactly; a fractional weight on an event row has no such reading and is rejected.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows to fit; not modified.
    event_col, weights_col : str
        0/1 event column and frequency-weight column.
    name : str, optional
        Name of the weight column in the caller's frame, for the error message.

    Returns
    -------
    pandas.DataFrame
        ``data`` with every event row of weight ``w`` replaced by ``w`` rows of weight 1
        (censored rows unchanged), with a fresh RangeIndex; ``data`` itself when no event row
        has a weight other than 1.

    Examples
    --------
    >>> f = pd.DataFrame({"t": [3, 5], "e": [1, 0], "w": [2.0, 4.0]})
    >>> expand_event_rows(f, event_col="e", weights_col="w")["w"].tolist()
    [1.0, 1.0, 4.0]
    """
    weights = data[weights_col].to_numpy(dtype=float)
    event = data[event_col].to_numpy() == 1
    if np.all(weights[event] == 1.0):
        return data
    whole = np.rint(weights)
    fractional = event & (np.abs(weights - whole) > 1e-9)
    if fractional.any():
        raise ValueError(
            f"'{name or weights_col}' must be a whole number of customers on churned rows ({int(fractional.sum())} "
            "churned row(s) have a fractional weight): Efron's tie correction counts churners one row at a time, "
            "so a fractional weight on a churned row has no exact meaning. Pass one row per customer or whole "
            "frequency weights."
        )
    repeats = np.where(event, whole, 1).astype(np.int64)
    expanded = data.iloc[np.repeat(np.arange(len(data)), repeats)].reset_index(drop=True)
    expanded.loc[expanded[event_col].to_numpy() == 1, weights_col] = 1.0
    return expanded


def _churner_means(x, times, events, scores, entries) -> tuple[np.ndarray, np.ndarray]:
    """Churner rows of one stratum and the Efron-tied risk-set mean of ``x`` at each one's churn time."""
    event_times = np.unique(times[events])
    weighted = np.column_stack([scores, scores[:, None] * x])  # sums of these give S0 and S1
    # sums over rows that are still at risk at t: stop >= t, minus those entering at or after t
    order = np.argsort(times, kind="stable")
    from_end = np.cumsum(weighted[order][::-1], axis=0)[::-1]
    at_risk = from_end[np.searchsorted(times[order], event_times, side="left")]
    if entries is not None:
        entry_order = np.argsort(entries, kind="stable")
        entered_late = np.cumsum(weighted[entry_order][::-1], axis=0)[::-1]
        padded = np.vstack([entered_late, np.zeros((1, weighted.shape[1]))])
        at_risk = at_risk - padded[np.searchsorted(entries[entry_order], event_times, side="left")]
    dead = np.flatnonzero(events)
    k = np.searchsorted(event_times, times[dead])
    tie_count = np.bincount(k, minlength=event_times.size)
    tied = np.zeros((event_times.size, weighted.shape[1]))
    np.add.at(tied, k, weighted[dead])
    # Efron: the l-th of d tied churners sees the risk set minus l/d of the tied churners' sums
    step_time = np.repeat(np.arange(event_times.size), tie_count)
    step = np.arange(step_time.size) - np.repeat(np.cumsum(tie_count) - tie_count, tie_count)
    share = (step / tie_count[step_time])[:, None]
    remaining = at_risk[step_time] - share * tied[step_time]
    ratios = remaining[:, 1:] / remaining[:, :1]
    means = np.vstack([np.bincount(step_time, weights=col, minlength=event_times.size) for col in ratios.T]).T
    return dead, (means / tie_count[:, None])[k]


def _transform(name: str, event_time: np.ndarray, times, events, weights) -> np.ndarray:
    if name == "rank":
        return stats.rankdata(event_time, method="average")
    if name == "identity":
        return event_time.astype(float)
    if name == "log":
        return np.log(event_time.astype(float))
    from lifelines import KaplanMeierFitter

    km = KaplanMeierFitter().fit(times, events, weights=weights).survival_function_.iloc[:, 0]
    return 1 - km.loc[event_time].to_numpy()


def schoenfeld_test(data: pd.DataFrame, *, params: pd.Series, variance: pd.DataFrame, duration_col: str,
                    event_col: str, weights_col: str, entry_col: str | None = None, strata=(),
                    time_transform: str = "rank") -> pd.DataFrame:
    """Proportional-hazards test per covariate of a fitted Cox model.

    Parameters
    ----------
    data : pandas.DataFrame
        The rows the model was fitted on: the covariates named in ``params``, durations,
        events, weights and any strata and entry columns. Churned rows with a whole frequency
        weight ``w > 1`` count as ``w`` churners (:func:`expand_event_rows`), so the residuals
        and the statistic count customers, not rows.
    params : pandas.Series
        Fitted coefficients (log hazard ratios), indexed by covariate column.
    variance : pandas.DataFrame
        Their variance matrix.
    duration_col, event_col, weights_col : str
        Columns of ``data``.
    entry_col : str, optional
        Late-entry times (a row is at risk for ``entry < t <= duration``).
    strata : sequence of str
        Columns whose levels have their own baseline hazard (residuals are taken within them).
    time_transform : str
        ``"rank"``, ``"identity"``, ``"log"`` or ``"km"`` (1 - Kaplan-Meier survival).

    Returns
    -------
    pandas.DataFrame
        Indexed by covariate: ``test_statistic`` (chi-squared, 1 df) and ``p``.

    Examples
    --------
    >>> from lifelines import CoxPHFitter
    >>> from lifelines.datasets import load_rossi
    >>> rossi = load_rossi().assign(w=1.0)
    >>> cph = CoxPHFitter().fit(rossi, "week", "arrest", weights_col="w")
    >>> table = schoenfeld_test(rossi, params=cph.params_, variance=cph.variance_matrix_,
    ...                         duration_col="week", event_col="arrest", weights_col="w",
    ...                         time_transform="identity")
    >>> round(float(table.loc["age", "test_statistic"]), 2)
    12.06
    """
    if time_transform not in TRANSFORMS:
        raise ValueError(f"time_transform must be one of {TRANSFORMS}; got {time_transform!r}")
    data = expand_event_rows(data, event_col=event_col, weights_col=weights_col)
    covariates = list(params.index)
    beta = params.to_numpy(dtype=float)
    times_all = data[duration_col].to_numpy(dtype=float)
    events_all = data[event_col].to_numpy() == 1
    weights_all = data[weights_col].to_numpy(dtype=float)
    x_all = data[covariates].to_numpy(dtype=float)
    entries_all = data[entry_col].to_numpy(dtype=float) if entry_col else None
    groups = data.groupby(list(strata), sort=False).indices.values() if strata else [np.arange(len(data))]
    residuals, event_times = [], []
    for rows in groups:
        x, times, events = x_all[rows], times_all[rows], events_all[rows]
        if not events.any():
            continue
        scores = weights_all[rows] * np.exp(x @ beta)
        dead, means = _churner_means(x, times, events, scores, None if entries_all is None else entries_all[rows])
        residuals.append(x[dead] - means)
        event_times.append(times[dead])
    resid = np.vstack(residuals)
    n_events = len(resid)
    cov = variance.loc[covariates, covariates].to_numpy()
    scaled = n_events * resid @ cov
    g = _transform(time_transform, np.concatenate(event_times), times_all, events_all, weights_all)
    g = g - g.mean()
    se2 = np.diag(cov)
    statistic = (g @ scaled) ** 2 / (n_events * se2 * (g @ g))
    return pd.DataFrame({"test_statistic": statistic, "p": stats.chi2.sf(statistic, 1)},
                        index=pd.Index(covariates, name="covariate"))
