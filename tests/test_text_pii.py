"""Personal data is replaced before quoting, in English and Russian."""

from __future__ import annotations

from cxlab.text import scrub_pii


def test_emails_phones_cards_accounts_and_names_after_greetings():
    texts = ["Hi Anna, call me on +44 20 7946 0958 or anna.smith@example.com",
             "Здравствуйте, Ирина! Карта 4111 1111 1111 1111, счёт 40817810099910004312",
             "Dear Mr Smith, the invoice was wrong", "Уважаемая Ольга Петровна, спасибо",
             "Звоните: +7 912 345-67-89.", "Thank you Dr. Patel for everything"]
    assert scrub_pii(texts).tolist() == [
        "Hi [name], call me on [phone] or [email]",
        "Здравствуйте, [name]! Карта [card], счёт [number]",
        "Dear Mr [name], the invoice was wrong", "Уважаемая [name], спасибо",
        "Звоните: [phone].", "Thank you Dr. [name] for everything"]


def test_ordinary_text_dates_and_missing_values_are_left_alone():
    texts = ["Thanks team, all good", "Delivered 2024-03-01 at 10am", "Prices went up by 15%", None,
             "thank you for nothing"]
    out = scrub_pii(texts)
    assert out.iloc[:3].tolist() == texts[:3]
    assert out.iloc[3] is None
    assert out.iloc[4] == "thank you for nothing"
