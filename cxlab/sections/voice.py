"""Sections of the voice-of-the-customer page: what customers write, what it means for scores, why they leave."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab import churn_reasons
from cxlab.followups import FOLLOWUP_KIND
from cxlab.headlines import spec
from cxlab.sections.formatting import count, interval, number
from cxlab.sections.result import Chart, SectionResult, Table, new_chart
from cxlab.survival.wording import format_p
from cxlab.text import find_themes, fit_polarity
from cxlab.text.scores import theme_by_touchpoint, theme_frame, theme_impact, theme_shares_by_category, theme_trends

__all__ = ["CASE_COLUMNS", "COX_COVARIATES", "NO_COMMENTS", "NO_REASONS", "NPS_GROUPS", "READ_COLUMNS",
           "RECOMMEND_GROUPS", "before_leaving", "polarity", "reason_drivers", "theme_trends_section",
           "themes_and_scores", "themes_by_touchpoint", "what_customers_write", "why_customers_leave"]

COX_COVARIATES = ["nps_category", "followup", "ces", "segment", "contract"]
RECOMMEND_GROUPS = {"detractor": "unlikely (1-2)", "passive": "neither (3)", "promoter": "likely (4-5)"}
NPS_GROUPS = {"detractor": "Detractors (0-6)", "passive": "Passives (7-8)", "promoter": "Promoters (9-10)"}
#: the survey columns the page reads (those of the survival frames among them)
READ_COLUMNS = ("customer_id", "touchpoint", "comment", "nps", "recommend5", "csat", "ces")
#: the case columns the comparison before leaving reads (the other sections read only the follow-up cases)
CASE_COLUMNS = ("customer_id", "opened_at", "reason")
NO_COMMENTS = "customer comments (no survey answer has a comment)"
NO_REASONS = "churn reasons (the customers table has no churn_reason, or no churner gave one)"


def _answers(report) -> pd.DataFrame:
    """The answered survey rows, with the columns the page reads (those the table has), built once and kept
    until the sections that read them have been shown."""
    return report.answered(READ_COLUMNS, readers=_ANSWER_READERS)



def _followup_cases(report) -> pd.DataFrame | None:
    """The follow-up cases the reasons' models read, let go once that section has been shown."""
    return report.cases(FOLLOWUP_KIND, readers={reason_drivers})

def _comments_why_not(report) -> str:
    if not report.availability.allows("surveys"):
        return report.availability.why_not("surveys")

    def no_comment() -> bool:  # once per run: every section of the page asks
        surveys = _answers(report)
        comments = surveys["comment"] if "comment" in surveys.columns else ()
        return not any(isinstance(text, str) and text.strip() for text in comments)  # stops at the first comment

    return f"the data has no {NO_COMMENTS}" if report.cached(("voice", "no comment"), no_comment) else ""


def _scale(surveys: pd.DataFrame) -> str:
    """The overall question the comments are grouped by: NPS, else a 5-point recommend question."""
    if "nps" in surveys.columns and surveys["nps"].notna().any():
        return "nps"
    if "recommend5" in surveys.columns and surveys["recommend5"].notna().any():
        return "recommend5"
    return ""


def _model(report, *, n_themes, seed: int, dictionary):
    """The theme model of all comments answered by the as-of date, fitted once per run."""
    def build():
        surveys = _answers(report)
        known = surveys["responded_at"].notna() & (surveys["responded_at"] < report.as_of + pd.Timedelta(days=1))
        texts = surveys.loc[known, "comment"].dropna()
        return find_themes(texts, n_themes=n_themes or "auto", seed=seed, dictionary=dictionary or None)

    return report.cached(("themes", n_themes, seed, str(dictionary)), build)


def _frame(report, model) -> pd.DataFrame:
    def build():
        frame = theme_frame(_answers(report), model, as_of=report.as_of)
        scale = _scale(frame)
        if scale == "recommend5":
            score = frame["recommend5"]
            frame["category"] = np.where(score >= 4, "promoter", np.where(score >= 3, "passive", "detractor"))
            frame.loc[score.isna(), "category"] = None
        return frame

    return report.cached(("theme_frame", id(model)), build)


