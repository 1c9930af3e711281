"""A quarter's scorecard, closed-loop and retention figures per group of a customer attribute.

A drill-down breaks six figures of the report down by one column of the ``customers`` table
(``region``, ``segment``, ``contract``, ...) and compares each group with all other customers:

==========================  ==========================================================  ===========================
figure                      per group (the package function that computes it)           group vs the other customers
==========================  ==========================================================  ===========================
Relationship NPS            relationship answers to the quarter's invitations,          :func:`cxlab.metrics.compare_by`
                            adjusted-Wald interval clustered by customer                (clustered)
                            (:func:`cxlab.metrics.nps_by`)
CSAT, share satisfied       transactional answers, Wilson (:func:`~cxlab.metrics.csat_by`)  idem
CES, mean effort            transactional answers, t interval (:func:`~cxlab.metrics.ces_by`)  idem
Detractors followed up      mature detractor answers of the quarter, Wilson             Newcombe interval, score test
                            (:func:`cxlab.loop.loop_kpis`)
Follow-ups within the SLA   follow-up cases, Kaplan-Meier (:func:`cxlab.loop.loop_kpis`)  Greenwood z-test
Still active after 12 m     customers acquired by the as-of date, Kaplan-Meier          Greenwood z-test
                            (:func:`cxlab.survival.km_by`)
==========================  ==========================================================  ===========================

Each figure is computed for all groups in one grouped pass over the rows (never a loop over
customers). A group with fewer customers than ``min_cell_size`` is suppressed altogether, and a
figure of a group whose own count (answers, detractor answers, cases, customers) is below it is
suppressed: its value is missing and it is not tested. Which attributes qualify, and the group of a
customer without a value, are defined in :mod:`cxlab.attributes`.

With two groups shown, only the first is compared with the other (the reverse comparison is the same one,
mirrored). All comparisons that remain, groups x figures, form one family whose p-values are adjusted with
Holm's step-down method (family-wise error rate 5%): the chance that even one group is flagged
although no group truly differs stays below 5% however many groups and figures are compared.
The report's summary acts on these flags, so a false one is costly; the page's change tables, which
readers browse, control the false discovery rate instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats import proportion  # (its test_* functions, imported by name, would be collected by pytest)
from statsmodels.stats.multitest import multipletests

from cxlab import loop, metrics, touchpoints
from cxlab.attributes import (  # noqa: F401  (re-exported: a drill-down's vocabulary)
    MAX_GROUPS,
    NOT_RECORDED,
    DrillDownError,
    attributes,
    check_attribute,
    group_labels,
)
from cxlab.schema import RELATIONSHIP
from cxlab.survival.km import km_by, survival_at, survival_se
from cxlab.tenure import tenure_frame

__all__ = ["ADJUSTMENT", "ALL_CUSTOMERS", "DrillDown", "FIGURES", "FIGURE_BY_KEY", "Figure", "drill_down"]

ADJUSTMENT = "Holm"


@dataclass(frozen=True)
class Figure:
    """A figure of the drill-down: its label, unit, decimals and what its group size counts."""

    key: str
    label: str
    short: str
    unit: str
    decimals: int
    counts: str


FIGURES = (
    Figure("nps", "Relationship NPS", "NPS", "points", 1, "answers"),
    Figure("csat", "CSAT, share satisfied", "CSAT", "%", 1, "answers"),
    Figure("ces", "CES, mean effort (1 = very easy, 7 = very difficult)", "CES", "scale points", 2, "answers"),
    Figure("followup_coverage", "Detractors followed up", "Followed up", "%", 1, "detractor answers"),
    Figure("sla_share", "Follow-ups answered within the SLA", "Within the SLA", "%", 1, "follow-up cases"),
    Figure("retention", "Customers still active after {months} months", "Still active after {months} months", "%",
           1, "customers"),
)
FIGURE_BY_KEY = {figure.key: figure for figure in FIGURES}
_COLUMNS = ["figure", "group", "value", "ci_low", "ci_high", "n", "suppressed"]
_DIFFERENCE_COLUMNS = ["figure", "group", "n_group", "n_rest", "difference", "ci_low", "ci_high", "p_value"]


@dataclass(frozen=True)
class DrillDown:
    """The figures of a quarter per group of an attribute, and each group against the other customers.

    Attributes
    ----------
    by : str
        The attribute.
    quarter : str
        The report quarter.
    groups : pandas.DataFrame
        ``group``, ``customers`` (acquired by the as-of date), ``suppressed``.
    figures : pandas.DataFrame
        One row per figure and group: ``figure`` (a key of :data:`FIGURE_BY_KEY`), ``group``,
        ``value``, ``ci_low``, ``ci_high`` (95%; percentages 0-100), ``n`` (what the figure
        counts) and ``suppressed``; the group ``"All customers"`` holds the figure overall.
    differences : pandas.DataFrame
        One row per tested figure and group: ``n_group``, ``n_rest``, ``difference`` (group minus
        the other customers, in the figure's unit), its unadjusted 95% ``ci_low``/``ci_high``,
        ``p_value``, ``p_adjusted`` (Holm, across every row) and ``significant``.
    min_cell_size : int
        The suppression threshold.
    """

    by: str
    quarter: str
    groups: pd.DataFrame
    figures: pd.DataFrame
    differences: pd.DataFrame
    min_cell_size: int

    @property
    def flagged(self) -> pd.DataFrame:
        """The differences beyond chance after the adjustment, largest adjusted evidence first."""
        return self.differences[self.differences["significant"]].sort_values(["p_adjusted", "figure", "group"])


ALL_CUSTOMERS = "All customers"


def drill_down(data, by: str, *, quarter: str, as_of, min_cell_size: int = 30, method: str = "adjusted_wald",
               months: int = 12, followup_window_days: int = 7, level: float = 0.95) -> DrillDown:
    """The quarter's figures per group of ``by`` and each group against the other customers.

    Parameters
    ----------
    data : cxlab.io.CXData
        The loaded data (``customers`` required; survey and loop figures need ``surveys`` and
        ``cases``, and are left out without them).
    by : str
        Customer attribute to break down by (see :func:`check_attribute`).
    quarter : str
        Report quarter (``"2026Q3"``): the survey answers to its invitations and the detractor
        answers given in it.
    as_of : str or pandas.Timestamp
        The quarter's last day; retention is estimated from everything known by its end.
    min_cell_size : int
        Groups (and figures of a group) below this count are suppressed.
    method : str
        NPS interval method (:func:`cxlab.metrics.nps`).
    months : int
        Tenure of the retention figure.
    followup_window_days : int
        Days within which a detractor's follow-up is expected (:func:`cxlab.loop.detractor_followups`).
    level : float
        Confidence level of the intervals; ``1 - level`` is the family-wise error rate of the flags.

    Returns
    -------
    DrillDown

    Raises
    ------
    DrillDownError
        When ``by`` cannot be used (see :func:`check_attribute`).
    """
    levels = check_attribute(data.customers, by, gaps=data.availability.gaps,
                             other_tables={"surveys": data.surveys, "cases": data.cases})
    customers = data.customers[["customer_id"]].assign(group=group_labels(data.customers[by]))
    tenure = tenure_frame(data.customers, as_of=as_of)
    tenure = tenure.assign(group=group_labels(tenure[by]))
    sizes = tenure.groupby("group").size().reindex(levels, fill_value=0)
    small_groups = set(sizes.index[sizes < min_cell_size])
    groups = pd.DataFrame({"group": sizes.index, "customers": sizes.to_numpy(),
                           "suppressed": sizes.to_numpy() < min_cell_size})
    parts, tests = [], []
    if data.availability.allows("surveys"):
        answers = touchpoints.surveys_as_of(data.surveys, as_of=as_of)
        answers = answers[(answers["quarter"] == quarter) & answers["responded"]]
        answers = answers.assign(group=_lookup(customers, answers["customer_id"]))
        for part, test in _survey_figures(answers, min_cell_size, method, level):
            parts.append(part)
            tests.append(test)
    if data.availability.allows("relationship_nps", "cases"):
        followups = loop.detractor_followups(data.surveys, data.cases, as_of=as_of, customers=data.customers,
                                             followup_window_days=followup_window_days)
        followups = followups[followups["quarter"] == quarter]
        followups = followups.assign(group=_lookup(customers, followups["customer_id"]))
        part, test = _loop_figures(followups, min_cell_size, level)
        parts.append(part)
        tests.append(test)
    if data.availability.allows("tenure") and len(tenure):
        part, test = _retention_figures(tenure, months, min_cell_size, level)
        parts.append(part)
        tests.append(test)
    figures = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_COLUMNS)
    hidden = figures["group"].isin(small_groups)
    figures.loc[hidden, ["value", "ci_low", "ci_high"]] = np.nan
    figures.loc[hidden, "suppressed"] = True
    differences = _stacked(tests)
    shown = [g for g in groups["group"] if g not in small_groups]
    if len(shown) == 2:  # the second group against the first is the same comparison, mirrored
        differences = differences[differences["group"] == shown[0]]
    return DrillDown(by, quarter, groups, figures, _adjust(differences, small_groups, level), min_cell_size)


def _lookup(customers: pd.DataFrame, ids: pd.Series) -> np.ndarray:
    """The group of each customer id (every id is known: :func:`cxlab.io.load` checks it)."""
    return customers.set_index("customer_id")["group"].reindex(ids.to_numpy()).to_numpy()


def _rows(figure: str, group, value, low, high, n, suppressed) -> pd.DataFrame:
    return pd.DataFrame({"figure": figure, "group": group, "value": value, "ci_low": low, "ci_high": high,
                         "n": n, "suppressed": suppressed})


def _survey_figures(answers: pd.DataFrame, min_cell_size: int, method: str, level: float):
    """NPS (relationship answers), CSAT and CES (the other touchpoints) per group and overall."""
    relationship = answers[answers["touchpoint"] == RELATIONSHIP]
    transactional = answers[answers["touchpoint"] != RELATIONSHIP]
    specs = (("nps", relationship, metrics.nps_by, {"method": method}),
             ("csat", transactional, metrics.csat_by, {}),
             ("ces", transactional, metrics.ces_by, {}))
    for key, frame, by_function, options in specs:
        frame = frame[frame[key].notna()]
        if frame.empty:
            continue
        table = by_function(frame, "group", min_cell_size=min_cell_size, level=level, **options)
        overall = by_function(frame.assign(group=ALL_CUSTOMERS), "group", min_cell_size=min_cell_size, level=level,
                              **options)
        table = pd.concat([overall, table], ignore_index=True)
        part = _rows(key, table["group"], table[key], table["ci_low"], table["ci_high"], table["n"],
                     table["small_cell"])
        compared = metrics.compare_by(frame, "group", versus="rest", kind=key, min_cell_size=min_cell_size, level=level,
                                      **({"method": method} if key == "nps" else {}))
        compared = compared[~compared["small_cell"]]
        test = pd.DataFrame({"figure": key, "group": compared["group"], "n_group": compared["n_a"],
                             "n_rest": compared["n_b"], "difference": compared["difference"],
                             "ci_low": compared["ci_low"], "ci_high": compared["ci_high"],
                             "p_value": compared["p_value"]})
        yield part, test


def _proportion_tests(hits: pd.Series, n: pd.Series, min_cell_size: int, level: float) -> pd.DataFrame:
    """Each group's share against the other groups' pooled: Newcombe interval and score test, in points."""
    rows = []
    for group in n.index:
        a, n_a = int(hits[group]), int(n[group])
        b, n_b = int(hits.sum()) - a, int(n.sum()) - n_a
        if min(n_a, n_b) < max(min_cell_size, 1):
            continue
        low, high = proportion.confint_proportions_2indep(a, n_a, b, n_b, method="newcomb", compare="diff",
                                                          alpha=1 - level)
        p_value = proportion.test_proportions_2indep(a, n_a, b, n_b, method="score", compare="diff").pvalue
        rows.append({"group": group, "n_group": n_a, "n_rest": n_b, "difference": 100 * (a / n_a - b / n_b),
                     "ci_low": 100 * low, "ci_high": 100 * high, "p_value": float(p_value)})
    return pd.DataFrame(rows, columns=_DIFFERENCE_COLUMNS[1:])


def _survival_tests(frame: pd.DataFrame, at: float, min_cell_size: int, level: float, *, duration_col: str,
                    event_col: str, sign: float) -> pd.DataFrame:
    """Each group's Kaplan-Meier survival at ``at`` against the other groups' pooled (Greenwood z-test).

    ``sign`` = -1 compares the share that had the event by ``at`` (1 - S) instead of S; in points.
    """
    z = stats.norm.ppf(0.5 + level / 2)
    rows = []
    for group, size in frame.groupby("group").size().items():
        rest = frame[frame["group"] != group]
        if min(size, len(rest)) < max(min_cell_size, 1):
            continue
        inside = km_by(frame[frame["group"] == group], duration_col=duration_col, event_col=event_col)
        outside = km_by(rest, duration_col=duration_col, event_col=event_col)
        difference = sign * (survival_at(inside, at)[0] - survival_at(outside, at)[0])
        se = float(np.hypot(survival_se(inside, at), survival_se(outside, at)))
        if not (np.isfinite(difference) and np.isfinite(se)) or se == 0:
            continue
        rows.append({"group": group, "n_group": int(size), "n_rest": len(rest), "difference": 100 * difference,
                     "ci_low": 100 * (difference - z * se), "ci_high": 100 * (difference + z * se),
                     "p_value": float(2 * stats.norm.sf(abs(difference) / se))})
    return pd.DataFrame(rows, columns=_DIFFERENCE_COLUMNS[1:])


def _loop_figures(followups: pd.DataFrame, min_cell_size: int, level: float):
    """Follow-up coverage and the share of follow-ups answered within the SLA, per group and overall."""
    overall = loop.loop_kpis(followups, min_cell_size=min_cell_size, level=level).assign(group=ALL_CUSTOMERS)
    kpis = pd.concat([overall, loop.loop_kpis(followups, by="group", min_cell_size=min_cell_size, level=level)],
                     ignore_index=True)
    few_cases = kpis["cases"] < min_cell_size
    coverage = _rows("followup_coverage", kpis["group"], 100 * kpis["coverage"], 100 * kpis["coverage_ci_low"],
                     100 * kpis["coverage_ci_high"], kpis["mature_detractors"], kpis["suppressed"])
    sla = _rows("sla_share", kpis["group"], 100 * kpis["within_sla_share"].mask(few_cases),
                100 * kpis["within_sla_ci_low"].mask(few_cases), 100 * kpis["within_sla_ci_high"].mask(few_cases),
                kpis["cases"], kpis["suppressed"] | few_cases)
    mature = followups[followups["mature"]]
    counts = mature.groupby("group").agg(n=("followed_up", "size"), hits=("followed_up", "sum"))
    cases = followups[followups["followed_up"]]
    cases = cases.assign(sla_scale=cases["hours_to_first_response"] / cases["sla_hours"])
    tests = (_proportion_tests(counts["hits"], counts["n"], min_cell_size, level).assign(figure="followup_coverage"),
             _survival_tests(cases, 1.0, min_cell_size, level, duration_col="sla_scale",
                             event_col="first_response_observed", sign=-1.0).assign(figure="sla_share"))
    return pd.concat([coverage, sla], ignore_index=True), _stacked(tests)


def _stacked(tests) -> pd.DataFrame:
    """Comparison tables one under the other (empty ones left out)."""
    tests = [test[_DIFFERENCE_COLUMNS] for test in tests if not test.empty]
    return pd.concat(tests, ignore_index=True) if tests else pd.DataFrame(columns=_DIFFERENCE_COLUMNS)


def _retention_figures(tenure: pd.DataFrame, months: int, min_cell_size: int, level: float):
    """Kaplan-Meier share of customers still active after ``months`` months, per group and overall."""
    fitters = {ALL_CUSTOMERS: km_by(tenure, level=level), **km_by(tenure, "group", level=level)}
    sizes = {ALL_CUSTOMERS: len(tenure), **tenure.groupby("group").size().to_dict()}
    estimates = np.array([survival_at(fitters[g], months) for g in fitters], dtype=float).reshape(-1, 3)
    small = np.array([sizes[g] < min_cell_size for g in fitters])
    estimates[small] = np.nan
    part = _rows("retention", list(fitters), 100 * estimates[:, 0], 100 * estimates[:, 1], 100 * estimates[:, 2],
                 [sizes[g] for g in fitters], small)
    tests = _survival_tests(tenure, months, min_cell_size, level, duration_col="tenure_months", event_col="churned",
                            sign=1.0).assign(figure="retention")
    return part, _stacked([tests])


def _adjust(differences: pd.DataFrame, small_groups: set, level: float) -> pd.DataFrame:
    """Holm-adjust the p-values of every comparison of groups that are shown (one family)."""
    tested = differences[~differences["group"].isin(small_groups) & differences["p_value"].notna()]
    tested = tested.reset_index(drop=True)
    if tested.empty:
        return tested.assign(p_adjusted=pd.Series(dtype=float), significant=pd.Series(dtype=bool))
    reject, adjusted, _, _ = multipletests(tested["p_value"].to_numpy(float), alpha=1 - level, method="holm")
    return tested.assign(p_adjusted=adjusted, significant=reject)
