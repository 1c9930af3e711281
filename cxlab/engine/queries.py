"""The aggregations the analyses need, as SQL both engines run (written once, see :mod:`cxlab.engine.dialects`).

Every query reads the validated views (``valid_customers``, ``valid_surveys``, ``valid_revenue``)
and follows the conventions of the pandas code exactly:

* the as-of instant is the end of the as-of day (:func:`cxlab.periods.as_of_end`): invitations sent
  before it are known, answers received after it count as no answer (:func:`cxlab.touchpoints.surveys_as_of`);
* a survey's quarter is the quarter of ``sent_at`` (queries return quarters and cohorts as integer
  codes, :func:`period_code`; the engine writes them as labels);
* tenure follows :mod:`cxlab.tenure`: months of 365.25 / 12 days, a churn counts in month k only
  when month k was over by the as-of instant, everyone else is censored at the whole months observed.
"""

from __future__ import annotations

import pandas as pd

from cxlab.metrics import (
    CES_SCALE,
    CSAT_SCALE,
    LOW_EFFORT_SCORES,
    NPS_SCALE,
    PASSIVE_SCORES,
    PROMOTER_SCORES,
    SATISFIED_SCORES,
)
from cxlab.periods import as_of_end
from cxlab.retention import NEVER_PERIOD, last_complete_month
from cxlab.schema import RELATIONSHIP
from cxlab.tenure import DAYS_PER_MONTH

__all__ = ["COHORTS", "HISTORY_TOTALS", "SCALES", "SURVEY_CELL_COLUMNS", "answer_counts", "answer_values",
           "answered_together", "billed_before_acquisition", "cluster_moments", "cohort_counts",
           "cohort_newest_months", "cohort_revenue", "customer_period_revenue", "customer_periods", "driver_totals",
           "end_literal", "first_invitations", "invitation_history", "known_surveys", "latest_comments",
           "life_table_counts", "mature_literal", "month_number", "order", "overall_answers", "pattern_counts",
           "period_code", "period_labels", "relationship_answer_counts", "response_counts", "revenue_by_cohort_month",
           "revenue_retention_sums", "score_counts", "survey_cells", "tenure_rows", "timestamp_literal",
           "touchpoint_filter", "value_filter"]

SCALES = {"nps": NPS_SCALE, "csat": CSAT_SCALE, "ces": CES_SCALE}
COHORTS = ("month", "quarter", "year")
SURVEY_CELL_COLUMNS = ("touchpoint", "channel", "quarter")
#: the totals of :func:`invitation_history` per invitation (zero without an earlier event)
HISTORY_TOTALS = ("prior_invitations", "prior_responses", "recent_csat_sum", "recent_csat_n", "recent_ces_sum",
                  "recent_ces_n", "prior_nps_sum", "prior_nps_n")
_EPSILON_MONTHS = 1e-9  # as in cxlab.tenure


def end_literal(as_of) -> str:
    """SQL timestamp literal of the as-of instant (the exclusive end of the as-of day)."""
    return timestamp_literal(as_of_end(as_of))


def period_code(expression: str, period: str) -> str:
    """SQL integer code of a timestamp's month (``202609``), quarter (``20263``) or year (``2026``).

    Queries group by these codes (cheap integers) and :func:`period_labels` writes them as pandas
    writes periods once the groups are small.
    """
    if period == "quarter":
        return f"(year({expression}) * 10 + quarter({expression}))"
    if period == "month":
        return f"(year({expression}) * 100 + month({expression}))"
    if period == "year":
        return f"year({expression})"
    raise ValueError(f"cohort must be one of {COHORTS}; got {period!r}")


