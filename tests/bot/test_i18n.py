"""Catalogs, locales, and money and dates formatted for the user's language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from bot import money
from bot.i18n import LOCALES, catalog, format_date, format_datetime, format_money, normalise_locale, plural, t
from tests.paths import PROJECT_ROOT

NNBSP, NBSP = "\u202f", "\u00a0"


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    english = catalog("en")
    for locale in LOCALES:
        other = catalog(locale)
        assert set(other) == set(english), locale
        for key, text in english.items():
            assert set(re.findall(r"{(\w+)}", other[key])) == set(re.findall(r"{(\w+)}", text)), key
            assert other[key].strip(), key


def test_each_flow_catalog_exists_in_every_language_with_the_same_keys() -> None:
    import json

    root = PROJECT_ROOT / "bot" / "i18n"
    english = {path.name: set(json.loads(path.read_text(encoding="utf-8"))) for path in (root / "en").glob("*.json")}
    assert "core.json" in english
    for locale in LOCALES:
        files = {p.name: set(json.loads(p.read_text(encoding="utf-8"))) for p in (root / locale).glob("*.json")}
        assert files == english, locale


def test_every_key_the_code_uses_exists() -> None:
    root = PROJECT_ROOT
    used: set[str] = set()
    for path in [*root.glob("flows/**/*.py"), *root.glob("bot/*.py")]:
        used.update(re.findall(r"""\bt\(\s*\w+,\s*["']([a-z_.]+)["']""", path.read_text(encoding="utf-8")))
    assert used, "the scan found no t() calls"
    assert used <= set(catalog("en"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("fr-FR", "fr"), ("fr-CA", "fr"), ("en-GB", "en"), ("en_US", "en"), ("de-DE", "en"), (None, "en"), ("", "en")],
)
def test_slack_locales_map_to_our_catalogs(raw: str | None, expected: str) -> None:
    assert normalise_locale(raw) == expected


def test_unsupported_locale_falls_back_to_the_workspace_default() -> None:
    assert normalise_locale("de-DE", default="fr") == "fr"


def test_translation_fills_placeholders() -> None:
    assert t("en", "help.data.owes.nothing", client="Élodie") == "Élodie owes nothing: no unpaid invoice."


@pytest.mark.parametrize(
    ("locale", "count", "expected"),
    [
        ("fr", 0, "0 étape terminée sur 4"),  # French counts 0 as one
        ("fr", 1, "1 étape terminée sur 4"),
        ("fr", 2, "2 étapes terminées sur 4"),
        ("en", 0, "0 of 4 steps done"),
        ("en", 1, "1 of 4 steps done"),
        ("en", 4, "4 of 4 steps done"),
    ],
)
def test_counts_take_the_languages_plural_form(locale: str, count: int, expected: str) -> None:
    assert plural(locale, "hub.progress", count, total=4) == expected


def test_no_catalog_text_hedges_its_plural_with_parentheses() -> None:
    # "facture(s)", "séance(s)": a count is written with plural(), which picks the form.
    for locale in ("en", "fr"):
        hedged = {key: text for key, text in catalog(locale).items() if re.search(r"\w\((s|e|es|x)\)", text)}
        assert not hedged, (locale, hedged)


def test_unknown_key_shows_the_key_rather_than_crashing() -> None:
    assert t("fr", "no.such.key") == "no.such.key"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (123450, "eur", "fr", f"1{NNBSP}234,50{NBSP}€"),
        (123450, "eur", "en", "€1,234.50"),
        (1234, "jpy", "en", "¥1,234"),
        (1234, "JPY", "fr", f"1{NNBSP}234{NBSP}JPY"),
        (1234, "kwd", "en", "KWD1.234"),
        (-500, "usd", "en", "-$5.00"),
        (5, "eur", "en", "€0.05"),
        (0, "chf", "fr", f"0,00{NBSP}CHF"),
    ],
)
def test_money_is_formatted_from_minor_units(amount: int, currency: str, locale: str, expected: str) -> None:
    assert format_money(amount, currency, locale) == expected


def test_dates_follow_the_locale() -> None:
    assert format_date(date(2026, 11, 25), "fr") == "25 nov. 2026"
    assert format_date(date(2026, 11, 25), "en") == "Nov 25, 2026"


