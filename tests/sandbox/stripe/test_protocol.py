"""The wire protocol: auth, errors, idempotency, pagination, expand, scoping, fault injection."""

from __future__ import annotations

import httpx
import pytest
import stripe

from bot.sandbox.stripe import StripeEmulator

from .conftest import client_for


def test_missing_and_wrong_api_key_are_401(http: httpx.Client) -> None:
    missing = http.get("/v1/customers")
    assert missing.status_code == 401
    assert missing.json()["error"]["type"] == "invalid_request_error"
    assert "You did not provide an API key" in missing.json()["error"]["message"]
    wrong = http.get("/v1/customers", headers={"Authorization": "Bearer sk_test_wrong_key_123456"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["message"].startswith("Invalid API Key provided: sk_test_")
    assert "wrong_key" not in wrong.json()["error"]["message"]


def test_wrong_key_raises_authentication_error_in_the_sdk(emu: StripeEmulator) -> None:
    bad = stripe.StripeClient("sk_test_nope", base_addresses={"api": emu.url}, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError):
        bad.v1.customers.list()


def test_unknown_url_and_request_id(http: httpx.Client, auth: dict[str, str]) -> None:
    response = http.get("/v1/nothing_here", headers=auth)
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith("Unrecognized request URL (GET: /v1/nothing_here)")
    assert response.headers["Request-Id"].startswith("req_")


def test_nested_bracket_form_encoding(http: httpx.Client, auth: dict[str, str]) -> None:
    body = "email=a%40example.com&metadata[plan]=gold&metadata[seats]=3&preferred_locales[0]=fr&preferred_locales[1]=en"
    response = http.post(
        "/v1/customers", content=body, headers={**auth, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200, response.text
    customer = response.json()
    assert customer["metadata"] == {"plan": "gold", "seats": "3"}
    assert customer["preferred_locales"] == ["fr", "en"]


def test_malformed_values_are_refused(http: httpx.Client, auth: dict[str, str]) -> None:
    response = http.post(
        "/v1/tax_rates", data={"display_name": "VAT", "percentage": "abc", "inclusive": "false"}, headers=auth
    )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "percentage"
    response = http.post("/v1/customers", data={"metadata": "notahash"}, headers=auth)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "metadata"


def test_error_shapes(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.customers.create(params={"email": "x@example.com", "foo": "bar"})  # type: ignore[typeddict-unknown-key]
    assert unknown.value.http_status == 400
    assert unknown.value.code == "parameter_unknown"
    assert unknown.value.param == "foo"
    assert unknown.value.user_message == "Received unknown parameter: foo"

    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.tax_rates.create(params={"display_name": "VAT", "inclusive": False})  # type: ignore[typeddict-item]
    assert missing.value.code == "parameter_missing"
    assert missing.value.param == "percentage"

    with pytest.raises(stripe.InvalidRequestError) as not_found:
        client.v1.invoices.retrieve("in_123")
    assert not_found.value.http_status == 404
    assert not_found.value.code == "resource_missing"
    assert not_found.value.user_message == "No such invoice: 'in_123'"

    with pytest.raises(stripe.InvalidRequestError) as enum:
        client.v1.invoices.create(params={"customer": "cus_x", "collection_method": "by_pigeon"})
    assert enum.value.param == "collection_method"
    assert "must be one of charge_automatically or send_invoice" in (enum.value.user_message or "")

    with pytest.raises(stripe.InvalidRequestError) as nested:
        client.v1.customers.create(params={"invoice_settings": {"colour": "red"}})  # type: ignore[typeddict-unknown-key]
    assert nested.value.param == "invoice_settings[colour]"


def test_idempotent_replay_returns_the_same_response_without_a_second_object(
    emu: StripeEmulator, client: stripe.StripeClient
) -> None:
    first = client.v1.customers.create(params={"email": "same@example.com"}, options={"idempotency_key": "k-1"})
    again = client.v1.customers.create(params={"email": "same@example.com"}, options={"idempotency_key": "k-1"})
    assert again.id == first.id
    assert again.last_response.headers.get("Idempotent-Replayed") == "true"
    assert first.last_response.headers.get("Idempotent-Replayed") is None
    assert len(client.v1.customers.list().data) == 1
    assert len(emu.events("customer.created")) == 1


def test_idempotency_key_reused_with_other_params_is_refused(client: stripe.StripeClient) -> None:
    client.v1.customers.create(params={"email": "one@example.com"}, options={"idempotency_key": "k-2"})
    with pytest.raises(stripe.IdempotencyError) as error:
        client.v1.customers.create(params={"email": "two@example.com"}, options={"idempotency_key": "k-2"})
    assert error.value.http_status == 400
    assert "Keys for idempotent requests can only be used with the same parameters" in str(error.value)


def test_idempotent_replay_of_an_error(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    invoice = client.v1.invoices.create(params={"customer": customer.id})
    for _ in range(2):
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.invoices.void_invoice(invoice.id, options={"idempotency_key": "void-1"})


def test_idempotency_keys_are_per_account(emu: StripeEmulator, client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(params={"type": "standard"})
    a = client.v1.customers.create(params={"email": "p@example.com"}, options={"idempotency_key": "shared"})
    b = client.v1.customers.create(
        params={"email": "p@example.com"}, options={"idempotency_key": "shared", "stripe_account": account.id}
    )
    assert a.id != b.id


def test_pagination(client: stripe.StripeClient) -> None:
    ids = [client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(25)]
    newest_first = list(reversed(ids))
    page = client.v1.customers.list()
    assert [c.id for c in page.data] == newest_first[:10]
    assert page.has_more is True
    assert page.url == "/v1/customers"
    page2 = client.v1.customers.list(params={"limit": 10, "starting_after": page.data[-1].id})
    assert [c.id for c in page2.data] == newest_first[10:20]
    last = client.v1.customers.list(params={"limit": 10, "starting_after": page2.data[-1].id})
    assert [c.id for c in last.data] == newest_first[20:]
    assert last.has_more is False
    back = client.v1.customers.list(params={"limit": 5, "ending_before": page2.data[0].id})
    assert [c.id for c in back.data] == newest_first[5:10]
    assert back.has_more is True
    assert [c.id for c in client.v1.customers.list(params={"limit": 100}).auto_paging_iter()] == newest_first
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.list(params={"limit": 101})


def test_expand(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create(params={"email": "e@example.com"})
    invoice = client.v1.invoices.create(params={"customer": customer.id})
    expanded = client.v1.invoices.retrieve(invoice.id, params={"expand": ["customer"]})
    assert expanded.customer.email == "e@example.com"  # type: ignore[union-attr]
    listed = client.v1.invoices.list(params={"expand": ["data.customer"]})
    assert listed.data[0].customer.id == customer.id  # type: ignore[union-attr]
    with pytest.raises(stripe.InvalidRequestError, match="cannot be expanded"):
        client.v1.invoices.retrieve(invoice.id, params={"expand": ["nonsense"]})


def test_stripe_account_scopes_every_object(client: stripe.StripeClient) -> None:
    one = client.v1.accounts.create(params={"type": "standard"}).id
    two = client.v1.accounts.create(params={"type": "standard"}).id
    customer = client.v1.customers.create(params={"email": "mine@example.com"}, options={"stripe_account": one})
    rate = client.v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": 20, "inclusive": False}, options={"stripe_account": one}
    )
    assert client.v1.customers.retrieve(customer.id, options={"stripe_account": one}).id == customer.id
    for scope in ({"stripe_account": two}, {}):
        with pytest.raises(stripe.InvalidRequestError) as error:
            client.v1.customers.retrieve(customer.id, options=scope)  # type: ignore[arg-type]
        assert error.value.http_status == 404
        assert error.value.code == "resource_missing"
        with pytest.raises(stripe.InvalidRequestError):
            client.v1.tax_rates.retrieve(rate.id, options=scope)  # type: ignore[arg-type]
        assert client.v1.customers.list(options=scope).data == []  # type: ignore[arg-type]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.create(params={"customer": customer.id}, options={"stripe_account": two})
    assert len(client.v1.events.list(options={"stripe_account": one}).data) == 2
    assert client.v1.events.list(options={"stripe_account": two}).data == []


def test_unknown_stripe_account_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.PermissionError) as error:
        client.v1.customers.list(options={"stripe_account": "acct_doesnotexist"})
    assert error.value.error.code == "account_invalid"  # type: ignore[union-attr]


def test_fault_injection(emu: StripeEmulator, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create()
    emu.fail_next("POST", "/v1/invoices", count=2)
    for _ in range(2):
        with pytest.raises(stripe.APIError) as error:
            client.v1.invoices.create(params={"customer": customer.id})
        assert error.value.http_status == 500
        assert error.value.error.type == "api_error"  # type: ignore[union-attr]
    assert client.v1.invoices.list().data == []
    assert client.v1.invoices.create(params={"customer": customer.id}).status == "draft"
    emu.fail_next("GET", "/v1/customers/", status=429, error_type="rate_limit_error")
    with pytest.raises(stripe.RateLimitError):
        client.v1.customers.retrieve(customer.id)
    assert client.v1.customers.retrieve(customer.id).id == customer.id


def test_stripe_default_http_client_speaks_plain_http(emu: StripeEmulator) -> None:
    client = client_for(emu)
    assert client.v1.customers.create().object == "customer"
    assert client._requestor._get_http_client().name == "requests"  # the SDK's default on this install