def period_labels(codes: pd.Series, period: str) -> pd.Series:
    """Labels ``2026Q3`` / ``2026-09`` / ``2026`` of the codes of :func:`period_code`.

    Examples
    --------
    >>> period_labels(pd.Series([20263, 20264]), "quarter").tolist()
    ['2026Q3', '2026Q4']
    """
    codes = codes.astype("int64")
    if period == "quarter":
        return (codes // 10).astype(str) + "Q" + (codes % 10).astype(str)
    if period == "month":
        return (codes // 100).astype(str) + "-" + (codes % 100).astype(str).str.zfill(2)
    return codes.astype(str)


def touchpoint_filter(touchpoints) -> str:
    """`` AND touchpoint IN (...)`` for ``touchpoints`` (str or list; none: no filter, an empty list: no row)."""
    return value_filter("touchpoint", touchpoints)


def value_filter(column: str, values) -> str:
    """`` AND column IN (...)`` for ``values`` (str or list; none: no filter, an empty list: no row)."""
    if values is None:
        return ""
    names = [values] if isinstance(values, str) else list(values)
    if not names:
        return " AND FALSE"
    return f" AND {column} IN (" + ", ".join(_text(t) for t in names) + ")"


def _text(value: str) -> str:
    """SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def timestamp_literal(instant) -> str:
    """SQL timestamp literal of an instant, to the microsecond."""
    return f"TIMESTAMP '{pd.Timestamp(instant):%Y-%m-%d %H:%M:%S.%f}'"


def mature_literal(as_of, response_window_days: float) -> str:
    """SQL timestamp literal before which an invitation is old enough to have been answered by the as-of instant."""
    return timestamp_literal(as_of_end(as_of) - pd.Timedelta(days=response_window_days))


def known_surveys(as_of, score_columns: list[str], touchpoints=None, response_window_days: float = 0) -> str:
    """The invitations sent by the as-of instant (of ``touchpoints``, default all; with a response window, those sent
    that long before it), late answers blanked, with ``quarter`` and ``responded``."""
    end = end_literal(as_of)
    late = f"(responded_at IS NOT NULL AND responded_at >= {end})"
    scores = "".join(f"CASE WHEN {late} THEN NULL ELSE {c} END AS {c}, " for c in score_columns)
    sent_before = mature_literal(as_of, response_window_days) if response_window_days else end
    return (f"SELECT customer_id, touchpoint, channel, sent_at, {scores}"
            f"CASE WHEN responded_at IS NOT NULL AND NOT {late} THEN 1 ELSE 0 END AS responded, "
            f"{period_code('sent_at', 'quarter')} AS quarter FROM valid_surveys "
            f"WHERE sent_at < {sent_before}{touchpoint_filter(touchpoints)}")


def survey_cells(as_of, by: list[str], score_columns: list[str], touchpoints=None,
                 response_window_days: float = 0) -> str:
    """Known invitations (:func:`known_surveys`) with the cell columns ``by`` (survey columns, or customer columns
    joined)."""
    own = [c for c in by if c in SURVEY_CELL_COLUMNS]
    joined = [c for c in by if c not in SURVEY_CELL_COLUMNS]
    select = [f"s.{c} AS {c}" for c in own] + [f"c.{c} AS {c}" for c in joined]
    select += ["s.customer_id AS customer_id", "s.responded AS responded", *[f"s.{c} AS {c}" for c in score_columns]]
    join = " LEFT JOIN valid_customers c ON s.customer_id = c.customer_id" if joined else ""
    known = known_surveys(as_of, score_columns, touchpoints, response_window_days)
    return f"SELECT {', '.join(select)} FROM ({known}) s{join}"


def score_counts(as_of, metric: str, by: list[str], touchpoints=None) -> str:
    """Answers per cell and score (the sufficient statistic of every grouped NPS/CSAT/CES figure)."""
    keys = ", ".join(by)
    return (f"SELECT {keys}, CAST({metric} AS BIGINT) AS score, COUNT(*) AS answers "
            f"FROM ({survey_cells(as_of, by, [metric], touchpoints)}) t WHERE {metric} IS NOT NULL "
            f"GROUP BY {keys}, CAST({metric} AS BIGINT)")


def answer_values(metric: str) -> list[str]:
    """SQL of the per-answer values whose means are the estimates (as ``cxlab.metrics``): NPS +1/0/-1;
    CSAT/CES the hit flag (satisfied 4-5, low effort 1-2) and the score."""
    if metric == "nps":
        promoter, passive = PROMOTER_SCORES[0], PASSIVE_SCORES[0]
        return [f"CASE WHEN nps >= {promoter} THEN 1.0 WHEN nps < {passive} THEN -1.0 ELSE 0.0 END"]
    hits = SATISFIED_SCORES if metric == "csat" else LOW_EFFORT_SCORES
    return [f"CASE WHEN {metric} IN ({', '.join(str(h) for h in hits)}) THEN 1.0 ELSE 0.0 END", f"{metric}"]


def cluster_moments(as_of, metric: str, by: list[str], touchpoints=None) -> str:
    """Per cell: customers, answers and the per-customer sums behind the clustered design effect.

    For each answer value ``y_j`` (:func:`answer_values`): ``s{j}`` = sum y, ``q{j}`` = sum y**2,
    ``ss{j}`` = sum over customers of (their sum of y)**2, ``sn{j}`` = sum over customers of
    (their sum of y) * (their answers); ``nn`` = sum over customers of (their answers)**2.
    """
    keys = ", ".join(by)
    values = answer_values(metric)
    inner = ", ".join([f"SUM({v}) AS s{j}, SUM(({v}) * ({v})) AS q{j}" for j, v in enumerate(values)])
    outer = ", ".join([f"SUM(s{j}) AS s{j}, SUM(q{j}) AS q{j}, SUM(s{j} * s{j}) AS ss{j}, SUM(s{j} * n) AS sn{j}"
                       for j in range(len(values))])
    per_customer = (f"SELECT {keys}, customer_id, COUNT(*) AS n, {inner} "
                    f"FROM ({survey_cells(as_of, by, [metric], touchpoints)}) t WHERE {metric} IS NOT NULL "
                    f"GROUP BY {keys}, customer_id")
    return (f"SELECT {keys}, COUNT(*) AS customers, SUM(n) AS n, SUM(n * n) AS nn, {outer} "
            f"FROM ({per_customer}) p GROUP BY {keys}")


def answer_counts(as_of, column: str, by: list[str]) -> str:
    """Known answers per cell and value of a survey column."""
    keys = "".join(f"{c}, " for c in by)
    return (f"SELECT {keys}{column} AS value, COUNT(*) AS answers "
            f"FROM ({survey_cells(as_of, by, [column])}) t WHERE {column} IS NOT NULL GROUP BY {keys}{column}")


def latest_comments(as_of, quarter: str, per_touchpoint: int, scores: list[str]) -> str:
    """The latest ``per_touchpoint`` comments per touchpoint of the invitations sent in ``quarter``, known at the
    as-of instant (newest answer first, then the larger invitation id)."""
    end = end_literal(as_of)
    code = int(pd.Period(quarter, freq="Q").year) * 10 + int(pd.Period(quarter, freq="Q").quarter)
    columns = ", ".join(["touchpoint", "responded_at", "invitation_id", "comment", *scores])
    ranked = (f"SELECT {columns}, ROW_NUMBER() OVER (PARTITION BY touchpoint "
              f"ORDER BY responded_at DESC NULLS LAST, invitation_id DESC) AS rank FROM valid_surveys "
              f"WHERE sent_at < {end} AND {period_code('sent_at', 'quarter')} = {code} AND comment IS NOT NULL "
              f"AND (responded_at IS NULL OR responded_at < {end})")
    return f"SELECT {columns} FROM ({ranked}) t WHERE rank <= {per_touchpoint} ORDER BY touchpoint, rank"


def _relationship_answers(columns: str, outcome: str, as_of=None) -> str:
    """``columns`` of the relationship answers with ``outcome`` (received by the as-of instant, when given)."""
    known = "" if as_of is None else f" AND responded_at < {end_literal(as_of)}"
    return (f"SELECT {columns} FROM valid_surveys WHERE touchpoint = {_text(RELATIONSHIP)} "
            f"AND {outcome} IS NOT NULL AND responded_at IS NOT NULL{known}")


def overall_answers(as_of, outcome: str) -> str:
    """The relationship answers with ``outcome`` received by the as-of instant, ordered by time and then id."""
    return (f"{_relationship_answers(f'invitation_id, customer_id, responded_at, {outcome}', outcome, as_of)} "
            f"ORDER BY responded_at, invitation_id")


def answered_together(outcome: str) -> str:
    """Relationship answers with ``outcome`` (``overall``), and those given by their customer at the same instant as a
    touchpoint answer (``shared``), as :func:`cxlab.drivers.asked_together` counts them."""
    overall = _relationship_answers("customer_id, responded_at", outcome)
    touchpoint = (f"SELECT DISTINCT customer_id, responded_at FROM valid_surveys WHERE responded_at IS NOT NULL "
                  f"AND touchpoint <> {_text(RELATIONSHIP)}")
    return (f"SELECT COUNT(*) AS overall, COUNT(m.customer_id) AS shared FROM ({overall}) o LEFT JOIN ({touchpoint}) m "
            f"ON o.customer_id = m.customer_id AND o.responded_at = m.responded_at")


def relationship_answer_counts(columns: list[str]) -> str:
    """Relationship rows with a value in each of ``columns``."""
    counts = ", ".join(f"COUNT({c}) AS {c}" for c in columns)
    return f"SELECT {counts} FROM valid_surveys WHERE touchpoint = {_text(RELATIONSHIP)}"


def driver_totals(as_of, outcome: str, score: str, window_days: float, touchpoints: list[str],
                  same_questionnaire: bool) -> str:
    """Per relationship answer and touchpoint: the sum and number of the customer's ``score`` answers to that touchpoint
    in the window before it (``[t - window_days, t)``, or ``[t - window_days, t]`` with ``same_questionnaire``), as
    :func:`cxlab.drivers.driver_frame` totals them."""
    end = end_literal(as_of)
    rel = _relationship_answers("invitation_id, customer_id, responded_at", outcome, as_of)
    scores = (f"SELECT customer_id, touchpoint, responded_at, {score} AS score FROM valid_surveys "
              f"WHERE {score} IS NOT NULL AND responded_at IS NOT NULL AND responded_at < {end}"
              f"{touchpoint_filter(touchpoints)}")
    seconds = int(round(float(window_days) * 86400))
    upper = "<=" if same_questionnaire else "<"
    return (f"SELECT r.invitation_id AS invitation_id, t.touchpoint AS touchpoint, SUM(t.score) AS total, "
            f"COUNT(*) AS answers FROM ({rel}) r JOIN ({scores}) t ON r.customer_id = t.customer_id "
            f"AND t.responded_at >= r.responded_at - INTERVAL {seconds} SECOND "
            f"AND t.responded_at {upper} r.responded_at GROUP BY r.invitation_id, t.touchpoint")


def response_counts(as_of, by: list[str], touchpoints=None, response_window_days: float = 0) -> str:
    """Invitations (sent at least ``response_window_days`` before the as-of instant) and answers (received by it)
    per cell."""
    keys = ", ".join(by)
    return (f"SELECT {keys}, COUNT(*) AS invitations, SUM(responded) AS responses "
            f"FROM ({survey_cells(as_of, by, [], touchpoints, response_window_days)}) t GROUP BY {keys}")


def first_invitations(as_of, touchpoint: str, response_window_days: float) -> str:
    """Each customer's first invitation to ``touchpoint`` old enough to have been answered (the smaller invitation id
    first of two sent at once), with ``responded`` by the as-of instant, in the order of time and id."""
    end = end_literal(as_of)
    ranked = (f"SELECT invitation_id, customer_id, sent_at, "
              f"CASE WHEN responded_at IS NOT NULL AND responded_at < {end} THEN 1 ELSE 0 END AS responded, "
              f"ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY sent_at, invitation_id) AS rank "
              f"FROM valid_surveys WHERE touchpoint = {_text(touchpoint)} "
              f"AND sent_at < {mature_literal(as_of, response_window_days)}")
    return (f"SELECT customer_id, sent_at, responded FROM ({ranked}) t WHERE rank = 1 "
            f"ORDER BY sent_at, invitation_id")


def invitation_history(as_of, touchpoint: str, response_window_days: float, recent_days: float,
                       sent_after=None) -> str:
    """The invitations to ``touchpoint`` old enough to have been answered (and sent after ``sent_after``) with the
    totals of what was known when each was sent, as :func:`cxlab.nonresponse.invitation_history` gives them.

    Every invitation sent by the as-of instant is an event of its customer; its answer is known when received by it.
    Each invitation is joined with its customer's events sent strictly before it, and counts: those events
    (``prior_invitations``), their answers received before it (``prior_responses``), the transactional scores answered
    in ``[sent_at - recent_days, sent_at)`` and the earlier answers to ``touchpoint`` with the score of the latest.
    """
    end = end_literal(as_of)
    survey = _text(touchpoint)
    known = (f"SELECT invitation_id, customer_id, touchpoint, channel, sent_at, "
             f"CASE WHEN responded_at IS NOT NULL AND responded_at < {end} THEN responded_at END AS answered_at, "
             f"nps, csat, ces FROM valid_surveys WHERE sent_at < {end}")
    after = "" if sent_after is None else f" AND sent_at > {timestamp_literal(sent_after)}"
    invitations = (f"SELECT invitation_id, customer_id, channel, sent_at, "
                   f"CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END AS responded, "
                   f"CASE WHEN answered_at IS NOT NULL THEN nps END AS nps FROM ({known}) k "
                   f"WHERE touchpoint = {survey} AND sent_at < {mature_literal(as_of, response_window_days)}{after}")
    seconds = int(round(float(recent_days) * 86400))
    answered_before = "e.answered_at < i.sent_at"
    recent = (f"(e.touchpoint <> {_text(RELATIONSHIP)} AND {answered_before} "
              f"AND e.answered_at >= i.sent_at - INTERVAL {seconds} SECOND)")
    earlier = f"({answered_before} AND e.touchpoint = {survey})"
    joined = f"FROM ({invitations}) i JOIN ({known}) e ON e.customer_id = i.customer_id AND e.sent_at < i.sent_at"
    totals = (f"SELECT i.invitation_id AS invitation_id, COUNT(*) AS prior_invitations, "
              f"COUNT(CASE WHEN {answered_before} THEN 1 END) AS prior_responses, "
              f"SUM(CASE WHEN {recent} THEN e.csat END) AS recent_csat_sum, "
              f"COUNT(CASE WHEN {recent} THEN e.csat END) AS recent_csat_n, "
              f"SUM(CASE WHEN {recent} THEN e.ces END) AS recent_ces_sum, "
              f"COUNT(CASE WHEN {recent} THEN e.ces END) AS recent_ces_n, "
              f"SUM(CASE WHEN {earlier} THEN e.nps END) AS prior_nps_sum, "
              f"COUNT(CASE WHEN {earlier} THEN e.nps END) AS prior_nps_n {joined} GROUP BY i.invitation_id")
    # the latest earlier answer to the survey: a second join, of the answers to it only
    answers = f"SELECT * FROM ({known}) k WHERE touchpoint = {survey} AND answered_at IS NOT NULL"
    ranked = (f"SELECT i.invitation_id AS invitation_id, e.nps AS nps, ROW_NUMBER() OVER (PARTITION BY "
              f"i.invitation_id ORDER BY e.answered_at DESC, e.invitation_id DESC) AS rank FROM ({invitations}) i "
              f"JOIN ({answers}) e ON e.customer_id = i.customer_id AND e.answered_at < i.sent_at")
    latest = f"SELECT invitation_id, nps AS latest_nps FROM ({ranked}) r WHERE rank = 1"
    counts = ", ".join(f"COALESCE(t.{c}, 0) AS {c}" for c in HISTORY_TOTALS)
    return (f"SELECT i.invitation_id AS invitation_id, i.customer_id AS customer_id, i.sent_at AS sent_at, "
            f"i.responded AS responded, i.nps AS nps, i.channel AS channel, {counts}, l.latest_nps AS latest_nps "
            f"FROM ({invitations}) i LEFT JOIN ({totals}) t ON t.invitation_id = i.invitation_id "
            f"LEFT JOIN ({latest}) l ON l.invitation_id = i.invitation_id ORDER BY i.sent_at, i.invitation_id")


def tenure_rows(dialect, as_of, columns: dict[str, str]) -> str:
    """One row per customer acquired by the as-of instant: ``columns`` (name to SQL expression), ``observable_months``,
    ``tenure_months`` and ``churned`` as :func:`cxlab.tenure.tenure_frame` computes them."""
    end = end_literal(as_of)
    us = dialect.epoch_us
    churn_known = f"(churned_at IS NOT NULL AND churned_at < {end})"
    end_us = f"CASE WHEN {churn_known} THEN {us('churned_at')} ELSE {us(end)} END"
    days = f"(({end_us}) - {us('acquired_at')}) / 1000000.0 / 86400.0"
    observable_days = f"({us(end)} - {us('acquired_at')}) / 1000000.0 / 86400.0"
    observable = f"CAST(FLOOR({observable_days} / {DAYS_PER_MONTH!r} + {_EPSILON_MONTHS!r}) AS BIGINT)"
    churn_month = f"GREATEST(CAST(CEIL({days} / {DAYS_PER_MONTH!r} - {_EPSILON_MONTHS!r}) AS BIGINT), 1)"
    selected = "".join(f"{sql} AS {name}, " for name, sql in columns.items())
    step = (f"SELECT {selected}{observable} AS observable_months, "
            f"{churn_month} AS churn_month, CASE WHEN {churn_known} THEN 1 ELSE 0 END AS churn_known "
            f"FROM valid_customers WHERE acquired_at < {end}")
    churned = "(churn_known = 1 AND churn_month <= observable_months)"
    return (f"SELECT {''.join(c + ', ' for c in columns)}observable_months, "
            f"CASE WHEN {churned} THEN churn_month ELSE observable_months END AS tenure_months, "
            f"CASE WHEN {churned} THEN 1 ELSE 0 END AS churned FROM ({step}) u")


def life_table_counts(dialect, as_of, by: list[str]) -> str:
    """Customers per group, tenure month and churn flag (the weighted rows of a life table or a Cox fit)."""
    keys = "".join(c + ", " for c in by)
    return (f"SELECT {keys}tenure_months, churned, COUNT(*) AS customers "
            f"FROM ({tenure_rows(dialect, as_of, {c: c for c in by})}) t GROUP BY {keys}tenure_months, churned")


def cohort_counts(dialect, as_of, cohort: str) -> str:
    """Per acquisition cohort, tenure month and churn flag: customers, and each cohort's shortest follow-up."""
    rows = tenure_rows(dialect, as_of, {"cohort": period_code("acquired_at", cohort)})
    return (f"SELECT cohort, tenure_months, churned, COUNT(*) AS customers, "
            f"MIN(observable_months) AS cohort_followup_months FROM ({rows}) t GROUP BY cohort, tenure_months, churned")


def revenue_by_cohort_month(as_of, cohort: str) -> str:
    """Revenue and paying customers per acquisition cohort and billing month (complete months, known customers).

    A customer has one revenue row per month (a rule of :mod:`cxlab.schema`), so rows count customers.
    """
    end = end_literal(as_of)
    month_number = "year({0}) * 12 + month({0})"
    return (f"SELECT {period_code('c.acquired_at', cohort)} AS cohort, r.month AS month, "
            f"COUNT(*) AS customers, SUM(r.amount) AS revenue "
            f"FROM valid_revenue r JOIN valid_customers c ON r.customer_id = c.customer_id "
            f"WHERE c.acquired_at < {end} AND {month_number.format('r.month')} < {month_number.format(end)} "
            f"GROUP BY {period_code('c.acquired_at', cohort)}, r.month")


def month_number(expression: str) -> str:
    """SQL calendar month number ``year * 12 + month - 1`` of a timestamp (differences count months)."""
    return f"(year({expression}) * 12 + month({expression}) - 1)"


def customer_periods(dialect, as_of, cohort: str, months_per_period: int) -> str:
    """Per customer acquired by the as-of instant, as :mod:`cxlab.retention` works them out.

    ``customer_id``, ``cohort`` (code), ``acquired_month`` (:func:`month_number`), ``churned``,
    ``followup_months`` (whole months observable) and ``last_active_period``: a churner in tenure
    month T is active after periods ``0 .. ceil(T / m) - 1``; others after every period
    (:data:`cxlab.retention.NEVER_PERIOD`).
    """
    rows = tenure_rows(dialect, as_of, {"customer_id": "customer_id", "cohort": period_code("acquired_at", cohort),
                                        "acquired_month": month_number("acquired_at")})
    m = int(months_per_period)
    return (f"SELECT customer_id, cohort, acquired_month, churned, observable_months AS followup_months, "
            f"CASE WHEN churned = 1 THEN CAST(CEIL(tenure_months / {m}.0) AS BIGINT) - 1 ELSE {NEVER_PERIOD} END "
            f"AS last_active_period FROM ({rows}) t")


def customer_period_revenue(dialect, as_of, cohort: str, months_per_period: int) -> str:
    """Revenue per customer and period from the complete billing months of customers acquired by the as-of instant.

    Billing month ``j`` after the acquisition month belongs to period ``(j - 1) // m``; the
    acquisition month itself (usually prorated) is left out. Columns: ``customer_id``, ``cohort``,
    ``last_active_period``, ``period``, ``amount``.
    """
    billed = month_number("r.month")
    index = f"({billed} - c.acquired_month)"
    period = f"CAST(FLOOR(({index} - 1) / {int(months_per_period)}.0) AS BIGINT)"
    customers = customer_periods(dialect, as_of, cohort, months_per_period)
    return (f"SELECT c.customer_id AS customer_id, c.cohort AS cohort, c.last_active_period AS last_active_period, "
            f"{period} AS period, {dialect.float_sum('r.amount')} AS amount "
            f"FROM valid_revenue r JOIN ({customers}) c ON r.customer_id = c.customer_id "
            f"WHERE {billed} <= {last_complete_month(as_of)} AND {index} >= 1 "
            f"GROUP BY c.customer_id, c.cohort, c.last_active_period, {period}")


def billed_before_acquisition(dialect, as_of) -> str:
    """Revenue rows (``faulty``) of complete months billed before the acquisition month of a customer acquired by the
    as-of instant: a fault :func:`cxlab.retention.cohort_table` reports."""
    return (f"SELECT COUNT(*) AS faulty FROM valid_revenue r JOIN valid_customers c ON r.customer_id = c.customer_id "
            f"WHERE c.acquired_at < {end_literal(as_of)} AND {month_number('r.month')} <= {last_complete_month(as_of)} "
            f"AND {month_number('r.month')} < {month_number('c.acquired_at')}")


def cohort_revenue(dialect, as_of, cohort: str, months_per_period: int) -> str:
    """Per cohort and period: revenue of the customers still active after it, and the same capped at each one's
    period-0 revenue (``revenue``, ``revenue_kept``)."""
    total = dialect.float_sum
    active = "p.period <= p.last_active_period"
    return (f"WITH per AS ({customer_period_revenue(dialect, as_of, cohort, months_per_period)}) "
            f"SELECT p.cohort AS cohort, p.period AS period, "
            f"{total(f'CASE WHEN {active} THEN p.amount ELSE 0.0 END')} AS revenue, "
            f"{total(f'CASE WHEN {active} THEN LEAST(p.amount, COALESCE(b.amount, 0.0)) ELSE 0.0 END')} "
            f"AS revenue_kept FROM per p "
            f"LEFT JOIN (SELECT customer_id, amount FROM per WHERE period = 0) b ON p.customer_id = b.customer_id "
            f"GROUP BY p.cohort, p.period")


def cohort_newest_months(dialect, as_of, cohort: str) -> str:
    """Per cohort, the month number of its latest acquisition by the as-of instant (``newest_month``)."""
    return (f"SELECT cohort, MAX(acquired_month) AS newest_month "
            f"FROM ({customer_periods(dialect, as_of, cohort, 1)}) c GROUP BY cohort")


def revenue_retention_sums(dialect, as_of, months: int) -> str:
    """The sums of :func:`cxlab.retention.ratio_sums` over the customers :func:`cxlab.retention.revenue_retention`
    pools: billing month ``months + 1`` complete, and either churned or observed ``months`` months.

    Only the two billing months compared are read: month 1 after the acquisition month (``x``)
    and month ``months + 1`` (``y``, counted while the customer is still active after it).
    """
    later = int(months) + 1
    total = dialect.float_sum
    customers = customer_periods(dialect, as_of, "month", 1)
    pooled = (f"SELECT customer_id, churned, last_active_period FROM ({customers}) c "
              f"WHERE acquired_month + {later} <= {last_complete_month(as_of)} "
              f"AND (churned = 1 OR followup_months >= {int(months)})")
    index = f"({month_number('r.month')} - c.acquired_month)"
    compared = (f"SELECT r.customer_id AS customer_id, "
                f"{total(f'CASE WHEN {index} = 1 THEN r.amount ELSE 0.0 END')} AS x, "
                f"{total(f'CASE WHEN {index} = {later} THEN r.amount ELSE 0.0 END')} AS later "
                f"FROM valid_revenue r JOIN ({customers}) c "
                f"ON r.customer_id = c.customer_id WHERE {index} IN (1, {later}) GROUP BY r.customer_id")
    values = (f"SELECT COALESCE(r.x, 0.0) AS x, CASE WHEN p.last_active_period >= {int(months)} "
              f"THEN COALESCE(r.later, 0.0) ELSE 0.0 END AS y FROM ({pooled}) p LEFT JOIN ({compared}) r "
              f"ON p.customer_id = r.customer_id")
    return (f"SELECT COUNT(*) AS n, {total('x')} AS x, {total('x * x')} AS xx, {total('y')} AS y, "
            f"{total('y * y')} AS yy, {total('x * y')} AS xy, {total('LEAST(y, x)')} AS g, "
            f"{total('LEAST(y, x) * LEAST(y, x)')} AS gg, {total('x * LEAST(y, x)')} AS xg FROM ({values}) e")


def pattern_counts(view: str, columns: list[str]) -> str:
    """Distinct combinations of ``columns`` in a view with their number of rows (``weight``)."""
    keys = ", ".join(columns)
    return f"SELECT {keys}, COUNT(*) AS weight FROM {view} GROUP BY {keys}"


def order(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Rows sorted by ``columns`` (missing last), index reset: engines return groups in no set order."""
    return frame.sort_values(columns, na_position="last", kind="stable").reset_index(drop=True)
