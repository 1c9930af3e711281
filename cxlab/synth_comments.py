"""Comments, churn reasons and case reasons of the simulated world, written from latent themes.

The demo world's customers write in English, Russian and (a little) German. Each comment
has a primary theme (or none: off-topic text such as "n/a" or an emoji) drawn from the
touchpoint it is about and the sentiment of the answer; a share of comments mixes in a
second theme. Each theme has several phrasings per language, with inflected forms, typos,
negation ("never late", "не быстро"), emoji, URLs, HTML-special characters, personal data
(to be scrubbed before quoting) and a few very long texts. A theme that did not exist
before, :data:`EMERGING_THEME`, appears from :data:`EMERGING_START`.

Churn reasons (the cancellation form's code) have cause-specific hazards proportional in
the customer's NPS state: :data:`REASON_HAZARD_RATIO` is each reason's hazard ratio of the
state against passives, used as is by :func:`draw_churn_reasons` (see
:func:`reason_probabilities`), so the cause-specific Cox models have a known truth.
Complaints and service requests carry a category; complaints in the half year before a churn
lean to that churn's reason.

Everything here draws from its own random generator, so the rest of the world does not
change when the texts do.
"""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pandas as pd

__all__ = [
    "THEMES", "THEME_LABELS", "EMERGING_THEME", "EMERGING_START", "CHURN_REASONS", "CASE_REASONS",
    "primary_theme", "comment_texts", "reason_probabilities", "draw_churn_reasons", "draw_case_reasons",
    "cause_specific_hazard_ratios", "theme_truth",
]

# --------------------------------------------------------------------------- themes
THEMES = ("sales_promises", "onboarding_delays", "delivery_late", "damaged_goods", "support_slow",
          "technician_visit", "portal_problems", "billing_errors", "praise_staff", "praise_speed",
          "price_increase")
THEME_INDEX = {t: i for i, t in enumerate(THEMES)}
THEME_LABELS = {
    "sales_promises": "sales promised more than the contract covers",
    "onboarding_delays": "slow or unclear onboarding",
    "delivery_late": "late deliveries",
    "damaged_goods": "damaged goods",
    "support_slow": "slow or unhelpful support",
    "technician_visit": "technician visits (no parts, rescheduled)",
    "portal_problems": "portal problems (slow, log-outs, search)",
    "billing_errors": "invoice errors",
    "praise_staff": "praise for friendly, helpful staff",
    "praise_speed": "praise for speed and reliability",
    "price_increase": "the new price increase",
}
NEGATIVE_THEMES = tuple(THEMES[:8])
POSITIVE_THEMES = ("praise_staff", "praise_speed")
EMERGING_THEME = "price_increase"
EMERGING_START = "2026-04-01"
EMERGING_SHARE = 0.5  # of negative/neutral sales, invoicing and relationship comments from the start
# Negative theme(s) of each touchpoint (order of cxlab.schema.TOUCHPOINTS) and their split.
TOUCHPOINT_THEMES = (
    (("sales_promises", 1.0),),
    (("onboarding_delays", 1.0),),
    (("delivery_late", 0.6), ("damaged_goods", 0.4)),
    (("support_slow", 1.0),),
    (("technician_visit", 1.0),),
    (("portal_problems", 1.0),),
    (("billing_errors", 1.0),),
)
# P(negative theme of the touchpoint), P(each positive theme); the rest is off-topic. By sentiment.
SENTIMENT_MIX = {0: (0.85, 0.0), 1: (0.45, 0.125), 2: (0.0, 0.40)}
MIX_SHARE = 0.12  # comments that add a second theme of the same polarity
TYPO_SHARE = 0.15
PII_SHARE = 0.02
LONG_SHARE = 0.004
LONG_REPEATS = 30

