"""Mirroring our draft invoice on the practice's Stripe account: customer, invoice, one item per line, finalize.

Resumable by construction. Each step stores what Stripe returned before the next one starts (the customer
on the client, the invoice id on the invoice, each item id on its line), and every create carries an
idempotency key derived from our own ids, so a second run (Retry, a replayed submission, a worker that
crashed midway) skips what is stored and gets back from Stripe what was created but not yet stored:
still one customer, one invoice and one item per line.

The memo stays out of Stripe. The modal's memo is the practice's own note about the invoice, and in a
practice of health services it may well name a diagnosis or a session's content; Stripe shows an invoice's
``description`` to the client, in the email and on the hosted page. So it is kept here, shown only to the
practice (in a DM or to the asker), and Stripe gets only the lines.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.db import Database
from bot.models import Client, Invoice, InvoiceLine, StripeAccount
from bot.services import Services
from bot.stripe_gateway import GatewayError
from flows.billing_settings import mirror_pending_tax_rates
from flows.invoices.correction import stripe as correction
from flows.invoices.creation import store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushFailure:
    """Where pushing to Stripe stopped: ``step`` is one of not_connected, customer, tax_rate, invoice, line,
    finalize; ``position`` the line's, for a line."""

    step: str
    detail: str
    retryable: bool
    position: int | None = None


class _Stop(Exception):
    def __init__(self, failure: PushFailure) -> None:
        super().__init__(failure.detail)
        self.failure = failure


def push(services: Services, invoice_id: int) -> PushFailure | None:
    """Create (or finish creating) the invoice on Stripe; None once it is finalized there and stored here."""
    bundle = store.load(invoice_id, db=services.db)
    assert bundle is not None
    invoice = bundle.invoice
    if invoice.status != "draft" and (invoice.stripe_invoice_id or invoice.replaced_by_id):
        return None  # already done, by an earlier run (or a draft a correction replaced)
    started = time.perf_counter()
    try:
        _push(services, bundle)
    except _Stop as stop:
        failure = stop.failure
        log.warning(
            "invoice %s (%s) stopped at Stripe, step %s: %s", invoice.id, invoice.number, failure.step, failure.detail
        )
        store.save_invoice(invoice_id, last_error=f"{failure.step}: {failure.detail}"[:2000], db=services.db)
        return failure
    log.info("invoice %s (%s) created on Stripe in %.3f s", invoice.id, invoice.number, time.perf_counter() - started)
    return None


def _push(services: Services, bundle: store.InvoiceBundle) -> None:
    invoice, client = bundle.invoice, bundle.client
    assert invoice.id is not None
    team = invoice.team_id
    account_id = invoice.stripe_account_id if invoice.stripe_invoice_id else _account(team, db=services.db)

    customer_id = _customer(services, client, account_id, invoice, fresh_invoice=invoice.stripe_invoice_id is None)
    tax_rates = _stripe_tax_rates(services, bundle, account_id)

    stripe_invoice_id = invoice.stripe_invoice_id
    if stripe_invoice_id is None:
        due = due_timestamp(invoice.due_date, invoice.created_at)
        metadata = {"billbot_invoice_id": str(invoice.id), "billbot_team_id": team, "billbot_number": invoice.number}

        # A correction is Stripe's revision of the invoice it replaces, where one applies (correction.stripe).
        def make() -> dict[str, Any]:
            revision = (
                correction.create_revision(services, invoice, account_id, due_date=due, metadata=metadata)
                if invoice.replaces_id is not None
                else None
            )
            return revision or services.stripe.create_invoice(
                account_id, customer_id=customer_id, currency=invoice.currency, due_date=due, metadata=metadata,
                idempotency_key=f"billbot:{team}:invoice:{invoice.id}",
            )  # fmt: skip

        created = _step("invoice", make)
        stripe_invoice_id = str(created["id"])
        store.save_invoice(
            invoice.id, stripe_invoice_id=stripe_invoice_id, stripe_account_id=account_id, db=services.db
        )

    if invoice.replaces_id is not None and any(line.stripe_invoice_item_id is None for line in bundle.lines):
        # A revision starts with its original's lines: they go, the corrected ones are added below.
        _step("line", lambda: correction.drop_copied_lines(services, invoice, account_id, stripe_invoice_id))
    for line in bundle.lines:
        if line.stripe_invoice_item_id is None:
            _add_item(services, invoice, line, account_id, customer_id, stripe_invoice_id, tax_rates)

    if invoice.replaces_id is not None:
        _step("finalize", lambda: correction.before_finalize(services, invoice, account_id, stripe_invoice_id))
    finalized = _finalize(services, invoice, account_id, stripe_invoice_id)
    _check_totals(invoice, finalized)
    store.save_invoice(
        invoice.id,
        db=services.db,
        status=str(finalized["status"]),
        stripe_number=finalized.get("number"),
        hosted_invoice_url=finalized.get("hosted_invoice_url"),
        invoice_pdf=finalized.get("invoice_pdf"),
        amount_paid=int(finalized.get("amount_paid") or 0),
        amount_remaining=int(finalized.get("amount_remaining") or 0),
        last_error=None,
    )


def _step(step: str, call: Any, position: int | None = None) -> dict[str, Any]:
    try:
        result: dict[str, Any] = call()
    except GatewayError as exc:
        raise _Stop(PushFailure(step, str(exc), exc.retryable, position)) from exc
    return result


def _account(team_id: str, *, db: Database) -> str | None:
    with db.session() as session:
        row = session.get(StripeAccount, team_id)
    if row is None:
        raise _Stop(PushFailure("not_connected", "no Stripe account is connected", retryable=True))
    return row.account_id


