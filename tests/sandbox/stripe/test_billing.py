"""Customers, tax rates, invoice items and invoices: Stripe's arithmetic and lifecycle."""

from __future__ import annotations

import httpx
import pytest
import stripe

from bot.sandbox.stripe import StripeEmulator


@pytest.fixture
def customer(client: stripe.StripeClient) -> stripe.Customer:
    return client.v1.customers.create(params={"email": "pat@example.com", "name": "Pat"})


def rate(client: stripe.StripeClient, percentage: float, inclusive: bool) -> str:
    return client.v1.tax_rates.create(
        params={"display_name": "VAT", "percentage": percentage, "inclusive": inclusive}
    ).id


def draft(
    client: stripe.StripeClient, customer_id: str, amounts: list[int], tax_rates: list[str], currency: str = "usd"
) -> stripe.Invoice:
    invoice = client.v1.invoices.create(params={"customer": customer_id, "currency": currency})
    for amount in amounts:
        client.v1.invoice_items.create(
            params={
                "customer": customer_id,
                "invoice": invoice.id,
                "amount": amount,
                "currency": currency,
                "tax_rates": tax_rates,
            }
        )
    return client.v1.invoices.retrieve(invoice.id)


def test_exclusive_tax_is_added_per_line_and_rounded_half_up(
    client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    vat = rate(client, 19, inclusive=False)
    # 2050 * 19% = 389.5 -> 390 ; 333 * 19% = 63.27 -> 63 ; 1000 -> 190. Summing first would give 642.
    invoice = draft(client, customer.id, [1000, 2050, 333], [vat])
    assert [line.taxes[0].amount for line in invoice.lines.data] == [190, 390, 63]  # type: ignore[index]
    assert invoice.subtotal == 3383
    assert invoice.total_excluding_tax == 3383
    assert invoice.total == 3383 + 643
    assert invoice.amount_due == invoice.total
    assert invoice.amount_remaining == invoice.total
    assert invoice.total_taxes is not None
    assert [(t.amount, t.tax_behavior, t.taxable_amount) for t in invoice.total_taxes] == [(643, "exclusive", 3383)]


def test_inclusive_tax_is_carved_out(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    vat = rate(client, 20, inclusive=True)
    # 1000 / 1.2 = 833.33 -> tax 166.67 -> 167 ; 999 -> tax 166.5 -> 167 (half up)
    invoice = draft(client, customer.id, [1000, 999], [vat])
    assert [line.taxes[0].amount for line in invoice.lines.data] == [167, 167]  # type: ignore[index]
    assert invoice.subtotal == 1999
    assert invoice.total == 1999
    assert invoice.subtotal_excluding_tax == 1999 - 334
    assert invoice.total_excluding_tax == 1999 - 334


def test_default_tax_rates_apply_to_lines_without_their_own(
    client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    ten = rate(client, 10, inclusive=False)
    five = rate(client, 5, inclusive=False)
    invoice = client.v1.invoices.create(params={"customer": customer.id, "default_tax_rates": [ten]})
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id, "amount": 1000})
    client.v1.invoice_items.create(
        params={"customer": customer.id, "invoice": invoice.id, "amount": 1000, "tax_rates": [five]}
    )
    invoice = client.v1.invoices.retrieve(invoice.id)
    assert invoice.total == 2000 + 100 + 50
    assert invoice.default_tax_rates[0].id == ten


def test_zero_decimal_currency(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    jct = rate(client, 10, inclusive=False)
    invoice = draft(client, customer.id, [1055, 3], [jct], currency="jpy")
    # amounts are whole yen: 105.5 -> 106, 0.3 -> 0
    assert invoice.currency == "jpy"
    assert invoice.total == 1058 + 106
    assert invoice.lines.data[1].taxes[0].amount == 0  # type: ignore[index]


def test_item_quantity_and_price_data(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    item = client.v1.invoice_items.create(
        params={
            "customer": customer.id,
            "quantity": 3,
            "price_data": {"currency": "eur", "product": "prod_consult", "unit_amount": 2500},
        }
    )
    assert (item.amount, item.quantity, item.currency) == (7500, 3, "eur")
    decimal_item = client.v1.invoice_items.create(
        params={
            "customer": customer.id,
            "quantity": 2,
            "currency": "eur",
            "unit_amount_decimal": "1000.5",
        }
    )
    assert decimal_item.amount == 2001
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoice_items.create(params={"customer": customer.id, "amount": 5, "unit_amount_decimal": "5"})


def test_pending_items_join_an_invoice_only_when_asked(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    client.v1.invoice_items.create(params={"customer": customer.id, "amount": 700})
    excluded = client.v1.invoices.create(params={"customer": customer.id})
    assert excluded.lines.data == []
    included = client.v1.invoices.create(params={"customer": customer.id, "pending_invoice_items_behavior": "include"})
    assert [line.amount for line in included.lines.data] == [700]
    assert client.v1.invoice_items.list(params={"pending": True}).data == []


def test_add_lines(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    invoice = client.v1.invoices.create(params={"customer": customer.id, "currency": "usd"})
    updated = client.v1.invoices.add_lines(
        invoice.id,
        params={
            "lines": [
                {"amount": 1200, "description": "Session"},
                {
                    "price_data": {"currency": "usd", "product_data": {"name": "Report"}, "unit_amount": 300},
                    "quantity": 2,
                },
            ]
        },
    )
    assert [line.amount for line in updated.lines.data] == [1200, 600]
    assert updated.total == 1800


def test_lifecycle_send_invoice(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer, http: httpx.Client
) -> None:
    invoice = client.v1.invoices.create(
        params={
            "customer": customer.id,
            "collection_method": "send_invoice",
            "days_until_due": 14,
            "description": "March sessions",
            "footer": "Thanks",
            "metadata": {"practice": "p1"},
        }
    )
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id, "amount": 5000})
    assert invoice.status == "draft" and invoice.number is None
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.pay(invoice.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.void_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.mark_uncollectible(invoice.id)
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    assert finalized.status == "open"
    assert finalized.number and finalized.number.endswith("-0001")
    assert finalized.due_date and finalized.status_transitions.finalized_at
    assert finalized.due_date - finalized.status_transitions.finalized_at == 14 * 86400
    second = client.v1.invoices.create(params={"customer": customer.id})
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": second.id, "amount": 1})
    second_number = client.v1.invoices.finalize_invoice(second.id).number
    assert second_number == finalized.number.replace("-0001", "-0002")
    with pytest.raises(stripe.InvalidRequestError, match="already finalized"):
        client.v1.invoices.finalize_invoice(invoice.id)
    with pytest.raises(stripe.InvalidRequestError) as not_editable:
        client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id, "amount": 1})
    assert not_editable.value.code == "invoice_not_editable"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.delete(invoice.id)
    assert client.v1.invoices.send_invoice(invoice.id).status == "open"
    assert http.get(finalized.hosted_invoice_url or "").status_code == 200
    pdf = http.get(finalized.invoice_pdf or "")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    paid = client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", 5000, 0)
    assert paid.status_transitions.paid_at
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.void_invoice(invoice.id)
    types = [e["type"] for e in emu.events() if e["data"]["object"].get("id") == invoice.id]
    assert types == [
        "invoice.created",
        "invoice.finalized",
        "invoice.sent",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]


def test_void_and_uncollectible(emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer) -> None:
    invoice = draft(client, customer.id, [100], [])
    client.v1.invoices.finalize_invoice(invoice.id)
    assert client.v1.invoices.mark_uncollectible(invoice.id).status == "uncollectible"
    voided = client.v1.invoices.void_invoice(invoice.id)
    assert voided.status == "void" and voided.status_transitions.voided_at
    assert [e["type"] for e in emu.events("invoice.voided")] == ["invoice.voided"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})


def test_zero_total_invoice_is_paid_on_finalize(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    invoice = client.v1.invoices.create(params={"customer": customer.id})
    assert client.v1.invoices.finalize_invoice(invoice.id).status == "paid"


def test_send_invoice_needs_a_due_date(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.create(params={"customer": customer.id, "collection_method": "send_invoice"})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.create(params={"customer": customer.id, "days_until_due": 3})


def test_finalized_invoice_only_takes_limited_updates(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    invoice = draft(client, customer.id, [100], [])
    client.v1.invoices.finalize_invoice(invoice.id)
    assert client.v1.invoices.update(invoice.id, params={"metadata": {"a": "b"}}).metadata.to_dict() == {"a": "b"}
    with pytest.raises(stripe.InvalidRequestError) as error:
        client.v1.invoices.update(invoice.id, params={"default_tax_rates": ["txr_any"]})
    assert error.value.code == "invoice_not_editable"


def test_tax_rates(emu: StripeEmulator, client: stripe.StripeClient) -> None:
    created = client.v1.tax_rates.create(
        params={
            "display_name": "MwSt",
            "percentage": 19,
            "inclusive": True,
            "country": "DE",
            "jurisdiction": "DE",
            "description": "German VAT",
            "tax_type": "vat",
        }
    )
    assert (created.percentage, created.inclusive, created.active) == (19, True, True)
    archived = client.v1.tax_rates.update(created.id, params={"active": False, "display_name": "VAT"})
    assert (archived.active, archived.display_name) == (False, "VAT")
    other = rate(client, 7, inclusive=False)
    assert [r.id for r in client.v1.tax_rates.list(params={"active": True}).data] == [other]
    assert [r.id for r in client.v1.tax_rates.list(params={"active": False}).data] == [created.id]
    updated = emu.events("tax_rate.updated")[0]
    assert updated["data"]["previous_attributes"] == {"active": True, "display_name": "MwSt"}


def test_customer_update_and_delete(
    emu: StripeEmulator, client: stripe.StripeClient, customer: stripe.Customer
) -> None:
    updated = client.v1.customers.update(customer.id, params={"name": "Pat Doe", "metadata": {"slack": "U1"}})
    assert updated.name == "Pat Doe" and updated.metadata.to_dict() == {"slack": "U1"}
    cleared = client.v1.customers.update(customer.id, params={"metadata": {"slack": ""}})
    assert cleared.metadata.to_dict() == {}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": "pm_nope"}})
    assert emu.events("customer.updated")[0]["data"]["previous_attributes"]["name"] == "Pat"
    assert client.v1.customers.delete(customer.id).deleted is True
    assert client.v1.customers.retrieve(customer.id).last_response.data == {
        "id": customer.id,
        "object": "customer",
        "deleted": True,
    }


def test_hosted_invoice_page_names_each_tax_rate(
    client: stripe.StripeClient, customer: stripe.Customer, http: httpx.Client
) -> None:
    """As Stripe's hosted page: the rate's display name and percentage, never its id."""
    added = client.v1.tax_rates.create(params={"display_name": "TVA", "percentage": 19.6, "inclusive": False}).id
    included = rate(client, 20, inclusive=True)
    invoice = client.v1.invoices.create(params={"customer": customer.id, "currency": "eur"})
    for amount, tax_rate in ((1000, added), (1200, included)):
        client.v1.invoice_items.create(
            params={"customer": customer.id, "invoice": invoice.id, "amount": amount, "tax_rates": [tax_rate]}
        )
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    page = http.get(finalized.hosted_invoice_url or "").text
    assert "TVA (19.6%)" in page and "VAT (20% inclusive)" in page
    assert "txr_" not in page
