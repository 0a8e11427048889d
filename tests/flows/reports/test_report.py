"""`/billing report [period]` through the harness: the figures privately in the asker's language and formats,
the refusal, the usage for a bad period, an empty period, a long report in the DM, and Export CSV."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import date
from typing import Any

from bot.i18n import format_date, format_money
from bot.models import Invoice
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.flows.invoices.test_payments import connect, make_client, settle, wait
from tests.flows.reports.scene import REPORT_CHANNEL, ask, export_button, invoice, pay_on_stripe, text_of, widen_privacy


def _month(locale: str) -> str:
    return format_date(date.today(), locale, "MMMM y")


def _eur(amount: int, locale: str = "en") -> str:
    return format_money(amount, "eur", locale)


def _two_invoices(bb: Billbot) -> tuple[Invoice, Invoice]:
    connect(bb)
    client_id = make_client(bb)
    paid = pay_on_stripe(bb, invoice(bb, client_id, (12000,)))
    still_open = invoice(bb, client_id, (5000, 3000), description="Bilan")
    return paid, still_open


def test_an_admin_gets_the_months_figures_privately(billbot: Billbot) -> None:
    _two_invoices(billbot)
    answer = ask(billbot, "this month")
    shown = text_of(answer)
    assert f"Report: {_month('en')}" in shown
    assert f"*Collected:* {_eur(12000)} ({_eur(12000)} received, {_eur(0)} refunded)" in shown
    assert f"*Invoiced:* {_eur(20000)} on 2 invoices" in shown
    assert f"*Outstanding now:* {_eur(8000)} on 1 invoice" in shown
    assert "*Overdue now:* nothing" in shown
    assert f"Consultation × 1: {_eur(12000)}" not in shown  # lines typed without a catalogue service
    assert f"Lines without a service × 3: {_eur(20000)}" in shown
    assert "<@U0MEMBER>: " in shown  # who made the invoices
    assert export_button(answer)["text"]["text"] == "Export CSV"
    assert billbot.workspace.messages(REPORT_CHANNEL) == []  # nothing in the channel


def test_a_member_is_refused_by_default_in_their_language(billbot: Billbot) -> None:
    _two_invoices(billbot)
    refused = text_of(ask(billbot, "", user=MEMBER))
    assert "they are for the billing admins" in refused and "€" not in refused
    refused = text_of(ask(billbot, "ce mois-ci", user=FRENCH_USER))
    assert "réservés au groupe des administrateurs de la facturation" in refused and "€" not in refused


def test_a_member_sees_it_where_the_practice_widened_privacy_in_french(billbot: Billbot) -> None:
    _two_invoices(billbot)
    widen_privacy(billbot)
    shown = text_of(ask(billbot, "ce mois-ci", user=FRENCH_USER))
    assert f"Rapport : {_month('fr')}" in shown
    assert f"*Encaissé :* {_eur(12000, 'fr')}" in shown
    assert f"*Facturé :* {_eur(20000, 'fr')} sur 2 factures" in shown
    assert f"*Reste dû aujourd'hui :* {_eur(8000, 'fr')} sur 1 facture" in shown


def test_a_bad_period_gets_the_usage_in_the_askers_language(billbot: Billbot) -> None:
    shown = text_of(ask(billbot, "2026-13"))
    assert "“2026-13” is not a date in the calendar." in shown and "`/billing report`" in shown
    shown = text_of(ask(billbot, "someday"))
    assert "I can't read “someday” as a period." in shown and "`last month`" in shown
    widen_privacy(billbot)
    shown = text_of(ask(billbot, "de 2026-11-30 à 2026-09-01", user=FRENCH_USER))
    assert "La période se termine avant de commencer" in shown and "`le mois dernier`" in shown


def test_an_empty_period_says_so(billbot: Billbot) -> None:
    connect(billbot)  # nothing invoiced yet (what is owed now shows in any period's report)
    answer = ask(billbot, "2020-01")
    assert "Nothing was invoiced, paid or refunded in January 2020" in text_of(answer)
    assert not any(b["type"] == "actions" for b in answer.blocks or [])
    widen_privacy(billbot)
    assert "Rien n'a été facturé" in text_of(ask(billbot, "janvier 2020", user=FRENCH_USER))


def test_a_long_report_goes_to_the_dm(billbot: Billbot) -> None:
    client_id = make_client(billbot)
    with billbot.app.services.db.session() as session:
        for n, currency in enumerate(("eur", "usd", "gbp", "chf", "jpy", "cad", "aud")):
            session.add(Invoice(team_id=TEAM_ID, number=f"INV-{n:04d}", request_key=f"k{n}", client_id=client_id,
                                currency=currency, status="open", due_date=date(2020, 1, 1), total=1000 + n,
                                amount_remaining=1000 + n))  # fmt: skip
    said = text_of(ask(billbot, "this month"))
    assert "is long: I sent it to" in said and "slack://app?team=T0PRACTICE&id=A_BILLBOT&tab=messages" in said
    dm = wait(billbot, lambda: billbot.workspace.dm(ADMIN))
    shown = text_of(dm[-1])
    assert "*In JPY*" in shown and "over 90 days late" in shown


def _click_export(bb: Billbot, answer: Any, user: str = ADMIN, action_ts: str | None = None) -> None:
    button = export_button(answer)
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "practice"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": bb.slack.issue_trigger_id(TEAM_ID, user),
        "channel": {"id": REPORT_CHANNEL},
        "container": {"type": "message", "channel_id": REPORT_CHANNEL, "message_ts": answer.ts, "is_ephemeral": True},
        "response_url": bb.slack.issue_response_url(TEAM_ID, REPORT_CHANNEL, user),
        "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "reports_actions",
                     "value": button["value"], "action_ts": action_ts or f"{time.time():.6f}"}],
    }  # fmt: skip
    assert bb.requests.interact(payload).status_code == 200


def _csv_files(bb: Billbot, count: int) -> list[Any]:
    found: list[Any] = wait(bb, lambda: len(f := bb.workspace.files()) >= count and f)
    return found


def _rows(data: bytes, delimiter: str) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark: French Excel reads the accents
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def test_export_csv_sends_two_files_to_the_dm_with_initials_by_default(billbot: Billbot) -> None:
    paid, _ = _two_invoices(billbot)
    answer = ask(billbot, "this month")
    _click_export(billbot, answer)
    files = _csv_files(billbot, 2)
    by_name = {f.filename: f for f in files}
    month = date.today().strftime("%Y-%m")
    lines = _rows(by_name[f"invoice-lines-{month}.csv"].data, ",")
    assert lines[0] == ["date", "number", "client", "service", "quantity", "unit price", "tax rate (%)", "tax",
                        "tax amount", "total", "currency", "status", "paid on", "method", "refunded"]  # fmt: skip
    assert len(lines) == 1 + 3
    first = lines[1]
    assert first[1] == paid.number and first[2] == "É. M." and first[9] == "120.00" and first[10] == "EUR"
    assert first[11] == "paid" and first[12] == date.today().isoformat() and first[13] == "Stripe"
    money = _rows(by_name[f"payments-refunds-{month}.csv"].data, ",")
    assert money[1][3:7] == ["payment", "Stripe", "120.00", "EUR"]
    dm_channel = billbot.workspace.dm(ADMIN)[-1].channel
    assert all(dm_channel in f.channels for f in files)
    said = wait(billbot, lambda: [m.text for m in billbot.workspace.ephemeral(REPORT_CHANNEL, ADMIN)
                                  if "CSV files" in (m.text or "")])  # fmt: skip
    assert "slack://app?team=T0PRACTICE&id=A_BILLBOT&tab=messages" in said[-1]
    assert "Élodie" not in json.dumps([f.data.decode("utf-8-sig") for f in files], ensure_ascii=False)


def test_export_csv_in_french_names_clients_where_widened_with_semicolons_and_commas(billbot: Billbot) -> None:
    _two_invoices(billbot)
    widen_privacy(billbot)
    answer = ask(billbot, "ce mois-ci", user=FRENCH_USER)
    _click_export(billbot, answer, user=FRENCH_USER)
    files = {f.filename: f for f in _csv_files(billbot, 2)}
    month = date.today().strftime("%Y-%m")
    lines = _rows(files[f"lignes-factures-{month}.csv"].data, ";")
    assert lines[0][:4] == ["date", "numéro", "client", "prestation"]
    assert lines[1][2] == "Élodie Martin" and lines[1][9] == "120,00" and lines[1][11] == "payée"
    assert lines[2][11] == "ouverte" and lines[2][9] == "50,00"
    money = _rows(files[f"paiements-remboursements-{month}.csv"].data, ";")
    assert money[1][3:6] == ["paiement", "Stripe", "120,00"]


def test_slacks_retry_of_one_click_uploads_once(billbot: Billbot) -> None:
    _two_invoices(billbot)
    answer = ask(billbot, "this month")
    _click_export(billbot, answer, action_ts="1764849600.000100")
    _click_export(billbot, answer, action_ts="1764849600.000100")
    _csv_files(billbot, 2)
    settle(billbot)
    assert len(billbot.workspace.files()) == 2


def test_the_export_checks_again_who_presses(billbot: Billbot) -> None:
    _two_invoices(billbot)
    answer = ask(billbot, "this month")
    _click_export(billbot, answer, user=MEMBER)  # a button passed on, or the setting narrowed since
    said = wait(billbot, lambda: [m.text for m in billbot.workspace.ephemeral(REPORT_CHANNEL, MEMBER)])
    assert "they are for the billing admins" in said[-1]
    settle(billbot)
    assert billbot.workspace.files() == []


def _click(bb: Billbot, answer: Any, action_id: str, user: str = ADMIN) -> None:
    button = next(e for b in answer.blocks or [] for e in b.get("elements", []) if e.get("action_id") == action_id)
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "practice"},
        "user": {"id": user, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": bb.slack.issue_trigger_id(TEAM_ID, user),
        "channel": {"id": REPORT_CHANNEL},
        "container": {"type": "message", "channel_id": REPORT_CHANNEL, "message_ts": answer.ts, "is_ephemeral": True},
        "response_url": bb.slack.issue_response_url(TEAM_ID, REPORT_CHANNEL, user),
        "actions": [{"type": "button", "action_id": action_id, "block_id": "reports_actions",
                     "value": button["value"], "action_ts": f"{time.time():.6f}"}],
    }  # fmt: skip
    assert bb.requests.interact(payload).status_code == 200


def test_the_chart_goes_to_the_dm_as_a_png_whose_alt_text_states_the_figures(billbot: Billbot) -> None:
    from PIL import Image

    _two_invoices(billbot)
    answer = ask(billbot, "this month")
    _click(billbot, answer, "reports_chart")
    (png,) = _csv_files(billbot, 1)
    assert png.filename == f"chart-eur-{date.today().strftime('%Y-%m')}.png"
    image = Image.open(io.BytesIO(png.data))
    assert image.format == "PNG" and image.size == (1080, 480)
    alt = png.alt_txt or ""
    assert f"EUR: {_month('en')}. Invoiced and collected (net of refunds) per week:" in alt
    assert f"invoiced {_eur(20000)}, collected {_eur(12000)}" in alt  # this week's bar
    assert "1–30 days late: €0.00" in alt
    assert billbot.workspace.dm(ADMIN)[-1].channel in png.channels
    said = wait(billbot, lambda: [m.text for m in billbot.workspace.ephemeral(REPORT_CHANNEL, ADMIN)
                                  if "chart" in (m.text or "")])  # fmt: skip
    assert "The chart for" in said[-1]


def test_the_chart_in_french(billbot: Billbot) -> None:
    _two_invoices(billbot)
    widen_privacy(billbot)
    answer = ask(billbot, "ce mois-ci", user=FRENCH_USER)
    _click(billbot, answer, "reports_chart", user=FRENCH_USER)
    (png,) = _csv_files(billbot, 1)
    assert f"EUR : {_month('fr')}. Facturé et encaissé (remboursements déduits) par semaine" in (png.alt_txt or "")
    assert f"facturé {_eur(20000, 'fr')}, encaissé {_eur(12000, 'fr')}" in (png.alt_txt or "")
