"""Map your own exports into the data model: tenure snapshots and wide survey tables.

Two shapes of export are common and neither has the data model's columns:

* a **tenure snapshot** (one row per customer with a tenure and a churn flag, no dates), mapped by
  :func:`from_tenure_table` into a ``customers`` table whose dates reproduce the tenure under
  the timing convention of :mod:`cxlab.tenure`;
* a **wide survey** (one row per respondent, one column per touchpoint rating, perhaps an
  overall outcome), mapped by :func:`from_wide_survey` into a long ``surveys`` table plus the
  ``customers`` table the respondents need.

:func:`check_tenure_table` and :func:`check_wide_survey` list every row that cannot be mapped
(with the column, the rule and the value) without raising, so a whole export can be checked at once.

Placeholders
------------
The data model requires some columns a source may not have. They are filled as follows, and
nothing else is invented:

* text attributes not given (segment, region, acquisition channel, contract) and empty cells
  in the columns given: ``"unknown"`` (:data:`UNKNOWN`);
* ``acquisition_cost`` and ``monthly_revenue`` not given: empty (both columns are nullable);
  revenue and customer-value figures are not computed for customers without a monthly
  revenue, so pass the column whenever the export has it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from cxlab.catalogue import Catalogue, Question, catalogue_from_dict, read_catalogue
from cxlab.datasets.source import combine_problems, describe_problems, problems
from cxlab.schema import RELATIONSHIP, required_columns
from cxlab.tenure import DAYS_PER_MONTH

__all__ = ["OUTCOME_KINDS", "PRESET_KINDS", "TENURE_UNITS", "TOUCHPOINT_SCALE", "UNKNOWN", "SurveyTables",
           "check_tenure_table", "check_wide_survey", "from_tenure_table", "from_wide_survey", "parse_flags"]

UNKNOWN = "unknown"
TENURE_UNITS = {"months": 1, "years": 12}
# outcome kind -> (surveys column, lowest, highest)
OUTCOME_KINDS = {
    "nps": ("nps", 0, 10),
    "csat": ("csat", 1, 5),
    "recommend5": ("recommend5", 1, 5),
    "binary": ("satisfied", 0, 1),
}
TOUCHPOINT_SCALE = (1, 5)
# Preset of a declared question -> the outcome kind that fills the same data-model column.
PRESET_KINDS = {"nps": "nps", "csat": "csat", "recommend5": "recommend5", "satisfied": "binary"}
_FLAGS = {"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0, "yes": 1, "no": 0}
_FLAG_RULE = "must be a flag: True/False, 1/0 or Yes/No (any case)"


class SurveyTables(NamedTuple):
    """The tables built from a wide survey: unpack as ``customers, surveys = ...``."""

    customers: pd.DataFrame
    surveys: pd.DataFrame


# --- shared checks ---------------------------------------------------------------------------------


def _require_columns(df: pd.DataFrame, columns, where: str) -> None:
    wanted = [c for c in columns if c is not None]
    missing = [c for c in wanted if c not in df.columns]
    if missing:
        raise ValueError(f"{where}: column(s) {missing} not in the table; found {list(df.columns)}")


def _as_text(series: pd.Series) -> pd.Series:
    """Strings with surrounding blanks removed; missing and empty cells become NaN."""
    text = series.astype(str).str.strip()
    return text.mask(series.isna().to_numpy() | (text == "").to_numpy())


def _numbers_given(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return (numbers with NaN where a cell is not a number, mask of cells that are not empty)."""
    try:
        numbers = series.astype(float)
        return numbers, numbers.notna()
    except (TypeError, ValueError):
        text = _as_text(series)
        return pd.to_numeric(text, errors="coerce").astype(float), text.notna()


def _as_number(series: pd.Series) -> pd.Series:
    """Numbers; cells that are empty or not numbers become NaN."""
    return _numbers_given(series)[0]


def parse_flags(series: pd.Series) -> pd.Series:
    """Read a yes/no column as 1.0 / 0.0, NaN where the value is not a flag.

    Accepted (surrounding blanks and case ignored): booleans, 1/0 (also 1.0/0.0),
    ``"yes"``/``"no"``, ``"true"``/``"false"``. Anything else, including empty cells, is NaN.

    Parameters
    ----------
    series : pandas.Series

    Returns
    -------
    pandas.Series of float

    Examples
    --------
    >>> parse_flags(pd.Series(["Yes", "no", 1, True, "maybe"])).tolist()
    [1.0, 0.0, 1.0, 1.0, nan]
    """
    text = series.astype(str).str.strip().str.lower()
    return text.map(_FLAGS).astype(float)


