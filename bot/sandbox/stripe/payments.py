"""Payments: setup intents and Checkout Sessions (payment methods are payment_methods.py)."""

from __future__ import annotations

from typing import Any

from . import payment_intents
from .app import App, Context, Route, renderer
from .objects import fresh, merge_metadata, public
from .payment_methods import TestCard, attach, card_error, new_payment_method, resolve, test_card
from .protocol import invalid, new_id, paginate
from .store import Record

DAY = 86_400

# --- setup intents ------------------------------------------------------------------------------


@renderer("setup_intent")
def render_setup_intent(app: App, record: Record) -> dict[str, Any]:
    obj = fresh("setup_intent")
    obj.update(metadata={}, payment_method_options={}, automatic_payment_methods=None)
    obj.update(public(record.state))
    return obj


def _method_types(params: dict[str, Any]) -> dict[str, Any]:
    """At this API version callers send ``allowed_payment_method_types`` (the old ``payment_method_types``
    parameter is gone); the object echoes it and lists what Stripe derived in ``payment_method_types``
    (the emulator takes cards only, so: the card when allowed or unrestricted)."""
    allowed = params.get("allowed_payment_method_types")
    return {"allowed_payment_method_types": allowed, "payment_method_types": list(allowed or ["card"])}


def new_setup_intent(ctx: Context, params: dict[str, Any], *, account: str | None = None) -> Record:
    si_id = new_id("seti_")
    if params.get("customer"):
        ctx.store.get("customer", params["customer"], account or ctx.account, param="customer")
    state: dict[str, Any] = {
        "id": si_id,
        "created": ctx.now(),
        "client_secret": f"{si_id}_secret_{new_id('', 32)}",
        "customer": params.get("customer"),
        "description": params.get("description"),
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "payment_method": None,
        **_method_types(params),
        "status": "requires_payment_method",
        "usage": params.get("usage", "off_session"),
        "last_setup_error": None,
    }
    return ctx.store.add("setup_intent", si_id, account or ctx.account, state)


def confirm(ctx: Context, record: Record, pm: Record) -> None:
    state = record.state
    state["payment_method"] = pm.id
    card = test_card(pm)
    if card.declines_on == "attach":
        error = card_error(card)
        state.update(status="requires_payment_method", last_setup_error=error.body()["error"])
        ctx.emit("setup_intent.setup_failed", ctx.app.render(record))
        error.extra["setup_intent"] = ctx.app.render(record)
        raise error
    if state.get("customer"):
        attach(ctx, pm, state["customer"])
    state.update(status="succeeded", last_setup_error=None)
    ctx.emit("setup_intent.succeeded", ctx.app.render(record))