def _labels(model) -> dict:
    themes = model.themes_
    return {row.theme: (row.label if row.language in ("any", "en") else f"{row.label} ({row.language})")
            for row in themes.itertuples()}


def what_customers_write(report, *, n_themes: int = 0, seed: int = 0, dictionary: str = "") -> SectionResult:
    """Themes found in the comments, each with its top terms and three quotes (personal data removed)."""
    title = "What customers write about"
    why = _comments_why_not(report)
    if why:
        return SectionResult("themes", title, unavailable=why)
    model = _model(report, n_themes=n_themes, seed=seed, dictionary=dictionary)
    themes = model.themes_
    if themes.empty:
        return SectionResult("themes", title, unavailable="enough comments in one language to find themes")
    n = len(model.labels_)
    assigned = float(np.mean(model.labels_ >= 0))
    languages = model.languages_.value_counts()
    table = Table(pd.DataFrame({
        "Theme": [_labels(model)[t] for t in themes["theme"]],
        "Language": themes["language"],
        "Found or defined": themes["source"],
        "Top terms": [", ".join(t) for t in themes["top_terms"]],
        "Comments": [count(v) for v in themes["size"]],
        "Share of comments": [number(100 * v, 1, "%") for v in themes["share"]],
        "A typical comment": [q[0] if len(q) else None for q in themes["quotes"]],
    }), "Themes with their top terms and their most typical comment (personal data replaced)")
    quotes = Table(pd.DataFrame({
        "Theme": [_labels(model)[t] for t in themes["theme"]],
        "What customers wrote": [" | ".join(q) for q in themes["quotes"]],
    }), "Three representative comments per theme (personal data replaced)")
    figure, ax = new_chart(8, 0.3 * len(themes) + 1.5)
    top = themes.sort_values("size").tail(20)
    ax.barh([_labels(model)[t] for t in top["theme"]], 100 * top["share"], color="#4c72b0")
    ax.set_xlabel("Share of comments mentioning the theme (%)")
    biggest = themes.sort_values("size", ascending=False).iloc[0]
    return SectionResult("themes", title, answer=(
        f"{n:,} comments ({', '.join(f'{k}: {v:,}' for k, v in languages.items())}) fall into {len(themes)} "
        f"themes; {100 * assigned:.0f}% of the comments belong to one. The most frequent is "
        f"\"{_labels(model)[biggest['theme']]}\" ({100 * biggest['share']:.1f}% of comments)."),
        technical=[table, quotes], charts=[Chart(figure, "Bars: the share of comments that mention each theme, largest "
                                              "at the top.")],
        notes=["Themes are found from the words of the comments (lemmas and character n-grams, per language); "
               "comments that fit no theme (\"ok\", \"n/a\", emoji) stay unassigned. Quotes are the comments "
               "closest to each theme, with e-mails, phone, card and account numbers and names replaced."])


