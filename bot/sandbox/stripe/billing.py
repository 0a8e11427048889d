"""Billing: customers, tax rates, invoice items and invoices, with Stripe's tax arithmetic."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import invoice_payments, payment_intents, payment_methods, revisions
from .app import App, Context, Route, renderer
from .money import line_taxes
from .objects import changed, fresh, merge_metadata, public
from .protocol import StripeError, invalid, new_id, no_such, paginate
from .store import Record

DAY = 86_400
CUSTOMER_FIELDS = ("address", "description", "email", "name", "phone", "preferred_locales", "shipping", "tax_exempt")


def _rendered_after_update(ctx: Context, event_type: str, record: Any, before: dict[str, Any]) -> dict[str, Any]:
    """The object as it is now, with an ``*.updated`` event when something changed, as Stripe sends."""
    obj = ctx.app.render(record)
    previous = changed(before, obj)
    if previous:
        ctx.emit(event_type, obj, previous)
    return obj


def _created_filter(value: Any, created: int) -> bool:
    if value is None:
        return True
    if isinstance(value, int):
        return created == value
    checks = {"gt": created.__gt__, "gte": created.__ge__, "lt": created.__lt__, "lte": created.__le__}
    return all(checks[op](bound) for op, bound in value.items())


def _list(ctx: Context, kind: str, params: dict[str, Any], url: str, keep: Any = None) -> dict[str, Any]:
    records = (
        r
        for r in ctx.store.newest_first(kind, ctx.account)
        if _created_filter(params.get("created"), r.state.get("created", 0)) and (keep is None or keep(r))
    )
    return paginate(
        records,
        params,
        url=url,
        item_id=lambda r: r.id,
        render=ctx.app.render,
        label=kind.replace("_", " "),
    )


# --- customers ----------------------------------------------------------------------------------


@renderer("customer")
def render_customer(app: App, record: Record) -> dict[str, Any]:
    obj = fresh("customer")
    obj.update(
        balance=0,
        delinquent=False,
        metadata={},
        preferred_locales=[],
        tax_exempt="none",
        next_invoice_sequence=1,
        invoice_settings={
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
    )
    obj.update(public(record.state))
    return obj


def _apply_customer(ctx: Context, state: dict[str, Any], params: dict[str, Any], customer_id: str) -> None:
    for key in CUSTOMER_FIELDS:
        if key in params:
            state[key] = None if params[key] == "" else params[key]
    if "metadata" in params:
        state["metadata"] = merge_metadata(state.get("metadata"), params["metadata"])
    settings = params.get("invoice_settings")
    if settings:
        current = dict(state["invoice_settings"])
        for key in ("custom_fields", "footer", "rendering_options"):
            if key in settings:
                current[key] = None if settings[key] == "" else settings[key]
        if "default_payment_method" in settings:
            pm_id = settings["default_payment_method"]
            if pm_id:
                pm = ctx.store.find("payment_method", pm_id, ctx.account)
                if pm is None or pm.state.get("customer") != customer_id:
                    raise invalid(
                        f"The customer does not have a payment method with the ID {pm_id}. The payment method "
                        "must be attached to the customer.",
                        param="invoice_settings[default_payment_method]",
                    )
            current["default_payment_method"] = pm_id or None
        state["invoice_settings"] = current


def create_customer(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    customer_id = new_id("cus_", 14)
    state: dict[str, Any] = {
        "id": customer_id,
        "created": ctx.now(),
        "metadata": {},
        "invoice_prefix": new_id("", 8).upper(),
        "invoice_settings": {
            "custom_fields": None,
            "default_payment_method": None,
            "footer": None,
            "rendering_options": None,
        },
    }
    record = ctx.store.add("customer", customer_id, ctx.account, state)
    _apply_customer(ctx, state, {k: v for k, v in params.items() if k != "invoice_settings"}, customer_id)
    if params.get("payment_method"):
        pm = payment_methods.resolve(ctx, params["payment_method"], "payment_method")
        payment_methods.attach(ctx, pm, customer_id)
    if params.get("invoice_settings"):
        _apply_customer(ctx, state, {"invoice_settings": params["invoice_settings"]}, customer_id)
    obj = ctx.app.render(record)
    ctx.emit("customer.created", obj)
    return obj


def _deleted_customer(customer_id: str) -> dict[str, Any]:
    deleted = fresh("deleted_customer")
    deleted.update(id=customer_id, deleted=True)
    return deleted


def retrieve_customer(ctx: Context, params: dict[str, Any], customer_id: str) -> dict[str, Any]:
    # A deleted customer still answers, as its stub ({"id", "object", "deleted": true}), as on Stripe.
    if ctx.store.find("customer", customer_id, ctx.account) is None and ctx.store.find(
        "deleted_customer", customer_id, ctx.account
    ):
        return _deleted_customer(customer_id)
    return ctx.app.render(ctx.store.get("customer", customer_id, ctx.account))


def update_customer(ctx: Context, params: dict[str, Any], customer_id: str) -> dict[str, Any]:
    record = ctx.store.get("customer", customer_id, ctx.account)
    before = ctx.app.render(record)
    _apply_customer(ctx, record.state, params, customer_id)
    return _rendered_after_update(ctx, "customer.updated", record, before)


def delete_customer(ctx: Context, params: dict[str, Any], customer_id: str) -> dict[str, Any]:
    record = ctx.store.get("customer", customer_id, ctx.account)
    obj = ctx.app.render(record)
    ctx.store.remove(record)
    # Nothing can use it any more (it is "No such customer" to every request), but retrieve shows it deleted.
    ctx.store.add("deleted_customer", customer_id, ctx.account, {"id": customer_id})
    for pm in ctx.store.newest_first("payment_method", ctx.account):
        if pm.state.get("customer") == customer_id:
            pm.state["customer"] = None
    ctx.emit("customer.deleted", obj)
    return _deleted_customer(customer_id)


def list_customers(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    email = params.get("email")
    return _list(ctx, "customer", params, "/v1/customers", lambda r: email is None or r.state.get("email") == email)


# --- tax rates ----------------------------------------------------------------------------------


@renderer("tax_rate")
def render_tax_rate(app: App, record: Record) -> dict[str, Any]:
    obj = fresh("tax_rate")
    obj.update(metadata={}, rate_type="percentage")
    obj.update(public(record.state))
    obj["effective_percentage"] = obj["percentage"]
    return obj


def create_tax_rate(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    percentage = params["percentage"]
    if not 0 <= percentage <= 100:
        raise invalid("Invalid percentage: must be between 0 and 100.", param="percentage")
    rate_id = new_id("txr_")
    state = {
        "id": rate_id,
        "created": ctx.now(),
        "active": params.get("active", True),
        "display_name": params["display_name"],
        "inclusive": params["inclusive"],
        "percentage": percentage,
        "metadata": merge_metadata({}, params.get("metadata", {})),
    }
    for key in ("country", "description", "jurisdiction", "state", "tax_type"):
        if key in params:
            state[key] = params[key]
    record = ctx.store.add("tax_rate", rate_id, ctx.account, state)
    obj = ctx.app.render(record)
    ctx.emit("tax_rate.created", obj)
    return obj


def retrieve_tax_rate(ctx: Context, params: dict[str, Any], rate_id: str) -> dict[str, Any]:
    return ctx.app.render(ctx.store.get("tax_rate", rate_id, ctx.account))


def update_tax_rate(ctx: Context, params: dict[str, Any], rate_id: str) -> dict[str, Any]:
    record = ctx.store.get("tax_rate", rate_id, ctx.account)
    before = ctx.app.render(record)
    for key, value in params.items():
        if key == "metadata":
            record.state["metadata"] = merge_metadata(record.state.get("metadata"), value)
        elif key != "expand":
            record.state[key] = None if value == "" else value
    return _rendered_after_update(ctx, "tax_rate.updated", record, before)


def list_tax_rates(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    def keep(record: Record) -> bool:
        return all(params[k] == record.state.get(k) for k in ("active", "inclusive") if k in params)

    return _list(ctx, "tax_rate", params, "/v1/tax_rates", keep)


def tax_rate_ids(ctx: Context, ids: list[str], param: str) -> list[str]:
    """The ids, each checked to be a tax rate of this account (a missing one: 400 on its ``param[i]``)."""
    for i, rate_id in enumerate(ids):
        ctx.store.get("tax_rate", rate_id, ctx.account, param=f"{param}[{i}]")
    return ids


def _rendered_rates(app: App, record: Record, ids: list[str]) -> list[dict[str, Any]]:
    rates = []
    for rate_id in ids:
        rate = app.store.find("tax_rate", rate_id, record.account)
        if rate is not None:
            rates.append(app.render(rate))
    return rates


# --- invoice items ------------------------------------------------------------------------------


@renderer("invoiceitem")
def render_invoice_item(app: App, record: Record) -> dict[str, Any]:
    state = record.state
    obj = fresh("invoiceitem")
    obj.update(public(state))
    obj.update(
        date=state["created"],
        discountable=state.get("discountable", True),
        discounts=[],
        proration=False,
        parent=None,
        net_amount=state["amount"],
        quantity_decimal=str(state["quantity"]),
        tax_rates=_rendered_rates(app, record, state.get("tax_rates", [])),
        pricing={
            "type": "price_details",
            "price_details": {"price": state["_price"], "product": state["_product"]},
            "unit_amount_decimal": state["_unit_amount_decimal"],
        },
    )
    del obj["created"]
    return obj


def _item_amount(params: dict[str, Any]) -> tuple[int, int, str, str | None, str | None]:
    """(amount, quantity, unit_amount_decimal, currency from price_data, product) for a new item."""
    quantity = params.get("quantity", 1)
    price_data = params.get("price_data")
    pricing = params.get("pricing")
    if pricing and pricing.get("price"):
        raise no_such("price", pricing["price"], param="pricing[price]")
    sources = [k for k in ("amount", "price_data", "unit_amount_decimal") if k in params]
    if len(sources) > 1:
        raise invalid(
            f"You may only specify one of these parameters: {', '.join(sources)}.",
            param=sources[1],
        )
    if "amount" in params:
        amount = params["amount"]
        if "quantity" in params and quantity != 1:
            raise invalid(
                "When passing `amount`, `quantity` must be 1 (or omitted); use `unit_amount_decimal` "
                "or `price_data` to bill several units.",
                param="quantity",
            )
        return amount, 1, str(amount), None, None
    if price_data:
        if "unit_amount" in price_data:
            unit = Decimal(price_data["unit_amount"])
        elif "unit_amount_decimal" in price_data:
            unit = Decimal(price_data["unit_amount_decimal"])
        else:
            raise invalid(
                "Missing required param: price_data[unit_amount].",
                param="price_data[unit_amount]",
                code="parameter_missing",
            )
        amount = int((unit * quantity).to_integral_value())
        return amount, quantity, _decimal_str(unit), price_data["currency"].lower(), price_data["product"]
    if "unit_amount_decimal" in params:
        unit = Decimal(params["unit_amount_decimal"])
        return int((unit * quantity).to_integral_value()), quantity, _decimal_str(unit), None, None
    raise invalid(
        "You must specify either `amount`, `price_data`, `pricing`, or `unit_amount_decimal`.",
        param="amount",
    )


def _decimal_str(value: Decimal) -> str:
    return format(value.normalize(), "f")


def new_invoice_item(ctx: Context, params: dict[str, Any], *, invoice: Record | None) -> Record:
    amount, quantity, unit_decimal, price_currency, product = _item_amount(params)
    customer_id = params.get("customer") or (invoice.state["customer"] if invoice else None)
    if not customer_id:
        raise invalid("Missing required param: customer.", param="customer", code="parameter_missing")
    customer = ctx.store.get("customer", customer_id, ctx.account, param="customer")
    if invoice is not None and invoice.state["customer"] != customer_id:
        raise invalid(
            f"The invoice {invoice.id} belongs to customer {invoice.state['customer']}, not {customer_id}.",
            param="invoice",
        )
    currency = (
        params.get("currency")
        or price_currency
        or (invoice.state["currency"] if invoice else None)
        or customer.state.get("currency")
        or _account_currency(ctx)
    ).lower()
    if price_currency and price_currency != currency:
        raise invalid("The price_data currency must match the invoice item currency.", param="price_data[currency]")
    if invoice is not None and currency != invoice.state["currency"]:
        raise invalid(
            f"The currency of this invoice item ({currency}) must match the currency of the invoice "
            f"({invoice.state['currency']}).",
            param="currency",
        )
    item_id = new_id("ii_")
    now = ctx.now()
    state: dict[str, Any] = {
        "id": item_id,
        "created": now,
        "amount": amount,
        "currency": currency,
        "customer": customer_id,
        "description": params.get("description"),
        "discountable": params.get("discountable", True),
        "invoice": invoice.id if invoice else None,
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "period": params.get("period") or {"start": now, "end": now},
        "quantity": quantity,
        "tax_rates": tax_rate_ids(ctx, params.get("tax_rates", []), "tax_rates"),
        "_line": new_id("il_"),
        "_unit_amount_decimal": unit_decimal,
        "_price": new_id("price_"),
        "_product": product or new_id("prod_", 14),
    }
    record = ctx.store.add("invoiceitem", item_id, ctx.account, state)
    if invoice is not None:
        invoice.state["_items"].append(item_id)
    ctx.emit("invoiceitem.created", ctx.app.render(record))
    return record


def _draft_invoice(ctx: Context, invoice_id: str, param: str = "invoice") -> Record:
    invoice = ctx.store.get("invoice", invoice_id, ctx.account, param=param)
    if invoice.state["status"] != "draft":
        raise invalid(
            f"Invoice {invoice_id} is no longer editable: only draft invoices can take new items "
            f"(this one is {invoice.state['status']}).",
            param=param,
            code="invoice_not_editable",
        )
    return invoice


def create_invoice_item(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    invoice = _draft_invoice(ctx, params["invoice"]) if params.get("invoice") else None
    return ctx.app.render(new_invoice_item(ctx, params, invoice=invoice))


def retrieve_invoice_item(ctx: Context, params: dict[str, Any], item_id: str) -> dict[str, Any]:
    return ctx.app.render(ctx.store.get("invoiceitem", item_id, ctx.account))


def _editable_item(ctx: Context, item_id: str) -> Record:
    record = ctx.store.get("invoiceitem", item_id, ctx.account)
    invoice_id = record.state.get("invoice")
    if invoice_id:
        invoice = ctx.store.find("invoice", invoice_id, ctx.account)
        if invoice is not None and invoice.state["status"] != "draft":
            raise invalid(
                f"Invoice item {item_id} belongs to invoice {invoice_id}, which is no longer a draft; "
                "it can't be changed.",
                code="invoice_not_editable",
            )
    return record


def update_invoice_item(ctx: Context, params: dict[str, Any], item_id: str) -> dict[str, Any]:
    record = _editable_item(ctx, item_id)
    state = record.state
    if any(k in params for k in ("amount", "price_data", "unit_amount_decimal", "quantity")):
        amount, quantity, unit_decimal, price_currency, product = _item_amount(params)
        if price_currency and price_currency != state["currency"]:
            raise invalid("The price_data currency must match the invoice item currency.", param="price_data")
        state.update(amount=amount, quantity=quantity, _unit_amount_decimal=unit_decimal)
        if product:
            state["_product"] = product
    for key in ("description", "discountable", "period"):
        if key in params:
            state[key] = None if params[key] == "" else params[key]
    if "tax_rates" in params:
        state["tax_rates"] = tax_rate_ids(ctx, params["tax_rates"] or [], "tax_rates")
    if "metadata" in params:
        state["metadata"] = merge_metadata(state.get("metadata"), params["metadata"])
    # Stripe has no invoiceitem.updated event (its event types list invoiceitem.created and .deleted only).
    return ctx.app.render(record)


def delete_invoice_item(ctx: Context, params: dict[str, Any], item_id: str) -> dict[str, Any]:
    record = _editable_item(ctx, item_id)
    obj = ctx.app.render(record)
    invoice_id = record.state.get("invoice")
    if invoice_id:
        invoice = ctx.store.get("invoice", invoice_id, ctx.account)
        invoice.state["_items"].remove(item_id)
    ctx.store.remove(record)
    ctx.emit("invoiceitem.deleted", obj)
    deleted = fresh("deleted_invoiceitem")
    deleted.update(id=item_id, deleted=True)
    return deleted


def list_invoice_items(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    def keep(record: Record) -> bool:
        state = record.state
        if "customer" in params and state["customer"] != params["customer"]:
            return False
        if "invoice" in params and state["invoice"] != params["invoice"]:
            return False
        return not ("pending" in params and (state["invoice"] is None) != params["pending"])

    return _list(ctx, "invoiceitem", params, "/v1/invoiceitems", keep)


# --- invoices -----------------------------------------------------------------------------------


def _account_currency(ctx: Context) -> str:
    account = ctx.store.find("account", ctx.account, ctx.app.platform_account_id)
    return (account.state.get("default_currency") if account else None) or "usd"


def _line(app: App, invoice: Record, item: Record, default_rates: list[str]) -> dict[str, Any]:
    state = item.state
    rate_ids = state.get("tax_rates") or default_rates
    rates: list[tuple[str, Decimal, bool]] = []
    for rate_id in rate_ids:
        rate = app.store.find("tax_rate", rate_id, invoice.account)
        if rate is not None:
            rates.append((rate_id, Decimal(str(rate.state["percentage"])), rate.state["inclusive"]))
    taxes = [
        {
            "amount": tax,
            "tax_behavior": "inclusive" if inclusive else "exclusive",
            "tax_rate_details": {"tax_rate": rate_id},
            "taxability_reason": "standard_rated",
            "taxable_amount": taxable,
            "type": "tax_rate_details",
        }
        for rate_id, tax, taxable, inclusive in line_taxes(state["amount"], rates)
    ]
    line = fresh("line_item")
    line.update(
        id=state["_line"],
        amount=state["amount"],
        currency=state["currency"],
        description=state.get("description"),
        discountable=state.get("discountable", True),
        invoice=invoice.id,
        metadata=state.get("metadata", {}),
        period=state["period"],
        quantity=state["quantity"],
        quantity_decimal=str(state["quantity"]),
        subtotal=state["amount"],
        taxes=taxes,
        pretax_credit_amounts=[],
        parent={
            "type": "invoice_item_details",
            "invoice_item_details": {
                "invoice_item": item.id,
                "proration": False,
                "proration_details": {"credited_items": None},
                "subscription": None,
            },
            "subscription_item_details": None,
        },
        pricing={
            "type": "price_details",
            "price_details": {"price": state["_price"], "product": state["_product"]},
            "unit_amount_decimal": state["_unit_amount_decimal"],
        },
    )
    return line


def invoice_lines(app: App, invoice: Record) -> list[dict[str, Any]]:
    default_rates = invoice.state.get("default_tax_rates", [])
    lines = []
    for item_id in invoice.state["_items"]:
        item = app.store.find("invoiceitem", item_id, invoice.account)
        if item is not None:
            lines.append(_line(app, invoice, item, default_rates))
    return lines


def invoice_totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    subtotal = sum(line["amount"] for line in lines)
    inclusive_tax = exclusive_tax = 0
    per_rate: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines:
        for tax in line["taxes"]:
            if tax["tax_behavior"] == "inclusive":
                inclusive_tax += tax["amount"]
            else:
                exclusive_tax += tax["amount"]
            key = (tax["tax_rate_details"]["tax_rate"], tax["tax_behavior"])
            if key in per_rate:
                per_rate[key]["amount"] += tax["amount"]
                per_rate[key]["taxable_amount"] += tax["taxable_amount"]
            else:
                per_rate[key] = dict(tax, tax_rate_details=dict(tax["tax_rate_details"]))
    total = subtotal + exclusive_tax
    return {
        "subtotal": subtotal,
        "subtotal_excluding_tax": subtotal - inclusive_tax,
        "total_excluding_tax": subtotal - inclusive_tax,
        "total": total,
        "total_taxes": list(per_rate.values()),
    }


@renderer("invoice")
def render_invoice(app: App, record: Record) -> dict[str, Any]:
    state = record.state
    lines = invoice_lines(app, record)
    totals = invoice_totals(lines)
    obj = fresh("invoice")
    obj.update(public(state))
    obj.update(totals)
    customer = app.store.find("customer", state["customer"], record.account)
    snapshot = state.get("_customer_snapshot") or (customer.state if customer else {})
    # Stripe's arithmetic: credit notes issued before payment lower what is due; after payment they don't.
    pre_credit = state.get("_pre_payment_credit", 0)
    applied = state.get("_balance_applied", 0)
    amount_due = max(totals["total"] - pre_credit + applied, 0)
    account = app.store.objects.get(record.account)
    obj.update(
        account_country=(account.state.get("country") if account else None) or "US",
        account_name=((account.state.get("business_profile") or {}).get("name") if account else None),
        amount_due=amount_due,
        amount_remaining=0 if state["status"] in ("paid", "void") else max(amount_due - state["amount_paid"], 0),
        amount_overpaid=max(state["amount_paid"] - amount_due, 0),
        amount_paid_off_stripe=state.get("_paid_off_stripe", 0),
        pre_payment_credit_notes_amount=pre_credit,
        post_payment_credit_notes_amount=state.get("_post_payment_credit", 0),
        starting_balance=state.get("_starting_balance", 0),
        ending_balance=state["_starting_balance"] - applied if "_starting_balance" in state else None,
        billing_reason="manual",
        customer_email=snapshot.get("email"),
        customer_name=snapshot.get("name"),
        customer_phone=snapshot.get("phone"),
        customer_address=snapshot.get("address"),
        customer_shipping=snapshot.get("shipping"),
        customer_tax_exempt=snapshot.get("tax_exempt") or "none",
        customer_tax_ids=[],
        default_tax_rates=_rendered_rates(app, record, state.get("default_tax_rates", [])),
        issuer={"type": "self"},
        lines={
            "object": "list",
            "data": lines[:10],
            "has_more": len(lines) > 10,
            "url": f"/v1/invoices/{record.id}/lines",
        },
        period_start=state["created"],
        period_end=state["created"],
        total_discount_amounts=[],
        total_pretax_credit_amounts=[],
        webhooks_delivered_at=state["created"],
        payment_settings={"default_mandate": None, "payment_method_options": None, "payment_method_types": None},
        rendering={
            "amount_tax_display": None,
            "pdf": {"page_size": "auto"},
            "template": None,
            "template_version": None,
        },
    )
    return obj


def create_invoice(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    params, original = revisions.revision_params(ctx, params)
    customer_id = params.get("customer")
    if not customer_id:
        raise invalid("Missing required param: customer.", param="customer", code="parameter_missing")
    customer = ctx.store.get("customer", customer_id, ctx.account, param="customer")
    method = params.get("collection_method", "charge_automatically")
    now = ctx.now()
    due_date = params.get("due_date")
    days = params.get("days_until_due")
    if method == "send_invoice":
        if due_date is None and days is None:
            raise invalid(
                "Invoices with `collection_method=send_invoice` require either `days_until_due` or `due_date`.",
                param="days_until_due",
            )
        if due_date is not None and days is not None:
            raise invalid("You may only specify one of these parameters: days_until_due, due_date.", param="due_date")
    elif due_date is not None or days is not None:
        param = "due_date" if due_date is not None else "days_until_due"
        raise invalid(
            f"`{param}` can only be set when `collection_method` is `send_invoice`.",
            param=param,
        )
    if params.get("default_payment_method"):
        # A test token (pm_card_visa) becomes a payment method of its own, as Stripe makes it.
        pm = payment_methods.resolve(ctx, params["default_payment_method"], "default_payment_method")
        params = {**params, "default_payment_method": pm.id}
    invoice_id = new_id("in_")
    currency = (params.get("currency") or customer.state.get("currency") or _account_currency(ctx)).lower()
    state: dict[str, Any] = {
        "id": invoice_id,
        "created": now,
        "customer": customer_id,
        "currency": currency,
        "status": "draft",
        "auto_advance": params.get("auto_advance", False),
        "collection_method": method,
        "description": params.get("description"),
        "footer": params.get("footer") or (customer.state.get("invoice_settings") or {}).get("footer"),
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "default_payment_method": params.get("default_payment_method"),
        "default_tax_rates": tax_rate_ids(ctx, params.get("default_tax_rates", []), "default_tax_rates"),
        "due_date": due_date if due_date is not None else (now + days * DAY if days is not None else None),
        "amount_paid": 0,
        "attempt_count": 0,
        "attempted": False,
        "status_transitions": {
            "finalized_at": None,
            "marked_uncollectible_at": None,
            "paid_at": None,
            "voided_at": None,
        },
        "statement_descriptor": params.get("statement_descriptor"),
        "_days_until_due": days,
        "_items": [],
    }
    if params.get("custom_fields"):
        state["custom_fields"] = params["custom_fields"]
    record = ctx.store.add("invoice", invoice_id, ctx.account, state)
    if original is not None:
        revisions.clone_items(ctx, original, record)
    if params.get("pending_invoice_items_behavior") == "include":
        # Oldest pending item first, as they appear on Stripe's invoice.
        pending = [
            item
            for item in ctx.store.newest_first("invoiceitem", ctx.account)
            if item.state["customer"] == customer_id
            and item.state["invoice"] is None
            and item.state["currency"] == currency
        ]
        for item in reversed(pending):
            item.state["invoice"] = invoice_id
            state["_items"].append(item.id)
    obj = ctx.app.render(record)
    ctx.emit("invoice.created", obj)
    return obj


def retrieve_invoice(ctx: Context, params: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    return ctx.app.render(ctx.store.get("invoice", invoice_id, ctx.account))


# What Stripe still lets you change once an invoice is finalized.
FINALIZED_EDITABLE = frozenset(
    {"metadata", "description", "footer", "auto_advance", "default_payment_method", "expand"}
)


def update_invoice(ctx: Context, params: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    record = ctx.store.get("invoice", invoice_id, ctx.account)
    state = record.state
    if state["status"] != "draft":
        locked = sorted(set(params) - FINALIZED_EDITABLE)
        if locked or (state["status"] in ("paid", "void") and set(params) - {"metadata", "expand"}):
            raise invalid(
                f"Finalized invoices can't be updated in this way (status: {state['status']}).",
                param=(locked or sorted(params))[0],
                code="invoice_not_editable",
            )
    before = ctx.app.render(record)
    for key in ("description", "footer", "default_payment_method", "statement_descriptor"):
        if key in params:
            state[key] = params[key] or None  # "" unsets
    if "auto_advance" in params:
        state["auto_advance"] = params["auto_advance"]
    if "metadata" in params:
        state["metadata"] = merge_metadata(state.get("metadata"), params["metadata"])
    if "default_tax_rates" in params:
        state["default_tax_rates"] = tax_rate_ids(ctx, params["default_tax_rates"] or [], "default_tax_rates")
    if "collection_method" in params:
        state["collection_method"] = params["collection_method"]
    if "days_until_due" in params:
        state["_days_until_due"] = params["days_until_due"]
        state["due_date"] = state["created"] + params["days_until_due"] * DAY
    if "due_date" in params:
        state["due_date"] = params["due_date"] or None
    if state["collection_method"] == "charge_automatically":
        state["due_date"] = None
    elif state["due_date"] is None:
        raise invalid(
            "Invoices with `collection_method=send_invoice` require either `days_until_due` or `due_date`.",
            param="days_until_due",
        )
    if "custom_fields" in params:
        state["custom_fields"] = params["custom_fields"] or None
    return _rendered_after_update(ctx, "invoice.updated", record, before)


def delete_invoice(ctx: Context, params: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    record = ctx.store.get("invoice", invoice_id, ctx.account)
    if record.state["status"] != "draft":
        raise invalid(
            f"You can only delete draft invoices. This invoice ({invoice_id}) is {record.state['status']}; "
            "void it instead.",
        )
    obj = ctx.app.render(record)
    for item_id in record.state["_items"]:
        item = ctx.store.find("invoiceitem", item_id, ctx.account)
        if item is not None:
            ctx.store.remove(item)
    ctx.store.remove(record)
    ctx.emit("invoice.deleted", obj)
    deleted = fresh("deleted_invoice")
    deleted.update(id=invoice_id, deleted=True)
    return deleted


def list_invoices(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    def keep(record: Record) -> bool:
        return all(record.state.get(k) == params[k] for k in ("customer", "status", "collection_method") if k in params)

    return _list(ctx, "invoice", params, "/v1/invoices", keep)


def list_invoice_lines(ctx: Context, params: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    record = ctx.store.get("invoice", invoice_id, ctx.account)
    # Lines read top to bottom, oldest first, unlike other lists.
    lines = invoice_lines(ctx.app, record)
    return paginate(
        lines,
        params,
        url=f"/v1/invoices/{invoice_id}/lines",
        item_id=lambda line: line["id"],
        render=lambda line: line,
        label="line item",
    )


def add_lines(ctx: Context, params: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    record = _draft_invoice(ctx, invoice_id, param="invoice")
    for i, line in enumerate(params["lines"]):
        if line.get("invoice_item"):
            item = ctx.store.get("invoiceitem", line["invoice_item"], ctx.account, param=f"lines[{i}][invoice_item]")
            if item.state["invoice"] not in (None, invoice_id):
                raise invalid(
                    f"Invoice item {item.id} already belongs to invoice {item.state['invoice']}.",
                    param=f"lines[{i}][invoice_item]",
                )
            if item.state["invoice"] is None:
                item.state["invoice"] = invoice_id
                record.state["_items"].append(item.id)
            continue
        item_params = {
            k: v
            for k, v in line.items()
            if k
            in ("amount", "description", "discountable", "metadata", "period", "price_data", "quantity", "tax_rates")
        }
        if "price_data" in item_params and "product_data" in item_params["price_data"]:
            item_params["price_data"] = dict(item_params["price_data"], product=new_id("prod_", 14))
        new_invoice_item(ctx, item_params, invoice=record)
    obj = ctx.app.render(record)
    ctx.emit("invoice.updated", obj)
    return obj


def finalize(ctx: Context, record: Record) -> None:
    state = record.state
    now = ctx.now()
    numbering = ctx.store.bucket("invoice_numbering").setdefault(
        ctx.account, {"prefix": new_id("", 8).upper(), "next": 1}
    )
    customer = ctx.store.find("customer", state["customer"], ctx.account)
    revision_number = revisions.revision_number(ctx, record)
    state.update(
        status="open",
        number=revision_number or f"{numbering['prefix']}-{numbering['next']:04d}",
        effective_at=now,
        hosted_invoice_url=f"{ctx.app.base_url}/i/{record.id}",
        invoice_pdf=f"{ctx.app.base_url}/i/{record.id}/pdf",
        status_transitions=dict(state["status_transitions"], finalized_at=now),
        _customer_snapshot=public(customer.state) if customer else {},
    )
    if revision_number is None:
        numbering["next"] += 1
    _apply_customer_balance(ctx, record, customer)
    if state["collection_method"] == "send_invoice" and state.get("_days_until_due") is not None:
        state["due_date"] = now + state["_days_until_due"] * DAY
    finalized = ctx.app.render(record)
    ctx.emit("invoice.finalized", finalized)
    if revision_number is not None:
        revisions.retire_original(ctx, record)
    if finalized["amount_due"] <= 0:
        # Stripe settles an invoice with nothing due (zero, or covered by the customer's credit) at once.
        invoice_payments.mark_paid(ctx, record)


def _apply_customer_balance(ctx: Context, record: Record, customer: Record | None) -> None:
    """Stripe's customer balance at finalization: credit (negative) pays toward the invoice, debt adds to it."""
    balance = int(customer.state.get("balance", 0)) if customer else 0
    total = invoice_totals(invoice_lines(ctx.app, record))["total"]
    applied = max(balance, -total) if balance < 0 else balance
    record.state.update(_starting_balance=balance, _balance_applied=applied)
    if customer is not None and applied:
        customer.state["balance"] = balance - applied


