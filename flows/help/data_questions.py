"""Questions about the practice's own invoices, answered from the database.

"Is INV-0042 paid?", "Qu'est-ce qui est impayé ?", "How much does Jane owe?", and the report's questions
("combien j'ai encaissé en novembre ?", "what's overdue over 60 days?", from bot.figures, the numbers
`/billing report` shows). Each answer names a client
or an amount, so the handler shows it to the asker alone; and only what the asker may see (bot.permissions):
an invoice's client by initials unless they may see its details, balances and the unpaid list to those
who may see client details, a polite refusal to anyone else.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from bot import figures
from bot.i18n import format_date, format_money, plural, t
from bot.initials import initials
from bot.models import Client, Invoice
from bot.permissions import Access
from flows.help import text
from flows.help.text import word_set

_INVOICE_REF = re.compile(r"\binv[-\s#]*([0-9]{1,6})\b", re.IGNORECASE)  # [0-9]: \d takes "٤٢" and "４２"
_UNPAID_WORDS = word_set(
    "unpaid impaye impayes impayee impayees outstanding overdue retard owe owes owed doit doivent due reste "
    "encaisser hasn hasnt"
)
_OWE_WORDS = word_set("owe owes owed doit doivent devoir")
UNPAID_SHOWN = 15  # lines in one answer: the full list is `/invoice list open`
OPEN_STATUSES = ("open",)
_COLLECTED_WORDS = word_set(
    "encaisse encaisser encaisses encaissee encaissees encaissement encaissements collected collect earned gagne "
    "recettes revenue income"
)
# A how-to ("how do I collect a payment by card?") names no amount and no period: it gets its article.
_HOW_MUCH_WORDS = word_set("combien much total montant amount")
_LATE_WORDS = word_set("overdue late retard retards")
# "over 60 days", "more than 90 days", "plus de 60 jours", "> 30 days": the days past due asked about.
_OVER_DAYS = re.compile(r"(?:over|more than|beyond|plus de|au dela de|>)\s*([0-9]{1,4})\s*(?:days?|jours?|j)\b")
# The period a question names: a month's name (and year), "last month", "ce mois-ci", "2026-11", "2026".
_PERIOD = re.compile(
    r"\b(?:(?:" + "|".join(sorted(figures.period.MONTHS, key=len, reverse=True)) + r")(?:\s+[0-9]{4})?"
    r"|last month|this month|le mois dernier|ce mois(?:-ci)?|this year|last year|cette annee|l'annee derniere"
    r"|[0-9]{4}-[0-9]{1,2}|[0-9]{4})\b"
)


@dataclass(frozen=True)
class DataAnswer:
    text: str
    private: bool  # names a client or an amount: for the asker's eyes only


def invoice_reference(question: str) -> str | None:
    """``INV-0042`` from "is inv 42 paid?", "INV-0042 payée ?"; None when the question names no invoice."""
    found = _INVOICE_REF.search(question)
    return f"INV-{int(found.group(1)):04d}" if found else None


def answer(
    session: Session, team_id: str, question: str, locale: str, today: date, reader: Access
) -> DataAnswer | None:
    """The answer from the database, or None when the question is not about one invoice, the unpaid ones,
    or what a named client owes (then the knowledge base answers)."""
    number = invoice_reference(question)
    if number is not None:
        return _one_invoice(session, team_id, number, locale, reader)
    if asks_figures(question):
        if not reader.client_details:
            return DataAnswer(t(locale, "privacy.help.forbidden"), private=True)
        return _figures(session, team_id, question, locale)
    found = set(text.words(question.replace("'", " ").replace("’", " ")))
    client = _named_client(session, team_id, found)
    owes = client is not None and (found & _OWE_WORDS or found & _UNPAID_WORDS or "combien" in found or "much" in found)
    unpaid = found & _UNPAID_WORDS or (
        {"paid", "pay", "payes", "paye", "payee"} & found and found & {"not", "pas", "yet"}
    )
    if (owes or unpaid) and not reader.client_details:
        # The same words whether or not such a client exists: a refusal must not confirm who is a client.
        return DataAnswer(t(locale, "privacy.help.forbidden"), private=True)
    if owes and client is not None:
        return _client_owes(session, team_id, client, locale)
    if unpaid:
        return _unpaid(session, team_id, locale, today)
    return None


def _status(invoice: Invoice, locale: str) -> str:
    return t(locale, f"help.data.status.{invoice.status}") if invoice.status in _STATUSES else invoice.status


_STATUSES = frozenset({"draft", "open", "paid", "void", "uncollectible"})


def _client_name(session: Session, client_id: int) -> str:
    client = session.get(Client, client_id)
    return client.name if client is not None else "?"


def _one_invoice(session: Session, team_id: str, number: str, locale: str, reader: Access) -> DataAnswer:
    invoice = session.exec(select(Invoice).where(Invoice.team_id == team_id, Invoice.number == number)).first()
    if invoice is None:
        return DataAnswer(t(locale, "help.data.invoice.not_found", number=number), private=False)
    client = _client_name(session, invoice.client_id)
    if not reader.invoice_details(invoice):
        client = initials(client)  # what the invoice's channel card shows
    if invoice.status == "paid":
        total = format_money(invoice.total, invoice.currency, locale)
        return DataAnswer(t(locale, "help.data.invoice.paid", number=number, client=client, total=total), True)
    return DataAnswer(
        t(
            locale,
            "help.data.invoice",
            number=number,
            client=client,
            status=_status(invoice, locale),
            total=format_money(invoice.total, invoice.currency, locale),
            remaining=format_money(invoice.amount_remaining, invoice.currency, locale),
            due=format_date(invoice.due_date, locale),
        ),
        private=True,
    )


def _unpaid(session: Session, team_id: str, locale: str, today: date) -> DataAnswer:
    rows = session.exec(
        select(Invoice, Client)
        .join(Client, col(Client.id) == col(Invoice.client_id))
        .where(Invoice.team_id == team_id, col(Invoice.status).in_(OPEN_STATUSES))
        .order_by(col(Invoice.due_date), col(Invoice.id))
    ).all()
    if not rows:
        return DataAnswer(t(locale, "help.data.unpaid.none"), private=False)
    lines = [t(locale, "help.data.unpaid.header", count=len(rows))]
    for invoice, client in rows[:UNPAID_SHOWN]:
        line = t(
            locale,
            "help.data.unpaid.line",
            number=invoice.number,
            client=client.name,
            remaining=format_money(invoice.amount_remaining, invoice.currency, locale),
            due=format_date(invoice.due_date, locale),
        )
        lines.append(line + (t(locale, "help.data.unpaid.overdue") if invoice.due_date < today else ""))
    if len(rows) > UNPAID_SHOWN:
        lines.append(t(locale, "help.data.unpaid.more", count=len(rows) - UNPAID_SHOWN))
    return DataAnswer("\n".join(lines), private=True)


def _named_client(session: Session, team_id: str, found: set[str]) -> Client | None:
    """The client whose every name word (or whose first name, when only one client has it) the question holds."""
    clients = session.exec(select(Client).where(Client.team_id == team_id)).all()
    full: list[Client] = []
    first: list[Client] = []
    for client in clients:
        parts = [w for w in text.words(client.name) if len(w) > 1]
        if not parts:
            continue
        if all(p in found for p in parts):
            full.append(client)
        elif parts[0] in found and parts[0] not in text.STOPWORDS:
            first.append(client)
    if len(full) == 1:
        return full[0]
    if not full and len(first) == 1:
        return first[0]
    return None


def _client_owes(session: Session, team_id: str, client: Client, locale: str) -> DataAnswer:
    invoices = session.exec(
        select(Invoice).where(
            Invoice.team_id == team_id, Invoice.client_id == client.id, col(Invoice.status).in_(OPEN_STATUSES)
        )
    ).all()
    owed: dict[str, int] = defaultdict(int)
    for invoice in invoices:
        owed[invoice.currency] += invoice.amount_remaining
    owed = {currency: amount for currency, amount in owed.items() if amount}
    if not owed:
        return DataAnswer(t(locale, "help.data.owes.nothing", client=client.name), private=True)
    amounts = " + ".join(format_money(amount, currency, locale) for currency, amount in sorted(owed.items()))
    return DataAnswer(plural(locale, "help.data.owes", len(invoices), client=client.name, amounts=amounts), True)


def asks_figures(question: str) -> bool:
    """A report's question: money collected (in a period), or what is overdue by more than some days."""
    folded = text.fold(question).replace("’", "'")
    found = set(text.words(question))
    if found & _COLLECTED_WORDS and (found & _HOW_MUCH_WORDS or _PERIOD.search(folded)):
        return True
    return bool(_OVER_DAYS.search(folded)) and bool(found & _LATE_WORDS)


