"""Changing and deleting a customer, and a connected account leaving the platform (Connect deauthorize)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from bot.sandbox.stripe import StripeEmulator


@pytest.fixture
def customer(client: stripe.StripeClient) -> stripe.Customer:
    return client.v1.customers.create(params={"email": "pat@example.com", "name": "Pat", "preferred_locales": ["en"]})


def test_update_contact_details_and_language(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    address = {"line1": "1 rue de la Paix", "postal_code": "75002", "city": "Paris", "country": "FR"}
    updated = client.v1.customers.update(
        customer.id,
        params={
            "name": "Pat Doe",
            "email": "pat.doe@example.fr",
            "phone": "+33 1 23 45 67 89",
            "address": address,
            "preferred_locales": ["fr-FR", "en"],
        },
    )
    assert (updated.name, updated.email, updated.phone) == ("Pat Doe", "pat.doe@example.fr", "+33 1 23 45 67 89")
    assert updated.preferred_locales == ["fr-FR", "en"]
    assert updated.address and updated.address.to_dict() == address
    previous = emu.events("customer.updated")[-1]["data"]["previous_attributes"]
    assert previous == {
        "name": "Pat",
        "email": "pat@example.com",
        "phone": None,
        "address": None,
        "preferred_locales": ["en"],
    }
    for bad in ({"email": "pat@"}, {"address": {"country": "ZZ"}}):
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.customers.update(customer.id, params=bad)  # type: ignore[arg-type]
    assert client.v1.customers.retrieve(customer.id).email == "pat.doe@example.fr"


def test_a_finalized_invoice_keeps_the_customer_as_it_was(
    client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    invoice = client.v1.invoices.create(params={"customer": customer.id, "currency": "jpy"})
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id, "amount": 3000})
    draft = client.v1.invoices.create(params={"customer": customer.id, "currency": "jpy"})
    client.v1.invoices.finalize_invoice(invoice.id)
    client.v1.customers.update(customer.id, params={"name": "Pat Doe", "email": "new@example.com"})
    finalized = client.v1.invoices.retrieve(invoice.id)
    assert (finalized.customer_name, finalized.customer_email) == ("Pat", "pat@example.com")
    assert client.v1.invoices.retrieve(draft.id).customer_name == "Pat Doe"


def test_delete_customer(emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer) -> None:
    client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    deleted = client.v1.customers.delete(customer.id)
    assert (deleted.id, deleted.deleted) == (customer.id, True)
    (event,) = emu.events("customer.deleted")
    assert event["data"]["object"]["id"] == customer.id and event["data"]["object"]["email"] == "pat@example.com"
    assert client.v1.customers.retrieve(customer.id).deleted is True
    assert client.v1.customers.list().data == []
    with pytest.raises(stripe.InvalidRequestError) as update:
        client.v1.customers.update(customer.id, params={"name": "x"})
    assert (update.value.http_status, update.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.customers.delete(customer.id)
    assert again.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as invoice:
        client.v1.invoices.create(params={"customer": customer.id})
    assert (invoice.value.http_status, invoice.value.param) == (400, "customer")


def test_deauthorize(emu: StripeEmulator, http: httpx.Client, auth: dict[str, str]) -> None:
    client = stripe.StripeClient(
        "sk_test_emulator",
        base_addresses={"api": emu.url, "connect": emu.url, "files": emu.url},
        max_network_retries=0,
        client_id="ca_emulator",
    )
    url = client.oauth.authorize_url(params={"scope": "read_write", "redirect_uri": "https://billbot.test/oauth"})
    form = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    redirect = http.post("/oauth/authorize", data={**form, "decision": "connect"})
    code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
    account_id = client.oauth.token(params={"grant_type": "authorization_code", "code": code})["stripe_user_id"]
    customer = client.v1.customers.create(params={"email": "c@example.com"}, options={"stripe_account": account_id})
    wrong = http.post("/oauth/deauthorize", data={"client_id": "ca_other", "stripe_user_id": account_id}, headers=auth)
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_client")
    assert client.oauth.deauthorize(params={"stripe_user_id": account_id}).to_dict() == {"stripe_user_id": account_id}
    (event,) = emu.events("account.application.deauthorized", account=account_id)
    assert event["account"] == account_id
    assert event["data"]["object"] == {"id": "ca_emulator", "object": "application", "name": "Billbot"}
    with pytest.raises(stripe.PermissionError):
        client.v1.customers.retrieve(customer.id, options={"stripe_account": account_id})
    twice = http.post(
        "/oauth/deauthorize", data={"client_id": "ca_emulator", "stripe_user_id": account_id}, headers=auth
    )
    assert (twice.status_code, twice.json()["error"]) == (400, "invalid_client")


def test_empty_strings_unset_what_may_be_null(
    client: stripe.StripeClient, customer: stripe.Customer, http: httpx.Client, auth: dict[str, str]
) -> None:
    client.v1.customers.update(customer.id, params={"phone": "+33 1 23 45 67 89"})
    cleared = client.v1.customers.update(customer.id, params={"email": "", "phone": ""})
    assert (cleared.email, cleared.phone, cleared.name) == (None, None, "Pat")
    rate = client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 20, "inclusive": False})
    assert client.v1.tax_rates.update(rate.id, params={"description": ""}).description is None
    # A field the object never has null can't be unset: Stripe says so.
    refused = http.post(f"/v1/tax_rates/{rate.id}", data={"display_name": ""}, headers=auth)
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "parameter_invalid_empty")
