"""Responses carry the keys of Stripe's official example objects, with the same JSON types.

A value may be null where the fixture has null, or where the stripe SDK types the field as
Optional (Stripe documents it nullable).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from bot.sandbox.stripe import StripeEmulator
from bot.sandbox.stripe.resource_types import field_names, is_nullable, nested_class, resource_class
from tests.paths import shared_file


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object" if isinstance(value, dict) else "array"


class ShapeChecker:
    def __init__(self, resources: dict[str, Any]) -> None:
        self.resources = resources
        self.problems: list[str] = []
        self.seen: set[str] = set()

    def check(self, obj: dict[str, Any]) -> None:
        name = ("deleted_" if obj.get("deleted") else "") + obj["object"]
        self.seen.add(name)
        self._compare(obj, self.resources[name], resource_class(name), name)

    def _compare(self, ours: dict[str, Any], fixture: dict[str, Any], cls: type | None, path: str) -> None:
        current = field_names(cls) if cls is not None else None
        if current is not None and path != "event.data":
            # Nothing the pinned API version no longer has (the fixture lags: invoices' `subscription`).
            self.problems.extend(f"{path}.{key}: not a field at this API version" for key in ours if key not in current)
        for key, expected in fixture.items():
            where = f"{path}.{key}"
            if current is not None and key not in current:
                continue
            if key not in ours:
                self.problems.append(f"{where}: missing")
                continue
            value = ours[key]
            if expected is None:
                continue
            if value is None:
                if not is_nullable(cls, key):
                    self.problems.append(f"{where}: null, but Stripe does not document it as nullable")
                continue
            if _json_type(value) != _json_type(expected):
                self.problems.append(f"{where}: {_json_type(value)} where Stripe has {_json_type(expected)}")
                continue
            if (path == "event" and key == "data") or key == "metadata":
                # data.object is whichever object the event is about (checked on its own);
                # metadata holds the caller's own keys.
                continue
            if isinstance(value, dict):
                kind = value.get("object")
                if kind in self.resources and kind != "list" and isinstance(expected, dict):
                    self.check(value)
                else:
                    self._compare(value, expected, nested_class(cls, key), where)
            elif isinstance(value, list) and expected and isinstance(expected[0], dict):
                for item in value:
                    if item.get("object") in self.resources:
                        self.check(item)
                    else:
                        self._compare(item, expected[0], nested_class(cls, key), f"{where}[]")


@pytest.fixture
def checker() -> ShapeChecker:
    path: Path = shared_file("stripe", "fixtures3.json")
    return ShapeChecker(json.loads(path.read_text())["resources"])


def raw(obj: Any) -> dict[str, Any]:
    return obj.last_response.data


def test_every_served_resource_matches_stripes_example(
    emu: StripeEmulator, client: stripe.StripeClient, http: httpx.Client, checker: ShapeChecker
) -> None:
    account = client.v1.accounts.create(params={"type": "standard", "email": "shop@example.com"})
    checker.check(raw(account))
    checker.check(raw(client.v1.accounts.retrieve_current()))
    checker.check(
        raw(
            client.v1.account_links.create(
                params={
                    "account": account.id,
                    "type": "account_onboarding",
                    "refresh_url": "https://example.com/r",
                    "return_url": "https://example.com/ok",
                }
            )
        )
    )
    logo = io.BytesIO(b"\x89PNG fake")
    logo.name = "logo.png"
    upload = client.v1.files.create(params={"file": logo, "purpose": "business_logo"})
    checker.check(raw(upload))
    customer = client.v1.customers.create(params={"email": "c@example.com", "payment_method": "pm_card_visa"})
    checker.check(raw(customer))
    rate = client.v1.tax_rates.create(
        params={
            "display_name": "VAT",
            "percentage": 20,
            "inclusive": False,
            "country": "FR",
            "jurisdiction": "FR",
            "tax_type": "vat",
        }
    )
    checker.check(raw(rate))
    invoice = client.v1.invoices.create(params={"customer": customer.id, "default_tax_rates": [rate.id]})
    item = client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id, "amount": 1234})
    checker.check(raw(item))
    checker.check(raw(client.v1.invoices.retrieve(invoice.id)))
    finalized = client.v1.invoices.finalize_invoice(invoice.id)
    checker.check(raw(finalized))
    checker.check(raw(client.v1.invoices.pay(invoice.id, params={"paid_out_of_band": True})))
    spare = client.v1.invoice_items.create(params={"customer": customer.id, "amount": 10})
    checker.check(raw(client.v1.invoice_items.delete(spare.id)))
    draft = client.v1.invoices.create(params={"customer": customer.id})
    checker.check(raw(client.v1.invoices.delete(draft.id)))
    methods = client.v1.payment_methods.list(params={"customer": customer.id, "type": "card"})
    checker.check(raw(client.v1.payment_methods.retrieve(methods.data[0].id)))
    intent = client.v1.setup_intents.create(
        params={"customer": customer.id, "payment_method": "pm_card_visa", "confirm": True}
    )
    checker.check(raw(intent))
    for mode in ("payment", "setup"):
        params: dict[str, Any] = {
            "mode": mode,
            "customer": customer.id,
            "success_url": "https://example.com/ok",
            "cancel_url": "https://example.com/no",
            "currency": "eur",
        }
        if mode == "payment":
            params["line_items"] = [
                {
                    "quantity": 2,
                    "price_data": {"currency": "eur", "unit_amount": 500, "product_data": {"name": "Session"}},
                }
            ]
        session = client.v1.checkout.sessions.create(params=params)
        checker.check(raw(session))
        http.post(f"/c/pay/{session.id}", data={"card_number": "4242424242424242", "email": "p@example.com"})
        checker.check(raw(client.v1.checkout.sessions.retrieve(session.id)))
    card_paid = client.v1.invoices.create(params={"customer": customer.id, "currency": "jpy"})
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": card_paid.id, "amount": 5000})
    client.v1.invoices.finalize_invoice(card_paid.id)
    client.v1.invoices.pay(card_paid.id, params={"payment_method": "pm_card_visa"})
    expanded = client.v1.invoices.retrieve(card_paid.id, params={"expand": ["payments.data.payment.payment_intent"]})
    checker.check(raw(expanded))
    payment = client.v1.invoice_payments.list(params={"invoice": card_paid.id}).data[0]
    checker.check(raw(client.v1.invoice_payments.retrieve(payment.id)))
    intent_id = str(payment.payment.payment_intent)
    intent = client.v1.payment_intents.retrieve(intent_id)
    checker.check(raw(intent))
    refund = client.v1.refunds.create(params={"payment_intent": intent_id, "amount": 1000})
    checker.check(raw(refund))
    checker.check(raw(client.v1.charges.retrieve(str(intent.latest_charge))))
    credit_note = client.v1.credit_notes.create(params={"invoice": card_paid.id, "amount": 500, "refund_amount": 500})
    checker.check(raw(credit_note))
    checker.check(raw(client.v1.credit_notes.line_items.list(credit_note.id))["data"][0])
    for event in raw(client.v1.events.list(params={"limit": 100}))["data"]:
        checker.check(event)
        if event["data"]["object"].get("object") in checker.resources:
            checker.check(event["data"]["object"])
    checker.check(raw(client.v1.customers.delete(customer.id)))

    assert checker.problems == [], "\n".join(sorted(set(checker.problems)))
    expected = {
        "account",
        "account_link",
        "file",
        "customer",
        "tax_rate",
        "invoiceitem",
        "invoice",
        "line_item",
        "deleted_invoiceitem",
        "deleted_invoice",
        "payment_method",
        "setup_intent",
        "checkout.session",
        "event",
        "deleted_customer",
        "invoice_payment",
        "payment_intent",
        "charge",
        "refund",
        "credit_note",
        "credit_note_line_item",
    }
    assert expected <= checker.seen
