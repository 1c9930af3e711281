"""From raw comments to lemmas: cleaning, language detection, tokens, negation and lemmatisation.

Comments arrive with HTML, URLs, e-mail addresses, emoji, typos, both Latin and Cyrillic
script and sometimes thousands of characters. :func:`clean` keeps the words (HTML tags and
entities, URLs, e-mail addresses and digits removed), :func:`detect_language` tells English,
Russian and German apart by script and function words, and :func:`lemmatise` turns each
comment into lemmas ("deliveries" -> "delivery", "опоздала" -> "опоздать") with stop words
removed and negation kept on the word it negates ("not fast" -> ``not_fast``,
"не быстро" -> ``not_быстро``), so that "never late" is not read as "late".

Modelling uses the first :data:`MAX_MODEL_CHARS` characters of a comment; the full text is
kept for quoting. Work is done once per distinct text and lemmas are cached per word, so
repeated comments ("ok", "thanks") cost nothing.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd

from cxlab.patterns import first_rows, identical_rows

__all__ = ["MAX_MODEL_CHARS", "LANGUAGES", "clean", "detect_language", "lemmatise"]

MAX_MODEL_CHARS = 1000
LANGUAGES = ("en", "ru", "de")
_TAG = re.compile(r"<[^>]{0,200}>")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_PLACEHOLDER = re.compile(r"\[(?:email|phone|card|number|name)\]")  # left by cxlab.text.pii
_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_CYRILLIC = r"[\u0400-\u04ff]"
# Letters by code point (Cyrillic U+0400-U+04FF; Latin A-Z, a-z, U+00C0-U+024F) and the function words that tell
# German from English, counted as whole words in any case.
_CYRILLIC_RANGES = ((0x0400, 0x04FF),)
_LATIN_RANGES = ((0x41, 0x5A), (0x61, 0x7A), (0xC0, 0x24F))
_UMLAUTS = [ord(c) for c in "äöüßÄÖÜẞ"]
_GERMAN_WORDS = frozenset("der die das und ist nicht sehr mit wir sie zu ein eine auf für war immer kein wieder viel "
                          "aber oft".split())
_ENGLISH_WORDS = frozenset("the and is was to of not very with we you it a for on our in they are never again "
                           "too".split())
_WORD = re.compile(r"\w+")
# the letters that match a-z case-insensitively besides A-Z: dotted and dotless i, long s, the Kelvin sign
_FOLD = {0x130: "i", 0x131: "i", 0x17F: "s", 0x212A: "k"}
_CHUNK = 20_000  # texts counted together: at most 20M code points (1,000 characters each) held at once
NEGATORS = {"not", "no", "never", "nothing", "nobody", "cannot", "cant", "dont", "didnt", "doesnt", "isnt", "wasnt",
            "arent", "werent", "wont", "without", "не", "нет", "ни", "никогда", "без", "nicht", "kein", "keine",
            "nie", "ohne"}
# Words skipped between a negator and the word it negates ("not at all fast", "not very quick").
_NEGATION_SKIP = {"at", "all", "very", "so", "too", "really", "that", "the", "a", "an", "be", "been", "очень",
                  "слишком", "так", "sehr"}
STOP_WORDS = {
    "en": set("""a about above after again all also am an and any are as at be because been before being below
        between both but by can could did do does doing down during each few for from further had has have having he
        her here hers herself him himself his how i if in into is it its itself just me more most my myself now of
        off on once only or other our ours ourselves out over own same she should so some such than that the their
        theirs them themselves then there these they this those through to too under until up us very was we were
        what when where which while who whom why will with would you your yours yourself yourselves get got go
        went one two three us let lot also still even much well honestly fair please thank thanks hi hello dear ok
        okay fine comment add nothing previous answer see sent iphone always really extremely super quite
        consistently truly""".split()),
    "ru": set("""и в во что он на я с со как а то все она так его но да ты к у же вы за бы по только ее её мне
        было вот от меня еще ещё о из ему теперь когда даже ну вдруг ли если уже или быть был него до вас нибудь
        опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам
        чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом
        один почти мой тем чтобы нее сейчас были куда зачем всех можно при наконец два об другой хоть после над
        больше тот через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда
        лучше чуть том нельзя такой им более всегда конечно всю между это весь наш который честно общем спасибо
        пожалуйста здравствуйте добрый день комментарий нормально норм норма очень действительно весьма
        крайне постоянно снова""".split()),
    "de": set("""der die das und ist mit wir sie zu ein eine auf für war sehr aber oft den dem des im in es ich
        hat haben wird von bei auch noch nur wie so""".split()),
}


def _as_series(texts) -> pd.Series:
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)
    return series.astype(object).where(series.notna(), "").astype(str)


def clean(texts, *, max_chars: int | None = MAX_MODEL_CHARS) -> pd.Series:
    """Comments as plain lowercase words for modelling.

    HTML tags are dropped and entities decoded, URLs and e-mail addresses removed, the text
    cut to its first ``max_chars`` characters and lowercased. Missing comments become "".

    Parameters
    ----------
    texts : sequence of str or pandas.Series
        Raw comments (missing values allowed).
    max_chars : int or None, default 1000
        Characters kept for modelling (``None`` keeps everything).

    Returns
    -------
    pandas.Series of str
        Aligned with ``texts``.

    Examples
    --------
    >>> clean(["Invoice total was <b>wrong</b> &amp; late", None, "See https://x.io NOW"]).tolist()
    ['invoice total was wrong & late', '', 'see now']
    """
    import html

    series = _as_series(texts)
    inverse, unique = pd.factorize(series)  # object strings: no fixed-width copy of the longest comment
    out = pd.Series(unique, dtype=object)
    if max_chars is not None:
        out = out.str.slice(0, max_chars)
    out = out.str.replace(_TAG, " ", regex=True).map(html.unescape)
    out = out.str.replace(_URL, " ", regex=True).str.replace(_EMAIL, " ", regex=True)
    out = out.str.replace(_PLACEHOLDER, " ", regex=True).str.lower()
    out = out.str.replace(r"\s+", " ", regex=True).str.strip()
    return pd.Series(out.to_numpy()[inverse], index=series.index, dtype=object)


def detect_language(texts) -> pd.Series:
    """The language of each comment: ``en``, ``ru``, ``de``, ``mixed`` or ``und`` (no letters).

    Cyrillic letters mean Russian and Latin letters English, unless German function words or
    umlauts outnumber English function words; a comment with at least a quarter of its letters
    in each script is ``mixed``.

    Parameters
    ----------
    texts : sequence of str or pandas.Series

    Returns
    -------
    pandas.Series of str
        Aligned with ``texts``.

    Examples
    --------
    >>> detect_language(["Late again!", "Доставка опоздала", "Lieferung wieder zu spät", "👍",
    ...                  "Портал не работает, login fails every day"]).tolist()
    ['en', 'ru', 'de', 'und', 'mixed']
    """
    series = _as_series(texts)
    inverse, unique = pd.factorize(series.str.slice(0, MAX_MODEL_CHARS))
    text = pd.Series(unique, dtype=object)
    cyr, lat, german, english = np.hstack([np.zeros((4, 0), dtype=np.int64), *(
        _letter_and_word_counts(text.iloc[i:i + _CHUNK]) for i in range(0, len(text), _CHUNK))])
    letters = cyr + lat
    german = german > english
    share = np.divide(cyr, letters, out=np.zeros(len(text)), where=letters > 0)
    lang = np.where(letters == 0, "und", np.where(share >= 0.75, "ru", np.where(share > 0.25, "mixed",
                                                                                 np.where(german, "de", "en"))))
    return pd.Series(lang[inverse], index=series.index, dtype=object)


def _letter_and_word_counts(text: pd.Series) -> np.ndarray:
    """Per text: Cyrillic letters, Latin letters, German marks (function words, and ä, ö, ü or ß in
    either case outside them) and English function words; four rows of counts.

    The letters are counted over the code points of all the texts at once, the words after one
    split of each text: regular expressions per text took twice as long.
    """
    text = text.reset_index(drop=True)
    lengths = text.str.len().to_numpy()
    points = np.frombuffer("".join(text).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    ends = np.cumsum(lengths)

    def letters_per_text(mask: np.ndarray) -> np.ndarray:
        running = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
        return running[ends] - running[ends - lengths]

    def within(ranges) -> np.ndarray:
        return np.logical_or.reduce([(points >= low) & (points <= high) for low, high in ranges])

    folded = letters_per_text(np.isin(points, list(_FOLD))) > 0  # rare: only those texts are translated
    if folded.any():
        text = text.where(~folded, text[folded].str.translate(_FOLD))
    words = text.str.lower().str.findall(_WORD).explode().dropna()
    owner, words = words.index.to_numpy(dtype=np.int64), pd.Series(words.to_numpy(), dtype=object)

    def words_per_text(mask: pd.Series) -> np.ndarray:
        return np.bincount(owner[mask.to_numpy()], minlength=len(text))

    # "für" is one German mark, as one match of the word or of its letter
    german = (words_per_text(words.isin(_GERMAN_WORDS)) + letters_per_text(np.isin(points, _UMLAUTS))
              - words_per_text(words == "für"))
    return np.vstack([letters_per_text(within(_CYRILLIC_RANGES)), letters_per_text(within(_LATIN_RANGES)), german,
                      words_per_text(words.isin(_ENGLISH_WORDS))])


@functools.cache
def _russian_analyser():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@functools.lru_cache(maxsize=500_000)
def _lemma(word: str, language: str) -> str:
    if language == "ru" or (language == "mixed" and re.match(_CYRILLIC, word)):
        return _russian_analyser().parse(word)[0].normal_form.replace("ё", "е")
    import simplemma

    return simplemma.lemmatize(word, "de" if language == "de" else "en").lower()


@functools.lru_cache(maxsize=200_000)
def _tokens(text: str, language: str) -> tuple[str, ...]:
    stop = STOP_WORDS.get(language, STOP_WORDS["en"] | STOP_WORDS["ru"]) if language != "mixed" else (
        STOP_WORDS["en"] | STOP_WORDS["ru"])
    out: list[str] = []
    negate = False
    for raw in _TOKEN.findall(text):
        word = raw.replace("’", "'").replace("n't", "nt").replace("'", "")
        if word in NEGATORS:
            negate = True
            continue
        if negate and word in _NEGATION_SKIP:
            continue
        if word in stop or len(word) < 2:
            negate = False
            continue
        lemma = _lemma(word, language)
        out.append("not_" + lemma if negate else lemma)
        negate = False
    return tuple(out)


def lemmatise(texts, languages=None, *, max_chars: int | None = MAX_MODEL_CHARS) -> pd.Series:
    """Each comment as a space-separated string of lemmas, negation marked, stop words removed.

    Parameters
    ----------
    texts : sequence of str or pandas.Series
        Raw comments.
    languages : sequence of str, optional
        Language of each comment (default :func:`detect_language`).
    max_chars : int or None, default 1000
        Characters of each comment used.

    Returns
    -------
    pandas.Series of str
        Aligned with ``texts``; "" for comments without content words.

    Examples
    --------
    >>> lemmatise(["Deliveries were not fast at all!", "Доставка опять опоздала", "great service"]).tolist()
    ['delivery not_fast', 'доставка опоздать', 'great service']
    """
    series = _as_series(texts)
    cleaned = clean(series, max_chars=max_chars)
    langs = detect_language(series) if languages is None else pd.Series(list(languages), index=series.index)
    texts, languages = cleaned.to_numpy(), langs.astype(str).to_numpy()
    codes = identical_rows([texts, languages], len(texts))  # integer codes: 8x faster than pairs of text
    first = first_rows(codes)
    pairs = zip(texts[first], languages[first], strict=True)
    lemmas = np.array([" ".join(_tokens(text, lang)) for text, lang in pairs], dtype=object)
    return pd.Series(lemmas[codes] if len(codes) else np.empty(0, dtype=object), index=series.index, dtype=object)
