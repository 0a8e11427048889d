"""Countries (ISO 3166-1 alpha-2, named by Babel) and the postal code formats we can check."""

from __future__ import annotations

import re
from functools import cache

from babel import Locale

from bot import blocks
from bot.blocks import Element
from bot.i18n import sort_key

# Babel's territories include regions and CLDR extras that are not ISO 3166-1 countries, which Stripe
# would refuse as an address or tax rate country.
_NOT_COUNTRIES = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"})

# Well-known postal code formats, matched against the code upper-cased with surrounding blanks removed.
POSTAL_CODE_FORMATS: dict[str, re.Pattern[str]] = {
    code: re.compile(pattern, re.ASCII)  # \d is 0-9 only: a postal code in other digits is a typo
    for code, pattern in {
        "AT": r"\d{4}",
        "AU": r"\d{4}",
        "BE": r"\d{4}",
        "CA": r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d",
        "CH": r"\d{4}",
        "DE": r"\d{5}",
        "DK": r"\d{4}",
        "ES": r"(?:0[1-9]|[1-4]\d|5[0-2])\d{3}",
        "FR": r"\d{5}",
        "GB": r"(?:GIR ?0AA|[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2})",
        "IT": r"\d{5}",
        "JP": r"\d{3}-?\d{4}",
        "LU": r"(?:L-)?\d{4}",
        "MC": r"980\d{2}",
        "NL": r"[1-9]\d{3} ?[A-Z]{2}",
        "NO": r"\d{4}",
        "PL": r"\d{2}-\d{3}",
        "PT": r"\d{4}-\d{3}",
        "SE": r"\d{3} ?\d{2}",
        "US": r"\d{5}(?:-\d{4})?",
    }.items()
}
# Shown in the error message, so the user sees what is expected rather than a regex.
POSTAL_CODE_EXAMPLES: dict[str, str] = {
    "AT": "1010", "AU": "2000", "BE": "1000", "CA": "K1A 0B1", "CH": "1201", "DE": "10115", "DK": "1050",
    "ES": "28001", "FR": "75001", "GB": "SW1A 1AA", "IT": "00184", "JP": "100-0001", "LU": "L-1009",
    "MC": "98000", "NL": "1012 AB", "NO": "0150", "PL": "00-950", "PT": "1000-001", "SE": "111 22",
    "US": "94103",
}  # fmt: skip


# Countries whose addresses need a postal code to be delivered (their postal services, and Stripe's address checks,
# refuse one without): the form's postal code field is required for them and optional elsewhere.
POSTAL_CODE_REQUIRED: frozenset[str] = frozenset(
    {"AT", "AU", "BE", "CA", "CH", "DE", "DK", "ES", "FR", "GB", "IT", "JP", "LU", "MC", "NL", "NO", "PL", "PT",
     "SE", "US"}
)  # fmt: skip


def postal_code_required(country: str | None) -> bool:
    """True when an address in ``country`` is incomplete without its postal code."""
    return country is not None and country in POSTAL_CODE_REQUIRED


@cache
def country_codes() -> tuple[str, ...]:
    territories = Locale.parse("en").territories
    codes = (c for c in territories if isinstance(c, str))
    return tuple(sorted(c for c in codes if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES))


def is_country(code: str) -> bool:
    return code in country_codes()


def country_name(code: str, locale: str) -> str:
    return str(Locale.parse(locale).territories.get(code, code))


def postal_code_ok(country: str, postal_code: str) -> bool:
    """True when the country has no format we know, or the code matches it."""
    pattern = POSTAL_CODE_FORMATS.get(country)
    return pattern is None or pattern.fullmatch(normalise_postal_code(postal_code)) is not None


def normalise_postal_code(postal_code: str) -> str:
    return " ".join(postal_code.upper().split())


def country_options(locale: str) -> list[Element]:
    """Every country, named in ``locale``, in that reader's alphabetical order."""
    named = [(country_name(code, locale), code) for code in country_codes()]
    return [blocks.option(name, code) for name, code in sorted(named, key=lambda p: sort_key(p[0]))]


def country_select(action_id: str, locale: str, initial: str | None, placeholder: str) -> Element:
    """The type-ahead country select of every address form (the practice's, a client's)."""
    return blocks.grouped_select(action_id, country_options(locale), initial, placeholder)
