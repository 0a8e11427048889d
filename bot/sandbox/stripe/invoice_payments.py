"""Invoice payments (this API version's ``InvoicePayment``): how money reaches an invoice, part by part.

Since 2025 an invoice no longer names one charge or PaymentIntent: each payment toward it is an
``invoice_payment`` (``invoice.payments`` when expanded, ``GET /v1/invoice_payments``), and
``invoices.attach_payment`` adds a PaymentIntent of any amount, so an invoice can be paid in parts:
``amount_paid`` grows with each one that succeeds and the invoice is ``paid`` once nothing remains.
"""

from __future__ import annotations

from typing import Any

from . import payment_records
from .app import App, Context, Route, includable, renderer
from .objects import fresh, public
from .protocol import invalid, list_object, new_id, paginate
from .store import Record


@renderer("invoice_payment")
def render_invoice_payment(app: App, record: Record) -> dict[str, Any]:
    obj = fresh("invoice_payment")
    obj.update(public(record.state))
    return obj


@includable("invoice", "payments")
def invoice_payments_list(app: App, invoice: Record) -> dict[str, Any]:
    # Oldest first, as Stripe lists an invoice's payments.
    records = [app.store.objects[i] for i in invoice.state.get("_payments", []) if i in app.store.objects]
    return list_object(f"/v1/invoice_payments?invoice={invoice.id}", [app.render(r) for r in records], False)


def add_payment(ctx: Context, invoice: Record, intent: Record, *, is_default: bool) -> Record:
    """Tie a PaymentIntent to the invoice; its money counts once the intent succeeds (``settle``)."""
    payment_id = new_id("inpay_")
    state: dict[str, Any] = {
        "id": payment_id,
        "created": ctx.now(),
        "currency": intent.state["currency"],
        "invoice": invoice.id,
        "amount_requested": intent.state["amount"],
        "amount_paid": None,
        "is_default": is_default,
        "payment": {"type": "payment_intent", "payment_intent": intent.id},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }
    record = ctx.store.add("invoice_payment", payment_id, ctx.account, state)
    invoice.state.setdefault("_payments", []).append(payment_id)
    intent.state["_invoice_payment"] = payment_id
    return record


def default_payment(ctx: Context, invoice: Record) -> Record | None:
    """The payment Stripe makes itself when it charges the invoice (reused on each retry until one succeeds)."""
    for payment_id in invoice.state.get("_payments", []):
        record = ctx.store.find("invoice_payment", payment_id, ctx.account)
        if record is not None and record.state["is_default"] and record.state["status"] == "open":
            return record
    return None


def settle(ctx: Context, payment: Record, amount: int, *, off_stripe: bool = False) -> None:
    """The payment's PaymentIntent succeeded (or its payment record is guaranteed): the invoice gets ``amount``."""
    now = ctx.now()
    payment.state.update(
        status="paid",
        amount_paid=amount,
        status_transitions=dict(payment.state["status_transitions"], paid_at=now),
    )
    ctx.emit("invoice_payment.paid", ctx.app.render(payment))
    invoice = ctx.store.get("invoice", payment.state["invoice"], ctx.account)
    credit(ctx, invoice, amount, off_stripe=off_stripe)


def credit(ctx: Context, invoice: Record, amount: int, *, off_stripe: bool = False) -> None:
    """Add ``amount`` to what the invoice has received; it is paid once nothing remains."""
    before = ctx.app.render(invoice)
    state = invoice.state
    state["amount_paid"] += amount
    if off_stripe:
        state["_paid_off_stripe"] = state.get("_paid_off_stripe", 0) + amount
    if before["amount_due"] - state["amount_paid"] > 0:
        obj = ctx.app.render(invoice)
        ctx.emit("invoice.updated", obj, {k: before[k] for k in ("amount_paid", "amount_remaining")})
        return
    mark_paid(ctx, invoice)


def mark_paid(ctx: Context, invoice: Record) -> None:
    state = invoice.state
    state.update(status="paid", status_transitions=dict(state["status_transitions"], paid_at=ctx.now()))
    obj = ctx.app.render(invoice)
    ctx.emit("invoice.paid", obj)
    ctx.emit("invoice.payment_succeeded", obj)


# --- endpoints ----------------------------------------------------------------------------------


