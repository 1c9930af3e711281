"""The question catalogue: what each rating question asks and on which scale it is answered.

A survey's questions come on many scales (NPS 0-10, CSAT 1-5, CES 1-7, agreement 1-7, 1-10,
0-100). The catalogue declares each one: identifier, label (in one or more languages), scale
minimum and maximum, direction (is a higher answer better?), the answers counted as top box and
as bottom box, the touchpoint it is about, and its role in the loyalty analyses (overall
satisfaction, recommendation, repurchase intention, preference over competitors, comparison with
competitors, stated importance of another question). Values are kept on their own scale and
never rescaled; a value outside its declared scale is an error naming the file, column and rows.

The common questions are presets (:data:`PRESETS`): ``nps``, ``csat``, ``ces``, ``recommend5``,
``satisfied`` (0/1) and ``competitors`` (1 worse, 2 the same, 3 better than competitors).

In a data folder the catalogue is ``questions.yaml`` (:data:`CATALOGUE_FILE`), a list of
questions, for example::

    questions:
      - id: seat
        label: {en: Seat comfort, de: Sitzkomfort}
        scale: [1, 100]
        top_box: [80, 100]
        bottom_box: [1, 40]
        touchpoint: on_board
      - id: overall
        preset: csat
        label: Overall satisfaction
        role: overall
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from scipy import stats
from statsmodels.stats.multitest import multipletests

from cxlab.metrics import mean_intervals_from_sums, wilson_interval

__all__ = ["CATALOGUE_FILE", "DEFAULT_LANGUAGE", "DIRECTIONS", "PRESETS", "ROLES", "SINGLE_ROLES", "STANDARD_COLUMNS",
           "Catalogue", "CatalogueError", "Question", "answers_frame", "catalogue_from_dict", "check_answers",
           "compare_questions", "read_catalogue", "summarise_questions"]

CATALOGUE_FILE = "questions.yaml"
DIRECTIONS = ("higher_is_better", "lower_is_better")
ROLES = ("rating", "overall", "recommend", "repurchase", "preference", "competitors", "importance")
# Roles a catalogue may give to one question only (the loyalty analyses read that one question).
SINGLE_ROLES = ("overall", "recommend", "repurchase", "preference", "competitors")
DEFAULT_LANGUAGE = "en"
_FIELDS = ("id", "label", "scale", "direction", "top_box", "bottom_box", "touchpoint", "role",
           "importance_of", "value_labels", "preset")

# name -> (scale, direction, top box, bottom box, value labels); the scales of cxlab.schema.
PRESETS = {
    "nps": ((0, 10), "higher_is_better", (9, 10), (0, 6), {}),
    "csat": ((1, 5), "higher_is_better", (4, 5), (1, 2), {}),
    "ces": ((1, 7), "lower_is_better", (1, 2), (6, 7), {}),
    "recommend5": ((1, 5), "higher_is_better", (4, 5), (1, 2), {}),
    "satisfied": ((0, 1), "higher_is_better", (1, 1), (0, 0), {0: "not satisfied", 1: "satisfied"}),
    "competitors": ((1, 3), "higher_is_better", (3, 3), (1, 1), {1: "worse", 2: "about the same", 3: "better"}),
}
# Preset -> the column of the surveys table that holds the same answers in the data model.
STANDARD_COLUMNS = {"nps": "nps", "csat": "csat", "ces": "ces", "recommend5": "recommend5",
                    "satisfied": "satisfied"}


class CatalogueError(ValueError):
    """A question catalogue that cannot be used, or answers outside their declared scale."""


@dataclass(frozen=True)
class Question:
    """One rating question and its scale.

    Parameters
    ----------
    id : str
        Identifier, unique in the catalogue (a column of the answers).
    labels : dict of str to str
        Question text per language code, e.g. ``{"en": "Seat comfort", "de": "Sitzkomfort"}``.
    scale_min, scale_max : int
        Lowest and highest answer; every answer is a whole number between them.
    direction : {"higher_is_better", "lower_is_better"}
        ``"lower_is_better"`` for effort scores (1 = very easy).
    top_box, bottom_box : tuple of (int, int)
        Inclusive ranges of the best and of the worst answers, e.g. ``(9, 10)`` and ``(0, 6)``
        for NPS; with ``lower_is_better`` the top box holds the low answers.
    touchpoint : str or None
        The journey touchpoint the question is about; None for questions about the whole
        relationship.
    role : str
        One of :data:`ROLES`: ``"rating"`` (default), ``"overall"`` (overall satisfaction),
        ``"recommend"``, ``"repurchase"``, ``"preference"`` (preference over competitors),
        ``"competitors"`` (better / the same / worse than competitors), ``"importance"``
        (stated importance of the question ``importance_of``).
    importance_of : str or None
        For ``role="importance"``: the rated question whose importance is asked.
    value_labels : dict of int to str
        Words of the answers, where the questionnaire has them.
    preset : str or None
        The preset it was made from (:data:`PRESETS`), if any.
    """

    id: str
    labels: Mapping[str, str]
    scale_min: int
    scale_max: int
    direction: str = "higher_is_better"
    top_box: tuple[int, int] | None = None
    bottom_box: tuple[int, int] | None = None
    touchpoint: str | None = None
    role: str = "rating"
    importance_of: str | None = None
    value_labels: Mapping[int, str] = field(default_factory=dict)
    preset: str | None = None

    def __post_init__(self):
        for name, default in (("top_box", self._default_box(top=True)), ("bottom_box", self._default_box(top=False))):
            if getattr(self, name) is None and default is not None:
                object.__setattr__(self, name, default)
        problems = _question_problems(self)
        if problems:
            raise CatalogueError(f"question {self.id!r}: " + "; ".join(problems))

    def _default_box(self, *, top: bool) -> tuple[int, int] | None:
        """Top-two / bottom-two box for scales of at most 11 points; None (must be declared) above."""
        if not (_is_whole(self.scale_min) and _is_whole(self.scale_max)) or self.scale_max - self.scale_min > 10:
            return None
        if self.scale_max - self.scale_min < 3:
            low_end, high_end = (self.scale_min, self.scale_min), (self.scale_max, self.scale_max)
        else:
            low_end, high_end = (self.scale_min, self.scale_min + 1), (self.scale_max - 1, self.scale_max)
        best_is_high = self.direction != "lower_is_better"
        return high_end if top == best_is_high else low_end

    @classmethod
    def from_preset(cls, preset: str, *, id: str, labels=None, **changes) -> Question:
        """A question on a preset's scale (:data:`PRESETS`).

        Parameters
        ----------
        preset : str
            ``"nps"``, ``"csat"``, ``"ces"``, ``"recommend5"``, ``"satisfied"`` or ``"competitors"``.
        id : str
            The question's identifier.
        labels : str or dict, optional
            Question text (a string is English); default the preset's name.
        **changes
            Other fields (``touchpoint``, ``role``, ...); a preset's scale cannot be changed.

        Examples
        --------
        >>> q = Question.from_preset("nps", id="ltr", labels="How likely are you to recommend us?")
        >>> q.scale_min, q.scale_max, q.top_box, q.bottom_box
        (0, 10, (9, 10), (0, 6))
        """
        if preset not in PRESETS:
            raise CatalogueError(f"question {id!r}: unknown preset {preset!r}; presets are {list(PRESETS)}")
        fixed = {"scale", "scale_min", "scale_max", "direction", "top_box", "bottom_box"} & set(changes)
        if fixed:
            raise CatalogueError(f"question {id!r}: the {preset} preset fixes {sorted(fixed)}; declare the "
                                 "question without a preset to use another scale")
        scale, direction, top, bottom, words = PRESETS[preset]
        role = changes.pop("role", "competitors" if preset == "competitors" else "rating")
        return cls(id=id, labels=_labels(labels if labels is not None else preset, id), scale_min=scale[0],
                   scale_max=scale[1], direction=direction, top_box=top, bottom_box=bottom, role=role,
                   value_labels=changes.pop("value_labels", words), preset=preset, **changes)

    def label(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The question text in ``language``, else in the first language given."""
        return self.labels.get(language) or next(iter(self.labels.values()))

    @property
    def scale(self) -> str:
        """The scale in words, e.g. ``"1-100"``."""
        return f"{self.scale_min}-{self.scale_max}"

    @property
    def standard_column(self) -> str | None:
        """The data-model column of the surveys table holding the same answers (NPS, CSAT, ...), if any."""
        return STANDARD_COLUMNS.get(self.preset)

    def invalid(self, values: pd.Series) -> pd.Series:
        """True where a given value is not a whole number on the scale (missing values are valid)."""
        numbers = pd.to_numeric(values, errors="coerce")
        given = values.notna() & values.astype(str).str.strip().ne("")
        on_scale = numbers.between(self.scale_min, self.scale_max) & (numbers % 1 == 0)
        return given & ~on_scale

    def in_box(self, values, box: str = "top") -> np.ndarray:
        """True where an answer is in the top (or bottom) box; NaN answers are False."""
        low, high = self.top_box if box == "top" else self.bottom_box
        values = np.asarray(values, dtype=float)
        return (values >= low) & (values <= high)