def create_setup_intent(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    record = new_setup_intent(ctx, params)
    pm = resolve(ctx, params["payment_method"], "payment_method") if params.get("payment_method") else None
    if pm is not None:
        record.state.update(payment_method=pm.id, status="requires_confirmation")
    ctx.emit("setup_intent.created", ctx.app.render(record))
    if params.get("confirm"):
        if pm is None:
            raise invalid("A payment method is required to confirm this SetupIntent.", param="payment_method")
        confirm(ctx, record, pm)
    return ctx.app.render(record)


def retrieve_setup_intent(ctx: Context, params: dict[str, Any], si_id: str) -> dict[str, Any]:
    return ctx.app.render(ctx.store.get("setup_intent", si_id, ctx.account))


def confirm_setup_intent(ctx: Context, params: dict[str, Any], si_id: str) -> dict[str, Any]:
    record = ctx.store.get("setup_intent", si_id, ctx.account)
    if record.state["status"] in ("succeeded", "canceled"):
        raise invalid(
            f"You cannot confirm this SetupIntent because it has a status of {record.state['status']}.",
            code="setup_intent_unexpected_state",
        )
    pm_id = params.get("payment_method") or record.state.get("payment_method")
    if not pm_id:
        raise invalid(
            "You cannot confirm this SetupIntent because it's missing a payment method. Update the SetupIntent "
            "with a payment method and then confirm it again.",
            param="payment_method",
        )
    confirm(ctx, record, resolve(ctx, pm_id, "payment_method"))
    return ctx.app.render(record)


# --- checkout sessions --------------------------------------------------------------------------


@renderer("checkout.session")
def render_session(app: App, record: Record) -> dict[str, Any]:
    obj = fresh("checkout.session")
    obj.update(
        metadata={},
        custom_text=dict.fromkeys(("after_submit", "shipping_address", "submit", "terms_of_service_acceptance")),
        payment_method_options={},
        phone_number_collection={"enabled": False},
    )
    obj.update(public(record.state))
    return obj


def _session_lines(params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None, int]:
    lines = []
    currency = None
    total = 0
    for i, item in enumerate(params.get("line_items", [])):
        if item.get("price"):
            raise invalid(f"No such price: '{item['price']}'", param=f"line_items[{i}][price]", code="resource_missing")
        data = item.get("price_data")
        if not data:
            raise invalid(
                f"Missing required param: line_items[{i}][price_data].",
                param=f"line_items[{i}][price_data]",
                code="parameter_missing",
            )
        if "quantity" not in item:
            raise invalid(
                f"Missing required param: line_items[{i}][quantity].",
                param=f"line_items[{i}][quantity]",
                code="parameter_missing",
            )
        if "unit_amount" not in data:
            raise invalid(
                f"Missing required param: line_items[{i}][price_data][unit_amount].",
                param=f"line_items[{i}][price_data][unit_amount]",
                code="parameter_missing",
            )
        line_currency = data["currency"].lower()
        if currency not in (None, line_currency):
            raise invalid("All line items must share one currency.", param=f"line_items[{i}][price_data][currency]")
        currency = line_currency
        amount = data["unit_amount"] * item["quantity"]
        total += amount
        name = (data.get("product_data") or {}).get("name") or data.get("product") or "Item"
        lines.append({"description": name, "amount": amount, "quantity": item["quantity"], "currency": currency})
    return lines, currency, total


def create_session(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    mode = params.get("mode")
    if not mode:
        raise invalid("Missing required param: mode.", param="mode", code="parameter_missing")
    if mode == "subscription":
        raise invalid("The emulator does not serve subscriptions; use mode=payment or mode=setup.", param="mode")
    if params.get("customer"):
        ctx.store.get("customer", params["customer"], ctx.account, param="customer")
    lines, line_currency, total = _session_lines(params)
    if mode == "payment" and not lines:
        raise invalid("`line_items` is required in `payment` mode.", param="line_items")
    if mode == "setup" and lines:
        raise invalid("You can not pass `line_items` in `setup` mode.", param="line_items")
    session_id = new_id("cs_test_", 58)
    now = ctx.now()
    state: dict[str, Any] = {
        "id": session_id,
        "created": now,
        "expires_at": params.get("expires_at", now + DAY),
        "mode": mode,
        "status": "open",
        "payment_status": "unpaid" if mode == "payment" else "no_payment_required",
        "customer": params.get("customer"),
        "customer_email": params.get("customer_email"),
        "client_reference_id": params.get("client_reference_id"),
        "success_url": params.get("success_url"),
        "cancel_url": params.get("cancel_url"),
        "currency": (params.get("currency") or line_currency or None),
        "metadata": merge_metadata({}, params.get("metadata", {})),
        **_method_types(params),
        "url": f"{ctx.app.base_url}/c/pay/{session_id}",
        "locale": params.get("locale"),
        "ui_mode": params.get("ui_mode", "hosted_page"),
        "_lines": lines,
        "_setup_intent_data": params.get("setup_intent_data") or {},
    }
    if mode == "payment":
        state.update(
            amount_subtotal=total,
            amount_total=total,
            total_details={"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        )
    record = ctx.store.add("checkout.session", session_id, ctx.account, state)
    return ctx.app.render(record)


def retrieve_session(ctx: Context, params: dict[str, Any], session_id: str) -> dict[str, Any]:
    return ctx.app.render(ctx.store.get("checkout.session", session_id, ctx.account))


def list_sessions(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    def keep(r: Record) -> bool:
        return all(r.state.get(k) == params[k] for k in ("customer", "status") if k in params)

    records = (r for r in ctx.store.newest_first("checkout.session", ctx.account) if keep(r))
    return paginate(
        records,
        params,
        url="/v1/checkout/sessions",
        item_id=lambda r: r.id,
        render=ctx.app.render,
        label="checkout.session",
    )


def expire_session(ctx: Context, params: dict[str, Any], session_id: str) -> dict[str, Any]:
    record = ctx.store.get("checkout.session", session_id, ctx.account)
    if record.state["status"] != "open":
        raise invalid(
            f"Only Checkout Sessions with a status of `open` can be expired; this one is `{record.state['status']}`."
        )
    record.state.update(status="expired", url=None)
    obj = ctx.app.render(record)
    ctx.emit("checkout.session.expired", obj)
    return obj


def complete_session(ctx: Context, record: Record, card: TestCard, email: str | None) -> None:
    """What Stripe does when the person on the hosted page submits a card that works."""
    state = record.state
    pm = new_payment_method(ctx, card)
    customer_id = state.get("customer")
    if state["mode"] == "setup":
        intent = new_setup_intent(ctx, {"customer": customer_id, **state["_setup_intent_data"]})
        ctx.emit("setup_intent.created", ctx.app.render(intent))
        confirm(ctx, intent, pm)
        state["setup_intent"] = intent.id
    else:
        intent = payment_intents.new_intent(
            ctx, amount=state["amount_total"], currency=state["currency"], customer=customer_id
        )
        payment_intents.confirm(ctx, intent, pm)
        state.update(payment_intent=intent.id, payment_status="paid")
    details = fresh("checkout.session")["customer_details"] or {}
    details.update(
        email=email or state.get("customer_email"),
        name=None,
        phone=None,
        tax_exempt="none",
        tax_ids=[],
        address=None,
        business_name=None,
        individual_name=None,
    )
    state.update(status="complete", url=None, customer_details=details)
    ctx.emit("checkout.session.completed", ctx.app.render(record))


def routes() -> list[Route]:
    return [
        Route("POST", "/v1/setup_intents", "SetupIntentCreateParams", create_setup_intent),
        Route("GET", "/v1/setup_intents/{id}", "SetupIntentRetrieveParams", retrieve_setup_intent),
        Route("POST", "/v1/setup_intents/{id}/confirm", "SetupIntentConfirmParams", confirm_setup_intent),
        Route("POST", "/v1/checkout/sessions", "checkout.SessionCreateParams", create_session),
        Route("GET", "/v1/checkout/sessions", "checkout.SessionListParams", list_sessions),
        Route("GET", "/v1/checkout/sessions/{id}", "checkout.SessionRetrieveParams", retrieve_session),
        Route("POST", "/v1/checkout/sessions/{id}/expire", "checkout.SessionExpireParams", expire_session),
    ]
