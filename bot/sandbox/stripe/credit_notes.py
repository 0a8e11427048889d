"""Credit notes: lowering a finalized invoice, before payment (what is due) or after it (refund, credit, out of band).

Stripe's arithmetic: the part of a credit note up to the invoice's ``amount_remaining`` is ``pre_payment``
(the invoice's ``pre_payment_credit_notes_amount`` grows and ``amount_due`` / ``amount_remaining`` shrink;
an open invoice credited down to nothing is paid); the rest is ``post_payment``, at most what was paid and
not yet credited, and must be accounted for exactly by ``refund_amount`` (a refund of the invoice's payment),
``credit_amount`` (the customer's balance), ``out_of_band_amount`` (money given back outside Stripe) and
linked ``refunds``; with none of them, it goes to the customer's balance. Taxes are those of the credited
invoice line (or the custom line's ``tax_rates``), rounded per line as on the invoice.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from . import billing, invoice_payments, payment_intents, refunds
from .app import App, Context, Route, renderer
from .money import line_taxes, round_half_up
from .objects import changed, fresh, merge_metadata, public
from .protocol import invalid, list_object, new_id, paginate
from .store import Record

POST_PAYMENT_SOURCES = ("refund_amount", "credit_amount", "out_of_band_amount")


@renderer("credit_note")
def render_credit_note(app: App, record: Record) -> dict[str, Any]:
    obj = fresh("credit_note")
    obj.update(public(record.state))
    lines = [_render_line(app, record, line) for line in record.state["_lines"]]
    obj["lines"] = list_object(f"/v1/credit_notes/{record.id}/lines", lines[:10], len(lines) > 10)
    return obj


def _render_line(app: App, record: Record, line: dict[str, Any]) -> dict[str, Any]:
    obj = fresh("credit_note_line_item")
    obj.update(public(line))
    rates = [app.store.find("tax_rate", rid, record.account) for rid in line["_tax_rates"]]
    obj["tax_rates"] = [app.render(rate) for rate in rates if rate is not None]
    return obj


# --- building one (create and preview share it) --------------------------------------------------


def _finalized_invoice(ctx: Context, invoice_id: str) -> Record:
    invoice = ctx.store.get("invoice", invoice_id, ctx.account, param="invoice")
    status = invoice.state["status"]
    if status not in ("open", "paid", "uncollectible"):
        raise invalid(
            f"You can only create a credit note for an open, paid or uncollectible invoice; {invoice_id} is {status}.",
            param="invoice",
            code="invoice_not_editable" if status == "draft" else None,
        )
    return invoice


def _rates_of(app: App, account: str, ids: list[str]) -> list[tuple[str, Decimal, bool]]:
    rates = []
    for rate_id in ids:
        rate = app.store.find("tax_rate", rate_id, account)
        if rate is not None:
            rates.append((rate_id, Decimal(str(rate.state["percentage"])), bool(rate.state["inclusive"])))
    return rates


def _taxed_line(ctx: Context, fields: dict[str, Any], amount: int, rate_ids: list[str]) -> dict[str, Any]:
    taxes = [
        {
            "amount": tax,
            "tax_behavior": "inclusive" if inclusive else "exclusive",
            "tax_rate_details": {"tax_rate": rate_id},
            "taxability_reason": "standard_rated",
            "taxable_amount": taxable,
            "type": "tax_rate_details",
        }
        for rate_id, tax, taxable, inclusive in line_taxes(amount, _rates_of(ctx.app, ctx.account, rate_ids))
    ]
    return {
        "id": new_id("cnli_"),
        "amount": amount,
        "discount_amount": 0,
        "discount_amounts": [],
        "pretax_credit_amounts": [],
        "taxes": taxes,
        "_tax_rates": rate_ids,
        **fields,
    }


def _invoice_line(ctx: Context, invoice: Record, spec: dict[str, Any], param: str) -> dict[str, Any]:
    line_id = spec.get("invoice_line_item")
    if not line_id:
        raise invalid(
            f"Missing required param: {param}[invoice_line_item].",
            param=f"{param}[invoice_line_item]",
            code="parameter_missing",
        )
    lines = {line["id"]: line for line in billing.invoice_lines(ctx.app, invoice)}
    line = lines.get(line_id)
    if line is None:
        raise invalid(
            f"No such invoice line item: '{line_id}'", param=f"{param}[invoice_line_item]", code="resource_missing"
        )
    credited = invoice.state.get("_credited_lines", {}).get(line_id, 0)
    if "amount" in spec:
        amount = spec["amount"]
    elif "quantity" in spec:
        amount = round_half_up(Decimal(line["amount"]) * spec["quantity"] / max(line["quantity"] or 1, 1))
    else:
        amount = line["amount"] - credited
    if amount < 1 or amount > line["amount"] - credited:
        raise invalid(
            f"The amount to credit on line {line_id} must be between 1 and {line['amount'] - credited}, what is "
            "left of it uncredited.",
            param=f"{param}[amount]",
        )
    rate_ids = [tax["tax_rate_details"]["tax_rate"] for tax in line["taxes"]]
    fields = {
        "type": "invoice_line_item",
        "invoice_line_item": line_id,
        "description": line["description"],
        "quantity": spec.get("quantity", line["quantity"]),
        "unit_amount": None,
        "unit_amount_decimal": None,
        "metadata": spec.get("metadata", {}),
    }
    return _taxed_line(ctx, fields, amount, rate_ids)


def _custom_line(ctx: Context, spec: dict[str, Any], param: str) -> dict[str, Any]:
    quantity = spec.get("quantity", 1)
    if "unit_amount" in spec and "unit_amount_decimal" in spec:
        raise invalid(
            "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
            param=f"{param}[unit_amount_decimal]",
        )
    if "unit_amount_decimal" in spec:
        unit = Decimal(spec["unit_amount_decimal"])
    elif "unit_amount" in spec:
        unit = Decimal(spec["unit_amount"])
    else:
        raise invalid(
            f"Missing required param: {param}[unit_amount].", param=f"{param}[unit_amount]", code="parameter_missing"
        )
    if not spec.get("description"):
        raise invalid(
            f"Missing required param: {param}[description].", param=f"{param}[description]", code="parameter_missing"
        )
    rate_ids = billing.tax_rate_ids(ctx, spec.get("tax_rates") or [], f"{param}[tax_rates]")
    fields = {
        "type": "custom_line_item",
        "invoice_line_item": None,
        "description": spec["description"],
        "quantity": quantity,
        "unit_amount": int(unit) if unit == unit.to_integral_value() else None,
        "unit_amount_decimal": format(unit.normalize(), "f"),
        "metadata": spec.get("metadata", {}),
    }
    return _taxed_line(ctx, fields, round_half_up(unit * quantity), rate_ids)


def _lines(ctx: Context, invoice: Record, params: dict[str, Any]) -> list[dict[str, Any]]:
    if "amount" in params and "lines" in params:
        raise invalid("You may only specify one of these parameters: amount, lines.", param="lines")
    if "lines" in params:
        built = []
        for i, spec in enumerate(params["lines"]):
            param = f"lines[{i}]"
            if spec["type"] == "invoice_line_item":
                built.append(_invoice_line(ctx, invoice, spec, param))
            else:
                built.append(_custom_line(ctx, spec, param))
        if not built:
            raise invalid("A credit note needs at least one line.", param="lines")
        return built
    if "amount" not in params:
        raise invalid(
            "One of `amount`, `lines`, or `shipping_cost` must be provided.", param="amount", code="parameter_missing"
        )
    if params["amount"] < 1:
        raise invalid(
            "This value must be greater than or equal to 1.", param="amount", code="parameter_invalid_integer"
        )
    # A lump sum: one untaxed line for the whole amount.
    fields = {
        "type": "custom_line_item",
        "invoice_line_item": None,
        "description": params.get("memo") or "Credit",
        "quantity": 1,
        "unit_amount": params["amount"],
        "unit_amount_decimal": str(params["amount"]),
        "metadata": {},
    }
    return [_taxed_line(ctx, fields, params["amount"], [])]


def _totals(lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The credit note's amounts, summed as billing sums an invoice's."""
    totals = billing.invoice_totals(lines)
    return {
        "subtotal": totals["subtotal"],
        "subtotal_excluding_tax": totals["subtotal_excluding_tax"],
        "total_excluding_tax": totals["total_excluding_tax"],
        "total": totals["total"],
        "amount": totals["total"],
        "total_taxes": totals["total_taxes"],
    }