# Phrasings: "{a|b}" picks one alternative; every combination is a phrasing.
# fmt: off
PHRASES = {
    "en": {
        "sales_promises": [
            "{Sales|The sales rep|Your sales team} promised {things|features|discounts} the contract did not cover.",
            "{Sales|The sales team} overpromised{ and the contract says otherwise|}.",
            "What {sales|your sales people} promised is not in the contract.",
            "The sales quote changed {three times|again} before {signing|the contract}.",
        ],
        "onboarding_delays": [
            "Onboarding took {far too long|months|forever}.",
            "Nobody explained how the onboarding works.",
            "We had to chase you for every onboarding step.",
            "The onboarding {stalled|dragged on} and the setup is {still not finished|incomplete}.",
        ],
        "delivery_late": [
            "{Deliveries|The deliveries} are {always|often} late.",
            "The delivery was late {again|twice this month|by two days}.",
            "{Late|Delayed} {delivery|deliveries}{, again| this week|}.",
            "Our delivery arrived {a day|two days|a week} late.",
            "Driver said \"by 10am\" & the delivery showed up at 3pm.",
        ],
        "damaged_goods": [
            "Damaged {pallets|goods|boxes} {again|this month|on arrival}.",
            "The goods came damaged{ again|}.",
            "{Half of the|Several|Two} boxes were damaged in transit.",
            "We received damaged {items|equipment|goods} and had to send them back.",
        ],
        "support_slow": [
            "Support needs {days|ages|a week} to answer.",
            "I had to describe my issue to {four|three|five} different support agents.",
            "Support closed my ticket {without a solution|unresolved}.",
            "The support team is not {fast|helpful} at all.",
            "{Waited|Waiting} {hours|days} for a support reply.",
        ],
        "technician_visit": [
            "Technician's report said 'fixed' & the unit failed again.",
            "The technician came without the {spare parts|right parts|tools}.",
            "The technician visit had to be rescheduled {twice|again}.",
            "The technician {never showed up|cancelled the visit} for the repair.",
        ],
        "portal_problems": [
            "The portal is slow and keeps logging me out.",
            "Search field printed <script>alert('x')</script> back at me, the portal looks unsafe.",
            "Cannot find the shipment status in the portal.",
            "{Portal|The customer portal|The web portal} {login breaks|crashes|freezes} {every day|all the time}.",
        ],
        "billing_errors": [
            "Invoice total was <b>wrong</b> & late",
            "{Invoices|Our invoices|The invoices} are full of errors.",
            "We got an invoice twice for the same order.",
            "{Wrong|Incorrect} amount on the {invoice|last invoice} again.",
            "The invoice {had errors|did not match the order}.",
        ],
        "praise_staff": [
            "{Friendly|Very friendly} staff{, thank you|, really appreciated|}.",
            "{Your staff|The staff|Everyone} {is|was} {always friendly|friendly and helpful|so friendly}.",
            "Friendly and professional {team|people|staff}.",
            "{Really|Extremely} friendly {people|staff|team}{, thank you|}.",
        ],
        "praise_speed": [
            "{Always|Consistently} fast and on time.",
            "Fast and reliable service.",
            "Never late, always fast.",
            "Everything was fast{ and reliable| and smooth|}.",
            "{Very|Super} fast {response|turnaround}.",
        ],
        "price_increase": [
            "The new price increase is {too much|unacceptable|hard to justify}.",
            "{Prices|Your prices} went up {again|by 15%|without notice}.",
            "Too expensive after the price increase.",
            "The price hike {hurts our budget|is not justified}.",
        ],
    },
    "ru": {
        "sales_promises": [
            "{Менеджер по продажам|Продавец} обещал одно, а в договоре {другое|совсем другое}.",
            "{Обещания|Обещаний} {отдела продаж|продавца} нет в договоре.",
            "Договор не соответствует тому, что обещал {менеджер по продажам|продавец}.",
        ],
        "onboarding_delays": [
            "Подключение затянулось на {месяц|два месяца|полгода}.",
            "Подключение {шло|проходило} очень долго, никто ничего не объяснял.",
            "Приходилось напоминать о каждом шаге подключения.",
        ],
        "delivery_late": [
            "Доставка {опять|снова} опоздала{, склад простаивал|}.",
            "Доставку привезли с опозданием{ на два дня| на неделю|}.",
            "{Постоянные|Опять} задержки доставки.",
            "Доставку {задержали|отложили} {снова|в третий раз}.",
        ],
        "damaged_goods": [
            "Груз пришёл {повреждённым|разбитым}.",
            "{Часть коробок|Несколько коробок|Паллеты} {повреждены|повредили} при перевозке.",
            "Груз {привезли|доставили} повреждённым, пришлось возвращать.",
        ],
        "support_slow": [
            "Поддержка отвечает {неделями|по несколько дней|только через неделю}.",
            "Поддержка {работает|отвечает} не быстро и не помогает.",
            "Поддержка закрыла заявку, ничего не исправив.",
            "Ждали ответа поддержки {несколько дней|неделю}.",
        ],
        "technician_visit": [
            "Техник приехал без {нужных запчастей|инструментов}.",
            "Выезд техника {переносили|перенесли} {два раза|несколько раз}.",
            "Техник не приехал на ремонт.",
        ],
        "portal_problems": [
            "Портал {медленный|тормозит} и постоянно выкидывает.",
            "В портале не найти статус {отправки|отгрузки}.",
            "Портал {зависает|не работает|падает} {каждый день|постоянно}.",
        ],
        "billing_errors": [
            "В {счетах|счёте} постоянно ошибки, приходится перепроверять.",
            "{Выставили|Выставлен} счёт дважды за один заказ.",
            "{Неправильная|Неверная} сумма в счёте {опять|снова}.",
        ],
        "praise_staff": [
            "{Вежливые|Очень вежливые} сотрудники, спасибо!",
            "Сотрудники всегда {вежливые|вежливы и внимательны}.",
            "Очень вежливый {персонал|сотрудник}.",
            "Спасибо вежливым сотрудникам.",
        ],
        "praise_speed": [
            "Всё быстро и {вовремя|надёжно}.",
            "Работают быстро и {вовремя|чётко}.",
            "Никогда не опаздывают, всё быстро.",
            "{Очень|Действительно} быстро {ответили|решили вопрос}.",
        ],
        "price_increase": [
            "Повышение цен {слишком большое|неприемлемо}.",
            "Цены {опять|снова} выросли{ на 15%|}.",
            "Стало слишком дорого после повышения цен.",
        ],
    },
    "de": {
        "sales_promises": ["Der Vertrieb hat zu viel versprochen."],
        "onboarding_delays": ["Das Onboarding hat viel zu lange gedauert."],
        "delivery_late": ["Lieferung wieder zu spät, sehr ärgerlich."],
        "damaged_goods": ["Die Ware kam beschädigt an."],
        "support_slow": ["Der Support reagiert viel zu langsam."],
        "technician_visit": ["Techniker kam ohne Ersatzteile."],
        "portal_problems": ["Das Portal ist langsam und unübersichtlich."],
        "billing_errors": ["Rechnungen sind oft fehlerhaft & unklar."],
        "praise_staff": ["Sehr freundliche Mitarbeiter."],
        "praise_speed": ["Lieferungen immer pünktlich, top!"],
        "price_increase": ["Die Preiserhöhung ist zu hoch."],
    },
}
OFF_TOPIC = {
    "en": ["no comment", "n/a", "ok", "Thanks", "👍", "see my previous answer", "nothing to add", "-", "asdf",
           "Sent from my iPhone", "...", "fine", ":)"],
    "ru": ["нет комментариев", "всё нормально", "спасибо", "без комментариев", "😊", "-", "норм"],
    "de": ["Kein Kommentar", "danke", "passt"],
}
PREFIXES = {"en": ["", "", "", "", "Honestly, ", "Well, ", "To be fair, ", "Again: "],
            "ru": ["", "", "", "Честно говоря, ", "В общем, ", "Опять же: "], "de": [""]}
