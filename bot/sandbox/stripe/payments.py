"""Payments: payment methods (Stripe's test cards and tokens), setup intents and Checkout Sessions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .app import App, Context, Route, renderer
from .objects import fresh, merge_metadata, public
from .protocol import StripeError, invalid, new_id, paginate
from .store import Record

DAY = 86_400


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    funding: str = "credit"
    # "attach": declined as soon as it is attached or set up; "charge": attaches, then charges fail.
    declines_on: str | None = None
    decline_code: str = "generic_decline"


# https://docs.stripe.com/testing#cards and #declined-payments
TEST_CARDS: dict[str, TestCard] = {
    "pm_card_visa": TestCard("4242424242424242", "visa"),
    "pm_card_visa_debit": TestCard("4000056655665556", "visa", "debit"),
    "pm_card_mastercard": TestCard("5555555555554444", "mastercard"),
    "pm_card_amex": TestCard("378282246310005", "amex"),
    "pm_card_chargeDeclined": TestCard("4000000000000002", "visa", declines_on="attach"),
    "pm_card_chargeDeclinedInsufficientFunds": TestCard(
        "4000000000009995", "visa", declines_on="attach", decline_code="insufficient_funds"
    ),
    "pm_card_visa_chargeDeclined": TestCard("4000000000000341", "visa", declines_on="charge"),
}
CARDS_BY_NUMBER = {card.number: card for card in TEST_CARDS.values()}

DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
}


def card_error(card: TestCard, **extra: Any) -> StripeError:
    return StripeError(
        402,
        DECLINE_MESSAGES.get(card.decline_code, "Your card was declined."),
        type="card_error",
        code="card_declined",
        decline_code=card.decline_code,
        **extra,
    )


# --- payment methods ----------------------------------------------------------------------------


@renderer("payment_method")
def render_payment_method(app: App, record: Record) -> dict[str, Any]:
    obj = fresh("payment_method")
    obj.update(public(record.state))
    return obj


def new_payment_method(ctx: Context, card: TestCard, *, account: str | None = None) -> Record:
    pm_id = new_id("pm_")
    shape = fresh("payment_method")
    details = {
        "brand": card.brand,
        "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
        "country": "US",
        "display_brand": card.brand,
        "exp_month": 12,
        "exp_year": 2034,
        "fingerprint": new_id("", 16),
        "funding": card.funding,
        "generated_from": None,
        "last4": card.number[-4:],
        "networks": {"available": [card.brand], "preferred": None},
        "regulated_status": "unregulated",
        "three_d_secure_usage": {"supported": True},
        "wallet": None,
    }
    billing = shape["billing_details"]
    state = {
        "id": pm_id,
        "created": ctx.now(),
        "type": "card",
        "card": details,
        "customer": None,
        "metadata": {},
        "allow_redisplay": "unspecified",
        "billing_details": billing,
        "_card": card.number,
    }
    return ctx.store.add("payment_method", pm_id, account or ctx.account, state)


def resolve(ctx: Context, pm_id: str, param: str) -> Record:
    """A stored payment method, or a fresh one for a test token such as ``pm_card_visa``."""
    card = TEST_CARDS.get(pm_id)
    if card is not None:
        return new_payment_method(ctx, card)
    return ctx.store.get("payment_method", pm_id, ctx.account, param=param)


def test_card(pm: Record) -> TestCard:
    return CARDS_BY_NUMBER[pm.state["_card"]]


def charge_decline(app: App, pm: Record) -> StripeError | None:
    card = test_card(pm)
    if card.declines_on is not None:
        # Stripe's error object carries the whole PaymentMethod that was declined.
        return card_error(card, payment_method=app.render(pm))
    return None


def attach(ctx: Context, pm: Record, customer_id: str) -> None:
    ctx.store.get("customer", customer_id, ctx.account, param="customer")
    current = pm.state.get("customer")
    if current == customer_id:
        return
    if current is not None:
        raise invalid("The payment method you provided has already been attached to a customer.")
    card = test_card(pm)
    if card.declines_on == "attach":
        raise card_error(card, param="")
    pm.state["customer"] = customer_id
    ctx.emit("payment_method.attached", ctx.app.render(pm))


def retrieve_payment_method(ctx: Context, params: dict[str, Any], pm_id: str) -> dict[str, Any]:
    return ctx.app.render(resolve(ctx, pm_id, "payment_method"))


def attach_payment_method(ctx: Context, params: dict[str, Any], pm_id: str) -> dict[str, Any]:
    if not params.get("customer"):
        raise invalid("Missing required param: customer.", param="customer", code="parameter_missing")
    pm = resolve(ctx, pm_id, "payment_method")
    attach(ctx, pm, params["customer"])
    return ctx.app.render(pm)


def detach_payment_method(ctx: Context, params: dict[str, Any], pm_id: str) -> dict[str, Any]:
    pm = ctx.store.get("payment_method", pm_id, ctx.account)
    customer_id = pm.state.get("customer")
    if customer_id is None:
        raise invalid(f"The payment method {pm_id} is not attached to a customer.")
    pm.state["customer"] = None
    customer = ctx.store.find("customer", customer_id, ctx.account)
    if customer is not None and (customer.state.get("invoice_settings") or {}).get("default_payment_method") == pm_id:
        customer.state["invoice_settings"] = dict(customer.state["invoice_settings"], default_payment_method=None)
    obj = ctx.app.render(pm)
    ctx.emit("payment_method.detached", obj, {"customer": customer_id})
    return obj


def _list_payment_methods(ctx: Context, params: dict[str, Any], customer_id: str | None, url: str) -> dict[str, Any]:
    if customer_id:
        ctx.store.get("customer", customer_id, ctx.account, param="customer")
    kind = params.get("type")
    records = (
        r
        for r in ctx.store.newest_first("payment_method", ctx.account)
        if r.state.get("customer") == customer_id and (kind is None or r.state["type"] == kind)
    )
    return paginate(records, params, url=url, item_id=lambda r: r.id, render=ctx.app.render, label="PaymentMethod")


def list_payment_methods(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return _list_payment_methods(ctx, params, params.get("customer"), "/v1/payment_methods")


def list_customer_payment_methods(ctx: Context, params: dict[str, Any], customer_id: str) -> dict[str, Any]:
    return _list_payment_methods(ctx, params, customer_id, f"/v1/customers/{customer_id}/payment_methods")


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
        state.update(payment_intent=new_id("pi_"), payment_status="paid")
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
        Route("GET", "/v1/payment_methods", "PaymentMethodListParams", list_payment_methods),
        Route("GET", "/v1/payment_methods/{id}", "PaymentMethodRetrieveParams", retrieve_payment_method),
        Route("POST", "/v1/payment_methods/{id}/attach", "PaymentMethodAttachParams", attach_payment_method),
        Route("POST", "/v1/payment_methods/{id}/detach", "PaymentMethodDetachParams", detach_payment_method),
        Route(
            "GET",
            "/v1/customers/{id}/payment_methods",
            "CustomerPaymentMethodListParams",
            list_customer_payment_methods,
        ),
        Route("POST", "/v1/setup_intents", "SetupIntentCreateParams", create_setup_intent),
        Route("GET", "/v1/setup_intents/{id}", "SetupIntentRetrieveParams", retrieve_setup_intent),
        Route("POST", "/v1/setup_intents/{id}/confirm", "SetupIntentConfirmParams", confirm_setup_intent),
        Route("POST", "/v1/checkout/sessions", "checkout.SessionCreateParams", create_session),
        Route("GET", "/v1/checkout/sessions", "checkout.SessionListParams", list_sessions),
        Route("GET", "/v1/checkout/sessions/{id}", "checkout.SessionRetrieveParams", retrieve_session),
        Route("POST", "/v1/checkout/sessions/{id}/expire", "checkout.SessionExpireParams", expire_session),
    ]
