"""Cox proportional-hazards models of churn with readable hazard ratios and a robust fallback.

:class:`ChurnCox` fits one row per customer (or a landmark frame); :class:`TimeVaryingChurnCox`
a start/stop frame. Both:

* encode covariates with explicit reference levels (:func:`cxlab.survival.design.build_design`),
  dropping constant and perfectly collinear columns with a note in ``warnings_``;
* fit the partial likelihood from risk-set sums over cells of identical rows (tenure x covariate
  pattern, :mod:`cxlab.survival.risk_sets`): the estimates, standard errors and log-likelihood of
  lifelines' ``CoxPHFitter`` / ``CoxTimeVaryingFitter`` and R's ``coxph`` on one row per
  customer, at the cost of a few thousand cells instead of a million rows. A row of an aggregated
  frame standing for ``w`` customers (``weights_col``) counts as ``w`` customers, churned ones
  as ``w`` tied churners;
* use Efron's method for tied churn months, as R's ``survival::coxph`` does;
* refit with an L2 penalty (``fallback_penalizer``) when the unpenalised fit does not converge
  or shows complete separation (a hazard ratio running off to 0 or infinity), and say so in
  ``warnings_`` instead of failing. Penalised hazard ratios are shrunk towards 1 and their
  intervals are approximate. The penalty is lifelines' (``penalizer`` times the number of
  customers times half the sum of squared coefficients per standard deviation of their column).
"""

from __future__ import annotations

import copy
import html
from collections.abc import Iterator

import numpy as np
import pandas as pd

from cxlab.patterns import first_rows, identical_rows
from cxlab.survival.design import Design, build_design
from cxlab.survival.ph_test import schoenfeld_test
from cxlab.survival.risk_sets import CoxConvergenceError, CoxFit, cox_cells, fit_cox_cells
from cxlab.survival.wording import format_p, hazard_ratio_sentence, term_label

__all__ = ["HAZARD_RATIO_COLUMNS", "WEIGHT", "ChurnCox", "TimeVaryingChurnCox", "fit_cox", "fit_time_varying_cox"]

HAZARD_RATIO_COLUMNS = ["covariate", "level", "reference", "hazard_ratio", "ci_low", "ci_high", "p",
                        "coef", "se", "n", "events", "sentence"]
WEIGHT = "__customers"
_CAUSE = "__cause"  # the cause of each churned row, among the keys of identical rows of fit_by_cause