SUFFIXES = {
    "negative": {"en": ["", "", "", "!", "!!", " 😡", " 🙁", " See https://portal.example.com/help"],
                 "ru": ["", "", "", "!", " 😡"], "de": [""]},
    "positive": {"en": ["", "", "", "!", " 👍", " 😊", " Thanks!"],
                 "ru": ["", "", "", "!", " 👍", " Спасибо!"], "de": [""]},
}
PERSONAL = {"en": ["Hi Anna, {}", "{} Call me on +44 20 7946 0958.", "{} My email is anna.smith@example.com",
                   "{} Account 40817810099910004312 was charged.", "Dear John, {}"],
            "ru": ["Здравствуйте, Ирина! {}", "{} Звоните: +7 912 345-67-89.", "{} Пишите на ivan.petrov@example.ru"],
            "de": ["{} Rufen Sie mich an: +49 30 1234567."]}
LANGUAGE_CODES = ("en", "ru", "de")
# fmt: on

# --------------------------------------------------------------------------- churn reasons
CHURN_REASONS = ("price", "service_quality", "billing_problems", "competitor_offer", "business_closed")
REASON_BASE_SHARE = (0.25, 0.25, 0.15, 0.20, 0.15)  # of the reasons recorded by passive churners
# Cause-specific hazard ratio of each reason (order of CHURN_REASONS), NPS state against passive.
REASON_HAZARD_RATIO = {
    "none": (1.5, 1.5, 1.5, 1.5, 1.5),
    "detractor": (1.2, 3.0, 2.5, 1.5, 0.6),
    "passive": (1.0, 1.0, 1.0, 1.0, 1.0),
    "promoter": (0.8, 0.4, 0.5, 0.6, 0.9),
}
REASON_RECORDED_SHARE = 0.90  # the most any group of churners records a reason (the rest leave it empty)
NPS_STATES = ("none", "detractor", "passive", "promoter")
CASE_REASONS = ("delivery", "billing", "support", "technician", "portal", "contract_terms")
CASE_REASON_SHARE = {"complaint": (0.30, 0.20, 0.20, 0.12, 0.10, 0.08),
                     "service_request": (0.25, 0.10, 0.30, 0.25, 0.10, 0.0)}
