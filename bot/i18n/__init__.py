"""One translation layer for every user-facing string, and Babel for money and dates.

Each locale is a folder of flat JSON files (``en/core.json``, ``en/stripe_setup.json``…) of ``key -> text``
with ``{name}`` placeholders: one file per flow, so a flow owns its words as it owns its views. A key may
be defined in one file only.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_time as babel_format_time
from babel.dates import get_timezone
from babel.numbers import format_currency
from babel.numbers import format_percent as babel_format_percent

from bot import money

LOCALES = ("en", "fr")
FALLBACK = "en"
# Babel needs a territory to pick separators and currency placement.
_BABEL_LOCALE = {"en": "en_US", "fr": "fr_FR"}
_CATALOG_DIR = Path(__file__).resolve().parent


def normalise_locale(raw: str | None, default: str = FALLBACK) -> str:
    """Slack's ``fr-FR``, ``fr-CA``, ``en-GB``… to one of our catalogs."""
    if raw:
        language = raw.replace("_", "-").split("-")[0].lower()
        if language in LOCALES:
            return language
    return default if default in LOCALES else FALLBACK


@cache
def catalog(locale: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((_CATALOG_DIR / locale).glob("*.json")):
        with path.open(encoding="utf-8") as handle:
            part: dict[str, str] = json.load(handle)
        clash = merged.keys() & part.keys()
        if clash:
            raise ValueError(f"{path} defines keys another {locale} catalog file has: {sorted(clash)}")
        merged.update(part)
    return merged


def t(locale: str, key: str, **params: object) -> str:
    """The text for ``key`` in ``locale``, falling back to English, then to the key itself."""
    text = catalog(normalise_locale(locale)).get(key) or catalog(FALLBACK).get(key) or key
    return text.format(**params) if params else text


def plural(locale: str, key: str, count: int, **params: object) -> str:
    """The text for ``count`` things: ``key.one`` or ``key.other`` (CLDR's plural forms, as Babel knows them:
    French says "0 étape terminée" and "1 étape", English "0 steps" and "1 step"). ``{count}`` is filled in."""
    form = Locale.parse(_BABEL_LOCALE[normalise_locale(locale)]).plural_form(count)
    found = catalog(normalise_locale(locale))
    chosen = f"{key}.{form}" if f"{key}.{form}" in found else f"{key}.other"
    return t(locale, chosen, count=count, **params)


def format_money(amount_minor: int, currency: str, locale: str) -> str:
    """``123450, "eur"`` → ``1 234,50 €`` in French, ``€1,234.50`` in English; JPY shows no decimals."""
    babel_locale = Locale.parse(_BABEL_LOCALE[normalise_locale(locale)])
    places = money.exponent(currency)
    # Stripe's list of decimal places is the truth for amounts we charge; Babel's ISO data differs for a few
    # currencies, so the locale's pattern is kept (sign, symbol position, spacing) with our number of places.
    number = "#,##0" + ("." + "0" * places if places else "")
    pattern = babel_locale.currency_formats["standard"].pattern.replace("#,##0.00", number)
    return format_currency(
        money.to_decimal(amount_minor, currency),
        currency.upper(),
        format=pattern,
        locale=babel_locale,
        currency_digits=False,
    )


def format_percent(value: Decimal, locale: str) -> str:
    """A tax rate: ``19.6000`` → ``19.6%`` in English, ``19,6 %`` in French (up to four decimals, none trailing)."""
    babel_locale = Locale.parse(_BABEL_LOCALE[normalise_locale(locale)])
    pattern = babel_locale.percent_formats[None].pattern.replace("#,##0", "#,##0.####")
    return babel_format_percent(Decimal(value) / 100, format=pattern, locale=babel_locale)


# A percentage as people write it in a rate's name: "20 %", "20%", "20,0 %", "19.6%" (any space, no-break ones too).
_PERCENT_IN_NAME = re.compile(r"(\d+(?:[.,]\d+)?)\s*[%\uff05]")


def names_percentage(name: str, percentage: Decimal) -> bool:
    """Whether a tax rate's name already says its percentage ("TVA 20 %" for 20), in any common spelling."""
    return any(Decimal(found.replace(",", ".")) == Decimal(percentage) for found in _PERCENT_IN_NAME.findall(name))


def tax_rate_label(name: str, percentage: Decimal, locale: str) -> str:
    """How every view names a tax rate: "VAT 20%", or the name alone when it says the percentage ("TVA 20 %"),
    so that no label reads "TVA 20 % 20 %"."""
    if names_percentage(name, percentage):
        return name
    return f"{name} {format_percent(percentage, locale)}"


def sort_key(text: str) -> str:
    """Accents and case ignored, so "Écu" sorts under E, as a French reader expects."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def format_date(value: date, locale: str, style: str = "medium") -> str:
    """A day as every message writes it: ``Dec 25, 2026`` in English, ``25 déc. 2026`` in French (Babel's medium
    form; another ``style`` only where a day is not shown alone: a report's "MMMM y", a week view's heading)."""
    return babel_format_date(value, format=style, locale=_BABEL_LOCALE[normalise_locale(locale)])


def format_datetime(value: datetime, locale: str, style: str = "medium", tz: str | None = None) -> str:
    """A moment, in one form per locale, the day written as format_date writes it and the time of day as
    format_time: ``Dec 25, 2026, 9:00 AM``, ``25 déc. 2026, 09:00`` (in ``tz``). Never Babel's "short"
    ``12/25/26, 9:00 AM``: ``style`` is kept for older callers, and every style gives this one form."""
    zone = get_timezone(tz) if tz is not None else None  # what babel does with a zone's name, typed
    babel_locale = Locale.parse(_BABEL_LOCALE[normalise_locale(locale)])
    local = babel_format_datetime(value, format="yyyy-MM-dd", tzinfo=zone, locale=babel_locale)
    day = format_date(date.fromisoformat(local), locale)
    time_of_day = babel_format_time(value, format="short", tzinfo=zone, locale=babel_locale)
    pattern = babel_locale.datetime_formats["medium"]  # how the locale joins a day and a time: "{1}, {0}"
    return str(pattern).format(time_of_day, day)


def format_time(value: datetime, locale: str, tz: str | None = None) -> str:
    """A time of day in the locale's short form: ``9:00 AM`` in English, ``09:00`` in French (in ``tz``)."""
    zone = get_timezone(tz) if tz is not None else None
    return babel_format_time(value, format="short", tzinfo=zone, locale=_BABEL_LOCALE[normalise_locale(locale)])