def _require(frame: pd.DataFrame, columns, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: column(s) {missing} not in the frame (have {list(frame.columns)})")


def _check_events(values: pd.Series, event_col: str) -> None:
    if values.isna().any() or not values.isin([0, 1]).all():
        raise ValueError(f"'{event_col}' must be 0 (censored) or 1 (churned) in every row")


class _ChurnCoxBase:
    """Shared encoding, fallback and reporting of the two churn Cox models."""

    _what = "Cox model"

    def __init__(self, covariates=None, *, baseline: dict | None = None, labels: dict | None = None,
                 penalizer: float = 0.0, fallback_penalizer: float = 0.1, level: float = 0.95):
        self.covariates = covariates
        self.baseline = baseline
        self.labels = labels
        self.penalizer = penalizer
        self.fallback_penalizer = fallback_penalizer
        self.level = level

    def _time_columns(self) -> tuple[str, str | None]:
        """The exit and entry columns of the fitted frame."""
        raise NotImplementedError

    # -- shared machinery ----------------------------------------------------------------------------
    def _covariates(self, frame: pd.DataFrame) -> list[str]:
        covariates = self.covariates if self.covariates is not None else frame.attrs.get("covariates")
        if covariates is None:
            raise ValueError(f"{self._what}: pass covariates=[...] (the frame does not list them in attrs)")
        if isinstance(covariates, str):
            covariates = [covariates]
        return list(covariates)

    def _prepare(self, frame: pd.DataFrame, time_cols: list[str], event_col: str, weights_col: str | None,
                 strata: list[str], split: tuple[str, ...] = ()) -> pd.DataFrame:
        covariates = self._covariates(frame)
        _require(frame, [*time_cols, event_col, *covariates, *strata] + ([weights_col] if weights_col else []),
                 self._what)
        _check_events(frame[event_col], event_col)
        weights = frame[weights_col].astype(float) if weights_col else pd.Series(1.0, index=frame.index)
        if (weights <= 0).any():
            raise ValueError(f"'{weights_col}' must be positive frequency weights")
        churned = frame[event_col].to_numpy() == 1
        fractional = np.flatnonzero(churned & (np.abs(weights - np.rint(weights)) > 1e-9).to_numpy())
        if fractional.size:
            raise ValueError(
                f"'{weights_col}' must be a whole number of customers on churned rows ({fractional.size} churned "
                f"row(s) have a fractional weight, e.g. rows {fractional[:5].tolist()}): Efron's tie correction "
                "counts churners one at a time, so a fractional weight on a churned row has no exact meaning. Pass "
                "one row per customer or whole frequency weights."
            )
        # aggregate first: identical rows (times, churn, covariate values, strata) become one row with their count
        keys = list(dict.fromkeys([*time_cols, event_col, *covariates, *strata, *split]))
        self._row_group = identical_rows([frame[c] for c in keys], len(frame))
        first = first_rows(self._row_group)
        compact = frame[keys].iloc[first].reset_index(drop=True)
        compact_weights = pd.Series(np.bincount(self._row_group, weights=weights.to_numpy()))
        design = build_design(compact, covariates, baseline=self.baseline, weights=compact_weights)
        self.design_: Design = design
        self.warnings_: list[str] = list(design.notes)
        if frame.attrs.get("look_ahead"):
            self.warnings_.append(
                "The covariates use answers given after the start of follow-up (no landmark): customers who "
                "stay longer have more chances to answer, so these hazard ratios are descriptive. Use a "
                "landmark frame or the time-varying model for effects on future churn."
            )
        self.dropped_terms_ = list(design.dropped)
        if design.matrix.shape[1] == 0:
            raise ValueError(f"{self._what}: no covariate is left to fit ({'; '.join(design.notes)})")
        data = design.matrix.copy()
        for col in [*time_cols, *strata, *split]:
            data[col] = compact[col].to_numpy()
        data[event_col] = compact[event_col].to_numpy(dtype=int)
        data[WEIGHT] = compact_weights.to_numpy()
        self.n_rows_ = len(frame)
        self.n_events_ = int(round(float((data[WEIGHT] * data[event_col]).sum())))
        w = compact_weights.to_numpy(dtype=float)
        x = design.matrix.to_numpy(dtype=float)
        mean = np.average(x, axis=0, weights=w)
        self._column_variance = (w[:, None] * (x - mean) ** 2).sum(axis=0) / (w.sum() - 1)
        self._customers = float(w.sum())
        return data

    def _prepared(self, frame: pd.DataFrame, split: tuple[str, ...] = (), **arguments
                  ) -> tuple[pd.DataFrame, pd.Series]:
        """The compact rows to fit and the customers of each term (``n``), before any fit."""
        raise NotImplementedError

    def _fit_prepared(self, data: pd.DataFrame, sizes: pd.Series):
        self.model_ = self._fit_with_fallback(self._cells(data))
        self._data = data
        self._summarise(data, sizes, self.event_col_)
        return self

    def fit_by_cause(self, frame: pd.DataFrame, cause_col: str, *, min_events: int = 10,
                     **arguments) -> Iterator[tuple[object, _ChurnCoxBase]]:
        """One model per cause of churn (cause-specific hazards), the rows prepared once for all.

        For each cause, churn for any other cause is censoring: the risk sets are those of the
        all-cause model and only the churn events differ. So the rows are merged and the covariates
        encoded once, with the cause among the keys of identical rows, and each cause's model is
        fitted on those rows with its own events. Each model equals ``fit`` on the frame with the
        event set on that cause's churned rows only.

        Parameters
        ----------
        frame : pandas.DataFrame
            The frame ``fit`` takes; not modified.
        cause_col : str
            The cause of each churned row (missing: a churn of no known cause, which censors in
            every model); read on churned rows only.
        min_events : int
            Causes with fewer churned rows get no model.
        **arguments
            The arguments of ``fit`` (``event_col``, the time columns, ``strata``, ...).

        Yields
        ------
        tuple of (cause, model)
            The causes in the order of their values, each with a fitted copy of this model; this
            model is left unfitted.
        """
        event_col = arguments.get("event_col", "churned")
        _require(frame, [cause_col, event_col], self._what)
        codes, names = pd.factorize(frame[cause_col])
        split = frame.copy(deep=False)  # one column added; the frame's own are shared, not copied
        split[_CAUSE] = np.where(frame[event_col].to_numpy() == 1, codes, -1)
        base = copy.copy(self)
        data, sizes = base._prepared(split, split=(_CAUSE,), **arguments)
        cause, customers = data[_CAUSE].to_numpy(), data[WEIGHT].to_numpy()
        churned = cause >= 0
        events = np.bincount(cause[churned], weights=customers[churned], minlength=len(names))
        for code in sorted(np.flatnonzero(events >= max(min_events, 1)), key=lambda code: names[code]):
            model = copy.copy(base)
            model.warnings_ = list(base.warnings_)  # each fit may add its own note of a penalty
            rows = data.copy(deep=False)
            rows[event_col] = (cause == code).astype(int)
            model.n_events_ = int(round(float(events[code])))
            yield names[code], model._fit_prepared(rows, sizes)

    def _cells(self, data: pd.DataFrame):
        exit_col, entry_col = self._time_columns()
        cells = cox_cells(data, list(self.design_.matrix.columns), duration_col=exit_col, event_col=self.event_col_,
                          entry_col=entry_col, counts_col=WEIGHT, strata=self.strata_ or None)
        self.n_rows_fitted_ = cells.n_cells
        return cells

    def _fit_with_fallback(self, cells) -> CoxFit:
        penalizers = [self.penalizer] + ([self.fallback_penalizer] if self.fallback_penalizer > self.penalizer
                                         else [])
        reason = ""
        for penalizer in penalizers:
            # lifelines' penalty on one row per customer: customers * penalizer * 0.5 * sum((b * sd) ** 2)
            ridge = penalizer * self._customers * self._column_variance if penalizer else None
            try:
                fit = fit_cox_cells(cells, penalty=ridge, level=self.level)
            except CoxConvergenceError as error:
                reason = str(error).removeprefix("Cox model: ")
                continue
            if penalizer != self.penalizer:
                self.warnings_.append(
                    f"The unpenalised fit could not be trusted ({reason}); the model was refitted with an "
                    f"L2 penalty of {penalizer:g}, which shrinks hazard ratios towards 1 (intervals are "
                    f"approximate)."
                )
            self.penalizer_ = penalizer
            return fit
        raise ValueError(f"{self._what}: the fit failed even with an L2 penalty of {penalizers[-1]:g}: {reason}")

    def _summarise(self, data: pd.DataFrame, group_sizes: pd.Series, event_col: str) -> None:
        z = self.model_.summary
        rows = []
        for name, term in self.design_.terms.items():
            in_term = data[name] != 0 if term.kind != "numeric" else pd.Series(True, index=data.index)
            hr, lo, hi = (float(z.loc[name, c]) for c in ("hazard_ratio", "ci_low", "ci_high"))
            rows.append({
                "term": name, "covariate": term.covariate, "level": term.level, "reference": term.reference,
                "hazard_ratio": hr, "ci_low": lo, "ci_high": hi, "p": float(z.loc[name, "p"]),
                "coef": float(z.loc[name, "coef"]), "se": float(z.loc[name, "se"]),
                "n": int(group_sizes[name]),
                "events": int(round(float((data.loc[in_term, WEIGHT] * data.loc[in_term, event_col]).sum()))),
                "sentence": hazard_ratio_sentence(term, hr, lo, hi, labels=self.labels, level=self.level),
            })
        self.hazard_ratios_ = pd.DataFrame(rows, columns=["term", *HAZARD_RATIO_COLUMNS]).set_index("term")
        self.log_likelihood_ = float(self.model_.log_likelihood)

    @property
    def summary(self) -> pd.DataFrame:
        """Hazard ratios with intervals, p-values, n, events and a sentence per term."""
        return self.hazard_ratios_

    def sentences(self) -> list[str]:
        """The hazard ratios in plain words, one sentence per term."""
        return self.hazard_ratios_["sentence"].tolist()

    def _repr_html_(self) -> str:
        table = self.hazard_ratios_[["hazard_ratio", "ci_low", "ci_high", "p", "n", "events"]].round(3)
        notes = "".join(f"<li>{html.escape(w)}</li>" for w in self.warnings_)
        return (f"<p><strong>{html.escape(self._what)}</strong>: {self.n_events_:,} churn events, "
                f"penalizer {self.penalizer_:g}</p>{table.to_html(escape=True)}"
                + (f"<ul>{notes}</ul>" if notes else ""))

    def check_proportional_hazards(self, *, time_transform: str = "rank", level: float = 0.95) -> pd.DataFrame:
        """Test whether each hazard ratio is constant over tenure (Grambsch-Therneau).

        Scaled Schoenfeld residuals against a transform of the churn time, with lifelines'
        statistic, computed from per-tenure risk-set sums (:mod:`cxlab.survival.ph_test`; seconds
        on a million customers where lifelines' ``proportional_hazard_test`` takes minutes).
        With many customers, small departures are "significant": read the p-value together with
        the size of the hazard ratio. For the time-varying model each ``(start, stop]`` row is at
        risk only within its interval (late entry at ``start``), so the risk sets are those the
        model was fitted on.

        Parameters
        ----------
        time_transform : str
            ``"rank"`` (default), ``"km"``, ``"identity"`` or ``"log"``.
        level : float
            Confidence level of the test: a term is flagged when p < 1 - level.

        Returns
        -------
        pandas.DataFrame
            Per term: label, test_statistic (chi-squared, 1 df), p, proportional (bool), verdict.
        """
        duration_col, entry_col = self._time_columns()
        table = schoenfeld_test(self._data, params=self.model_.params, variance=self.model_.variance,
                                duration_col=duration_col, event_col=self.event_col_, weights_col=WEIGHT,
                                entry_col=entry_col, strata=self.strata_, time_transform=time_transform)
        table.index = table.index.map(str)
        table = table.loc[list(self.design_.terms)]
        table.index.name = "term"
        table.insert(0, "label", [term_label(self.design_.terms[t], self.labels) for t in table.index])
        table["proportional"] = table["p"] >= 1 - level
        table["verdict"] = [
            f"{label}: no evidence that the hazard ratio changes with tenure ({format_p(p)})." if ok else
            f"{label}: the hazard ratio changes with tenure ({format_p(p)}); the reported value is an "
            f"average over tenure."
            for label, p, ok in zip(table["label"], table["p"], table["proportional"], strict=True)
        ]
        return table


class ChurnCox(_ChurnCoxBase):
    """Cox proportional-hazards model of churn on one row per customer.

    Parameters
    ----------
    covariates : sequence of str, optional
        Covariate columns; default ``frame.attrs["covariates"]`` (set by
        :func:`cxlab.survival.survival_frame`).
    baseline : dict, optional
        Reference level per categorical covariate; defaults in
        :data:`cxlab.survival.design.DEFAULT_REFERENCES`, else the most common level.
    labels : dict, optional
        Plain-words names for terms (see :mod:`cxlab.survival.wording`).
    penalizer : float
        L2 penalty of the first fit (0 = the ordinary partial likelihood).
    fallback_penalizer : float
        L2 penalty of the refit when the first fit fails to converge or separates.
    level : float
        Confidence level of the intervals.

    Attributes
    ----------
    model_ : cxlab.survival.risk_sets.CoxFit
        Coefficients, variance and log-likelihood of the reported fit.
    hazard_ratios_ : pandas.DataFrame
        Indexed by design term: covariate, level, reference, hazard_ratio, ci_low, ci_high, p,
        coef, se, n (customers with the level, or all customers for a numeric term), events, sentence.
    warnings_ : list of str
        Columns dropped or filled, and any refit with a penalty.
    penalizer_ : float
        Penalty of the reported fit.
    n_rows_, n_rows_fitted_, n_events_ : int
        Rows of the frame, cells of identical rows the model was fitted on, churn events.

    Examples
    --------
    >>> from lifelines.datasets import load_rossi
    >>> cox = ChurnCox(["fin", "age", "prio"]).fit(load_rossi(), duration_col="week", event_col="arrest")
    >>> round(float(cox.hazard_ratios_.loc["prio", "coef"]), 3)
    0.097
    """

    _what = "Cox model"

    def _time_columns(self) -> tuple[str, str | None]:
        return self.duration_col_, self.entry_col_

    def fit(self, frame: pd.DataFrame, *, duration_col: str = "tenure_months", event_col: str = "churned",
            entry_col: str | None = None, weights_col: str | None = None, strata=None) -> ChurnCox:
        """Fit the model.

        Parameters
        ----------
        frame : pandas.DataFrame
            One row per customer (e.g. :func:`cxlab.survival.survival_frame`); not modified.
        duration_col : str
            Tenure at churn or censoring.
        event_col : str
            1 = churned, 0 = censored.
        entry_col : str, optional
            Tenure at which a customer enters observation (left truncation, e.g. a landmark).
        weights_col : str, optional
            Frequency weights (customers per row) of an already aggregated frame. Churned rows
            must carry whole numbers: a churned row standing for ``w`` customers counts as ``w``
            tied churners, so the fit equals the one on one row per customer; a fractional weight
            on a churned row raises ``ValueError``.
        strata : str or list of str, optional
            Columns whose levels get their own baseline hazard.

        Returns
        -------
        ChurnCox
            self, fitted.
        """
        return self._fit_prepared(*self._prepared(frame, duration_col=duration_col, event_col=event_col,
                                                  entry_col=entry_col, weights_col=weights_col, strata=strata))

    def _prepared(self, frame: pd.DataFrame, split: tuple[str, ...] = (), *, duration_col: str = "tenure_months",
                  event_col: str = "churned", entry_col: str | None = None, weights_col: str | None = None,
                  strata=None) -> tuple[pd.DataFrame, pd.Series]:
        self.duration_col_, self.event_col_, self.entry_col_ = duration_col, event_col, entry_col
        self.strata_ = [strata] if isinstance(strata, str) else list(strata or [])
        time_cols = [duration_col] + ([entry_col] if entry_col else [])
        data = self._prepare(frame, time_cols, event_col, weights_col, self.strata_, split)
        if (data[duration_col] < 0).any():
            raise ValueError(f"'{duration_col}' must be >= 0")
        sizes = {name: (data[WEIGHT] * (data[name] != 0)).sum() if term.kind != "numeric" else data[WEIGHT].sum()
                 for name, term in self.design_.terms.items()}
        return data, pd.Series(sizes, dtype=float)



class TimeVaryingChurnCox(_ChurnCoxBase):
    """Cox model of churn with covariates that change over tenure (start/stop rows).

    The fit of lifelines' ``CoxTimeVaryingFitter`` (Efron ties) on a counting-process frame such
    as :func:`cxlab.survival.time_varying_frame`: each row is an interval ``(start, stop]`` of one
    customer's tenure with the covariates known during it, and the event flag set on the
    interval that ends in churn. Parameters and attributes as :class:`ChurnCox` (``n`` in
    ``hazard_ratios_`` counts customers who spent time in a level).

    Examples
    --------
    >>> tv = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "d"], "start_months": [0, 3, 0, 0, 0],
    ...                    "stop_months": [3, 7, 5, 6, 2], "churned": [0, 1, 1, 0, 1],
    ...                    "detractor": [0, 1, 0, 1, 0]})
    >>> cox = TimeVaryingChurnCox(["detractor"]).fit(tv)
    >>> cox.n_events_
    3
    """

    _what = "Time-varying Cox model"

    def _time_columns(self) -> tuple[str, str | None]:
        return self.stop_col_, self.start_col_

    def fit(self, frame: pd.DataFrame, *, id_col: str = "customer_id", start_col: str = "start_months",
            stop_col: str = "stop_months", event_col: str = "churned", strata=None) -> TimeVaryingChurnCox:
        """Fit the model.

        Parameters
        ----------
        frame : pandas.DataFrame
            Start/stop rows; not modified.
        id_col : str
            Customer identifier (used for counts; identical censored intervals of different
            customers are merged, which leaves the partial likelihood unchanged).
        start_col, stop_col : str
            Interval bounds in months of tenure, ``start < stop``.
        event_col : str
            1 on the interval that ends in churn, else 0.
        strata : str or list of str, optional
            Columns whose levels get their own baseline hazard.

        Returns
        -------
        TimeVaryingChurnCox
            self, fitted.
        """
        return self._fit_prepared(*self._prepared(frame, id_col=id_col, start_col=start_col, stop_col=stop_col,
                                                  event_col=event_col, strata=strata))

    def _prepared(self, frame: pd.DataFrame, split: tuple[str, ...] = (), *, id_col: str = "customer_id",
                  start_col: str = "start_months", stop_col: str = "stop_months", event_col: str = "churned",
                  strata=None) -> tuple[pd.DataFrame, pd.Series]:
        self.start_col_, self.stop_col_, self.event_col_ = start_col, stop_col, event_col
        self.strata_ = [strata] if isinstance(strata, str) else list(strata or [])
        _require(frame, [id_col, start_col, stop_col], self._what)
        if not (frame[start_col] < frame[stop_col]).all():
            raise ValueError(f"every interval needs '{start_col}' < '{stop_col}'")
        data = self._prepare(frame, [start_col, stop_col], event_col, None, self.strata_, split)
        ids, distinct = pd.factorize(frame[id_col])  # integer codes: counting customers per term stays cheap
        self.n_customers_ = len(distinct)
        matrix = self.design_.matrix
        # customers with time in a level: their codes counted once, by marking (no hashing of a million codes)
        sizes = {name: (np.count_nonzero(np.bincount(ids[(matrix[name].to_numpy() != 0)[self._row_group]],
                                                     minlength=self.n_customers_))
                        if term.kind != "numeric" else self.n_customers_)
                 for name, term in self.design_.terms.items()}
        return data, pd.Series(sizes, dtype=float)


def fit_cox(frame: pd.DataFrame, *, duration_col: str = "tenure_months", event_col: str = "churned",
            covariates=None, baseline: dict | None = None, entry_col: str | None = None, **options) -> ChurnCox:
    """Fit a :class:`ChurnCox` model in one call.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per customer; not modified.
    duration_col, event_col, entry_col : str
        See :meth:`ChurnCox.fit`.
    covariates : sequence of str, optional
        Covariate columns (default ``frame.attrs["covariates"]``).
    baseline : dict, optional
        Reference level per categorical covariate.
    **options
        Other :class:`ChurnCox` parameters (``penalizer``, ``fallback_penalizer``, ``level``,
        ``labels``) and ``weights_col``/``strata`` of ``fit``.

    Returns
    -------
    ChurnCox

    Examples
    --------
    >>> from lifelines.datasets import load_rossi
    >>> cox = fit_cox(load_rossi(), duration_col="week", event_col="arrest", covariates=["fin", "prio"])
    >>> bool(cox.hazard_ratios_.loc["fin", "hazard_ratio"] < 1)
    True
    """
    fit_keys = {"weights_col", "strata"}
    model = ChurnCox(covariates, baseline=baseline, **{k: v for k, v in options.items() if k not in fit_keys})
    return model.fit(frame, duration_col=duration_col, event_col=event_col, entry_col=entry_col,
                     **{k: v for k, v in options.items() if k in fit_keys})


def fit_time_varying_cox(frame: pd.DataFrame, *, covariates=None, baseline: dict | None = None,
                         id_col: str = "customer_id", start_col: str = "start_months",
                         stop_col: str = "stop_months", event_col: str = "churned",
                         **options) -> TimeVaryingChurnCox:
    """Fit a :class:`TimeVaryingChurnCox` model in one call.

    Parameters
    ----------
    frame : pandas.DataFrame
        Start/stop rows (e.g. :func:`cxlab.survival.time_varying_frame`); not modified.
    covariates : sequence of str, optional
        Covariate columns (default ``frame.attrs["covariates"]``).
    baseline : dict, optional
        Reference level per categorical covariate.
    id_col, start_col, stop_col, event_col : str
        See :meth:`TimeVaryingChurnCox.fit`.
    **options
        Other :class:`TimeVaryingChurnCox` parameters and ``strata``.

    Returns
    -------
    TimeVaryingChurnCox
    """
    strata = options.pop("strata", None)
    model = TimeVaryingChurnCox(covariates, baseline=baseline, **options)
    return model.fit(frame, id_col=id_col, start_col=start_col, stop_col=stop_col, event_col=event_col,
                     strata=strata)
