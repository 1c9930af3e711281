"""Question catalogue: declared scales, presets, validation, answers outside their scale, summaries."""

import numpy as np
import pandas as pd
import pytest

from cxlab.catalogue import (
    Catalogue,
    CatalogueError,
    Question,
    answers_frame,
    catalogue_from_dict,
    check_answers,
    read_catalogue,
    summarise_questions,
)

SPEC = {"questions": [
    {"id": "seat", "label": {"en": "Seat comfort", "de": "Sitzkomfort"}, "scale": [1, 100],
     "top_box": [80, 100], "bottom_box": [1, 40], "touchpoint": "on_board"},
    {"id": "agree", "label": "Staff were friendly", "scale": [1, 7]},
    {"id": "ltr", "label": "Recommend", "preset": "nps", "role": "recommend"},
    {"id": "effort", "label": "Effort", "preset": "ces"},
    {"id": "vs", "label": "Compared with other airlines", "preset": "competitors"},
]}


def test_presets_and_default_boxes():
    cat = catalogue_from_dict(SPEC)
    assert cat.ids == ["seat", "agree", "ltr", "effort", "vs"]
    assert cat["seat"].label("de") == "Sitzkomfort" and cat["seat"].label("fr") == "Seat comfort"
    # 7-point scale: top-two box 6-7, bottom-two box 1-2 by default.
    assert (cat["agree"].top_box, cat["agree"].bottom_box) == ((6, 7), (1, 2))
    assert (cat["ltr"].scale_min, cat["ltr"].scale_max, cat["ltr"].top_box) == (0, 10, (9, 10))
    assert cat["ltr"].standard_column == "nps"
    # Effort: lower is better, so the top box is the low end.
    assert cat["effort"].direction == "lower_is_better" and cat["effort"].top_box == (1, 2)
    assert cat["vs"].role == "competitors" and cat["vs"].value_labels[3] == "better"
    assert cat.with_role("recommend").id == "ltr"


@pytest.mark.parametrize("entry, message", [
    ({"id": "q", "label": "Q", "scale": [5, 1]}, "min < max"),
    ({"id": "q", "label": "Q", "scale": [1, 7.5]}, "whole numbers"),
    ({"id": "q", "label": "Q", "scale": [0, 100]}, "top_box must be declared"),
    ({"id": "q", "label": "Q", "scale": [1, 5], "top_box": [5, 6]}, "outside the scale 1-5"),
    ({"id": "q", "label": "Q", "scale": [1, 5], "top_box": [2, 5]}, "overlap"),
    ({"id": "q", "label": "Q", "preset": "csat", "scale": [1, 5]}, "either a preset or a scale"),
    ({"id": "q", "label": "Q", "preset": "nps", "top_box": [8, 10]}, "fixes ['top_box']"),
    ({"id": "q", "label": "Q", "preset": "stars"}, "unknown preset"),
    ({"id": "q", "label": "", "scale": [1, 5]}, "label must be text"),
    ({"id": "q", "label": "Q", "scale": [1, 5], "role": "fan"}, "role must be one of"),
    ({"id": "q", "label": "Q", "scale": [1, 5], "colour": "red"}, "unknown field(s) ['colour']"),
])
def test_bad_questions_are_named(entry, message):
    with pytest.raises(CatalogueError, match=r"question 'q'") as err:
        catalogue_from_dict({"questions": [entry]}, where="questions.yaml")
    assert message in str(err.value) and "questions.yaml" in str(err.value)


def test_duplicate_ids_roles_and_importance_targets():
    q = {"label": "Q", "scale": [1, 5]}
    with pytest.raises(CatalogueError, match=r"\['a'\] are declared more than once"):
        catalogue_from_dict([{"id": "a", **q}, {"id": "a", **q}])
    with pytest.raises(CatalogueError, match="role 'overall' is given to \\['a', 'b'\\]"):
        catalogue_from_dict([{"id": "a", "role": "overall", **q}, {"id": "b", "role": "overall", **q}])
    with pytest.raises(CatalogueError, match="a -> nowhere"):
        catalogue_from_dict([{"id": "a", "role": "importance", "importance_of": "nowhere", **q}])


def test_yaml_round_trip(tmp_path):
    cat = catalogue_from_dict(SPEC)
    path = cat.write(tmp_path / "questions.yaml")
    assert read_catalogue(tmp_path) == cat
    assert read_catalogue(path) == cat
    assert read_catalogue(tmp_path / "sub" if (tmp_path / "sub").mkdir() is None else None) is None
    (tmp_path / "bad.yaml").write_text("questions: [id: a\n")
    with pytest.raises(CatalogueError, match="bad.yaml: not valid YAML"):
        read_catalogue(tmp_path / "bad.yaml")


def test_values_outside_their_scale_name_file_column_rows():
    cat = catalogue_from_dict(SPEC)
    answers = pd.DataFrame({"seat": [100, 0, 55.5, np.nan, 101], "agree": [7, 1, 4, 2, 3]})
    check_answers(answers[["agree"]], cat, file="export.csv")  # valid: no error
    with pytest.raises(CatalogueError) as err:
        check_answers(answers, cat, file="export.csv")
    text = str(err.value)
    assert "export.csv" in text and "column 'seat' (question 'seat', scale 1-100)" in text
    assert "3 row(s) [2, 3, 5]" in text and "values found: 0.0, 55.5, 101.0" in text and "agree" not in text


