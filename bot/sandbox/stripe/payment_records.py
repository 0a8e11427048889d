"""Payment Records: payments made outside Stripe (cash, a cheque, a bank transfer), reported to it.

``POST /v1/payment_records/report_payment`` records one (amount requested, when it was initiated, the
payment method as ``payment_method_details[type]=custom`` with a display name, the reference as
``processor_details[custom][payment_reference]``, and an ``outcome``); ``invoices.attach_payment`` with
``payment_record`` then credits a guaranteed one to an open invoice as an ``invoice_payment`` of type
``payment_record``: part of what remains (``invoice.updated``), or all of it (``invoice.paid``).
"""

from __future__ import annotations

from typing import Any

from .app import App, Context, Route, renderer
from .objects import fresh, merge_metadata, public
from .protocol import invalid, new_id, paginate
from .store import Record

OUTCOMES = {"guaranteed": "guaranteed_at", "failed": "failed_at", "canceled": "canceled_at"}


@renderer("payment_record")
def render_payment_record(app: App, record: Record) -> dict[str, Any]:
    obj = fresh("payment_record")
    obj.update(public(record.state))
    return obj


def _money(currency: str, value: int) -> dict[str, Any]:
    return {"currency": currency, "value": value}


def _method_details(ctx: Context, details: dict[str, Any]) -> dict[str, Any]:
    """``payment_method_details`` as Stripe keeps it: a Stripe PaymentMethod, or a custom (off-Stripe) method."""
    pm_id = details.get("payment_method")
    kind = details.get("type")
    if pm_id and kind:
        raise invalid(
            "You may only specify one of `payment_method_details[payment_method]` or `payment_method_details[type]`.",
            param="payment_method_details[type]",
        )
    if pm_id:
        pm = ctx.store.get("payment_method", pm_id, ctx.account, param="payment_method_details[payment_method]")
        return {"billing_details": None, "payment_method": pm.id, "type": pm.state["type"]}
    if kind != "custom":
        raise invalid(
            "Missing required param: payment_method_details[type].",
            param="payment_method_details[type]",
            code="parameter_missing",
        )
    custom = details.get("custom") or {}
    if not custom.get("display_name"):
        raise invalid(
            "Missing required param: payment_method_details[custom][display_name].",
            param="payment_method_details[custom][display_name]",
            code="parameter_missing",
        )
    if custom.get("type") and not str(custom["type"]).startswith("cpmt_"):
        # A custom payment method type is one made in the Dashboard (cpmt_…), not free text.
        raise invalid(
            f"No such custom payment method type: '{custom['type']}'",
            param="payment_method_details[custom][type]",
            code="resource_missing",
        )
    billing = details.get("billing_details")
    return {
        "billing_details": _billing_details(billing) if billing else None,
        "custom": {"display_name": custom["display_name"], "type": custom.get("type")},
        "payment_method": None,
        "type": "custom",
    }


def _billing_details(given: dict[str, Any]) -> dict[str, Any]:
    address = given.get("address") or {}
    keys = ("city", "country", "line1", "line2", "postal_code", "state")
    return {
        "address": {k: address.get(k) for k in keys},
        "email": given.get("email"),
        "name": given.get("name"),
        "phone": given.get("phone"),
    }


def _outcome(params: dict[str, Any]) -> tuple[str | None, int | None]:
    outcome = params.get("outcome")
    for name in OUTCOMES:
        if name != outcome and name in params:
            raise invalid(
                f"`{name}` can only be set when `outcome` is `{name}`.",
                param=name,
            )
    if outcome is None:
        return None, None
    if outcome not in OUTCOMES:
        raise invalid(f"Invalid outcome: must be one of {', '.join(OUTCOMES)}", param="outcome")
    stamp = OUTCOMES[outcome]
    at = (params.get(outcome) or {}).get(stamp)
    if at is None:
        raise invalid(
            f"Missing required param: {outcome}[{stamp}].", param=f"{outcome}[{stamp}]", code="parameter_missing"
        )
    if at < params["initiated_at"]:
        raise invalid(f"`{outcome}[{stamp}]` must be on or after `initiated_at`.", param=f"{outcome}[{stamp}]")
    return outcome, at


