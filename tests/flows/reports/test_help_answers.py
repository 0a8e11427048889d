"""The help channel answers the report's questions from bot.figures, privately, in the question's language:
"combien j'ai encaissé en novembre ?", "what's overdue over 60 days?"; a member is refused by default."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.figures import month
from bot.i18n import format_date, format_money
from bot.models import Client, Invoice, InvoicePayment
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.flows.help.test_help import HELP, _private_answer, bb, configure, post  # noqa: F401  (bb: a fixture)


def _last_november() -> date:
    today = date.today()
    return date(today.year if today.month >= 11 else today.year - 1, 11, 1)


def _seed(app: Billbot) -> None:
    today = date.today()
    november = _last_november()
    with app.app.services.db.session() as session:
        jane = Client(team_id=TEAM_ID, name="Jane Doe", name_key="jane doe")
        session.add(jane)
        session.flush()
        assert jane.id is not None
        made = datetime.combine(november, datetime.min.time(), tzinfo=UTC) + timedelta(days=3)
        for n, (status, total, paid, due_days_ago) in enumerate(
            [("paid", 12000, 12000, 0), ("open", 8000, 0, 75), ("open", 4000, 1000, 20), ("open", 3000, 0, 95)]
        ):
            invoice = Invoice(team_id=TEAM_ID, number=f"INV-{n + 1:04d}", request_key=f"k{n}", client_id=jane.id,
                              currency="eur", status=status, due_date=today - timedelta(days=due_days_ago),
                              total=total, amount_paid=paid, amount_remaining=total - paid, created_at=made,
                              paid_at=made + timedelta(days=2) if status == "paid" else None)  # fmt: skip
            session.add(invoice)
            session.flush()
            if status == "open" and paid:
                session.add(InvoicePayment(team_id=TEAM_ID, invoice_id=invoice.id or 0, source="outside",
                                           method="cash", amount=paid, currency="eur",
                                           paid_on=november + timedelta(days=10)))  # fmt: skip


def test_combien_jai_encaisse_en_novembre(bb: Billbot) -> None:  # noqa: F811
    configure(bb, [HELP])
    _seed(bb)
    ts = post(bb, "combien j'ai encaissé en novembre ?", user=ADMIN)
    answer = _private_answer(bb, ADMIN, ts)
    label = format_date(month(_last_november().year, 11).start, "fr", "MMMM y")
    net = format_money(13000, "eur", "fr")
    assert f"Encaissé en {label} : {net} ({net} reçus, {format_money(0, 'eur', 'fr')} remboursés)" in answer.text


def test_whats_overdue_over_60_days(bb: Billbot) -> None:  # noqa: F811
    configure(bb, [HELP])
    _seed(bb)
    ts = post(bb, "what's overdue over 60 days?", user=ADMIN)
    answer = _private_answer(bb, ADMIN, ts)
    assert f"Overdue by more than 60 days: {format_money(11000, 'eur', 'en')} on 2 invoices." in answer.text
    ts = post(bb, "qu'est-ce qui est en retard de plus de 90 jours ?", user=ADMIN)
    answer = _private_answer(bb, ADMIN, ts)
    assert f"En retard de plus de 90 jours : {format_money(3000, 'eur', 'fr')} sur 1 facture." in answer.text
    ts = post(bb, "anything overdue over 400 days?", user=ADMIN)
    assert "Nothing is overdue by more than 400 days." in _private_answer(bb, ADMIN, ts).text


def test_a_member_is_refused_the_figures_by_default(bb: Billbot) -> None:  # noqa: F811
    configure(bb, [HELP])
    _seed(bb)
    ts = post(bb, "how much did we collect last month?", user=MEMBER)
    answer = _private_answer(bb, MEMBER, ts)
    assert "Only billing admins can see client details and balances" in answer.text and "€" not in answer.text
    ts = post(bb, "combien avons-nous encaissé ce mois-ci ?", user=FRENCH_USER)
    assert "Seuls les administrateurs de la facturation" in _private_answer(bb, FRENCH_USER, ts).text
