"""Cleaning, language detection and lemmas: robust to empty text, emoji, HTML, URLs, long text, typos, negation."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from cxlab.datasets import load_demo
from cxlab.text import clean, detect_language, lemmatise
from cxlab.text.normalise import MAX_MODEL_CHARS


def test_clean_drops_html_urls_emails_and_keeps_words():
    out = clean(["Invoice total was <b>wrong</b> &amp; late", None, "", "See https://x.io/a?b=1 or a.b@c.com NOW"])
    assert out.tolist() == ["invoice total was wrong & late", "", "", "see or now"]


def test_language_detection_by_script_and_function_words():
    texts = ["Late again!", "Доставка опоздала", "Lieferung wieder zu spät, sehr ärgerlich", "👍", "", None,
             "Портал не работает, login fails every day",
             "Поддержка отвечает очень долго, тикет закрыли без ответа, ok"]
    assert detect_language(texts).tolist() == ["en", "ru", "de", "und", "und", "und", "mixed", "ru"]


# The rule of detect_language written as one regular expression per count and text: the letters of each script,
# and German function words or umlauts against English function words, whole words in any case.
_GERMAN = re.compile(r"\b(?:der|die|das|und|ist|nicht|sehr|mit|wir|sie|zu|ein|eine|auf|für|war|immer|kein|"
                     r"wieder|viel|aber|oft)\b|[äöüß]", re.IGNORECASE)
_ENGLISH = re.compile(r"\b(?:the|and|is|was|to|of|not|very|with|we|you|it|a|for|on|our|in|they|are|never|"
                      r"again|too)\b", re.IGNORECASE)


def _languages_by_regular_expressions(texts) -> list[str]:
    text = pd.Series(list(texts), dtype=object).fillna("").astype(str).str.slice(0, MAX_MODEL_CHARS)
    cyrillic = text.str.count(r"[\u0400-\u04ff]").to_numpy()
    letters = cyrillic + text.str.count(r"[A-Za-z\u00c0-\u024f]").to_numpy()
    german = text.str.count(_GERMAN).to_numpy() > text.str.count(_ENGLISH).to_numpy()
    share = np.divide(cyrillic, letters, out=np.zeros(len(text)), where=letters > 0)
    return np.where(letters == 0, "und", np.where(share >= 0.75, "ru", np.where(
        share > 0.25, "mixed", np.where(german, "de", "en")))).tolist()


EDGE_CASES = [
    "für für the the", "FÜR the", "a a für", "Über über über the the the", "ÄÖÜ the the the", "ẞ the", "Straße the",
    "İST das gut", "ıst ok", "ſie war da", "\u212aein the",  # letters that match a-z in any case besides A-Z
    "der_1 the", "der1 and", "_der the", "DER DIE the and", "the\u00e4", "über the",  # word boundaries
    "\ud800 der", "", None, "👍", "Я der", "x" * 1500 + " der die das", "× ÷ the",  # odd code points, long text
]


@pytest.mark.parametrize("corpus", ["edge cases", "demo comments"])
def test_language_detection_counts_as_the_regular_expressions_do(corpus):
    texts = EDGE_CASES if corpus == "edge cases" else load_demo().surveys["comment"].dropna().drop_duplicates()
    assert detect_language(texts).tolist() == _languages_by_regular_expressions(texts)


def test_language_detection_of_more_texts_than_are_counted_together():
    texts = [text for i in range(40_000)  # 120,000 distinct texts, each counted once: several chunks of them
             for text in (f"Lieferung {i} wieder zu spät", f"Late again, {i} days!", f"Доставка {i} опоздала")]
    assert detect_language(texts).tolist() == ["de", "en", "ru"] * 40_000


def test_negation_sticks_to_the_word_it_negates_in_both_languages():
    lemmas = lemmatise(["Deliveries were not fast at all", "Never late, no delays", "Поддержка работает не быстро",
                        "Доставка никогда не опаздывает", "The support team isn't helpful"])
    assert lemmas.tolist() == ["delivery not_fast", "not_late not_delay", "поддержка работать not_быстро",
                               "доставка not_опаздывать", "support team not_helpful"]


def test_russian_lemmas_come_from_pymorphy3():
    # pymorphy3 normal forms (ё written as е): счетах -> счет, повреждённым -> повредить, запчастей -> запчасть
    assert lemmatise(["в счетах ошибки", "груз пришёл повреждённым", "без нужных запчастей"]).tolist() == [
        "счет ошибка", "груз прийти повредить", "not_нужный запчасть"]


def test_empty_emoji_and_very_long_comments():
    long = "Delivery late. " * 500
    lemmas = lemmatise(["", None, "😡😡", long])
    assert lemmas.iloc[:3].tolist() == ["", "", ""]
    # only the first MAX_MODEL_CHARS characters are modelled
    assert lemmas.iloc[3].split().count("late") == len(long[:MAX_MODEL_CHARS].split("late")) - 1


def test_index_is_kept_and_duplicates_cost_once():
    texts = pd.Series(["ok", "Late delivery", "ok"], index=[10, 20, 30])
    out = lemmatise(texts)
    assert out.index.tolist() == [10, 20, 30]
    assert out.tolist() == ["", "late delivery", ""]
