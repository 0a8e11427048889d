"""Billing settings without Slack: parsing what users type, postal codes, currencies, and the views' limits."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from bot import countries
from bot.i18n import format_percent
from bot.models import BillingSettings, TaxRate
from bot.sandbox.slack import check_view
from flows.billing_settings import currencies, ids, validation, views
from tests.flows.billing_settings.test_billing_settings import rate_values, settings_values


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("20", Decimal("20")),
        ("19,6", Decimal("19.6")),
        ("19.6 %", Decimal("19.6")),
        (" 5,5% ", Decimal("5.5")),
        ("0", Decimal("0")),
        ("100", Decimal("100")),
        ("7.1234", Decimal("7.1234")),
        ("8.10000", Decimal("8.1")),  # trailing zeros are not extra decimals
        (",5", Decimal("0.5")),
    ],
)
def test_percentages_parse_with_either_separator(typed: str, expected: Decimal) -> None:
    assert validation.parse_percentage(typed) == expected


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("abc", "bs.error.percentage_number"),
        ("1e2", "bs.error.percentage_number"),
        ("1,234.5", "bs.error.percentage_number"),
        ("NaN", "bs.error.percentage_number"),
        ("101", "bs.error.percentage_range"),
        ("100.0001", "bs.error.percentage_range"),
        ("-1", "bs.error.percentage_range"),
        ("19.12345", "bs.error.percentage_decimals"),
        # Digits of other scripts, which Decimal would read as 20 or 5.5: ASCII digits only, as for amounts.
        ("٢٠", "bs.error.percentage_number"),
        ("５,５", "bs.error.percentage_number"),
        ("²", "bs.error.percentage_number"),
        ("1²", "bs.error.percentage_number"),
    ],
)
def test_percentages_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        validation.parse_percentage(typed)


@pytest.mark.parametrize(
    ("country", "good", "bad"),
    [
        ("FR", "75002", "7500"),
        ("BE", "1000", "10000"),
        ("CH", "1201", "CH-1201"),
        ("DE", "10115", "1011"),
        ("GB", "sw1a 1aa", "12345"),
        ("US", "94103-1234", "9410"),
        ("CA", "k1a 0b1", "12345"),
        ("NL", "1012 ab", "0123 AB"),
        ("ES", "28001", "99001"),
        ("IT", "00184", "184"),
        ("LU", "L-1009", "10090"),
    ],
)
def test_postal_codes(country: str, good: str, bad: str) -> None:
    assert countries.postal_code_ok(country, good)
    assert not countries.postal_code_ok(country, bad)


@pytest.mark.parametrize(
    ("country", "typed"), [("FR", "٧٥٠٠٢"), ("DE", "１０１１５"), ("GB", "SW1A ١AA"), ("US", "9410３")]
)
def test_postal_codes_in_other_digits_are_refused(country: str, typed: str) -> None:
    assert not countries.postal_code_ok(country, typed)


def test_a_country_without_a_known_format_takes_any_postal_code_or_none() -> None:
    form, errors = validation.settings_form(settings_values(country="HK", postal_code=None), "en", group_field=False)
    assert errors == {} and form is not None and form.postal_code is None


def test_settings_form_reads_the_state_values() -> None:
    form, errors = validation.settings_form(
        settings_values(line2="  2e étage ", postal_code=" 75002", group=ids.NO_GROUP), "fr", group_field=True
    )
    assert errors == {}
    assert form == validation.SettingsForm("eur", "12 rue de la Paix", "2e étage", "Paris", None, "75002", "FR", "")


def test_every_wrong_field_is_reported_at_once() -> None:
    values = settings_values(currency=None, line1=None, city="x" * 101, country="QQ", group="not-a-group")
    form, errors = validation.settings_form(values, "en", group_field=True)
    assert form is None
    assert set(errors) == {ids.CURRENCY, ids.ADDRESS_LINE1, ids.CITY, ids.COUNTRY, ids.ADMIN_GROUP}


def test_forged_retry_metadata_is_checked_again() -> None:
    good = validation.SettingsForm("eur", "1 rue", None, "Paris", None, "75001", "FR", None)
    assert validation.settings_from_json(good.to_json(), "en") == good
    assert validation.settings_from_json(json.dumps({**json.loads(good.to_json()), "currency": "zzz"}), "en") is None
    assert validation.settings_from_json("not json", "en") is None
    assert validation.settings_from_json("[1]", "en") is None


def test_rate_form_and_its_round_trip_through_a_retry_value() -> None:
    form, errors = validation.rate_form(rate_values("TVA", "19,6", inclusive=True, country="FR"), "fr")
    assert errors == {} and form is not None
    assert form.percentage == Decimal("19.6000") and form.inclusive and form.country == "FR"
    assert validation.rate_from_dict(form.to_dict(), "fr") == form
    assert validation.rate_from_dict({**form.to_dict(), "percentage": "250"}, "fr") is None
    assert validation.rate_from_dict("nope", "fr") is None
    assert form.digest() != validation.RateForm("TVA", Decimal("20"), True, None, "FR").digest()


def test_currency_defaults_follow_the_slack_locale_territory() -> None:
    assert currencies.default_currency("en-GB", "en") == "gbp"
    assert currencies.default_currency("en-US", "en") == "usd"
    assert currencies.default_currency("fr-FR", "fr") == "eur"
    assert currencies.default_currency("fr-CA", "fr") == "cad"
    assert currencies.default_currency("fr-CH", "fr") == "chf"
    assert currencies.default_currency(None, "fr") == "eur"
    assert currencies.default_currency("xx-YY", "en") == "usd"


def test_currency_names_are_in_the_users_language() -> None:
    assert currencies.label("usd", "fr") == "Dollar des États-Unis (USD)"
    assert currencies.label("usd", "en") == "US Dollar (USD)"
    assert all(currencies.is_supported(code) for code in ("eur", "jpy", "chf"))
    assert not currencies.is_supported("EUR")  # Stripe's lower case only


def test_percent_uses_the_locales_separator() -> None:
    assert format_percent(Decimal("19.6000"), "fr") == "19,6\u00a0%"
    assert format_percent(Decimal("19.6000"), "en") == "19.6%"
    assert format_percent(Decimal("20.0000"), "en") == "20%"


@pytest.mark.parametrize("locale", ["en", "fr"])
def test_views_keep_to_slacks_limits_even_with_many_rates(locale: str) -> None:
    rates = [
        TaxRate(id=i, team_id="T", name="N" * 50, percentage=Decimal("12.3456"), description="d" * 200, country="FR")
        for i in range(1, 80)
    ]
    groups = [views.Group(f"S{i:04d}", f"group{i}", "G" * 80) for i in range(150)]
    page = views.SettingsPage(
        locale=locale,
        settings=BillingSettings(team_id="T", currency="chf", country="CH", billing_admin_group="S0003"),
        rates=rates,
        default_currency="eur",
        has_stripe_account=True,
        groups=groups,
        banner=views.Banner("x" * 4000, retry_value="{}"),
    )
    modal = views.settings_modal(page)
    assert check_view(modal) == []
    select = next(b for b in modal["blocks"] if b.get("block_id") == ids.COUNTRY)["element"]
    assert select["initial_option"]["value"] == "CH"
    assert check_view(views.rate_modal(locale, parent_view_id="V1", rate=rates[0])) == []
    assert check_view(views.notice_modal(locale, "y" * 5000, retry_action=ids.RETRY_SAVE_ACTION)) == []
