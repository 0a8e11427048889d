"""Credit notes: before payment (lower what is due), after it (refund, credit, out of band), preview, void."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import stripe

from bot.sandbox.stripe import StripeEmulator


@pytest.fixture
def customer(client: stripe.StripeClient) -> stripe.Customer:
    return client.v1.customers.create(params={"email": "pat@example.com"})


def invoice_with(
    client: stripe.StripeClient, customer_id: str, amounts: list[int], currency: str, tax_rates: list[str] | None = None
) -> stripe.Invoice:
    invoice = client.v1.invoices.create(
        params={"customer": customer_id, "currency": currency, "collection_method": "send_invoice", "days_until_due": 7}
    )
    for amount in amounts:
        client.v1.invoice_items.create(
            params={"customer": customer_id, "invoice": invoice.id, "amount": amount, "tax_rates": tax_rates or []}
        )
    return client.v1.invoices.finalize_invoice(invoice.id)


def amounts(invoice: stripe.Invoice) -> tuple[int, ...]:
    return (
        invoice.total,
        invoice.amount_due,
        invoice.amount_paid,
        invoice.amount_remaining,
        invoice.pre_payment_credit_notes_amount,
        invoice.post_payment_credit_notes_amount,
    )


def test_pre_payment_credit_note_on_a_line_lowers_what_is_due_with_its_tax(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    vat = client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 20, "inclusive": False}).id
    invoice = invoice_with(client, customer.id, [10000, 5000], "eur", [vat])
    line = invoice.lines.data[0].id
    note = client.v1.credit_notes.create(
        params={
            "invoice": invoice.id,
            "lines": [{"type": "invoice_line_item", "invoice_line_item": line, "amount": 2550}],
            "reason": "order_change",
            "memo": "One session cancelled",
        }
    )
    # 2550 * 20% = 510: taxed as the invoice line is.
    assert (note.subtotal, note.total, note.amount, note.type, note.status) == (
        2550,
        3060,
        3060,
        "pre_payment",
        "issued",
    )
    assert (note.pre_payment_amount, note.post_payment_amount, note.out_of_band_amount) == (3060, 0, None)
    assert note.number == f"{invoice.number}-CN-01" and note.reason == "order_change"
    assert [(t.amount, t.taxable_amount) for t in note.total_taxes or []] == [(510, 2550)]
    (credited,) = note.lines.data
    assert (credited.type, credited.invoice_line_item, credited.amount) == ("invoice_line_item", line, 2550)
    assert [t.amount for t in credited.taxes or []] == [510] and credited.tax_rates[0].id == vat
    after = client.v1.invoices.retrieve(invoice.id)
    assert amounts(after) == (18000, 14940, 0, 14940, 3060, 0)
    assert after.status == "open"
    assert emu.events("credit_note.created")[0]["data"]["object"]["id"] == note.id
    updated = emu.events("invoice.updated")[-1]["data"]
    assert updated["object"]["amount_due"] == 14940 and updated["previous_attributes"]["amount_due"] == 18000
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.credit_notes.create(
            params={
                "invoice": invoice.id,
                "lines": [{"type": "invoice_line_item", "invoice_line_item": line, "amount": 7451}],
            }
        )
    assert too_much.value.param == "lines[0][amount]"


def test_crediting_an_open_invoice_down_to_nothing_pays_it_and_void_restores_it(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    invoice = invoice_with(client, customer.id, [7000], "jpy")
    half = client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 3000})
    assert amounts(client.v1.invoices.retrieve(invoice.id)) == (7000, 4000, 0, 4000, 3000, 0)
    voided = client.v1.credit_notes.void_credit_note(half.id)
    assert (voided.status, bool(voided.voided_at)) == ("void", True)
    assert amounts(client.v1.invoices.retrieve(invoice.id)) == (7000, 7000, 0, 7000, 0, 0)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.credit_notes.void_credit_note(half.id)
    client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 7000})
    paid = client.v1.invoices.retrieve(invoice.id)
    assert (paid.status, paid.amount_due, paid.amount_paid, paid.amount_remaining) == ("paid", 0, 0, 0)
    assert [e["type"] for e in emu.events() if e["type"].startswith("credit_note.")] == [
        "credit_note.created",
        "credit_note.voided",
        "credit_note.created",
    ]


@pytest.mark.parametrize("currency,total", [("eur", 12000), ("jpy", 12000)])
def test_post_payment_credit_note_with_a_refund(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer, currency: str, total: int
) -> None:
    invoice = invoice_with(client, customer.id, [total], currency)
    client.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa"})
    note = client.v1.credit_notes.create(
        params={"invoice": invoice.id, "amount": 4000, "refund_amount": 4000, "reason": "product_unsatisfactory"},
        options={"idempotency_key": "cn-1"},
    )
    again = client.v1.credit_notes.create(
        params={"invoice": invoice.id, "amount": 4000, "refund_amount": 4000, "reason": "product_unsatisfactory"},
        options={"idempotency_key": "cn-1"},
    )
    assert again.id == note.id
    assert (note.type, note.post_payment_amount, note.pre_payment_amount) == ("post_payment", 4000, 0)
    (link,) = note.refunds
    refund = client.v1.refunds.retrieve(str(link.refund))
    assert (link.amount_refunded, refund.amount, refund.currency, refund.status) == (4000, 4000, currency, "succeeded")
    after = client.v1.invoices.retrieve(invoice.id)
    assert amounts(after) == (total, total, total, 0, 0, 4000)
    assert after.status == "paid"
    assert len(client.v1.refunds.list().data) == 1
    assert client.v1.charges.retrieve(str(refund.charge)).amount_refunded == 4000
    kinds = [e["type"] for e in emu.events() if e["type"].startswith(("refund.", "credit_note.", "charge.refunded"))]
    assert kinds == ["refund.created", "charge.refunded", "credit_note.created"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.credit_notes.void_credit_note(note.id)  # the money has left


def test_post_payment_credit_note_for_money_given_back_outside_stripe(
    client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    invoice = invoice_with(client, customer.id, [9000], "eur")
    client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})
    note = client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 9000, "out_of_band_amount": 9000})
    assert (note.out_of_band_amount, note.refunds, note.customer_balance_transaction) == (9000, [], None)
    assert amounts(client.v1.invoices.retrieve(invoice.id)) == (9000, 9000, 9000, 0, 0, 9000)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 1, "out_of_band_amount": 1})


def test_post_payment_amounts_must_add_up_and_default_to_the_customer_balance(
    client: stripe.StripeClient, customer: stripe.Customer, http: httpx.Client, auth: dict[str, str]
) -> None:
    invoice = invoice_with(client, customer.id, [5000], "eur")
    client.v1.invoices.pay(invoice.id, params={"payment_method": "pm_card_visa"})
    mismatch = http.post(
        "/v1/credit_notes",
        data={"invoice": invoice.id, "amount": "3000", "refund_amount": "1000", "out_of_band_amount": "1000"},
        headers=auth,
    )
    assert mismatch.status_code == 400 and mismatch.json()["error"]["param"] == "refund_amount"
    over = http.post("/v1/credit_notes", data={"invoice": invoice.id, "amount": "6000"}, headers=auth)
    assert over.status_code == 400 and over.json()["error"]["param"] == "amount"
    credit = client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 1500})
    assert credit.customer_balance_transaction and credit.refunds == []
    assert client.v1.customers.retrieve(customer.id).balance == -1500
    client.v1.credit_notes.void_credit_note(credit.id)
    assert client.v1.customers.retrieve(customer.id).balance == 0


def test_mixed_credit_note_on_a_part_paid_invoice(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    invoice = invoice_with(client, customer.id, [10000], "eur")
    part = client.v1.payment_intents.create(
        params={
            "amount": 6000,
            "currency": "eur",
            "customer": customer.id,
            "payment_method": "pm_card_visa",
            "confirm": True,
        }
    )
    client.v1.invoices.attach_payment(invoice.id, params={"payment_intent": part.id})
    note = client.v1.credit_notes.create(params={"invoice": invoice.id, "amount": 5000, "refund_amount": 1000})
    assert (note.type, note.pre_payment_amount, note.post_payment_amount) == ("mixed", 4000, 1000)
    after = client.v1.invoices.retrieve(invoice.id)
    assert (after.status, *amounts(after)) == ("paid", 10000, 6000, 6000, 0, 4000, 1000)


def test_preview_changes_nothing_and_custom_lines(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    vat = client.v1.tax_rates.create(params={"display_name": "VAT", "percentage": 10, "inclusive": False}).id
    invoice = invoice_with(client, customer.id, [20000], "jpy")
    params: dict[str, Any] = {
        "invoice": invoice.id,
        "lines": [
            {
                "type": "custom_line_item",
                "description": "Goodwill",
                "unit_amount": 1500,
                "quantity": 2,
                "tax_rates": [vat],
            }
        ],
    }
    preview = client.v1.credit_notes.preview(params=params)
    assert (preview.subtotal, preview.total, preview.pre_payment_amount) == (3000, 3300, 3300)
    assert preview.lines.data[0].description == "Goodwill"
    lines = client.v1.credit_notes.preview_lines.list(params=params)
    assert [line.amount for line in lines.data] == [3000]
    assert client.v1.credit_notes.list().data == []
    assert emu.events("credit_note.created") == []
    assert amounts(client.v1.invoices.retrieve(invoice.id)) == (20000, 20000, 0, 20000, 0, 0)
    note = client.v1.credit_notes.create(params=params)
    assert note.total == preview.total
    assert [n.id for n in client.v1.credit_notes.list(params={"invoice": invoice.id}).data] == [note.id]
    assert [line.amount for line in client.v1.credit_notes.line_items.list(note.id).data] == [3000]
    memo = client.v1.credit_notes.update(note.id, params={"memo": "Sorry", "metadata": {"k": "v"}})
    assert memo.memo == "Sorry" and emu.events("credit_note.updated")


def test_credit_notes_refuse_drafts_and_missing_objects(
    client: stripe.StripeClient, customer: stripe.Customer, http: httpx.Client, auth: dict[str, str]
) -> None:
    draft = client.v1.invoices.create(params={"customer": customer.id})
    refused = http.post("/v1/credit_notes", data={"invoice": draft.id, "amount": "100"}, headers=auth)
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "invoice"
    missing = http.post("/v1/credit_notes", data={"invoice": "in_gone", "amount": "100"}, headers=auth)
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "resource_missing")
    invoice = invoice_with(client, customer.id, [1000], "eur")
    no_line = http.post(
        "/v1/credit_notes",
        data={"invoice": invoice.id, "lines[0][type]": "invoice_line_item", "lines[0][invoice_line_item]": "il_gone"},
        headers=auth,
    )
    assert no_line.json()["error"]["param"] == "lines[0][invoice_line_item]"
    nothing = http.post("/v1/credit_notes", data={"invoice": invoice.id}, headers=auth)
    assert nothing.status_code == 400 and nothing.json()["error"]["code"] == "parameter_missing"


def test_credit_to_the_customer_balance_pays_toward_the_next_invoices(
    client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    first = invoice_with(client, customer.id, [5000], "jpy")
    client.v1.invoices.pay(first.id, params={"paid_out_of_band": True})
    client.v1.credit_notes.create(params={"invoice": first.id, "amount": 1500, "credit_amount": 1500})
    assert client.v1.customers.retrieve(customer.id).balance == -1500
    small = invoice_with(client, customer.id, [1000], "jpy")
    assert (small.status, small.starting_balance, small.ending_balance, small.amount_due) == ("paid", -1500, -500, 0)
    assert client.v1.customers.retrieve(customer.id).balance == -500
    big = invoice_with(client, customer.id, [3000], "jpy")
    assert (big.status, big.starting_balance, big.ending_balance, big.amount_due, big.total) == (
        "open",
        -500,
        0,
        2500,
        3000,
    )
    assert client.v1.customers.retrieve(customer.id).balance == 0
    client.v1.invoices.void_invoice(big.id)
    assert client.v1.customers.retrieve(customer.id).balance == -500
