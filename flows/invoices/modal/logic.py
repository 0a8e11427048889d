"""What the invoice modal reads from the database: the practice's catalogue, its clients and their sessions.

Reads only, so each runs inside Slack's 3-second window (the submission's ack, the client search).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from sqlmodel import col, select

from bot import money
from bot.db import Database
from bot.models import Appointment, BillingSettings, Client, Service, StripeAccount, TaxRate
from flows.clients import active_services, search_clients
from flows.invoice_template import DEFAULT_TERMS, payment_terms_days
from flows.invoices import ids
from flows.invoices.modal.draft import ClientChoice, Draft, LineDraft
from flows.invoices.totals import Rate

# The practice's payment terms, when it has not chosen its own in the invoice template step.
DEFAULT_PAYMENT_TERMS_DAYS = DEFAULT_TERMS
SUGGESTIONS_MAX = 100  # Slack shows at most 100 options from an external select's block_suggestion


@dataclass(frozen=True)
class ServiceChoice:
    id: int
    name: str
    unit_amount: int
    currency: str
    tax_rate_id: int | None


@dataclass(frozen=True)
class RateChoice:
    id: int
    name: str
    percentage: Decimal
    inclusive: bool

    @property
    def rate(self) -> Rate:
        return Rate(self.percentage, self.inclusive)


@dataclass(frozen=True)
class Catalog:
    """The practice's setup as the modal needs it."""

    currency: str | None  # None until the billing settings are saved
    stripe_ready: bool  # a Stripe account that can take charges
    services: tuple[ServiceChoice, ...]
    rates: tuple[RateChoice, ...]

    def service(self, service_id: int | None) -> ServiceChoice | None:
        return next((s for s in self.services if s.id == service_id), None)

    def rate(self, rate_id: int | None) -> RateChoice | None:
        return next((r for r in self.rates if r.id == rate_id), None)


def load_catalog(team_id: str, *, db: Database) -> Catalog:
    with db.session() as session:
        settings = session.get(BillingSettings, team_id)
        account = session.get(StripeAccount, team_id)
        offered = active_services(session, team_id)
        rates = session.exec(
            select(TaxRate).where(TaxRate.team_id == team_id, col(TaxRate.active).is_(True)).order_by(col(TaxRate.id))
        ).all()
        return Catalog(
            currency=settings.currency.lower() if settings else None,
            stripe_ready=bool(account and account.charges_enabled),
            services=tuple(
                ServiceChoice(s.id, s.name, s.unit_amount, s.currency.lower(), s.tax_rate_id)
                for s in offered
                if s.id is not None
            ),
            rates=tuple(RateChoice(r.id, r.name, r.percentage, r.inclusive) for r in rates if r.id is not None),
        )


def default_due_date(team_id: str, today: date, *, db: Database) -> date:
    with db.session() as session:
        return today + timedelta(days=payment_terms_days(session, team_id))


def price_text(amount_minor: int, currency: str, locale: str) -> str:
    """An amount as the user would type it back: ``120.00``, or ``120,00`` in French."""
    text = format(money.to_decimal(amount_minor, currency), "f")
    return text.replace(".", ",") if locale == "fr" else text


def filled_from_service(line: LineDraft, service: ServiceChoice | None, catalog: Catalog, locale: str) -> LineDraft:
    """The line once a service is chosen: its price and tax rate (fresh block ids so Slack shows them)."""
    if service is None:
        return line
    price = line.price
    if catalog.currency and service.currency == catalog.currency:
        price = price_text(service.unit_amount, service.currency, locale)
    rate = catalog.rate(service.tax_rate_id)
    tax = str(rate.id) if rate else ids.NONE_VALUE
    return LineDraft(
        key=line.key,
        revision=line.revision + 1,
        appointment_id=line.appointment_id,
        service_date=line.service_date,
        service=str(service.id),
        description=line.description,
        quantity=line.quantity,
        price=price,
        tax=tax,
    )


def client_choice(team_id: str, client_id: int | None, *, db: Database) -> ClientChoice | None:
    if client_id is None:
        return None
    with db.session() as session:
        found = session.get(Client, client_id)
        if found is None or found.team_id != team_id or found.id is None:
            return None
        return ClientChoice(found.id, found.name)


def client_name(team_id: str, client_id: int, *, db: Database) -> str:
    found = client_to_invoice(team_id, client_id, db=db)
    return found.name if found else ""


def client_to_invoice(team_id: str, client_id: int, *, db: Database) -> Client | None:
    with db.session() as session:
        found = session.get(Client, client_id)
        return found if found is not None and found.team_id == team_id else None


def search(team_id: str, query: str, *, db: Database) -> list[tuple[int, str, str | None]]:
    """(id, name, email) of the clients matching what is typed, for the client select's options."""
    with db.session() as session:
        found = search_clients(session, team_id, query[:200], limit=SUGGESTIONS_MAX)
        return [(c.id, c.name, c.email) for c in found if c.id is not None]


def session_lines(
    team_id: str,
    client_id: int | None,
    appointment_ids: tuple[int, ...],
    catalog: Catalog,
    locale: str,
    first_key: int,
    *,
    db: Database,
) -> list[LineDraft]:
    """One line per session: its date, service, the service's price and tax, its description."""
    if not appointment_ids:
        return []
    with db.session() as session:
        found = session.exec(
            select(Appointment)
            .where(Appointment.team_id == team_id, col(Appointment.id).in_(appointment_ids))
            .order_by(col(Appointment.held_on), col(Appointment.id))
        ).all()
        sessions = [a for a in found if client_id is None or a.client_id == client_id]
        lines: list[LineDraft] = []
        for key, appointment in enumerate(sessions, start=first_key):
            line = LineDraft(
                key=key,
                appointment_id=appointment.id,
                service_date=appointment.held_on.isoformat(),
                description=appointment.description,
                tax=ids.NONE_VALUE,
            )
            service = catalog.service(appointment.service_id)
            if service is None and appointment.service_id is not None:
                # An archived service: its price still applies to a session held under it.
                row = session.get(Service, appointment.service_id)
                if row is not None and row.id is not None:
                    service = ServiceChoice(row.id, row.name, row.unit_amount, row.currency.lower(), row.tax_rate_id)
            if service is not None:
                line = filled_from_service(line, service, catalog, locale)
                if catalog.service(service.id) is None:
                    line = replace(line, service=None)
            lines.append(line)
        return lines


def new_draft(
    *,
    team_id: str,
    locale: str,
    today: date,
    max_lines: int,
    channel_id: str | None,
    client_id: int | None,
    appointment_ids: tuple[int, ...],
    catalog: Catalog,
    db: Database,
) -> Draft:
    client = client_choice(team_id, client_id, db=db)
    lines = session_lines(team_id, client.id if client else None, appointment_ids, catalog, locale, 1, db=db)
    left_out = max(0, len(lines) - max_lines)
    lines = lines[:max_lines] or [LineDraft(key=1, service_date=today.isoformat())]
    return Draft(
        channel_id=channel_id,
        lines=tuple(lines),
        next_key=max(line.key for line in lines) + 1,
        client=client,
        due_date=default_due_date(team_id, today, db=db).isoformat(),
        sessions_left_out=left_out,
    )
