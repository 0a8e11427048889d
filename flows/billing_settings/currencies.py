"""The currencies a practice can bill in: Stripe's presentment currencies, named in the user's language."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from babel.numbers import get_currency_name, get_territory_currencies

# Stripe's supported presentment currencies (docs.stripe.com/currencies), lower case as Stripe writes them.
# Kept in code rather than fetched: the list changes a few times a decade and a select must not wait on it.
STRIPE_CURRENCIES: tuple[str, ...] = (
    "aed", "afn", "all", "amd", "ang", "aoa", "ars", "aud", "awg", "azn", "bam", "bbd", "bdt", "bgn", "bhd",
    "bif", "bmd", "bnd", "bob", "brl", "bsd", "bwp", "byn", "bzd", "cad", "cdf", "chf", "clp", "cny", "cop",
    "crc", "cve", "czk", "djf", "dkk", "dop", "dzd", "egp", "etb", "eur", "fjd", "fkp", "gbp", "gel", "gip",
    "gmd", "gnf", "gtq", "gyd", "hkd", "hnl", "htg", "huf", "idr", "ils", "inr", "isk", "jmd", "jod", "jpy",
    "kes", "kgs", "khr", "kmf", "krw", "kwd", "kyd", "kzt", "lak", "lbp", "lkr", "lrd", "lsl", "mad", "mdl",
    "mga", "mkd", "mmk", "mnt", "mop", "mur", "mvr", "mwk", "mxn", "myr", "mzn", "nad", "ngn", "nio", "nok",
    "npr", "nzd", "omr", "pab", "pen", "pgk", "php", "pkr", "pln", "pyg", "qar", "ron", "rsd", "rub", "rwf",
    "sar", "sbd", "scr", "sek", "sgd", "shp", "sle", "sos", "srd", "std", "szl", "thb", "tjs", "tnd", "top",
    "try", "ttd", "twd", "tzs", "uah", "ugx", "usd", "uyu", "uzs", "vnd", "vuv", "wst", "xaf", "xcd", "xof",
    "xpf", "yer", "zar", "zmw",
)  # fmt: skip
_KNOWN = frozenset(STRIPE_CURRENCIES)
# When nothing better is known: the language's most likely home.
_LANGUAGE_DEFAULTS = {"fr": "eur", "en": "usd"}


def is_supported(code: str) -> bool:
    return code in _KNOWN


def currency_name(code: str, locale: str) -> str:
    """``"eur", "fr"`` → ``"Euro"``: Babel's name in that language, capitalised for a list."""
    name = get_currency_name(code.upper(), locale=locale)
    return name[:1].upper() + name[1:]


def label(code: str, locale: str) -> str:
    return f"{currency_name(code, locale)} ({code.upper()})"


def default_currency(slack_locale: str | None, locale: str) -> str:
    """The currency of the territory in the user's Slack locale (en-GB → gbp, fr-CA → cad), else by language.

    The territory says more than the language: a British or Canadian practice rarely bills in US dollars.
    """
    if slack_locale:
        try:
            territory = Locale.parse(slack_locale.replace("-", "_")).territory
        except (ValueError, UnknownLocaleError):
            territory = None
        if territory:
            for code in get_territory_currencies(territory):
                if code.lower() in _KNOWN:
                    return code.lower()
    return _LANGUAGE_DEFAULTS.get(locale, "usd")