def _linked_refunds(ctx: Context, invoice: Record, params: dict[str, Any]) -> list[dict[str, Any]]:
    linked = []
    for i, spec in enumerate(params.get("refunds") or []):
        param = f"refunds[{i}]"
        if spec.get("type", "refund") != "refund" or not spec.get("refund"):
            raise invalid("Only refunds of type `refund` can be linked in the emulator.", param=f"{param}[type]")
        refund = ctx.store.get("refund", spec["refund"], ctx.account, param=f"{param}[refund]")
        if refund.state["payment_intent"] not in _intents_of(ctx, invoice):
            raise invalid(
                f"The refund {refund.id} is not a refund of this invoice's payments.", param=f"{param}[refund]"
            )
        amount = spec.get("amount_refunded", refund.state["amount"])
        linked.append({"amount_refunded": amount, "payment_record_refund": None, "refund": refund.id, "type": "refund"})
    return linked


def _intents_of(ctx: Context, invoice: Record) -> list[str]:
    intents = []
    for payment_id in invoice.state.get("_payments", []):
        payment = ctx.store.find("invoice_payment", payment_id, ctx.account)
        if payment is not None and payment.state["status"] == "paid":
            intents.append(payment.state["payment"]["payment_intent"])
    return intents


def build(ctx: Context, params: dict[str, Any]) -> tuple[Record, dict[str, Any]]:
    """The invoice and the credit note's state, checked against the invoice; nothing is changed yet."""
    invoice = _finalized_invoice(ctx, params["invoice"])
    rendered = ctx.app.render(invoice)
    lines = _lines(ctx, invoice, params)
    totals = _totals(lines)
    total = totals["total"]
    pre = min(total, rendered["amount_remaining"]) if invoice.state["status"] != "paid" else 0
    post = total - pre
    creditable_after_payment = rendered["amount_paid"] - rendered["post_payment_credit_notes_amount"]
    if post > creditable_after_payment:
        raise invalid(
            f"The credit note's total ({total}) is more than the invoice has left to credit "
            f"({pre + creditable_after_payment}).",
            param="lines" if "lines" in params else "amount",
        )
    linked = _linked_refunds(ctx, invoice, params)
    sources = {key: params.get(key, 0) for key in POST_PAYMENT_SOURCES}
    if post and not any(sources.values()) and not linked:
        sources["credit_amount"] = post  # Stripe's default: the customer's balance
    accounted = sum(sources.values()) + sum(r["amount_refunded"] for r in linked)
    if accounted != post:
        raise invalid(
            f"The sum of credit amount, refund amount, out of band amount and linked refunds ({accounted}) must "
            f"equal the post-payment amount of the credit note ({post}).",
            param=next((k for k in POST_PAYMENT_SOURCES if k in params), "refund_amount"),
        )
    if sources["refund_amount"] > sum(_refundable(ctx, invoice)):
        raise invalid(
            f"The invoice's payments have only {sum(_refundable(ctx, invoice))} left to refund.",
            param="refund_amount",
        )
    state: dict[str, Any] = {
        "id": new_id("cn_"),
        "created": ctx.now(),
        "effective_at": params.get("effective_at", ctx.now()),
        "currency": invoice.state["currency"],
        "customer": invoice.state["customer"],
        "invoice": invoice.id,
        "memo": params.get("memo"),
        "metadata": merge_metadata({}, params.get("metadata", {})),
        "reason": params.get("reason"),
        "status": "issued",
        "type": "pre_payment" if not post else ("post_payment" if not pre else "mixed"),
        "pre_payment_amount": pre,
        "post_payment_amount": post,
        "out_of_band_amount": sources["out_of_band_amount"] or None,
        "refunds": linked,
        "voided_at": None,
        "amount_shipping": 0,
        "discount_amount": 0,
        "discount_amounts": [],
        "pretax_credit_amounts": [],
        "customer_balance_transaction": None,
        "_credit_amount": sources["credit_amount"],
        "_refund_amount": sources["refund_amount"],
        "_lines": lines,
        **totals,
    }
    return invoice, state


