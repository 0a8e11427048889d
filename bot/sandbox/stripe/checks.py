"""What Stripe checks in a parameter's value beyond its type: currencies, countries, emails, URLs, ranges.

The SDK's TypedDicts type these as plain ``str``/``int``/``Decimal``, yet Stripe refuses ``currency=zzz``,
``country=ZZ``, ``quantity=-1``, a ``unit_amount_decimal`` with more than 12 decimals, a malformed email
and a ``success_url`` that is not a URL. The rules go by the parameter's name, as Stripe's do, wherever
it is nested (``price_data[currency]``, ``address[country]``, ``business_profile[support_email]``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from .protocol import invalid

# https://docs.stripe.com/currencies (presentment currencies), lowercase as Stripe answers them.
_CURRENCY_CODES = (
    "usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd cad cdf "
    "chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl htg huf "
    "idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop "
    "mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd "
    "scr sek sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv wst xaf xcd xcg "
    "xof xpf yer zar zmw"
)
CURRENCIES = frozenset(_CURRENCY_CODES.split())
# ISO 3166-1 alpha-2, all 249 codes.
_COUNTRY_CODES = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY "
    "BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK "
    "FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR "
    "IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK "
    "ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF "
    "TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"
)
COUNTRIES = frozenset(_COUNTRY_CODES.split())
CURRENCY_KEYS = frozenset({"currency", "default_currency"})
EMAIL_KEYS = frozenset({"email", "customer_email", "receipt_email", "support_email", "instructions_email"})
NON_NEGATIVE_KEYS = frozenset({"quantity"})
MAX_DECIMALS = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def check_field(key: str, value: Any, param: str) -> None:
    """Refuse ``value`` of the parameter named ``key`` (at ``param``) as Stripe would."""
    if isinstance(value, str):
        if value:  # "" unsets the parameter (where the types allow it), so there is nothing to check
            _check_text(key, value, param)
    elif key in NON_NEGATIVE_KEYS and isinstance(value, int) and value < 0:
        raise invalid("This value must be greater than or equal to 0.", param=param, code="parameter_invalid_integer")
    elif key.endswith("unit_amount_decimal") and isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
            # Stripe's error code list has no code for this one; it answers with the message alone.
            raise invalid(
                f"Invalid decimal: {value}. Decimals can have at most {MAX_DECIMALS} decimal places.", param=param
            )


def _check_text(key: str, value: str, param: str) -> None:
    if key in CURRENCY_KEYS and value.lower() not in CURRENCIES:
        # As for decimals, Stripe sends no code with an unknown currency.
        raise invalid(
            f"Invalid currency: {value}. Stripe currently supports these currencies: {', '.join(sorted(CURRENCIES))}",
            param=param,
        )
    if key == "country" and value.upper() not in COUNTRIES:
        raise invalid(
            f"Country '{value}' is unknown. Try using a 2-character alphanumeric country code instead, "
            "such as 'US', 'EG', or 'GB'. A full list of country codes is available at "
            "https://stripe.com/global",
            param=param,
            code="country_code_invalid",
        )
    if key in EMAIL_KEYS and not _EMAIL.match(value):
        raise invalid(f"Invalid email address: {value}", param=param, code="email_invalid")
    if (key == "url" or key.endswith("_url")) and not _is_url(value):
        raise invalid("Not a valid URL", param=param, code="url_invalid")


def _is_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in value