def finalize_invoice(ctx: Context, params: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    record = ctx.store.get("invoice", invoice_id, ctx.account)
    if record.state["status"] != "draft":
        raise invalid("This invoice is already finalized, you can't re-finalize a non-draft invoice.")
    if "auto_advance" in params:
        record.state["auto_advance"] = params["auto_advance"]
    finalize(ctx, record)
    return ctx.app.render(record)


def send_invoice(ctx: Context, params: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    record = ctx.store.get("invoice", invoice_id, ctx.account)
    if record.state["collection_method"] != "send_invoice":
        raise invalid("You can only manually send an invoice if its collection method is 'send_invoice'.")
    if record.state["status"] == "draft":
        finalize(ctx, record)
    if record.state["status"] not in ("open", "paid", "uncollectible"):
        raise invalid(f"You can't send an invoice whose status is '{record.state['status']}'.")
    obj = ctx.app.render(record)
    ctx.emit("invoice.sent", obj)
    return obj


def pay_invoice(ctx: Context, params: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    record = ctx.store.get("invoice", invoice_id, ctx.account)
    state = record.state
    status = state["status"]
    if status == "draft":
        raise invalid("You can't pay a draft invoice. Finalize it first, then pay it.")
    if status == "paid":
        raise invalid("Invoice is already paid")
    if status == "void":
        raise invalid("This invoice can't be paid because it has been voided.")
    due = ctx.app.render(record)["amount_remaining"]
    if params.get("paid_out_of_band"):
        invoice_payments.credit(ctx, record, due, off_stripe=True)
        return ctx.app.render(record)
    pm = None
    if params.get("payment_method"):
        pm = payment_methods.resolve(ctx, params["payment_method"], "payment_method")
        if pm.state.get("customer") is None:
            payment_methods.attach(ctx, pm, state["customer"])
    else:
        customer = ctx.store.find("customer", state["customer"], ctx.account)
        pm_id = state.get("default_payment_method") or (
            (customer.state.get("invoice_settings") or {}).get("default_payment_method") if customer else None
        )
        pm = ctx.store.find("payment_method", pm_id, ctx.account) if pm_id else None
    if pm is None:
        raise invalid(
            "This customer has no attached payment source or default payment method. Please consider adding "
            "a default payment method. For more information, visit "
            "https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.",
        )
    return charge_invoice(ctx, record, pm, due)


def charge_invoice(ctx: Context, record: Record, pm: Record, due: int) -> dict[str, Any]:
    """Stripe's own attempt: its default invoice payment's PaymentIntent (reused on retries) for what is due."""
    state = record.state
    state["attempt_count"] += 1
    state["attempted"] = True
    payment = invoice_payments.default_payment(ctx, record)
    if payment is None:
        intent = payment_intents.new_intent(
            ctx,
            amount=due,
            currency=state["currency"],
            customer=state["customer"],
            description=f"Payment for Invoice {state.get('number')}",
        )
        payment = invoice_payments.add_payment(ctx, record, intent, is_default=True)
    else:
        intent = ctx.store.get("payment_intent", payment.state["payment"]["payment_intent"], ctx.account)
    try:
        payment_intents.confirm(ctx, intent, pm)
    except StripeError:
        ctx.emit("invoice.payment_failed", ctx.app.render(record))
        raise
    return ctx.app.render(record)


def void_invoice(ctx: Context, params: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    record = ctx.store.get("invoice", invoice_id, ctx.account)
    if record.state["status"] not in ("open", "uncollectible"):
        raise invalid(
            f"You can only void an open or uncollectible invoice; this invoice is '{record.state['status']}'."
        )
    state = record.state
    state.update(status="void", status_transitions=dict(state["status_transitions"], voided_at=ctx.now()))
    customer = ctx.store.find("customer", state["customer"], ctx.account)
    if customer is not None and state.get("_balance_applied"):
        # What the invoice took from (or added to) the customer's balance goes back to it.
        customer.state["balance"] = int(customer.state.get("balance", 0)) + state["_balance_applied"]
    obj = ctx.app.render(record)
    ctx.emit("invoice.voided", obj)
    return obj


def mark_uncollectible(ctx: Context, params: dict[str, Any], invoice_id: str) -> dict[str, Any]:
    record = ctx.store.get("invoice", invoice_id, ctx.account)
    if record.state["status"] != "open":
        raise invalid(
            f"You can only mark an open invoice as uncollectible; this invoice is '{record.state['status']}'."
        )
    state = record.state
    state.update(
        status="uncollectible",
        status_transitions=dict(state["status_transitions"], marked_uncollectible_at=ctx.now()),
    )
    obj = ctx.app.render(record)
    ctx.emit("invoice.marked_uncollectible", obj)
    return obj


def routes() -> list[Route]:
    return [
        Route("POST", "/v1/customers", "CustomerCreateParams", create_customer),
        Route("GET", "/v1/customers", "CustomerListParams", list_customers),
        Route("GET", "/v1/customers/{id}", "CustomerRetrieveParams", retrieve_customer),
        Route("POST", "/v1/customers/{id}", "CustomerUpdateParams", update_customer),
        Route("DELETE", "/v1/customers/{id}", "CustomerDeleteParams", delete_customer),
        Route("POST", "/v1/tax_rates", "TaxRateCreateParams", create_tax_rate),
        Route("GET", "/v1/tax_rates", "TaxRateListParams", list_tax_rates),
        Route("GET", "/v1/tax_rates/{id}", "TaxRateRetrieveParams", retrieve_tax_rate),
        Route("POST", "/v1/tax_rates/{id}", "TaxRateUpdateParams", update_tax_rate),
        Route("POST", "/v1/invoiceitems", "InvoiceItemCreateParams", create_invoice_item),
        Route("GET", "/v1/invoiceitems", "InvoiceItemListParams", list_invoice_items),
        Route("GET", "/v1/invoiceitems/{id}", "InvoiceItemRetrieveParams", retrieve_invoice_item),
        Route("POST", "/v1/invoiceitems/{id}", "InvoiceItemUpdateParams", update_invoice_item),
        Route("DELETE", "/v1/invoiceitems/{id}", "InvoiceItemDeleteParams", delete_invoice_item),
        Route("POST", "/v1/invoices", "InvoiceCreateParams", create_invoice),
        Route("GET", "/v1/invoices", "InvoiceListParams", list_invoices),
        Route("GET", "/v1/invoices/{id}", "InvoiceRetrieveParams", retrieve_invoice),
        Route("POST", "/v1/invoices/{id}", "InvoiceUpdateParams", update_invoice),
        Route("DELETE", "/v1/invoices/{id}", "InvoiceDeleteParams", delete_invoice),
        Route("GET", "/v1/invoices/{id}/lines", "InvoiceLineItemListParams", list_invoice_lines),
        Route("POST", "/v1/invoices/{id}/add_lines", "InvoiceAddLinesParams", add_lines),
        Route("POST", "/v1/invoices/{id}/finalize", "InvoiceFinalizeInvoiceParams", finalize_invoice),
        Route("POST", "/v1/invoices/{id}/send", "InvoiceSendInvoiceParams", send_invoice),
        Route("POST", "/v1/invoices/{id}/pay", "InvoicePayParams", pay_invoice),
        Route("POST", "/v1/invoices/{id}/void", "InvoiceVoidInvoiceParams", void_invoice),
        Route("POST", "/v1/invoices/{id}/mark_uncollectible", "InvoiceMarkUncollectibleParams", mark_uncollectible),
    ]
