"""Invoice revisions: Stripe's way to correct an open invoice (from_invoice), voiding the original on finalize."""

from __future__ import annotations

import pytest
import stripe

from bot.sandbox.stripe import StripeEmulator


@pytest.fixture
def customer(client: stripe.StripeClient) -> stripe.Customer:
    return client.v1.customers.create(params={"email": "pat@example.com"})


def open_invoice(client: stripe.StripeClient, customer_id: str, amounts: list[int]) -> stripe.Invoice:
    invoice = client.v1.invoices.create(
        params={
            "customer": customer_id,
            "currency": "jpy",
            "collection_method": "send_invoice",
            "days_until_due": 14,
            "description": "March sessions",
            "metadata": {"practice": "p1"},
        }
    )
    for amount in amounts:
        client.v1.invoice_items.create(
            params={"customer": customer_id, "invoice": invoice.id, "amount": amount, "description": f"S{amount}"}
        )
    return client.v1.invoices.finalize_invoice(invoice.id)


def test_revise_an_open_invoice(emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer) -> None:
    original = open_invoice(client, customer.id, [8000, 4000])
    revision = client.v1.invoices.create(
        params={"from_invoice": {"action": "revision", "invoice": original.id}, "description": "March, corrected"}
    )
    assert (revision.status, revision.customer, revision.currency) == ("draft", customer.id, "jpy")
    assert revision.from_invoice and (revision.from_invoice.action, revision.from_invoice.invoice) == (
        "revision",
        original.id,
    )
    assert revision.description == "March, corrected" and revision.metadata.to_dict() == {"practice": "p1"}
    assert [(line.amount, line.description) for line in revision.lines.data] == [(8000, "S8000"), (4000, "S4000")]
    assert client.v1.invoices.retrieve(original.id).status == "open"  # untouched until the revision is final
    second_line = revision.lines.data[1].parent.invoice_item_details.invoice_item  # type: ignore[union-attr]
    client.v1.invoice_items.delete(str(second_line))
    final = client.v1.invoices.finalize_invoice(revision.id)
    assert (final.status, final.total, final.number) == ("open", 8000, f"{original.number}-1")
    assert final.due_date and final.status_transitions.finalized_at
    assert final.due_date - final.status_transitions.finalized_at == 14 * 86400
    old = client.v1.invoices.retrieve(original.id)
    assert (old.status, old.latest_revision, old.total) == ("void", revision.id, 12000)
    assert [e["type"] for e in emu.events() if e["data"]["object"].get("id") == original.id][-1] == "invoice.voided"
    again = client.v1.invoices.create(params={"from_invoice": {"action": "revision", "invoice": revision.id}})
    assert client.v1.invoices.finalize_invoice(again.id).number == f"{original.number}-2"
    assert client.v1.invoices.retrieve(revision.id).latest_revision == again.id
    # The sequence goes on where it was: revisions take no number of their own.
    other = open_invoice(client, customer.id, [100])
    assert (
        other.number and original.number and other.number.endswith(f"{int(original.number.rsplit('-', 1)[1]) + 1:04d}")
    )


def test_what_cannot_be_revised(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    paid = open_invoice(client, customer.id, [5000])
    client.v1.invoices.pay(paid.id, params={"paid_out_of_band": True})
    draft = client.v1.invoices.create(params={"customer": customer.id})
    for invoice_id in (paid.id, draft.id):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.invoices.create(params={"from_invoice": {"action": "revision", "invoice": invoice_id}})
        assert (refused.value.param, refused.value.code) == ("from_invoice[invoice]", "invoice_not_editable")
    part_paid = open_invoice(client, customer.id, [5000])
    intent = client.v1.payment_intents.create(
        params={"amount": 1000, "currency": "jpy", "payment_method": "pm_card_visa", "confirm": True}
    )
    client.v1.invoices.attach_payment(part_paid.id, params={"payment_intent": intent.id})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.create(params={"from_invoice": {"action": "revision", "invoice": part_paid.id}})
    open_one = open_invoice(client, customer.id, [5000])
    other = client.v1.customers.create(params={"email": "other@example.com"})
    with pytest.raises(stripe.InvalidRequestError) as customer_change:
        client.v1.invoices.create(
            params={"from_invoice": {"action": "revision", "invoice": open_one.id}, "customer": other.id}
        )
    assert customer_change.value.param == "customer"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.invoices.create(params={"from_invoice": {"action": "revision", "invoice": "in_gone"}})
    assert (missing.value.http_status, missing.value.code) == (400, "resource_missing")
    revision = client.v1.invoices.create(params={"from_invoice": {"action": "revision", "invoice": open_one.id}})
    client.v1.invoices.void_invoice(open_one.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.finalize_invoice(revision.id)


def test_the_due_date_of_a_finalized_invoice_is_changed_by_a_revision_only(
    client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    original = open_invoice(client, customer.id, [3000])
    assert original.due_date
    for change in ({"due_date": original.due_date + 86400}, {"days_until_due": 30}):
        # The SDK's own words: "This field can only be updated on `draft` invoices."
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.invoices.update(original.id, params=change)  # type: ignore[arg-type]
        assert refused.value.code == "invoice_not_editable"
    later = original.due_date + 7 * 86400
    revision = client.v1.invoices.create(
        params={"from_invoice": {"action": "revision", "invoice": original.id}, "due_date": later}
    )
    assert client.v1.invoices.finalize_invoice(revision.id).due_date == later
