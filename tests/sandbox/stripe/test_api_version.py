"""What a check against Stripe's API at the pinned version found (issue 16): fields, values, events, refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from bot.sandbox.stripe import StripeEmulator
from bot.sandbox.stripe.app import EVENT_TYPES


@pytest.fixture
def customer(client: stripe.StripeClient) -> stripe.Customer:
    return client.v1.customers.create(params={"email": "pat@example.com"})


def raw(obj: Any) -> dict[str, Any]:
    return obj.last_response.data


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    return error


def test_invoices_have_no_subscription_field(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    invoice = raw(client.v1.invoices.create(params={"customer": customer.id}))
    assert "subscription" not in invoice
    assert "parent" in invoice  # where this version says what an invoice comes from


def test_account_business_profile_has_this_versions_fields(client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(
        params={
            "type": "standard",
            "country": "JP",
            "business_profile": {"specified_commercial_transactions_act_url": "https://shop.example.jp/sct"},
        }
    )
    profile = raw(account)["business_profile"]
    assert profile["specified_commercial_transactions_act_url"] == "https://shop.example.jp/sct"
    assert "monthly_estimated_revenue" in profile
    other = raw(client.v1.accounts.create(params={"type": "standard"}))["business_profile"]
    assert other["specified_commercial_transactions_act_url"] is None


def test_checkout_ui_mode_and_allowed_payment_method_types(
    client: stripe.StripeClient, customer: stripe.Customer, http: httpx.Client, auth: dict[str, str]
) -> None:
    base: dict[str, Any] = {
        "mode": "setup",
        "customer": customer.id,
        "currency": "eur",
        "success_url": "https://billbot.test/ok",
        "cancel_url": "https://billbot.test/no",
    }
    session = raw(client.v1.checkout.sessions.create(params=base))
    assert session["ui_mode"] == "hosted_page"
    assert session["allowed_payment_method_types"] is None
    assert session["payment_method_types"] == ["card"]
    chosen = raw(client.v1.checkout.sessions.create(params={**base, "allowed_payment_method_types": ["card"]}))
    assert chosen["allowed_payment_method_types"] == ["card"]
    old = error_of(http.post("/v1/checkout/sessions", data={**base, "ui_mode": "hosted"}, headers=auth))
    assert old["param"] == "ui_mode"
    assert "hosted_page" in old["message"]


def test_setup_intent_takes_allowed_payment_method_types(
    client: stripe.StripeClient, customer: stripe.Customer, http: httpx.Client, auth: dict[str, str]
) -> None:
    intent = raw(
        client.v1.setup_intents.create(params={"customer": customer.id, "allowed_payment_method_types": ["card"]})
    )
    assert intent["allowed_payment_method_types"] == ["card"]
    assert intent["payment_method_types"] == ["card"]
    # The parameter was renamed at this version: the old name is unknown to the SDK's types, so to Stripe.
    old = error_of(
        http.post("/v1/setup_intents", data={"customer": customer.id, "payment_method_types[]": "card"}, headers=auth)
    )
    assert (old["code"], old["param"]) == ("parameter_unknown", "payment_method_types")


def test_updating_an_invoice_item_sends_no_event(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    item = client.v1.invoice_items.create(params={"customer": customer.id, "amount": 100, "currency": "eur"})
    assert client.v1.invoice_items.update(item.id, params={"amount": 250}).amount == 250
    assert "invoiceitem.updated" not in EVENT_TYPES
    assert [e["type"] for e in emu.events() if e["data"]["object"].get("id") == item.id] == ["invoiceitem.created"]


def test_every_event_sent_is_a_stripe_event_type(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    item = client.v1.invoice_items.create(params={"customer": customer.id, "amount": 100})
    client.v1.invoice_items.update(item.id, params={"description": "x"})
    client.v1.customers.update(customer.id, params={"name": "Pat"})
    assert emu.events()
    assert {e["type"] for e in emu.events()} <= EVENT_TYPES


def test_declined_pay_carries_the_whole_payment_method(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    invoice = client.v1.invoices.create(params={"customer": customer.id, "currency": "jpy"})
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id, "amount": 5000})
    client.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.CardError) as declined:
        client.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa_chargeDeclined"})
    error = declined.value.json_body["error"]  # type: ignore[index]
    pm = error["payment_method"]
    assert pm["object"] == "payment_method" and pm["id"].startswith("pm_")
    assert pm["card"]["last4"] == "0341" and pm["customer"] == customer.id
    assert set(pm) >= {"billing_details", "created", "livemode", "metadata", "type", "allow_redisplay"}
    assert (error["type"], error["code"], error["decline_code"]) == ("card_error", "card_declined", "generic_decline")


BAD_VALUES = [
    ("/v1/customers", {"email": "not-an-email"}, "email", "email_invalid"),
    ("/v1/invoiceitems", {"currency": "zzz", "amount": "100"}, "currency", None),
    ("/v1/accounts", {"type": "standard", "country": "ZZ"}, "country", "country_code_invalid"),
    ("/v1/customers", {"address[country]": "ZZ"}, "address[country]", "country_code_invalid"),
    ("/v1/invoiceitems", {"quantity": "-1", "unit_amount_decimal": "100"}, "quantity", "parameter_invalid_integer"),
    ("/v1/invoiceitems", {"currency": "eur", "unit_amount_decimal": "1.0000000000001"}, "unit_amount_decimal", None),
    (
        "/v1/checkout/sessions",
        {"mode": "setup", "currency": "eur", "success_url": "not a url"},
        "success_url",
        "url_invalid",
    ),
]


@pytest.mark.parametrize("path,data,param,code", BAD_VALUES, ids=[f"{p} {param}" for p, _, param, _ in BAD_VALUES])
def test_values_stripe_refuses(
    path: str,
    data: dict[str, str],
    param: str,
    code: str | None,
    customer: stripe.Customer,
    http: httpx.Client,
    auth: dict[str, str],
) -> None:
    if path == "/v1/invoiceitems":
        data = {"customer": customer.id, **data}
    error = error_of(http.post(path, data=data, headers=auth))
    assert error["param"] == param
    assert error.get("code") == code  # Stripe's error codes have none for a currency or a decimal
    assert error["message"]
    assert http.get("/v1/invoiceitems", headers=auth).json()["data"] == []  # nothing was created


def test_twelve_decimals_and_known_values_are_accepted(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    item = client.v1.invoice_items.create(
        params={"customer": customer.id, "currency": "JPY", "unit_amount_decimal": "100.000000000001", "quantity": 0}
    )
    assert (item.currency, item.amount) == ("jpy", 0)
    client.v1.customers.update(customer.id, params={"email": "pat.doe+billing@example.co.uk"})


def test_a_missing_object_named_in_a_parameter_is_a_400_on_that_param(
    client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as rate:
        client.v1.invoices.create(params={"customer": customer.id, "default_tax_rates": ["txr_gone"]})
    with pytest.raises(stripe.InvalidRequestError) as missing_customer:
        client.v1.invoices.create(params={"customer": "cus_gone"})
    account = client.v1.accounts.create(params={"type": "standard"})
    with pytest.raises(stripe.InvalidRequestError) as logo:
        client.v1.accounts.update(account.id, params={"settings": {"branding": {"logo": "file_gone"}}})
    for error, param in (
        (rate, "default_tax_rates[0]"),
        (missing_customer, "customer"),
        (logo, "settings[branding][logo]"),
    ):
        assert (error.value.http_status, error.value.code, error.value.param) == (400, "resource_missing", param)
    with pytest.raises(stripe.InvalidRequestError) as by_path:
        client.v1.invoices.retrieve("in_gone")
    assert (by_path.value.http_status, by_path.value.code, by_path.value.param) == (404, "resource_missing", "id")