def themes_and_scores(report, *, n_themes: int = 0, seed: int = 0, dictionary: str = "",
                      top_themes: int = 10) -> SectionResult:
    """Share of each theme among promoters, passives and detractors, and its impact on NPS."""
    title = "What the themes mean for the score"
    keys = ("voice_top_detractor_theme", "voice_top_detractor_share", "voice_top_theme_impact")
    why = _comments_why_not(report) or ("" if _scale(_answers(report)) else
                                        "the data has no NPS or recommend answers with the comments")
    if why:
        return SectionResult("scores", title, unavailable=why,
                             headlines=[spec(k).headline(None, note=f"not computed: {why}") for k in keys])
    model = _model(report, n_themes=n_themes, seed=seed, dictionary=dictionary)
    frame = _frame(report, model)
    labels = _labels(model)
    themes = [t for t in model.themes_["theme"] if t in frame.columns]
    scale = _scale(frame)
    groups = NPS_GROUPS if scale == "nps" else RECOMMEND_GROUPS
    shares = theme_shares_by_category(frame, themes)
    if shares.empty:
        return SectionResult("scores", title, unavailable="scored answers with comments",
                             headlines=[spec(k).headline(None, note="not computed: no scored comments") for k in keys])
    wide = shares.pivot(index="theme", columns="category")
    order = wide[("share", "detractor")].sort_values(ascending=False).index[:top_themes] if (
        ("share", "detractor") in wide.columns) else wide.index[:top_themes]
    cells = {}
    for cat, name in groups.items():
        if ("share", cat) not in wide.columns:
            continue
        small = wide[("n", cat)] < report.min_cell_size
        cells[f"{name}: share"] = [None if small[t] else number(100 * wide.loc[t, ("share", cat)], 1, "%")
                                   for t in order]
        cells[f"{name}: 95% interval"] = [None if small[t] else interval(100 * wide.loc[t, ("ci_low", cat)],
                                                                         100 * wide.loc[t, ("ci_high", cat)], 1, "%")
                                          for t in order]
    share_table = Table(pd.DataFrame({"Theme": [labels[t] for t in order], **cells}),
                        "Share of each group's comments that mention the theme (Wilson 95% intervals)")
    impact = theme_impact(frame, themes, score_col=scale)
    impact = impact[impact["mentions"] >= report.min_cell_size].sort_values("nps_points")
    # the headline theme: the most negative among themes in at least 1% of the scored comments
    common = impact[impact["mentions"] >= max(report.min_cell_size, 0.01 * impact["n"].max())]
    points = "NPS points" if scale == "nps" else "net recommend points"
    impact_table = Table(pd.DataFrame({
        "Theme": [labels[t] for t in impact["theme"]],
        points.capitalize(): [number(v, 1) for v in impact["nps_points"]],
        "95% interval": [interval(lo, hi, 1) for lo, hi in zip(impact["ci_low"], impact["ci_high"], strict=True)],
        "p-value": [format_p(p) for p in impact["p"]],
        "Comments mentioning it": [count(v) for v in impact["mentions"]],
    }), f"Difference in {points} between answers that mention a theme and those that do not, all themes in one "
        "regression, intervals clustered by customer")
    result = SectionResult("scores", title, tables=[share_table], technical=[impact_table])
    det = shares[shares["category"] == "detractor"].sort_values("share", ascending=False)
    det = det[det["n"] >= report.min_cell_size]
    sentences = []
    if len(det):
        lead = det.iloc[0]
        sentences.append(f"Among {groups['detractor'].lower()}, the most frequent theme is \"{labels[lead['theme']]}\" "
                         f"({100 * lead['share']:.1f}% of their comments, 95% interval "
                         f"{interval(100 * lead['ci_low'], 100 * lead['ci_high'], 1, '%')}).")
        result.headlines.append(spec("voice_top_detractor_theme").headline(
            labels[lead["theme"]], n=int(lead["n"]), note=f"{100 * lead['share']:.1f}% of detractor comments; "
            f"next: {', '.join(labels[t] for t in det['theme'].iloc[1:3])}"))
        result.headlines.append(spec("voice_top_detractor_share").headline(
            100 * lead["share"], ci_low=100 * lead["ci_low"], ci_high=100 * lead["ci_high"], n=int(lead["n"]),
            note=f"theme: {labels[lead['theme']]}"))
    else:
        result.headlines += [spec(k).headline(None, note="not computed: too few detractor comments")
                             for k in keys[:2]]
    if len(common):
        worst = common.iloc[0]
        sentences.append(f"Answers that mention \"{labels[worst['theme']]}\" are {abs(worst['nps_points']):.1f} "
                         f"{points} {'lower' if worst['nps_points'] < 0 else 'higher'} (95% interval "
                         f"{interval(worst['ci_low'], worst['ci_high'], 1)}).")
        result.headlines.append(spec("voice_top_theme_impact").headline(
            worst["nps_points"], ci_low=worst["ci_low"], ci_high=worst["ci_high"], n=int(worst["n"]),
            note=f"theme: {labels[worst['theme']]}; {points}"))
    else:
        result.headlines.append(spec("voice_top_theme_impact").headline(None, note="not computed: too few comments"))
    result.answer = " ".join(sentences)
    return result


