"""Cleaning, language detection and lemmas: robust to empty text, emoji, HTML, URLs, long text, typos, negation."""

from __future__ import annotations

import pandas as pd

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
