"""Wide surveys on their own scales: from_wide_survey with a catalogue, and `cxlab convert survey`."""

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import cxlab.io
from cxlab.catalogue import answers_frame, catalogue_from_dict, read_catalogue
from cxlab.cli import app
from cxlab.datasets.generic import from_wide_survey

QUESTIONS = [
    {"id": "seat", "label": {"en": "Seat comfort", "de": "Sitzkomfort"}, "scale": [1, 100], "top_box": [80, 100],
     "bottom_box": [1, 40], "touchpoint": "on_board"},
    {"id": "checkin", "label": "Check-in", "scale": [1, 100], "top_box": [80, 100], "bottom_box": [1, 40]},
    {"id": "friendly", "label": "Staff were friendly", "scale": [1, 7]},
    {"id": "ltr", "label": "Recommend", "preset": "nps", "role": "recommend"},
    {"id": "vs", "label": "Compared with other airlines", "preset": "competitors", "role": "preference"},
    {"id": "imp_seat", "label": "Importance of seat comfort", "scale": [1, 5], "role": "importance",
     "importance_of": "seat"},
]
WIDE = pd.DataFrame({
    "id": ["r1", "r2", "r3"],
    "Seat": ["100", "1", "0"],           # 0 = not applicable (outside 1-100)
    "Check-in": ["55", "", "80"],
    "friendly": ["7", "1", "4"],
    "ltr": ["0", "10", "9"],             # 0 is an answer on 0-10
    "vs": ["3", "1", "2"],
    "imp_seat": ["5", "4", "3"],
    "date": ["2024-05-02", "2024-05-03", "2024-05-03"],
})
TOUCHPOINTS = {"Seat": "seat", "Check-in": "checkin"}


def _tables(**options):
    return from_wide_survey(WIDE, respondent_id="id", touchpoints=TOUCHPOINTS, responded_at="date",
                            catalogue={"questions": QUESTIONS}, outcome="ltr", **options)


def test_declared_scales_are_kept_and_rows_carry_question_and_score():
    customers, surveys = _tables()
    r1 = surveys[surveys["customer_id"] == "r1"].set_index("invitation_id")
    assert r1.index.tolist() == ["r1-seat", "r1-checkin", "r1-relationship", "r1-friendly", "r1-vs", "r1-imp_seat"]
    assert r1["question_id"].tolist() == ["seat", "checkin", "ltr", "friendly", "vs", "imp_seat"]
    assert r1["score"].tolist() == [100.0, 55.0, 0.0, 7.0, 3.0, 5.0]
    assert r1["csat"].isna().all()  # 1-100 ratings are not CSAT
    assert r1.loc["r1-relationship", "nps"] == 0.0  # the NPS preset also fills nps
    assert r1["touchpoint"].tolist() == ["seat", "checkin", "relationship", "relationship", "relationship",
                                         "relationship"]
    r3 = surveys[surveys["customer_id"] == "r3"].set_index("question_id")
    assert np.isnan(r3.loc["seat", "score"])  # not applicable
    wide = answers_frame(surveys, catalogue_from_dict({"questions": QUESTIONS})).set_index("customer_id")
    r2 = wide.loc["r2", ["seat", "checkin", "ltr", "friendly"]].astype(float)
    np.testing.assert_array_equal(r2, [1, np.nan, 10, 1])
    assert len(customers) == 3


def test_scales_must_be_declared_and_agree():
    with pytest.raises(ValueError, match=r"scale=\(1, 100\) is another scale.*question catalogue"):
        from_wide_survey(WIDE, respondent_id="id", touchpoints=TOUCHPOINTS, survey_date="2024-05-03",
                         scale=(1, 100))
    customers, surveys = _tables(scale=(1, 100))  # given and declared alike
    assert surveys["score"].notna().any()
    with pytest.raises(ValueError, match=r"column 'Seat' is given scale=\(1, 10\) but its question 'seat' is "
                                         r"declared on 1-100"):
        _tables(scale={"Seat": (1, 10)})


def test_values_outside_their_declared_scale_name_column_and_rows():
    bad = WIDE.assign(friendly=["7", "8", "0"], Seat=["100", "101", "0"])
    with pytest.raises(ValueError) as err:
        from_wide_survey(bad, respondent_id="id", touchpoints=TOUCHPOINTS, responded_at="date",
                         catalogue={"questions": QUESTIONS}, outcome="ltr")
    text = str(err.value)
    assert "column 'Seat' must be empty, a whole number from 1 to 100 or a not-applicable code [0]: 1 row(s) [2]" \
        in text
    # 0 is outside 1-7 and is a not-applicable code there too; 8 is neither.
    assert "column 'friendly' must be empty, a whole number from 1 to 7" in text and "[2]" in text