def themes_by_touchpoint(report, *, n_themes: int = 0, seed: int = 0, dictionary: str = "",
                         top_themes: int = 10) -> SectionResult:
    """Which touchpoints' comments mention which themes."""
    title = "Themes by touchpoint"
    why = _comments_why_not(report)
    if why:
        return SectionResult("touchpoints", title, unavailable=why)
    model = _model(report, n_themes=n_themes, seed=seed, dictionary=dictionary)
    frame = _frame(report, model)
    labels = _labels(model)
    themes = model.themes_.sort_values("size", ascending=False)["theme"].head(top_themes).tolist()
    table = theme_by_touchpoint(frame, themes)
    table = table[table["n"] >= report.min_cell_size]
    shown = pd.DataFrame({"Touchpoint": table.index, "Comments": [count(v) for v in table["n"]],
                          **{labels[t]: [number(100 * v, 1, "%") for v in table[t]] for t in themes}})
    overall = frame[themes].mean()
    lift = table[themes].astype(float).div(overall.where(overall > 0))
    lead = {tp: labels[lift.loc[tp].idxmax()] for tp in lift.index if lift.loc[tp].notna().any()}
    return SectionResult("touchpoints", title, answer="The theme most typical of each touchpoint (most "
                         "over-represented against all comments): " + "; ".join(
                             f"{tp}: {name}" for tp, name in lead.items()) + ".", tables=[Table(
                                 shown, "Share of each touchpoint's comments that mention each theme")])


def theme_trends_section(report, *, n_themes: int = 0, seed: int = 0, dictionary: str = "",
                         baseline_quarters: int = 4) -> SectionResult:
    """Emerging and fading themes: this quarter against the previous quarters, false-discovery-rate controlled."""
    title = "Emerging and fading themes"
    why = _comments_why_not(report)
    if why:
        return SectionResult("trends", title, unavailable=why,
                             headlines=[spec("voice_emerging_theme").headline(None, note=f"not computed: {why}")])
    model = _model(report, n_themes=n_themes, seed=seed, dictionary=dictionary)
    frame = _frame(report, model)
    labels = _labels(model)
    themes = [t for t in model.themes_["theme"] if t in frame.columns]
    trends = theme_trends(frame, themes, quarter=report.quarter, baseline_quarters=baseline_quarters)
    trends = trends.sort_values("change", ascending=False)
    table = Table(pd.DataFrame({
        "Theme": [labels[t] for t in trends["theme"]],
        f"{report.quarter}": [number(100 * v, 1, "%") for v in trends["share"]],
        f"Previous {baseline_quarters} quarters": [number(100 * v, 1, "%") for v in trends["baseline_share"]],
        "Change (points)": [number(100 * v, 1) for v in trends["change"]],
        "p-value (Benjamini-Hochberg)": [format_p(p) for p in trends["p_adjusted"]],
        "Trend": trends["trend"],
    }), "Share of comments mentioning each theme this quarter and before; emerging/fading when the adjusted "
        "p-value is below 0.05")
    emerging = trends[trends["trend"] == "emerging"]
    fading = trends[trends["trend"] == "fading"]
    result = SectionResult("trends", title, technical=[table])
    if len(emerging):
        top = emerging.iloc[0]
        result.headlines.append(spec("voice_emerging_theme").headline(
            labels[top["theme"]], n=int(top["n"]),
            note=f"{100 * top['share']:.1f}% of {report.quarter} comments vs {100 * top['baseline_share']:.1f}% in "
                 f"the previous {baseline_quarters} quarters"))
        result.answer = (f"Emerging in {report.quarter}: " + ", ".join(
            f"\"{labels[t]}\" ({100 * b:.1f}% -> {100 * s:.1f}%)" for t, b, s in
            zip(emerging["theme"], emerging["baseline_share"], emerging["share"], strict=True)) + ".")
    else:
        result.headlines.append(spec("voice_emerging_theme").headline("none", note="no theme rose significantly"))
        result.answer = f"No theme rose significantly in {report.quarter}."
    if len(fading):
        result.answer += " Fading: " + ", ".join(f"\"{labels[t]}\"" for t in fading["theme"]) + "."
    by_quarter = trends.attrs["by_quarter"].tail(12)
    figure, ax = new_chart()
    for t in trends["theme"].head(5):
        ax.plot(by_quarter.index, 100 * by_quarter[t], marker="o", label=labels[t])
    ax.set_ylabel("Share of comments (%)")
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", rotation=45)
    result.charts.append(Chart(figure, "Lines: the quarterly share of comments mentioning the five themes that "
                                       "rose most this quarter."))
    return result


