"""Invoice revisions (``invoices.create`` with ``from_invoice[action]=revision``), Stripe's way to correct an invoice.

Stripe revises an ``open`` or ``uncollectible`` invoice (not a ``paid`` or ``void`` one): the revision is a new
draft that starts as a copy (customer and currency fixed, lines, due date, memo and the rest overridable), with
``from_invoice`` naming the original. Finalizing it voids the original, sets the original's ``latest_revision``
and numbers the revision after the original (``ABCD-0001-1``, ``-2`` for the next), outside the invoice sequence.
The emulator refuses to revise an invoice that has received money (Stripe's guide asks for credit notes then).
"""

from __future__ import annotations

from typing import Any

from .app import Context
from .protocol import invalid, new_id
from .store import Record

REVISABLE = ("open", "uncollectible")
# What a revision copies from its original unless the request sets it.
INHERITED = (
    "collection_method",
    "custom_fields",
    "default_payment_method",
    "description",
    "footer",
    "statement_descriptor",
)


def revision_params(ctx: Context, params: dict[str, Any]) -> tuple[dict[str, Any], Record | None]:
    """The create params with the original's values filled in, and the original (None: not a revision)."""
    spec = params.get("from_invoice")
    if not spec:
        return params, None
    param = "from_invoice[invoice]"
    original = ctx.store.get("invoice", spec["invoice"], ctx.account, param=param)
    state = original.state
    if state["status"] not in REVISABLE:
        raise invalid(
            f"You can only revise an open or uncollectible invoice; {original.id} is {state['status']}.",
            param=param,
            code="invoice_not_editable",
        )
    if state["amount_paid"] or state.get("_pre_payment_credit"):
        raise invalid(
            f"Invoice {original.id} has payments or credit notes; credit it with a credit note instead.",
            param=param,
            code="invoice_not_editable",
        )
    for fixed in ("customer", "currency"):
        if fixed in params and str(params[fixed]).lower() != str(state[fixed]).lower():
            raise invalid(f"A revision keeps its original's {fixed}.", param=fixed)
    merged: dict[str, Any] = {k: state[k] for k in INHERITED if state.get(k) is not None}
    merged.update(
        customer=state["customer"],
        currency=state["currency"],
        metadata=dict(state.get("metadata") or {}),
        default_tax_rates=list(state.get("default_tax_rates") or []),
    )
    if state["collection_method"] == "send_invoice" and not {"due_date", "days_until_due"} & set(params):
        if state.get("_days_until_due") is not None:
            merged["days_until_due"] = state["_days_until_due"]
        else:
            merged["due_date"] = state["due_date"]
    merged.update({k: v for k, v in params.items() if k != "from_invoice"})
    return merged, original


def clone_items(ctx: Context, original: Record, revision: Record) -> None:
    """The original's lines, as new invoice items of the revision (the original keeps its own)."""
    for item_id in original.state["_items"]:
        item = ctx.store.find("invoiceitem", item_id, ctx.account)
        if item is None:
            continue
        copy_id = new_id("ii_")
        state = {
            **item.state,
            "id": copy_id,
            "created": ctx.now(),
            "invoice": revision.id,
            "metadata": dict(item.state.get("metadata") or {}),
            "tax_rates": list(item.state.get("tax_rates") or []),
            "_line": new_id("il_"),
        }
        copy = ctx.store.add("invoiceitem", copy_id, ctx.account, state)
        revision.state["_items"].append(copy_id)
        ctx.emit("invoiceitem.created", ctx.app.render(copy))
    revision.state.update(from_invoice={"action": "revision", "invoice": original.id}, _revises=original.id)


def revision_number(ctx: Context, revision: Record) -> str | None:
    """The number the revision takes when finalized (None: it is no revision); checks the original still fits."""
    original_id = revision.state.get("_revises")
    if not original_id:
        return None
    original = ctx.store.get("invoice", original_id, ctx.account)
    if original.state["status"] not in REVISABLE or original.state["amount_paid"]:
        raise invalid(
            f"The invoice this revises ({original_id}) is {original.state['status']} now; it can't be revised.",
            code="invoice_not_editable",
        )
    root = original.state.get("_root_number") or original.state["number"]
    counts = ctx.store.bucket("revision_counts")
    counts[root] = counts.get(root, 0) + 1
    revision.state["_root_number"] = root
    return f"{root}-{counts[root]}"


def retire_original(ctx: Context, revision: Record) -> None:
    """The revision is finalized: its original is void and points at it."""
    original = ctx.store.get("invoice", revision.state["_revises"], ctx.account)
    state = original.state
    state.update(
        status="void",
        latest_revision=revision.id,
        status_transitions=dict(state["status_transitions"], voided_at=ctx.now()),
    )
    ctx.emit("invoice.voided", ctx.app.render(original))
