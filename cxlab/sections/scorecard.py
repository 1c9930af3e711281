"""Sections of the CX scorecard page: the quarter's NPS, CSAT and CES, their changes, segments, touchpoints."""

from __future__ import annotations

import pandas as pd

from cxlab import metrics, touchpoints
from cxlab.display import IDENTIFIER_COLUMNS
from cxlab.headlines import spec
from cxlab.periods import parse_quarter
from cxlab.sections.formatting import count, interval, number
from cxlab.sections.result import Chart, SectionResult, Table, new_figure
from cxlab.survival.wording import format_p
from cxlab.touchpoints.cells import metric_rows

__all__ = ["COMMENT_CHARS", "DECIMALS", "DIFFERENCE_UNITS", "HISTORY_QUARTERS", "METRICS", "METRIC_NAMES",
           "TREND_QUARTERS", "by_segment", "by_touchpoint", "changes_since", "comments", "overview",
           "quarter_at_a_glance", "shortened", "trends"]

METRICS = ("nps", "csat", "ces")
METRIC_NAMES = {"nps": "Relationship NPS", "csat": "CSAT, share satisfied", "ces": "CES, mean effort"}
DIFFERENCE_UNITS = {"nps": "points", "csat": "percentage points", "ces": "scale points"}
DECIMALS = {"nps": 1, "csat": 1, "ces": 2}
TREND_QUARTERS = 12
HISTORY_QUARTERS = 8
COMMENT_CHARS = 2000  # a page quotes no more of one comment


def _asked(report) -> dict[str, bool]:
    gaps = report.availability.gaps
    return {key: f"surveys.{key}" not in gaps and report.survey_cells.asked(key) for key in METRICS}


def _no_answers(report) -> str:
    """Why the scorecard sections cannot run ("" when they can)."""
    if not report.availability.allows("surveys"):
        return report.availability.why_not("surveys")
    if not report.survey_cells.invitations_in(report.quarter):
        return f"the data has no survey answers for {report.quarter}"
    return ""


def _segment_cells(report) -> dict:
    """Each metric's score cells per customer segment in the report quarter, over its headline touchpoints."""
    def build():
        if "surveys" in report.queried:
            return {m: report.engine.headline_cells(m, ["segment", "quarter"], as_of=report.as_of)
                    .xs(report.quarter, "quarter") for m in METRICS}
        known = report.surveys_known
        answers = touchpoints.with_customer_attributes(known[known["quarter"] == report.quarter],
                                                       report.data.customers, "segment")
        return {m: metrics.score_cells(metric_rows(answers, m), "segment", kind=m) for m in METRICS}
    return report.cached("segment_cells", build)


def _comment_rows(report, per_touchpoint: int) -> pd.DataFrame:
    """The quarter's answers with a comment (at least the latest ``per_touchpoint`` of each touchpoint)."""
    if "surveys" in report.queried:
        return report.engine.latest_comments(quarter=report.quarter, per_touchpoint=per_touchpoint, as_of=report.as_of)
    known = report.surveys_known
    return known[(known["quarter"] == report.quarter) & known["comment"].notna()]


def overview(report, *, method: str = "adjusted_wald") -> SectionResult:
    """The quarter, the as-of date and how intervals are computed."""
    return SectionResult("overview", "Report quarter", answer=(
        f"Report quarter {report.quarter}, answers received by the end of {report.as_of:%d %B %Y}; NPS interval "
        f"method: {method.replace('_', '-')}; intervals clustered by customer; groups with fewer than "
        f"{report.min_cell_size} answers are not shown."))


def _level_note(estimate, key: str, report, method: str, asked: bool) -> str:
    if not asked:
        return f"not in the data: the survey has no {key.upper()} question"
    if estimate.n == 0:
        return f"no answers in {report.quarter}"
    if estimate.n < report.min_cell_size:
        return f"suppressed: fewer than {report.min_cell_size} responses"
    return ("95% interval clustered by customer" + (f" ({method.replace('_', '-')} method)" if key == "nps" else "")
            + f"; design effect {estimate.deff:.2f}")


