"""Checkout (hosted page), setup intents, payment methods, and charging invoices."""

from __future__ import annotations

import httpx
import pytest
import stripe

from bot.sandbox.stripe import StripeEmulator


@pytest.fixture
def customer(client: stripe.StripeClient) -> stripe.Customer:
    return client.v1.customers.create(params={"email": "pat@example.com"})


def test_checkout_setup_saves_a_card(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer, http: httpx.Client
) -> None:
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "setup",
            "customer": customer.id,
            "currency": "usd",
            "metadata": {"practice": "p1"},
            "success_url": "https://billbot.test/ok?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://billbot.test/no",
        }
    )
    assert session.status == "open" and session.url
    page = http.get(session.url)
    assert page.status_code == 200 and "Card number" in page.text
    declined = http.post(session.url, data={"card_number": "4000 0000 0000 0002"})
    assert declined.status_code == 402 and "Your card was declined." in declined.text
    done = http.post(session.url, data={"card_number": "4242 4242 4242 4242", "email": "pat@example.com"})
    assert done.status_code == 303
    assert done.headers["location"] == f"https://billbot.test/ok?session={session.id}"
    completed = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["setup_intent.payment_method"]})
    assert completed.status == "complete"
    intent = completed.setup_intent
    assert isinstance(intent, stripe.SetupIntent) and intent.status == "succeeded"
    pm = intent.payment_method
    assert isinstance(pm, stripe.PaymentMethod) and pm.card and pm.card.last4 == "4242"
    assert pm.customer == customer.id
    assert [m.id for m in client.v1.customers.payment_methods.list(customer.id).data] == [pm.id]
    event = emu.events("checkout.session.completed")[0]
    assert event["data"]["object"]["metadata"] == {"practice": "p1"}
    assert emu.events("setup_intent.succeeded") and emu.events("payment_method.attached")
    assert http.get(session.url).status_code == 410


def test_checkout_payment(emu: StripeEmulator, client: stripe.StripeClient, http: httpx.Client) -> None:
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://billbot.test/paid",
            "cancel_url": "https://billbot.test/no",
            "line_items": [
                {
                    "quantity": 2,
                    "price_data": {"currency": "eur", "unit_amount": 4500, "product_data": {"name": "Consultation"}},
                }
            ],
        }
    )
    assert (session.amount_total, session.currency, session.payment_status) == (9000, "eur", "unpaid")
    assert "€90.00" in http.get(session.url or "").text
    assert http.post(session.url or "", data={"card_number": "4000000000000341"}).status_code == 402
    assert http.post(session.url or "", data={"card_number": "4242424242424242"}).status_code == 303
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.payment_intent
    assert len(emu.events("checkout.session.completed")) == 1


def test_checkout_requires_line_items_in_payment_mode(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.create(params={"mode": "payment", "success_url": "https://x.test"})
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.checkout.sessions.create(params={"mode": "bogus", "success_url": "https://x.test"})  # type: ignore[typeddict-item]
    assert error.value.param == "mode"


def test_expire_session(client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(
        params={"mode": "setup", "currency": "usd", "success_url": "https://x.test"}
    )
    assert client.v1.checkout.sessions.expire(session.id).status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


def test_payment_method_test_tokens_attach_and_detach(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    pm = client.v1.payment_methods.attach("pm_card_mastercard", params={"customer": customer.id})
    assert pm.id.startswith("pm_") and pm.id != "pm_card_mastercard"
    assert pm.card and (pm.card.brand, pm.card.last4) == ("mastercard", "4444")
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_methods.attach("pm_card_chargeDeclined", params={"customer": customer.id})
    assert declined.value.code == "card_declined"
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": pm.id}})
    assert client.v1.payment_methods.detach(pm.id).customer is None
    assert client.v1.customers.retrieve(customer.id).invoice_settings.default_payment_method is None  # type: ignore[union-attr]
    assert [e["type"] for e in emu.events() if e["type"].startswith("payment_method.")] == [
        "payment_method.attached",
        "payment_method.detached",
    ]


def test_setup_intent_confirm(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    intent = client.v1.setup_intents.create(params={"customer": customer.id, "usage": "off_session"})
    assert intent.status == "requires_payment_method"
    with pytest.raises(stripe.CardError):
        client.v1.setup_intents.confirm(intent.id, params={"payment_method": "pm_card_chargeDeclined"})
    confirmed = client.v1.setup_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert confirmed.status == "succeeded"
    assert client.v1.payment_methods.retrieve(str(confirmed.payment_method)).customer == customer.id


def test_invoice_charges_the_card_on_file(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    good = client.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": good.id}})
    invoice = client.v1.invoices.create(params={"customer": customer.id})
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id, "amount": 2500})
    client.v1.invoices.finalize_invoice(invoice.id)
    paid = client.v1.invoices.pay(invoice.id)
    assert (paid.status, paid.amount_paid, paid.attempt_count) == ("paid", 2500, 1)


def test_declined_card_fails_the_invoice_payment(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer, http: httpx.Client
) -> None:
    bad = client.v1.payment_methods.attach("pm_card_visa_chargeDeclined", params={"customer": customer.id})
    client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": bad.id}})
    invoice = client.v1.invoices.create(params={"customer": customer.id})
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id, "amount": 2500})
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.CardError) as declined:
        client.v1.invoices.pay(invoice.id)
    assert declined.value.code == "card_declined"
    failed = client.v1.invoices.retrieve(invoice.id)
    assert (failed.status, failed.attempt_count, failed.attempted) == ("open", 1, True)
    assert len(emu.events("invoice.payment_failed")) == 1
    with pytest.raises(stripe.CardError):
        client.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_chargeDeclined"})
    # The customer pays on the hosted invoice page with a good card.
    page = http.post(finalized.hosted_invoice_url or "", data={"card_number": "4242424242424242"})
    assert page.status_code == 200
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"


def test_pay_without_any_payment_method(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    invoice = client.v1.invoices.create(params={"customer": customer.id})
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id, "amount": 100})
    client.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError, match="no attached payment source"):
        client.v1.invoices.pay(invoice.id)