def polarity(report, *, seed: int = 0) -> SectionResult:
    """Comment polarity learned from the scores, with its accuracy on held-out answers."""
    title = "Positive or negative: polarity learned from the scores"
    why = _comments_why_not(report)
    surveys = _answers(report) if not why else None
    scale = "" if why else _scale(surveys)
    if not why and not scale and "csat" in surveys.columns and surveys["csat"].notna().any():
        scale = "csat"
    if why or not scale:
        why = why or "the data has no scores with the comments"
        return SectionResult("polarity", title, unavailable=why,
                             headlines=[spec("voice_polarity_auc").headline(None, note=f"not computed: {why}")])
    known = surveys["responded_at"] < report.as_of + pd.Timedelta(days=1)
    rows = surveys[known & surveys["comment"].notna() & surveys[scale].notna()]
    try:
        model = fit_polarity(rows["comment"], rows[scale], scale=scale, seed=seed)
    except ValueError as err:
        return SectionResult("polarity", title, unavailable=str(err),
                             headlines=[spec("voice_polarity_auc").headline(None, note=f"not computed: {err}")])
    result = SectionResult("polarity", title, answer=(
        f"Learned from {model.n_train_:,} scored comments, the polarity of {model.n_test_:,} held-out comments is "
        f"right {100 * model.accuracy_:.1f}% of the time (area under the ROC curve {model.auc_:.3f})."),
        notes=[f"Positive: {scale} answers in the top categories; negative: the bottom categories; answers in between "
               "are not used. A logistic regression on words (negation kept) and character n-grams."])
    result.headlines.append(spec("voice_polarity_auc").headline(model.auc_, n=model.n_test_,
                                                                note=f"accuracy {100 * model.accuracy_:.1f}%"))
    return result


def _reasons_why_not(report) -> str:
    if not report.availability.allows("tenure", "churn"):
        return report.availability.why_not("tenure", "churn")
    customers = report.data.customers
    if "churn_reason" not in customers.columns or customers["churn_reason"].dropna().empty:
        return f"the data has no {NO_REASONS}"
    return ""


def _reasons(report) -> pd.DataFrame:
    return report.cached("reason_frame", lambda: churn_reasons.reason_frame(report.data.customers, as_of=report.as_of),
                         readers={why_customers_leave, reason_drivers})


