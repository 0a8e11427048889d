"""A period's figures over rows written straight to the database (SQLite and PostgreSQL): what each figure
counts, per currency, in the practice's time zone. The flow tests check the same against Stripe's objects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.db import Database
from bot.figures import month, outstanding, parse, period_figures, practice_timezone
from bot.models import (
    Appointment,
    Client,
    Invoice,
    InvoiceLine,
    InvoicePayment,
    InvoiceRefund,
    ReminderSettings,
    Service,
    TaxRate,
    saved_id,
)

TEAM = "T0FIGURES"
OTHER = "T0OTHER"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


class Rows:
    def __init__(self, db: Database, team_id: str = TEAM) -> None:
        self.db, self.team_id, self.n = db, team_id, 0
        self.client_id = self.add(Client(team_id=team_id, name="Jeanne Martin", name_key="jeanne martin"))

    def add(self, row: Any) -> int:
        with self.db.session() as session:
            session.add(row)
            session.flush()
            return saved_id(row) if hasattr(row, "id") else 0

    def invoice(self, total: int, *, made: datetime, currency: str = "eur", status: str = "open", **kw: Any) -> int:
        self.n += 1
        values: dict[str, Any] = {"amount_remaining": 0 if status in ("paid", "void") else total} | kw
        return self.add(
            Invoice(
                team_id=self.team_id, number=f"INV-{self.n:04d}", request_key=f"k{self.n}", client_id=self.client_id,
                currency=currency, status=status, due_date=kw.pop("due_date", date(2026, 12, 31)), total=total,
                created_at=made, **{k: v for k, v in values.items() if k != "due_date"},
            )
        )  # fmt: skip

    def pay(self, invoice_id: int, amount: int, on: date, *, currency: str = "eur", **kw: Any) -> int:
        self.n += 1
        values = {"source": "outside", "method": "cash", "stripe_invoice_payment_id": f"inpay_{self.n}"} | kw
        return self.add(
            InvoicePayment(
                team_id=self.team_id, invoice_id=invoice_id, amount=amount, currency=currency, paid_on=on, **values
            )
        )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_paid_at_half_past_eleven_on_31_october_in_paris_is_octobers(db: Database) -> None:
    rows = Rows(db)
    rows.add(ReminderSettings(team_id=TEAM, timezone="Europe/Paris"))
    late = rows.invoice(10000, made=_at("2026-10-20T10:00+01:00"), status="paid", amount_paid=10000,
                        paid_at=_at("2026-10-31T23:30+01:00"))  # fmt: skip
    after_midnight = rows.invoice(
        2500, made=_at("2026-10-20T10:00+01:00"), status="paid", amount_paid=2500,
        paid_at=_at("2026-11-01T00:30+01:00"),  # 23:30 UTC on 31 October: November in Paris
    )  # fmt: skip
    assert late and after_midnight
    with db.session() as session:
        assert practice_timezone(session, TEAM) == "Europe/Paris"
        october = period_figures(session, TEAM, month(2026, 10), now=NOW)
        november = period_figures(session, TEAM, month(2026, 11), now=NOW)
        in_utc = period_figures(session, TEAM, month(2026, 10), tz="UTC", now=NOW)
    assert october.timezone == "Europe/Paris"
    assert october.of("eur").collected == 10000  # type: ignore[union-attr]
    assert november.of("eur").collected == 2500  # type: ignore[union-attr]
    assert in_utc.of("eur").collected == 12500  # type: ignore[union-attr]


def test_no_reminder_settings_means_utc(db: Database) -> None:
    Rows(db)
    with db.session() as session:
        assert practice_timezone(session, TEAM) == "UTC"


def test_collected_counts_rows_once_and_what_stripe_took_beyond_them_net_of_refunds(db: Database) -> None:
    rows = Rows(db)
    made = _at("2026-11-02T09:00+00:00")
    # A part in cash in November, the rest on the hosted page in November: 3000 + 7000.
    part = rows.invoice(10000, made=made, status="paid", amount_paid=10000, paid_at=_at("2026-11-20T10:00+00:00"))
    rows.pay(part, 3000, date(2026, 11, 5))
    # A part in October (another period), the invoice still open.
    still_open = rows.invoice(8000, made=made, amount_paid=2000, amount_remaining=6000)
    rows.pay(still_open, 2000, date(2026, 10, 30))
    # A card charge not yet attached on Stripe: not money in yet.
    rows.pay(still_open, 1000, date(2026, 11, 6), source="stripe", method="card", stripe_invoice_payment_id=None)
    # Recorded outside Stripe and not yet pushed: money in hand, counted.
    rows.pay(still_open, 500, date(2026, 11, 7), stripe_invoice_payment_id=None)
    # Refunds: one through, one failed, one still pending.
    for amount, status in ((1200, "succeeded"), (900, "failed"), (400, "pending")):
        rows.add(InvoiceRefund(team_id=TEAM, invoice_id=part, amount=amount, currency="eur", status=status,
                               created_at=_at("2026-11-25T10:00+00:00")))  # fmt: skip
    with db.session() as session:
        figures = period_figures(session, TEAM, month(2026, 11), now=NOW).of("eur")
    assert figures is not None
    assert figures.collected == 3000 + 7000 + 500
    assert figures.refunded == 1200
    assert figures.net_collected == 10500 - 1200


def test_invoiced_excludes_drafts_voids_and_counts_a_correction_once(db: Database) -> None:
    rows = Rows(db)
    made = _at("2026-11-10T09:00+00:00")
    rows.invoice(5000, made=made)
    rows.invoice(7000, made=made, status="draft")
    rows.invoice(9000, made=made, status="void")
    old = rows.invoice(4000, made=made)
    new = rows.invoice(4500, made=made, replaces_id=old)
    with db.session() as session:
        session.get(Invoice, old).replaced_by_id = new  # type: ignore[union-attr]
    with db.session() as session:
        figures = period_figures(session, TEAM, month(2026, 11), now=NOW).of("eur")
    assert figures is not None
    # The old invoice is still open while its correction is being made: the correction alone counts.
    assert (figures.invoiced_count, figures.invoiced) == (2, 5000 + 4500)
    assert (figures.outstanding_count, figures.outstanding) == (2, 5000 + 4500)


def test_overdue_balances_aged_in_buckets(db: Database) -> None:
    rows = Rows(db)
    made = _at("2026-06-01T09:00+00:00")
    today = date(2026, 12, 4)
    for days, balance in ((0, 1), (1, 10), (30, 20), (31, 40), (60, 80), (61, 160), (90, 320), (91, 640), (400, 1280)):
        rows.invoice(balance * 2, made=made, due_date=date.fromordinal(today.toordinal() - days),
                     amount_paid=balance, amount_remaining=balance)  # fmt: skip
    with db.session() as session:
        found = outstanding(session, TEAM, today)["eur"]
    assert found.outstanding == 2551 and found.outstanding_count == 9
    assert found.overdue == 2550 and found.overdue_count == 8
    assert found.aging == [30, 120, 480, 1920]
    assert found.aging_counts == [2, 2, 2, 2]


def test_two_currencies_are_never_added(db: Database) -> None:
    rows = Rows(db)
    made = _at("2026-11-10T09:00+00:00")
    rows.invoice(5000, made=made)
    rows.invoice(12000, made=made, currency="jpy")
    with db.session() as session:
        figures = period_figures(session, TEAM, month(2026, 11), now=NOW)
    assert [(row.currency, row.invoiced) for row in figures.currencies] == [("eur", 5000), ("jpy", 12000)]


def test_tax_per_rate_by_service_and_by_practitioner(db: Database) -> None:
    rows = Rows(db)
    made = _at("2026-11-10T09:00+00:00")
    vat = rows.add(TaxRate(team_id=TEAM, name="TVA", percentage=Decimal("20"), inclusive=False))
    reduced = rows.add(TaxRate(team_id=TEAM, name="TVA réduite", percentage=Decimal("5.5"), inclusive=True))
    session_service = rows.add(Service(team_id=TEAM, name="Séance", unit_amount=6000, currency="eur"))
    one = rows.invoice(14400, made=made, created_by="U0ALICE")
    rows.add(InvoiceLine(team_id=TEAM, invoice_id=one, position=0, service_date=date(2026, 11, 9), description="S",
                         service_id=session_service, quantity=2, unit_amount=6000, amount=12000, tax_rate_id=vat,
                         tax_amount=2400))  # fmt: skip
    two = rows.invoice(10550, made=made, created_by="U0BOB")
    rows.add(InvoiceLine(team_id=TEAM, invoice_id=two, position=0, service_date=date(2026, 11, 9), description="Book",
                         quantity=1, unit_amount=10550, amount=10550, tax_rate_id=reduced, tax_amount=550))  # fmt: skip
    with db.session() as session:
        figures = period_figures(session, TEAM, month(2026, 11), now=NOW).of("eur")
    assert figures is not None
    taxes = {(t.name, t.base, t.tax) for t in figures.taxes}
    assert taxes == {("TVA", 12000, 2400), ("TVA réduite", 10000, 550)}
    services = {(s.name, s.quantity, s.amount) for s in figures.services}
    assert services == {("Séance", 2, 14400), (None, 1, 10550)}
    assert sum(s.amount for s in figures.services) == figures.invoiced
    assert {(p.user_id, p.count, p.amount) for p in figures.practitioners} == {("U0ALICE", 1, 14400),
                                                                              ("U0BOB", 1, 10550)}  # fmt: skip


def test_sessions_held_and_not_invoiced(db: Database) -> None:
    rows = Rows(db)
    service = rows.add(Service(team_id=TEAM, name="Séance", unit_amount=6000, currency="eur"))
    invoice = rows.invoice(6000, made=_at("2026-11-10T09:00+00:00"))
    for held, invoice_id, service_id, starts in (
        (date(2026, 11, 3), None, service, None),
        (date(2026, 11, 4), None, None, None),
        (date(2026, 11, 5), invoice, service, None),  # invoiced
        (date(2026, 10, 5), None, service, None),  # another month
        (date(2026, 12, 4), None, service, _at("2026-12-04T15:00+00:00")),  # later today: not yet held
        (date(2026, 12, 4), None, service, _at("2026-12-04T08:00+00:00")),  # this morning
    ):
        rows.add(Appointment(team_id=TEAM, client_id=rows.client_id, held_on=held, service_id=service_id,
                             description="Séance", invoice_id=invoice_id, starts_at=starts))  # fmt: skip
    with db.session() as session:
        november = period_figures(session, TEAM, month(2026, 11), now=NOW)
        december = period_figures(session, TEAM, month(2026, 12), now=NOW)
    assert (november.unbilled_sessions, november.unbilled_sessions_to_date) == (2, 4)
    assert november.of("eur").unbilled_value == 6000  # type: ignore[union-attr]
    assert december.unbilled_sessions == 1


def test_another_workspaces_rows_are_not_counted(db: Database) -> None:
    Rows(db).invoice(5000, made=_at("2026-11-10T09:00+00:00"))
    Rows(db, OTHER).invoice(7000, made=_at("2026-11-10T09:00+00:00"))
    with db.session() as session:
        figures = period_figures(session, TEAM, parse("2026-11", NOW.date()), now=NOW)
    assert figures.of("eur").invoiced == 5000  # type: ignore[union-attr]


def test_an_empty_period_is_empty(db: Database) -> None:
    Rows(db).invoice(5000, made=_at("2026-11-10T09:00+00:00"), status="paid", amount_paid=5000,
                     paid_at=_at("2026-11-11T09:00+00:00"))  # fmt: skip
    with db.session() as session:
        figures = period_figures(session, TEAM, month(2025, 3), now=NOW)
    assert figures.empty


def test_the_charts_steps_follow_the_practices_days(db: Database) -> None:
    from bot.figures import series, steps_of

    rows = Rows(db)
    rows.add(ReminderSettings(team_id=TEAM, timezone="Europe/Paris"))
    # Made at 00:30 on Monday 9 November in Paris (23:30 UTC on Sunday): the second week's.
    rows.invoice(4000, made=_at("2026-11-09T00:30+01:00"))
    paid = rows.invoice(6000, made=_at("2026-11-03T10:00+01:00"), status="paid", amount_paid=6000,
                        paid_at=_at("2026-11-30T23:30+01:00"))  # fmt: skip
    rows.pay(paid, 1000, date(2026, 11, 4))
    rows.add(InvoiceRefund(team_id=TEAM, invoice_id=paid, amount=500, currency="eur", status="succeeded",
                           created_at=_at("2026-11-05T10:00+01:00")))  # fmt: skip
    unit, steps = steps_of(month(2026, 11))
    assert unit == "week" and steps[0] == (date(2026, 11, 1), date(2026, 11, 2)) and steps[-1][0] == date(2026, 11, 30)
    with db.session() as session:
        unit, found = series(session, TEAM, month(2026, 11), "Europe/Paris")
        (eur,) = found
        assert eur.invoiced == [0, 6000, 4000, 0, 0, 0]
        assert eur.collected == [0, 1000 - 500, 0, 0, 0, 5000]
        figures = period_figures(session, TEAM, month(2026, 11), now=NOW).of("eur")
        assert figures is not None
        assert sum(eur.invoiced) == figures.invoiced and sum(eur.collected) == figures.net_collected
        assert steps_of(parse("2026", NOW.date()))[0] == "month"
        assert steps_of(parse("from 2020 to 2026", NOW.date()))[0] == "year"
