"""PaymentIntents and the charges they make: what an invoice payment, a Checkout payment or a refund points at."""

from __future__ import annotations

from typing import Any

from . import invoice_payments, payment_methods
from .app import App, Context, Route, renderer
from .objects import fresh, merge_metadata, public
from .protocol import StripeError, invalid, list_object, new_id, paginate
from .store import Record


@renderer("payment_intent")
def render_payment_intent(app: App, record: Record) -> dict[str, Any]:
    obj = fresh("payment_intent")
    obj.update(public(record.state))
    return obj


@renderer("charge")
def render_charge(app: App, record: Record) -> dict[str, Any]:
    obj = fresh("charge")
    obj.update(public(record.state))
    refunds = [app.render(app.store.objects[i]) for i in reversed(record.state["_refunds"]) if i in app.store.objects]
    obj["refunds"] = list_object(f"/v1/charges/{record.id}/refunds", refunds, False)
    return obj


def new_intent(
    ctx: Context,
    *,
    amount: int,
    currency: str,
    customer: str | None,
    description: str | None = None,
    metadata: dict[str, str] | None = None,
) -> Record:
    if amount < 1:
        raise invalid(
            "This value must be greater than or equal to 1.", param="amount", code="parameter_invalid_integer"
        )
    intent_id = new_id("pi_")
    state: dict[str, Any] = {
        "id": intent_id,
        "created": ctx.now(),
        "amount": amount,
        "amount_received": 0,
        "currency": currency.lower(),
        "customer": customer,
        "description": description,
        "metadata": metadata or {},
        "client_secret": f"{intent_id}_secret_{new_id('', 24)}",
        "payment_method": None,
        "allowed_payment_method_types": None,
        "payment_method_types": ["card"],
        "status": "requires_payment_method",
        "latest_charge": None,
        "last_payment_error": None,
    }
    record = ctx.store.add("payment_intent", intent_id, ctx.account, state)
    ctx.emit("payment_intent.created", ctx.app.render(record))
    return record


def _new_charge(ctx: Context, intent: Record, pm: Record, *, failure: StripeError | None) -> Record:
    charge_id = new_id("ch_")
    state = intent.state
    failed = failure is not None
    charge: dict[str, Any] = {
        "id": charge_id,
        "created": ctx.now(),
        "amount": state["amount"],
        "amount_captured": 0 if failed else state["amount"],
        "amount_refunded": 0,
        "captured": not failed,
        "currency": state["currency"],
        "customer": state["customer"],
        "description": state["description"],
        "metadata": {},
        "paid": not failed,
        "payment_intent": intent.id,
        "payment_method": pm.id,
        "refunded": False,
        "status": "failed" if failed else "succeeded",
        "failure_code": failure.code if failure else None,
        "failure_message": failure.message if failure else None,
        "billing_details": pm.state["billing_details"],
        "_card": pm.state["_card"],
        "_refunds": [],
    }
    return ctx.store.add("charge", charge_id, ctx.account, charge)


def confirm(ctx: Context, intent: Record, pm: Record) -> None:
    """Charge ``pm`` for the intent: it succeeds (and credits its invoice payment, if any) or raises the decline."""
    state = intent.state
    if state["status"] in ("succeeded", "canceled"):
        raise invalid(
            f"This PaymentIntent's status is {state['status']}; it can't be confirmed.",
            code="payment_intent_unexpected_state",
        )
    state["payment_method"] = pm.id
    decline = payment_methods.charge_decline(ctx.app, pm)
    charge = _new_charge(ctx, intent, pm, failure=decline)
    state["latest_charge"] = charge.id
    if decline is not None:
        decline.extra["charge"] = charge.id
        state.update(status="requires_payment_method", last_payment_error=decline.body()["error"])
        ctx.emit("charge.failed", ctx.app.render(charge))
        intent_obj = ctx.app.render(intent)
        ctx.emit("payment_intent.payment_failed", intent_obj)
        decline.extra["payment_intent"] = intent_obj
        raise decline
    state.update(status="succeeded", amount_received=state["amount"], last_payment_error=None)
    ctx.emit("charge.succeeded", ctx.app.render(charge))
    ctx.emit("payment_intent.succeeded", ctx.app.render(intent))
    payment_id = state.get("_invoice_payment")
    if payment_id:
        invoice_payments.settle(ctx, ctx.store.get("invoice_payment", payment_id, ctx.account), state["amount"])