def _is_whole(value) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool) \
        and float(value).is_integer()


def _labels(labels, question_id) -> dict[str, str]:
    if isinstance(labels, str) and labels.strip():
        return {DEFAULT_LANGUAGE: labels}
    if isinstance(labels, Mapping) and labels and all(isinstance(v, str) and v.strip() for v in labels.values()):
        return {str(k): v for k, v in labels.items()}
    raise CatalogueError(f"question {question_id!r}: label must be text or {{language: text}}, got {labels!r}")


def _box_problems(question: Question, name: str) -> list[str]:
    box = getattr(question, name)
    if box is None:
        return [f"{name} must be declared for a scale of more than 11 points ({question.scale}), e.g. "
                f"{name}: [low, high]"]
    if len(box) != 2 or not all(_is_whole(v) for v in box) or box[0] > box[1]:
        return [f"{name} must be [low, high], whole numbers with low <= high; got {list(box)}"]
    if box[0] < question.scale_min or box[1] > question.scale_max:
        return [f"{name} {list(box)} is outside the scale {question.scale}"]
    return []


def _question_problems(q: Question) -> list[str]:
    """Every rule a question breaks, in words."""
    found = []
    if not isinstance(q.id, str) or not q.id.strip():
        found.append("id must be non-empty text")
    if not (_is_whole(q.scale_min) and _is_whole(q.scale_max)) or q.scale_min >= q.scale_max:
        return found + [f"scale must be [min, max], whole numbers with min < max; got [{q.scale_min}, "
                        f"{q.scale_max}]"]
    if q.direction not in DIRECTIONS:
        found.append(f"direction must be one of {list(DIRECTIONS)}, got {q.direction!r}")
    found += _box_problems(q, "top_box") + _box_problems(q, "bottom_box")
    if not found and max(q.top_box[0], q.bottom_box[0]) <= min(q.top_box[1], q.bottom_box[1]):
        found.append(f"top_box {list(q.top_box)} and bottom_box {list(q.bottom_box)} overlap")
    if q.role not in ROLES:
        found.append(f"role must be one of {list(ROLES)}, got {q.role!r}")
    if (q.role == "importance") != (q.importance_of is not None):
        found.append("a stated-importance question (role: importance) names the rated question in importance_of, "
                     "and only it does")
    bad_labels = [k for k in q.value_labels if not (_is_whole(k) and q.scale_min <= k <= q.scale_max)]
    if bad_labels:
        found.append(f"value_labels {bad_labels} are not answers on the scale {q.scale}")
    return found