def _refundable(ctx: Context, invoice: Record) -> list[int]:
    amounts = []
    for intent_id in _intents_of(ctx, invoice):
        intent = ctx.store.find("payment_intent", intent_id, ctx.account)
        charge = payment_intents.charge_of(ctx, intent) if intent else None
        amounts.append(refunds.refundable(charge) if charge else 0)
    return amounts


# --- applying it ----------------------------------------------------------------------------------


def _refund_reason(reason: str | None) -> str:
    return reason if reason in ("duplicate", "fraudulent") else "requested_by_customer"


def _issue_refunds(ctx: Context, invoice: Record, state: dict[str, Any]) -> None:
    left = state["_refund_amount"]
    for intent_id in reversed(_intents_of(ctx, invoice)):  # the latest payment first
        intent = ctx.store.find("payment_intent", intent_id, ctx.account)
        charge = payment_intents.charge_of(ctx, intent) if intent else None
        if left <= 0 or charge is None or refunds.refundable(charge) <= 0:
            continue
        amount = min(left, refunds.refundable(charge))
        refund = refunds.new_refund(ctx, charge, amount, reason=_refund_reason(state["reason"]), param="refund_amount")
        state["refunds"].append(
            {"amount_refunded": amount, "payment_record_refund": None, "refund": refund["id"], "type": "refund"}
        )
        left -= amount