def test_summary_by_hand():
    cat = catalogue_from_dict(SPEC)
    answers = pd.DataFrame({"seat": [90, 80, 79, 40, 1, np.nan], "effort": [1, 2, 3, 7, 6, 1],
                            "group": ["a", "a", "a", "b", "b", "b"]})
    out = summarise_questions(answers, cat, min_cell_size=1).set_index("question_id")
    seat = out.loc["seat"]
    assert seat["n"] == 5 and seat["mean"] == pytest.approx(58.0)  # (90+80+79+40+1)/5
    assert seat["top_box"] == pytest.approx(40.0) and seat["bottom_box"] == pytest.approx(40.0)
    # Wilson 95% interval of 2/5 (Newcombe 1998, method 3): 11.76% to 76.93%.
    assert seat["top_box_ci_low"] == pytest.approx(11.76, abs=0.01)
    assert seat["top_box_ci_high"] == pytest.approx(76.93, abs=0.01)
    # t interval of the mean: sd of (90, 80, 79, 40, 1) = 36.77, t(0.975, 4) = 2.776.
    half = 2.7764451 * np.std([90, 80, 79, 40, 1], ddof=1) / np.sqrt(5)
    assert seat["mean_ci_high"] - seat["mean"] == pytest.approx(half)
    # Effort: lower is better, top box = 1-2 (3 of 6), bottom box = 6-7 (2 of 6).
    assert out.loc["effort", "top_box"] == pytest.approx(50.0)
    assert out.loc["effort", "bottom_box"] == pytest.approx(100 * 2 / 6)
    grouped = summarise_questions(answers, cat, by="group", min_cell_size=3)
    small = grouped[(grouped["question_id"] == "seat") & (grouped["group"] == "b")].iloc[0]
    assert small["n"] == 2 and small["suppressed"] and np.isnan(small["mean"])


def test_answers_frame_from_long_surveys():
    cat = catalogue_from_dict(SPEC)
    surveys = pd.DataFrame({
        "customer_id": ["c1", "c1", "c2", "c2"],
        "responded_at": pd.to_datetime(["2024-01-02"] * 2 + ["2024-01-01"] * 2),
        "question_id": ["seat", "ltr", "seat", "ltr"], "score": [70.0, 9.0, 20.0, np.nan]})
    wide = answers_frame(surveys, cat)
    assert wide["customer_id"].tolist() == ["c2", "c1"]
    assert wide[["seat", "ltr"]].to_numpy().tolist()[1] == [70.0, 9.0]
    bad = surveys.assign(score=[70.0, 11.0, 20.0, np.nan])
    with pytest.raises(CatalogueError, match=r"(?s)surveys.csv:.*question 'ltr', scale 0-10\): 1 row\(s\) \[2\]"):
        answers_frame(bad, cat, file="surveys.csv")
    with pytest.raises(CatalogueError, match=r"\['wifi'\] not in the catalogue \(rows 1\)"):
        answers_frame(surveys.assign(question_id=["wifi", "ltr", "seat", "ltr"]), cat)


def test_question_api_direct():
    q = Question("x", {"en": "X"}, 0, 100, top_box=(90, 100), bottom_box=(0, 20))
    assert q.in_box([95, 50, np.nan, 0], "top").tolist() == [True, False, False, False]
    assert Catalogue([q]).to_frame()["top_box"].tolist() == ["90-100"]


def test_changes_between_groups_match_statsmodels_and_scipy():
    from scipy import stats
    from statsmodels.stats.proportion import confint_proportions_2indep

    from cxlab.catalogue import compare_questions

    rng = np.random.default_rng(0)
    cat = catalogue_from_dict(SPEC)
    answers = pd.DataFrame({"quarter": ["2024Q1"] * 200 + ["2024Q2"] * 250,
                            "seat": np.r_[rng.integers(1, 101, 200), np.clip(rng.integers(1, 101, 250) + 10, 1, 100)],
                            "agree": rng.integers(1, 8, 450)})
    out = compare_questions(answers, cat, by="quarter", a="2024Q1", b="2024Q2").set_index("question_id")
    first, second = (answers.loc[answers["quarter"] == q, "seat"] for q in ("2024Q1", "2024Q2"))
    hits_a, hits_b = int((first >= 80).sum()), int((second >= 80).sum())
    # Independent implementation: statsmodels' Newcombe (1998) hybrid score interval of p_b - p_a.
    low, high = confint_proportions_2indep(hits_b, 250, hits_a, 200, method="newcomb")
    seat = out.loc["seat"]
    assert seat["top_box_change"] == pytest.approx(100 * (hits_b / 250 - hits_a / 200))
    assert (seat["top_box_change_ci_low"], seat["top_box_change_ci_high"]) == pytest.approx((100 * low, 100 * high))
    welch = stats.ttest_ind(second, first, equal_var=False)
    assert seat["mean_change"] == pytest.approx(second.mean() - first.mean())
    assert seat["mean_p"] == pytest.approx(welch.pvalue)
    assert out["top_box_q"].between(out["top_box_p"], 1).all()  # BH-adjusted: never below the raw p-value