def why_customers_leave(report, *, horizon_months: int = 24) -> SectionResult:
    """Cumulative incidence of each churn reason (Aalen-Johansen) with its interval."""
    title = "Why customers leave"
    keys = ("churn_leading_reason", "churn_leading_reason_cif")
    why = _reasons_why_not(report)
    if why:
        return SectionResult("reasons", title, unavailable=why,
                             headlines=[spec(k).headline(None, note=f"not computed: {why}", months=horizon_months)
                                        for k in keys])
    frame = _reasons(report)
    cif = churn_reasons.cumulative_incidence(frame)
    at = cif[cif["time"] <= horizon_months].groupby("reason").tail(1).sort_values("cumulative_incidence",
                                                                                   ascending=False)
    churned = frame[frame["churned"] == 1]["reason"].value_counts()
    table = Table(pd.DataFrame({
        "Reason": at["reason"],
        "Churners giving it": [count(churned.get(r, 0)) for r in at["reason"]],
        f"Left for it within {horizon_months} months": [number(100 * v, 1, "%") for v in at["cumulative_incidence"]],
        "95% interval": [interval(100 * lo, 100 * hi, 1, "%") for lo, hi in
                         zip(at["ci_low"], at["ci_high"], strict=True)],
    }), f"Aalen-Johansen cumulative incidence at {horizon_months} months of tenure: the share of customers who "
        "leave for each reason by then, other reasons competing")
    figure, ax = new_chart()
    for reason, rows in cif.groupby("reason"):
        ax.step(rows["time"], 100 * rows["cumulative_incidence"], where="post", label=reason)
        ax.fill_between(rows["time"], 100 * rows["ci_low"], 100 * rows["ci_high"], step="post", alpha=0.15)
    ax.set_xlabel("Tenure (months)")
    ax.set_ylabel("Left for this reason (%)")
    ax.legend(fontsize=8)
    recorded = at[at["reason"] != churn_reasons.NOT_RECORDED]
    result = SectionResult("reasons", title, tables=[table], charts=[Chart(
        figure, "Rising curves, one per churn reason: the share of customers who have left for that reason by each "
                "month of tenure, with 95% bands.")])
    if len(recorded):
        lead = recorded.iloc[0]
        result.answer = (f"The leading churn reason is \"{lead['reason']}\": {100 * lead['cumulative_incidence']:.1f}% "
                         f"of customers leave for it within {horizon_months} months (95% interval "
                         f"{interval(100 * lead['ci_low'], 100 * lead['ci_high'], 1, '%')}).")
        result.headlines.append(spec("churn_leading_reason").headline(
            lead["reason"], n=int(churned.sum()), note=f"{100 * lead['cumulative_incidence']:.1f}% of customers "
                                                       f"within {horizon_months} months"))
        result.headlines.append(spec("churn_leading_reason_cif").headline(
            100 * lead["cumulative_incidence"], ci_low=100 * lead["ci_low"], ci_high=100 * lead["ci_high"],
            n=len(frame), note=f"reason: {lead['reason']}", months=horizon_months))
    else:
        result.answer = "No churner recorded a reason."
        result.headlines += [spec(k).headline(None, note="not computed: no reason recorded", months=horizon_months)
                             for k in keys]
    return result


def reason_drivers(report) -> SectionResult:
    """Cause-specific hazard ratios: how the experience covariates speed up churn for each reason."""
    title = "Which experiences lead to which reason"
    why = _reasons_why_not(report) or ("" if report.availability.allows("surveys")
                                       else report.availability.why_not("surveys"))
    if why:
        return SectionResult("reason-drivers", title, unavailable=why)
    from cxlab.survival import time_varying_frame

    # built here, not kept for the run: no other section of the page uses it, and it is among the largest frames
    frame = time_varying_frame(report.data.customers, _answers(report), _followup_cases(report), as_of=report.as_of)
    reasons = _reasons(report).set_index("customer_id")["reason"]
    rows = []
    # one reason's model at a time: each holds its own copy of the start/stop rows, and only its ratios are read
    for reason, model in churn_reasons.cause_specific_fits(frame, reasons, covariates=COX_COVARIATES):
        ratios = model.hazard_ratios_.reset_index()
        ratios = ratios[ratios["term"].isin(["nps_category[detractor]", "nps_category[promoter]", "followup", "ces"])]
        rows.append(ratios.assign(reason=reason))
        del model
    ratios = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    if ratios.empty:
        return SectionResult("reason-drivers", title, unavailable="enough churners per reason")
    table = Table(pd.DataFrame({
        "Reason": ratios["reason"],
        "Customers who are": ratios["term"].map({"nps_category[detractor]": "detractors (vs passives)",
                                                  "nps_category[promoter]": "promoters (vs passives)",
                                                  "followup": "detractors followed up", "ces": "per CES point"}),
        "Hazard ratio": [number(v, 2) for v in ratios["hazard_ratio"]],
        "95% interval": [interval(lo, hi, 2) for lo, hi in zip(ratios["ci_low"], ratios["ci_high"], strict=True)],
        "p-value": [format_p(p) for p in ratios["p"]],
    }), "Cause-specific Cox models (time-varying): churn for other reasons censors")
    det = ratios[ratios["term"] == "nps_category[detractor]"].sort_values("hazard_ratio", ascending=False)
    answer = ""
    if len(det):
        top = det.iloc[0]
        answer = (f"Detractors leave for \"{top['reason']}\" {top['hazard_ratio']:.2f} times as fast as passives "
                  f"(95% interval {interval(top['ci_low'], top['ci_high'], 2)}), the strongest link of any reason.")
    return SectionResult("reason-drivers", title, answer=answer, tables=[table])