def _estimates_by_quarter(report, method: str) -> dict:
    """NPS, CSAT and CES estimates of the last :data:`HISTORY_QUARTERS` quarters, the report quarter last."""
    quarters = [str(parse_quarter(report.quarter) - k) for k in range(HISTORY_QUARTERS - 1, -1, -1)]
    return {quarter: touchpoints.quarter_estimates_from_cells(report.survey_cells, quarter=quarter, method=method)
            for quarter in quarters}


def _history(report, by_quarter: dict) -> dict[str, list]:
    """Each metric's value per quarter (None where too few answers), oldest first."""
    return {key: [(quarter, est[key].value if est[key].n >= report.min_cell_size else None)
                  for quarter, est in by_quarter.items()] for key in METRICS}


def quarter_at_a_glance(report, *, method: str = "adjusted_wald") -> SectionResult:
    """NPS, CSAT and CES of the quarter (and overall questions on their own scales) with intervals."""
    title = "The quarter at a glance"
    overall = [spec(key) for key, *_ in touchpoints.OVERALL_QUESTIONS.values()]
    why = _no_answers(report)
    if why:
        return SectionResult("headline", title, unavailable=why, headlines=[
            spec(k).headline(None, note="no survey answers", quarter=report.quarter)
            for k in (*METRICS, *(s.key for s in overall))])
    asked = _asked(report)
    by_quarter = _estimates_by_quarter(report, method)
    estimates = by_quarter[report.quarter]
    history = _history(report, by_quarter)
    result = SectionResult("headline", title)
    rows = []
    for key in METRICS:
        est = estimates[key]
        shown = asked[key] and est.n >= report.min_cell_size
        entry = spec(key)
        result.headlines.append(entry.headline(est.value if shown else None, ci_low=est.ci_low if shown else None,
                                               ci_high=est.ci_high if shown else None, n=est.n,
                                               note=_level_note(est, key, report, method, asked[key]),
                                               series=history[key] if asked[key] else (), quarter=report.quarter))
        if asked[key]:
            rows.append((METRIC_NAMES[key] if key != "ces" else "CES, mean effort (1 = very easy, 7 = very difficult)",
                         est.value if shown else None, est.ci_low if shown else None,
                         est.ci_high if shown else None, est.n, DECIMALS[key], "%" if key == "csat" else ""))
    cells = report.survey_cells
    for column, (key, label, _, _, _) in touchpoints.OVERALL_QUESTIONS.items():
        present = column in cells.overall
        share = (touchpoints.overall_share_from_counts(cells.overall_counts(column, report.quarter), column=column)
                 if present else {"n": 0})
        shown = present and share["n"] >= report.min_cell_size
        note = (f"not in the data: the survey has no {column} question" if not present else
                (f"suppressed: fewer than {report.min_cell_size} responses" if share["n"] else
                 f"no answers in {report.quarter}") if not shown else
                f"95% Wilson interval; {share['hits']:,} positive answers of {share['n']:,}")
        result.headlines.append(spec(key).headline(share["value"] if shown else None,
                                                   ci_low=share["ci_low"] if shown else None,
                                                   ci_high=share["ci_high"] if shown else None, n=share["n"],
                                                   note=note, quarter=report.quarter))
        if present:
            rows.append((label, share["value"] if shown else None, share["ci_low"] if shown else None,
                         share["ci_high"] if shown else None, share["n"], 1, "%"))
    result.tables.append(Table(pd.DataFrame({
        "Measure": [r[0] for r in rows],
        "Value": [number(v, d, u) for _, v, _, _, _, d, u in rows],
        "95% interval": [interval(lo, hi, d, u) for _, _, lo, hi, _, d, u in rows],
        "Answers": [count(n) for *_, n, _, _ in rows],
    }), f"{report.quarter}; a dash: fewer than {report.min_cell_size} answers"))
    nps = estimates["nps"]
    shown = asked["nps"] and nps.n >= report.min_cell_size
    result.headlines.append(spec("detractors").headline(
        nps.detractors if shown else None, n=nps.n, quarter=report.quarter,
        note=(f"of {nps.n:,} answers to the relationship invitations sent in {report.quarter}" if shown else
              f"not shown: fewer than {report.min_cell_size} relationship answers")))
    if shown:
        result.tables.append(Table(pd.DataFrame({
            "Answer": ["Promoters (9-10)", "Passives (7-8)", "Detractors (0-6)"],
            "Answers": [count(nps.promoters), count(nps.passives), count(nps.detractors)],
            "Share": [number(s, 1, "%") for s in (nps.promoter_share, nps.passive_share, nps.detractor_share)],
        }), "Relationship NPS = share of promoters minus share of detractors"))
        result.answer = (f"Relationship NPS {nps.value:.1f} (95% interval {interval(nps.ci_low, nps.ci_high)}, "
                         f"{nps.n:,} answers) in {report.quarter}.")
    return result