def _id_problems(ids: pd.Series, column: str) -> list[pd.DataFrame]:
    return [
        problems(ids.isna(), column, "must not be empty", ids),
        problems(ids.notna() & ids.duplicated(keep=False), column,
                 "must be unique (the identifier appears more than once)", ids),
    ]


def _text_attribute(df: pd.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.full(len(df), UNKNOWN, dtype=object)
    return _as_text(df[column]).fillna(UNKNOWN).to_numpy(dtype=object)


def _extra_columns(df: pd.DataFrame, extra_columns, where: str) -> dict[str, str]:
    """Normalise ``extra_columns`` to {source column: output column} and check it."""
    if extra_columns is None:
        return {}
    mapping = dict(extra_columns) if isinstance(extra_columns, Mapping) else {c: c for c in extra_columns}
    _require_columns(df, mapping, where)
    reserved = sorted(set(mapping.values()) & set(required_columns("customers")))
    if reserved:
        raise ValueError(f"{where}: extra column name(s) {reserved} are data-model columns; rename them")
    return mapping


# --- tenure snapshots ------------------------------------------------------------------------------


def check_tenure_table(df: pd.DataFrame, *, customer_id: str, tenure: str, churned: str,
                       tenure_unit: str = "months", monthly_revenue: str | None = None,
                       acquisition_cost: str | None = None) -> pd.DataFrame:
    """List every row of a tenure snapshot that :func:`from_tenure_table` cannot map.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per customer; not modified.
    customer_id, tenure, churned : str
        Columns holding the identifier, the tenure (in ``tenure_unit``) and the churn flag.
    tenure_unit : {"months", "years"}
    monthly_revenue, acquisition_cost : str, optional
        Columns holding these amounts, if any.

    Returns
    -------
    pandas.DataFrame
        One row per problem: ``row`` (1-based position in ``df``), ``column``, ``rule``,
        ``value``; empty when every row can be mapped.

    Raises
    ------
    ValueError
        When a named column is not in ``df`` or ``tenure_unit`` is unknown.
    """
    where = "from_tenure_table"
    _require_columns(df, [customer_id, tenure, churned, monthly_revenue, acquisition_cost], where)
    if tenure_unit not in TENURE_UNITS:
        raise ValueError(f"{where}: tenure_unit must be one of {list(TENURE_UNITS)}, got {tenure_unit!r}")
    ids = _as_text(df[customer_id])
    found = _id_problems(ids, customer_id)
    tenure_values = _as_number(df[tenure])
    found.append(problems(tenure_values.isna(), tenure, f"must be a number of {tenure_unit} (not empty)",
                          df[tenure]))
    found.append(problems(tenure_values < 0, tenure, "must be >= 0", df[tenure]))
    found.append(problems(parse_flags(df[churned]).isna(), churned, _FLAG_RULE, df[churned]))
    if monthly_revenue is not None:
        revenue = _as_number(df[monthly_revenue])
        found.append(problems(~(revenue >= 0), monthly_revenue,
                              "must be a number >= 0 (currency units per month; not empty)",
                              df[monthly_revenue]))
    if acquisition_cost is not None:
        cost, given = _numbers_given(df[acquisition_cost])
        found.append(problems(given & ~(cost >= 0), acquisition_cost, "must be empty or a number >= 0",
                              df[acquisition_cost]))
    return combine_problems(found)


def from_tenure_table(df: pd.DataFrame, *, customer_id: str, tenure: str, churned: str, as_of,
                      tenure_unit: str = "months", segment: str | None = None, region: str | None = None,
                      contract: str | None = None, monthly_revenue: str | None = None,
                      acquisition_channel: str | None = None, acquisition_cost: str | None = None,
                      extra_columns: Sequence[str] | Mapping[str, str] | None = None) -> pd.DataFrame:
    """Build a ``customers`` table from a snapshot of tenures and churn flags.

    A churn snapshot says, for each customer, how long they have been (or were) a customer and
    whether they churned, as of the day it was taken. Dates are derived from the explicit
    ``as_of`` so that :func:`cxlab.tenure.tenure_frame` at ``as_of`` gives back exactly the
    input tenure in whole months:

    * ``acquired_at`` = ``as_of`` minus the tenure (a month is
      :data:`cxlab.tenure.DAYS_PER_MONTH` days, a year 12 months), rounded down to the day; for
      a churner, minus the tenure rounded up to whole months (at least one), so that the
      churner's final month is over by ``as_of`` and the churn counts (:mod:`cxlab.tenure`);
    * a churner's ``churned_at`` = ``acquired_at`` plus the tenure, rounded down to the day:
      for a whole-month tenure the churn falls on the last day of the customer's final tenure
      month, on or just before ``as_of``. This assumes the snapshot lists churners of the
      recent past with their final tenure (as churn snapshots usually do); their true churn
      dates are not known, so analyses of churn *over calendar time* are not possible on such
      a table, while survival by tenure is exact. A churner with tenure 0 gets
      ``churned_at = acquired_at`` (a month before ``as_of``) and counts as churned in month 1;
    * customers not churned have an empty ``churned_at`` and are censored at their tenure.

    Whole-number tenures round-trip exactly; a fractional tenure is kept to the day and
    ``tenure_frame`` then counts whole months (down when censored, up when churned).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per customer; not modified.
    customer_id : str
        Column with the unique customer identifier (stored as text).
    tenure : str
        Column with the tenure in ``tenure_unit`` (a number >= 0).
    churned : str
        Column with the churn flag: booleans, 1/0, ``"Yes"``/``"No"`` or ``"True"``/``"False"``
        (any case).
    as_of : str or pandas.Timestamp
        The day the snapshot was taken (time of day is dropped).
    tenure_unit : {"months", "years"}
    segment, region, contract, acquisition_channel : str, optional
        Columns with these attributes; not given, or empty in a row: ``"unknown"``.
    monthly_revenue : str, optional
        Column with revenue in currency units per month (>= 0). Not given: 0.0, which stands
        for *unknown* (the data model requires a number; see the module docstring).
    acquisition_cost : str, optional
        Column with the cost of acquiring the customer (>= 0 or empty). Not given: empty.
    extra_columns : list of str or dict, optional
        Further columns to keep, as a list (names kept) or ``{source column: new name}``.

    Returns
    -------
    pandas.DataFrame
        A valid ``customers`` table (see :mod:`cxlab.schema`) in the input's row order, with
        the extra columns after the data-model columns.

    Raises
    ------
    ValueError
        Naming the column, the rows (1-based positions) and the values found, when a column is
        missing, a customer_id is empty or repeated, a tenure is empty, not a number or negative,
        a churn flag is not one of the accepted values, or an amount is invalid.

    Examples
    --------
    >>> snapshot = pd.DataFrame({"id": ["a", "b"], "months": [3, 12], "left": ["Yes", "No"]})
    >>> customers = from_tenure_table(snapshot, customer_id="id", tenure="months", churned="left",
    ...                               as_of="2024-12-31")
    >>> customers[["customer_id", "acquired_at", "churned_at"]].astype(str).values.tolist()
    [['a', '2024-09-30', '2024-12-30'], ['b', '2023-12-31', 'NaT']]
    >>> from cxlab.tenure import tenure_frame
    >>> tenure_frame(customers, as_of="2024-12-31")["tenure_months"].tolist()
    [3, 12]
    """
    where = "from_tenure_table"
    _require_columns(df, [segment, region, contract, acquisition_channel], where)
    found = check_tenure_table(df, customer_id=customer_id, tenure=tenure, churned=churned,
                               tenure_unit=tenure_unit, monthly_revenue=monthly_revenue,
                               acquisition_cost=acquisition_cost)
    if len(found):
        raise ValueError(describe_problems(found, where=where))
    extras = _extra_columns(df, extra_columns, where)
    as_of = pd.Timestamp(as_of).normalize()

    months = _as_number(df[tenure]).to_numpy() * TENURE_UNITS[tenure_unit]
    churn_flag = parse_flags(df[churned]).to_numpy() == 1
    # a churner's last tenure month must be over by the as-of date to count (cxlab.tenure)
    months_observed = np.where(churn_flag, np.maximum(np.ceil(months), 1), months)
    acquired = (as_of - pd.to_timedelta(months_observed * DAYS_PER_MONTH, unit="D")).floor("D")
    churned_at = (acquired + pd.to_timedelta(months * DAYS_PER_MONTH, unit="D")).floor("D").where(churn_flag)
    revenue = (_as_number(df[monthly_revenue]).to_numpy() if monthly_revenue is not None
               else np.full(len(df), np.nan))
    cost = _as_number(df[acquisition_cost]).to_numpy() if acquisition_cost is not None else np.nan

    customers = pd.DataFrame({
        "customer_id": _as_text(df[customer_id]).to_numpy(dtype=object),
        "segment": _text_attribute(df, segment),
        "region": _text_attribute(df, region),
        "acquisition_channel": _text_attribute(df, acquisition_channel),
        "acquired_at": np.asarray(acquired, dtype="datetime64[ns]"),
        "churned_at": np.asarray(churned_at, dtype="datetime64[ns]"),
        "contract": _text_attribute(df, contract),
        "monthly_revenue": revenue.astype(float),
        "acquisition_cost": np.broadcast_to(cost, len(df)).astype(float),
    })
    for source_column, name in extras.items():
        customers[name] = df[source_column].to_numpy()
    return customers


# --- wide surveys ----------------------------------------------------------------------------------


def _touchpoint_names(touchpoints, where: str) -> dict[str, str]:
    """Normalise ``touchpoints`` to {source column: touchpoint name} and check the names."""
    mapping = dict(touchpoints) if isinstance(touchpoints, Mapping) else {c: c for c in touchpoints}
    names = [str(n).strip() for n in mapping.values()]
    if any(not n for n in names):
        raise ValueError(f"{where}: touchpoint names must not be empty; got {list(mapping.values())}")
    if RELATIONSHIP in names:
        raise ValueError(f"{where}: '{RELATIONSHIP}' is reserved for the overall outcome's rows; "
                         "give that touchpoint column another name")
    if len(set(names)) < len(names):
        raise ValueError(f"{where}: touchpoint names must be unique; got {names}")
    return dict(zip(mapping, names, strict=True))


def _check_outcome_labels(labels: Mapping, kind: str, where: str) -> None:
    _, low, high = OUTCOME_KINDS[kind]
    bad = {k: v for k, v in labels.items() if v is not None
           and not (isinstance(v, int | float) and low <= v <= high and float(v).is_integer())}
    if bad:
        raise ValueError(f"{where}: outcome_labels must map each label to a whole number from {low} to "
                         f"{high} (the {kind} scale) or to None (not a score); bad entries: {bad}")


def _outcome_scores(series: pd.Series, kind: str, labels: Mapping | None) -> tuple[pd.Series, pd.Series, str]:
    """Return (scores with NaN for no score, mask of values that are not valid, rule text)."""
    _, low, high = OUTCOME_KINDS[kind]
    if labels is not None or kind == "binary":
        text = _as_text(series)
    if labels is not None:
        known = {str(k).strip(): (np.nan if v is None else float(v)) for k, v in labels.items()}
        scores = text.map(known).astype(float)
        return scores, text.notna() & ~text.isin(list(known)), f"must be one of the labels {list(known)}"
    if kind == "binary":
        scores = parse_flags(series).where(text.notna())
        return scores, text.notna() & scores.isna(), _FLAG_RULE
    scores, given = _numbers_given(series)
    valid = scores.between(low, high) & (scores % 1 == 0)
    return scores.where(valid), given & ~valid, f"must be empty or a whole number from {low} to {high}"


def _as_catalogue(catalogue, where: str) -> Catalogue | None:
    if catalogue is None or isinstance(catalogue, Catalogue):
        return catalogue
    if isinstance(catalogue, Mapping | list):
        return catalogue_from_dict(catalogue, where=f"{where}: catalogue")
    return read_catalogue(catalogue)


def _declared_questions(df: pd.DataFrame, names: dict[str, str], outcome: str | None, catalogue: Catalogue | None,
                        questions: Mapping[str, str] | None, where: str) -> dict[str, Question]:
    """{source column: declared question}: explicit ``questions``, else columns or touchpoints named like an id."""
    if catalogue is None:
        if questions:
            raise ValueError(f"{where}: questions given without a catalogue that declares them")
        return {}
    if questions is not None:
        _require_columns(df, questions, where)
        unknown = sorted(set(questions.values()) - set(catalogue.ids))
        if unknown:
            raise ValueError(f"{where}: questions names {unknown}, not in the catalogue {catalogue.ids}")
        return {column: catalogue[question_id] for column, question_id in questions.items()}
    declared = {column: catalogue[column] for column in df.columns if column in catalogue}
    declared.update({column: catalogue[name] for column, name in names.items()
                     if column not in declared and name in catalogue})
    if outcome is not None and outcome not in declared and catalogue.with_role("overall") is not None:
        declared[outcome] = catalogue.with_role("overall")
    return declared


def _column_scales(names: dict[str, str], declared: dict[str, Question], scale, where: str) -> dict[str, tuple]:
    """The scale of each touchpoint column, checked against the declaration; undeclared columns are CSAT 1-5."""
    given = {column: tuple(scale[column]) for column in scale} if isinstance(scale, Mapping) else \
        dict.fromkeys(names, tuple(scale))
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise ValueError(f"{where}: scale names column(s) {unknown} that are not touchpoint columns")
    scales = {}
    for column in names:
        wanted = given.get(column, TOUCHPOINT_SCALE)
        question = declared.get(column)
        if question is None:
            if wanted != TOUCHPOINT_SCALE:
                raise ValueError(
                    f"{where}: touchpoint ratings without a declaration are stored as CSAT, a 1-5 scale; "
                    f"scale={wanted} is another scale and would be mislabelled. Declare each rating's scale in a "
                    "question catalogue (catalogue=..., see cxlab.catalogue) to keep it on its own scale; "
                    "values are never rescaled.")
            scales[column] = TOUCHPOINT_SCALE
            continue
        declared_scale = (question.scale_min, question.scale_max)
        explicit = column in given if isinstance(scale, Mapping) else tuple(scale) != TOUCHPOINT_SCALE
        if explicit and wanted != declared_scale:
            raise ValueError(f"{where}: column {column!r} is given scale={wanted} but its question "
                             f"{question.id!r} is declared on {question.scale}")
        scales[column] = declared_scale
    return scales


def _rating_problems(series: pd.Series, column: str, low: int, high: int, skip: list) -> pd.DataFrame:
    ratings, given = _numbers_given(series)
    codes = [c for c in skip if not low <= c <= high]  # a code inside the scale is an answer
    valid = ratings.isin(codes) | (ratings.between(low, high) & (ratings % 1 == 0))
    return problems(given & ~valid, column, f"must be empty, a whole number from {low} to {high} or a "
                                            f"not-applicable code {codes}", series)


def check_wide_survey(df: pd.DataFrame, *, respondent_id: str, touchpoints, responded_at: str | None = None,
                      outcome: str | None = None, outcome_kind: str | None = None,
                      outcome_labels: Mapping | None = None, scale=TOUCHPOINT_SCALE,
                      not_applicable=(0,), catalogue=None, questions: Mapping[str, str] | None = None
                      ) -> pd.DataFrame:
    """List every row of a wide survey table that :func:`from_wide_survey` cannot map.

    Parameters are those of :func:`from_wide_survey`.

    Returns
    -------
    pandas.DataFrame
        One row per problem: ``row`` (1-based position in ``df``), ``column``, ``rule``,
        ``value``; empty when every row can be mapped.

    Raises
    ------
    ValueError
        When the arguments themselves are wrong: a named column is missing, the touchpoint
        names are empty, repeated or ``"relationship"``, a touchpoint scale other than CSAT's
        1-5 is not declared in the catalogue (or differs from its declaration), the outcome kind
        is unknown or its labels map outside its scale.
    """
    where = "from_wide_survey"
    names = _touchpoint_names(touchpoints, where)
    _require_columns(df, [respondent_id, responded_at, outcome, *names], where)
    catalogue = _as_catalogue(catalogue, where)
    declared = _declared_questions(df, names, outcome, catalogue, questions, where)
    scales = _column_scales(names, declared, scale, where)
    outcome_kind = _outcome_kind(outcome, outcome_kind, declared, where)
    if outcome_labels is not None:
        if outcome is None or outcome_kind is None:
            raise ValueError(f"{where}: outcome_labels need an outcome column on a scale of outcome_kind")
        _check_outcome_labels(outcome_labels, outcome_kind, where)

    found = _id_problems(_as_text(df[respondent_id]), respondent_id)
    skip = list(not_applicable)
    found += [_rating_problems(df[column], column, *scales[column], skip) for column in names]
    found += [_rating_problems(df[column], column, q.scale_min, q.scale_max, skip) for column, q in declared.items()
              if column not in names and column != outcome]
    if responded_at is not None:
        dates = pd.to_datetime(_as_text(df[responded_at]), errors="coerce", format="mixed")
        found.append(problems(dates.isna(), responded_at, "must be a date (not empty)", df[responded_at]))
    if outcome is not None and outcome_kind is not None:
        _, bad, rule = _outcome_scores(df[outcome], outcome_kind, outcome_labels)
        found.append(problems(bad, outcome, rule, df[outcome]))
    elif outcome is not None:
        q = declared[outcome]
        found.append(_rating_problems(df[outcome], outcome, q.scale_min, q.scale_max, []))
    return combine_problems(found)


def _outcome_kind(outcome: str | None, outcome_kind: str | None, declared: dict[str, Question],
                  where: str) -> str | None:
    """The outcome's kind: given, or from its declared preset; None for a declared question on another scale."""
    if outcome is None:
        return outcome_kind
    question = declared.get(outcome)
    if outcome_kind is None and question is not None:
        return PRESET_KINDS.get(question.preset)
    if outcome_kind not in OUTCOME_KINDS:
        raise ValueError(f"{where}: outcome_kind must be one of {list(OUTCOME_KINDS)}, got {outcome_kind!r}")
    _, low, high = OUTCOME_KINDS[outcome_kind]
    if question is not None and (question.scale_min, question.scale_max) != (low, high):
        raise ValueError(f"{where}: outcome_kind={outcome_kind!r} is a {low}-{high} scale but the outcome's question "
                         f"{question.id!r} is declared on {question.scale}")
    return outcome_kind


def from_wide_survey(df: pd.DataFrame, *, respondent_id: str, touchpoints, survey_date=None,
                     responded_at: str | None = None, outcome: str | None = None,
                     outcome_kind: str | None = None, outcome_labels: Mapping | None = None,
                     scale=TOUCHPOINT_SCALE, not_applicable=(0,),
                     comment: str | None = None, channel: str | None = None, segment: str | None = None,
                     region: str | None = None, contract: str | None = None,
                     extra_columns: Sequence[str] | Mapping[str, str] | None = None, catalogue=None,
                     questions: Mapping[str, str] | None = None) -> SurveyTables:
    """Turn a wide survey export (one row per respondent) into ``surveys`` and ``customers``.

    Each respondent becomes a customer, and each (respondent, touchpoint) pair one row of the
    long ``surveys`` table with the rating in ``csat``. The overall outcome, if any, becomes one
    more row per respondent with touchpoint ``"relationship"``, its score in the column of its
    scale, never rescaled into another:

    ==============  ==============  ====================================================
    outcome_kind    surveys column  scale
    ==============  ==============  ====================================================
    ``nps``         ``nps``         0-10 likelihood to recommend (Net Promoter)
    ``csat``        ``csat``        1-5 overall satisfaction
    ``recommend5``  ``recommend5``  1-5 likelihood to recommend (e.g. NHS FFT); not NPS
    ``binary``      ``satisfied``   0/1 satisfied flag
    ==============  ==============  ====================================================

    Rows are ordered by respondent (input order), then touchpoint (given order), then the
    relationship row. ``invitation_id`` is ``"<respondent>-<touchpoint>"``. A rating in
    ``not_applicable`` (e.g. 0 = "not applicable") or an empty cell gives an empty ``csat``;
    the row is kept, since the respondent did see the question. A wide export lists respondents
    only, so every row has ``responded_at``; ``sent_at`` is set to the same time (the export has
    no invitation dates, so response rates cannot be computed from it). Touchpoint ratings and
    the outcome were given in one questionnaire and carry the same ``responded_at``.

    Respondents as customers: ``acquired_at`` is the day of their response (the latest day
    they can have become customers, so tenures from it are lower bounds), ``churned_at`` is
    empty (a survey says nothing about churn), text attributes not given are ``"unknown"``,
    ``monthly_revenue`` and ``acquisition_cost`` are empty (see the module docstring).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per respondent; not modified.
    respondent_id : str
        Column with a unique respondent identifier (becomes ``customer_id``).
    touchpoints : list of str or dict
        Rating columns, as a list (column names become touchpoint names) or
        ``{source column: touchpoint name}``. May be empty when ``outcome`` is given.
    survey_date : str or pandas.Timestamp, optional
        The date every answer is dated at when the export has no dates; required when
        ``responded_at`` is not given.
    responded_at : str, optional
        Column with each respondent's response date and time.
    outcome : str, optional
        Column with the overall outcome; empty cells give a relationship row without a score.
    outcome_kind : {"nps", "csat", "recommend5", "binary"}, optional
        Scale of the outcome (see the table above); required with ``outcome`` unless the
        catalogue declares the outcome's question (its preset then gives the column; a question
        on another scale fills only ``score``).
    outcome_labels : dict, optional
        For text outcomes: ``{label: score}``; a label mapped to None (e.g. ``"Don't know"``)
        is an answer without a score. Without it a ``binary`` outcome accepts flags
        (True/False, 1/0, Yes/No) and the other kinds whole numbers on their scale.
    scale : tuple of int or dict, default (1, 5)
        Scale of the touchpoint ratings, or ``{column: (min, max)}`` per column. Ratings not
        declared in ``catalogue`` must be CSAT's 1-5 (other scales raise); declared ones are on
        their declared scale, which a scale given here must equal.
    not_applicable : sequence of numbers, default (0,)
        Rating codes meaning "not applicable" (outside the question's scale); they become empty.
    comment : str, optional
        Free-text column, stored on the relationship row.
    channel : str, optional
        Column with the survey channel (default ``"unknown"``).
    segment, region, contract : str, optional
        Customer attribute columns (default ``"unknown"``).
    extra_columns : list of str or dict, optional
        Further respondent columns kept on the customers table (list, or {source: new name}).
    catalogue : cxlab.catalogue.Catalogue, dict or path, optional
        The question catalogue declaring the ratings' scales (a catalogue, its YAML form as a
        dict, or a YAML file).
    questions : dict of str to str, optional
        ``{column: question id}``; default: columns, and touchpoint names, equal to a question
        id, and the outcome as the catalogue's ``"overall"`` question.

    Returns
    -------
    SurveyTables
        ``(customers, surveys)``, both valid tables of the data model. ``surveys`` has the
        column ``recommend5`` or ``satisfied`` only when the outcome is of that kind.

    Raises
    ------
    ValueError
        For wrong arguments (see :func:`check_wide_survey`) and for rows that cannot be mapped,
        naming the column, the rows (1-based positions) and the values found.

    Examples
    --------
    >>> wide = pd.DataFrame({"id": [7, 8], "Booking": [5, 0], "Seat": [3, 4],
    ...                      "overall": ["satisfied", "dissatisfied"]})
    >>> customers, surveys = from_wide_survey(
    ...     wide, respondent_id="id", touchpoints={"Booking": "booking", "Seat": "seat"},
    ...     outcome="overall", outcome_kind="binary",
    ...     outcome_labels={"satisfied": 1, "dissatisfied": 0}, survey_date="2024-12-31")
    >>> surveys[["invitation_id", "csat", "satisfied"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['7-booking', 5.0, nan], ['7-seat', 3.0, nan], ['7-relationship', nan, 1.0],
     ['8-booking', nan, nan], ['8-seat', 4.0, nan], ['8-relationship', nan, 0.0]]
    """
    where = "from_wide_survey"
    found = check_wide_survey(df, respondent_id=respondent_id, touchpoints=touchpoints,
                              responded_at=responded_at, outcome=outcome, outcome_kind=outcome_kind,
                              outcome_labels=outcome_labels, scale=scale, not_applicable=not_applicable,
                              catalogue=catalogue, questions=questions)
    _require_columns(df, [comment, channel, segment, region, contract], where)
    names = _touchpoint_names(touchpoints, where)
    catalogue = _as_catalogue(catalogue, where)
    declared = _declared_questions(df, names, outcome, catalogue, questions, where)
    if responded_at is None and survey_date is None:
        raise ValueError(f"{where}: the export has no response dates; pass responded_at=<column> or "
                         "survey_date=<the date to record for every answer>")
    if len(found):
        raise ValueError(describe_problems(found, where=where))
    tables = _wide_survey_tables(
        df, respondent_id=respondent_id, names=names, survey_date=survey_date, responded_at=responded_at,
        outcome=outcome, outcome_kind=_outcome_kind(outcome, outcome_kind, declared, where),
        outcome_labels=outcome_labels, not_applicable=not_applicable, comment=comment, channel=channel,
        segment=segment, region=region, contract=contract, extras=_extra_columns(df, extra_columns, where),
        declared=declared)
    return tables


def _wide_survey_tables(df: pd.DataFrame, *, respondent_id: str, names: dict[str, str], survey_date,
                        responded_at: str | None, outcome: str | None, outcome_kind: str | None,
                        outcome_labels: Mapping | None, not_applicable, comment: str | None,
                        channel: str | None, segment: str | None, region: str | None, contract: str | None,
                        extras: dict[str, str], declared: dict[str, Question]) -> SurveyTables:
    """Build the tables of :func:`from_wide_survey` from rows that passed :func:`check_wide_survey`."""
    n = len(df)
    if responded_at is not None:
        answered = pd.to_datetime(_as_text(df[responded_at]), format="mixed").to_numpy(dtype="datetime64[ns]")
    else:
        answered = np.full(n, pd.Timestamp(survey_date).to_datetime64(), dtype="datetime64[ns]")
    ids = _as_text(df[respondent_id]).to_numpy(dtype=object)

    # One column per touchpoint, then the relationship column when there is an outcome or comment.
    columns = list(names.values())
    ratings = np.column_stack([_rating_values(df[c], declared.get(c), not_applicable) for c in names]) \
        if names else np.empty((n, 0))
    as_csat = np.array([c not in declared or declared[c].preset == "csat" for c in names], dtype=bool)
    empty = np.full((n, len(columns)), np.nan)
    scores = {"nps": empty.copy(), "csat": np.where(as_csat, ratings, np.nan), "ces": empty.copy()}
    comments = np.full((n, len(columns)), np.nan, dtype=object)
    has_relationship = outcome is not None or comment is not None
    if has_relationship:
        columns.append(RELATIONSHIP)
        for key, values in scores.items():
            scores[key] = np.column_stack([values, np.full(n, np.nan)])
        comments = np.column_stack([comments, _as_text(df[comment]).to_numpy(dtype=object) if comment
                                    else np.full(n, np.nan, dtype=object)])
    if outcome is not None and outcome_kind is not None:
        column = OUTCOME_KINDS[outcome_kind][0]
        values, _, _ = _outcome_scores(df[outcome], outcome_kind, outcome_labels)
        if column not in scores:
            scores[column] = np.full((n, len(columns)), np.nan)
        scores[column][:, -1] = values.to_numpy()

    per_row = len(columns)
    if declared:
        question_ids = [declared[c].id if c in declared else None for c in names]
        scores["score"] = np.column_stack([ratings, np.full((n, per_row - len(names)), np.nan)])
        if outcome is not None and outcome in declared:
            question_ids.append(declared[outcome].id)
            scores["score"][:, -1] = _rating_values(df[outcome], declared[outcome], ()) if outcome_kind is None \
                else values.to_numpy()
        elif has_relationship:
            question_ids.append(None)
        scores["question_id"] = np.tile(np.asarray(question_ids, dtype=object), (n, 1))
    touchpoint = np.tile(np.asarray(columns, dtype=object), n)
    customer = np.repeat(ids, per_row)
    when = np.repeat(answered, per_row)
    surveys = pd.DataFrame({
        "invitation_id": pd.Series(customer, dtype=object) + "-" + touchpoint,
        "customer_id": customer,
        "touchpoint": touchpoint,
        "channel": np.repeat(_text_attribute(df, channel), per_row),
        "sent_at": when,
        "responded_at": when,
        **{key: values.ravel() for key, values in scores.items() if key in ("nps", "csat", "ces")},
        "comment": comments.ravel(),
        **{key: values.ravel() for key, values in scores.items() if key not in ("nps", "csat", "ces")},
    })

    if declared:
        surveys = _with_other_questions(surveys, df, ids, answered, channel, declared, [*names, outcome],
                                        not_applicable)

    customers = pd.DataFrame({
        "customer_id": ids,
        "segment": _text_attribute(df, segment),
        "region": _text_attribute(df, region),
        "acquisition_channel": np.full(n, UNKNOWN, dtype=object),
        "acquired_at": pd.DatetimeIndex(answered).floor("D").to_numpy(dtype="datetime64[ns]"),
        "churned_at": np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"),
        "contract": _text_attribute(df, contract),
        "monthly_revenue": np.full(n, np.nan),
        "acquisition_cost": np.full(n, np.nan),
    })
    for source_column, name in extras.items():
        customers[name] = df[source_column].to_numpy()
    return SurveyTables(customers, surveys)


def _rating_values(series: pd.Series, question: Question | None, not_applicable) -> np.ndarray:
    """Numbers of a rating column; not-applicable codes outside the question's scale become NaN."""
    values = _as_number(series).to_numpy()
    low, high = (question.scale_min, question.scale_max) if question is not None else TOUCHPOINT_SCALE
    codes = [c for c in not_applicable if not low <= c <= high]
    return np.where(np.isin(values, codes), np.nan, values)


def _with_other_questions(surveys: pd.DataFrame, df: pd.DataFrame, ids: np.ndarray, answered: np.ndarray,
                          channel: str | None, declared: dict[str, Question], used: list,
                          not_applicable) -> pd.DataFrame:
    """Add one row per respondent and declared question not already on a touchpoint or relationship row."""
    others = {column: q for column, q in declared.items() if column not in used}
    if not others:
        return surveys
    n, per_row = len(df), len(others)
    question_ids = np.asarray([q.id for q in others.values()], dtype=object)
    customer = np.repeat(ids, per_row)
    when = np.repeat(answered, per_row)
    rows = pd.DataFrame({
        "invitation_id": pd.Series(customer, dtype=object) + "-" + np.tile(question_ids, n),
        "customer_id": customer,
        "touchpoint": np.tile(np.asarray([q.touchpoint or RELATIONSHIP for q in others.values()], dtype=object), n),
        "channel": np.repeat(_text_attribute(df, channel), per_row),
        "sent_at": when,
        "responded_at": when,
        "question_id": np.tile(question_ids, n),
        "score": np.column_stack([_rating_values(df[c], q, not_applicable) for c, q in others.items()]).ravel(),
    })
    for q in others.values():  # a preset question also fills its data-model column
        if q.standard_column is not None:
            if q.standard_column not in surveys.columns:
                surveys[q.standard_column] = np.nan
            rows.loc[rows["question_id"] == q.id, q.standard_column] = rows.loc[rows["question_id"] == q.id, "score"]
    order = np.concatenate([np.repeat(np.arange(n), len(surveys) // n), np.repeat(np.arange(n), per_row)])
    combined = pd.concat([surveys, rows.reindex(columns=surveys.columns)], ignore_index=True)
    return combined.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
