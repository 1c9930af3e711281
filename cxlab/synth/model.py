"""Building blocks of the generating process: the world's container, time and id helpers, the
baseline churn hazard, experience trends and the calibrated intercepts."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit, ndtri

from cxlab.schema import TOUCHPOINTS
from cxlab.synth.parameters import DAY, DEFAULT_PARAMETERS, HOUR, NAT, SEGMENTS, TP_INDEX, WorldParameters

__all__ = ["SimulatedWorld", "baseline_monthly_hazard"]


# --------------------------------------------------------------------------- helpers
@dataclass
class SimulatedWorld:
    """A simulated CX world: the four cxlab tables plus the truth behind them.

    Attributes
    ----------
    customers, revenue, surveys, cases : pandas.DataFrame
        Tables following :mod:`cxlab.schema` (cases also carry
        ``invitation_id`` and ``team``).
    as_of : pandas.Timestamp
        Data cut-off; no timestamp in any table is later.
    truth : dict
        JSON-serialisable ground truth (see the module docstring).
    params : dict
        The arguments of :func:`simulate` that produced the world.
    parameters : WorldParameters or None
        The constants of the generating process that produced the world (None for a world read
        from files: the truth holds what it recorded).
    comment_themes : pandas.DataFrame
        The truth behind each comment (not written to files): ``invitation_id``, ``language``
        (``en``/``ru``/``de``), ``theme`` and ``second_theme`` (names, None when absent).
    """

    customers: pd.DataFrame
    revenue: pd.DataFrame
    surveys: pd.DataFrame
    cases: pd.DataFrame
    as_of: pd.Timestamp
    truth: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    parameters: WorldParameters | None = None
    comment_themes: pd.DataFrame = field(default_factory=pd.DataFrame)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the four tables keyed by table name.

        Returns
        -------
        dict of str to pandas.DataFrame
        """
        return {"customers": self.customers, "revenue": self.revenue, "surveys": self.surveys,
                "cases": self.cases}