# Complaints within this many days before a churn are this many times likelier to match its reason.
COMPLAINT_LEAD_DAYS = 180
COMPLAINT_MATCH_MULTIPLIER = 4.0
REASON_CASE_MATCH = {"price": ("contract_terms",), "service_quality": ("delivery", "support", "technician"),
                     "billing_problems": ("billing",), "competitor_offer": (), "business_closed": ()}


def _expand(template: str) -> list[str]:
    """Every phrasing of a template with ``{a|b}`` alternatives."""
    parts = re.split(r"(\{[^}]*\})", template)
    options = [p[1:-1].split("|") if p.startswith("{") and p.endswith("}") else [p] for p in parts]
    return ["".join(choice) for choice in itertools.product(*options)]


def _phrasings() -> dict[tuple[str, int], np.ndarray]:
    """Expanded phrasings per (language, theme index)."""
    return {(lang, THEME_INDEX[theme]): np.array([p for t in templates for p in _expand(t)], dtype=object)
            for lang, themes in PHRASES.items() for theme, templates in themes.items()}


def primary_theme(u: np.ndarray, touchpoint: np.ndarray, sentiment: np.ndarray,
                  emerging: np.ndarray) -> np.ndarray:
    """The primary theme of each comment from one uniform draw (-1: off-topic).

    Parameters
    ----------
    u : numpy.ndarray
        Uniform draws in [0, 1), one per comment.
    touchpoint : numpy.ndarray
        Touchpoint code (order of :data:`cxlab.schema.TOUCHPOINTS`) the comment is about.
    sentiment : numpy.ndarray
        0 negative, 1 neutral, 2 positive.
    emerging : numpy.ndarray of bool
        Whether the emerging theme can be the topic (its period, and a touchpoint it concerns).

    Returns
    -------
    numpy.ndarray of int8
        Index into :data:`THEMES`, or -1.
    """
    u = np.asarray(u, dtype=float)
    touchpoint = np.asarray(touchpoint)
    sentiment = np.asarray(sentiment)
    take_new = np.asarray(emerging, dtype=bool) & (sentiment < 2) & (u < EMERGING_SHARE)
    # the rest of the draw, rescaled to [0, 1), picks among the usual themes
    v = np.where(np.asarray(emerging, dtype=bool) & (sentiment < 2),
                 (u - EMERGING_SHARE) / (1 - EMERGING_SHARE), u)
    neg = np.array([SENTIMENT_MIX[s][0] for s in range(3)])[sentiment]
    pos = np.array([SENTIMENT_MIX[s][1] for s in range(3)])[sentiment]
    out = np.full(u.size, -1, dtype=np.int8)
    # negative themes of the touchpoint: split of the [0, neg) interval
    first = np.array([THEME_INDEX[pairs[0][0]] for pairs in TOUCHPOINT_THEMES])[touchpoint]
    split = np.array([pairs[0][1] for pairs in TOUCHPOINT_THEMES])[touchpoint]
    second = np.array([THEME_INDEX[pairs[-1][0]] for pairs in TOUCHPOINT_THEMES])[touchpoint]
    in_neg = v < neg
    out[in_neg] = np.where(v[in_neg] < neg[in_neg] * split[in_neg], first[in_neg], second[in_neg])
    w = v - neg
    out[~in_neg & (w < pos)] = THEME_INDEX["praise_staff"]
    out[~in_neg & (w >= pos) & (w < 2 * pos)] = THEME_INDEX["praise_speed"]
    out[take_new] = THEME_INDEX[EMERGING_THEME]
    return out


