"""The key-driver model: a robust regression (or logistic model) with importances, performance and
the importance-vs-performance chart."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import seaborn as sns
import statsmodels.api as sm
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel

from cxlab.drivers.importance import (
    EXACT_DOMINANCE_MAX,
    IMPORTANCE_METHODS,
    IMPORTANCE_NAMES,
    MAX_DRIVERS,
    MISSING_RULES,
    OUTCOME_KINDS,
    _bootstrap_covariances,
    _bootstrap_pairwise_covariances,
    _resolve_kind,
    bootstrap_importance,
    importance_weights,
    pairwise_covariance,
)

__all__ = ["KeyDriverAnalysis", "key_drivers"]


class KeyDriverAnalysis:
    """Key-driver model: robust regression coefficients plus dominance-based importance.

    Parameters
    ----------
    outcome_kind : {"auto", "continuous", "binary", "ordinal"}
        ``"auto"`` treats a 0/1 (or boolean) outcome as binary and anything else as continuous.
    missing : {"impute_mean", "drop", "pairwise"}
        ``"impute_mean"`` replaces a missing driver value by the driver's mean (a customer who did
        not use a touchpoint is treated as average there, which keeps everyone in the model but
        pulls the coefficients of sparsely observed, correlated drivers towards each other);
        ``"drop"`` keeps only rows with every driver observed. ``"pairwise"`` (continuous outcomes)
        estimates every covariance from the rows where both variables are observed and solves the
        regression and the dominance decomposition from that matrix; its standard errors come
        from a seeded bootstrap (over ``cluster_col`` groups when given). It is the method of choice
        when each respondent rated only some touchpoints, as in survey data joined over time.
        Rows with no driver observed at all and rows with a missing outcome are always left out.
    importance : {"auto", "dominance", "relative_weights"}
        How the R² is shared among the drivers: exact general dominance, Johnson's relative
        weights, or ``"auto"``: dominance up to :data:`EXACT_DOMINANCE_MAX` drivers, relative
        weights above (dominance enumerates 2^p subsets; it is allowed up to :data:`MAX_DRIVERS`).
    level : float
        Confidence level of the coefficient and importance intervals.
    n_resamples : int
        Bootstrap resamples of the importance intervals (and of the coefficients' errors for
        ``missing="pairwise"``); over ``cluster_col`` groups when given, else over rows.
    seed : int
        Bootstrap seed.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per driver, by importance rank: ``driver``, ``coefficient`` (per driver unit on the
        outcome scale; log-odds for binary/ordinal), ``robust_se``, ``ci_low``, ``ci_high``,
        ``p_value``, ``importance`` (general dominance weight, R² units), ``importance_share``
        (% of the model R², sums to 100), ``rank``, ``mean_performance`` (mean observed driver
        value), ``n`` (rows where the driver was observed), the percentile bootstrap intervals
        ``importance_ci_low``/``_high``, ``importance_share_ci_low``/``_high`` and
        ``rank_ci_low``/``_high``, and ``method`` (the importance method, in words).
    r2_ : float
        R² that the importance weights decompose (see ``importance_basis_``).
    n_ : int
        Rows used in the model.
    dropped_ : dict
        Drivers left out, with the reason (all missing / constant).
    outcome_kind_, importance_basis_, cov_type_ : str
        What was fitted and how: robust errors are HC3 (OLS) or HC0 (Logit, ordered logit), or
        cluster-robust when ``cluster_col`` is given, or bootstrap for ``missing="pairwise"``.
    importance_method_ : str
        ``"dominance"`` or ``"relative_weights"``.
    bootstrap_importance_ : pandas.DataFrame
        Importance of each driver (columns) in each resample (rows).
    model_ : statsmodels results or None
        The fitted regression (None for ``missing="pairwise"``, which has
        ``bootstrap_coefficients_`` instead).
    """

    def __init__(
        self,
        *,
        outcome_kind: str = "auto",
        missing: str = "impute_mean",
        importance: str = "auto",
        level: float = 0.95,
        n_resamples: int = 500,
        seed: int = 0,
    ):
        if importance not in IMPORTANCE_METHODS:
            raise ValueError(f"importance must be one of {IMPORTANCE_METHODS}, got {importance!r}")
        if outcome_kind not in OUTCOME_KINDS:
            raise ValueError(f"outcome_kind must be one of {OUTCOME_KINDS}, got {outcome_kind!r}")
        if missing not in MISSING_RULES:
            raise ValueError(f"missing must be one of {MISSING_RULES}, got {missing!r}")
        if not 0 < level < 1:
            raise ValueError(f"level must be between 0 and 1, got {level}")
        if n_resamples < 50:
            raise ValueError(f"n_resamples must be at least 50, got {n_resamples}")
        self.outcome_kind = outcome_kind
        self.missing = missing
        self.importance = importance
        self.level = level
        self.n_resamples = n_resamples
        self.seed = seed

    def fit(
        self,
        frame: pd.DataFrame,
        *,
        outcome: str = "nps",
        drivers: list[str] | None = None,
        cluster_col: str | None = None,
        performance_label: str = "Mean driver score",
    ) -> KeyDriverAnalysis:
        """Fit the regression and the dominance decomposition.

        Parameters
        ----------
        frame : pandas.DataFrame
            One row per respondent; not modified.
        outcome : str
            Outcome column (NPS 0-10, a rating, or a 0/1 / boolean flag).
        drivers : list of str, optional
            Driver columns; default every numeric column except the outcome.
        cluster_col : str, optional
            Column identifying who answered (e.g. ``customer_id``): standard errors then allow for
            one customer's answers being alike (cluster-robust, or resampling whole customers).
        performance_label : str
            Axis label for the driver scale in :meth:`plot_importance_performance`,
            e.g. ``"Mean CSAT (1-5)"``.

        Returns
        -------
        KeyDriverAnalysis
            self, fitted.
        """
        if outcome not in frame.columns:
            raise ValueError(
                f"key_drivers: outcome column {outcome!r} not in the table (have {list(frame.columns)})"
            )
        if cluster_col is not None and cluster_col not in frame.columns:
            raise ValueError(f"key_drivers: cluster column {cluster_col!r} not in the table")
        if drivers is None:
            drivers = [c for c in frame.select_dtypes(include=["number", "bool"]).columns if c != outcome]
        absent = [d for d in drivers if d not in frame.columns]
        if absent:
            raise ValueError(f"key_drivers: driver column(s) {absent} not in the table")
        if outcome in drivers:
            raise ValueError(f"key_drivers: the outcome {outcome!r} cannot also be a driver")
        try:
            data = frame[[outcome, *drivers]].astype(float)
        except (TypeError, ValueError) as err:
            raise ValueError(f"key_drivers: outcome and drivers must be numeric ({err})") from err
        data = data[data[outcome].notna()]

        self.dropped_ = {}
        for d in drivers:
            observed = data[d].dropna()
            if observed.empty:
                self.dropped_[d] = "all values missing"
            elif observed.nunique() == 1:
                self.dropped_[d] = "constant"
        kept = [d for d in drivers if d not in self.dropped_]
        if not kept:
            raise ValueError(f"key_drivers: no usable driver (dropped: {self.dropped_})")
        self.importance_method_ = self._importance_method(len(kept))
        data = data[data[kept].notna().any(axis=1)]
        if self.missing == "drop":
            data = data.dropna(subset=kept)
        observed_n = data[kept].notna().sum()
        performance = data[kept].mean()
        x = data[kept].fillna(performance)
        y = data[outcome]
        if len(data) <= len(kept) + 1:
            raise ValueError(f"key_drivers: {len(data)} usable rows for {len(kept)} drivers; need more rows")
        self.outcome_kind_ = _resolve_kind(y, self.outcome_kind)
        clusters = pd.factorize(frame.loc[data.index, cluster_col])[0] if cluster_col else None
        groups = np.arange(len(data)) if clusters is None else clusters

        if self.missing == "pairwise":
            if self.outcome_kind_ != "continuous":
                raise ValueError(
                    "key_drivers: missing='pairwise' is a linear-model method for a continuous "
                    f"outcome; use 'impute_mean' or 'drop' for a {self.outcome_kind_} outcome"
                )
            coef, se, importance, draws = self._fit_pairwise(data[[outcome, *kept]], groups)
            z = stats.norm.ppf(0.5 + self.level / 2)
            ci_low, ci_high = coef - z * se, coef + z * se
            p_value = 2 * stats.norm.sf(np.abs(coef / se))
            self.model_ = None
            self.cov_type_ = f"{'cluster ' if cluster_col else ''}bootstrap ({self.n_resamples} resamples)"
        else:
            exog = sm.add_constant(x, has_constant="add")
            robust = (
                {"cov_type": "cluster", "cov_kwds": {"groups": clusters}}
                if cluster_col
                else {"cov_type": "HC3" if self.outcome_kind_ == "continuous" else "HC0"}
            )
            if self.outcome_kind_ == "continuous":
                self.model_ = sm.OLS(y, exog).fit(**robust)
            elif self.outcome_kind_ == "binary":
                self.model_ = sm.Logit(y, exog).fit(disp=0, **robust)
            else:
                self.model_ = OrderedModel(y, x, distr="logit").fit(
                    method="bfgs", disp=0, maxiter=500, **robust
                )
            self.cov_type_ = f"cluster-robust by {cluster_col}" if cluster_col else robust["cov_type"]
            ci = self.model_.conf_int(alpha=1 - self.level)
            coef, se = self.model_.params[kept].to_numpy(), self.model_.bse[kept].to_numpy()
            ci_low, ci_high = ci.loc[kept, 0].to_numpy(), ci.loc[kept, 1].to_numpy()
            p_value = self.model_.pvalues[kept].to_numpy()
            values = np.column_stack([y.to_numpy(), x.to_numpy()])
            importance = importance_weights(np.corrcoef(values, rowvar=False), self.importance_method_)
            draws = importance_weights(_bootstrap_covariances(values, groups, self.n_resamples, self.seed),
                                       self.importance_method_)
        self.importance_basis_ = {
            "continuous": "R² of the linear model"
            + (" on pairwise-complete covariances" if self.missing == "pairwise" else ""),
            "binary": "R² of the linear probability model (OLS on the 0/1 outcome)",
            "ordinal": "R² of OLS on the ordinal scores",
        }[self.outcome_kind_]
        self.r2_ = float(importance.sum())
        table = pd.DataFrame(
            {
                "driver": kept,
                "coefficient": coef,
                "robust_se": se,
                "ci_low": ci_low,
                "ci_high": ci_high,
                "p_value": p_value,
                "importance": importance,
                "importance_share": 100 * importance / self.r2_ if self.r2_ > 0 else np.nan,
                "mean_performance": performance.to_numpy(),
                "n": observed_n.to_numpy().astype(int),
            }
        )
        table["rank"] = stats.rankdata(-table["importance"], method="min").astype(int)
        table = table.join(bootstrap_importance(importance, draws, self.level))
        table["method"] = IMPORTANCE_NAMES[self.importance_method_]
        self.bootstrap_importance_ = pd.DataFrame(draws, columns=kept)
        self._summary = table.sort_values("rank").reset_index(drop=True)[
            [
                "driver",
                "coefficient",
                "robust_se",
                "ci_low",
                "ci_high",
                "p_value",
                "importance",
                "importance_share",
                "importance_ci_low",
                "importance_ci_high",
                "importance_share_ci_low",
                "importance_share_ci_high",
                "rank",
                "rank_ci_low",
                "rank_ci_high",
                "mean_performance",
                "n",
                "method",
            ]
        ]
        self.n_ = int(len(data))
        self.outcome_ = outcome
        self.performance_label_ = performance_label
        return self

    def _importance_method(self, n_drivers: int) -> str:
        if self.importance == "auto":
            return "dominance" if n_drivers <= EXACT_DOMINANCE_MAX else "relative_weights"
        if self.importance == "dominance" and n_drivers > MAX_DRIVERS:
            raise ValueError(f"key_drivers: exact dominance takes at most {MAX_DRIVERS} drivers (2^p subsets), "
                             f"got {n_drivers}; use importance='relative_weights' or 'auto'")
        return self.importance

    def _fit_pairwise(self, data: pd.DataFrame, groups: np.ndarray):
        """Coefficients and importance from pairwise-complete covariances, with bootstrap draws of both."""
        values = data.to_numpy(dtype=float)
        cov, counts = pairwise_covariance(values)
        fewest = int(counts.min())
        if fewest < data.shape[1] + 2:
            raise ValueError(
                f"key_drivers: some pair of columns is observed together in only {fewest} rows; "
                "use missing='impute_mean'"
            )
        coef = np.linalg.solve(cov[1:, 1:], cov[1:, 0])
        importance = importance_weights(cov, self.importance_method_)
        resampled = _bootstrap_pairwise_covariances(values, groups, self.n_resamples, self.seed)
        draws = np.stack([np.linalg.lstsq(c[1:, 1:], c[1:, 0], rcond=None)[0] for c in resampled])
        self.bootstrap_coefficients_ = pd.DataFrame(draws, columns=data.columns[1:])
        return coef, draws.std(axis=0, ddof=1), importance, importance_weights(resampled, self.importance_method_)

    @property
    def summary(self) -> pd.DataFrame:
        """Driver table (see the class docstring); a copy."""
        if not hasattr(self, "_summary"):
            raise ValueError("KeyDriverAnalysis: call fit() first")
        return self._summary.copy()

    def plot_importance_performance(self, ax=None, *, title: str | None = None):
        """Importance-vs-performance quadrant chart.

        Each driver is a labelled point: horizontal position = mean performance on the driver's
        scale, vertical = share of explained variance (%). Dashed lines at the average performance
        and the average share split the chart into quadrants; the top-left quadrant (important,
        below-average performance) is where improvement pays most.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when omitted.
        title : str, optional
            Chart title; default names the outcome and the number of answers.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        table = self.summary
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 5))
        sns.scatterplot(data=table, x="mean_performance", y="importance_share", s=70, ax=ax, color="tab:blue")
        # Labels alternate above and below their point (by rank) so that neighbours overlap less.
        for row in table.itertuples():
            ax.annotate(
                row.driver.replace("_", " "),
                (row.mean_performance, row.importance_share),
                xytext=(5, 4 if row.rank % 2 else -11),
                textcoords="offset points",
                fontsize=9,
            )
        ax.axvline(table["mean_performance"].mean(), color="grey", ls="--", lw=1)
        ax.axhline(table["importance_share"].mean(), color="grey", ls="--", lw=1)
        ax.set_xlabel(self.performance_label_)
        ax.set_ylabel(f"Importance (% of explained variance, R² = {self.r2_:.2f})")
        ax.margins(x=0.15, y=0.12)
        ax.set_title(title or f"Key drivers of {self.outcome_}: importance vs performance (n = {self.n_:,})")
        return ax

    def _repr_html_(self) -> str:
        if not hasattr(self, "_summary"):
            return "<p>KeyDriverAnalysis (not fitted)</p>"
        head = (
            f"<p>Key drivers of <b>{html.escape(self.outcome_)}</b> ({self.outcome_kind_}, "
            f"{self.cov_type_} robust errors), n = {self.n_:,}; importance "
            f"({html.escape(IMPORTANCE_NAMES[self.importance_method_])}) decomposes "
            f"{html.escape(self.importance_basis_)} = {self.r2_:.3f}.</p>"
        )
        if self.dropped_:
            head += (
                "<p>Dropped: "
                + html.escape(", ".join(f"{k} ({v})" for k, v in self.dropped_.items()))
                + "</p>"
            )
        return head + self._summary.to_html(index=False, escape=True, float_format=lambda v: f"{v:.3g}")


