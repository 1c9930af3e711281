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
and cells with fewer than ``min_n`` answers are blanked.

Customers answer many surveys, so by default every interval here is clustered by customer
(``cluster_col="customer_id"``, used whenever the surveys table has it; see
:mod:`cxlab.metrics`); ``cluster_col=None`` treats the answers as independent. Changes between
periods are a family of tests: :func:`quarter_changes` and :func:`scorecard_changes` adjust their
p-values by Benjamini-Hochberg across the whole table and give the flagged changes
false-coverage-rate adjusted intervals (:func:`cxlab.metrics.fdr_selection`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import statsmodels.api as sm

from cxlab import metrics
from cxlab.palette import OKABE_ITO, TARGET_COLOUR, group_colours
from cxlab.periods import known_by, parse_quarter
from cxlab.schema import RELATIONSHIP, TOUCHPOINTS

SURVEY_COLUMNS = ("touchpoint", "sent_at", "responded_at", "nps", "csat", "ces")
SCORE_COLUMNS = ("nps", "csat", "ces", "comment")
TREND_METRICS = {
    "csat": ("Share satisfied (CSAT 4-5), %", "CSAT by touchpoint and quarter"),
    "ces": ("Mean effort (CES 1-7, lower = easier)", "Customer effort by touchpoint and quarter"),
    "nps": ("Relationship NPS (points, -100 to 100)", "Relationship NPS by quarter"),
}


def _require(df: pd.DataFrame, columns, what: str) -> None:
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"{what}: expected a surveys DataFrame; got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: surveys table lacks column(s) {missing} (have {list(df.columns)})")


def surveys_as_of(surveys: pd.DataFrame, *, as_of) -> pd.DataFrame:
    """The survey invitations known at a date, with their quarter and response flag.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table (see :mod:`cxlab.schema`); not modified.
    as_of : str or pandas.Timestamp
        Analysis date: invitations sent after it are dropped, answers received after it are
        treated as no answer (scores, comment and ``responded_at`` blanked).

    Returns
    -------
    pandas.DataFrame
        The known invitations with ``quarter`` (label of the ``sent_at`` quarter, e.g.
        ``"2026Q3"``) and ``responded`` (bool) added.

    Examples
    --------
    >>> s = pd.DataFrame({"touchpoint": ["portal"] * 2, "sent_at": pd.to_datetime(["2026-09-29"] * 2),
    ...                   "responded_at": pd.to_datetime(["2026-09-29", "2026-10-02"]),
    ...                   "nps": [None, None], "csat": [5, 4], "ces": [1, 2]})
    >>> surveys_as_of(s, as_of="2026-09-30")[["quarter", "responded", "csat"]].to_dict("list")
    {'quarter': ['2026Q3', '2026Q3'], 'responded': [True, False], 'csat': [5.0, nan]}
    """
    _require(surveys, SURVEY_COLUMNS, "surveys_as_of")
    as_of = pd.Timestamp(as_of)
    sent = _as_datetime(surveys["sent_at"])
    # the selected rows are already a new frame: a shallow copy is enough to add columns to it
    out = surveys.loc[known_by(sent, as_of)].copy(deep=False)
    out["responded_at"] = _as_datetime(out["responded_at"])
    for col in ("nps", "csat", "ces"):
        if out[col].dtype != float:
            out[col] = out[col].astype(float)
    late = out["responded_at"].notna() & ~known_by(out["responded_at"], as_of)
    if late.any():
        for col in ["responded_at", *(c for c in SCORE_COLUMNS if c in out.columns)]:
            out[col] = out[col].mask(late)
    out["responded"] = out["responded_at"].notna()
    out["quarter"] = quarter_labels(out["sent_at"])
    return out


def with_customer_attributes(surveys: pd.DataFrame, customers: pd.DataFrame, columns) -> pd.DataFrame:
    """The survey rows with attributes of their customers added (e.g. to break NPS down by region).

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table (or rows of it); not modified.
    customers : pandas.DataFrame
        The ``customers`` table.
    columns : str or list of str
        Customer columns to add, e.g. ``"region"`` or ``["region", "contract"]``.

    Returns
    -------
    pandas.DataFrame
        ``surveys`` with the columns added (missing for answers of unknown customers), in the same
        row order.

    Raises
    ------
    ValueError
        Naming the columns the customers table does not have, and those it has.

    Examples
    --------
    >>> s = pd.DataFrame({"customer_id": ["a", "b", "a"], "nps": [9.0, 3.0, 10.0]})
    >>> c = pd.DataFrame({"customer_id": ["a", "b"], "region": ["North", "South"]})
    >>> with_customer_attributes(s, c, "region")["region"].tolist()
    ['North', 'South', 'North']
    """
    columns = [columns] if isinstance(columns, str) else list(columns)
    unknown = [c for c in columns if c not in customers.columns]
    if unknown:
        raise ValueError(f"with_customer_attributes: customers table has no column(s) {unknown}; "
                         f"it has {list(customers.columns)}")
    clashing = [c for c in columns if c in surveys.columns]
    if clashing:
        raise ValueError(f"with_customer_attributes: surveys already have column(s) {clashing}")
    attributes = customers.set_index(customers["customer_id"].astype(str))[columns]
    found = attributes.reindex(surveys["customer_id"].astype(str).to_numpy())
    return surveys.assign(**{c: found[c].to_numpy() for c in columns})


def _as_datetime(values: pd.Series) -> pd.Series:
    """Values as datetimes; a datetime column is returned as it is (``pd.to_datetime`` maps every value)."""
    return values if pd.api.types.is_datetime64_any_dtype(values) else pd.to_datetime(values)


