"""Sections for a survey's declared questions: scores on their own scales, loyalty typology, index, grid, drivers.

They read the data folder's question catalogue (``questions.yaml``, :mod:`cxlab.catalogue`) and
the answers stored with it (``question_id`` and ``score`` in the surveys table); each one says in
one sentence why it is skipped when the data do not have what it needs. Figures are for the
report quarter (answers from its first day to the as-of date), on each question's own scale. A
customer who answered more than once in a quarter counts once, with their latest response, so
the intervals' assumption of independent answers holds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import cxlab.io
from cxlab import loyalty
from cxlab.catalogue import (
    Catalogue,
    Question,
    answers_frame,
    compare_questions,
    read_catalogue,
    summarise_questions,
)
from cxlab.drivers import key_drivers
from cxlab.headlines import spec
from cxlab.periods import known_by
from cxlab.schema import RELATIONSHIP
from cxlab.sections.formatting import count, interval, number
from cxlab.sections.journey import READ_COLUMNS
from cxlab.sections.result import Chart, SectionResult, Table, new_chart

__all__ = ["INDEX_OUTCOME", "TYPE_COLOURS", "declared_questions", "importance_grid", "item_drivers",
           "loyalty_typology", "overall_satisfaction", "question_changes", "question_scores", "question_trends",
           "retention_index"]

TYPE_COLOURS = {"apostles": "#1a9850", "hostages": "#fdae61", "mercenaries": "#a6d96a", "terrorists": "#d73027"}
INDEX_OUTCOME = "retention_index"


def _survey(report) -> tuple[Catalogue | None, pd.DataFrame | None, str]:
    """(catalogue, answers up to the as-of date with quarter and segment, why not) — built once per run."""
    def build():
        if not report.availability.allows("surveys"):
            return None, None, report.availability.why_not("surveys")
        catalogue = read_catalogue(report.data.source)
        if catalogue is None:
            return None, None, "the data declare no questions (no questions.yaml in the data folder)"
        surveys = report.table("surveys")
        if "question_id" not in surveys.columns or surveys["question_id"].isna().all():
            return catalogue, None, "the surveys table holds no answers to the declared questions"
        file = cxlab.io.find_table_files(report.data.source).get("surveys", "surveys")
        answers = answers_frame(surveys, catalogue, file=str(file))
        answers = answers[known_by(answers["responded_at"], as_of=report.as_of).to_numpy()]
        segments = report.data.customers.set_index("customer_id")["segment"]
        answers = answers.assign(quarter=answers["responded_at"].dt.to_period("Q").astype(str),
                                 segment=answers["customer_id"].map(segments).to_numpy())
        answers = answers.drop_duplicates(["customer_id", "quarter"], keep="last")  # ordered by answer time
        return catalogue, answers.reset_index(drop=True), ""
    return report.cached("declared_questions", build)


def _in_quarter(report, answers: pd.DataFrame) -> pd.DataFrame:
    return answers[answers["quarter"] == report.quarter]


def _no_answers(report, answers: pd.DataFrame) -> str:
    if answers.empty:
        return f"no answers to the declared questions by {report.as_of:%Y-%m-%d}"
    first, last = answers["responded_at"].min(), answers["responded_at"].max()
    return (f"no answers to the declared questions in {report.quarter} (answers run from {first:%Y-%m-%d} to "
            f"{last:%Y-%m-%d})")


def _share_text(value, low, high) -> tuple[str | None, str | None]:
    return number(value, 1, "%"), interval(low, high, 1, "%")


def declared_questions(report) -> SectionResult:
    """The questions the survey declares, each with its scale and its top and bottom box."""
    title = "Questions asked and their scales"
    catalogue, _, why = _survey(report)
    if catalogue is None:
        return SectionResult("declared-questions", title, unavailable=why)
    frame = catalogue.to_frame()
    scales = sorted(set(frame["scale"]), key=lambda s: [int(x) for x in s.split("-")])
    table = pd.DataFrame({"Question": frame["label"], "Scale": frame["scale"], "Better answers": frame["direction"],
                          "Top box": frame["top_box"], "Bottom box": frame["bottom_box"],
                          "Touchpoint": frame["touchpoint"], "Role": frame["role"].str.replace("_", " ")})
    return SectionResult("declared-questions", title,
                         answer=f"The survey declares {len(frame)} questions on {len(scales)} scale(s) "
                                f"({', '.join(scales)}); every figure is on the question's own scale.",
                         tables=[Table(table, "The question catalogue: answers outside a question's scale are "
                                              "refused, never rescaled")])


def question_scores(report) -> SectionResult:
    """Mean and top-box and bottom-box shares of every declared question in the quarter, with 95% intervals."""
    title = f"Every declared question, {report.quarter}"
    catalogue, answers, why = _survey(report)
    if answers is None:
        return SectionResult("question-scores", title, unavailable=why)
    quarter = _in_quarter(report, answers)
    if quarter.empty:
        return SectionResult("question-scores", title, unavailable=_no_answers(report, answers))
    table = summarise_questions(quarter, catalogue, min_cell_size=report.min_cell_size)
    questions = {q.id: q for q in catalogue.questions}
    shown = pd.DataFrame({
        "Question": table["label"], "Touchpoint": [questions[i].touchpoint for i in table["question_id"]],
        "Scale": table["scale"], "Answers": [count(n) for n in table["n"]],
        "Mean": [number(m, 2) for m in table["mean"]],
        "Mean, 95% interval": [interval(lo, hi, 2) for lo, hi in zip(table["mean_ci_low"], table["mean_ci_high"],
                                                                     strict=True)],
        "Top box": [f"{questions[i].top_box[0]}-{questions[i].top_box[1]}" for i in table["question_id"]],
        "Top-box share": [number(v, 1, "%") for v in table["top_box"]],
        "Top-box share, 95% interval": [interval(lo, hi, 1, "%") for lo, hi in
                                        zip(table["top_box_ci_low"], table["top_box_ci_high"], strict=True)],
        "Bottom-box share": [number(v, 1, "%") for v in table["bottom_box"]],
    })
    ranked = table.dropna(subset=["top_box"]).sort_values("top_box")
    answer = (f"In {report.quarter}, {len(quarter):,} respondents answered {len(table)} declared questions.")
    if len(ranked) > 1:
        best, worst = ranked.iloc[-1], ranked.iloc[0]
        answer += (f" Highest top-box share: {best['label']} ({best['top_box']:.1f}%); lowest: {worst['label']} "
                   f"({worst['top_box']:.1f}%).")
    return SectionResult("question-scores", title, answer=answer, tables=[Table(
        shown, "Means on each question's own scale (t interval); shares with Wilson intervals; a dash marks "
               "questions with fewer answers than the minimum group size")])


def question_trends(report) -> SectionResult:
    """Top-box share of every declared question in each quarter up to the report quarter."""
    title = "Declared questions over time"
    catalogue, answers, why = _survey(report)
    if answers is None:
        return SectionResult("question-trends", title, unavailable=why)
    quarters = sorted(answers.loc[answers["quarter"] <= report.quarter, "quarter"].unique())
    if len(quarters) < 2:
        return SectionResult("question-trends", title,
                             unavailable="the answers come from one quarter only, so there is no trend to show")
    table = summarise_questions(answers[answers["quarter"].isin(quarters)], catalogue, by="quarter",
                                min_cell_size=report.min_cell_size)
    cells = [f"{number(v, 1, '%')} ({interval(lo, hi, 1, '%')})" if pd.notna(v) else None
             for v, lo, hi in zip(table["top_box"], table["top_box_ci_low"], table["top_box_ci_high"], strict=True)]
    wide = table.assign(cell=cells).pivot(index="label", columns="quarter", values="cell")
    wide = wide.reindex(index=list(dict.fromkeys(table["label"])), columns=quarters).reset_index()
    return SectionResult("question-trends", title,
                         answer=f"Top-box shares of {len(wide)} declared questions over {len(quarters)} quarters.",
                         tables=[Table(wide.rename(columns={"label": "Question"}),
                                       "Top-box share (95% interval) per quarter; a dash: too few answers")])


def question_changes(report) -> SectionResult:
    """Change of every declared question since the previous quarter, adjusted for testing many questions."""
    previous = str(pd.Period(report.quarter, freq="Q") - 1)
    title = f"Declared questions: {report.quarter} against {previous}"
    catalogue, answers, why = _survey(report)
    if answers is None:
        return SectionResult("question-changes", title, unavailable=why)
    if not (answers["quarter"] == previous).any() or _in_quarter(report, answers).empty:
        return SectionResult("question-changes", title,
                             unavailable=f"there are no answers in both {previous} and {report.quarter}")
    table = compare_questions(answers, catalogue, by="quarter", a=previous, b=report.quarter)
    small = (table["n_a"] < report.min_cell_size) | (table["n_b"] < report.min_cell_size)
    table = table[~small]
    if table.empty:
        return SectionResult("question-changes", title, unavailable="every question has fewer answers than the "
                                                                    "minimum group size in one of the quarters")
    shown = pd.DataFrame({
        "Question": table["label"], "Scale": table["scale"],
        f"Top-box share {previous}": [number(v, 1, "%") for v in table["top_box_a"]],
        f"Top-box share {report.quarter}": [number(v, 1, "%") for v in table["top_box_b"]],
        "Change (points)": [number(v, 1) for v in table["top_box_change"]],
        "95% interval": [interval(lo, hi, 1) for lo, hi in zip(table["top_box_change_ci_low"],
                                                               table["top_box_change_ci_high"], strict=True)],
        "Adjusted p (false discovery rate)": [f"{q:.3f}" for q in table["top_box_q"]],
        "Change of the mean": [number(v, 2) for v in table["mean_change"]],
    })
    moved = table[table["top_box_q"] < 0.05]
    answer = (f"{len(moved)} of {len(table)} questions changed their top-box share since {previous} (false discovery "
              "rate 5%)" + (": " + ", ".join(f"{row.label} {row.top_box_change:+.1f} points"
                                            for row in moved.itertuples()) if len(moved) else "") + ".")
    return SectionResult("question-changes", title, answer=answer, tables=[Table(
        shown, "Newcombe 95% intervals of the change; p-values adjusted by Benjamini-Hochberg across the questions; "
               "questions below the minimum group size are left out")])


def _overall(report) -> tuple[Question | None, pd.DataFrame, str]:
    """The overall-satisfaction question and each customer's latest answer to it in the quarter."""
    catalogue, answers, _ = _survey(report)
    if catalogue is not None and answers is not None and catalogue.with_role("overall") is not None:
        question = catalogue.with_role("overall")
        frame = _in_quarter(report, answers)[["customer_id", "responded_at", question.id]]
        return question, frame.rename(columns={question.id: "value"}), "the declared overall question"
    if not report.availability.allows("surveys"):
        return None, pd.DataFrame(), report.availability.why_not("surveys")
    relationship = report.answered(READ_COLUMNS, touchpoints=RELATIONSHIP)
    relationship = relationship[known_by(relationship["responded_at"], as_of=report.as_of).to_numpy()]
    relationship = relationship[relationship["responded_at"].dt.to_period("Q").astype(str) == report.quarter]
    for column, preset, label in (("csat", "csat", "Overall satisfaction (1-5)"),
                                  ("satisfied", "satisfied", "Satisfied overall (yes/no)")):
        if column in relationship.columns and relationship[column].notna().any():
            frame = relationship.loc[relationship[column].notna(), ["customer_id", "responded_at", column]]
            return (Question.from_preset(preset, id=column, labels=label, role="overall"),
                    frame.rename(columns={column: "value"}), "the relationship survey's overall question")
    return None, pd.DataFrame(), f"the data has no overall satisfaction answers in {report.quarter}"