def _typo(rng: np.random.Generator, text: str) -> str:
    """One typo in a random word of four or more letters: two letters swapped or one dropped."""
    words = text.split(" ")
    long = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not long:
        return text
    i = long[rng.integers(len(long))]
    w = words[i]
    j = int(rng.integers(1, len(w) - 2))
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:] if rng.random() < 0.5 else w[:j] + w[j + 1:]
    return " ".join(words)


def comment_texts(rng: np.random.Generator, language: np.ndarray, theme: np.ndarray) -> pd.DataFrame:
    """Write one comment per row from its language and primary theme.

    Parameters
    ----------
    rng : numpy.random.Generator
        The text generator's own random numbers.
    language : numpy.ndarray
        Index into ``("en", "ru", "de")``.
    theme : numpy.ndarray
        Primary theme index (-1: off-topic).

    Returns
    -------
    pandas.DataFrame
        ``comment`` (str), ``theme`` and ``second_theme`` (index or -1).

    Examples
    --------
    >>> out = comment_texts(np.random.default_rng(0), np.array([0, 1]), np.array([2, -1]))
    >>> out["theme"].tolist()
    [2, -1]
    """
    language = np.asarray(language)
    theme = np.asarray(theme, dtype=np.int64)
    n = theme.size
    phrasings = _phrasings()
    second = np.full(n, -1, dtype=np.int64)
    mix = (theme >= 0) & (theme != THEME_INDEX[EMERGING_THEME]) & (rng.random(n) < MIX_SHARE)
    negative_primary = np.isin(theme, [THEME_INDEX[t] for t in NEGATIVE_THEMES])
    neg_pool = np.array([THEME_INDEX[t] for t in NEGATIVE_THEMES])
    pos_pool = np.array([THEME_INDEX[t] for t in POSITIVE_THEMES])
    draw = rng.random(n)
    # a different theme of the same polarity: skip the primary's position in its pool
    k_neg = np.floor(draw * (neg_pool.size - 1)).astype(np.int64)
    k_neg = k_neg + (k_neg >= theme.clip(0))  # negative pool indices equal theme indices
    pos_pos = np.where(theme == pos_pool[0], 1, 0)
    second[mix] = np.where(negative_primary[mix], neg_pool[np.minimum(k_neg[mix], neg_pool.size - 1)],
                           pos_pool[pos_pos[mix]])
    text = np.empty(n, dtype=object)
    pick = rng.random((n, 2))
    for li, lang in enumerate(LANGUAGE_CODES):
        off = np.array(OFF_TOPIC[lang], dtype=object)
        rows = np.flatnonzero((language == li) & (theme < 0))
        text[rows] = off[np.floor(pick[rows, 0] * off.size).astype(np.int64)]
        for t in range(len(THEMES)):
            bank = phrasings[(lang, t)]
            rows = np.flatnonzero((language == li) & (theme == t))
            text[rows] = bank[np.floor(pick[rows, 0] * bank.size).astype(np.int64)]
        for t in range(len(THEMES)):
            bank = phrasings[(lang, t)]
            rows = np.flatnonzero((language == li) & (second == t))
            text[rows] = text[rows] + " " + bank[np.floor(pick[rows, 1] * bank.size).astype(np.int64)]
        on_topic = np.flatnonzero((language == li) & (theme >= 0))
        polarity = np.where(np.isin(theme[on_topic], pos_pool), "positive", "negative")
        pre = np.array(PREFIXES[lang], dtype=object)[rng.integers(0, len(PREFIXES[lang]), on_topic.size)]
        for kind in ("negative", "positive"):
            sel = on_topic[polarity == kind]
            suf = np.array(SUFFIXES[kind][lang], dtype=object)[rng.integers(0, len(SUFFIXES[kind][lang]), sel.size)]
            text[sel] = text[sel] + suf
        text[on_topic] = pre + text[on_topic]
    for i in np.flatnonzero((theme >= 0) & (rng.random(n) < TYPO_SHARE)):
        text[i] = _typo(rng, text[i])
    for i in np.flatnonzero((theme >= 0) & (rng.random(n) < PII_SHARE)):
        forms = PERSONAL[LANGUAGE_CODES[language[i]]]
        text[i] = forms[rng.integers(len(forms))].format(text[i])
    for i in np.flatnonzero((theme >= 0) & (rng.random(n) < LONG_SHARE)):
        text[i] = " ".join([text[i]] * LONG_REPEATS)
    return pd.DataFrame({"comment": text, "theme": theme, "second_theme": second})


