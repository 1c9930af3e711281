"""The voice-of-the-customer page: sections on the demo data, one-sentence skips, escaped and scrubbed quotes."""

from __future__ import annotations

import shutil
import weakref

import pandas as pd
import pytest

from cxlab.headlines import REGISTRY
from cxlab.sections import open_report, voice

HOSTILE = "<script>alert('x')</script> Hi Anna, the zebra xylophone quartz broke, call +44 20 7946 0958"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    for path in ("data/demo/customers.csv", "data/demo/cases.parquet", "data/demo/meta.json"):
        shutil.copy(path, folder)
    surveys = pd.read_parquet("data/demo/surveys.parquet")
    answered = surveys.index[surveys["comment"].notna()][:300]
    surveys.loc[answered, "comment"] = HOSTILE  # 300 copies: a theme of its own, quoted
    surveys.to_parquet(folder / "surveys.parquet")
    return open_report("07_voice_of_customer", data_dir=folder, tables=["surveys", "cases"])


def test_every_headline_key_is_registered_for_the_notebook():
    keys = ["voice_top_detractor_theme", "voice_top_detractor_share", "voice_top_theme_impact",
            "voice_emerging_theme", "voice_polarity_auc", "churn_leading_reason", "churn_leading_reason_cif"]
    assert all(REGISTRY[k].notebook == "07_voice_of_customer" for k in keys)


def test_themes_section_quotes_are_escaped_and_scrubbed(report):
    result = report.show(voice.what_customers_write)
    html = result._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "7946 0958" not in html and "Anna" not in html


def test_score_trend_and_reason_sections_record_their_headlines(report):
    scores = report.show(voice.themes_and_scores)
    assert isinstance(scores.headline("voice_top_detractor_theme").value, str)
    share = scores.headline("voice_top_detractor_share")
    assert share.ci_low < share.value < share.ci_high
    trends = report.show(voice.theme_trends_section)
    assert "price" in trends.headline("voice_emerging_theme").value
    reasons = report.show(voice.why_customers_leave, horizon_months=24)
    assert reasons.headline("churn_leading_reason").value == "service_quality"
    cif = reasons.headline("churn_leading_reason_cif")
    assert cif.ci_low < cif.value < cif.ci_high and cif.label.endswith("within 24 months")


@pytest.mark.parametrize("comment", [None, "  "], ids=["missing", "blank"])
def test_a_folder_without_comments_or_reasons_skips_in_one_sentence(tmp_path, comment):
    shutil.copy("data/demo/customers.csv", tmp_path)
    customers = pd.read_csv(tmp_path / "customers.csv").drop(columns="churn_reason")
    customers.to_csv(tmp_path / "customers.csv", index=False)
    surveys = pd.read_parquet("data/demo/surveys.parquet").assign(comment=comment)
    surveys.to_parquet(tmp_path / "surveys.parquet")
    report = open_report("07_voice_of_customer", data_dir=tmp_path, tables=["surveys"])
    themes = report.show(voice.what_customers_write)
    assert themes.unavailable == "the data has no customer comments (no survey answer has a comment)"
    assert "skipped" in themes._repr_html_()
    reasons = report.show(voice.why_customers_leave)
    assert reasons.unavailable.startswith("the data has no churn reasons")
    assert reasons.headline("churn_leading_reason").value is None


VOICE_PAGE = (voice.what_customers_write, voice.themes_and_scores, voice.themes_by_touchpoint,
              voice.theme_trends_section, voice.polarity, voice.why_customers_leave, voice.reason_drivers,
              voice.before_leaving)


def test_the_page_from_engine_queries_equals_the_page_from_loaded_surveys_and_cases(report, same_sections):
    # as the notebook opens it: neither the surveys nor the cases are loaded
    queried = open_report("07_voice_of_customer", data_dir=report.data.source, tables=["customers"],
                          queried=["surveys", "cases"])
    assert queried.data.surveys is None and queried.data.cases is None
    same_sections(queried, report, VOICE_PAGE)


def test_the_answered_rows_and_reasons_are_let_go_before_the_last_section(report):
    page = open_report("07_voice_of_customer", data_dir=report.data.source, tables=["customers"],
                       queried=["surveys", "cases"])
    held = [weakref.ref(frame) for frame in (voice._answers(page), voice._reasons(page), voice._followup_cases(page))]
    for section in VOICE_PAGE[:-1]:  # up to the reasons' models
        page.show(section)
    assert [ref() for ref in held] == [None, None, None], "the last section would hold every answered row"
    cases = weakref.ref(page.cases(columns=voice.CASE_COLUMNS, readers={voice.before_leaving}))
    last = page.show(VOICE_PAGE[-1])
    assert cases() is None, "the cases the last section reads are kept after it"
    assert last.tables[0].frame.equals(report.show(VOICE_PAGE[-1]).tables[0].frame)
