"""Why customers leave: churn reasons as competing risks, and what churners said before leaving.

A churner leaves for one reason (cancellation form code, exit interview text, or none
recorded); each reason is a competing risk. :func:`cumulative_incidence` gives the
Aalen-Johansen cumulative incidence of each reason over tenure with Greenwood-type
(delta-method) variances and log(-log) intervals, as in Collett (2015, p. 411) and lifelines'
``AalenJohansenFitter``, but with tied tenures handled exactly (no jitter), vectorised over
event times. :func:`cause_specific_cox` fits one Cox model per reason (churn for another
reason censors) with :class:`cxlab.survival.ChurnCox` or, on a start/stop frame,
:class:`cxlab.survival.TimeVaryingChurnCox`, the rows merged and encoded once for all reasons
(``fit_by_cause``). :func:`before_churn` compares what churners wrote
and complained about in the days before leaving with what customers still active at the same
tenure wrote in the same span of their tenure (risk-set sampling, nothing after the as-of
date).

Reasons given as free text (many distinct values) are grouped by the same themes as
comments (:func:`cxlab.text.find_themes`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from scipy.stats import norm

from cxlab.identifiers import positions
from cxlab.metrics import wilson_interval
from cxlab.periods import as_of_end
from cxlab.survival import ChurnCox, TimeVaryingChurnCox
from cxlab.tenure import tenure_frame

__all__ = ["NOT_RECORDED", "reason_frame", "cumulative_incidence", "cause_specific_cox", "cause_specific_fits",
           "before_churn"]

NOT_RECORDED = "not recorded"
DAYS_PER_MONTH = 365.25 / 12
_FIT_ARGUMENTS = {"duration_col", "entry_col", "weights_col", "strata", "id_col", "start_col", "stop_col"}


def _reason_labels(reasons: pd.Series, *, seed: int, free_text_min_distinct: int) -> pd.Series:
    """Codes kept as they are; free text (many distinct values with spaces) grouped by theme."""
    given = reasons.dropna().astype(str).str.strip()
    given = given[given.ne("")]
    free_text = given.nunique() >= free_text_min_distinct and given.str.contains(r"\s").mean() > 0.5
    if not free_text:
        return given
    from cxlab.text import find_themes

    model = find_themes(given, seed=seed, min_comments=10)
    labels = model.themes_.set_index("theme")["label"]
    return pd.Series(np.where(model.labels_ >= 0, labels.reindex(model.labels_).to_numpy(), "other"),
                     index=given.index)


def reason_frame(customers: pd.DataFrame, *, as_of, reason_col: str = "churn_reason", seed: int = 0,
                 free_text_min_distinct: int = 30) -> pd.DataFrame:
    """Tenure, churn and churn reason of each customer as of a date.

    Parameters
    ----------
    customers : pandas.DataFrame
        A ``customers`` table with a reason column; not modified.
    as_of : str or pandas.Timestamp
        Analysis date (churns known by the end of it count, :func:`cxlab.tenure.tenure_frame`).
    reason_col : str
    seed : int
        Seed of the themes used for free-text reasons.
    free_text_min_distinct : int
        Reasons with at least this many distinct values, mostly several words, are free text.

    Returns
    -------
    pandas.DataFrame
        :func:`cxlab.tenure.tenure_frame` plus ``reason``: the reason (code or theme) of each
        churner, :data:`NOT_RECORDED` for churners without one, None for customers not churned.
    """
    if reason_col not in customers.columns:
        raise ValueError(f"customers has no column {reason_col!r}")
    frame = tenure_frame(customers, as_of=as_of)
    labels = _reason_labels(frame.loc[frame["churned"] == 1, reason_col], seed=seed,
                            free_text_min_distinct=free_text_min_distinct)
    reason = pd.Series(None, index=frame.index, dtype=object)
    reason[frame["churned"] == 1] = NOT_RECORDED
    reason[labels.index] = labels
    return frame.assign(reason=reason)


def cumulative_incidence(frame: pd.DataFrame, *, duration_col: str = "tenure_months", event_col: str = "churned",
                         reason_col: str = "reason", level: float = 0.95) -> pd.DataFrame:
    """Aalen-Johansen cumulative incidence of each reason, with its variance and interval.

    At each tenure ``t_i`` with ``n_i`` customers at risk, ``d_i`` churns and ``d_ij`` churns for
    reason ``j``: ``F_j(t) = sum_{t_i <= t} S(t_{i-1}) d_ij / n_i`` with ``S`` the Kaplan-Meier
    curve of churn for any reason. ``Var F_j(t) = sum_{t_i <= t} [(F_j(t) - F_j(t_i))^2 d_i /
    (n_i (n_i - d_i)) + S(t_{i-1})^2 d_ij (n_i - d_ij) / n_i^3 - 2 (F_j(t) - F_j(t_i)) S(t_{i-1})
    d_ij / n_i^2]``; the interval is ``F^exp(+-z se / (F log F))`` (log(-log) scale).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer (e.g. :func:`reason_frame`); not modified.
    duration_col, event_col, reason_col : str
    level : float

    Returns
    -------
    pandas.DataFrame
        One row per reason and event time: ``reason``, ``time``, ``at_risk``, ``events``
        (of the reason), ``cumulative_incidence``, ``se``, ``ci_low``, ``ci_high``.

    Examples
    --------
    >>> f = pd.DataFrame({"tenure_months": [1, 2, 2, 3, 4], "churned": [1, 1, 1, 0, 1],
    ...                   "reason": ["price", "price", "service", None, "service"]})
    >>> cif = cumulative_incidence(f)
    >>> cif[cif["time"] == 4][["reason", "cumulative_incidence"]].round(6).values.tolist()
    [['price', 0.4], ['service', 0.6]]
    """
    for col in (duration_col, event_col, reason_col):
        if col not in frame.columns:
            raise ValueError(f"frame has no column {col!r}")
    time = frame[duration_col].to_numpy(float)
    event = frame[event_col].to_numpy() == 1
    reason = frame[reason_col].where(event)
    times = np.unique(time[event])
    order = np.sort(time)
    at_risk = (len(time) - np.searchsorted(order, times, side="left")).astype(float)
    d_all = pd.Series(time[event]).value_counts().reindex(times, fill_value=0).to_numpy(float)
    survival = np.cumprod(1 - d_all / at_risk)
    lag_s = np.r_[1.0, survival[:-1]]
    z = norm.ppf(0.5 + level / 2)
    a = np.divide(d_all, at_risk * (at_risk - d_all), out=np.zeros_like(d_all), where=at_risk > d_all)
    out = []
    for name in sorted(reason.dropna().unique()):
        hit = reason.to_numpy() == name
        d = pd.Series(time[hit]).value_counts().reindex(times, fill_value=0).to_numpy(float)
        f = np.cumsum(lag_s * d / at_risk)
        c = lag_s * d / at_risk**2
        first = f**2 * np.cumsum(a) - 2 * f * np.cumsum(a * f) + np.cumsum(a * f**2)
        second = np.cumsum(lag_s**2 * d * (at_risk - d) / at_risk**3)
        third = f * np.cumsum(c) - np.cumsum(c * f)
        se = np.sqrt(np.maximum(first + second - 2 * third, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = z * se / (f * np.abs(np.log(f)))
            low, high = f ** np.exp(spread), f ** np.exp(-spread)
        out.append(pd.DataFrame({"reason": name, "time": times, "at_risk": at_risk.astype(int),
                                 "events": d.astype(int), "cumulative_incidence": f, "se": se,
                                 "ci_low": np.where(f > 0, low, 0.0), "ci_high": np.where(f > 0, high, 0.0)}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(
        columns=["reason", "time", "at_risk", "events", "cumulative_incidence", "se", "ci_low", "ci_high"])


def cause_specific_cox(frame: pd.DataFrame, reasons: pd.Series | None = None, *, covariates,
                       reason_col: str = "reason", event_col: str = "churned", min_events: int = 10,
                       **options) -> dict:
    """One Cox model per churn reason: churn for any other reason is censoring.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer (:func:`cxlab.survival.fit_cox`; may carry ``entry_col`` in
        ``options``) or start/stop rows with ``start_months`` (time-varying model), not modified.
    reasons : pandas.Series, optional
        Reason per ``customer_id`` (index) for a start/stop frame; default ``frame[reason_col]``.
    covariates : sequence of str
    reason_col, event_col : str
    min_events : int
        Reasons with fewer churns get no model.
    **options
        Passed to the model (``baseline``, ``penalizer``, ...) or to its ``fit`` (``entry_col``,
        ``weights_col``, ``strata``, ...).

    Returns
    -------
    dict of str to model
        ``ChurnCox`` or ``TimeVaryingChurnCox`` per reason; ``hazard_ratios_`` on each.
    """
    return dict(cause_specific_fits(frame, reasons, covariates=covariates, reason_col=reason_col,
                                    event_col=event_col, min_events=min_events, **options))


def cause_specific_fits(frame: pd.DataFrame, reasons: pd.Series | None = None, *, covariates,
                        reason_col: str = "reason", event_col: str = "churned", min_events: int = 10,
                        **options) -> Iterator[tuple[str, object]]:
    """The models of :func:`cause_specific_cox`, fitted one at a time as they are asked for.

    The rows are merged and the covariates encoded once (``fit_by_cause`` of
    :class:`cxlab.survival.ChurnCox` and :class:`cxlab.survival.TimeVaryingChurnCox`); each model
    holds its own churn events and cells, so a caller that keeps only what it reads of each (its
    ``hazard_ratios_``) holds one of them at a time instead of one per reason.

    Parameters
    ----------
    frame, reasons, covariates, reason_col, event_col, min_events, **options
        As in :func:`cause_specific_cox`.

    Yields
    ------
    tuple of (str, model)
        The reason and its ``ChurnCox`` or ``TimeVaryingChurnCox``, in the order of the reasons' names.
    """
    data = frame.copy(deep=False)  # columns are replaced below, never written into
    if "customer_id" in data.columns:
        # integer codes: the reasons are looked up once per customer and each fit counts customers on them
        codes, ids = pd.factorize(data["customer_id"])
        data["customer_id"] = codes
        if reasons is not None:
            data[reason_col] = pd.Series(ids).map(reasons).to_numpy()[codes]
    elif reasons is not None:
        raise ValueError("cause_specific_cox: a frame with reasons given apart needs a 'customer_id' column")
    for column in covariates:  # text held as categories: the rows are grouped on the codes, not the text
        if column in data.columns and (pd.api.types.is_object_dtype(data[column])
                                       or pd.api.types.is_string_dtype(data[column])):
            data[column] = data[column].astype("category")
    # the rows are merged and encoded once for all reasons: only the churn events differ between their models
    model_class = TimeVaryingChurnCox if "start_months" in data.columns else ChurnCox
    model = model_class(covariates, **{k: v for k, v in options.items() if k not in _FIT_ARGUMENTS})
    yield from model.fit_by_cause(data, reason_col, min_events=min_events, event_col=event_col,
                                  **{k: v for k, v in options.items() if k in _FIT_ARGUMENTS})


def before_churn(frame: pd.DataFrame, events: pd.DataFrame, *, as_of, window_days: int = 90,
                 time_col: str, label_cols, controls_per_churner: int = 5, seed: int = 0,
                 level: float = 0.95) -> pd.DataFrame:
    """What churners said in the window before leaving vs customers still active at the same tenure.

    For each churner (churn known by the as-of date) the window is the ``window_days`` before
    the churn date. Up to ``controls_per_churner`` customers still active past the same tenure
    (and observed to it by the as-of date) are drawn at random for each churner; their window
    is the same span of their own tenure. The share of windows with at least one event
    carrying each label is compared between churners and controls.

    Parameters
    ----------
    frame : pandas.DataFrame
        :func:`cxlab.tenure.tenure_frame` rows, one per customer (``customer_id``, ``acquired_at``,
        ``tenure_days``, ``churned``, ``end_at``).
    events : pandas.DataFrame
        Dated events with ``customer_id``, ``time_col`` and boolean ``label_cols`` (e.g. theme
        mentions of comments, or one-hot complaint categories).
    as_of : str or pandas.Timestamp
    window_days : int
    time_col : str
    label_cols : sequence
    controls_per_churner : int
    seed : int
    level : float

    Returns
    -------
    pandas.DataFrame
        ``label``, ``churner_share``, ``churner_ci_low``, ``churner_ci_high``, ``control_share``,
        ``control_ci_low``, ``control_ci_high``, ``difference`` (share points as fractions),
        ``churners``, ``controls``.
    """
    label_cols = list(label_cols)
    end = as_of_end(as_of)
    rng = np.random.default_rng(seed)
    # customers as integer keys shared by both tables, their positions in the frame (-1: an event of a customer
    # not in it): the windows join the events on them
    key = np.arange(len(frame))
    event_keys = positions(events["customer_id"], frame["customer_id"])
    tenure_days = frame["tenure_days"].to_numpy(dtype=float)
    churners = np.flatnonzero(frame["churned"].to_numpy() == 1)
    # risk set at each churner's tenure: customers whose observed tenure goes beyond it
    by_tenure = np.argsort(tenure_days, kind="stable")
    lo = np.searchsorted(tenure_days[by_tenure], tenure_days[churners], side="right")
    n = len(frame)
    draws = rng.random((len(churners), controls_per_churner))
    pick = (lo[:, None] + np.floor(draws * (n - lo)[:, None])).astype(np.int64)
    valid = (lo < n)[:, None] & np.ones_like(pick, dtype=bool)
    controls = by_tenure[pick[valid]]
    control_end = (frame["acquired_at"].to_numpy(dtype="datetime64[ns]")[controls]
                   + pd.to_timedelta(np.repeat(tenure_days[churners], valid.sum(axis=1)), unit="D").to_numpy())
    observed = control_end <= end.to_datetime64()  # the control's same span of tenure is over by the as-of date
    controls, control_end = controls[observed], control_end[observed]
    # the windows: the churners' first, then their controls'
    stops = np.concatenate([frame["end_at"].to_numpy(dtype="datetime64[ns]")[churners], control_end])
    flags = _labelled_in_windows(event_keys, events[time_col], events[label_cols],
                                 np.concatenate([key[churners], key[controls]]),
                                 stops - pd.Timedelta(days=window_days).to_timedelta64(), stops)
    groups = {"churner": (flags[: len(churners)].sum(axis=0), len(churners)),
              "control": (flags[len(churners):].sum(axis=0), len(controls))}
    rows = []
    for k, label in enumerate(label_cols):
        out = {"label": label}
        for name, (hits, total) in groups.items():
            low, high = wilson_interval(hits[k], total, level)
            out |= {f"{name}_share": hits[k] / total if total else np.nan, f"{name}_ci_low": float(low),
                    f"{name}_ci_high": float(high)}
        out |= {"difference": out["churner_share"] - out["control_share"], "churners": len(churners),
                "controls": len(controls)}
        rows.append(out)
    return pd.DataFrame(rows)


def _labelled_in_windows(event_keys: np.ndarray, times: pd.Series, labels: pd.DataFrame, window_keys: np.ndarray,
                         starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Whether each window ``[start, stop)`` of a customer holds an event of that customer with each label.

    Events sorted by customer and time, a window's events are one run of positions, found by
    binary search on (customer, rank of the time among the events' times); the labelled events in
    the run are a difference of running counts. No (windows x events) join is built.
    """
    times = times.to_numpy(dtype="datetime64[ns]")
    dated = ~np.isnat(times)
    event_keys, times = event_keys[dated], times[dated]
    by_time = np.argsort(times, kind="stable")
    ordered = times[by_time]
    # rank of each event's time: how many events are earlier (equal times share it)
    rank = np.empty(len(times), dtype=np.int64)
    starts_run = np.ones(len(times), dtype=bool)
    starts_run[1:] = ordered[1:] != ordered[:-1]
    rank[by_time] = np.maximum.accumulate(np.where(starts_run, np.arange(len(times)), 0))
    width = np.int64(len(times) + 1)
    position = event_keys.astype(np.int64) * width + rank
    order = np.argsort(position, kind="stable")
    position = position[order]
    # only the windows of customers with a dated event are searched
    with_events = np.zeros(max(event_keys.max(initial=-1), window_keys.max(initial=-1)) + 1, dtype=bool)
    with_events[event_keys] = True
    searched = np.flatnonzero(with_events[window_keys])
    keys = window_keys[searched] * width
    first = _search(position, keys + _search(ordered, starts[searched]))
    after = _search(position, keys + _search(ordered, stops[searched]))
    flags = np.zeros((len(window_keys), labels.shape[1]), dtype=bool)
    for k, column in enumerate(labels.columns):
        labelled = labels[column].to_numpy(dtype=bool, na_value=False)[dated][order]
        running = np.concatenate([[0], np.cumsum(labelled, dtype=np.int64)])
        flags[searched, k] = running[after] > running[first]
    return flags


def _search(ordered: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``np.searchsorted(ordered, values)`` (left), searching the values in their sorted order:
    each search then starts where the last one ended, several times faster for millions of values."""
    order = np.argsort(values, kind="stable")
    out = np.empty(len(values), dtype=np.int64)
    out[order] = np.searchsorted(ordered, values[order])
    return out
