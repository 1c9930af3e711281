"""Monthly churn hazards with bootstrap replicates: the survival input of every valuation.

A curve is held as monthly hazards ``h(t)`` for months ``t = 1 .. L`` (the probability that a
customer who has paid for ``t - 1`` months churns during month ``t``), so that
``S(t) = prod_{u <= t} (1 - h(u))`` is the share of customers who pay for more than ``t``
months (:mod:`cxlab.tenure`'s convention). Within the observed window the hazards are the
Kaplan-Meier ones of the life table (:func:`cxlab.tenure.event_table`); beyond it a tail
extrapolates them.

Uncertainty is propagated by resampling the *aggregated* life table, never the customer rows:
each replicate draws the churn count of every tenure month from
``Binomial(at_risk(t), h(t))`` (the parametric bootstrap of the Kaplan-Meier hazards; its
variance matches Greenwood's formula) and re-estimates the tail from the drawn counts. All
replicates are computed at once as arrays of shape ``(n_resamples, months)``.

Lifts of retention are applied to the hazards (:func:`apply_lift`), in one of two explicit
definitions:

``"relative"``
    every monthly churn hazard is multiplied by ``1 - lift`` (a 5% lift cuts churn by 5%).
``"absolute"``
    the retention of every tenure year (months 1-12, 13-24, ...; a shorter last block is
    annualised), ``R = prod (1 - h)``, is raised by ``lift`` (5 percentage points for
    ``lift=0.05``, capped at 1) and the year's monthly hazards are turned into
    ``h' = 1 - (1 - h)^k`` with the one power ``k = log(R + lift) / log(R)`` that achieves it, so
    the pattern within the year is kept. For a constant hazard this is
    ``h' = 1 - ((1 - h)^12 + lift)^(1/12)``. Working on whole tenure years (not month by month)
    keeps the month-to-month noise of the Kaplan-Meier hazards from biasing this non-linear
    conversion. At 80% annual retention, 5 points are a 24% relative cut in churn -- the sense
    of Reichheld & Sasser's (1990) "5 points fewer defections".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cxlab.sbg import ShiftedBetaGeometric, sbg_retention_rate
from cxlab.survival.parametric import fit_parametric
from cxlab.survival.parametric import survival_draws as parametric_survival_draws
from cxlab.tenure import event_table

__all__ = ["LIFT_KINDS", "MONTHS_PER_YEAR", "TAILS", "SurvivalDraws", "annual_retention_from_monthly_hazard",
           "apply_lift", "joint_survival_draws", "monthly_hazard_from_annual_retention", "percentile_interval",
           "revenue_life_table", "survival_draws"]

LIFT_KINDS = ("relative", "absolute")
TAILS = ("geometric", "sbg", "best", "weibull", "lognormal", "loglogistic", "exponential")
MONTHS_PER_YEAR = 12


def annual_retention_from_monthly_hazard(hazard):
    """Annual retention implied by a monthly churn hazard held for twelve months, ``(1 - h)^12``.

    Examples
    --------
    >>> round(float(annual_retention_from_monthly_hazard(0.02)), 5)
    0.78472
    """
    return (1.0 - np.asarray(hazard, dtype=float)) ** MONTHS_PER_YEAR


def monthly_hazard_from_annual_retention(annual_retention):
    """Monthly churn hazard that gives an annual retention when held for twelve months.

    Examples
    --------
    >>> round(float(monthly_hazard_from_annual_retention(0.78472)), 4)
    0.02
    """
    return 1.0 - np.asarray(annual_retention, dtype=float) ** (1.0 / MONTHS_PER_YEAR)


def apply_lift(hazard, lift: float, kind: str = "relative", *, reference=None) -> np.ndarray:
    """Monthly churn hazards after a retention lift.

    Parameters
    ----------
    hazard : array-like
        Monthly churn hazards in [0, 1]; the last axis is tenure months 1, 2, ... (a scalar
        is a constant hazard).
    lift : float
        Size of the lift in [0, 1]: 0.05 means a 5% cut in churn (``"relative"``) or five
        percentage points more annual retention (``"absolute"``).
    kind : {"relative", "absolute"}
        Definition of the lift (see the module docstring).
    reference : array-like, optional
        Hazards of the same shape that define an absolute lift: each tenure year of ``hazard``
        gets the power ``k`` that lifts the reference's retention of that year by ``lift``
        (default: ``hazard`` itself). The revenue-weighted curve is lifted with the customers'
        curve as reference, so that both describe the same change in who stays.

    Returns
    -------
    numpy.ndarray
        Hazards of the same shape; ``lift=0`` returns them unchanged.

    Examples
    --------
    >>> float(apply_lift(0.02, 0.05, "relative"))
    0.019
    >>> round(float(apply_lift(0.02, 0.05, "absolute")), 5)
    0.01494
    """
    if kind not in LIFT_KINDS:
        raise ValueError(f"lift kind must be one of {LIFT_KINDS}; got {kind!r}")
    if not 0.0 <= lift <= 1.0:
        raise ValueError(f"lift must be between 0 and 1 (0.05 = 5%); got {lift}")
    h = np.asarray(hazard, dtype=float)
    if kind == "relative":
        return h * (1.0 - lift)
    if lift == 0.0:
        return h.copy()
    if h.ndim == 0 and reference is None:
        return monthly_hazard_from_annual_retention(np.minimum(annual_retention_from_monthly_hazard(h) + lift, 1.0))
    ref = np.asarray(h if reference is None else reference, dtype=float)
    if ref.shape != h.shape:
        raise ValueError(f"reference hazards have shape {ref.shape}, the hazards {h.shape}")
    if h.ndim == 0:  # a constant hazard: one tenure year of it
        h, ref = np.full(MONTHS_PER_YEAR, float(h)), np.full(MONTHS_PER_YEAR, float(ref))
        return apply_lift(h, lift, kind, reference=ref)[0]
    tiny = np.finfo(float).tiny
    starts = np.arange(0, h.shape[-1], MONTHS_PER_YEAR)
    lengths = np.diff(np.append(starts, h.shape[-1]))
    block = np.add.reduceat(np.log(np.clip(1.0 - ref, tiny, 1.0)), starts, axis=-1) * MONTHS_PER_YEAR / lengths
    target = np.log(np.minimum(np.exp(block) + lift, 1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        power = np.where(block < 0, target / block, 1.0)
    return 1.0 - np.exp(np.log(np.clip(1.0 - h, tiny, 1.0)) * np.repeat(power, lengths, axis=-1))


def percentile_interval(draws, level: float = 0.95):
    """Bootstrap percentile interval along the first axis, ignoring NaN replicates.

    Returns ``(low, high)``: floats for 1-D draws, arrays for more dimensions; NaN when there
    are no replicates (or only NaN ones).

    Examples
    --------
    >>> [round(x, 6) for x in percentile_interval(np.arange(101.0), 0.9)]
    [5.0, 95.0]
    """
    draws = np.asarray(draws, dtype=float)
    tail = (1.0 - level) / 2
    if draws.shape[0] == 0:
        low = high = np.full(draws.shape[1:], np.nan)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = np.nanquantile(draws, [tail, 1 - tail], axis=0)
    if draws.ndim == 1:
        return float(low), float(high)
    return low, high


def _survival_from_hazard(hazard: np.ndarray) -> np.ndarray:
    """S(0..L) along the last axis from hazards h(1..L)."""
    s = np.cumprod(1.0 - hazard, axis=-1)
    ones = np.ones(hazard.shape[:-1] + (1,))
    return np.concatenate([ones, s], axis=-1)


@dataclass(frozen=True, eq=False)
class SurvivalDraws:
    """Monthly churn hazards: the point estimate and bootstrap replicates.

    Build with :func:`survival_draws` (from a life table) or :meth:`from_survival` (a known
    curve). Exposes ``survival(t)`` so that :func:`cxlab.economics.clv` accepts it directly.

    Attributes
    ----------
    hazard : numpy.ndarray, shape (L,)
        ``hazard[t - 1]`` is the churn hazard of month ``t``.
    hazard_draws : numpy.ndarray, shape (n_resamples, L)
        Bootstrap replicates of the hazards (zero rows for a known curve).
    window_months : int
        Months estimated from data (Kaplan-Meier); later months come from the tail.
    tail : str
        How months after the window were extrapolated.
    n_customers : int
        Customers behind the life table (0 for a given curve).
    weighted_by : str
        ``"customers"`` (every customer counts once) or ``"revenue"`` (each customer counts
        with their monthly revenue, :func:`joint_survival_draws`).
    weight_mean, weight_mean_draws : float, numpy.ndarray or None
        For a revenue-weighted curve: the customers' mean monthly revenue and its replicates,
        drawn jointly with the hazards (None otherwise).
    """

    hazard: np.ndarray
    hazard_draws: np.ndarray
    window_months: int
    tail: str
    n_customers: int
    weighted_by: str = "customers"
    weight_mean: float = np.nan
    weight_mean_draws: np.ndarray | None = None

    @classmethod
    def from_survival(cls, survival, *, tail: str = "given") -> SurvivalDraws:
        """Wrap a known survival sequence S(1), S(2), ..., S(L) (no replicates).

        Parameters
        ----------
        survival : array-like
            Non-increasing values in [0, 1].
        tail : str
            Label of where the curve came from.

        Examples
        --------
        >>> curve = SurvivalDraws.from_survival(0.9 ** np.arange(1, 61))
        >>> round(float(curve.hazard[0]), 6), curve.horizon_months
        (0.1, 60)
        """
        s = np.asarray(survival, dtype=float)
        if s.ndim != 1 or len(s) == 0:
            raise ValueError("survival must be a non-empty sequence S(1), S(2), ...")
        if np.any(~np.isfinite(s)) or np.any(s < 0) or np.any(s > 1) or np.any(np.diff(s) > 1e-12):
            raise ValueError("survival must be non-increasing values between 0 and 1")
        previous = np.concatenate([[1.0], s[:-1]])
        with np.errstate(divide="ignore", invalid="ignore"):
            hazard = np.where(previous > 0, 1.0 - s / previous, 1.0)
        return cls(np.clip(hazard, 0.0, 1.0), np.empty((0, len(s))), len(s), tail, 0)

    @property
    def horizon_months(self) -> int:
        """Number of months L the curve covers."""
        return len(self.hazard)

    @property
    def n_resamples(self) -> int:
        """Number of bootstrap replicates."""
        return self.hazard_draws.shape[0]

    def survival(self, t=None) -> np.ndarray:
        """Point estimate of S(t) for whole months ``t`` in 0..L (default: all of them)."""
        s = _survival_from_hazard(self.hazard)
        if t is None:
            return s
        t = np.asarray(t)
        if np.any(t < 0) or np.any(t > self.horizon_months) or np.any(t % 1 != 0):
            raise ValueError(f"t must be whole months between 0 and {self.horizon_months}")
        return s[t.astype(int)]

    def survival_draws(self) -> np.ndarray:
        """Replicates of S(0..L), shape (n_resamples, L + 1)."""
        return _survival_from_hazard(self.hazard_draws)

    def with_lift(self, lift: float, kind: str = "relative", *, like: SurvivalDraws | None = None) -> SurvivalDraws:
        """The same curve and replicates after a retention lift (see :func:`apply_lift`).

        ``like``: a curve of the same length and replicates (the customers' curve, for a
        revenue-weighted one) whose lift defines an absolute lift's change of the hazards.
        """
        if like is None:
            return replace(self, hazard=apply_lift(self.hazard, lift, kind),
                           hazard_draws=apply_lift(self.hazard_draws, lift, kind))
        return replace(self, hazard=apply_lift(self.hazard, lift, kind, reference=like.hazard),
                       hazard_draws=apply_lift(self.hazard_draws, lift, kind, reference=like.hazard_draws))

    def raised_to(self, power: float) -> SurvivalDraws:
        """The curve ``S(t)^power`` and its replicates: every hazard becomes ``1 - (1 - h)^power``.

        Keeps the company's pattern of churn over tenure while moving its level (power > 1:
        more churn); the replicates are transformed alike.
        """
        if not power > 0:
            raise ValueError(f"power must be positive; got {power}")
        return replace(self, hazard=1.0 - (1.0 - self.hazard) ** power,
                       hazard_draws=1.0 - (1.0 - self.hazard_draws) ** power)

    @property
    def summary(self) -> pd.DataFrame:
        """S(t) per month with its 95% bootstrap percentile interval (:meth:`survival_table`)."""
        return self.survival_table()

    def survival_table(self, level: float = 0.95) -> pd.DataFrame:
        """S(t) per month with its bootstrap percentile interval at ``level`` (NaN without replicates)."""
        s = self.survival()
        low, high = percentile_interval(self.survival_draws(), level)
        months = np.arange(len(s))
        return pd.DataFrame(
            {"survival": s, "ci_low": low, "ci_high": high,
             "source": np.where(months <= self.window_months, "Kaplan-Meier", f"tail ({self.tail})")},
            index=pd.RangeIndex(len(s), name="tenure_months"),
        )

    def _repr_html_(self) -> str:
        return (f"<p>SurvivalDraws: {self.horizon_months} months, Kaplan-Meier to month {self.window_months}, "
                f"tail {self.tail}, {self.n_resamples} replicates, {self.n_customers} customers</p>")


def _window_end(at_risk: np.ndarray, min_at_risk: int) -> int:
    """Last month t >= 1 such that every month 1..t has at least ``min_at_risk`` customers at risk."""
    short = np.flatnonzero(at_risk[1:] < min_at_risk)
    return int(short[0]) if len(short) else len(at_risk) - 1


def survival_draws(table: pd.DataFrame, *, horizon_months: int, n_resamples: int = 500, seed: int = 0,
                   min_at_risk: int = 30, tail: str = "geometric", tail_fit_months: int = 12) -> SurvivalDraws:
    """Kaplan-Meier hazards of a life table, a tail beyond the data, and bootstrap replicates.

    Parameters
    ----------
    table : pandas.DataFrame
        Life table from :func:`cxlab.tenure.event_table` (columns ``at_risk``, ``churned`` and
        ``censored`` indexed by tenure month 0, 1, ...).
    horizon_months : int
        Months L the curve must cover (e.g. the oldest customer's tenure plus the scenario
        horizon, or 600 for lifetime values).
    n_resamples : int
        Bootstrap replicates (0 for the point estimate only).
    seed : int
        Seed of ``numpy.random.default_rng``.
    min_at_risk : int
        The Kaplan-Meier window ends before the first month with fewer customers at risk
        (the rule of :mod:`cxlab.survival.parametric`); the tail takes over from there.
    tail : str
        How months after the window are extrapolated (see :data:`TAILS`):

        ``"geometric"`` (default)
            the pooled hazard (churned / at risk) of the window's last ``tail_fit_months``
            months held constant -- Gupta & Lehmann's constant retention. Each replicate
            re-estimates it from its own drawn counts.
        ``"sbg"``
            the conditional hazards of a shifted-beta-geometric model
            (:class:`cxlab.sbg.ShiftedBetaGeometric`, months as periods) fitted to the whole life
            table; replicates use its parameter draws.
        ``"best"``, ``"weibull"``, ``"lognormal"``, ``"loglogistic"``, ``"exponential"``
            the conditional survival of a parametric model fitted to the life table's counts
            by :func:`cxlab.survival.parametric.fit_parametric` (``"best"``: lowest AIC);
            replicates use its parameter draws
            (:func:`cxlab.survival.parametric.survival_draws`).

        Parameter draws of the tail are independent of the life-table resampling, although
        both come from the same customers, so the tail's spread is approximate.
    tail_fit_months : int
        Months pooled by the geometric tail.

    Returns
    -------
    SurvivalDraws

    Examples
    --------
    >>> from cxlab.tenure import event_table
    >>> table = event_table([1, 2, 2, 3, 5, 5, 5, 5], [1, 1, 0, 1, 0, 0, 0, 0])
    >>> curve = survival_draws(table, horizon_months=24, n_resamples=0, min_at_risk=3)
    >>> curve.window_months, round(float(curve.survival(2)), 4)
    (5, 0.75)
    """
    missing = [c for c in ("at_risk", "churned", "censored") if c not in table.columns]
    if missing:
        raise ValueError(f"survival_draws: the life table lacks column(s) {missing}; use cxlab.tenure.event_table")
    if tail not in TAILS:
        raise ValueError(f"tail must be one of {TAILS}; got {tail!r}")
    if horizon_months < 1 or n_resamples < 0 or tail_fit_months < 1:
        raise ValueError("horizon_months and tail_fit_months must be >= 1 and n_resamples >= 0")
    at_risk = np.rint(table["at_risk"].to_numpy(dtype=float)).astype(np.int64)
    churned = np.rint(table["churned"].to_numpy(dtype=float)).astype(np.int64)
    window = _window_end(at_risk, min_at_risk)
    if window < 1:
        raise ValueError(f"survival_draws: fewer than min_at_risk={min_at_risk} customers at risk in month 1")
    n = at_risk[1:window + 1]
    d = churned[1:window + 1]
    rng = np.random.default_rng(seed)
    d_draws = rng.binomial(n, d / n, size=(n_resamples, window))
    return _with_tail(table, d / n, d_draws / n, n, horizon_months=horizon_months, tail=tail,
                      tail_fit_months=tail_fit_months, seed=seed, min_at_risk=min_at_risk,
                      n_customers=int(at_risk[0]))


def _with_tail(counts: pd.DataFrame, hazard: np.ndarray, hazard_draws: np.ndarray, at_risk: np.ndarray, *,
               horizon_months: int, tail: str, tail_fit_months: int, seed: int, min_at_risk: int,
               n_customers: int, **weighting) -> SurvivalDraws:
    """A curve from the window's hazards (point and replicates) extended by a tail.

    ``counts`` is the life table the model tails are fitted to; ``at_risk`` (the window's
    at-risk sums) weights the months pooled by the geometric tail, in the point estimate and in
    every replicate.
    """
    window = len(hazard)
    n_resamples = hazard_draws.shape[0]
    tail_months = np.arange(window + 1, max(horizon_months, window) + 1)
    modelled = None if tail == "geometric" else _model_tail(counts, tail, tail_months, n_resamples, seed, min_at_risk)
    if modelled is None:
        fit = slice(max(window - tail_fit_months, 0), window)
        pooled = (hazard[fit] * at_risk[fit]).sum() / at_risk[fit].sum()
        pooled_draws = (hazard_draws[:, fit] * at_risk[fit]).sum(axis=1) / at_risk[fit].sum()
        tail_hazard = np.full(len(tail_months), pooled)
        tail_draws = np.repeat(pooled_draws[:, None], len(tail_months), axis=1)
        label = "geometric" if tail == "geometric" else "geometric (the sBG fit found no heterogeneity)"
    else:
        (tail_hazard, tail_draws), label = modelled, tail
    full = np.concatenate([hazard, tail_hazard])[:horizon_months]
    full_draws = np.concatenate([hazard_draws, tail_draws], axis=1)[:, :horizon_months]
    return SurvivalDraws(full, full_draws, min(window, horizon_months), label, n_customers, **weighting)


def revenue_life_table(tenure_months, churned, revenue) -> pd.DataFrame:
    """Life table of customers and of their monthly revenue, the input of :func:`joint_survival_draws`.

    Parameters
    ----------
    tenure_months, churned : array-like
        As in :func:`cxlab.tenure.event_table`.
    revenue : array-like of float
        Monthly revenue of each customer (finite, >= 0).

    Returns
    -------
    pandas.DataFrame
        :func:`cxlab.tenure.event_table` of the customers (``at_risk``, ``churned``,
        ``censored``, ``hazard``, ``survival``), so it serves wherever a life table does, plus
        per tenure month the revenue of the customers at risk, churned and censored
        (``revenue_at_risk``, ``revenue_churned``, ``revenue_censored``) and the sums of squared
        revenue at risk and churned (``revenue_sq_at_risk``, ``revenue_sq_churned``), which the
        sampling variance of the revenue-weighted hazards needs.

    Examples
    --------
    >>> table = revenue_life_table([1, 2, 2], [1, 0, 1], [10.0, 20.0, 30.0])
    >>> table["revenue_at_risk"].tolist(), table["revenue_churned"].tolist()
    ([60.0, 60.0, 50.0], [0.0, 10.0, 30.0])
    """
    r = np.asarray(revenue, dtype=float)
    if len(r) and (not np.isfinite(r).all() or r.min() < 0):
        raise ValueError("revenue_life_table: revenue must be finite and >= 0 for every customer")
    money = event_table(tenure_months, churned, weights=r)
    squares = event_table(tenure_months, churned, weights=r ** 2)
    return event_table(tenure_months, churned).assign(
        revenue_at_risk=money["at_risk"], revenue_churned=money["churned"], revenue_censored=money["censored"],
        revenue_sq_at_risk=squares["at_risk"], revenue_sq_churned=squares["churned"])


def _joint_covariance(n, d, money, money_churned, squares, squares_churned, n_all, revenue_all, squares_all):
    """Delta-method covariance of (customer hazards, revenue-weighted hazards, mean revenue).

    Customers are the independent units. With ``u, v`` each either 1 (counting customers) or
    the revenue ``r``, ``U_t = sum_{at risk} u``, hazards ``h^u_t = D^u_t / U_t`` and the
    influence of customer ``i`` on ``h^u_t`` equal to ``u_i (d_i(t) - h^u_t) / U_t`` while at risk:

    * same month: ``[P_D (1 - h^u - h^v) + h^u h^v P_R] / (U_t V_t)``,
    * months ``t < s``: ``-h^u_t [P_D(s) - h^v_s P_R(s)] / (U_t V_s)``,
    * with the mean revenue: ``[P^{ur}_D - h^u P^{ur}_R] / (U_t N)``,

    where ``P_R``, ``P_D`` sum ``u v`` over the customers at risk and churned. With ``u = v = 1``
    this is Greenwood's binomial variance and zero covariance between months.
    """
    hc, hw = d / n, money_churned / money
    units = {"c": n, "w": money}
    hazards = {"c": hc, "w": hw}
    # sums of u * v over the customers at risk and churned
    products = {("c", "c"): (n, d), ("c", "w"): (money, money_churned), ("w", "c"): (money, money_churned),
                ("w", "w"): (squares, squares_churned)}
    blocks = {}
    for (u, v), (at_risk, churned) in products.items():
        gap = churned - hazards[v] * at_risk  # P_D(s) - h^v_s P_R(s)
        gap_t = products[(v, u)][1] - hazards[u] * products[(v, u)][0]
        upper = np.triu(np.outer(-hazards[u] / units[u], gap / units[v]), 1)
        lower = np.tril(np.outer(gap_t / units[u], -hazards[v] / units[v]), -1)
        same = (churned * (1 - hazards[u] - hazards[v]) + hazards[u] * hazards[v] * at_risk) / (units[u] * units[v])
        blocks[(u, v)] = upper + lower + np.diag(same)
    with_mean = np.concatenate([(money_churned - hc * money) / (n * n_all),
                                (squares_churned - hw * squares) / (money * n_all)])
    mean = revenue_all / n_all
    size = 2 * len(n) + 1
    cov = np.empty((size, size))
    cov[:-1, :-1] = np.block([[blocks[("c", "c")], blocks[("c", "w")]], [blocks[("w", "c")], blocks[("w", "w")]]])
    cov[:-1, -1] = cov[-1, :-1] = with_mean
    cov[-1, -1] = (squares_all - n_all * mean ** 2) / n_all ** 2
    return cov


def joint_survival_draws(table: pd.DataFrame, *, horizon_months: int, n_resamples: int = 500, seed: int = 0,
                         min_at_risk: int = 30, tail: str = "geometric",
                         tail_fit_months: int = 12) -> tuple[SurvivalDraws, SurvivalDraws]:
    """The survival of customers and of revenue, with replicates drawn jointly.

    The **revenue-weighted** curve counts each customer with their monthly revenue: its hazard
    in month ``t`` is the revenue of the customers who churn in month ``t`` over the revenue of
    those at risk, so ``S_w(t)`` is the share of today's revenue per new customer still paid
    after ``t`` months, ``sum_i r_i S_i(t) / sum_i r_i``. Where high-revenue customers churn
    less, mean revenue x ``S_w`` is the mean over customers of revenue x survival, which mean
    revenue x the customers' curve understates.

    Replicates: the customers' hazards and the revenue-weighted hazards of the Kaplan-Meier
    window, and the mean revenue, are drawn together from a multivariate normal with the
    delta-method covariance over independent customers (a weighted Greenwood variance, the
    covariance between months that weighting introduces, and the covariance between the
    revenue-weighted hazards and the mean revenue; see :func:`_joint_covariance`). Replicate
    ``b`` of both curves therefore comes from the same resampling of customers, as a bootstrap
    of customers would give, without touching customer rows. Hazards are clipped to [0, 1].

    The tails are those of :func:`survival_draws`, fitted to the customers' life table and to
    the revenue-weighted one scaled to Kish's effective number of customers,
    ``(sum r)^2 / sum r^2`` (so that the model's parameter uncertainty reflects how unevenly
    revenue is spread); the geometric tail pools each replicate's own hazards.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`revenue_life_table`.
    horizon_months, n_resamples, seed, min_at_risk, tail, tail_fit_months
        As in :func:`survival_draws` (the window rule counts customers).

    Returns
    -------
    (SurvivalDraws, SurvivalDraws)
        The customers' curve and the revenue-weighted curve (``weighted_by="revenue"``, with
        ``weight_mean`` the mean monthly revenue and ``weight_mean_draws`` its replicates).

    Examples
    --------
    >>> table = revenue_life_table([1, 2, 2, 3, 5, 5, 5, 5], [1, 1, 0, 1, 0, 0, 0, 0],
    ...                            [10, 10, 10, 10, 30, 30, 30, 30])
    >>> customers, revenue = joint_survival_draws(table, horizon_months=24, n_resamples=0, min_at_risk=3)
    >>> round(float(customers.survival(3)), 4), round(float(revenue.survival(3)), 4)
    (0.6, 0.8077)
    """
    missing = [c for c in ("at_risk", "churned", "censored", "revenue_at_risk", "revenue_churned",
                           "revenue_censored", "revenue_sq_at_risk", "revenue_sq_churned") if c not in table.columns]
    if missing:
        raise ValueError(f"joint_survival_draws: the table lacks column(s) {missing}; use revenue_life_table")
    if tail not in TAILS:
        raise ValueError(f"tail must be one of {TAILS}; got {tail!r}")
    if horizon_months < 1 or n_resamples < 0 or tail_fit_months < 1:
        raise ValueError("horizon_months and tail_fit_months must be >= 1 and n_resamples >= 0")
    column = {c: table[c].to_numpy(dtype=float) for c in table.columns if c not in ("hazard", "survival")}
    window = _window_end(np.rint(column["at_risk"]).astype(np.int64), min_at_risk)
    if window < 1:
        raise ValueError(f"joint_survival_draws: fewer than min_at_risk={min_at_risk} customers at risk in month 1")
    if not column["revenue_at_risk"][window] > 0:
        raise ValueError("joint_survival_draws: the customers at risk have no revenue; revenue weighting needs it")
    months = slice(1, window + 1)
    n, d = column["at_risk"][months], column["churned"][months]
    money, money_churned = column["revenue_at_risk"][months], column["revenue_churned"][months]
    n_all, revenue_all, squares_all = column["at_risk"][0], column["revenue_at_risk"][0], \
        column["revenue_sq_at_risk"][0]
    cov = _joint_covariance(n, d, money, money_churned, column["revenue_sq_at_risk"][months],
                            column["revenue_sq_churned"][months], n_all, revenue_all, squares_all)
    values, vectors = np.linalg.eigh(cov)
    root = vectors * np.sqrt(np.clip(values, 0.0, None))
    point = np.concatenate([d / n, money_churned / money, [revenue_all / n_all]])
    draws = point + np.random.default_rng(seed).standard_normal((n_resamples, len(point))) @ root.T
    hazard_draws = np.clip(draws[:, :-1], 0.0, 1.0)
    options = {"horizon_months": horizon_months, "tail": tail, "tail_fit_months": tail_fit_months, "seed": seed,
               "min_at_risk": min_at_risk, "n_customers": int(n_all)}
    customers = _with_tail(table[["at_risk", "churned", "censored"]], point[:window], hazard_draws[:, :window], n,
                           **options)
    effective = revenue_all / squares_all  # scales revenue to Kish's effective number of customers
    weighted_counts = pd.DataFrame({"at_risk": column["revenue_at_risk"] * effective,
                                    "churned": column["revenue_churned"] * effective,
                                    "censored": column["revenue_censored"] * effective}, index=table.index)
    revenue = _with_tail(weighted_counts, point[window:-1], hazard_draws[:, window:], money, **options,
                         weighted_by="revenue", weight_mean=float(point[-1]),
                         weight_mean_draws=np.clip(draws[:, -1], 0.0, None))
    return customers, revenue


def _model_tail(table: pd.DataFrame, tail: str, months: np.ndarray, n_resamples: int, seed: int,
                min_at_risk: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Conditional hazards of a fitted model for the given months, and of its parameter draws.

    None when the sBG fit finds no heterogeneity (a constant churn probability fits best: the
    geometric tail, with a warning).
    """
    tenure = np.concatenate([table.index.to_numpy(), table.index.to_numpy()])
    event = np.repeat([1, 0], len(table))
    weight = np.concatenate([table["churned"].to_numpy(dtype=float), table["censored"].to_numpy(dtype=float)])
    keep = weight > 0
    tenure, event, weight = tenure[keep], event[keep], np.rint(weight[keep])
    edges = np.concatenate([[months[0] - 1], months]) if len(months) else np.empty(0, dtype=int)
    if tail == "sbg":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            model = ShiftedBetaGeometric().fit_from_tenure(tenure, event, weights=weight)
        if not model.converged_:
            warnings.warn("sBG tail: the data show no heterogeneity in churn (a constant churn probability fits "
                          "best), so the geometric tail is used", RuntimeWarning, stacklevel=3)
            return None
        draws = model.sample_parameters(n_resamples, seed=seed)
        point = 1.0 - model.retention_rate(months) if len(months) else np.empty(0)
        drawn = 1.0 - sbg_retention_rate(months, draws[["alpha"]].to_numpy(), draws[["beta"]].to_numpy()) \
            if len(months) else np.empty((n_resamples, 0))
        return point, drawn
    models = ("weibull", "lognormal", "loglogistic") if tail == "best" else (tail,)
    counts = pd.DataFrame({"tenure_months": tenure, "churned": event, "customers": weight})
    fit = fit_parametric(counts, models, weights_col="customers", min_at_risk=min_at_risk)
    if not len(months):
        return np.empty(0), np.empty((n_resamples, 0))
    fitter = fit.fitters_[fit.best_]
    s_model = fitter.survival_function_at_times(edges.astype(float)).to_numpy()
    point = 1.0 - s_model[1:] / s_model[:-1]
    if n_resamples == 0:
        return point, np.empty((0, len(months)))
    s_draws = parametric_survival_draws(fit, edges, model=fit.best_, n_resamples=n_resamples, seed=seed)
    return point, 1.0 - s_draws[:, 1:] / s_draws[:, :-1]
