"""Payments toward invoices at this API version (InvoicePayment, attach_payment, part payments) and refunds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from bot.sandbox.stripe import StripeEmulator


@pytest.fixture
def customer(client: stripe.StripeClient) -> stripe.Customer:
    return client.v1.customers.create(params={"email": "pat@example.com"})


def open_invoice(client: stripe.StripeClient, customer_id: str, amount: int, currency: str) -> stripe.Invoice:
    invoice = client.v1.invoices.create(
        params={"customer": customer_id, "currency": currency, "collection_method": "send_invoice", "days_until_due": 7}
    )
    client.v1.invoice_items.create(params={"customer": customer_id, "invoice": invoice.id, "amount": amount})
    return client.v1.invoices.finalize_invoice(invoice.id)


def types_about(emu: StripeEmulator, object_id: str) -> list[str]:
    return [e["type"] for e in emu.events() if e["data"]["object"].get("id") == object_id]


def paid_invoice(client: stripe.StripeClient, customer_id: str, amount: int, currency: str, card: str) -> Any:
    invoice = open_invoice(client, customer_id, amount, currency)
    client.v1.invoices.pay(invoice.id, params={"payment_method": card})
    return client.v1.invoices.retrieve(invoice.id, params={"expand": ["payments.data.payment.payment_intent"]})


def test_a_card_payment_is_an_invoice_payment_with_its_payment_intent_and_charge(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    invoice = paid_invoice(client, customer.id, 12000, "jpy", "pm_card_visa")
    assert (invoice.status, invoice.amount_paid, invoice.amount_remaining) == ("paid", 12000, 0)
    assert invoice.amount_paid_off_stripe == 0
    (payment,) = invoice.payments.data
    assert (payment.amount_paid, payment.amount_requested, payment.currency) == (12000, 12000, "jpy")
    assert (payment.is_default, payment.status, payment.invoice) == (True, "paid", invoice.id)
    intent = payment.payment.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert (intent.status, intent.amount_received, intent.customer) == ("succeeded", 12000, customer.id)
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    assert (charge.amount, charge.paid, charge.refunded, charge.payment_intent) == (12000, True, False, intent.id)
    listed = client.v1.invoice_payments.list(params={"invoice": invoice.id})
    assert [p.id for p in listed.data] == [payment.id]
    assert client.v1.invoice_payments.retrieve(payment.id).payment.payment_intent == intent.id
    assert "payments" not in client.v1.invoices.retrieve(invoice.id).last_response.data  # only when expanded
    assert types_about(emu, intent.id) == ["payment_intent.created", "payment_intent.succeeded"]
    assert types_about(emu, payment.id) == ["invoice_payment.paid"]


def test_a_declined_attempt_keeps_the_default_payment_for_the_retry(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    invoice = open_invoice(client, customer.id, 5000, "eur")
    with pytest.raises(stripe.CardError) as declined:
        client.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa_chargeDeclined"})
    error = declined.value.json_body["error"]  # type: ignore[index]
    assert error["payment_intent"]["status"] == "requires_payment_method"
    assert error["payment_intent"]["last_payment_error"]["decline_code"] == "generic_decline"
    assert error["charge"].startswith("ch_")
    client.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa"})
    after = client.v1.invoices.retrieve(invoice.id, params={"expand": ["payments"]})
    assert after.status == "paid" and after.attempt_count == 2
    (payment,) = after.payments.data
    assert payment.payment.payment_intent == error["payment_intent"]["id"]
    charges = client.v1.charges.list(params={"payment_intent": error["payment_intent"]["id"]}).data
    assert [c.status for c in charges] == ["succeeded", "failed"]
    assert [e["type"] for e in emu.events() if e["type"].startswith("charge.")] == ["charge.failed", "charge.succeeded"]


@pytest.mark.parametrize("currency,total,first", [("eur", 10000, 4000), ("jpy", 9000, 3000)])
def test_part_payments_through_attach_payment(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer, currency: str, total: int, first: int
) -> None:
    invoice = open_invoice(client, customer.id, total, currency)
    paid_first = client.v1.payment_intents.create(
        params={
            "amount": first,
            "currency": currency,
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    part = client.v1.invoices.attach_payment(invoice.id, params={"payment_intent": paid_first.id})
    assert (part.status, part.amount_paid, part.amount_remaining) == ("open", first, total - first)
    updated = emu.events("invoice.updated")[-1]["data"]
    assert updated["previous_attributes"] == {"amount_paid": 0, "amount_remaining": total}
    rest = client.v1.payment_intents.create(
        params={"amount": total - first, "currency": currency, "customer": customer.id}
    )
    waiting = client.v1.invoices.attach_payment(invoice.id, params={"payment_intent": rest.id})
    assert waiting.amount_paid == first  # counts once the PaymentIntent succeeds
    client.v1.payment_intents.confirm(rest.id, params={"payment_method": "pm_card_mastercard"})
    done = client.v1.invoices.retrieve(invoice.id, params={"expand": ["payments"]})
    assert (done.status, done.amount_paid, done.amount_remaining, done.amount_overpaid) == ("paid", total, 0, 0)
    assert [(p.amount_paid, p.is_default, p.status) for p in done.payments.data] == [
        (first, False, "paid"),
        (total - first, False, "paid"),
    ]
    assert types_about(emu, invoice.id)[-2:] == ["invoice.paid", "invoice.payment_succeeded"]
    another = client.v1.payment_intents.create(params={"amount": 100, "currency": currency})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.attach_payment(invoice.id, params={"payment_intent": another.id})
    with pytest.raises(stripe.InvalidRequestError) as twice:
        client.v1.invoices.attach_payment(
            open_invoice(client, customer.id, 500, currency).id, params={"payment_intent": rest.id}
        )
    assert twice.value.code == "resource_already_exists"


def test_attach_payment_refuses_what_does_not_fit(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    invoice = open_invoice(client, customer.id, 1000, "eur")
    usd = client.v1.payment_intents.create(params={"amount": 100, "currency": "usd"})
    with pytest.raises(stripe.InvalidRequestError) as currency:
        client.v1.invoices.attach_payment(invoice.id, params={"payment_intent": usd.id})
    assert currency.value.param == "payment_intent"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.invoices.attach_payment(invoice.id, params={"payment_intent": "pi_gone"})
    assert (missing.value.http_status, missing.value.code, missing.value.param) == (
        400,
        "resource_missing",
        "payment_intent",
    )
    draft = client.v1.invoices.create(params={"customer": customer.id, "currency": "eur"})
    eur = client.v1.payment_intents.create(params={"amount": 100, "currency": "eur"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.attach_payment(draft.id, params={"payment_intent": eur.id})


def test_paid_out_of_band_counts_as_paid_off_stripe(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    invoice = open_invoice(client, customer.id, 4200, "eur")
    paid = client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True, "expand": ["payments"]})
    assert (paid.status, paid.amount_paid, paid.amount_paid_off_stripe) == ("paid", 4200, 4200)
    assert paid.payments.data == []


def test_refunds_of_an_invoice_payment_partial_then_the_rest(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    invoice = paid_invoice(client, customer.id, 12000, "jpy", "pm_card_visa")
    intent = invoice.payments.data[0].payment.payment_intent
    part = client.v1.refunds.create(
        params={"payment_intent": intent.id, "amount": 4000, "reason": "requested_by_customer", "metadata": {"n": "1"}},
        options={"idempotency_key": "refund-1"},
    )
    assert (part.amount, part.currency, part.status, part.reason) == (4000, "jpy", "succeeded", "requested_by_customer")
    assert (part.payment_intent, part.charge) == (intent.id, intent.latest_charge)
    replay = client.v1.refunds.create(
        params={"payment_intent": intent.id, "amount": 4000, "reason": "requested_by_customer", "metadata": {"n": "1"}},
        options={"idempotency_key": "refund-1"},
    )
    assert replay.id == part.id
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    assert (charge.amount_refunded, charge.refunded) == (4000, False)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"charge": charge.id, "amount": 8001})
    assert (too_much.value.code, too_much.value.param) == ("amount_too_large", "amount")
    rest = client.v1.refunds.create(params={"charge": charge.id})
    assert rest.amount == 8000
    charge = client.v1.charges.retrieve(charge.id)
    assert (charge.amount_refunded, charge.refunded) == (12000, True)
    assert [r.id for r in charge.refunds.data] == [rest.id, part.id]  # type: ignore[union-attr]
    with pytest.raises(stripe.InvalidRequestError) as again:
        client.v1.refunds.create(params={"payment_intent": intent.id})
    assert again.value.code == "charge_already_refunded"
    assert [r.id for r in client.v1.refunds.list(params={"payment_intent": intent.id}).data] == [rest.id, part.id]
    assert client.v1.refunds.retrieve(part.id).metadata.to_dict() == {"n": "1"}
    refund_events = [e["type"] for e in emu.events() if e["type"].startswith(("refund.", "charge.refund"))]
    assert refund_events == ["refund.created", "charge.refunded", "refund.created", "charge.refunded"]
    # A refund does not change what the invoice received: Stripe keeps amount_paid (credit notes are the record).
    after = client.v1.invoices.retrieve(invoice.id)
    assert (after.status, after.amount_paid, after.post_payment_credit_notes_amount) == ("paid", 12000, 0)


def test_a_failed_refund_starts_succeeded_then_fails(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    invoice = paid_invoice(client, customer.id, 5000, "eur", "pm_card_refundFail")
    intent = invoice.payments.data[0].payment.payment_intent
    created = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 2000})
    assert created.status == "succeeded"
    failed = client.v1.refunds.retrieve(created.id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    assert failed.failure_balance_transaction
    assert client.v1.charges.retrieve(str(intent.latest_charge)).amount_refunded == 0
    assert types_about(emu, created.id) == [
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.refund.updated",
    ]
    assert emu.events("refund.updated")[0]["data"]["previous_attributes"]["status"] == "succeeded"


def test_refund_of_a_checkout_payment_and_refusals(
    client: stripe.StripeClient, http: httpx.Client, auth: dict[str, str]
) -> None:
    session = client.v1.checkout.sessions.create(
        params={
            "mode": "payment",
            "success_url": "https://billbot.test/paid",
            "line_items": [{"quantity": 1, "price_data": {"currency": "eur", "unit_amount": 4500, "product": "p"}}],
        }
    )
    assert http.post(f"/c/pay/{session.id}", data={"card_number": "4242424242424242"}).status_code == 303
    intent_id = str(client.v1.checkout.sessions.retrieve(session.id).payment_intent)
    assert client.v1.payment_intents.retrieve(intent_id).amount_received == 4500
    assert client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 500}).amount == 500
    missing = http.post("/v1/refunds", data={"charge": "ch_gone"}, headers=auth)
    assert missing.status_code == 400
    assert (missing.json()["error"]["code"], missing.json()["error"]["param"]) == ("resource_missing", "charge")
    neither = http.post("/v1/refunds", data={"amount": "100"}, headers=auth)
    assert neither.status_code == 400 and neither.json()["error"]["type"] == "invalid_request_error"
    unpaid = client.v1.payment_intents.create(params={"amount": 100, "currency": "eur"})
    not_yet = http.post("/v1/refunds", data={"payment_intent": unpaid.id}, headers=auth)
    assert (not_yet.status_code, not_yet.json()["error"]["code"]) == (400, "charge_not_refundable")
    negative = http.post("/v1/refunds", data={"payment_intent": intent_id, "amount": "0"}, headers=auth)
    assert (negative.status_code, negative.json()["error"]["param"]) == (400, "amount")