def attach_payment(ctx: Context, params: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    invoice = ctx.store.get("invoice", invoice_id, ctx.account)
    if params.get("payment_record") and params.get("payment_intent"):
        raise invalid("You may only specify one of `payment_intent` or `payment_record`.", param="payment_record")
    if params.get("payment_record"):
        return attach_payment_record(ctx, invoice, params["payment_record"])
    intent_id = params.get("payment_intent")
    if not intent_id:
        raise invalid(
            "You must specify one of `payment_intent` or `payment_record`.",
            param="payment_intent",
            code="parameter_missing",
        )
    intent = ctx.store.get("payment_intent", intent_id, ctx.account, param="payment_intent")
    status = invoice.state["status"]
    if status != "open":
        raise invalid(
            f"You can only attach payments to an open invoice; invoice {invoice_id} is {status}.",
            param="payment_intent",
            code="invoice_not_editable" if status == "draft" else "status_transition_invalid",
        )
    if intent.state.get("_invoice_payment"):
        raise invalid(
            f"The PaymentIntent {intent_id} is already attached to an invoice.",
            param="payment_intent",
            code="resource_already_exists",
        )
    if intent.state["currency"] != invoice.state["currency"]:
        raise invalid(
            f"The PaymentIntent's currency ({intent.state['currency']}) must match the invoice's "
            f"({invoice.state['currency']}).",
            param="payment_intent",
        )
    if intent.state["status"] == "canceled":
        raise invalid(f"The PaymentIntent {intent_id} is canceled.", param="payment_intent")
    if intent.state.get("customer") not in (None, invoice.state["customer"]):
        raise invalid(
            f"The PaymentIntent {intent_id} belongs to another customer than invoice {invoice_id}.",
            param="payment_intent",
        )
    payment = add_payment(ctx, invoice, intent, is_default=False)
    if intent.state["status"] == "succeeded":
        settle(ctx, payment, intent.state["amount_received"])
    return ctx.app.render(invoice)


def attach_payment_record(ctx: Context, invoice: Record, record_id: str) -> dict[str, Any]:
    """A payment made outside Stripe, reported as a PaymentRecord: credited at once when guaranteed."""
    record = ctx.store.get("payment_record", record_id, ctx.account, param="payment_record")
    status = invoice.state["status"]
    if status != "open":
        raise invalid(
            f"You can only attach payments to an open invoice; invoice {invoice.id} is {status}.",
            param="payment_record",
            code="invoice_not_editable" if status == "draft" else "status_transition_invalid",
        )
    payment_records.check_attachable(ctx, invoice, record)
    payment_id = new_id("inpay_")
    amount = record.state["amount_requested"]["value"]
    state: dict[str, Any] = {
        "id": payment_id,
        "created": ctx.now(),
        "currency": invoice.state["currency"],
        "invoice": invoice.id,
        "amount_requested": amount,
        "amount_paid": None,
        "is_default": False,
        "payment": {"type": "payment_record", "payment_record": record.id},
        "status": "open",
        "status_transitions": {"canceled_at": None, "paid_at": None},
    }
    payment = ctx.store.add("invoice_payment", payment_id, ctx.account, state)
    invoice.state.setdefault("_payments", []).append(payment_id)
    record.state["_invoice_payment"] = payment_id
    if record.state["_outcome"] == "guaranteed":
        settle(ctx, payment, amount, off_stripe=True)
    return ctx.app.render(invoice)


def retrieve_invoice_payment(ctx: Context, params: dict[str, Any], payment_id: str) -> dict[str, Any]:
    return ctx.app.render(ctx.store.get("invoice_payment", payment_id, ctx.account))


def list_invoice_payments(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    wanted = params.get("payment") or {}

    def keep(record: Record) -> bool:
        state = record.state
        if "invoice" in params and state["invoice"] != params["invoice"]:
            return False
        if "status" in params and state["status"] != params["status"]:
            return False
        if wanted.get("type") and state["payment"]["type"] != wanted["type"]:
            return False
        return not wanted.get("payment_intent") or state["payment"].get("payment_intent") == wanted["payment_intent"]

    records = (r for r in ctx.store.newest_first("invoice_payment", ctx.account) if keep(r))
    return paginate(
        records,
        params,
        url="/v1/invoice_payments",
        item_id=lambda r: r.id,
        render=ctx.app.render,
        label="invoice payment",
    )


def routes() -> list[Route]:
    return [
        Route("POST", "/v1/invoices/{id}/attach_payment", "InvoiceAttachPaymentParams", attach_payment),
        Route("GET", "/v1/invoice_payments", "InvoicePaymentListParams", list_invoice_payments),
        Route("GET", "/v1/invoice_payments/{id}", "InvoicePaymentRetrieveParams", retrieve_invoice_payment),
    ]