def test_a_moment_is_written_with_the_same_day_as_a_date_and_the_short_time() -> None:
    moment = datetime(2026, 12, 25, 8, 0, tzinfo=UTC)
    assert format_datetime(moment, "en", tz="Europe/Paris") == "Dec 25, 2026, 9:00\u202fAM"
    assert format_datetime(moment, "fr", tz="Europe/Paris") == "25 déc. 2026, 09:00"
    # Babel's short style ("12/25/26, 9:00 AM") is never what a member reads, whatever a caller asks for.
    assert format_datetime(moment, "en", "short", tz="Europe/Paris") == "Dec 25, 2026, 9:00\u202fAM"


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("1234.50", "eur", 123450),
        ("1 234,50", "eur", 123450),
        (f"1{NNBSP}234,5", "eur", 123450),
        ("500", "jpy", 500),
        ("0.1", "usd", 10),
        ("1.234", "kwd", 1234),
    ],
)
def test_typed_amounts_become_minor_units(text: str, currency: str, expected: int) -> None:
    assert money.parse_amount(text, currency) == expected


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("abc", "eur"),
        ("1.005", "eur"),
        ("12.5", "jpy"),
        ("NaN", "eur"),
        ("", "eur"),
        ("1e3", "eur"),
        ("+5", "eur"),
        ("1_000", "eur"),
        ("Infinity", "usd"),
        # Digits of other scripts: Decimal would read "٣" and "１２" as 3 and 12.
        ("٣", "eur"),
        ("١٢٠,٥٠", "eur"),
        ("１２", "eur"),
        ("²", "eur"),
        ("1²", "eur"),
        ("①", "jpy"),
    ],
)
def test_amounts_that_are_not_exact_money_are_refused(text: str, currency: str) -> None:
    with pytest.raises(ValueError):
        money.parse_amount(text, currency)


def test_french_names_the_billing_admins_one_way() -> None:
    # Four names for one group confused French readers; articles included.
    others = re.compile(r"responsables? de (la )?facturation|chargée? de la facturation|administrateurs de facturation")
    articles = (PROJECT_ROOT / "flows" / "help" / "articles" / "fr").glob("*.md")
    texts = {**catalog("fr"), **{path.name: path.read_text(encoding="utf-8") for path in articles}}
    assert not {key: text for key, text in texts.items() if others.search(text)}


def test_french_cancel_is_not_void() -> None:
    # "Annuler" was both a modal's close button and an invoice's red Void button: a modal closes with
    # "Fermer" (or "Retour" over another), and voiding says "Annuler la facture", as Stripe's French Dashboard.
    closers = {k: v for k, v in catalog("fr").items() if k.endswith((".cancel", ".close")) and v == "Annuler"}
    assert not closers
    assert t("fr", "payments.button.void") == "Annuler la facture"


# The placeholders that stand for a person (or a named thing whose gender French cannot know: a service, a rate).
_PERSON = r"\{(?:client|name|who|user|member|person|practitioner)\}"
# Narrow on purpose: the placeholder as the subject (a clause's first word, bold or a mention maybe), then
# "est / a été / n'a pas été / sera" and a past participle agreeing with it ("Marie-Ève Lefèvre est enregistré").
# A noun carries the agreement instead: "Fiche de Marie-Ève Lefèvre enregistrée", "Le taux TVA n'a pas été…".
_AGREES_WITH_PERSON = re.compile(
    r"(?:^|[.!?:]\s*)[*<@]*" + _PERSON
    + r"[*>]*\s+(?:est|a été|n['’]a pas été|sera|était)\s+\w+(?:é|ée|és|ées|i|ie|is|ies|u|ue|us|ues)\b"
)  # fmt: skip


def test_french_messages_about_a_person_need_no_gender() -> None:
    agreeing = {key: text for key, text in catalog("fr").items() if _AGREES_WITH_PERSON.search(text)}
    assert not agreeing
    person = "Marie-Ève Lefèvre"
    assert t("fr", "client.saved", name=person).startswith(f":white_check_mark: Fiche de *{person}* enregistrée.")
    assert t("fr", "client.change.saved", name=person) == f":white_check_mark: Fiche de *{person}* enregistrée."
    # "Montant dû : 58,00 $US, par Marie-Ève…" read as if Marie-Ève were owed: the debtor is named with the debt.
    amount = format_money(5800, "usd", "fr")
    assert t("fr", "payments.confirm.send_link.amount", amount=amount, client=person).startswith(
        f"Montant dû par {person} : {amount}."
    )
    assert t("fr", "services.added", name="Bilan") == ":white_check_mark: Prestation ajoutée : *Bilan*."
    # The rule catches what it is for.
    assert _AGREES_WITH_PERSON.search("*{name}* est enregistré.")
    assert _AGREES_WITH_PERSON.search("{client} a été prévenu")
    assert not _AGREES_WITH_PERSON.search("La carte de {client} sera débitée")