def _book(ctx: Context, invoice: Record, state: dict[str, Any], sign: int) -> None:
    """Add (sign=1) or take back (sign=-1) the credit note's effect on its invoice and customer."""
    inv = invoice.state
    inv["_pre_payment_credit"] = inv.get("_pre_payment_credit", 0) + sign * state["pre_payment_amount"]
    inv["_post_payment_credit"] = inv.get("_post_payment_credit", 0) + sign * state["post_payment_amount"]
    credited = inv.setdefault("_credited_lines", {})
    for line in state["_lines"]:
        if line["invoice_line_item"]:
            credited[line["invoice_line_item"]] = credited.get(line["invoice_line_item"], 0) + sign * line["amount"]
    if state["_credit_amount"]:
        customer = ctx.store.find("customer", state["customer"], ctx.account)
        if customer is not None:
            # A negative balance is credit the customer has toward their next invoices.
            customer.state["balance"] = customer.state.get("balance", 0) - sign * state["_credit_amount"]


def create_credit_note(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    invoice, state = build(ctx, params)
    before = ctx.app.render(invoice)
    count = sum(1 for r in ctx.store.newest_first("credit_note", ctx.account) if r.state["invoice"] == invoice.id)
    state.update(
        number=f"{invoice.state['number']}-CN-{count + 1:02d}",
        pdf=f"{ctx.app.base_url}/credit_notes/{state['id']}/pdf",
    )
    if state["_credit_amount"]:
        state["customer_balance_transaction"] = new_id("cbtxn_")
    _issue_refunds(ctx, invoice, state)
    record = ctx.store.add("credit_note", state["id"], ctx.account, state)
    _book(ctx, invoice, state, 1)
    obj = ctx.app.render(record)
    ctx.emit("credit_note.created", obj)
    after = ctx.app.render(invoice)
    if invoice.state["status"] in ("open", "uncollectible") and after["amount_remaining"] <= 0:
        invoice_payments.mark_paid(ctx, invoice)  # credited down to nothing: Stripe marks it paid
    else:
        ctx.emit("invoice.updated", after, changed(before, after))
    return obj


def preview_credit_note(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    invoice, state = build(ctx, params)
    count = sum(1 for r in ctx.store.newest_first("credit_note", ctx.account) if r.state["invoice"] == invoice.id)
    state.update(number=f"{invoice.state['number']}-CN-{count + 1:02d}", pdf="")
    return ctx.app.render(Record("credit_note", state["id"], ctx.account, state))


def preview_lines(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    lines = {k: v for k, v in params.items() if k not in ("limit", "starting_after", "ending_before", "expand")}
    note = preview_credit_note(ctx, lines)
    return paginate(
        note["lines"]["data"],
        params,
        url="/v1/credit_notes/preview/lines",
        item_id=lambda line: line["id"],
        render=lambda line: line,
        label="credit note line item",
    )


def void_credit_note(ctx: Context, params: dict[str, Any], note_id: str) -> dict[str, Any]:
    record = ctx.store.get("credit_note", note_id, ctx.account)
    state = record.state
    if state["status"] != "issued":
        raise invalid(f"The credit note {note_id} is already void.", code="status_transition_invalid")
    if state["refunds"]:
        raise invalid(
            f"The credit note {note_id} refunded money; a credit note with refunds can't be voided.",
            code="status_transition_invalid",
        )
    invoice = ctx.store.get("invoice", state["invoice"], ctx.account)
    before = ctx.app.render(invoice)
    _book(ctx, invoice, state, -1)
    state.update(status="void", voided_at=ctx.now())
    obj = ctx.app.render(record)
    ctx.emit("credit_note.voided", obj)
    after = ctx.app.render(invoice)
    ctx.emit("invoice.updated", after, changed(before, after))
    return obj


def update_credit_note(ctx: Context, params: dict[str, Any], note_id: str) -> dict[str, Any]:
    record = ctx.store.get("credit_note", note_id, ctx.account)
    before = ctx.app.render(record)
    if "memo" in params:
        record.state["memo"] = params["memo"] or None
    if "metadata" in params:
        record.state["metadata"] = merge_metadata(record.state.get("metadata"), params["metadata"])
    obj = ctx.app.render(record)
    previous = changed(before, obj)
    if previous:
        ctx.emit("credit_note.updated", obj, previous)
    return obj


def retrieve_credit_note(ctx: Context, params: dict[str, Any], note_id: str) -> dict[str, Any]:
    return ctx.app.render(ctx.store.get("credit_note", note_id, ctx.account))


def list_credit_notes(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    def keep(record: Record) -> bool:
        return all(record.state.get(k) == params[k] for k in ("invoice", "customer") if k in params)

    records = (r for r in ctx.store.newest_first("credit_note", ctx.account) if keep(r))
    return paginate(
        records, params, url="/v1/credit_notes", item_id=lambda r: r.id, render=ctx.app.render, label="credit note"
    )


def list_credit_note_lines(ctx: Context, params: dict[str, Any], note_id: str) -> dict[str, Any]:
    record = ctx.store.get("credit_note", note_id, ctx.account)
    return paginate(
        [_render_line(ctx.app, record, line) for line in record.state["_lines"]],
        params,
        url=f"/v1/credit_notes/{note_id}/lines",
        item_id=lambda line: line["id"],
        render=lambda line: line,
        label="credit note line item",
    )


def routes() -> list[Route]:
    # The preview routes come first: "/v1/credit_notes/{id}" would take "preview" for an id.
    return [
        Route("GET", "/v1/credit_notes/preview", "CreditNotePreviewParams", preview_credit_note),
        Route("GET", "/v1/credit_notes/preview/lines", "CreditNotePreviewLinesListParams", preview_lines),
        Route("POST", "/v1/credit_notes", "CreditNoteCreateParams", create_credit_note),
        Route("GET", "/v1/credit_notes", "CreditNoteListParams", list_credit_notes),
        Route("GET", "/v1/credit_notes/{id}", "CreditNoteRetrieveParams", retrieve_credit_note),
        Route("POST", "/v1/credit_notes/{id}", "CreditNoteUpdateParams", update_credit_note),
        Route("GET", "/v1/credit_notes/{id}/lines", "CreditNoteLineItemListParams", list_credit_note_lines),
        Route("POST", "/v1/credit_notes/{id}/void", "CreditNoteVoidCreditNoteParams", void_credit_note),
    ]