def charge_of(ctx: Context, intent: Record) -> Record | None:
    """The intent's successful charge, if it has one."""
    charge_id = intent.state.get("latest_charge")
    charge = ctx.store.find("charge", charge_id, ctx.account) if charge_id else None
    return charge if charge is not None and charge.state["status"] == "succeeded" else None


# --- endpoints ----------------------------------------------------------------------------------


def create_payment_intent(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    customer = params.get("customer")
    if customer:
        ctx.store.get("customer", customer, ctx.account, param="customer")
    pm = (
        payment_methods.resolve(ctx, params["payment_method"], "payment_method")
        if params.get("payment_method")
        else None
    )
    record = new_intent(
        ctx,
        amount=params["amount"],
        currency=params["currency"],
        customer=customer,
        description=params.get("description"),
        metadata=merge_metadata({}, params.get("metadata", {})),
    )
    if params.get("allowed_payment_method_types"):
        record.state["allowed_payment_method_types"] = params["allowed_payment_method_types"]
    if pm is not None:
        if pm.state.get("customer") not in (None, customer):
            raise invalid(f"The provided PaymentMethod {pm.id} belongs to another customer.", param="payment_method")
        record.state.update(payment_method=pm.id, status="requires_confirmation")
    if params.get("confirm"):
        if pm is None:
            raise invalid(
                "You cannot confirm this PaymentIntent because it's missing a payment method.",
                param="payment_method",
                code="payment_intent_unexpected_state",
            )
        confirm(ctx, record, pm)
    return ctx.app.render(record)


def confirm_payment_intent(ctx: Context, params: dict[str, Any], intent_id: str) -> dict[str, Any]:
    record = ctx.store.get("payment_intent", intent_id, ctx.account)
    pm_id = params.get("payment_method") or record.state.get("payment_method")
    if not pm_id:
        raise invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            param="payment_method",
            code="payment_intent_unexpected_state",
        )
    confirm(ctx, record, payment_methods.resolve(ctx, pm_id, "payment_method"))
    return ctx.app.render(record)


def retrieve_payment_intent(ctx: Context, params: dict[str, Any], intent_id: str) -> dict[str, Any]:
    return ctx.app.render(ctx.store.get("payment_intent", intent_id, ctx.account))


def retrieve_charge(ctx: Context, params: dict[str, Any], charge_id: str) -> dict[str, Any]:
    return ctx.app.render(ctx.store.get("charge", charge_id, ctx.account))


def list_charges(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    def keep(record: Record) -> bool:
        return all(record.state.get(k) == params[k] for k in ("customer", "payment_intent") if k in params)

    records = (r for r in ctx.store.newest_first("charge", ctx.account) if keep(r))
    return paginate(records, params, url="/v1/charges", item_id=lambda r: r.id, render=ctx.app.render, label="charge")


def routes() -> list[Route]:
    return [
        Route("POST", "/v1/payment_intents", "PaymentIntentCreateParams", create_payment_intent),
        Route("GET", "/v1/payment_intents/{id}", "PaymentIntentRetrieveParams", retrieve_payment_intent),
        Route("POST", "/v1/payment_intents/{id}/confirm", "PaymentIntentConfirmParams", confirm_payment_intent),
        Route("GET", "/v1/charges", "ChargeListParams", list_charges),
        Route("GET", "/v1/charges/{id}", "ChargeRetrieveParams", retrieve_charge),
    ]