def _sec(ts: pd.Timestamp) -> int:
    return int(pd.Timestamp(ts).value // 10**9)


def _to_datetime(sec: np.ndarray) -> np.ndarray:
    """Seconds since the epoch (NAT sentinel for missing) to datetime64[ns]."""
    sec = np.asarray(sec, dtype=np.int64)
    ns = np.where(sec == NAT, NAT, sec * 1_000_000_000)
    return ns.view("datetime64[ns]")


def _ids(prefix: str, count: int, width: int) -> np.ndarray:
    """Zero-padded identifiers ``prefix0000001`` ... as an object array of str."""
    width = max(width, len(str(count)))
    out = np.empty(count, dtype=object)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    chunk = 1_000_000
    for lo in range(0, count, chunk):  # chunks bound the temporary memory
        numbers = np.arange(lo + 1, min(lo + chunk, count) + 1, dtype=np.int64)
        digits = (numbers[:, None] // powers % 10).astype(np.uint32) + ord("0")
        text = np.empty((numbers.size, width + len(prefix)), dtype=np.uint32)
        text[:, : len(prefix)] = [ord(c) for c in prefix]
        text[:, len(prefix):] = digits
        out[lo: lo + numbers.size] = text.view(f"U{width + len(prefix)}").ravel().astype(object)
    return out


def _categorical(rng: np.random.Generator, probs: np.ndarray, size: int | None = None) -> np.ndarray:
    """Draw category codes; ``probs`` is one vector or one row per draw."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim == 1:
        cum = np.cumsum(probs / probs.sum())
        return np.minimum(np.searchsorted(cum, rng.random(size), side="right"), len(cum) - 1).astype(np.int8)
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(probs.shape[0])[:, None]
    return np.minimum((u >= cum).sum(axis=1), probs.shape[1] - 1).astype(np.int8)


def _lognormal_seconds(rng: np.random.Generator, median_seconds: np.ndarray | float, sigma: np.ndarray | float,
                       size: int) -> np.ndarray:
    return np.rint(median_seconds * np.exp(sigma * rng.standard_normal(size))).astype(np.int64)


def _business_hours(rng: np.random.Generator, t: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Move times to a random minute between 08:00 and 18:00 of the same day when that stays in [lo, hi)."""
    moved = (t // DAY) * DAY + 8 * HOUR + 60 * rng.integers(0, 600, t.size)
    return np.where((moved >= lo) & (moved < hi), moved, t)


def _nps(scores: np.ndarray) -> float:
    scores = np.asarray(scores)
    if scores.size == 0:
        return float("nan")
    return float(100.0 * ((scores >= 9).mean() - (scores <= 6).mean()))


def _clean(obj):
    """Make nested truth JSON-serialisable with rounded floats."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | np.ndarray):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.integer | bool | np.bool_):
        return obj.item() if hasattr(obj, "item") else obj
    if isinstance(obj, float | np.floating):
        value = float(obj)
        if not math.isfinite(value):
            return None
        return float(f"{value:.6g}")
    return obj


def baseline_monthly_hazard(n_months: int, *, parameters: WorldParameters = DEFAULT_PARAMETERS) -> np.ndarray:
    """Baseline monthly churn hazard for tenure months 1..``n_months``.

    Reference profile: SMB, monthly contract, latest answer 7.5, no
    follow-up, CES covariate 0, average unobserved value.
    ``h0(k) = late + early_extra * exp(-(k - 1) / decay_months)``, by default
    ``0.0135 + 0.022 * exp(-(k - 1) / 5)``.

    Parameters
    ----------
    n_months : int
        Number of tenure months.
    parameters : WorldParameters, optional
        The world's parameters (default: the demo world's).

    Returns
    -------
    numpy.ndarray
        Hazards, element ``k - 1`` for tenure month ``k``.
    """
    k = np.arange(1, n_months + 1)
    return (parameters.baseline_late_monthly_hazard
            + parameters.baseline_early_extra_monthly_hazard * np.exp(-(k - 1) / parameters.baseline_decay_months))


def _experience_trend(month_starts: pd.DatetimeIndex, start: pd.Timestamp, parameters: WorldParameters) -> np.ndarray:
    """Mean latent experience by month (rows) and touchpoint (columns)."""
    years = (month_starts - start).days.to_numpy() / 365.25
    trend = np.outer(years, [parameters.experience_trend_sd_per_year[tp] for tp in TOUCHPOINTS])
    peak = np.isin(month_starts.month, (11, 12))
    trend[peak, TP_INDEX["delivery"]] += parameters.peak_season_delivery_shift_sd
    redesign = pd.Timestamp(parameters.invoicing_redesign_date)
    months_since = (month_starts.year - redesign.year) * 12 + (month_starts.month - redesign.month)
    ramp = np.clip(np.asarray(months_since, dtype=float) / parameters.invoicing_ramp_months, 0.0, 1.0)
    trend[:, TP_INDEX["invoicing"]] += _invoicing_lift(parameters) * ramp
    return trend


def _invoicing_lift(parameters: WorldParameters) -> float:
    """Latent shift that moves invoicing CSAT top-2 share from before to after."""
    return float((ndtri(parameters.invoicing_top2_share_after) - ndtri(parameters.invoicing_top2_share_before))
                 * parameters.csat_latent_sd)


def _csat_intercepts(parameters: WorldParameters) -> np.ndarray:
    top2 = parameters.csat_base_top2_share_by_touchpoint
    return np.array([parameters.csat_cut_points[2] + parameters.csat_latent_sd * ndtri(top2[tp]) for tp in TOUCHPOINTS])


def _followup_intercepts(parameters: WorldParameters) -> np.ndarray:
    """Logit intercepts per segment that give the segment's follow-up coverage on average over values.

    The follow-up logit is ``a_segment + b_obs * observed_value + b_unobs * unobserved_value`` with
    both values standard normal and independent, so ``a`` solves ``E[expit(a + s Z)] = coverage``
    with ``s**2 = b_obs**2 + b_unobs**2`` (Gauss-Hermite quadrature).
    """
    nodes, weights = np.polynomial.hermite_e.hermegauss(40)
    weights = weights / weights.sum()
    scale = math.hypot(*parameters.followup_logit_per_sd_value.values())
    coverage = parameters.followup_coverage_by_segment
    return np.array([brentq(lambda a, c=coverage[s]: float(weights @ expit(a + scale * nodes)) - c,
                            -10.0, 10.0, xtol=1e-12) for s in SEGMENTS])