def key_drivers(
    frame: pd.DataFrame,
    *,
    outcome: str = "nps",
    drivers: list[str] | None = None,
    outcome_kind: str = "auto",
    missing: str = "impute_mean",
    importance: str = "auto",
    cluster_col: str | None = None,
    level: float = 0.95,
    n_resamples: int = 500,
    seed: int = 0,
    performance_label: str = "Mean driver score",
) -> KeyDriverAnalysis:
    """Fit a :class:`KeyDriverAnalysis` in one call.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent (e.g. from :func:`driver_frame`); not modified.
    outcome : str
        Outcome column: NPS 0-10, a 1-5 rating, or a 0/1 satisfied flag.
    drivers : list of str, optional
        Driver columns; default every numeric column except the outcome.
    outcome_kind : {"auto", "continuous", "binary", "ordinal"}
        Model family (see :class:`KeyDriverAnalysis`).
    missing : {"impute_mean", "drop", "pairwise"}
        Treatment of missing driver values (see :class:`KeyDriverAnalysis`).
    importance : {"auto", "dominance", "relative_weights"}
        Importance method (see :class:`KeyDriverAnalysis`); any number of drivers with
        relative weights.
    cluster_col : str, optional
        Column identifying the respondent, for errors that allow repeated answers per customer.
    level : float
        Confidence level of the coefficient and importance intervals.
    n_resamples, seed : int
        Bootstrap settings of the importance intervals (and of ``missing="pairwise"``).
    performance_label : str
        Axis label of the driver scale in the importance-performance chart.

    Returns
    -------
    KeyDriverAnalysis
        Fitted; see its ``summary``, ``r2_``, ``n_``, ``dropped_``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(rng.normal(size=(200, 2)), columns=["a", "b"])
    >>> df["y"] = 2 * df["a"] + df["b"] + rng.normal(size=200)
    >>> key_drivers(df, outcome="y").summary["driver"].tolist()
    ['a', 'b']
    """
    return KeyDriverAnalysis(
        outcome_kind=outcome_kind, missing=missing, importance=importance, level=level, n_resamples=n_resamples,
        seed=seed,
    ).fit(
        frame, outcome=outcome, drivers=drivers, cluster_col=cluster_col, performance_label=performance_label
    )
