"""Touchpoint scorecard, its trend over quarters and the change around a dated intervention.

Which answers belong to a quarter
---------------------------------
A survey's quarter is the quarter its invitation was **sent** (``sent_at``): invitations,
answers, response rate and scores of a quarter all refer to the same invitations, and a
relationship-survey wave stays in its quarter even when late answers arrive in the next one.
Only what is known at the as-of date is used: invitations sent after it are left out and
answers that arrived after it count as no answer (so the last quarter's response rate can
still rise a little as late answers come in).

Every estimate comes from :mod:`cxlab.metrics` (CSAT: share of 4-5 with Wilson interval; CES:
mean on 1-7, lower = easier, with t interval; relationship NPS with the chosen interval method)
and cells with fewer than ``min_cell_size`` answers are blanked.

Customers answer many surveys, so by default every interval here is clustered by customer
(``cluster_col="customer_id"``, used whenever the surveys table has it; see
:mod:`cxlab.metrics`); ``cluster_col=None`` treats the answers as independent. Changes between
periods are a family of tests: :func:`quarter_changes` and :func:`scorecard_changes` adjust their
p-values by Benjamini-Hochberg across the whole table and give the flagged changes
false-coverage-rate adjusted intervals (:func:`cxlab.metrics.fdr_selection`).

Modules: :mod:`~cxlab.touchpoints.answers` (answers as of an instant, customer attributes),
:mod:`~cxlab.touchpoints.cells` (the scorecard's aggregates, from a surveys table or an engine),
:mod:`~cxlab.touchpoints.scorecard` (the scorecard and the quarter's estimates),
:mod:`~cxlab.touchpoints.changes` (changes against earlier quarters),
:mod:`~cxlab.touchpoints.intervention` (a dated intervention's effect) and
:mod:`~cxlab.touchpoints.plots` (every chart). Every public name is importable from
``cxlab.touchpoints`` itself.
"""

import importlib

from cxlab.touchpoints.answers import (
    ANSWER_COLUMNS,
    SCORE_COLUMNS,
    SURVEY_COLUMNS,
    TREND_METRICS,
    quarter_labels,
    surveys_as_of,
    with_customer_attributes,
)
from cxlab.touchpoints.cells import HEADLINE_METRICS, OVERALL_QUESTIONS, SurveyCells, survey_cells
from cxlab.touchpoints.changes import (
    CHANGE_COLUMNS,
    quarter_changes,
    quarter_changes_from_cells,
    scorecard_changes,
    scorecard_changes_from_cells,
)
from cxlab.touchpoints.scorecard import (
    SCORE_LABELS,
    overall_share,
    overall_share_from_counts,
    quarter_estimates,
    quarter_estimates_from_cells,
    recent_comments,
    score_labels,
    scorecard,
    scorecard_from_cells,
)

# The intervention model and the charts load statsmodels and matplotlib's pyplot: imported when one of their names
# is first asked for, so that the scorecard's aggregates (which the engine builds) come without them.
_LATER = {**dict.fromkeys(["InterventionEffect", "intervention_effect"], "intervention"),
          **dict.fromkeys(["plot_intervention", "plot_trend", "plot_trend_panels"], "plots")}


def __getattr__(name: str):
    """The intervention and chart names, from their modules when first asked for."""
    if name in _LATER:
        return getattr(importlib.import_module(f"{__name__}.{_LATER[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ANSWER_COLUMNS",
    "CHANGE_COLUMNS",
    "HEADLINE_METRICS",
    "OVERALL_QUESTIONS",
    "SCORE_COLUMNS",
    "SCORE_LABELS",
    "SURVEY_COLUMNS",
    "TREND_METRICS",
    "InterventionEffect",
    "SurveyCells",
    "intervention_effect",
    "overall_share",
    "overall_share_from_counts",
    "plot_intervention",
    "plot_trend",
    "plot_trend_panels",
    "quarter_changes",
    "quarter_changes_from_cells",
    "quarter_estimates",
    "quarter_estimates_from_cells",
    "quarter_labels",
    "recent_comments",
    "score_labels",
    "scorecard",
    "scorecard_changes",
    "scorecard_changes_from_cells",
    "scorecard_from_cells",
    "survey_cells",
    "surveys_as_of",
    "with_customer_attributes",
]
