"""Payment Records: payments received outside Stripe, reported to it and attached to an invoice (whole or part)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from bot.sandbox.stripe import StripeEmulator
from tests.paths import shared_file
from tests.sandbox.stripe.test_refunds_and_invoice_payments import open_invoice, types_about
from tests.sandbox.stripe.test_shapes import ShapeChecker

NOW = 1_790_000_000


@pytest.fixture
def customer(client: stripe.StripeClient) -> stripe.Customer:
    return client.v1.customers.create(params={"email": "pat@example.com"})


def cash(amount: int, currency: str, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "amount_requested": {"currency": currency, "value": amount},
        "initiated_at": NOW,
        "outcome": "guaranteed",
        "guaranteed": {"guaranteed_at": NOW},
        "payment_method_details": {"type": "custom", "custom": {"display_name": "Cash"}},
    }
    params.update(extra)
    return params


def refused(call: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        call()
    return caught.value


def test_a_reported_cash_payment_has_stripes_shape(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    record = client.v1.payment_records.report_payment(
        params=cash(
            4000,
            "eur",
            customer_details={"customer": customer.id},
            processor_details={"type": "custom", "custom": {"payment_reference": "CHQ 0042"}},
            metadata={"billbot_payment": "7"},
        )
    )
    assert record.id.startswith("pr_")
    assert (record.amount_requested.value, record.amount_requested.currency) == (4000, "eur")
    assert (record.amount_guaranteed.value, record.amount_failed.value, record.amount_refunded.value) == (4000, 0, 0)
    assert record.payment_method_details is not None
    assert record.payment_method_details.type == "custom"
    assert record.payment_method_details.custom is not None
    assert record.payment_method_details.custom.display_name == "Cash"
    assert record.processor_details.custom is not None
    assert record.processor_details.custom.payment_reference == "CHQ 0042"
    assert (record.reported_by, record.metadata["billbot_payment"]) == ("self", "7")
    assert record.customer_details is not None and record.customer_details.customer == customer.id
    again = client.v1.payment_records.retrieve(record.id)
    assert again.id == record.id
    checker = ShapeChecker(json.loads(shared_file("stripe", "fixtures3.json").read_text())["resources"])
    checker.check(again.last_response.data)
    assert checker.problems == []
    assert [r.id for r in client.v1.payment_records.list().data] == [record.id]


@pytest.mark.parametrize(
    ("params", "param", "code"),
    [
        ({"amount_requested": {"currency": "eur", "value": 0}}, "amount_requested[value]", None),
        ({"amount_requested": {"currency": "zzz", "value": 100}}, "amount_requested[currency]", None),
        (
            {"payment_method_details": {"billing_details": {"name": "Pat"}}},
            "payment_method_details[type]",
            "parameter_missing",
        ),
        ({"payment_method_details": {"type": "custom"}}, "payment_method_details[custom][display_name]", None),
        (
            {"payment_method_details": {"type": "custom", "custom": {"display_name": "Cash", "type": "cash"}}},
            "payment_method_details[custom][type]",
            "resource_missing",
        ),
        ({"guaranteed": None, "outcome": "guaranteed"}, "guaranteed[guaranteed_at]", "parameter_missing"),
        ({"customer_details": {"customer": "cus_nobody"}}, "customer_details[customer]", "resource_missing"),
    ],
)
def test_report_payment_refuses_what_stripe_refuses(
    client: stripe.StripeClient, params: dict[str, Any], param: str, code: str | None
) -> None:
    given = cash(100, "eur")
    given.update(params)
    given = {k: v for k, v in given.items() if v is not None}
    error = refused(lambda: client.v1.payment_records.report_payment(params=given))  # type: ignore[arg-type]
    assert error.param == param
    if code:
        assert error.code == code


def test_required_params_are_required(client: stripe.StripeClient) -> None:
    for missing in ("amount_requested", "initiated_at", "payment_method_details"):
        given = {k: v for k, v in cash(100, "eur").items() if k != missing}
        error = refused(lambda: client.v1.payment_records.report_payment(params=given))  # type: ignore[arg-type]  # noqa: B023
        assert error.code == "parameter_missing"


@pytest.mark.parametrize(("currency", "total", "part"), [("eur", 12000, 4000), ("jpy", 12000, 5000)])
def test_a_part_then_the_rest_pays_the_invoice(
    emu: StripeEmulator,
    client: stripe.StripeClient,
    customer: stripe.Customer,
    currency: str,
    total: int,
    part: int,
) -> None:
    invoice = open_invoice(client, customer.id, total, currency)
    first = client.v1.payment_records.report_payment(params=cash(part, currency))
    after_part = client.v1.invoices.attach_payment(invoice.id, params={"payment_record": first.id})
    assert (after_part.status, after_part.amount_paid, after_part.amount_remaining) == ("open", part, total - part)
    rest = client.v1.payment_records.report_payment(params=cash(total - part, currency))
    paid = client.v1.invoices.attach_payment(invoice.id, params={"payment_record": rest.id, "expand": ["payments"]})
    assert (paid.status, paid.amount_paid, paid.amount_remaining) == ("paid", total, 0)
    assert paid.payments is not None
    kinds = [(p.payment.type, p.payment.payment_record, p.amount_paid, p.status) for p in paid.payments.data]
    assert kinds == [
        ("payment_record", first.id, part, "paid"),
        ("payment_record", rest.id, total - part, "paid"),
    ]
    got = [e["type"] for e in emu.events() if e["data"]["object"].get("id") == invoice.id]
    assert got[-3:] == ["invoice.updated", "invoice.paid", "invoice.payment_succeeded"]
    updated = next(
        e for e in emu.events() if e["type"] == "invoice.updated" and e["data"]["object"]["id"] == invoice.id
    )
    assert updated["data"]["previous_attributes"] == {"amount_paid": 0, "amount_remaining": total}
    payment_events = [e["type"] for e in emu.events() if e["type"] == "invoice_payment.paid"]
    assert payment_events == ["invoice_payment.paid", "invoice_payment.paid"]
    for payment in paid.payments.data:
        assert types_about(emu, payment.id) == ["invoice_payment.paid"]


def test_attach_refuses_what_stripe_refuses(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    invoice = open_invoice(client, customer.id, 10000, "eur")
    missing = refused(lambda: client.v1.invoices.attach_payment(invoice.id, params={"payment_record": "pr_nope"}))
    assert (missing.param, missing.code) == ("payment_record", "resource_missing")
    too_much = client.v1.payment_records.report_payment(params=cash(10001, "eur"))
    error = refused(lambda: client.v1.invoices.attach_payment(invoice.id, params={"payment_record": too_much.id}))
    assert error.param == "payment_record"
    dollars = client.v1.payment_records.report_payment(params=cash(100, "usd"))
    error = refused(lambda: client.v1.invoices.attach_payment(invoice.id, params={"payment_record": dollars.id}))
    assert error.param == "payment_record"
    failed_params = {k: v for k, v in cash(100, "eur", outcome="failed").items() if k != "guaranteed"}
    failed = client.v1.payment_records.report_payment(params={**failed_params, "failed": {"failed_at": NOW}})
    error = refused(lambda: client.v1.invoices.attach_payment(invoice.id, params={"payment_record": failed.id}))
    assert error.param == "payment_record"
    good = client.v1.payment_records.report_payment(params=cash(2500, "eur"))
    client.v1.invoices.attach_payment(invoice.id, params={"payment_record": good.id})
    twice = refused(lambda: client.v1.invoices.attach_payment(invoice.id, params={"payment_record": good.id}))
    assert twice.code == "resource_already_exists"
    assert client.v1.invoices.retrieve(invoice.id).amount_remaining == 7500  # counted once
    both = refused(
        lambda: client.v1.invoices.attach_payment(
            invoice.id, params={"payment_record": good.id, "payment_intent": "pi_x"}
        )
    )
    assert both.param == "payment_record"


def test_a_paid_invoice_takes_no_more_payments(client: stripe.StripeClient, customer: stripe.Customer) -> None:
    invoice = open_invoice(client, customer.id, 3000, "eur")
    whole = client.v1.payment_records.report_payment(params=cash(3000, "eur"))
    client.v1.invoices.attach_payment(invoice.id, params={"payment_record": whole.id})
    more = client.v1.payment_records.report_payment(params=cash(1, "eur"))
    error = refused(lambda: client.v1.invoices.attach_payment(invoice.id, params={"payment_record": more.id}))
    assert error.code == "status_transition_invalid"


def test_report_payment_replays_with_its_idempotency_key(client: stripe.StripeClient) -> None:
    options: Any = {"idempotency_key": "billbot-payment-1-report"}
    first = client.v1.payment_records.report_payment(params=cash(100, "eur"), options=options)
    again = client.v1.payment_records.report_payment(params=cash(100, "eur"), options=options)
    assert first.id == again.id
    assert len(client.v1.payment_records.list().data) == 1