def overall_satisfaction(report) -> SectionResult:
    """Share of customers in the top box of the overall satisfaction question: a headline of its own."""
    title = f"Overall satisfaction, {report.quarter}"
    entry = spec("overall_satisfaction")
    question, frame, source = _overall(report)
    if question is None or frame["value"].notna().sum() == 0:
        why = source if question is None else f"no answers to the overall satisfaction question in {report.quarter}"
        return SectionResult("overall-satisfaction", title, unavailable=why, headlines=[entry.headline(
            None, note=f"not available: {why}", quarter=report.quarter, top_box="top box")])
    latest = frame.dropna(subset=["value"]).sort_values("responded_at").drop_duplicates("customer_id", keep="last")
    table = summarise_questions(latest.rename(columns={"value": question.id}), Catalogue([question]),
                                min_cell_size=report.min_cell_size).iloc[0]
    top_box = f"{question.top_box[0]}-{question.top_box[1]}" if question.top_box[0] != question.top_box[1] \
        else question.value_labels.get(question.top_box[0], str(question.top_box[0]))
    n = int(table["n"])
    headline = entry.headline(table["top_box"], ci_low=table["top_box_ci_low"], ci_high=table["top_box_ci_high"],
                              n=n, note=(f"{question.label()} on {question.scale}, each customer's latest answer "
                                         f"in the quarter; Wilson 95% interval"
                                         + ("; suppressed: fewer answers than the minimum group size"
                                            if table["suppressed"] else "")),
                              quarter=report.quarter, top_box=top_box)
    if table["suppressed"]:
        return SectionResult("overall-satisfaction", title, headlines=[headline],
                             unavailable=f"only {n} customers answered in {report.quarter}, fewer than the minimum "
                                         f"group size of {report.min_cell_size}")
    share, share_ci = _share_text(table["top_box"], table["top_box_ci_low"], table["top_box_ci_high"])
    answer = (f"{share} of {n:,} customers answered “{question.label()}” in its top box ({top_box} on "
              f"{question.scale}; 95% interval {share_ci}); mean {table['mean']:.2f} on {question.scale}.")
    rows = pd.DataFrame({"Measure": ["Top-box share", "Bottom-box share", f"Mean ({question.scale})"],
                         "Estimate": [share, number(table["bottom_box"], 1, "%"), number(table["mean"], 2)],
                         "95% interval": [share_ci, interval(table["bottom_box_ci_low"], table["bottom_box_ci_high"],
                                                             1, "%"),
                                          interval(table["mean_ci_low"], table["mean_ci_high"], 2)]})
    return SectionResult("overall-satisfaction", title, answer=answer, headlines=[headline],
                         tables=[Table(rows, f"Source: {source}; customers answering more than once count once "
                                             "(their latest answer)")])


