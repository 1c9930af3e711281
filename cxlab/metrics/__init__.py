"""Survey metrics with honest uncertainty: NPS, CSAT and CES, their comparisons and grouped tables.

Modules: :mod:`~cxlab.metrics.estimates` (single estimates and two-sample comparisons),
:mod:`~cxlab.metrics.intervals` (the interval arithmetic and design effects),
:mod:`~cxlab.metrics.cells` (the answers per score and customer moments of each cell, from rows or an
engine), :mod:`~cxlab.metrics.grouped` (tables per cell and many comparisons at once) and
:mod:`~cxlab.metrics.scales` (scales, defaults, input checks). Every public name is importable
from ``cxlab.metrics`` itself.

Conventions
-----------
* NPS is in points (-100 to 100). Every share (promoters, satisfied, low effort) is a
  percentage (0 to 100). CSAT's headline is the share satisfied; CES's headline is the mean.
* A missing score (NaN) is a non-response: it is left out and not counted in ``n``.
  Any other value outside the scale, or not a whole number, raises ``ValueError``.
* NPS intervals (``method``):

  - ``"wald"``: NPS ± z·SE with the per-response variance
    ``p_P + p_D - (p_P - p_D)**2`` (SE = sqrt(variance / n)).
  - ``"adjusted_wald"`` (default): the same formula after adding 3 to n and 0.75 each to
    promoters and detractors (1.5 to passives), as in Rocks (2016), "Confidence Intervals
    for Net Promoter Scores", MeasuringU. The reported value stays the observed NPS; the
    interval is centred on the adjusted NPS and ``se`` is the adjusted standard error.
  - ``"bootstrap"``: percentile interval from multinomial resampling of the three counts
    (seeded, vectorised); ``se`` is the standard deviation of the resampled NPS.

  Wald and adjusted-Wald bounds are clipped to [-100, 100].
* CES is on 1-7 with 1 = very easy and 7 = very difficult (lower is better); "low effort"
  means 1-2 by default (:data:`LOW_EFFORT_SCORES`).
* CSAT and CES shares use the Wilson score interval; means use the t interval.
* Comparisons are between independent samples (a - b). NPS differences use the same
  method as the estimates; share differences use Newcombe's hybrid score interval (built
  from the two Wilson intervals) with the test that inverts it (p-value = the smallest
  ``1 - level`` at which the interval excludes zero; close to the pooled two-proportion
  z-test); mean differences use Welch's t interval and test. When the same customers answer
  in both groups (e.g. two quarters) and their answers are positively correlated, treating
  the groups as independent overstates the variance of the difference: the comparison errs
  on the wide side.
* Grouped tables count the scores of each cell once (one ``groupby``) and compute every
  interval from those counts with array arithmetic. Cells with fewer than ``min_cell_size``
  responses are flagged ``small_cell`` and, by default, their estimates are blanked.

Repeated answers by the same customer
-------------------------------------
Customers answer many times, and one customer's answers resemble each other, so treating
every answer as independent makes intervals too narrow. With ``clusters`` (single estimates)
or ``cluster_col`` (tables; default ``"customer_id"`` whenever that column is present) the
variance is the cluster-robust (linearisation, sandwich) variance of a mean of per-answer
values ``y`` (NPS coded +1/0/-1, a share coded 1/0, a mean on the raw scores)::

    var_clustered = C / (C - 1) * sum_c (sum_{i in c} (y_i - ybar))**2 / n**2

with ``C`` customers and ``n`` answers; it equals the variance of an OLS of ``y`` on a constant
with ``cov_type="cluster"`` in statsmodels. It enters every interval through the design
effect ``deff = var_clustered / (s**2 / n)``, with ``s**2 = sum (y_i - ybar)**2 / (n - 1)``: both
variances carry the same kind of small-sample factor (``C / (C - 1)`` and ``n / (n - 1)``), so
answers from distinct customers give ``deff = 1`` exactly. The interval then uses the
effective sample size ``n / deff``: the Wilson interval, the adjusted-Wald
NPS interval (the 0.75/1.5 pseudo-counts are added to the effective counts, keeping its
small-sample behaviour) and the Wald interval use the counts divided by ``deff`` (so the clustered
Wald variance is ``var_clustered * (n - 1) / n``); t intervals multiply the standard error by
``sqrt(deff)`` (giving exactly ``var_clustered``) and use ``C - 1`` degrees of freedom; the
bootstrap stretches the resampled NPS around the observed one by ``sqrt(deff)``.

The design effect is floored at 1: repeated answers of one customer are positively
correlated, and an estimate below 1 is noise of the variance estimate (the sandwich variance is
itself biased downwards with few clusters), so a clustered interval is never narrower than the
independent one. The price is a slightly conservative interval when answers really are
independent. A missing customer id counts as a customer of its own; with a single customer
the variance cannot be estimated and the interval is empty. ``cluster_col=None`` (or no
``clusters``) gives the independent ("naive") interval; tables record which in
``attrs["variance"]`` and the design effects in ``deff`` columns.

Multiplicity
------------
:func:`compare_by` flags cells by Benjamini-Hochberg adjusted p-values at false discovery rate
``q = 1 - level`` and gives the selected cells false-coverage-rate adjusted intervals
(Benjamini & Yekutieli 2005, JASA 100:71): with ``R`` of ``m`` comparisons selected, each
selected cell's interval is its interval at level ``1 - R * q / m``. Every test here is the
one its interval inverts (the share test inverts Newcombe's interval), so a flagged cell's
adjusted interval excludes zero.
"""