# --------------------------------------------------------------------------- churn and case reasons
def reason_probabilities(state: np.ndarray, score_log_hazard: np.ndarray) -> np.ndarray:
    """P(each recorded reason | churn, NPS state, score term of the churn hazard).

    The churn hazard is ``h0(t) exp(lp + s)`` with ``s`` its score term (smooth in the latest
    score). Reason ``j`` is recorded with probability ``c * base_j * HR_j[state] * exp(-s)``, so
    its cause-specific hazard is ``c * base_j * HR_j[state] * h0(t) exp(lp)``: proportional in the
    NPS state with hazard ratio ``HR_j[state]`` against passives (:data:`REASON_HAZARD_RATIO`).
    The rest of the churn hazard (churn without a recorded reason) takes up the score's smooth
    part, so customers with the worst scores leave a reason least often. ``c`` is the largest
    constant keeping the recorded share of every churner given at most :data:`REASON_RECORDED_SHARE`.

    Parameters
    ----------
    state : numpy.ndarray
        NPS state code at churn (index into :data:`NPS_STATES`).
    score_log_hazard : numpy.ndarray
        The churn hazard's score term at churn (log scale), one per churner.

    Returns
    -------
    numpy.ndarray
        One row per churner, one column per reason of :data:`CHURN_REASONS`; rows sum to at most
        :data:`REASON_RECORDED_SHARE`.
    """
    weights = np.asarray(REASON_BASE_SHARE) * np.array([REASON_HAZARD_RATIO[s] for s in NPS_STATES])
    weights = weights[np.asarray(state, dtype=np.int64)] * np.exp(-np.asarray(score_log_hazard, dtype=float))[:, None]
    largest = weights.sum(axis=1).max() if len(weights) else 1.0
    return weights * (REASON_RECORDED_SHARE / largest)


def draw_churn_reasons(rng: np.random.Generator, churned: np.ndarray, state: np.ndarray,
                       score_log_hazard: np.ndarray) -> np.ndarray:
    """The cancellation-form reason of each churner (None for active customers and unrecorded reasons).

    Parameters
    ----------
    rng : numpy.random.Generator
    churned : numpy.ndarray of bool
    state : numpy.ndarray
        NPS state code at churn (index into :data:`NPS_STATES`).
    score_log_hazard : numpy.ndarray
        The churn hazard's score term at churn (:func:`reason_probabilities`).

    Returns
    -------
    numpy.ndarray of object
    """
    churned = np.asarray(churned, dtype=bool)
    probabilities = np.zeros((churned.size, len(CHURN_REASONS)))
    probabilities[churned] = reason_probabilities(np.asarray(state)[churned], np.asarray(score_log_hazard)[churned])
    cum = np.cumsum(probabilities, axis=1)
    code = (rng.random(churned.size)[:, None] >= cum).sum(axis=1)  # len(CHURN_REASONS): no reason recorded
    names = np.array((*CHURN_REASONS, None), dtype=object)
    return np.where(churned, names[code], None)