@dataclass(frozen=True)
class Catalogue:
    """The declared questions of a survey, in questionnaire order.

    Parameters
    ----------
    questions : sequence of Question
        Identifiers must be unique; a role of :data:`SINGLE_ROLES` is given to one question at
        most; ``importance_of`` names a question of the catalogue.

    Examples
    --------
    >>> cat = Catalogue([Question.from_preset("csat", id="overall", labels="Overall", role="overall"),
    ...                  Question("seat", {"en": "Seat comfort"}, 1, 100, top_box=(80, 100), bottom_box=(1, 40))])
    >>> cat.ids, cat.with_role("overall").id
    (['overall', 'seat'], 'overall')
    """

    questions: tuple[Question, ...]

    def __post_init__(self):
        object.__setattr__(self, "questions", tuple(self.questions))
        ids = [q.id for q in self.questions]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        problems = [f"question id(s) {repeated} are declared more than once"] if repeated else []
        for role in SINGLE_ROLES:
            holders = [q.id for q in self.questions if q.role == role]
            if len(holders) > 1:
                problems.append(f"role {role!r} is given to {holders}; give it to one question")
        unknown = [f"{q.id} -> {q.importance_of}" for q in self.questions
                   if q.importance_of is not None and q.importance_of not in ids]
        if unknown:
            problems.append(f"importance_of names question(s) not in the catalogue: {unknown}")
        if problems:
            raise CatalogueError("question catalogue: " + "; ".join(problems))

    @property
    def ids(self) -> list[str]:
        """The question identifiers, in order."""
        return [q.id for q in self.questions]

    def __getitem__(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(f"question {question_id!r} is not in the catalogue; it has {self.ids}")

    def __contains__(self, question_id: str) -> bool:
        return question_id in self.ids

    def __len__(self) -> int:
        return len(self.questions)

    def with_role(self, role: str) -> Question | None:
        """The question of a single role (:data:`SINGLE_ROLES`), or None."""
        return next((q for q in self.questions if q.role == role), None)

    def ratings(self) -> list[Question]:
        """The rated items (role ``"rating"``), candidates for driver analysis."""
        return [q for q in self.questions if q.role == "rating"]

    def stated_importance(self) -> dict[str, str]:
        """``{rated question id: stated-importance question id}``."""
        return {q.importance_of: q.id for q in self.questions if q.role == "importance"}

    def to_frame(self, language: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
        """One row per question: id, label, scale, direction, top box, bottom box, touchpoint, role."""
        return pd.DataFrame({
            "id": self.ids,
            "label": [q.label(language) for q in self.questions],
            "scale": [q.scale for q in self.questions],
            "direction": [q.direction.replace("_", " ") for q in self.questions],
            "top_box": [f"{q.top_box[0]}-{q.top_box[1]}" for q in self.questions],
            "bottom_box": [f"{q.bottom_box[0]}-{q.bottom_box[1]}" for q in self.questions],
            "touchpoint": [q.touchpoint for q in self.questions],
            "role": [q.role for q in self.questions],
        })

    def to_dict(self) -> dict:
        """The catalogue as written to ``questions.yaml`` (read back by :func:`catalogue_from_dict`)."""
        entries = []
        for q in self.questions:
            entry = {"id": q.id, "label": dict(q.labels)}
            if q.preset is not None:
                entry["preset"] = q.preset
            else:
                entry.update(scale=[q.scale_min, q.scale_max], direction=q.direction, top_box=list(q.top_box),
                             bottom_box=list(q.bottom_box))
            entry.update({k: v for k, v in (("touchpoint", q.touchpoint), ("role", q.role),
                                            ("importance_of", q.importance_of)) if v not in (None, "rating")})
            if q.value_labels and q.value_labels != (PRESETS[q.preset][4] if q.preset else {}):
                entry["value_labels"] = {int(k): v for k, v in q.value_labels.items()}
            entries.append(entry)
        return {"questions": entries}

    def write(self, path) -> Path:
        """Write the catalogue as YAML (UTF-8) and return the path."""
        path = Path(path)
        path.write_text(yaml.safe_dump(self.to_dict(), allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path


def catalogue_from_dict(spec: Mapping, *, where: str = "question catalogue") -> Catalogue:
    """Build a catalogue from its YAML form (``{"questions": [...]}``) or a list of questions.

    Every problem of every question is reported at once, each naming the question.

    Parameters
    ----------
    spec : dict or list
        ``{"questions": [{"id": ..., "label": ..., "scale": [min, max], ...}, ...]}``; a question
        takes ``preset`` instead of a scale.
    where : str
        Prefix of error messages (the file name, when read from a file).

    Returns
    -------
    Catalogue

    Raises
    ------
    CatalogueError
        Naming ``where`` and every question in error.
    """
    entries = spec.get("questions") if isinstance(spec, Mapping) else spec
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"{where}: expected a non-empty list under 'questions'")
    questions, problems = [], []
    for position, entry in enumerate(entries, start=1):
        try:
            questions.append(_question_from_entry(entry, position))
        except CatalogueError as err:
            problems.append(str(err))
    if problems:
        raise CatalogueError(f"{where}: " + "\n  ".join(["problems:", *problems]))
    try:
        return Catalogue(tuple(questions))
    except CatalogueError as err:
        raise CatalogueError(f"{where}: {err}") from None


def _question_from_entry(entry, position: int) -> Question:
    if not isinstance(entry, Mapping) or "id" not in entry:
        raise CatalogueError(f"question {position}: needs at least an id and a label, got {entry!r}")
    name = str(entry["id"])
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        raise CatalogueError(f"question {name!r}: unknown field(s) {unknown}; fields are {list(_FIELDS)}")
    fields = {k: v for k, v in entry.items() if k not in ("id", "label", "preset", "scale")}
    for box in ("top_box", "bottom_box"):
        if box in fields:
            fields[box] = tuple(fields[box]) if isinstance(fields[box], list | tuple) else (fields[box],)
    labels = entry.get("label")
    if "preset" in entry:
        if "scale" in entry:
            raise CatalogueError(f"question {name!r}: give either a preset or a scale, not both")
        return Question.from_preset(entry["preset"], id=name, labels=labels, **fields)
    scale = entry.get("scale")
    if not isinstance(scale, list | tuple) or len(scale) != 2:
        raise CatalogueError(f"question {name!r}: scale must be [min, max] (or give a preset: "
                             f"{list(PRESETS)}); got {scale!r}")
    return Question(id=name, labels=_labels(labels, name), scale_min=scale[0], scale_max=scale[1], **fields)


def read_catalogue(path) -> Catalogue | None:
    """Read a catalogue YAML file, or a data folder's ``questions.yaml`` (None when it has none).

    Parameters
    ----------
    path : str or pathlib.Path
        A YAML file, or a folder.

    Returns
    -------
    Catalogue or None

    Raises
    ------
    CatalogueError
        Naming the file, for YAML that does not parse or a catalogue that breaks a rule.
    FileNotFoundError
        For a file path that does not exist.
    """
    path = Path(path)
    if path.is_dir():
        path = path / CATALOGUE_FILE
        if not path.exists():
            return None
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise CatalogueError(f"{path}: not valid YAML ({err})") from None
    return catalogue_from_dict(spec, where=str(path))


# --- answers ---------------------------------------------------------------------------------------


def check_answers(answers: pd.DataFrame, catalogue: Catalogue, *, columns: Mapping[str, str] | None = None,
                  file: str = "answers", row_numbers: Iterable[int] | None = None) -> None:
    """Raise when an answer is not a whole number on its question's declared scale.

    Parameters
    ----------
    answers : pandas.DataFrame
        Wide answers, one column per question; not modified.
    catalogue : Catalogue
    columns : dict of str to str, optional
        ``{column: question id}``; default the columns named like a question.
    file : str
        The file the answers came from, named in the error.
    row_numbers : sequence of int, optional
        The row number to report for each row (default 1-based positions).

    Raises
    ------
    CatalogueError
        Naming the file, each column in error with its question's scale, up to ten rows and
        the values found.
    """
    columns = dict(columns) if columns is not None else {c: c for c in answers.columns if c in catalogue}
    rows = np.arange(1, len(answers) + 1) if row_numbers is None else np.asarray(list(row_numbers))
    lines = []
    for column, question_id in columns.items():
        question = catalogue[question_id]
        bad = question.invalid(answers[column]).to_numpy()
        if bad.any():
            shown = ", ".join(map(str, rows[bad][:10])) + (", ..." if bad.sum() > 10 else "")
            values = ", ".join(str(v) for v in pd.unique(answers[column].to_numpy()[bad])[:5])
            lines.append(f"- column '{column}' (question {question_id!r}, scale {question.scale}): "
                         f"{int(bad.sum())} row(s) [{shown}] outside the scale or not whole numbers "
                         f"(values found: {values})")
    if lines:
        raise CatalogueError("\n".join([f"{file}: answers outside their declared scale:", *lines,
                                        "Values are never rescaled: declare the scale the question was asked on."]))


def summarise_questions(answers: pd.DataFrame, catalogue: Catalogue, *, by: str | None = None,
                        question_ids: Iterable[str] | None = None, level: float = 0.95, min_cell_size: int = 30,
                        language: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Mean and top-box and bottom-box shares of each question, on its own scale, with intervals.

    Parameters
    ----------
    answers : pandas.DataFrame
        Wide answers, one row per respondent and one column per question id (NaN: not answered).
    catalogue : Catalogue
    by : str, optional
        Column to group by (a segment, or a period for trends).
    question_ids : sequence of str, optional
        Questions to summarise; default every catalogue question with a column in ``answers``.
    level : float
        Confidence level: a t interval for the mean, Wilson intervals for the shares.
    min_cell_size : int
        Groups with fewer answers are kept with their n but their figures blanked (``suppressed``).
    language : str
        Language of the labels.

    Returns
    -------
    pandas.DataFrame
        One row per question (and group): ``question_id``, ``label``, ``scale``, [``by``], ``n``,
        ``mean``, ``mean_ci_low``, ``mean_ci_high``, ``top_box``, ``top_box_ci_low``,
        ``top_box_ci_high``, ``bottom_box``, ``bottom_box_ci_low``, ``bottom_box_ci_high``
        (shares in %), ``suppressed``. Means are on the question's scale.

    Examples
    --------
    >>> cat = Catalogue([Question("q", {"en": "Q"}, 1, 7)])
    >>> out = summarise_questions(pd.DataFrame({"q": [7, 6, 1, 4]}), cat, min_cell_size=1)
    >>> out[["n", "mean", "top_box", "bottom_box"]].values.tolist()
    [[4.0, 4.5, 50.0, 25.0]]
    """
    ids = [i for i in (question_ids or catalogue.ids) if i in answers.columns]
    if by is not None and by not in answers.columns:
        raise ValueError(f"summarise_questions: column {by!r} not in the answers; found {list(answers.columns)}")
    groups = [(None, answers)] if by is None else list(answers.groupby(by, sort=True, observed=True))
    rows = []
    for question_id in ids:
        question = catalogue[question_id]
        for group, part in groups:
            values = part[question_id].to_numpy(dtype=float)
            values = values[~np.isnan(values)]
            rows.append({"question_id": question_id, "label": question.label(language), "scale": question.scale,
                         **({by: group} if by is not None else {}), "n": len(values),
                         "sum": values.sum(), "sum_sq": (values**2).sum(),
                         "top": question.in_box(values, "top").sum(),
                         "bottom": question.in_box(values, "bottom").sum()})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    n = table["n"].to_numpy(dtype=float)
    mean = mean_intervals_from_sums(table["sum"], table["sum_sq"], n, level)
    table["mean"], table["mean_ci_low"], table["mean_ci_high"] = mean["mean"], mean["ci_low"], mean["ci_high"]
    for box in ("top", "bottom"):
        low, high = wilson_interval(table[box], n, level)
        with np.errstate(invalid="ignore", divide="ignore"):
            table[f"{box}_box"] = 100 * table[box] / n
        table[f"{box}_box_ci_low"], table[f"{box}_box_ci_high"] = 100 * low, 100 * high
    table["suppressed"] = n < min_cell_size
    figures = [c for c in table.columns if c.startswith(("mean", "top_box", "bottom_box"))]
    table[figures] = table[figures].mask(table["suppressed"])
    return table.drop(columns=["sum", "sum_sq", "top", "bottom"])


def compare_questions(answers: pd.DataFrame, catalogue: Catalogue, *, by: str, a, b, level: float = 0.95,
                      question_ids: Iterable[str] | None = None, language: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Change of each question's top-box share and mean between two groups (e.g. two quarters).

    Parameters
    ----------
    answers : pandas.DataFrame
        Wide answers with the column ``by``.
    catalogue : Catalogue
    by : str
        Column holding the groups.
    a, b : object
        The two groups; differences are ``b - a`` (e.g. a = last quarter, b = this quarter).
    level : float
        Confidence level.
    question_ids : sequence of str, optional
        Questions to compare; default every catalogue question with a column in ``answers``.
    language : str
        Language of the labels.

    Returns
    -------
    pandas.DataFrame
        One row per question: ``question_id``, ``label``, ``scale``, ``n_a``, ``n_b``,
        ``top_box_a``, ``top_box_b``, ``top_box_change`` (percentage points) with
        ``top_box_change_ci_low``/``_high`` (Newcombe's hybrid score interval, his method 10),
        ``top_box_p`` (two-proportion z test), ``top_box_q`` (Benjamini-Hochberg across the
        questions), ``mean_change`` on the question's scale with its Welch interval and
        ``mean_p``. Questions without answers in both groups are left out.
    """
    if by not in answers.columns:
        raise ValueError(f"compare_questions: column {by!r} not in the answers; found {list(answers.columns)}")
    rows = []
    for question_id in [i for i in (question_ids or catalogue.ids) if i in answers.columns]:
        question = catalogue[question_id]
        first, second = (answers.loc[answers[by] == g, question_id].dropna().to_numpy(float) for g in (a, b))
        if len(first) < 2 or len(second) < 2:
            continue
        hits = np.array([question.in_box(first, "top").sum(), question.in_box(second, "top").sum()])
        n = np.array([len(first), len(second)])
        share = hits / n
        low, high = wilson_interval(hits, n, level)
        change = share[1] - share[0]
        pooled = hits.sum() / n.sum()
        se = np.sqrt(pooled * (1 - pooled) * (1 / n[0] + 1 / n[1]))
        welch = stats.ttest_ind(second, first, equal_var=False)
        interval = welch.confidence_interval(level)
        rows.append({
            "question_id": question_id, "label": question.label(language), "scale": question.scale,
            "n_a": n[0], "n_b": n[1], "top_box_a": 100 * share[0], "top_box_b": 100 * share[1],
            "top_box_change": 100 * change,
            "top_box_change_ci_low": 100 * (change - np.sqrt((share[1] - low[1]) ** 2 + (high[0] - share[0]) ** 2)),
            "top_box_change_ci_high": 100 * (change + np.sqrt((high[1] - share[1]) ** 2 + (share[0] - low[0]) ** 2)),
            "top_box_p": 2 * stats.norm.sf(abs(change) / se) if se > 0 else 1.0,
            "mean_change": second.mean() - first.mean(), "mean_change_ci_low": interval.low,
            "mean_change_ci_high": interval.high, "mean_p": welch.pvalue,
        })
    table = pd.DataFrame(rows)
    if len(table):
        table.insert(table.columns.get_loc("top_box_p") + 1, "top_box_q",
                     multipletests(table["top_box_p"], method="fdr_bh")[1])
    return table


def answers_frame(surveys: pd.DataFrame, catalogue: Catalogue, *, file: str = "surveys") -> pd.DataFrame:
    """Wide answers (one row per response, one column per question) from a ``surveys`` table.

    A survey converted with a catalogue holds one row per (response, question) with the
    question in ``question_id`` and the answer, on the question's own scale, in ``score``.

    Parameters
    ----------
    surveys : pandas.DataFrame
        The surveys table (its index: 0-based rows of its file, as :func:`cxlab.io.load` gives).
    catalogue : Catalogue
    file : str
        The surveys file, named in errors.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``responded_at`` and one column per catalogue question answered
        (float, NaN where not answered), ordered by answer time.

    Raises
    ------
    CatalogueError
        When the table has no ``question_id``/``score`` columns, names a question the catalogue
        does not declare, or holds a score outside its question's scale (naming file, column,
        question and rows).
    """
    missing = [c for c in ("question_id", "score") if c not in surveys.columns]
    if missing:
        raise CatalogueError(f"{file}: no column(s) {missing}; convert the survey with its question catalogue")
    answered = surveys[surveys["question_id"].notna()]
    unknown = ~answered["question_id"].isin(catalogue.ids)
    if unknown.any():
        rows = ", ".join(map(str, (answered.index[unknown] + 1)[:10]))
        raise CatalogueError(f"{file}: column 'question_id' names question(s) "
                             f"{sorted(answered.loc[unknown, 'question_id'].unique())[:5]} not in the catalogue "
                             f"(rows {rows}); declare them in {CATALOGUE_FILE}")
    for question_id, part in answered.groupby("question_id", sort=False):
        check_answers(part[["score"]], catalogue, columns={"score": question_id}, file=file,
                      row_numbers=part.index + 1)
    wide = (answered.groupby(["customer_id", "responded_at", "question_id"], sort=False, observed=True)["score"]
            .first().unstack("question_id"))
    ordered = [q for q in catalogue.ids if q in wide.columns]
    wide = wide[ordered].reset_index().sort_values("responded_at", kind="stable", ignore_index=True)
    wide.columns.name = None
    return wide