def _customer(
    services: Services, client: Client, account_id: str | None, invoice: Invoice, *, fresh_invoice: bool
) -> str:
    assert client.id is not None
    if client.stripe_customer_id and client.stripe_account_id == account_id:
        if fresh_invoice:
            # The client's name or email may have changed since: Stripe emails the invoice to its customer.
            _step(
                "customer",
                lambda: services.stripe.update_customer(
                    account_id, str(client.stripe_customer_id), name=client.name, email=client.email
                ),
            )
        return client.stripe_customer_id
    created = _step(
        "customer",
        lambda: services.stripe.create_customer(
            account_id,
            name=client.name,
            email=client.email,
            metadata={"billbot_client_id": str(client.id), "billbot_team_id": client.team_id},
            preferred_locale=client.preferred_locale or invoice.locale,  # the client's language, once chosen
            # The account is part of the key: a practice that reconnects gets a new customer on the new account.
            idempotency_key=f"billbot:{client.team_id}:client:{client.id}:customer:{account_id or 'platform'}",
        ),
    )
    store.save_customer(client.id, str(created["id"]), account_id, db=services.db)
    return str(created["id"])


def _stripe_tax_rates(services: Services, bundle: store.InvoiceBundle, account_id: str | None) -> dict[int, str]:
    """Our rate id → its Stripe TaxRate on this account, mirroring rates saved before Stripe was connected."""
    needed = {line.tax_rate_id for line in bundle.lines if line.tax_rate_id is not None}
    rates = bundle.rates
    if any(rates[rate_id].stripe_tax_rate_id is None for rate_id in needed):
        try:
            mirror_pending_tax_rates(services, bundle.invoice.team_id)
        except GatewayError as exc:
            raise _Stop(PushFailure("tax_rate", str(exc), exc.retryable)) from exc
        with services.db.session() as session:
            rates = store.team_rates(session, bundle.invoice.team_id, needed)
    found: dict[int, str] = {}
    for rate_id in needed:
        rate = rates[rate_id]
        if rate.stripe_tax_rate_id is None or rate.stripe_account_id != account_id:
            detail = f"tax rate {rate.name} is not on this Stripe account; save it again in /billing settings"
            raise _Stop(PushFailure("tax_rate", detail, retryable=False))
        found[rate_id] = rate.stripe_tax_rate_id
    return found


def _add_item(
    services: Services,
    invoice: Invoice,
    line: InvoiceLine,
    account_id: str | None,
    customer_id: str,
    stripe_invoice_id: str,
    tax_rates: dict[int, str],
) -> None:
    assert line.id is not None
    at = day_timestamp(line.service_date)
    item = _step(
        "line",
        lambda: services.stripe.create_invoice_item(
            account_id,
            invoice_id=stripe_invoice_id,
            customer_id=customer_id,
            currency=invoice.currency,
            description=line.description,
            quantity=line.quantity,
            unit_amount=line.unit_amount,
            tax_rate_ids=[tax_rates[line.tax_rate_id]] if line.tax_rate_id is not None else [],
            period=(at, at),
            metadata={"billbot_invoice_id": str(invoice.id), "billbot_line_id": str(line.id)},
            idempotency_key=f"billbot:{invoice.team_id}:invoice:{invoice.id}:line:{line.id}",
        ),
        position=line.position,
    )
    store.save_line_item(line.id, str(item["id"]), db=services.db)


def _finalize(services: Services, invoice: Invoice, account_id: str | None, stripe_invoice_id: str) -> dict[str, Any]:
    try:
        return services.stripe.finalize_invoice(
            account_id, stripe_invoice_id, idempotency_key=f"billbot:{invoice.team_id}:invoice:{invoice.id}:finalize"
        )
    except GatewayError as exc:
        # Finalized by an earlier run whose answer never reached us (and whose key Stripe has since forgotten).
        try:
            current = services.stripe.retrieve_invoice(account_id, stripe_invoice_id)
        except GatewayError:
            current = {}
        if current.get("status") not in (None, "draft"):
            return current
        raise _Stop(PushFailure("finalize", str(exc), exc.retryable)) from exc


def _check_totals(invoice: Invoice, stripe_invoice: dict[str, Any]) -> None:
    """Our arithmetic must be Stripe's to the unit; a difference is a bug to hear about, not to hide."""
    stripe_tax = sum(int(t.get("amount") or 0) for t in stripe_invoice.get("total_taxes") or [])
    ours = (invoice.subtotal, invoice.tax, invoice.total)
    theirs = (stripe_invoice.get("subtotal"), stripe_tax, stripe_invoice.get("total"))
    if ours != theirs:
        log.error(
            "invoice %s (%s): our subtotal/tax/total %s differ from Stripe's %s (%s)",
            invoice.id, invoice.number, ours, theirs, stripe_invoice.get("id"),
        )  # fmt: skip


# -- dates as Stripe timestamps ---------------------------------------------------------------------------

# Noon UTC reads as the same calendar day from UTC-11 to UTC+11, wherever Stripe shows the date.
_NOON = timedelta(hours=12)


def day_timestamp(day: date) -> int:
    return int((datetime(day.year, day.month, day.day, tzinfo=UTC) + _NOON).timestamp())


def due_timestamp(due: date, created_at: datetime) -> int:
    """Noon UTC on the due date; for an invoice due today made after noon, an hour after it was made.

    Stripe wants a due date in the future. Derived from the invoice's own creation time, not from now, so
    that a retry sends exactly what the first attempt sent (Stripe refuses a reused idempotency key with
    different parameters).
    """
    made = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
    return max(day_timestamp(due), int((made + timedelta(hours=1)).timestamp()))