def report_payment(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    requested = params["amount_requested"]
    currency, value = requested["currency"], requested["value"]
    if value <= 0:
        raise invalid("This value must be greater than or equal to 1.", param="amount_requested[value]")
    if params["initiated_at"] <= 0:
        raise invalid("Invalid timestamp: must be an integer Unix timestamp.", param="initiated_at")
    outcome, _ = _outcome(params)
    details = params.get("customer_details") or {}
    if details.get("customer"):
        ctx.store.get("customer", details["customer"], ctx.account, param="customer_details[customer]")
    processor = params.get("processor_details") or {"type": "custom"}
    reference = (processor.get("custom") or {}).get("payment_reference")
    record_id = new_id("pr_")
    zero = _money(currency, 0)
    state: dict[str, Any] = {
        "id": record_id,
        "amount": _money(currency, value),
        "amount_authorized": _money(currency, value if outcome == "guaranteed" else 0),
        "amount_canceled": _money(currency, value if outcome == "canceled" else 0),
        "amount_failed": _money(currency, value if outcome == "failed" else 0),
        "amount_guaranteed": _money(currency, value if outcome == "guaranteed" else 0),
        "amount_refunded": dict(zero),
        "amount_requested": _money(currency, value),
        "application": None,
        "created": ctx.now(),
        "customer_details": {k: details.get(k) for k in ("customer", "email", "name", "phone")},
        "customer_presence": params.get("customer_presence"),
        "description": params.get("description"),
        # Stripe makes the record's first attempt itself; the attempt records are not served here.
        "latest_payment_attempt_record": new_id("par_"),
        "livemode": False,
        "metadata": merge_metadata({}, params.get("metadata") or {}),
        "payment_method_details": _method_details(ctx, params["payment_method_details"]),
        "processor_details": {
            "custom": {"payment_reference": reference} if reference is not None else None,
            "type": "custom",
        },
        "reported_by": "self",
        "shipping_details": None,
        "_outcome": outcome,
        "_initiated_at": params["initiated_at"],
    }
    record = ctx.store.add("payment_record", record_id, ctx.account, state)
    return ctx.app.render(record)


def retrieve_payment_record(ctx: Context, params: dict[str, Any], record_id: str) -> dict[str, Any]:
    return ctx.app.render(ctx.store.get("payment_record", record_id, ctx.account))


def list_payment_records(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    after, before = params.get("created_after"), params.get("created_before")

    def keep(record: Record) -> bool:
        created = record.state["created"]
        return (after is None or created > after) and (before is None or created < before)

    records = (r for r in ctx.store.newest_first("payment_record", ctx.account) if keep(r))
    return paginate(
        records,
        params,
        url="/v1/payment_records",
        item_id=lambda r: r.id,
        render=ctx.app.render,
        label="payment record",
    )


def check_attachable(ctx: Context, invoice: Record, record: Record) -> None:
    """What Stripe refuses when a payment record is attached to an invoice."""
    state, record_id = record.state, record.id
    if state.get("_invoice_payment"):
        raise invalid(
            f"The PaymentRecord {record_id} is already attached to an invoice.",
            param="payment_record",
            code="resource_already_exists",
        )
    if state["_outcome"] in ("failed", "canceled"):
        raise invalid(
            f"The PaymentRecord {record_id} is {state['_outcome']} and cannot be attached to an invoice.",
            param="payment_record",
        )
    currency = state["amount_requested"]["currency"]
    if currency != invoice.state["currency"]:
        raise invalid(
            f"The PaymentRecord's currency ({currency}) must match the invoice's ({invoice.state['currency']}).",
            param="payment_record",
        )
    customer = state["customer_details"].get("customer")
    if customer not in (None, invoice.state["customer"]):
        raise invalid(
            f"The PaymentRecord {record_id} belongs to another customer than invoice {invoice.id}.",
            param="payment_record",
        )
    remaining = ctx.app.render(invoice)["amount_remaining"]
    if state["amount_requested"]["value"] > remaining:
        raise invalid(
            f"The PaymentRecord's amount ({state['amount_requested']['value']}) is more than the invoice's "
            f"amount_remaining ({remaining}).",
            param="payment_record",
        )


def routes() -> list[Route]:
    return [
        Route("POST", "/v1/payment_records/report_payment", "PaymentRecordReportPaymentParams", report_payment),
        Route("GET", "/v1/payment_records", "PaymentRecordListParams", list_payment_records),
        Route("GET", "/v1/payment_records/{id}", "PaymentRecordRetrieveParams", retrieve_payment_record),
    ]
