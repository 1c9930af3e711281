"""Cox proportional-hazards fits from risk-set sums over (tenure x covariate pattern) cells.

One job: the Efron partial likelihood of a Cox model, its gradient, information matrix and score
residuals, computed from *cells* instead of rows. A cell is a set of identical rows: the same
stratum, entry and exit tenure, churn flag, covariate pattern and row weight. With monthly tenure
and categorical covariates a million customers fall into a few thousand cells, so every
Newton-Raphson step costs as much as a few thousand rows.

The fit is exactly the row-level fit (lifelines' ``CoxPHFitter`` and R's ``coxph`` with Efron
ties), because every quantity of the Efron likelihood is a sum over rows:

* at each churn time ``t`` of a stratum, with ``d`` churned rows of total weight ``W``, risk-set
  sums ``R0, R1`` of ``w * exp(x'b)`` (times ``x``) over the rows at risk (``entry < t <= exit``)
  and tie sums ``T0, T1`` over the churned rows, the log-likelihood gains
  ``sum(w x'b over churned rows) - (W / d) * sum_l log(R0 - (l / d) T0)``, ``l = 0 .. d - 1``;
  a cell of ``n`` rows adds ``n`` to ``d`` and ``n`` times its row's terms to the sums;
* the sums over ``l`` enter the gradient and the information only through six scalars per churn
  time (``sum 1/D``, ``sum c/D``, ``sum 1/D^2``, ``sum c/D^2``, ``sum c^2/D^2`` and ``sum log D``
  with ``D = R0 - c T0``, ``c = l / d``), and the second-moment sums ``R2, T2`` only through
  ``X' diag(v) X`` with one weight ``v`` per cell, so no per-time matrix is ever built.

Efron's correction counts churned *rows* (as lifelines and R do): a churned cell standing for ``n``
customers is ``n`` tied churners, which is why the row count of a churned cell must be whole.

Score residuals are R's Efron residuals (``residuals(coxph, "score")``): a churned row's
covariates minus the tie-averaged risk-set mean, minus the row's share of every later risk set,
with the churned rows of a tie counted at ``1 - l / d`` of their weight in the ``l``-th step.
Without tied churn times they equal lifelines' ``robust=True`` residuals exactly; with ties
lifelines takes each churned row's risk set in its row order (so its robust variance depends on
how tied rows happen to be sorted), which no cell-level computation can reproduce. The sandwich
variance sums ``(w r)(w r)'`` over clusters: a cell of ``n`` rows that are each their own cluster
contributes ``n w^2 r r'``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from cxlab.patterns import first_rows, identical_rows

__all__ = ["CoxCells", "CoxConvergenceError", "CoxFit", "cox_cells", "fit_cox_cells"]

# A log hazard ratio per standard deviation of the column, or its standard error, beyond this (a hazard ratio
# beyond e^10 ~ 22,000) means complete separation.
MAX_ABS_LOG_HAZARD_RATIO = 10.0
_NEWTON_DECREMENT_TOLERANCE = 1e-11
# Ties of at most this many churners are summed step by step; larger ones in closed form (see _RiskSets)
ENUMERATED_TIES = 64
_MAX_HALVINGS = 40


class CoxConvergenceError(ValueError):
    """The Newton-Raphson iterations of a Cox fit did not reach the maximum of the partial likelihood."""


@dataclass(frozen=True)
class CoxCells:
    """Rows of a Cox model merged into cells of identical rows.

    Attributes
    ----------
    x : numpy.ndarray
        ``(cells, terms)`` covariate pattern of each cell.
    names : list of str
        Term names (columns of ``x``).
    exit, entry : numpy.ndarray
        Tenure at churn or censoring, and at entry into observation (``-inf`` without late entry).
    event : numpy.ndarray
        Boolean: the cell's rows churned at ``exit``.
    rows : numpy.ndarray
        Number of rows the cell stands for (whole on churned cells).
    weight : numpy.ndarray
        Weight of each of the cell's rows (1 for plain counts).
    stratum : numpy.ndarray
        Integer stratum code of each cell (0 without strata).
    row_cell : numpy.ndarray or None
        Cell of each input row when the cells were built from one row per unit (for clustered
        variances); None when the input rows were already counts.
    """

    x: np.ndarray
    names: list[str]
    exit: np.ndarray
    entry: np.ndarray
    event: np.ndarray
    rows: np.ndarray
    weight: np.ndarray
    stratum: np.ndarray
    row_cell: np.ndarray | None = None

    @property
    def n_cells(self) -> int:
        """Number of cells."""
        return int(self.x.shape[0])

    @property
    def n_rows(self) -> float:
        """Number of rows the cells stand for."""
        return float(self.rows.sum())

    @property
    def n_events(self) -> int:
        """Number of churned rows."""
        return int(round(float(self.rows[self.event].sum())))


def _column(frame: pd.DataFrame, name: str, what: str) -> np.ndarray:
    if name not in frame.columns:
        raise ValueError(f"{what}: column '{name}' not in the frame (have {list(frame.columns)})")
    return frame[name].to_numpy()


def _numeric(frame: pd.DataFrame, name: str, what: str) -> np.ndarray:
    values = pd.to_numeric(pd.Series(_column(frame, name, what)), errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise ValueError(f"{what}: column '{name}' must be a finite number in every row; rows {bad[:10].tolist()}"
                         f"{' ...' if bad.size > 10 else ''} ({bad.size} in all) are not")
    return values


def cox_cells(frame: pd.DataFrame, covariates, *, duration_col: str, event_col: str, entry_col: str | None = None,
              weights_col: str | None = None, counts_col: str | None = None, strata=None) -> CoxCells:
    """Merge the rows of a Cox model into cells of identical rows.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer (or per customer interval), or rows that already stand for several
        customers (``counts_col``); not modified.
    covariates : sequence of str
        Numeric covariate columns (already encoded, e.g. by
        :func:`cxlab.survival.design.build_design`).
    duration_col : str
        Tenure at churn or censoring (exit).
    event_col : str
        1 = churned at exit, 0 = censored.
    entry_col : str, optional
        Tenure at entry into observation (left truncation, or the start of a time-varying
        interval): a row is at risk at ``t`` when ``entry < t <= exit`` (a censored row with
        ``entry == exit`` is never at risk and adds nothing).
    weights_col : str, optional
        Weight of each row (e.g. inverse-probability weights); default 1.
    counts_col : str, optional
        Number of identical rows each row stands for; default 1. Must be whole on churned rows.
    strata : str or sequence of str, optional
        Columns whose levels have their own baseline hazard.

    Returns
    -------
    CoxCells

    Raises
    ------
    ValueError
        Naming the column and rows of a missing column, a value that is not a finite number, an
        event flag other than 0/1, a non-positive weight or count, an exit before the entry (or at
        it on a churned row), or a fractional count on a churned row.

    Examples
    --------
    >>> f = pd.DataFrame({"t": [3, 3, 3, 5], "e": [0, 0, 1, 0], "x": [1.0, 1.0, 1.0, 0.0]})
    >>> cells = cox_cells(f, ["x"], duration_col="t", event_col="e")
    >>> cells.n_cells, sorted(cells.rows.tolist())
    (3, [1.0, 1.0, 2.0])
    """
    what = "Cox model"
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    strata = [strata] if isinstance(strata, str) else list(strata or [])
    n = len(frame)
    columns = [_numeric(frame, c, what) for c in covariates]
    exit_ = _numeric(frame, duration_col, what)
    entry = _numeric(frame, entry_col, what) if entry_col else np.full(n, -np.inf)
    event_values = _column(frame, event_col, what)
    if event_values.dtype.kind not in "biuf":
        event_values = pd.to_numeric(pd.Series(event_values), errors="coerce").to_numpy(dtype=float)
    not_binary = np.flatnonzero((event_values != 0) & (event_values != 1))
    if not_binary.size:
        raise ValueError(f"{what}: '{event_col}' must be 0 (censored) or 1 (churned); rows {not_binary[:10].tolist()} "
                         f"({not_binary.size} in all) are not")
    event = event_values == 1
    weight = _numeric(frame, weights_col, what) if weights_col else np.ones(n)
    rows = _numeric(frame, counts_col, what) if counts_col else np.ones(n)
    for name, values in ((weights_col, weight), (counts_col, rows)):
        bad = np.flatnonzero(values <= 0)
        if bad.size:
            raise ValueError(f"{what}: '{name}' must be positive; rows {bad[:10].tolist()} ({bad.size} in all) are not")
    bad = np.flatnonzero((exit_ < entry) | (event & (exit_ == entry)))
    if bad.size:
        raise ValueError(f"{what}: '{duration_col}' must not be before '{entry_col}', and must be after it on a "
                         f"churned row; rows {bad[:10].tolist()} ({bad.size} in all) are not")
    fractional = np.flatnonzero(event & (np.abs(rows - np.rint(rows)) > 1e-9))
    if fractional.size:
        raise ValueError(
            f"{what}: '{counts_col}' must be a whole number of customers on churned rows; rows "
            f"{fractional[:10].tolist()} ({fractional.size} in all) are not: Efron's tie correction counts churners "
            "one at a time, so a fractional churner has no exact meaning"
        )
    stratum = (frame.groupby(strata, sort=True, dropna=False).ngroup().to_numpy() if strata
               else np.zeros(n, dtype=np.int64))
    given = [values for values, name in ((entry, entry_col), (weight, weights_col), (stratum, strata)) if name]
    row_cell = identical_rows([*columns, exit_, event, *given], n)
    first = first_rows(row_cell)
    x = np.column_stack([c[first] for c in columns]) if columns else np.zeros((first.size, 0))
    return CoxCells(x=x, names=covariates, exit=exit_[first], entry=entry[first], event=event[first],
                    rows=np.bincount(row_cell, weights=rows), weight=weight[first], stratum=stratum[first],
                    row_cell=None if counts_col else row_cell)


class _RiskSets:
    """Where each cell stands among the churn times: everything of the likelihood that does not depend on b."""

    def __init__(self, cells: CoxCells):
        self.cells = cells
        # churn times of each stratum, numbered 0 .. K-1 in (stratum, time) order
        ev = cells.event
        pairs = np.unique(np.column_stack([cells.stratum[ev], cells.exit[ev]]), axis=0)
        self.n_times = len(pairs)
        strata_of_time, times = pairs[:, 0], pairs[:, 1]
        # a cell is at risk at churn times lo <= k < hi of its own stratum: entry < t <= exit
        starts = np.searchsorted(strata_of_time, cells.stratum, side="left")
        ends = np.searchsorted(strata_of_time, cells.stratum, side="right")
        lo = np.empty(cells.n_cells, dtype=np.int64)
        hi = np.empty(cells.n_cells, dtype=np.int64)
        for s in np.unique(cells.stratum):
            in_s = cells.stratum == s
            block = times[starts[in_s][0]:ends[in_s][0]]
            lo[in_s] = starts[in_s][0] + np.searchsorted(block, cells.entry[in_s], side="right")
            hi[in_s] = starts[in_s][0] + np.searchsorted(block, cells.exit[in_s], side="right")
        self.lo, self.hi = lo, np.maximum(hi, lo)
        self.time_of_event_cell = hi[ev] - 1
        self.total = cells.rows * cells.weight  # weight of all the cell's rows
        deaths = cells.rows[ev]
        self.d = np.bincount(self.time_of_event_cell, weights=deaths, minlength=self.n_times)
        self.d_int = np.rint(self.d).astype(np.int64)
        self.W = np.bincount(self.time_of_event_cell, weights=self.total[ev], minlength=self.n_times)
        self.f = self.W / self.d
        self.x_death = (self.total[ev, None] * cells.x[ev]).sum(axis=0)
        self.W_total = float(self.W.sum())
        # Efron steps of the times with few tied churners: one per churned row, with its time and share c = l / d;
        # the times with many use the closed forms of _efron_sums
        self.few = self.d_int <= ENUMERATED_TIES
        counts = np.where(self.few, self.d_int, 0)
        self.step_time = np.repeat(np.arange(self.n_times), counts)
        first_step = np.cumsum(counts) - counts
        self.step_share = (np.arange(self.step_time.size) - first_step[self.step_time]) / self.d[self.step_time]
        self.many = np.flatnonzero(~self.few)

    def _risk_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` (per cell, 1-d or 2-d) over the cells at risk at each churn time."""
        k = self.n_times + 1
        if values.ndim == 1:
            diff = np.bincount(self.lo, weights=values, minlength=k) - np.bincount(self.hi, weights=values, minlength=k)
            return np.cumsum(diff)[:-1]
        return np.column_stack([self._risk_sum(values[:, j]) for j in range(values.shape[1])]).reshape(
            self.n_times, values.shape[1])

    def _tie_sum(self, values: np.ndarray) -> np.ndarray:
        ev = self.cells.event
        if values.ndim == 1:
            return np.bincount(self.time_of_event_cell, weights=values[ev], minlength=self.n_times)
        return np.column_stack([self._tie_sum(values[:, j]) for j in range(values.shape[1])]).reshape(
            self.n_times, values.shape[1])

    def _between(self, prefix_of_times: np.ndarray) -> np.ndarray:
        """Per cell: the sum of a per-time quantity over the churn times at which the cell is at risk."""
        prefix = np.concatenate([np.zeros((1,) + prefix_of_times.shape[1:]), np.cumsum(prefix_of_times, axis=0)])
        return prefix[self.hi] - prefix[self.lo]

    def _efron_sums(self, r0: np.ndarray, t0: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per churn time, over the Efron steps l = 0 .. d-1 with c = l / d and D = r0 - c t0: the sums of
        log D, 1/D, c/D, 1/D^2, c/D^2 and c^2/D^2.

        Times with few tied churners are summed step by step. With many, D = (t0 / d)(u - l) for
        u = d r0 / t0, and the sums over l of log(u - l), 1/(u - l) and 1/(u - l)^2 are differences
        of the log-gamma, digamma and trigamma functions at u + 1 and u - d + 1.
        """
        k, c = self.step_time, self.step_share
        denom = r0[k] - c * t0[k]
        inv = 1.0 / denom
        inv2 = inv * inv

        def per_time(values):
            return np.bincount(k, weights=values, minlength=self.n_times).astype(float)  # float even when empty

        sums = [per_time(np.log(denom)), per_time(inv), per_time(c * inv), per_time(inv2), per_time(c * inv2),
                per_time(c * c * inv2)]
        if self.many.size:
            m = self.many
            d, q = self.d[m], self.d[m] / t0[m]
            u = d * r0[m] / t0[m]
            top, bottom = u + 1, u - d + 1
            s0 = special.digamma(top) - special.digamma(bottom)
            s2 = special.polygamma(1, bottom) - special.polygamma(1, top)
            log_terms = special.gammaln(top) - special.gammaln(bottom)
            sums[0][m] = log_terms - d * np.log(q)
            sums[1][m] = q * s0
            sums[2][m] = q / d * (u * s0 - d)
            sums[3][m] = q * q * s2
            sums[4][m] = q * q / d * (u * s2 - s0)
            sums[5][m] = q * q / (d * d) * (u * u * s2 - 2 * u * s0 + d)
        return tuple(sums)

    def evaluate(self, beta: np.ndarray, *, residuals: bool = False):
        """Log-likelihood, gradient and Hessian at ``beta`` (and the cells' score residuals when asked)."""
        x = self.cells.x
        eta = x @ beta
        shift = float(eta.max()) if eta.size else 0.0
        e = np.exp(eta - shift)
        v = self.total * e
        r0, t0 = self._risk_sum(v), self._tie_sum(v)
        vx = v[:, None] * x
        r1, t1 = self._risk_sum(vx), self._tie_sum(vx)
        if not (np.all(r0 > 0) and np.all(np.isfinite(r0)) and np.all(np.isfinite(r1))):
            raise CoxConvergenceError("Cox model: the risk-set sums overflowed or vanished (the coefficients diverge)")
        log_sum, a, b, s1, s2, s3 = self._efron_sums(r0, t0)
        f = self.f
        log_lik = float(beta @ self.x_death - (f * log_sum).sum() - shift * self.W_total)
        gradient = self.x_death - (f[:, None] * (r1 * a[:, None] - t1 * b[:, None])).sum(axis=0)
        at_risk = self._between(f * a)
        cell_weight = v * at_risk
        ev = self.cells.event
        own = np.zeros(self.cells.n_cells)
        own[ev] = (f * b)[self.time_of_event_cell]
        cell_weight = cell_weight - v * own
        second = x.T @ (cell_weight[:, None] * x)
        fs1, fs2, fs3 = f * s1, f * s2, f * s3
        outer = (r1.T @ (fs1[:, None] * r1) - r1.T @ (fs2[:, None] * t1) - t1.T @ (fs2[:, None] * r1)
                 + t1.T @ (fs3[:, None] * t1))
        hessian = outer - second
        if not residuals:
            return log_lik, gradient, hessian
        # R's Efron score residuals, per row of each cell (unweighted)
        mean_of_tie = (r1 * a[:, None] - t1 * b[:, None]) / self.d[:, None]
        later = self._between(f[:, None] * (r1 * s1[:, None] - t1 * s2[:, None]))
        resid = -e[:, None] * (x * at_risk[:, None] - later)
        te = self.time_of_event_cell
        resid[ev] += x[ev] - mean_of_tie[te]
        resid[ev] += e[ev, None] * f[te, None] * (x[ev] * b[te, None] - (r1 * s2[:, None] - t1 * s3[:, None])[te])
        return log_lik, gradient, hessian, resid


@dataclass
class CoxFit:
    """A Cox model fitted from risk-set sums.

    Attributes
    ----------
    params : pandas.Series
        Log hazard ratios by term.
    variance : pandas.DataFrame
        Their variance matrix (the sandwich when ``robust``).
    naive_variance : pandas.DataFrame
        Inverse of the (penalised) information matrix.
    standard_errors : pandas.Series
    log_likelihood : float
        Partial log-likelihood at ``params`` (minus the penalty when one was given).
    log_likelihood_null : float
        Partial log-likelihood at zero.
    iterations : int
        Newton-Raphson steps taken.
    n_rows, n_cells, n_events : float, int, int
        Rows the cells stand for, cells, churned rows.
    robust : bool
        Whether ``variance`` is the sandwich estimate.
    level : float
        Confidence level of :attr:`summary`.
    """

    params: pd.Series
    variance: pd.DataFrame
    naive_variance: pd.DataFrame
    log_likelihood: float
    log_likelihood_null: float
    iterations: int
    n_rows: float
    n_cells: int
    n_events: int
    robust: bool
    level: float = 0.95

    @property
    def standard_errors(self) -> pd.Series:
        """Standard errors of the log hazard ratios."""
        return pd.Series(np.sqrt(np.diag(self.variance.to_numpy())), index=self.params.index, name="se")

    @property
    def summary(self) -> pd.DataFrame:
        """Per term: coef, se, hazard_ratio, ci_low, ci_high (of the hazard ratio), z, p."""
        se = self.standard_errors
        z = stats.norm.ppf(0.5 + self.level / 2)
        return pd.DataFrame({"coef": self.params, "se": se, "hazard_ratio": np.exp(self.params),
                             "ci_low": np.exp(self.params - z * se), "ci_high": np.exp(self.params + z * se),
                             "z": self.params / se, "p": 2 * stats.norm.sf(np.abs(self.params / se))})


def _check_columns(cells: CoxCells) -> np.ndarray:
    """Weighted standard deviation of each term over the rows; raise when a term is constant."""
    if cells.x.shape[1] == 0:
        raise ValueError("Cox model: no covariate to fit")
    total = cells.rows * cells.weight
    mean = np.average(cells.x, axis=0, weights=total)
    sd = np.sqrt(np.average((cells.x - mean) ** 2, axis=0, weights=total))
    constant = [name for name, s, m in zip(cells.names, sd, mean, strict=True) if s <= 1e-12 * max(1.0, abs(m))]
    if constant:
        raise ValueError(f"Cox model: covariate(s) {constant} take a single value in every row; a constant has no "
                         "hazard ratio (leave it out)")
    if not cells.event.any():
        raise ValueError("Cox model: no row churned, so there is nothing to fit")
    return sd


def fit_cox_cells(cells: CoxCells, *, penalty=None, robust: bool = False, clusters=None, level: float = 0.95,
                  max_steps: int = 100) -> CoxFit:
    """Fit a Cox model (Efron ties) by Newton-Raphson with step halving on cells of identical rows.

    Parameters
    ----------
    cells : CoxCells
        From :func:`cox_cells` (or built by a query engine with the same fields).
    penalty : float or array-like, optional
        L2 penalty ``0.5 * sum(penalty * b ** 2)`` subtracted from the log-likelihood (one value
        per term or one for all). The variance is then the inverse of the penalised information.
    robust : bool
        Sandwich variance from the score residuals (each row its own cluster unless ``clusters``).
    clusters : array-like, optional
        Cluster label of each *row* the cells were built from (needs ``cells.row_cell``); implies
        ``robust``.
    level : float
        Confidence level of the summary's intervals.
    max_steps : int
        Newton-Raphson steps before giving up.

    Returns
    -------
    CoxFit

    Raises
    ------
    ValueError
        When a covariate is constant or nobody churned.
    CoxConvergenceError
        When the iterations do not converge or a hazard ratio runs off to 0 or infinity
        (complete separation), naming the terms.

    Examples
    --------
    >>> from lifelines.datasets import load_rossi
    >>> cells = cox_cells(load_rossi(), ["fin", "age", "prio"], duration_col="week", event_col="arrest")
    >>> round(float(fit_cox_cells(cells).params["prio"]), 4)
    0.0969
    """
    sd = _check_columns(cells)
    p = cells.x.shape[1]
    ridge = np.zeros(p) if penalty is None else np.broadcast_to(np.asarray(penalty, dtype=float), (p,)).copy()
    # centring changes neither the likelihood nor its derivatives, only the rounding
    total = cells.rows * cells.weight
    centred = CoxCells(x=cells.x - np.average(cells.x, axis=0, weights=total), names=cells.names, exit=cells.exit,
                       entry=cells.entry, event=cells.event, rows=cells.rows, weight=cells.weight,
                       stratum=cells.stratum, row_cell=cells.row_cell)
    sets = _RiskSets(centred)

    def objective(beta):
        ll, g, h = sets.evaluate(beta)
        return ll - 0.5 * float(ridge @ beta**2), g - ridge * beta, h - np.diag(ridge)

    beta = np.zeros(p)
    ll, g, h = objective(beta)
    ll_null = ll
    converged = False
    for step in range(1, max_steps + 1):
        try:
            delta = np.linalg.solve(-h, g)
        except np.linalg.LinAlgError as error:
            raise CoxConvergenceError(f"Cox model: the information matrix is singular ({error}); two covariates "
                                      f"among {cells.names} may be collinear") from error
        decrement = float(g @ delta) / 2
        scale = 1.0
        for _ in range(_MAX_HALVINGS):
            try:
                trial = objective(beta + scale * delta)
            except CoxConvergenceError:
                trial = None
            if trial is not None and np.isfinite(trial[0]) and trial[0] >= ll - 1e-12 * abs(ll):
                break
            scale /= 2
        else:
            coefficients = dict(zip(cells.names, np.round(beta, 4).tolist(), strict=True))
            raise CoxConvergenceError(f"Cox model: no step along the Newton direction increases the partial "
                                      f"likelihood after {step} steps (coefficients {coefficients})")
        beta = beta + scale * delta
        ll, g, h = trial
        if decrement < _NEWTON_DECREMENT_TOLERANCE and scale == 1.0:
            converged = True
            break
    if not converged:
        raise CoxConvergenceError(f"Cox model: Newton-Raphson did not converge in {max_steps} steps "
                                  f"(last gain in log-likelihood {decrement:.3g})")
    naive = np.linalg.inv(-h)
    # a separated term converges in likelihood with its coefficient far out and no information left about it
    runaway = [name for name, b, s, v in zip(cells.names, beta, sd, np.diag(naive), strict=True)
               if abs(b * s) > MAX_ABS_LOG_HAZARD_RATIO or not v >= 0 or np.sqrt(v) * s > MAX_ABS_LOG_HAZARD_RATIO]
    if runaway:
        raise CoxConvergenceError(f"Cox model: complete separation: the hazard ratio of {runaway} runs off to 0 or "
                                  "infinity (nobody or everybody with that value churns)")
    variance = naive
    if robust or clusters is not None:
        resid = sets.evaluate(beta, residuals=True)[3] * cells.weight[:, None]
        if clusters is not None:
            if cells.row_cell is None:
                raise ValueError("Cox model: clusters need cells built from one row per unit (cox_cells without "
                                 "counts_col keeps which row is in which cell)")
            codes = pd.factorize(pd.Series(clusters))[0]
            if codes.size != cells.row_cell.size:
                raise ValueError(f"Cox model: {codes.size} cluster labels for {cells.row_cell.size} rows")
            per_row = resid[cells.row_cell]
            scores = np.column_stack([np.bincount(codes, weights=per_row[:, j]) for j in range(p)])
            meat = scores.T @ scores
        else:
            meat = resid.T @ (cells.rows[:, None] * resid)
        variance = naive @ meat @ naive
    index = pd.Index(cells.names, name="term")
    return CoxFit(params=pd.Series(beta, index=index, name="coef"),
                  variance=pd.DataFrame(variance, index=index, columns=index),
                  naive_variance=pd.DataFrame(naive, index=index, columns=index),
                  log_likelihood=float(ll), log_likelihood_null=float(ll_null), iterations=step,
                  n_rows=cells.n_rows, n_cells=cells.n_cells, n_events=cells.n_events,
                  robust=bool(robust or clusters is not None), level=level)