def _write_survey(tmp_path, wide, questions, export):
    wide.to_csv(tmp_path / "export.csv", index=False)
    spec = tmp_path / "survey.yaml"
    spec.write_text(yaml.safe_dump({"export": export, "questions": questions}, sort_keys=False))
    return tmp_path / "export.csv", spec


def test_convert_a_0_100_survey_through_the_cli(tmp_path):
    export, spec = _write_survey(tmp_path, WIDE, QUESTIONS, {
        "respondent_id": "id", "responded_at": "date", "touchpoints": TOUCHPOINTS, "outcome": "ltr"})
    result = CliRunner().invoke(app, ["convert", "survey", str(export), str(tmp_path / "out"), "--catalogue",
                                      str(spec), "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "read 3 rows, rejected 0" in result.stdout
    data = cxlab.io.load(tmp_path / "out")
    catalogue = read_catalogue(tmp_path / "out")
    assert catalogue.ids == [q["id"] for q in QUESTIONS] and catalogue["seat"].label("de") == "Sitzkomfort"
    wide = answers_frame(data.surveys, catalogue, file=str(data.files["surveys"]))
    np.testing.assert_array_equal(wide.set_index("customer_id").loc[["r1", "r2", "r3"], "seat"], [100, 1, np.nan])
    assert data.as_of == pd.Timestamp("2024-05-03")


def test_convert_a_1_7_survey_reports_bad_values_with_the_file(tmp_path):
    questions = [{"id": f"q{i}", "label": f"Item {i}", "scale": [1, 7]} for i in range(1, 4)]
    questions.append({"id": "overall", "label": "Overall satisfaction", "scale": [1, 7], "role": "overall"})
    wide = pd.DataFrame({"rid": [1, 2, 3], "q1": [7, 6, 1], "q2": [5, 9, 2], "q3": [1, 1, 1],
                         "overall": [7, 5, 2]})
    export, spec = _write_survey(tmp_path, wide, questions, {
        "respondent_id": "rid", "survey_date": "2019-08-22", "touchpoints": [], "outcome": "overall"})
    result = CliRunner().invoke(app, ["convert", "survey", str(export), str(tmp_path / "out"),
                                      "--catalogue", str(spec)])
    assert result.exit_code == 2
    assert "export.csv" in result.stderr and "column 'q2' must be empty, a whole number from 1 to 7" in result.stderr
    assert "[2]" in result.stderr
    export, spec = _write_survey(tmp_path, wide.assign(q2=[5, 4, 2]), questions, {
        "respondent_id": "rid", "survey_date": "2019-08-22", "touchpoints": [], "outcome": "overall"})
    result = CliRunner().invoke(app, ["convert", "survey", str(export), str(tmp_path / "out"),
                                      "--catalogue", str(spec), "--as-of", "2019-09-30"])
    assert result.exit_code == 0, result.output
    data = cxlab.io.load(tmp_path / "out")
    assert data.as_of == pd.Timestamp("2019-09-30")
    overall = data.surveys[data.surveys["question_id"] == "overall"]
    assert overall["touchpoint"].unique().tolist() == ["relationship"] and overall["score"].tolist() == [7, 5, 2]
    assert overall["csat"].isna().all()  # a 1-7 overall question is not CSAT


def test_convert_needs_the_catalogue_only_for_surveys(tmp_path):
    result = CliRunner().invoke(app, ["convert", "survey", "x.csv", str(tmp_path / "out")])
    assert result.exit_code == 2 and "catalogue (--catalogue) is required" in result.stderr


def test_a_converted_survey_names_its_gaps_in_the_documented_vocabulary(tmp_path):
    from cxlab.datasets.source import GAPS
    from cxlab.datasets.survey_export import load_survey_export
    from cxlab.schema import OPTIONAL_COLUMNS, SCHEMAS, TABLES

    export, spec = _write_survey(tmp_path, WIDE, QUESTIONS, {
        "respondent_id": "id", "responded_at": "date", "touchpoints": TOUCHPOINTS, "outcome": "ltr"})
    converted, _ = load_survey_export(export, spec)
    columns = {f"{t}.{c}" for t in TABLES for c in [*SCHEMAS[t].columns, *OPTIONAL_COLUMNS.get(t, {})]}
    assert set(converted.not_in_source) <= set(TABLES) | columns | set(GAPS)
    assert converted.notes[-1].endswith("Fieldwork ran in 2024Q2; to report that quarter before later data exist, "
                                        "convert with --as-of 2024-06-30.")