from cxlab.metrics.cells import ScoreCells, moment_columns, score_cells
from cxlab.metrics.estimates import (
    CESEstimate,
    CSATEstimate,
    Difference,
    NPSEstimate,
    ces,
    ces_from_counts,
    compare_ces,
    compare_csat,
    compare_nps,
    csat,
    csat_from_counts,
    nps,
    nps_from_counts,
)
from cxlab.metrics.grouped import (
    ces_by,
    ces_table,
    cluster_column,
    compare_by,
    compare_with_rest,
    csat_by,
    csat_table,
    fdr_selection,
    multiplicity_note,
    nps_by,
    nps_table,
    score_distribution,
    variance_label,
)
from cxlab.metrics.intervals import mean_intervals_from_sums, nps_intervals, wilson_interval
from cxlab.metrics.scales import (
    CES_SCALE,
    CSAT_SCALE,
    DEFAULT_CLUSTER_COL,
    DEFAULT_MIN_CELL_SIZE,
    DEFAULT_RESAMPLES,
    LOW_EFFORT_SCORES,
    NPS_METHODS,
    NPS_SCALE,
    PASSIVE_SCORES,
    PROMOTER_SCORES,
    SATISFIED_SCORES,
)

__all__ = [
    "CES_SCALE",
    "CSAT_SCALE",
    "DEFAULT_CLUSTER_COL",
    "DEFAULT_MIN_CELL_SIZE",
    "DEFAULT_RESAMPLES",
    "LOW_EFFORT_SCORES",
    "NPS_METHODS",
    "NPS_SCALE",
    "PASSIVE_SCORES",
    "PROMOTER_SCORES",
    "SATISFIED_SCORES",
    "CESEstimate",
    "CSATEstimate",
    "Difference",
    "NPSEstimate",
    "ScoreCells",
    "ces",
    "ces_by",
    "ces_from_counts",
    "ces_table",
    "cluster_column",
    "compare_by",
    "compare_ces",
    "compare_csat",
    "compare_nps",
    "compare_with_rest",
    "csat",
    "csat_by",
    "csat_from_counts",
    "csat_table",
    "fdr_selection",
    "mean_intervals_from_sums",
    "moment_columns",
    "multiplicity_note",
    "nps",
    "nps_by",
    "nps_from_counts",
    "nps_intervals",
    "nps_table",
    "score_cells",
    "score_distribution",
    "variance_label",
    "wilson_interval",
]