def quarter_labels(times: pd.Series) -> np.ndarray:
    """Quarter label (``"2026Q3"``) of each timestamp, formatting each distinct quarter once.

    Examples
    --------
    >>> quarter_labels(pd.Series(pd.to_datetime(["2026-09-30", "2026-10-01"]))).tolist()
    ['2026Q3', '2026Q4']
    """
    times = _as_datetime(times)
    values = times.to_numpy()
    if np.issubdtype(values.dtype, np.datetime64) and not np.isnat(values).any():
        # numpy's month unit counts months since 1970-01 (the .dt accessors take several times longer)
        months = values.astype("datetime64[M]").astype(np.int64)
        codes = (months // 12 + 1970) * 4 + months % 12 // 3
    else:
        codes = (times.dt.year * 4 + times.dt.quarter - 1).to_numpy()
    unique, inverse = np.unique(codes, return_inverse=True)
    labels = np.array([f"{code // 4}Q{code % 4 + 1}" for code in unique], dtype=object)
    return labels[inverse]


def _scores_only(surveys: pd.DataFrame, cluster_col: str | None = None) -> pd.DataFrame:
    """The columns the estimates need, with the customer ids when clustering (copying every column is slow)."""
    _require(surveys, SURVEY_COLUMNS, "surveys")
    return surveys[[*SURVEY_COLUMNS, *([cluster_col] if cluster_col else [])]]


def _touchpoint_order(values) -> list[str]:
    known = [RELATIONSHIP, *TOUCHPOINTS]
    return [t for t in known if t in set(values)] + sorted(set(values) - set(known))


def scorecard(surveys: pd.DataFrame, *, as_of, quarters=None, min_n: int = metrics.DEFAULT_MIN_N,
              method: str = "adjusted_wald", level: float = 0.95, suppress: bool = True,
              cluster_col: str | None = metrics.DEFAULT_CLUSTER_COL) -> pd.DataFrame:
    """Scorecard per touchpoint and quarter: CSAT, CES and relationship NPS with intervals.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    as_of : str or pandas.Timestamp
        Analysis date (see :func:`surveys_as_of`).
    quarters : str or list of str, optional
        Quarter or quarters to keep (``"2026Q3"`` or ``["2026Q2", "2026Q3"]``); default all.
    min_n : int
        Estimates from fewer answers are blanked (each metric by its own number of answers;
        the response rate by the number of invitations).
    method : {"adjusted_wald", "wald", "bootstrap"}
        NPS interval method.
    level : float
        Confidence level.
    suppress : bool
        Blank small cells (report tables); ``False`` keeps them for research.
    cluster_col : str or None
        Column of customer ids: intervals allow for customers answering several times
        (default ``"customer_id"`` when present; None treats answers as independent).

    Returns
    -------
    pandas.DataFrame
        One row per touchpoint (``relationship`` first) and quarter: ``invitations``,
        ``responses``, ``response_rate`` (%), ``csat`` (% satisfied), ``csat_ci_low``,
        ``csat_ci_high``, ``csat_n``, ``ces`` (mean 1-7), ``ces_ci_low``, ``ces_ci_high``,
        ``ces_n``, ``nps`` (points), ``nps_ci_low``, ``nps_ci_high``, ``nps_n``, the design
        effects ``csat_deff``, ``ces_deff``, ``nps_deff`` and ``small_cell`` (fewer than
        ``min_n`` responses). Metrics a touchpoint does not ask are empty. ``attrs`` holds
        ``level`` and ``variance`` (how repeated answers were treated).

    Examples
    --------
    >>> s = pd.DataFrame({"touchpoint": "portal", "sent_at": pd.Timestamp("2026-08-01"),
    ...                   "responded_at": pd.Timestamp("2026-08-02"), "nps": np.nan,
    ...                   "csat": [5.0, 4.0, 2.0] * 20, "ces": 2.0})
    >>> card = scorecard(s, as_of="2026-09-30")
    >>> card[["touchpoint", "quarter", "responses", "csat"]].round(1).to_dict("records")
    [{'touchpoint': 'portal', 'quarter': '2026Q3', 'responses': 60, 'csat': 66.7}]
    """
    cluster_col = metrics.cluster_column(surveys, cluster_col)
    frame = surveys_as_of(_scores_only(surveys, cluster_col), as_of=as_of)
    keys = ["touchpoint", "quarter"]
    counts = frame.groupby(keys, observed=True).agg(invitations=("responded", "size"),
                                                    responses=("responded", "sum")).reset_index()
    counts["response_rate"] = counts["responses"] / counts["invitations"] * 100
    if suppress:
        counts["response_rate"] = counts["response_rate"].mask(counts["invitations"] < min_n)
    options = {"min_n": min_n, "level": level, "suppress": suppress, "cluster_col": cluster_col}
    tables = {
        "csat": metrics.csat_by(frame, keys, **options),
        "ces": metrics.ces_by(frame, keys, **options),
        "nps": metrics.nps_by(frame, keys, method=method, **options),
    }
    card = counts
    for name, table in tables.items():
        table = table[[*keys, "n", name, "ci_low", "ci_high", "deff"]].rename(
            columns={"n": f"{name}_n", "ci_low": f"{name}_ci_low", "ci_high": f"{name}_ci_high",
                     "deff": f"{name}_deff"})
        card = card.merge(table, on=keys, how="left")
        card[f"{name}_n"] = card[f"{name}_n"].fillna(0).astype(int)
    card["small_cell"] = card["responses"] < min_n
    if quarters is not None:
        wanted = [quarters] if isinstance(quarters, str | pd.Period) else list(quarters)
        card = card[card["quarter"].isin([str(parse_quarter(str(q))) for q in wanted])]
    order = {t: i for i, t in enumerate(_touchpoint_order(card["touchpoint"]))}
    card = card.sort_values(["touchpoint", "quarter"], key=lambda s: s.map(order) if s.name == "touchpoint" else s)
    card = card.reset_index(drop=True)
    card.attrs.update(level=level, variance=metrics.variance_label(cluster_col))
    return card


HEADLINE_METRICS = {
    # metric: (touchpoints asked, unit of the level, unit of a change, what a change compares)
    "nps": ("relationship", "points", "points", "NPS"),
    "csat": ("transactional", "% satisfied", "percentage points", "share satisfied"),
    "ces": ("transactional", "mean effort 1–7", "mean effort 1–7", "mean effort"),
}


def _metric_rows(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    relationship = frame["touchpoint"] == RELATIONSHIP
    rows = frame[relationship] if HEADLINE_METRICS[metric][0] == "relationship" else frame[~relationship]
    return rows[rows[metric].notna()]


def _estimate(rows: pd.DataFrame, metric: str, method: str, level: float, cluster_col: str | None):
    clusters = None if cluster_col is None else rows[cluster_col]
    if metric == "nps":
        return metrics.nps(rows["nps"], clusters=clusters, method=method, level=level)
    if metric == "csat":
        return metrics.csat(rows["csat"], clusters=clusters, level=level)
    return metrics.ces(rows["ces"], clusters=clusters, level=level)


def quarter_estimates(surveys: pd.DataFrame, *, quarter: str, as_of, method: str = "adjusted_wald",
                      level: float = 0.95, cluster_col: str | None = metrics.DEFAULT_CLUSTER_COL) -> dict:
    """Relationship NPS, CSAT and CES of one quarter with their intervals.

    NPS comes from the relationship survey, CSAT and CES from all transactional touchpoints,
    each from the invitations sent in the quarter and answered by ``as_of``.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    quarter : str
        Quarter label, e.g. ``"2026Q3"``.
    as_of : str or pandas.Timestamp
        Analysis date.
    method : {"adjusted_wald", "wald", "bootstrap"}
        NPS interval method.
    level : float
        Confidence level.
    cluster_col : str or None
        Column of customer ids: intervals allow for customers answering several times
        (default ``"customer_id"`` when present; None treats answers as independent).

    Returns
    -------
    dict
        ``{"nps": NPSEstimate, "csat": CSATEstimate, "ces": CESEstimate}`` (n = 0 and missing
        values when the quarter has no answers).
    """
    period = pd.Period(str(quarter), freq="Q")
    cluster_col = metrics.cluster_column(surveys, cluster_col)
    surveys = _scores_only(surveys, cluster_col)
    sent = _as_datetime(surveys["sent_at"])
    frame = surveys_as_of(surveys[(sent >= period.start_time) & (sent <= period.end_time)], as_of=as_of)
    return {m: _estimate(_metric_rows(frame, m), m, method, level, cluster_col) for m in HEADLINE_METRICS}


# Overall questions on scales other than NPS/CSAT/CES (optional survey columns, see cxlab.schema):
# column: (headline key, label, unit, answers counted as a hit, scale of valid answers).
OVERALL_QUESTIONS = {
    "satisfied": ("satisfied_share", "Share satisfied (overall satisfied / not satisfied answer)",
                  "% satisfied", (1,), (0, 1)),
    "recommend5": ("recommend_share", "Share likely to recommend (extremely likely or likely, 4-5 on a 5-point "
                   "scale; not NPS)", "% likely to recommend (5-point scale)", (4, 5), (1, 5)),
}


def overall_share(surveys: pd.DataFrame, *, column: str, quarter: str, as_of, level: float = 0.95) -> dict:
    """Share of positive answers to an overall question of a quarter, with its Wilson interval.

    For the optional overall questions of :data:`OVERALL_QUESTIONS`: ``satisfied`` (0/1, the
    share answering 1) and ``recommend5`` (the 5-point Friends and Family Test question, the
    share answering 4 "likely" or 5 "extremely likely"). Answers come from the invitations sent
    in the quarter and received by ``as_of``, like :func:`quarter_estimates`; empty cells
    (question not asked, not answered, or "don't know") are not counted.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table with ``column``; not modified.
    column : {"satisfied", "recommend5"}
        The overall question.
    quarter : str
        Quarter label, e.g. ``"2024Q1"``.
    as_of : str or pandas.Timestamp
        Analysis date.
    level : float
        Confidence level of the interval.

    Returns
    -------
    dict
        ``value``, ``ci_low``, ``ci_high`` (percent; NaN when there are no answers), ``n``
        (answers counted) and ``hits`` (positive answers).

    Raises
    ------
    ValueError
        When ``column`` is not an overall question, is missing, or holds values off its scale.

    Examples
    --------
    >>> s = pd.DataFrame({"touchpoint": "relationship", "sent_at": pd.to_datetime(["2024-02-01"] * 4),
    ...                   "responded_at": pd.to_datetime(["2024-02-01"] * 4), "nps": None, "csat": None,
    ...                   "ces": None, "recommend5": [5, 4, 2, None]})
    >>> share = overall_share(s, column="recommend5", quarter="2024Q1", as_of="2024-03-31")
    >>> share["n"], share["hits"], round(share["value"], 1)
    (3, 2, 66.7)
    """
    if column not in OVERALL_QUESTIONS:
        raise ValueError(f"overall_share: column must be one of {list(OVERALL_QUESTIONS)}; got {column!r}")
    _require(surveys, [*SURVEY_COLUMNS, column], "overall_share")
    *_, positive, (low_score, high_score) = OVERALL_QUESTIONS[column]
    period = pd.Period(str(quarter), freq="Q")
    sent = _as_datetime(surveys["sent_at"])
    in_quarter = surveys.loc[(sent >= period.start_time) & (sent <= period.end_time), [*SURVEY_COLUMNS, column]]
    answers = surveys_as_of(in_quarter, as_of=as_of)[column].dropna().astype(float)
    off_scale = answers[(answers < low_score) | (answers > high_score) | (answers % 1 != 0)]
    if len(off_scale):
        raise ValueError(f"overall_share: column {column!r} must hold whole numbers from {low_score} to "
                         f"{high_score}; found {sorted(off_scale.unique())[:5]}")
    n, hits = len(answers), int(answers.isin(positive).sum())
    low, high = metrics.wilson_interval(hits, n, level)
    return {"value": 100 * hits / n if n else np.nan, "ci_low": 100 * float(low), "ci_high": 100 * float(high),
            "n": n, "hits": hits}


# How each answer column is shown next to a comment, on its own scale.
SCORE_LABELS = {
    "nps": "NPS {} of 10",
    "recommend5": "recommend {} of 5",
    "csat": "CSAT {} of 5",
    "ces": "CES {} of 7",
}


def score_labels(answers: pd.DataFrame) -> pd.Series:
    """Describe each answer's scores in words, each on its own scale (e.g. ``"CSAT 2 of 5, CES 6 of 7"``).

    Parameters
    ----------
    answers : pandas.DataFrame
        Survey answers with any of the columns nps, recommend5, csat, ces, satisfied.

    Returns
    -------
    pandas.Series of str
        One label per row; scores a row does not have are left out.

    Examples
    --------
    >>> score_labels(pd.DataFrame({"nps": [9.0, None], "csat": [None, 2.0]})).tolist()
    ['NPS 9 of 10', 'CSAT 2 of 5']
    """
    label = pd.Series("", index=answers.index)
    for column, template in SCORE_LABELS.items():
        if column in answers.columns:
            values = answers[column].astype("Int64")
            before, after = template.split("{}")
            label = _join_labels(label, (before + values.astype(str) + after).where(values.notna(), ""))
    if "satisfied" in answers.columns:
        flag = answers["satisfied"]
        words = np.where(flag.isna(), "", np.where(flag == 1, "satisfied", "not satisfied"))
        label = _join_labels(label, pd.Series(words, index=answers.index))
    return label


def _join_labels(left: pd.Series, right: pd.Series) -> pd.Series:
    both = (left != "") & (right != "")
    return (left + np.where(both, ", ", "") + right).astype(str)


def recent_comments(answers: pd.DataFrame, *, per_touchpoint: int = 2) -> pd.DataFrame:
    """The most recent comments per touchpoint, with their scores in words, for an escaped table.

    Parameters
    ----------
    answers : pandas.DataFrame
        Survey answers (e.g. one quarter's) with touchpoint, responded_at, invitation_id and comment.
    per_touchpoint : int
        Comments shown per touchpoint.

    Returns
    -------
    pandas.DataFrame
        Columns touchpoint, answered (date), score, comment; the relationship survey first, then
        the journey touchpoints in order. No identifiers. Show it with :func:`cxlab.display.text_table`.
    """
    _require(answers, ["touchpoint", "responded_at", "invitation_id", "comment"], "recent_comments")
    rank = {name: i for i, name in enumerate([RELATIONSHIP, *TOUCHPOINTS])}
    said = (answers[answers["comment"].notna()]
            .sort_values(["responded_at", "invitation_id"], ascending=False)
            .groupby("touchpoint", sort=False).head(per_touchpoint))
    said = said.assign(rank=said["touchpoint"].map(rank).fillna(len(rank)))
    said = said.sort_values(["rank", "responded_at"], ascending=[True, False])
    return pd.DataFrame({"touchpoint": said["touchpoint"], "answered": said["responded_at"].dt.date,
                         "score": score_labels(said), "comment": said["comment"]}).reset_index(drop=True)


CHANGE_COLUMNS = ["metric", "comparison", "quarter", "reference_quarter", "value", "reference_value", "difference",
                  "ci_low", "ci_high", "p_value", "p_adjusted", "significant", "adj_ci_low", "adj_ci_high", "n",
                  "n_reference", "unit", "note"]


def _difference(metric: str, current, reference, level: float):
    if metric == "nps":
        return metrics.compare_nps(current, reference, level=level)
    if metric == "csat":
        return metrics.compare_csat(current, reference, on="share", level=level)
    return metrics.compare_ces(current, reference, on="mean", level=level)


def _period_changes(units: list[tuple[dict, str, pd.DataFrame]], *, period: pd.Period, min_n: int, method: str,
                    level: float, cluster_col: str | None, family: str) -> pd.DataFrame:
    """Changes from the previous quarter and the same quarter a year earlier, adjusted as one family.

    ``units`` holds (leading columns of the row, metric, that metric's answers) per row group.
    All tested changes form one Benjamini-Hochberg family; flagged changes get
    false-coverage-rate adjusted intervals from the same comparison at the adjusted level.
    """
    rows, pairs = [], []
    for keys, metric, answered in units:
        change_unit, what = HEADLINE_METRICS[metric][2:]
        n_by_quarter = answered.groupby("quarter").size()
        current = _estimate(answered[answered["quarter"] == str(period)], metric, method, level, cluster_col)
        earlier = n_by_quarter[(n_by_quarter.index < str(period)) & (n_by_quarter >= min_n)]
        for comparison, reference in (("prev_quarter", period - 1), ("prev_year", period - 4)):
            reference, note = str(reference), ""
            if comparison == "prev_quarter" and n_by_quarter.get(reference, 0) < min_n and len(earlier):
                note = f"{reference} has fewer than {min_n} answers; compared with {earlier.index.max()}, " \
                       "the latest earlier quarter with enough answers"
                reference = earlier.index.max()
            ref = _estimate(answered[answered["quarter"] == reference], metric, method, level, cluster_col)
            row = {**keys, "metric": metric, "comparison": comparison, "quarter": str(period),
                   "reference_quarter": reference, "value": current.value, "reference_value": ref.value,
                   "n": current.n, "n_reference": ref.n, "unit": change_unit}
            if min(current.n, ref.n) < min_n:
                short = " and ".join(q for q, n in ((str(period), current.n), (reference, ref.n)) if n < min_n)
                row.update(difference=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan,
                           note=f"suppressed: fewer than {min_n} answers in {short}")
                if current.n < min_n:
                    row["value"] = np.nan
                if ref.n < min_n:
                    row["reference_value"] = np.nan
                pairs.append(None)
            else:
                diff = _difference(metric, current, ref, level)
                row.update(difference=diff.estimate, ci_low=diff.ci_low, ci_high=diff.ci_high,
                           p_value=diff.p_value, note=note or f"{what}: {str(period)} minus {reference}")
                pairs.append((metric, current, ref))
            rows.append(row)
    out = pd.DataFrame(rows).reindex(columns=list(dict.fromkeys([*(rows[0] if rows else {}), *CHANGE_COLUMNS])))
    selection = metrics.fdr_selection(out["p_value"], level)
    out["p_adjusted"], out["significant"] = selection["p_adjusted"], selection["selected"]
    adjusted = [_difference(*pair, selection["adjusted_level"]) if chosen else None
                for pair, chosen in zip(pairs, selection["selected"], strict=True)]
    out["adj_ci_low"] = [np.nan if d is None else d.ci_low for d in adjusted]
    out["adj_ci_high"] = [np.nan if d is None else d.ci_high for d in adjusted]
    out.attrs.update(variance=metrics.variance_label(cluster_col), adjusted_level=selection["adjusted_level"],
                     note=f"{metrics.multiplicity_note(selection, level, family)}; variance "
                          f"{metrics.variance_label(cluster_col)}")
    return out


def quarter_changes(surveys: pd.DataFrame, *, quarter: str, as_of, min_n: int = metrics.DEFAULT_MIN_N,
                    method: str = "adjusted_wald", level: float = 0.95,
                    cluster_col: str | None = metrics.DEFAULT_CLUSTER_COL) -> pd.DataFrame:
    """Change of NPS, CSAT and CES from the previous quarter and from the same quarter a year earlier.

    The relationship survey may not run every quarter: when the previous quarter has fewer than
    ``min_n`` answers for a metric, the latest earlier quarter that has enough is used instead
    and ``note`` says so. Comparisons with fewer than ``min_n`` answers on either side are
    blanked. Differences are quarter minus reference: NPS points (same interval method as the
    estimates), CSAT share in percentage points (Newcombe interval), CES mean in score points
    (Welch; lower = easier, so a negative change is an improvement). The six changes (three
    metrics, two comparisons) are one family: ``p_adjusted`` is Benjamini-Hochberg across it and
    flagged changes get false-coverage-rate adjusted intervals.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    quarter : str
        Report quarter, e.g. ``"2026Q3"``.
    as_of : str or pandas.Timestamp
        Analysis date.
    min_n : int
        Minimum answers per quarter and metric.
    method : {"adjusted_wald", "wald", "bootstrap"}
        NPS interval method.
    level : float
        Confidence level; ``1 - level`` is the false discovery rate.
    cluster_col : str or None
        Column of customer ids: intervals allow for customers answering several times
        (default ``"customer_id"`` when present; None treats answers as independent).

    Returns
    -------
    pandas.DataFrame
        One row per metric (``nps``, ``csat``, ``ces``) and ``comparison`` (``prev_quarter``,
        ``prev_year``): ``quarter``, ``reference_quarter``, ``value``, ``reference_value``,
        ``difference``, ``ci_low``, ``ci_high`` (unadjusted), ``p_value``, ``p_adjusted``,
        ``significant``, ``adj_ci_low``, ``adj_ci_high`` (flagged changes only), ``n``,
        ``n_reference``, ``unit`` and ``note``; ``attrs["note"]`` is the table note.
    """
    cluster_col = metrics.cluster_column(surveys, cluster_col)
    frame = surveys_as_of(_scores_only(surveys, cluster_col), as_of=as_of)
    units = [({}, metric, _metric_rows(frame, metric)) for metric in HEADLINE_METRICS]
    return _period_changes(units, period=pd.Period(str(quarter), freq="Q"), min_n=min_n, method=method,
                           level=level, cluster_col=cluster_col, family="metrics and periods")[CHANGE_COLUMNS]


def scorecard_changes(surveys: pd.DataFrame, *, quarter: str, as_of, min_n: int = metrics.DEFAULT_MIN_N,
                      method: str = "adjusted_wald", level: float = 0.95,
                      cluster_col: str | None = metrics.DEFAULT_CLUSTER_COL) -> pd.DataFrame:
    """Quarter-on-quarter and year-on-year change of every scorecard cell, adjusted as one family.

    For each touchpoint and the metrics it asks (CSAT and CES for the journey touchpoints, NPS
    for the relationship survey), the report quarter against the previous quarter and the same
    quarter a year earlier, as in :func:`quarter_changes`. All tested changes (touchpoints x
    metrics x both comparisons) form one family: ``p_adjusted`` is Benjamini-Hochberg across
    it, ``significant`` is based on it, and the flagged changes get false-coverage-rate adjusted
    intervals (``adj_ci_low``, ``adj_ci_high``) that exclude zero.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    quarter : str
        Report quarter, e.g. ``"2026Q3"``.
    as_of : str or pandas.Timestamp
        Analysis date.
    min_n : int
        Minimum answers per quarter, touchpoint and metric.
    method : {"adjusted_wald", "wald", "bootstrap"}
        NPS interval method.
    level : float
        Confidence level; ``1 - level`` is the false discovery rate.
    cluster_col : str or None
        Column of customer ids (default ``"customer_id"`` when present; None treats answers as
        independent).

    Returns
    -------
    pandas.DataFrame
        ``touchpoint`` and the columns of :func:`quarter_changes`, touchpoints in journey order;
        ``attrs["note"]`` says how p-values and intervals are adjusted and which variance is used.
    """
    cluster_col = metrics.cluster_column(surveys, cluster_col)
    frame = surveys_as_of(_scores_only(surveys, cluster_col), as_of=as_of)
    units = []
    for touchpoint in _touchpoint_order(frame["touchpoint"]):
        rows = frame[frame["touchpoint"] == touchpoint]
        asked = ["nps"] if touchpoint == RELATIONSHIP else ["csat", "ces"]
        units += [({"touchpoint": touchpoint}, m, rows[rows[m].notna()]) for m in asked if rows[m].notna().any()]
    out = _period_changes(units, period=pd.Period(str(quarter), freq="Q"), min_n=min_n, method=method,
                          level=level, cluster_col=cluster_col, family="touchpoints, metrics and periods")
    return out.reindex(columns=["touchpoint", *CHANGE_COLUMNS])


def plot_trend_panels(card: pd.DataFrame, *, metric: str = "csat", figure=None, target: float | None = None,
                      columns: int = 4):
    """Small multiples: one panel per touchpoint with its quarterly metric, interval band and target line.

    One chart per idea instead of every touchpoint's band on top of each other; all panels share
    the y axis so the touchpoints can be compared.

    Parameters
    ----------
    card : pandas.DataFrame
        Output of :func:`scorecard` (suppressed cells show as gaps).
    metric : {"csat", "ces", "nps"}
        What to plot.
    figure : matplotlib.figure.Figure, optional
        Figure to draw on (default: a new pyplot figure).
    target : float, optional
        Target of the metric, drawn as a dashed line in every panel.
    columns : int
        Panels per row.

    Returns
    -------
    list of matplotlib.axes.Axes
        One per touchpoint with data for the metric.
    """
    if metric not in TREND_METRICS:
        raise ValueError(f"metric must be one of {tuple(TREND_METRICS)}; got {metric!r}")
    _require(card, ["touchpoint", "quarter", metric, f"{metric}_ci_low", f"{metric}_ci_high"], "plot_trend_panels")
    data = card[card[metric].notna()].assign(quarter_start=lambda d: pd.PeriodIndex(d["quarter"], freq="Q").start_time)
    names = _touchpoint_order(data["touchpoint"])
    figure = figure if figure is not None else plt.figure(figsize=(12, 3 * max(1, -(-len(names) // columns))))
    if not names:
        return []
    rows = -(-len(names) // columns)
    axes = figure.subplots(rows, min(columns, len(names)), sharey=True, squeeze=False).ravel()
    ylabel, title = TREND_METRICS[metric]
    colour = OKABE_ITO[0]
    for ax, name in zip(axes, names, strict=False):
        rows_ = data[data["touchpoint"] == name].sort_values("quarter_start")
        ax.plot(rows_["quarter_start"], rows_[metric], marker="o", color=colour)
        ax.fill_between(rows_["quarter_start"], rows_[f"{metric}_ci_low"], rows_[f"{metric}_ci_high"], color=colour,
                        alpha=0.2, linewidth=0)
        if target is not None:
            ax.axhline(target, color=TARGET_COLOUR, linestyle="--", linewidth=1, label="target")
        ax.set_title(name)
        ticks = rows_.iloc[::2]
        ax.set_xticks(ticks["quarter_start"], ticks["quarter"], rotation=45, ha="right", fontsize=8)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    axes[0].set_ylabel(ylabel)
    level = card.attrs.get("level", 0.95)
    figure.suptitle(f"{title} (bands: {level * 100:g}% intervals)")
    return list(axes[: len(names)])


def plot_trend(card: pd.DataFrame, *, metric: str = "csat", touchpoints=None, ax=None):
    """Line chart of a scorecard metric over quarters with its interval as a band.

    Parameters
    ----------
    card : pandas.DataFrame
        Output of :func:`scorecard` (suppressed cells show as gaps; its ``attrs["level"]`` names
        the interval level in the title).
    metric : {"csat", "ces", "nps"}
        What to plot.
    touchpoints : list of str, optional
        Touchpoints to show; default all with data for the metric.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if metric not in TREND_METRICS:
        raise ValueError(f"metric must be one of {tuple(TREND_METRICS)}; got {metric!r}")
    _require(card, ["touchpoint", "quarter", metric, f"{metric}_ci_low", f"{metric}_ci_high"], "plot_trend")
    data = card[card[metric].notna()]
    if touchpoints is not None:
        data = data[data["touchpoint"].isin(touchpoints)]
    data = data.assign(quarter_start=pd.PeriodIndex(data["quarter"], freq="Q").start_time)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    ylabel, title = TREND_METRICS[metric]
    names = _touchpoint_order(data["touchpoint"])
    palette = group_colours(names)
    if len(data):
        sns.lineplot(data=data, x="quarter_start", y=metric, hue="touchpoint", hue_order=names, palette=palette,
                     marker="o", errorbar=None, ax=ax)
        for name, rows in data.groupby("touchpoint"):
            ax.fill_between(rows["quarter_start"], rows[f"{metric}_ci_low"], rows[f"{metric}_ci_high"],
                            color=palette[name], alpha=0.15, linewidth=0)
        ax.legend(title="Touchpoint", loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        ticks = data.drop_duplicates("quarter").sort_values("quarter_start")
        ax.set_xticks(ticks["quarter_start"])
        ax.set_xticklabels(ticks["quarter"], rotation=45, ha="right")
    level = card.attrs.get("level", 0.95)
    ax.set_title(f"{title} (bands: {level * 100:g}% intervals)" if len(data) else f"{title}: no data to show")
    ax.set_xlabel("Quarter the survey was sent")
    ax.set_ylabel(ylabel)
    return ax


@dataclass(frozen=True)
class InterventionEffect:
    """Change in a touchpoint's CSAT share around a dated intervention.

    Attributes
    ----------
    touchpoint : str
    date : pandas.Timestamp
        Intervention date; invitations sent on or after it are "after".
    window_months : int
        Length of each window; the after window is cut at the as-of date.
    before_start, after_end : pandas.Timestamp
        First day of the before window and the end (exclusive) of the after window.
    before, after : metrics.CSATEstimate
        CSAT in each window.
    change : metrics.Difference
        After minus before, share satisfied in percentage points (Newcombe interval, pooled
        z-test).
    segmented : pandas.DataFrame or None
        Segmented regression of the monthly share (weighted least squares, weights = answers
        per month, HC1 robust standard errors): ``pre_trend_per_month``,
        ``level_change_at_date`` and ``slope_change_per_month`` in percentage points with
        ``ci_low``, ``ci_high``, ``p_value``; None with fewer than 3 months on either side.
    monthly : pandas.DataFrame
        Per month since the date (``month`` = whole months, negative before): ``start``,
        ``n``, ``satisfied``, ``share``, ``ci_low``, ``ci_high`` (Wilson, %) and ``fitted``
        (segmented-regression line, %).
    level : float
        Confidence level.
    """

    touchpoint: str
    date: pd.Timestamp
    window_months: int
    before_start: pd.Timestamp
    after_end: pd.Timestamp
    before: metrics.CSATEstimate
    after: metrics.CSATEstimate
    change: metrics.Difference
    segmented: pd.DataFrame | None
    monthly: pd.DataFrame
    level: float

    @property
    def summary(self) -> pd.DataFrame:
        """One table: the two windows, the change and the segmented-regression terms."""
        rows = [
            {"quantity": "CSAT before (% satisfied)", "estimate": self.before.value, "ci_low": self.before.ci_low,
             "ci_high": self.before.ci_high, "p_value": np.nan, "n": self.before.n},
            {"quantity": "CSAT after (% satisfied)", "estimate": self.after.value, "ci_low": self.after.ci_low,
             "ci_high": self.after.ci_high, "p_value": np.nan, "n": self.after.n},
            {"quantity": "Change after - before (percentage points)", "estimate": self.change.estimate,
             "ci_low": self.change.ci_low, "ci_high": self.change.ci_high, "p_value": self.change.p_value,
             "n": self.before.n + self.after.n},
        ]
        if self.segmented is not None:
            labels = {"pre_trend_per_month": "Trend before (points per month)",
                      "level_change_at_date": "Jump at the date (points)",
                      "slope_change_per_month": "Change in trend (points per month)"}
            for term, row in self.segmented.iterrows():
                rows.append({"quantity": labels[term], "estimate": row["estimate"], "ci_low": row["ci_low"],
                             "ci_high": row["ci_high"], "p_value": row["p_value"],
                             "n": self.before.n + self.after.n})
        return pd.DataFrame(rows)

    def __str__(self) -> str:
        return (f"{self.touchpoint} CSAT from {self.date.date()} ({self.window_months} months after vs before): "
                f"{self.after.value:.1f}% vs {self.before.value:.1f}% satisfied; change {self.change}")

    def _repr_html_(self) -> str:
        table = self.summary.round(2).to_html(index=False, na_rep="", border=0, escape=True)
        return f"<p>{html.escape(str(self))}</p>{table}"


def _months_since(times: pd.Series, date: pd.Timestamp) -> pd.Series:
    """Whole months elapsed from ``date`` to each time (negative before the date)."""
    months = (times.dt.year - date.year) * 12 + (times.dt.month - date.month)
    seconds_into_month = (times.dt.day - 1) * 86_400 + (times - times.dt.normalize()).dt.total_seconds()
    date_into_month = (date.day - 1) * 86_400 + (date - date.normalize()).total_seconds()
    return months - (seconds_into_month < date_into_month).astype(int)


def _segmented_fit(monthly: pd.DataFrame, level: float) -> tuple[pd.DataFrame | None, np.ndarray]:
    fitted = np.full(len(monthly), np.nan)
    if (monthly["month"] < 0).sum() < 3 or (monthly["month"] >= 0).sum() < 3:
        return None, fitted
    t = monthly["month"].to_numpy(dtype=float)
    post = (t >= 0).astype(float)
    design = np.column_stack([np.ones_like(t), t, post, t * post])
    fit = sm.WLS(monthly["share"].to_numpy() / 100, design, weights=monthly["n"].to_numpy()).fit(cov_type="HC1")
    ci = np.asarray(fit.conf_int(alpha=1 - level))
    terms = ["pre_trend_per_month", "level_change_at_date", "slope_change_per_month"]
    table = pd.DataFrame({"estimate": fit.params[1:] * 100, "ci_low": ci[1:, 0] * 100, "ci_high": ci[1:, 1] * 100,
                          "se": fit.bse[1:] * 100, "p_value": fit.pvalues[1:]}, index=pd.Index(terms, name="term"))
    return table, fit.fittedvalues * 100


def intervention_effect(surveys: pd.DataFrame, *, date, as_of, touchpoint: str = "invoicing",
                        window_months: int = 12, level: float = 0.95,
                        satisfied_scores: tuple[int, ...] = metrics.SATISFIED_SCORES,
                        cluster_col: str | None = metrics.DEFAULT_CLUSTER_COL) -> InterventionEffect:
    """Change in a touchpoint's CSAT share from the months before a date to the months after it.

    The before window is ``[date - window_months, date)`` and the after window
    ``[date, date + window_months)`` (cut at ``as_of``), by the invitation's ``sent_at`` (the
    experience being rated happened just before it). The headline is the difference of the two
    shares with Newcombe's interval and the pooled z-test (:func:`metrics.compare_csat`).

    A before/after difference credits the intervention with everything else that changed too:
    an existing trend, seasonality, a different mix of customers, and non-response (unhappy
    customers answer less often, so both shares are biased upwards). The segmented regression
    in ``segmented`` separates a linear trend that was already there (``pre_trend_per_month``)
    from a jump at the date and a change of trend after it; it controls a linear pre-trend only.

    Parameters
    ----------
    surveys : pandas.DataFrame
        A ``surveys`` table; not modified.
    date : str or pandas.Timestamp
        Intervention date.
    as_of : str or pandas.Timestamp
        Analysis date (see :func:`surveys_as_of`); must be after ``date``.
    touchpoint : str
        Touchpoint whose CSAT is compared.
    window_months : int
        Months on each side.
    level : float
        Confidence level.
    satisfied_scores : tuple of int
        CSAT scores counted as satisfied.
    cluster_col : str or None
        Column of customer ids: the two windows' intervals and the change allow for customers
        answering several times (default ``"customer_id"`` when present; None treats answers as
        independent). The monthly points and the segmented regression are not clustered.

    Returns
    -------
    InterventionEffect

    Raises
    ------
    ValueError
        When the date is not before ``as_of``, the window is not a positive whole number of
        months or the touchpoint has no invitations.
    """
    _require(surveys, SURVEY_COLUMNS, "intervention_effect")
    date, as_of = pd.Timestamp(date), pd.Timestamp(as_of)
    if date >= as_of:
        raise ValueError(f"intervention date {date.date()} must be before the as-of date {as_of.date()}")
    if int(window_months) != window_months or window_months < 1:
        raise ValueError(f"window_months must be a positive whole number; got {window_months!r}")
    cluster_col = metrics.cluster_column(surveys, cluster_col)
    frame = surveys_as_of(_scores_only(surveys, cluster_col), as_of=as_of)
    frame = frame[frame["touchpoint"] == touchpoint]
    if frame.empty:
        raise ValueError(f"no invitations for touchpoint {touchpoint!r} up to {as_of.date()}")
    start = date - pd.DateOffset(months=int(window_months))
    end = min(date + pd.DateOffset(months=int(window_months)), as_of + pd.Timedelta(days=1))
    sent = pd.to_datetime(frame["sent_at"])
    frame = frame[(sent >= start) & (sent < end)]
    after_mask = pd.to_datetime(frame["sent_at"]) >= date
    before, after = (metrics.csat(rows["csat"], clusters=None if cluster_col is None else rows[cluster_col],
                                  level=level, satisfied_scores=satisfied_scores)
                     for rows in (frame[~after_mask], frame[after_mask]))
    change = metrics.compare_csat(after, before, on="share")
    answered = frame[frame["csat"].notna()]
    month = _months_since(pd.to_datetime(answered["sent_at"]), date)
    monthly = (answered.assign(month=month, hit=answered["csat"].isin(satisfied_scores))
               .groupby("month").agg(n=("hit", "size"), satisfied=("hit", "sum")).reset_index())
    monthly["start"] = [date + pd.DateOffset(months=int(m)) for m in monthly["month"]]
    monthly["share"] = monthly["satisfied"] / monthly["n"] * 100
    low, high = metrics.wilson_interval(monthly["satisfied"], monthly["n"], level)
    monthly["ci_low"], monthly["ci_high"] = low * 100, high * 100
    segmented, fitted = _segmented_fit(monthly, level)
    monthly["fitted"] = fitted
    return InterventionEffect(touchpoint=touchpoint, date=date, window_months=int(window_months),
                              before_start=start, after_end=end, before=before, after=after, change=change,
                              segmented=segmented, monthly=monthly, level=level)


def plot_intervention(effect: InterventionEffect, *, ax=None):
    """Monthly CSAT share around an intervention with intervals, the date and the segmented fit.

    Parameters
    ----------
    effect : InterventionEffect
        Output of :func:`intervention_effect`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is created when omitted.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    monthly = effect.monthly
    sns.scatterplot(data=monthly, x="start", y="share", size="n", sizes=(15, 120), color="tab:blue", ax=ax,
                    legend=False)
    ax.vlines(monthly["start"], monthly["ci_low"], monthly["ci_high"], color="tab:blue", alpha=0.35)
    for side in (monthly["month"] < 0, monthly["month"] >= 0):
        if monthly.loc[side, "fitted"].notna().any():
            ax.plot(monthly.loc[side, "start"], monthly.loc[side, "fitted"], color="tab:orange",
                    label="Segmented trend" if side.iloc[-1] else None)
    ax.axvline(effect.date, color="grey", linestyle="--", label=f"Intervention {effect.date.date()}")
    ax.set_title(f"{effect.touchpoint.replace('_', ' ').capitalize()}: monthly CSAT around the intervention "
                 f"(lines: {effect.level * 100:g}% intervals)")
    ax.set_xlabel("Month the survey was sent")
    ax.set_ylabel("Share satisfied (CSAT 4-5), %")
    ax.legend(frameon=False, loc="lower right")
    return ax
