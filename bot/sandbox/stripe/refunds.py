"""Refunds of a charge (named by itself or by its PaymentIntent), full or partial, and their failures.

A card refund succeeds at once; Stripe's test card 4000 0000 0000 5126 (``pm_card_refundFail``) makes a
refund that starts ``succeeded`` and then fails, as Stripe's asynchronous failures do: ``refund.updated``
and ``refund.failed`` follow ``refund.created``, and the charge gets the money back on its books.
"""

from __future__ import annotations

from typing import Any

from . import payment_methods
from .app import App, Context, Route, renderer
from .money import format_amount
from .objects import changed, fresh, merge_metadata, public
from .protocol import invalid, new_id, paginate
from .store import Record


@renderer("refund")
def render_refund(app: App, record: Record) -> dict[str, Any]:
    obj = fresh("refund")
    obj.update(public(record.state))
    return obj


def refundable(charge: Record) -> int:
    return int(charge.state["amount_captured"]) - int(charge.state["amount_refunded"])


def new_refund(
    ctx: Context,
    charge: Record,
    amount: int | None,
    *,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
    param: str = "amount",
) -> dict[str, Any]:
    """Refund ``amount`` (default: all that is left) of ``charge``; returns the refund as created."""
    left = refundable(charge)
    currency = charge.state["currency"]
    if left <= 0:
        raise invalid(f"Charge {charge.id} has already been refunded.", code="charge_already_refunded")
    amount = left if amount is None else amount
    if amount < 1:
        raise invalid("This value must be greater than or equal to 1.", param=param, code="parameter_invalid_integer")
    if amount > left:
        raise invalid(
            f"Refund amount ({format_amount(amount, currency)}) is greater than unrefunded amount on charge "
            f"({format_amount(left, currency)})",
            param=param,
            code="amount_too_large",
        )
    refund_id = new_id("re_")
    state: dict[str, Any] = {
        "id": refund_id,
        "created": ctx.now(),
        "amount": amount,
        "currency": currency,
        "charge": charge.id,
        "payment_intent": charge.state["payment_intent"],
        "payment_method": charge.state["payment_method"],
        "customer": charge.state["customer"],
        "reason": reason,
        "metadata": metadata or {},
        "status": "succeeded",
        "balance_transaction": new_id("txn_"),
        "failure_reason": None,
        "failure_balance_transaction": None,
    }
    record = ctx.store.add("refund", refund_id, ctx.account, state)
    charge.state["_refunds"].append(refund_id)
    _book(charge, amount)
    created = ctx.app.render(record)
    ctx.emit("refund.created", created)
    ctx.emit("charge.refunded", ctx.app.render(charge))
    if payment_methods.CARDS_BY_NUMBER[charge.state["_card"]].refund_fails:
        _fail(ctx, record, charge)
    return created


def _book(charge: Record, amount: int) -> None:
    charge.state["amount_refunded"] += amount
    charge.state["refunded"] = charge.state["amount_refunded"] >= charge.state["amount_captured"]


def _fail(ctx: Context, record: Record, charge: Record) -> None:
    before = ctx.app.render(record)
    record.state.update(
        status="failed", failure_reason="expired_or_canceled_card", failure_balance_transaction=new_id("txn_")
    )
    _book(charge, -record.state["amount"])
    obj = ctx.app.render(record)
    ctx.emit("refund.updated", obj, changed(before, obj))
    ctx.emit("refund.failed", obj)
    ctx.emit("charge.refund.updated", obj, changed(before, obj))


# --- endpoints ----------------------------------------------------------------------------------


def _charge_for(ctx: Context, params: dict[str, Any]) -> Record:
    if params.get("charge"):
        charge = ctx.store.get("charge", params["charge"], ctx.account, param="charge")
        if params.get("payment_intent") and charge.state["payment_intent"] != params["payment_intent"]:
            raise invalid(
                f"The charge {charge.id} does not belong to PaymentIntent {params['payment_intent']}.",
                param="payment_intent",
            )
    elif params.get("payment_intent"):
        intent = ctx.store.get("payment_intent", params["payment_intent"], ctx.account, param="payment_intent")
        charge_id = intent.state.get("latest_charge")
        found = ctx.store.find("charge", charge_id, ctx.account) if charge_id else None
        if found is None or found.state["status"] != "succeeded":
            raise invalid(
                f"This PaymentIntent ({intent.id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        charge = found
    else:
        raise invalid("One of `charge` or `payment_intent` is required.", code="parameter_missing")
    if charge.state["status"] != "succeeded":
        raise invalid(f"Charge {charge.id} did not succeed; there is nothing to refund.", code="charge_not_refundable")
    return charge


def create_refund(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("origin"):
        raise invalid("Refunds from the customer balance are not emulated.", param="origin")
    charge = _charge_for(ctx, params)
    if params.get("currency") and params["currency"].lower() != charge.state["currency"]:
        raise invalid("The refund's currency must be the charge's.", param="currency")
    if params.get("customer") and params["customer"] != charge.state["customer"]:
        raise invalid("The charge does not belong to this customer.", param="customer")
    return new_refund(
        ctx,
        charge,
        params.get("amount"),
        reason=params.get("reason"),
        metadata=merge_metadata({}, params.get("metadata") or {}),
    )


def retrieve_refund(ctx: Context, params: dict[str, Any], refund_id: str) -> dict[str, Any]:
    return ctx.app.render(ctx.store.get("refund", refund_id, ctx.account))


def update_refund(ctx: Context, params: dict[str, Any], refund_id: str) -> dict[str, Any]:
    record = ctx.store.get("refund", refund_id, ctx.account)
    before = ctx.app.render(record)
    if "metadata" in params:
        record.state["metadata"] = merge_metadata(record.state.get("metadata"), params["metadata"])
    obj = ctx.app.render(record)
    previous = changed(before, obj)
    if previous:
        ctx.emit("refund.updated", obj, previous)
    return obj


def list_refunds(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    def keep(record: Record) -> bool:
        return all(record.state.get(k) == params[k] for k in ("charge", "payment_intent") if k in params)

    records = (r for r in ctx.store.newest_first("refund", ctx.account) if keep(r))
    return paginate(records, params, url="/v1/refunds", item_id=lambda r: r.id, render=ctx.app.render, label="refund")


def routes() -> list[Route]:
    return [
        Route("POST", "/v1/refunds", "RefundCreateParams", create_refund),
        Route("GET", "/v1/refunds", "RefundListParams", list_refunds),
        Route("GET", "/v1/refunds/{id}", "RefundRetrieveParams", retrieve_refund),
        Route("POST", "/v1/refunds/{id}", "RefundUpdateParams", update_refund),
    ]