def _typology_chart(table: pd.DataFrame, group: str, title: str) -> Chart:
    figure, ax = new_chart(8.0, 0.6 * table[group].nunique() + 1.8)
    wide = table.pivot(index=group, columns="type", values="share").reindex(columns=list(loyalty.TYPES))
    left = np.zeros(len(wide))
    for kind in loyalty.TYPES:
        values = wide[kind].fillna(0).to_numpy()
        ax.barh(wide.index.astype(str), values, left=left, color=TYPE_COLOURS[kind], label=kind)
        left += values
    ax.set_xlabel("Share of respondents (%)")
    ax.set_xlim(0, 100)
    ax.set_title(title)
    ax.legend(ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.25), frameon=False)
    return Chart(figure, "Stacked bars: for each group, the shares of apostles, hostages, mercenaries and "
                         "terrorists, adding up to 100%.")


def loyalty_typology(report, *, rule: str = "all") -> SectionResult:
    """Apostles, hostages, mercenaries and terrorists: shares with intervals, by segment and over time."""
    title = f"Loyalty typology, {report.quarter}"
    entry = spec("apostles")
    catalogue, answers, why = _survey(report)
    if answers is not None:
        satisfaction, loyal = loyalty.loyalty_questions(catalogue, answers)
        if satisfaction is None or not loyal:
            why = ("the survey asks no overall satisfaction question with a recommendation or repurchase question "
                   "(roles overall and recommend/repurchase in the catalogue)")
        elif _in_quarter(report, answers).empty:
            why = _no_answers(report, answers)
    if why:
        return SectionResult("loyalty-typology", title, unavailable=why,
                             headlines=[entry.headline(None, note=f"not available: {why}", quarter=report.quarter)])
    quarter = _in_quarter(report, answers)
    overall = loyalty.typology_shares(quarter, catalogue, rule=rule,
                                      min_cell_size=report.min_cell_size).assign(group="All")
    segments = loyalty.typology_shares(quarter, catalogue, by="segment", rule=rule, min_cell_size=report.min_cell_size)
    table = pd.concat([overall, segments.rename(columns={"segment": "group"})], ignore_index=True) \
        if quarter["segment"].nunique() > 1 else overall
    shown = pd.DataFrame({"Group": table["group"], "Type": table["type"], "Respondents": [count(n) for n in table["n"]],
                          "Share": [number(v, 1, "%") for v in table["share"]],
                          "95% interval": [interval(lo, hi, 1, "%") for lo, hi in
                                           zip(table["ci_low"], table["ci_high"], strict=True)]})
    apostles = overall.set_index("type").loc["apostles"]
    loyal_words = " and ".join(q.label() for q in loyal) if rule == "all" else " or ".join(q.label() for q in loyal)
    result = SectionResult("loyalty-typology", title, tables=[Table(shown, "Wilson 95% intervals; a dash marks "
                                                                           "groups below the minimum size")],
                           charts=[_typology_chart(table.dropna(subset=["share"]), "group",
                                                   f"Loyalty types, {report.quarter}")],
                           notes=[f"Satisfied: top box of {satisfaction.label()}; loyal: top box of {loyal_words}. "
                                  "Groups of the TRI*M typology (Kantar): apostles are satisfied and loyal, hostages "
                                  "loyal but not satisfied, mercenaries satisfied but not loyal, terrorists neither."])
    result.answer = (f"{apostles['share']:.1f}% of {int(apostles['n']):,} respondents are apostles (95% interval "
                     f"{interval(apostles['ci_low'], apostles['ci_high'], 1, '%')}), "
                     + ", ".join(f"{row.share:.1f}% {row.type}" for row in overall.itertuples()
                                 if row.type != "apostles" and pd.notna(row.share)) + ".") \
        if pd.notna(apostles["share"]) else f"Only {int(apostles['n'])} respondents could be typed."
    result.headlines.append(entry.headline(apostles["share"], ci_low=apostles["ci_low"], ci_high=apostles["ci_high"],
                                           n=int(apostles["n"]), note="Wilson 95% interval; respondents of the "
                                                                      "quarter", quarter=report.quarter))
    quarters = sorted(answers.loc[answers["quarter"] <= report.quarter, "quarter"].unique())
    if len(quarters) > 1:
        trend = loyalty.typology_shares(answers[answers["quarter"].isin(quarters)], catalogue, by="quarter",
                                        rule=rule, min_cell_size=report.min_cell_size)
        result.charts.append(_typology_chart(trend.dropna(subset=["share"]), "quarter", "Loyalty types by quarter"))
    return result