def _figures(session: Session, team_id: str, question: str, locale: str) -> DataAnswer:
    folded = text.fold(question).replace("’", "'")
    today = figures.practice_today(session, team_id)
    over = _OVER_DAYS.search(folded)
    if over and set(text.words(question)) & _LATE_WORDS:
        days = int(over.group(1))
        found = figures.overdue_over(session, team_id, today, days)
        if not found:
            return DataAnswer(t(locale, "reports.help.overdue.none", days=days), private=True)
        parts = [
            plural(locale, "reports.help.overdue.part", count, amount=format_money(amount, currency, locale))
            for currency, (count, amount) in sorted(found.items())
        ]
        return DataAnswer(t(locale, "reports.help.overdue", days=days, parts="; ".join(parts)), private=True)
    named = _PERIOD.search(folded)
    try:
        period = figures.parse(named.group(0) if named else "", today)
    except figures.PeriodError:
        period = figures.parse("", today)
    computed = figures.period_figures(session, team_id, period)
    label = _period_words(period, locale)
    parts = [
        t(locale, "reports.help.collected.part", net=format_money(row.net_collected, row.currency, locale),
          collected=format_money(row.collected, row.currency, locale),
          refunded=format_money(row.refunded, row.currency, locale))
        for row in computed.currencies if row.collected or row.refunded
    ]  # fmt: skip
    if not parts:
        return DataAnswer(t(locale, "reports.help.collected.none", period=label), private=True)
    return DataAnswer(t(locale, "reports.help.collected", period=label, parts="; ".join(parts)), private=True)


def _period_words(period: figures.Period, locale: str) -> str:
    """ "in November 2026", "en novembre 2026", "from 1 Sept 2026 to 30 Nov 2026"."""
    if period.kind == "month":
        return t(locale, "reports.help.in", period=format_date(period.start, locale, "MMMM y"))
    if period.kind == "year":
        return t(locale, "reports.help.in", period=str(period.start.year))
    return t(locale, "reports.help.range", start=format_date(period.start, locale),
             end=format_date(period.last_day, locale))  # fmt: skip