def _multiplicity_caption(table: pd.DataFrame, what: str) -> str:
    """Plain-words note on how a family of comparisons was adjusted."""
    flagged = int(table["significant"].astype(bool).sum())
    return (f"{len(table)} {what} tested together: p-values adjusted for the false discovery rate "
            f"(Benjamini-Hochberg, 5%); {flagged} flagged, each with an interval adjusted for the many comparisons "
            "(false coverage rate, Benjamini-Yekutieli); intervals allow for customers answering more than once.")


def _change_table(changes: pd.DataFrame, label) -> Table:
    decimals = [DECIMALS[m] for m in changes["metric"]]
    return Table(pd.DataFrame({
        "Measure": [label(row) for row in changes.itertuples()],
        "Compared with": changes["reference_quarter"].to_numpy(),
        "Change": [number(v, d) for v, d in zip(changes["difference"], decimals, strict=True)],
        "95% interval": [interval(lo, hi, d) for lo, hi, d in
                         zip(changes["ci_low"], changes["ci_high"], decimals, strict=True)],
        "Adjusted p-value": [format_p(p) for p in changes["p_adjusted"]],
        "Interval adjusted for the many comparisons": [
            interval(lo, hi, d) for lo, hi, d in zip(changes["adj_ci_low"], changes["adj_ci_high"], decimals,
                                                     strict=True)],
    }), _multiplicity_caption(changes, "changes"))


def changes_since(report, *, method: str = "adjusted_wald") -> SectionResult:
    """Change of NPS, CSAT and CES since the previous quarter and a year earlier, adjusted for multiplicity."""
    title = "Change since the previous quarter and since a year ago"
    why = _no_answers(report)
    keys = [f"{m}_change_{c}" for m in METRICS for c in ("prev_quarter", "prev_year")]
    if why:
        return SectionResult("changes", title, unavailable=why, headlines=[
            spec(k).headline(None, note="no survey answers", quarter=report.quarter, reference="an earlier quarter")
            for k in keys])
    asked = _asked(report)
    changes = touchpoints.quarter_changes_from_cells(report.survey_cells, quarter=report.quarter,
                                                     min_cell_size=report.min_cell_size, method=method)
    result = SectionResult("changes", title)
    for row in changes.itertuples():
        p_text = "adjusted p < 0.001" if row.p_adjusted < 0.001 else f"adjusted p = {row.p_adjusted:.3f}"
        note = (f"not in the data: the survey has no {row.metric.upper()} question" if not asked[row.metric] else
                row.note if pd.isna(row.p_value) else f"{row.note}; {p_text}; n = {row.n} vs {row.n_reference}")
        entry = spec(f"{row.metric}_change_{row.comparison}")
        result.headlines.append(entry.headline(row.difference, ci_low=row.ci_low, ci_high=row.ci_high,
                                               n=row.n + row.n_reference, note=note, quarter=row.quarter,
                                               reference=row.reference_quarter))
    shown = changes[changes["metric"].map(asked)]
    result.tables.append(_change_table(
        shown, lambda row: f"{METRIC_NAMES[row.metric]} ({DIFFERENCE_UNITS[row.metric]})"))
    significant = shown[shown["significant"].astype(bool)]
    result.answer = ("No change is beyond what chance alone produces." if significant.empty else
                     "Changes beyond chance: " + "; ".join(
                         f"{METRIC_NAMES[r.metric]} {r.difference:+.{DECIMALS[r.metric]}f} "
                         f"{DIFFERENCE_UNITS[r.metric]} vs {r.reference_quarter}" for r in significant.itertuples())
                     + ".")
    return result