def retention_index(report, *, weights: dict | None = None) -> SectionResult:
    """The TRI*M-style retention index (0-100) with its 95% interval, overall and by segment."""
    title = f"Retention index (TRI*M-style), {report.quarter}"
    entry = spec("retention_index")
    catalogue, answers, why = _survey(report)
    if answers is not None and not why:
        if len(loyalty.index_questions(catalogue, answers)) < 2:
            why = (f"the survey asks fewer than two of the index questions ({', '.join(loyalty.INDEX_ROLES)}; roles "
                   "in the catalogue)")
        elif _in_quarter(report, answers).empty:
            why = _no_answers(report, answers)
    if why:
        return SectionResult("retention-index", title, unavailable=why,
                             headlines=[entry.headline(None, note=f"not available: {why}", quarter=report.quarter)])
    quarter = _in_quarter(report, answers)
    overall = loyalty.retention_index(quarter, catalogue, weights=weights, min_cell_size=report.min_cell_size)
    by_segment = loyalty.retention_index(quarter, catalogue, weights=weights, by="segment",
                                         min_cell_size=report.min_cell_size)
    used = overall.attrs["weights"]
    rows = pd.concat([overall.assign(segment="All"), by_segment], ignore_index=True) \
        if quarter["segment"].nunique() > 1 else overall.assign(segment="All")
    shown = pd.DataFrame({"Group": rows["segment"], "Respondents": [count(n) for n in rows["n"]],
                          "Index (0-100)": [number(v, 1) for v in rows["index"]],
                          "95% interval": [interval(lo, hi, 1) for lo, hi in zip(rows["ci_low"], rows["ci_high"],
                                                                                 strict=True)]})
    first = overall.iloc[0]
    weights_text = ", ".join(f"{catalogue[q].label()} {100 * w:.0f}%" for q, w in used.items())
    result = SectionResult("retention-index", title, tables=[Table(shown, "Mean index with its t interval; "
                                                                         "respondents who answered every component")],
                           notes=[f"TRI*M-style: each component placed 0-100 on its own scale (best answer 100), "
                                  f"weighted {weights_text}. Kantar's TRI*M weights are not public, so the index is "
                                  "not comparable with Kantar's benchmarks; compare it over time and between groups."])
    result.answer = (f"The retention index is {first['index']:.1f} of 100 (95% interval "
                     f"{interval(first['ci_low'], first['ci_high'], 1)}, {int(first['n']):,} respondents).") \
        if pd.notna(first["index"]) else f"Only {int(first['n'])} respondents answered every index question."
    result.headlines.append(entry.headline(first["index"], ci_low=first["ci_low"], ci_high=first["ci_high"],
                                           n=int(first["n"]), note=f"weights: {weights_text}",
                                           quarter=report.quarter))
    return result