def _case_categories(cases: pd.DataFrame, as_of) -> pd.DataFrame:
    """The cases opened by the as-of date: ``customer_id``, ``opened_at`` and a flag per category (``reason``,
    "(none)" without one), the categories in the order of their names.

    The identifiers and times are the cases' own arrays, not copies, when every case is known by
    then; the flags are made from the categories' codes.
    """
    known = (cases["opened_at"] < as_of + pd.Timedelta(days=1)).to_numpy()
    rows = slice(None) if known.all() else np.flatnonzero(known)
    codes, names = pd.factorize(cases["reason"].iloc[rows])
    categories = {str(name): code for code, name in enumerate(names)} | ({"(none)": -1} if (codes < 0).any() else {})
    return pd.DataFrame({"customer_id": cases["customer_id"].array[rows], "opened_at": cases["opened_at"].array[rows],
                         **{name: codes == categories[name] for name in sorted(categories)}}, copy=False)


def before_leaving(report, *, window_days: int = 90, n_themes: int = 0, seed: int = 0,
                   dictionary: str = "") -> SectionResult:
    """What churners wrote and complained about before leaving vs customers still active at the same tenure."""
    title = f"What customers said in the {window_days} days before leaving"
    why = (report.availability.why_not("tenure", "churn") if not report.availability.allows("tenure", "churn")
           else _comments_why_not(report))
    if why:
        return SectionResult("before-leaving", title, unavailable=why)
    model = _model(report, n_themes=n_themes, seed=seed, dictionary=dictionary)
    frame = _frame(report, model)
    labels = _labels(model)
    themes = [t for t in model.themes_.sort_values("size", ascending=False)["theme"] if t in frame.columns][:12]
    tenure = report.tenure
    comments = churn_reasons.before_churn(tenure, frame, as_of=report.as_of, window_days=window_days,
                                          time_col="responded_at", label_cols=themes, seed=seed)
    comments["label"] = comments["label"].map(labels)
    tables = [comments]
    cases = report.cases(columns=CASE_COLUMNS, readers={before_leaving})
    if cases is not None and "reason" in cases.columns and cases["reason"].notna().any():
        events = _case_categories(cases, report.as_of)
        complaints = churn_reasons.before_churn(tenure, events, as_of=report.as_of, window_days=window_days,
                                                time_col="opened_at", label_cols=list(events.columns[2:]), seed=seed)
        complaints["label"] = "case: " + complaints["label"].astype(str)
        tables.append(complaints)
    both = pd.concat(tables, ignore_index=True).sort_values("difference", ascending=False)
    shown = Table(pd.DataFrame({
        "Theme or case category": both["label"],
        "Churners": [number(100 * v, 1, "%") for v in both["churner_share"]],
        "Churners: 95% interval": [interval(100 * lo, 100 * hi, 1, "%") for lo, hi in
                                   zip(both["churner_ci_low"], both["churner_ci_high"], strict=True)],
        "Still active at the same tenure": [number(100 * v, 1, "%") for v in both["control_share"]],
        "Active: 95% interval": [interval(100 * lo, 100 * hi, 1, "%") for lo, hi in
                                 zip(both["control_ci_low"], both["control_ci_high"], strict=True)],
        "Difference (points)": [number(100 * v, 1) for v in both["difference"]],
    }), f"Share of customers with at least one comment on the theme (or case of the category) in the {window_days} "
        "days before leaving, vs customers still active at the same tenure (up to 5 drawn per churner)")
    lead = both.iloc[0]
    return SectionResult("before-leaving", title, tables=[shown], answer=(
        f"In the {window_days} days before leaving, {100 * lead['churner_share']:.1f}% of churners mentioned "
        f"\"{lead['label']}\", against {100 * lead['control_share']:.1f}% of customers still active at the same "
        f"tenure ({int(lead['churners']):,} churners, {int(lead['controls']):,} active customers compared)."))


# The sections that read the answered rows (directly, or to build the theme model and frame the later sections share):
# once they have all been shown the rows are let go (ReportContext.cached), so the last section does not hold them.
_ANSWER_READERS = frozenset({what_customers_write, themes_and_scores, themes_by_touchpoint, theme_trends_section,
                             polarity, reason_drivers})