def draw_case_reasons(rng: np.random.Generator, kind: np.ndarray, opened_sec: np.ndarray,
                      churn_sec: np.ndarray, churn_reason: np.ndarray) -> np.ndarray:
    """The category of each complaint and service request (None for detractor follow-ups).

    Parameters
    ----------
    rng : numpy.random.Generator
    kind : numpy.ndarray
        Case kind names.
    opened_sec : numpy.ndarray
        Opening times, seconds since the epoch.
    churn_sec, churn_reason : numpy.ndarray
        The case's customer's churn time (a large number when active) and churn reason.

    Returns
    -------
    numpy.ndarray of object
    """
    n = len(kind)
    weights = np.zeros((n, len(CASE_REASONS)))
    for name, shares in CASE_REASON_SHARE.items():
        weights[kind == name] = shares
    lead = (kind == "complaint") & (churn_sec - opened_sec <= COMPLAINT_LEAD_DAYS * 86_400)
    for reason, categories in REASON_CASE_MATCH.items():
        rows = lead & (churn_reason == reason)
        for category in categories:
            weights[rows, CASE_REASONS.index(category)] *= COMPLAINT_MATCH_MULTIPLIER
    total = weights.sum(axis=1, keepdims=True)
    cum = np.cumsum(weights / np.where(total > 0, total, 1.0), axis=1)
    code = np.minimum((rng.random(n)[:, None] >= cum).sum(axis=1), len(CASE_REASONS) - 1)
    return np.where(total[:, 0] > 0, np.array(CASE_REASONS, dtype=object)[code], None)


def cause_specific_hazard_ratios() -> dict:
    """True cause-specific hazard ratios of the NPS states per churn reason (against passives).

    Returns
    -------
    dict
        Reason to ``{"detractor_vs_passive": ..., "promoter_vs_passive": ..., "no_response_vs_passive": ...}``:
        :data:`REASON_HAZARD_RATIO`, which :func:`draw_churn_reasons` uses; every other covariate
        of the churn model keeps its churn hazard ratio for every reason.

    Examples
    --------
    >>> cause_specific_hazard_ratios()["service_quality"]["detractor_vs_passive"]
    3.0
    """
    pairs = {"detractor_vs_passive": "detractor", "promoter_vs_passive": "promoter", "no_response_vs_passive": "none"}
    return {reason: {key: REASON_HAZARD_RATIO[state][j] for key, state in pairs.items()}
            for j, reason in enumerate(CHURN_REASONS)}


def theme_truth(theme: np.ndarray, second: np.ndarray, language: np.ndarray, nps: np.ndarray,
                quarter: np.ndarray) -> dict:
    """Realised truth of the themes: counts per language, effect on NPS, shares by quarter.

    Parameters
    ----------
    theme, second : numpy.ndarray
        Primary and second theme of each comment (-1: none).
    language : numpy.ndarray
        Language index of each comment.
    nps : numpy.ndarray
        The relationship NPS answer of the comment (-1 for transactional answers).
    quarter : numpy.ndarray
        The quarter of each comment (``"2026Q3"``).

    Returns
    -------
    dict
        ``comments_by_language`` (theme -> language -> comments mentioning it),
        ``nps_points_by_theme`` (least-squares coefficient of 100 x (promoter - detractor) on
        the theme flags with an intercept, relationship comments; the effect the analysis
        should recover), ``share_by_quarter`` of the emerging theme.
    """
    flags = np.zeros((theme.size, len(THEMES)), dtype=bool)
    for col in (theme, second):
        rows = np.flatnonzero(col >= 0)
        flags[rows, col[rows]] = True
    by_language = {t: {lang: int(flags[language == li, k].sum()) for li, lang in enumerate(LANGUAGE_CODES)}
                   for k, t in enumerate(THEMES)}
    rel = nps >= 0
    y = 100.0 * ((nps[rel] >= 9).astype(float) - (nps[rel] <= 6).astype(float))
    present = flags[rel].sum(axis=0) > 0
    design = np.column_stack([np.ones(rel.sum()), flags[rel][:, present].astype(float)])
    coef = np.linalg.lstsq(design, y, rcond=None)[0] if rel.any() else np.full(design.shape[1], np.nan)
    effects = dict.fromkeys(THEMES, math.nan)
    effects.update(zip(np.array(THEMES)[present].tolist(), coef[1:].tolist(), strict=True))
    emerging = flags[:, THEME_INDEX[EMERGING_THEME]]
    shares = pd.Series(emerging).groupby(np.asarray(quarter)).mean()
    return {"comments_by_language": by_language, "nps_points_by_theme": effects,
            "nps_points_intercept": float(coef[0]) if rel.any() else math.nan,
            "emerging_share_by_quarter": {str(q): float(v) for q, v in shares.items()}}