def _outcome_column(catalogue: Catalogue, answers: pd.DataFrame) -> tuple[pd.DataFrame, str, str] | None:
    """Answers with the driver outcome: the retention index when computable, else overall satisfaction."""
    try:
        scores, _ = loyalty.index_scores(answers, catalogue)
        return answers.assign(**{INDEX_OUTCOME: scores}), INDEX_OUTCOME, "the retention index"
    except ValueError:
        pass
    for role in ("overall", "recommend", "repurchase"):
        question = catalogue.with_role(role)
        if question is not None and question.id in answers.columns:
            return answers, question.id, question.label()
    return None


def importance_grid(report, *, n_resamples: int = 500) -> SectionResult:
    """Stated vs derived importance: motivators, hygiene factors, hidden opportunities, potential savings."""
    title = "What customers say matters and what moves them"
    catalogue, answers, why = _survey(report)
    if answers is not None and not why:
        quarter = _in_quarter(report, answers)
        outcome = _outcome_column(catalogue, quarter)
        stated = [i for i, s in catalogue.stated_importance().items() if i in quarter and s in quarter]
        if len(stated) < 2:
            why = "the survey asks the stated importance of fewer than two rated items"
        elif outcome is None:
            why = "the survey has no overall satisfaction, recommendation or repurchase question to derive importance"
        elif len(quarter) < report.min_cell_size:
            why = _no_answers(report, answers) if quarter.empty else \
                f"only {len(quarter)} respondents in {report.quarter}"
    if why:
        return SectionResult("importance-grid", title, unavailable=why)
    frame, column, words = outcome
    grid = loyalty.importance_grid(frame, catalogue, outcome=column, items=stated, n_resamples=n_resamples)
    shown = pd.DataFrame({
        "Item": grid["label"], "Stated importance (0-100)": [number(v, 1) for v in grid["stated"]],
        "Stated, 95% interval": [interval(lo, hi, 1) for lo, hi in zip(grid["stated_ci_low"], grid["stated_ci_high"],
                                                                       strict=True)],
        "Derived importance (% of R²)": [number(v, 1, "%") for v in grid["derived"]],
        "Derived, 95% interval": [interval(lo, hi, 1, "%") for lo, hi in zip(grid["derived_ci_low"],
                                                                            grid["derived_ci_high"], strict=True)],
        "Quadrant": grid["quadrant"]})
    figure, ax = new_chart(7.5, 5.5)
    ax.scatter(grid["stated"], grid["derived"], color="tab:blue")
    for row in grid.itertuples():
        ax.annotate(row.label, (row.stated, row.derived), xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.axvline(grid.attrs["stated_split"], color="grey", ls="--", lw=1)
    ax.axhline(grid.attrs["derived_split"], color="grey", ls="--", lw=1)
    ax.set_xlabel("Stated importance (mean position 0-100 on its scale)")
    ax.set_ylabel(f"Derived importance (% of the explained variance of {words})")
    ax.set_title("Importance grid")
    counts = grid["quadrant"].value_counts()
    return SectionResult(
        "importance-grid", title, tables=[Table(shown, f"Derived importance: {grid['method'].iloc[0]} on {words}; "
                                                       "quadrants split at the items' means")],
        charts=[Chart(figure, "Each item placed by what customers say matters (across) and by how much it moves "
                              f"{words} (up); dashed lines at the means split the four quadrants.")],
        answer=", ".join(f"{counts.get(q, 0)} {q}" for q in loyalty.QUADRANTS)
        + f" among {len(grid)} items ({grid.attrs['n']:,} respondents).",
        notes=["Motivators: high stated and derived importance. Hygiene factors: said to matter, but do not move "
               "loyalty (expected). Hidden opportunities: move loyalty without being named. Potential savings: "
               "low on both."])


def item_drivers(report, *, n_resamples: int = 500) -> SectionResult:
    """Which rated items drive the outcome: importance shares and ranks with bootstrap intervals, method named."""
    title = "Which rated items drive loyalty"
    entry = spec("top_item_driver")
    catalogue, answers, why = _survey(report)
    if answers is not None and not why:
        quarter = _in_quarter(report, answers)
        items = [q.id for q in catalogue.ratings() if q.id in quarter.columns and quarter[q.id].notna().any()]
        outcome = _outcome_column(catalogue, quarter)
        if outcome is None:
            why = "the survey has no overall satisfaction, recommendation or repurchase question to explain"
        elif len(items) < 2:
            why = "the survey has fewer than two rated items"
        elif len(quarter) < report.min_cell_size:
            why = _no_answers(report, answers) if quarter.empty else \
                f"only {len(quarter)} respondents in {report.quarter}"
    if why:
        return SectionResult("item-drivers", title, unavailable=why,
                             headlines=[entry.headline(None, note=f"not available: {why}", outcome="the outcome")])
    frame, column, words = outcome
    fit = key_drivers(frame, outcome=column, drivers=items, n_resamples=n_resamples)
    table = fit.summary
    labels = {q.id: q.label() for q in catalogue.questions}
    shown = pd.DataFrame({
        "Rank": table["rank"], "Item": [labels[d] for d in table["driver"]],
        "Share of explained variance": [number(v, 1, "%") for v in table["importance_share"]],
        "95% interval": [interval(lo, hi, 1, "%") for lo, hi in zip(table["importance_share_ci_low"],
                                                                    table["importance_share_ci_high"], strict=True)],
        "Rank, 95% interval": [f"{lo} to {hi}" if lo != hi else str(lo) for lo, hi in
                               zip(table["rank_ci_low"], table["rank_ci_high"], strict=True)],
        "Mean rating": [number(v, 1) for v in table["mean_performance"]],
        "Answers": [count(n) for n in table["n"]],
    })
    figure, ax = new_chart(8.0, 0.3 * len(table) + 1.5)
    order = table.iloc[::-1]
    ax.barh([labels[d] for d in order["driver"]], order["importance_share"], color="tab:blue",
            xerr=[order["importance_share"] - order["importance_share_ci_low"],
                  order["importance_share_ci_high"] - order["importance_share"]], ecolor="grey")
    ax.set_xlabel(f"Share of the explained variance of {words} (%), 95% bootstrap interval")
    ax.set_title(f"Key drivers of {words} ({table['method'].iloc[0]})")
    top = table.iloc[0]
    top_interval = interval(top["importance_share_ci_low"], top["importance_share_ci_high"], 1, "%")
    result = SectionResult(
        "item-drivers", title, tables=[Table(shown, f"Method: {top['method']}; R² = {fit.r2_:.2f}, "
                                                    f"{fit.n_:,} respondents; {n_resamples} bootstrap resamples")],
        charts=[Chart(figure, f"Bars: each item's share of the explained variance of {words}, largest at the top, "
                              "with its 95% interval.")],
        answer=(f"{labels[top['driver']]} drives {words} most: {top['importance_share']:.1f}% of the explained "
                f"variance (95% interval {top_interval}; rank {top['rank_ci_low']} to {top['rank_ci_high']} in the "
                "resamples)."),
        notes=[f"Importance by {top['method']}: exact dominance up to 10 items, Johnson's relative weights above "
               "(within about 2 points of share of dominance). Missing ratings are set to the item's mean."])
    result.headlines.append(entry.headline(labels[top["driver"]], n=fit.n_, note=(
        f"{top['importance_share']:.0f}% of the explained variation (R² = {fit.r2_:.2f}), {top['method']}"),
        outcome=words))
    return result