def by_segment(report, *, method: str = "adjusted_wald") -> SectionResult:
    """NPS, CSAT and CES per customer segment, and each segment against all other customers."""
    title = "By customer segment"
    why = _no_answers(report)
    if why:
        return SectionResult("by-segment", title, unavailable=why)
    cells = _segment_cells(report)
    min_cell_size = report.min_cell_size
    nps = metrics.nps_table(cells["nps"], min_cell_size=min_cell_size, method=method).set_index("segment")
    csat = metrics.csat_table(cells["csat"], min_cell_size=min_cell_size).set_index("segment")
    ces = metrics.ces_table(cells["ces"], min_cell_size=min_cell_size).set_index("segment")
    segments = sorted(set(nps.index) | set(csat.index) | set(ces.index))

    def cell(table, segment, column, decimals, unit=""):
        if segment not in table.index:
            return None, None
        row = table.loc[segment]
        return number(row[column], decimals, unit), interval(row["ci_low"], row["ci_high"], decimals, unit)

    rows = []
    for segment in segments:
        nps_value, nps_ci = cell(nps, segment, "nps", 1)
        csat_value, csat_ci = cell(csat, segment, "csat", 1, "%")
        ces_value, ces_ci = cell(ces, segment, "ces", 2)
        rows.append({"Segment": segment, "NPS": nps_value, "NPS 95% interval": nps_ci, "CSAT": csat_value,
                     "CSAT 95% interval": csat_ci, "CES": ces_value, "CES 95% interval": ces_ci})
    result = SectionResult("by-segment", title, tables=[Table(pd.DataFrame(rows),
                                                              f"{report.quarter}; a dash: "
                                                              f"fewer than {min_cell_size} answers")])
    versus = {kind: metrics.compare_with_rest(cells[kind], min_cell_size=min_cell_size, method=method)
              for kind in METRICS}
    for kind, table in versus.items():
        decimals = DECIMALS[kind]
        result.technical.append(Table(pd.DataFrame({
            "Segment": table["segment"],
            f"Difference vs all other customers ({DIFFERENCE_UNITS[kind]})": [
                number(v, decimals) for v in table["difference"]],
            "95% interval": [interval(lo, hi, decimals) for lo, hi in zip(table["ci_low"], table["ci_high"],
                                                                          strict=True)],
            "Adjusted p-value": [format_p(p) for p in table["p_adjusted"]],
            "Interval adjusted for the many comparisons": [
                interval(lo, hi, decimals) for lo, hi in zip(table["adj_ci_low"], table["adj_ci_high"], strict=True)],
        }), f"{METRIC_NAMES[kind]}, each segment vs all other customers. "
            + _multiplicity_caption(table, "segments")))
    flagged = [f"{METRIC_NAMES[kind]} of {row.segment} ({row.difference:+.{DECIMALS[kind]}f})"
               for kind, table in versus.items() for row in table.itertuples() if bool(row.significant)]
    result.answer = ("No segment differs from the other customers beyond chance." if not flagged else
                     "Segments that differ from the other customers beyond chance: " + "; ".join(flagged) + ".")
    return result


