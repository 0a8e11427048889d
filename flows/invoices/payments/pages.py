"""The page a client's browser lands on after "Add payment method": card saved, or not."""

from __future__ import annotations

from html import escape

from bot.i18n import normalise_locale, t

# The query parameter our /stripe/return links carry ("1" saved, "0" cancelled); it names this page too.
CARD_SAVED = "card_saved"


def card_saved_page(query: dict[str, str]) -> tuple[int, str]:
    locale = normalise_locale(query.get("lang"))
    key = "payments.page.saved" if query.get(CARD_SAVED) == "1" else "payments.page.cancelled"
    title, text = escape(t(locale, f"{key}.title")), escape(t(locale, f"{key}.text"))
    html = (
        f"<!doctype html><html lang='{locale}'><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body style='font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto'>"
        f"<h1>{title}</h1><p>{text}</p></body></html>"
    )
    return 200, html
