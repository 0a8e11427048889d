"""Payment methods: Stripe's test cards and tokens, attached to customers, and how each one behaves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .app import App, Context, Route, renderer
from .objects import fresh, public
from .protocol import StripeError, invalid, new_id, paginate
from .store import Record


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    funding: str = "credit"
    # "attach": declined as soon as it is attached or set up; "charge": attaches, then charges fail.
    declines_on: str | None = None
    decline_code: str = "generic_decline"
    # Charges succeed; a refund of them succeeds at first, then fails (Stripe's asynchronous refund failure).
    refund_fails: bool = False


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
    # https://docs.stripe.com/testing#refunds
    "pm_card_refundFail": TestCard("4000000000005126", "visa", refund_fails=True),
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
    ]