def by_touchpoint(report, *, method: str = "adjusted_wald") -> SectionResult:
    """Invitations, response rate, CSAT and CES per touchpoint, and each touchpoint's changes."""
    title = "By touchpoint"
    why = _no_answers(report)
    if why:
        return SectionResult("by-touchpoint", title, unavailable=why, headlines=[
            spec("lowest_touchpoint").headline(None, note="no survey answers", quarter=report.quarter)])
    card = touchpoints.scorecard_from_cells(report.survey_cells, quarters=[report.quarter],
                                            min_cell_size=report.min_cell_size, method=method)
    table = Table(pd.DataFrame({
        "Touchpoint": card["touchpoint"],
        "Invitations": [count(n) for n in card["invitations"]],
        "Response rate": [number(v, 1, "%") for v in card["response_rate"]],
        "CSAT": [number(v, 1, "%") for v in card["csat"]],
        "CSAT 95% interval": [interval(lo, hi, 1, "%") for lo, hi in zip(card["csat_ci_low"], card["csat_ci_high"],
                                                                         strict=True)],
        "CES": [number(v, 2) for v in card["ces"]],
        "CES 95% interval": [interval(lo, hi, 2) for lo, hi in zip(card["ces_ci_low"], card["ces_ci_high"],
                                                                   strict=True)],
        "NPS": [number(v, 1) for v in card["nps"]],
        "NPS 95% interval": [interval(lo, hi, 1) for lo, hi in zip(card["nps_ci_low"], card["nps_ci_high"],
                                                                   strict=True)],
    }), f"{report.quarter}; a dash: not asked at this touchpoint or fewer than {report.min_cell_size} answers")
    changes = touchpoints.scorecard_changes_from_cells(report.survey_cells, quarter=report.quarter,
                                                       min_cell_size=report.min_cell_size, method=method)
    change_table = _change_table(changes, lambda row: f"{row.touchpoint}: {METRIC_NAMES[row.metric]} "
                                                      f"({DIFFERENCE_UNITS[row.metric]})")
    scored = card.dropna(subset=["csat"])
    lowest = scored.loc[scored["csat"].idxmin()] if len(scored) else None
    entry = spec("lowest_touchpoint")
    if lowest is None:
        return SectionResult("by-touchpoint", title, tables=[table, change_table], headlines=[
            entry.headline(None, note=f"no touchpoint with {report.min_cell_size} or more CSAT answers",
                           quarter=report.quarter)])
    shown = (f"{lowest['csat']:.1f}% satisfied, 95% interval "
             f"{interval(lowest['csat_ci_low'], lowest['csat_ci_high'], 1, '%')}")
    return SectionResult("by-touchpoint", title, answer=f"Lowest satisfaction: {lowest['touchpoint']} ({shown}).",
                         tables=[table], technical=[change_table], headlines=[entry.headline(
                             lowest["touchpoint"], n=int(lowest["csat_n"]), note=shown, quarter=report.quarter)])


def trends(report, *, method: str = "adjusted_wald") -> SectionResult:
    """CSAT, CES and NPS per touchpoint over the last three years, one chart per measure."""
    title = "Trends over the last three years"
    why = _no_answers(report)
    if why:
        return SectionResult("trends", title, unavailable=why)
    quarters = [str(parse_quarter(report.quarter) - k) for k in range(TREND_QUARTERS - 1, -1, -1)]
    card = touchpoints.scorecard_from_cells(report.survey_cells, quarters=quarters,
                                            min_cell_size=report.min_cell_size, method=method)
    charts = []
    for metric, what in (("csat", "share satisfied"), ("ces", "mean effort, lower is easier"),
                         ("nps", "relationship NPS")):
        figure = new_figure(12, 3.2 if metric == "nps" else 6)
        target = report.targets.get(metric)
        touchpoints.plot_trend_panels(card, metric=metric, figure=figure, target=target)
        goal = "" if target is None else f" The dashed line is the target of {target:g}."
        charts.append(Chart(figure, f"{METRIC_NAMES[metric]} ({what}), one small chart per touchpoint, for each "
                                    f"quarter from {quarters[0]} to {quarters[-1]}, with 95% intervals.{goal}"))
    return SectionResult("trends", title, charts=charts)


def shortened(text: str, limit: int | None = None) -> str:
    """A comment cut to ``limit`` characters (default :data:`COMMENT_CHARS`) with "…" when longer.

    Examples
    --------
    >>> shortened("abcdef", 3), shortened("abc", 3)
    ('abc…', 'abc')
    """
    limit = COMMENT_CHARS if limit is None else limit
    text = str(text)
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def comments(report, *, per_touchpoint: int = 2) -> SectionResult:
    """The most recent comments per touchpoint, escaped and without identifiers."""
    title = "What customers said"
    why = _no_answers(report)
    answers = _comment_rows(report, per_touchpoint) if not why else None
    if why or answers.empty:
        return SectionResult("comments", title,
                             unavailable=why or f"the data has no comments for {report.quarter}")
    recent = touchpoints.recent_comments(answers, per_touchpoint=per_touchpoint)
    recent = recent.drop(columns=[c for c in IDENTIFIER_COLUMNS if c in recent.columns])
    return SectionResult("comments", title, tables=[Table(pd.DataFrame({
        "Touchpoint": recent["touchpoint"],
        "Answered": [f"{t:%d %b %Y}" for t in pd.to_datetime(recent["answered"])],
        "Score": recent["score"],
        "Comment": [shortened(c) for c in recent["comment"]],
    }), f"Most recent comments per touchpoint, {report.quarter}, as written (longer than "
        f"{COMMENT_CHARS:,} characters: cut, marked with …)")])
