"""Loyalty typology, a TRI*M-style retention index and the grid of stated vs derived importance.

All functions take wide answers (one row per respondent, one column per question id, values on
each question's own scale; :func:`cxlab.catalogue.answers_frame`) and the survey's
:class:`~cxlab.catalogue.Catalogue`, which says which question plays which role.

Typology
    Respondents are split by satisfaction (top box of the overall-satisfaction question or not)
    and loyalty (top box of the recommendation and/or repurchase-intention question or not) into
    the four groups of the TRI*M typology (Kantar, formerly TNS): **apostles** (satisfied and
    loyal), **hostages** (loyal although not satisfied: they stay for want of an alternative),
    **mercenaries** (satisfied but not loyal) and **terrorists** (neither).
Retention index
    A *TRI*M-style* index: the weighted mean of the four TRI*M questions (overall satisfaction,
    recommendation, repurchase intention, preference over competitors — or, without a preference
    question, the comparison with competitors (better / the same / worse)), each placed on 0-100 by
    its position on its own declared scale (0 = worst answer, 100 = best, so a lower-is-better
    scale is turned round). Kantar's own scoring and weights are not public, so the index is not
    comparable with Kantar's published TRI*M benchmarks; the weights are a parameter (default
    equal) and are reported with the index.
Importance grid
    Stated importance (the mean answer to "how important is ...", as a position 0-100 on its
    scale) against derived importance (the item's share of the explained variance of an outcome
    from :func:`cxlab.drivers.key_drivers`), split at the means of the items into
    **motivators** (high stated, high derived), **hygiene factors** (high stated, low derived:
    expected, so they do not move loyalty), **hidden opportunities** (low stated, high derived)
    and **potential savings** (low both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from cxlab.catalogue import Catalogue, Question
from cxlab.drivers import key_drivers
from cxlab.metrics import mean_intervals_from_sums, wilson_interval

__all__ = ["INDEX_NAME", "INDEX_ROLES", "LOYALTY_RULES", "QUADRANTS", "TYPES", "importance_grid", "index_questions",
           "index_scores", "loyalty_questions", "loyalty_types", "retention_index", "typology_shares"]

TYPES = ("apostles", "hostages", "mercenaries", "terrorists")
LOYALTY_RULES = ("all", "any")
INDEX_ROLES = ("overall", "recommend", "repurchase", "preference")
QUADRANTS = ("motivators", "hygiene factors", "hidden opportunities", "potential savings")
INDEX_NAME = "TRI*M-style retention index"


def _role_question(catalogue: Catalogue, role: str, answers: pd.DataFrame) -> Question | None:
    question = catalogue.with_role(role)
    return question if question is not None and question.id in answers.columns else None


def loyalty_questions(catalogue: Catalogue, answers: pd.DataFrame) -> tuple[Question | None, list[Question]]:
    """The satisfaction question and the loyalty questions (recommend, repurchase) that have answers."""
    loyalty = [q for role in ("recommend", "repurchase") if (q := _role_question(catalogue, role, answers))]
    return _role_question(catalogue, "overall", answers), loyalty


def loyalty_types(answers: pd.DataFrame, catalogue: Catalogue, *, rule: str = "all") -> pd.Series:
    """The loyalty type of each respondent (:data:`TYPES`).

    Parameters
    ----------
    answers : pandas.DataFrame
        Wide answers; not modified.
    catalogue : Catalogue
        Must give the role ``"overall"`` to a question and ``"recommend"`` and/or
        ``"repurchase"`` to others.
    rule : {"all", "any"}
        With both loyalty questions: loyal when every one (``"all"``) or at least one
        (``"any"``) is in its top box.

    Returns
    -------
    pandas.Series
        Categorical, aligned with ``answers``; missing where the satisfaction answer or any
        loyalty answer is missing.

    Raises
    ------
    ValueError
        When the catalogue lacks those roles, or for an unknown rule.

    Examples
    --------
    >>> from cxlab.catalogue import Catalogue, Question
    >>> cat = Catalogue([Question.from_preset("csat", id="sat", role="overall"),
    ...                  Question.from_preset("nps", id="ltr", role="recommend")])
    >>> loyalty_types(pd.DataFrame({"sat": [5, 2, 4, 1], "ltr": [10, 9, 6, 3]}), cat).tolist()
    ['apostles', 'hostages', 'mercenaries', 'terrorists']
    """
    if rule not in LOYALTY_RULES:
        raise ValueError(f"loyalty_types: rule must be one of {LOYALTY_RULES}, got {rule!r}")
    satisfaction, loyalty = loyalty_questions(catalogue, answers)
    if satisfaction is None or not loyalty:
        raise ValueError("loyalty_types: needs answers to a question with role 'overall' (satisfaction) and to one "
                         "with role 'recommend' or 'repurchase'; the catalogue and answers have "
                         f"{[q.id for q in catalogue.questions if q.role != 'rating' and q.id in answers.columns]}")
    satisfied = satisfaction.in_box(answers[satisfaction.id], "top")
    tops = np.column_stack([q.in_box(answers[q.id], "top") for q in loyalty])
    loyal = tops.all(axis=1) if rule == "all" else tops.any(axis=1)
    known = answers[[satisfaction.id, *[q.id for q in loyalty]]].notna().all(axis=1).to_numpy()
    kind = np.where(satisfied, np.where(loyal, "apostles", "mercenaries"), np.where(loyal, "hostages", "terrorists"))
    return pd.Series(pd.Categorical(np.where(known, kind, None), categories=TYPES), index=answers.index,
                     name="loyalty_type")


def typology_shares(answers: pd.DataFrame, catalogue: Catalogue, *, by: str | None = None, rule: str = "all",
                    level: float = 0.95, min_cell_size: int = 30) -> pd.DataFrame:
    """Share of each loyalty type, with Wilson intervals, overall or per group (segment, period).

    Parameters
    ----------
    answers : pandas.DataFrame
        Wide answers; not modified.
    catalogue : Catalogue
    by : str, optional
        Column of ``answers`` to group by (e.g. a segment or a quarter, for trends).
    rule : {"all", "any"}
        See :func:`loyalty_types`.
    level : float
        Confidence level.
    min_cell_size : int
        Groups with fewer typed respondents keep their n; their shares are blanked.

    Returns
    -------
    pandas.DataFrame
        One row per group and type: [``by``], ``type``, ``n`` (typed respondents of the group),
        ``count``, ``share``, ``ci_low``, ``ci_high`` (%), ``suppressed``.
    """
    if by is not None and by not in answers.columns:
        raise ValueError(f"typology_shares: column {by!r} not in the answers; found {list(answers.columns)}")
    types = loyalty_types(answers, catalogue, rule=rule)
    frame = pd.DataFrame({"type": types, "group": answers[by] if by is not None else "all"}).dropna()
    counts = frame.groupby(["group", "type"], observed=False).size().unstack("type", fill_value=0)
    counts = counts.reindex(columns=list(TYPES), fill_value=0)
    long = counts.stack().rename("count").reset_index()
    long["n"] = long.groupby("group")["count"].transform("sum")
    low, high = wilson_interval(long["count"], long["n"], level)
    with np.errstate(invalid="ignore", divide="ignore"):
        long["share"] = 100 * long["count"] / long["n"]
    long["ci_low"], long["ci_high"] = 100 * low, 100 * high
    long["suppressed"] = long["n"] < min_cell_size
    long[["share", "ci_low", "ci_high"]] = long[["share", "ci_low", "ci_high"]].mask(long["suppressed"])
    long["type"] = long["type"].astype(str)
    long = long[["group", "type", "n", "count", "share", "ci_low", "ci_high", "suppressed"]]
    return long.drop(columns="group") if by is None else long.rename(columns={"group": by})


def index_questions(catalogue: Catalogue, answers: pd.DataFrame) -> dict[str, Question]:
    """``{role: question}`` of the index components that have answers (:data:`INDEX_ROLES`).

    The comparison with competitors (role ``"competitors"``) stands for preference when the
    survey asks no preference question.
    """
    present = {role: q for role in INDEX_ROLES if (q := _role_question(catalogue, role, answers))}
    if "preference" not in present and (compared := _role_question(catalogue, "competitors", answers)):
        present["preference"] = compared
    return present


def index_scores(answers: pd.DataFrame, catalogue: Catalogue, *,
                 weights: Mapping[str, float] | None = None) -> tuple[pd.Series, dict[str, float]]:
    """Each respondent's TRI*M-style retention index (0-100) and the weights used.

    Parameters
    ----------
    answers : pandas.DataFrame
        Wide answers; not modified.
    catalogue : Catalogue
    weights : dict of str to float, optional
        ``{role: weight}`` over :data:`INDEX_ROLES`; default equal weights for every role whose
        question has answers (:func:`index_questions`). Weights are scaled to add up to 1 over those roles.

    Returns
    -------
    (pandas.Series, dict)
        The index per respondent (NaN where a component is unanswered) and ``{question id:
        weight}`` as used.

    Raises
    ------
    ValueError
        When fewer than two index questions have answers, or for unknown roles or negative weights.

    Examples
    --------
    >>> from cxlab.catalogue import Catalogue, Question
    >>> cat = Catalogue([Question.from_preset("csat", id="sat", role="overall"),
    ...                  Question.from_preset("nps", id="ltr", role="recommend")])
    >>> scores, used = index_scores(pd.DataFrame({"sat": [5, 3], "ltr": [10, 0]}), cat)
    >>> scores.tolist(), used  # (100 + 100) / 2 and (50 + 0) / 2
    ([100.0, 25.0], {'sat': 0.5, 'ltr': 0.5})
    """
    present = index_questions(catalogue, answers)
    if len(present) < 2:
        raise ValueError(f"index_scores: the {INDEX_NAME} needs at least two of the roles {list(INDEX_ROLES)} "
                         f"answered; found {list(present)}")
    if weights is None:
        weights = dict.fromkeys(present, 1.0)
    unknown = sorted(set(weights) - set(INDEX_ROLES))
    if unknown or any(w < 0 for w in weights.values()) or not sum(weights.get(r, 0) for r in present) > 0:
        raise ValueError(f"index_scores: weights must map roles of {list(INDEX_ROLES)} to weights >= 0 with a "
                         f"positive sum over the answered roles {list(present)}; got {dict(weights)}")
    total = sum(weights.get(role, 0.0) for role in present)
    used = {q.id: weights.get(role, 0.0) / total for role, q in present.items() if weights.get(role, 0.0) > 0}
    scores = sum(used[q.id] * _position(answers[q.id], q) for q in present.values() if q.id in used)
    return scores.rename("retention_index"), used


def _position(values: pd.Series, question: Question) -> pd.Series:
    """Answers as a position 0-100 on their declared scale, 100 = the best answer."""
    position = 100 * (values.astype(float) - question.scale_min) / (question.scale_max - question.scale_min)
    return 100 - position if question.direction == "lower_is_better" else position


def retention_index(answers: pd.DataFrame, catalogue: Catalogue, *, weights: Mapping[str, float] | None = None,
                    by: str | None = None, level: float = 0.95, min_cell_size: int = 30) -> pd.DataFrame:
    """The TRI*M-style retention index with its t interval, overall or per group.

    Parameters are those of :func:`index_scores`, plus ``by`` (a column to group by),
    ``level`` and ``min_cell_size`` (groups with fewer complete respondents are blanked).

    Returns
    -------
    pandas.DataFrame
        One row per group: [``by``], ``n`` (respondents who answered every component),
        ``index``, ``ci_low``, ``ci_high``, ``suppressed``; ``attrs["weights"]`` holds
        ``{question id: weight}``.
    """
    scores, used = index_scores(answers, catalogue, weights=weights)
    frame = pd.DataFrame({"score": scores, "group": answers[by] if by is not None else "all"}).dropna()
    sums = frame.groupby("group", observed=True)["score"].agg(["sum", "count"])
    sums["sum_sq"] = frame.assign(sq=frame["score"] ** 2).groupby("group", observed=True)["sq"].sum()
    out = mean_intervals_from_sums(sums["sum"], sums["sum_sq"], sums["count"], level)
    table = pd.DataFrame({"n": sums["count"].to_numpy(), "index": out["mean"], "ci_low": out["ci_low"],
                          "ci_high": out["ci_high"]}, index=sums.index)
    table["suppressed"] = table["n"] < min_cell_size
    table[["index", "ci_low", "ci_high"]] = table[["index", "ci_low", "ci_high"]].mask(table["suppressed"])
    table = table.reset_index()
    table = table.drop(columns="group") if by is None else table.rename(columns={"group": by})
    table.attrs["weights"] = used
    return table


def importance_grid(answers: pd.DataFrame, catalogue: Catalogue, *, outcome: str,
                    items: Sequence[str] | None = None, n_resamples: int = 500, level: float = 0.95,
                    language: str = "en") -> pd.DataFrame:
    """Stated against derived importance of each rated item, in the four quadrants of :data:`QUADRANTS`.

    Parameters
    ----------
    answers : pandas.DataFrame
        Wide answers; ``outcome`` may be one of its columns not in the catalogue (e.g. the
        retention index of :func:`index_scores`).
    catalogue : Catalogue
        Stated-importance questions (role ``"importance"``) name the item they ask about.
    outcome : str
        Column whose explained variance the derived importance shares.
    items : sequence of str, optional
        Rated items; default every item with a stated-importance question and answers.
    n_resamples : int
        Bootstrap resamples of :func:`cxlab.drivers.key_drivers`.
    level : float
        Confidence level.
    language : str
        Language of the labels.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``question_id``, ``label``, ``stated`` (mean position 0-100 on the
        stated-importance scale) with ``stated_ci_low``/``_high``, ``derived`` (% of the
        outcome's explained variance) with ``derived_ci_low``/``_high``, ``quadrant``,
        ``method`` (the driver method); ``attrs["stated_split"]`` and ``attrs["derived_split"]``
        are the means the quadrants are split at.

    Raises
    ------
    ValueError
        When fewer than two items have a stated importance.
    """
    stated_of = catalogue.stated_importance()
    items = [i for i in (items or stated_of) if i in stated_of and i in answers.columns
             and stated_of[i] in answers.columns]
    if len(items) < 2:
        raise ValueError("importance_grid: needs at least two rated items with answers to a stated-importance "
                         "question (role 'importance', importance_of: <item>)")
    drivers = key_drivers(answers, outcome=outcome, drivers=list(items), n_resamples=n_resamples, level=level)
    derived = drivers.summary.set_index("driver")
    rows = []
    for item in items:
        question = catalogue[stated_of[item]]
        position = _position(answers[question.id], question).dropna()
        interval = mean_intervals_from_sums(position.sum(), (position**2).sum(), len(position), level)
        rows.append({"question_id": item, "label": catalogue[item].label(language),
                     "stated": float(interval["mean"]), "stated_ci_low": float(interval["ci_low"]),
                     "stated_ci_high": float(interval["ci_high"]), "stated_n": len(position)})
    grid = pd.DataFrame(rows)
    grid["derived"] = derived.loc[items, "importance_share"].to_numpy()
    grid["derived_ci_low"] = derived.loc[items, "importance_share_ci_low"].to_numpy()
    grid["derived_ci_high"] = derived.loc[items, "importance_share_ci_high"].to_numpy()
    stated_split, derived_split = grid["stated"].mean(), grid["derived"].mean()
    high_stated, high_derived = grid["stated"] >= stated_split, grid["derived"] >= derived_split
    grid["quadrant"] = np.select([high_stated & high_derived, high_stated, high_derived], list(QUADRANTS[:3]),
                                 QUADRANTS[3])
    grid["method"] = derived.loc[items, "method"].to_numpy()
    grid.attrs.update(stated_split=stated_split, derived_split=derived_split, r2=drivers.r2_, n=drivers.n_)
    return grid
