"""The invoice message's buttons, through the harness: clicks in, Slack calls, our rows and Stripe objects out."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import stripe
from slack_sdk import WebClient
from sqlmodel import select

from bot.models import Appointment, Client, Invoice, StripeAccount
from bot.sandbox.slack import check_view
from bot.sandbox.slack.limits import check_blocks
from bot.sandbox.slack.records import Message
from bot.slack_users import set_workspace_locale
from flows.clients.logic import fold_name, uninvoiced_appointments
from flows.invoices import ids as action_ids
from flows.invoices.creation.logic import create_invoice
from flows.invoices.forms import InvoiceForm, LineForm
from flows.invoices.ids import SEND_LINK_CONFIRM_CALLBACK
from flows.invoices.payments.views import invoice_actions, send_link_modal
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot

CHANNEL = "C_PAYMENTS"
CREATOR = MEMBER  # a member who is no admin: creating the invoice is what lets them act on it
PUBLIC_URL = "https://billbot.example.com"
EMAIL = "elodie@example.com"
_keys = iter(range(1, 1_000_000))


# -- setting the scene: a connected practice, a client, an invoice posted by the real creation code ----------


def web(bb: Billbot) -> WebClient:
    return WebClient(token=f"xoxb-test-{TEAM_ID}", base_url=bb.slack.url)


def stripe_api(bb: Billbot) -> stripe.StripeClient:
    return stripe.StripeClient(bb.stripe.api_key, base_addresses={"api": bb.stripe.url}, max_network_retries=0)


def connect(bb: Billbot) -> str:
    account = bb.app.services.stripe.create_account("express", idempotency_key="test-account", metadata={})
    bb.stripe.complete_onboarding(account["id"])
    with bb.app.services.db.session() as session:
        session.add(
            StripeAccount(
                team_id=TEAM_ID,
                account_id=account["id"],
                connection="express",
                charges_enabled=True,
                payouts_enabled=True,
                details_submitted=True,
            )
        )
    return str(account["id"])


def make_client(bb: Billbot, name: str = "Élodie Martin", email: str | None = EMAIL) -> int:
    with bb.app.services.db.session() as session:
        client = Client(team_id=TEAM_ID, name=name, name_key=fold_name(name), email=email, created_by=CREATOR)
        session.add(client)
        session.flush()
        assert client.id is not None
        return client.id


def make_invoice(
    bb: Billbot,
    client_id: int,
    *,
    user: str = CREATOR,
    locale: str = "en",
    amounts: tuple[int, ...] = (12000,),
    appointment_ids: tuple[int, ...] = (),
) -> Invoice:
    bb.workspace.add_channel(CHANNEL, "payments", members=[ADMIN, FRENCH_USER, MEMBER, "U0BOT"])
    lines = tuple(
        LineForm(service_date=date(2026, 11, 2), description="Consultation", quantity=1, unit_amount=amount)
        for amount in amounts
    )
    form = InvoiceForm(
        client_id=client_id,
        currency="eur",
        due_date=date.today() + timedelta(days=14),
        lines=lines,
        appointment_ids=appointment_ids,
    )
    outcome = create_invoice(
        bb.app.services,
        web(bb),
        team_id=TEAM_ID,
        user_id=user,
        locale=locale,
        form=form,
        request_key=f"test-{next(_keys)}",
        channel_id=CHANNEL,
    )
    assert outcome.error is None, outcome.error
    invoice = row(bb, outcome.invoice.id)  # type: ignore[arg-type]
    assert invoice.status == "open" and invoice.message_ts and invoice.channel_id == CHANNEL
    return invoice


def set_scene(billbot: Billbot) -> tuple[Billbot, str, int, Invoice]:
    """A connected practice, a client with an email and one open invoice of €120.00 posted in CHANNEL."""
    account = connect(billbot)
    client_id = make_client(billbot)
    return billbot, account, client_id, make_invoice(billbot, client_id)


@pytest.fixture
def scene(billbot: Billbot) -> tuple[Billbot, str, int, Invoice]:
    return set_scene(billbot)


# -- reading what happened -----------------------------------------------------------------------------------


def row(bb: Billbot, invoice_id: int) -> Invoice:
    with bb.app.services.db.session() as session:
        found = session.get(Invoice, invoice_id)
    assert found is not None
    return found


def client_row(bb: Billbot, client_id: int) -> Client:
    with bb.app.services.db.session() as session:
        found = session.get(Client, client_id)
    assert found is not None
    return found


def message(bb: Billbot, invoice: Invoice) -> Message:
    return bb.workspace.message(CHANNEL, invoice.message_ts or "")


def buttons(msg: Message) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in msg.blocks or []:
        for element in block.get("elements", []):
            if element.get("type") == "button":
                found[element["action_id"]] = element
    return found


def replies(bb: Billbot, invoice: Invoice) -> list[str]:
    return [m.text or "" for m in bb.workspace.thread(CHANNEL, invoice.message_ts or "") if m.ts != invoice.message_ts]


def ephemerals(bb: Billbot, user: str) -> list[str]:
    return [m.text or "" for m in bb.workspace.ephemeral(CHANNEL, user)]


def click(bb: Billbot, action_id: str, invoice: Invoice, user: str = CREATOR) -> None:
    response = bb.requests.click(
        action_id, user=user, value=str(invoice.id), channel=CHANNEL, message_ts=invoice.message_ts
    )
    assert response.status_code == 200, response.text


def send_link(bb: Billbot, invoice: Invoice, user: str = CREATOR) -> dict[str, Any]:
    """Press Send payment link, and confirm in the modal that only the clicker sees; that modal."""
    before = len(bb.workspace.views(user))
    click(bb, action_ids.SEND_LINK, invoice, user)
    views = wait(bb, lambda: len(bb.workspace.views(user)) > before and bb.workspace.views(user))
    confirmation: dict[str, Any] = views[-1]
    assert confirmation["callback_id"] == SEND_LINK_CONFIRM_CALLBACK
    response = bb.requests.submit(confirmation, {}, user=user)
    assert response.status_code == 200 and not response.content  # an empty answer: Slack closes the modal
    bb.workspace.pop_view(user)
    return confirmation


def wait(bb: Billbot, predicate: Any, timeout: float = 10) -> Any:
    return bb.slack.wait_for(predicate, timeout=timeout)


def settle(bb: Billbot) -> None:
    """Let Stripe's webhooks and the queued work after them finish, so "nothing more" can be asserted."""
    bb.stripe.wait_for_deliveries()
    deadline = time.monotonic() + 10
    while bb.app.services.work.counts()["pending"] and time.monotonic() < deadline:
        time.sleep(0.02)
    bb.stripe.wait_for_deliveries()
    time.sleep(0.2)


def stripe_invoice(bb: Billbot, account: str, invoice: Invoice) -> Any:
    return stripe_api(bb).v1.invoices.retrieve(invoice.stripe_invoice_id or "", None, {"stripe_account": account})  # type: ignore[arg-type]


def events(bb: Billbot, kind: str, invoice: Invoice) -> list[dict[str, Any]]:
    return [e for e in bb.stripe.events(kind) if e["data"]["object"].get("id") == invoice.stripe_invoice_id]


def save_card(bb: Billbot, invoice: Invoice, card_number: str = "4242 4242 4242 4242", user: str = CREATOR) -> str:
    """Press Add payment method, then be the client on Stripe's Checkout page; where Stripe sends them after."""
    before = len(ephemerals(bb, user))
    click(bb, action_ids.ADD_PAYMENT_METHOD, invoice, user)
    text = wait(bb, lambda: ephemerals(bb, user)[before:] and ephemerals(bb, user)[-1])
    url = next(word for word in text.split() if word.startswith(bb.stripe.url + "/c/pay/"))
    page = httpx.post(url, data={"card_number": card_number, "email": EMAIL}, timeout=10)
    assert page.status_code == 303, page.text
    return str(page.headers["location"])


def charge_all(bb: Billbot, invoice: Invoice, *, presses: int = 1, wait_for: str = "") -> dict[str, Any]:
    """Press Charge card on file and charge all of it (the modal's default); the modal once Billbot answered."""
    from tests.flows.invoices.test_record_payment import charge_values, open_modal, shows, submit

    view = open_modal(bb, invoice, action=action_ids.CHARGE_CARD)
    for _ in range(presses):
        submit(bb, view, charge_values())
    return shows(bb, view["id"], wait_for or invoice.number)


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view.get("blocks", view), ensure_ascii=False)


# -- the buttons, by status ----------------------------------------------------------------------------------


def _sample(status: str, card: str | None = None) -> tuple[Invoice, Client]:
    invoice = Invoice(
        id=7,
        team_id=TEAM_ID,
        number="INV-0007",
        request_key="k",
        client_id=1,
        currency="eur",
        status=status,
        due_date=date(2026, 12, 1),
        subtotal=10000,
        tax=0,
        total=10000,
        amount_remaining=10000,
        stripe_invoice_id="in_1",
        invoice_pdf="https://files.test/in_1.pdf",
    )
    client = Client(id=1, team_id=TEAM_ID, name="Élodie", name_key="elodie", email=EMAIL, default_payment_method=card)
    return invoice, client


@pytest.mark.parametrize(
    ("status", "card", "expected"),
    [
        (
            "open",
            None,
            [
                action_ids.SEND_LINK,
                action_ids.ADD_PAYMENT_METHOD,
                action_ids.DOWNLOAD_PDF,
                action_ids.MARK_PAID,
                action_ids.VOID,
                "reminders_stop",  # flows.reminders
            ],
        ),
        (
            "open",
            "pm_1",
            [
                action_ids.SEND_LINK,
                action_ids.CHARGE_CARD,
                action_ids.DOWNLOAD_PDF,
                action_ids.MARK_PAID,
                action_ids.VOID,
                "reminders_stop",  # flows.reminders
            ],
        ),
        (
            "uncollectible",
            None,
            [
                action_ids.SEND_LINK,
                action_ids.ADD_PAYMENT_METHOD,
                action_ids.DOWNLOAD_PDF,
                action_ids.MARK_PAID,
                action_ids.VOID,
            ],
        ),
        ("paid", "pm_1", [action_ids.DOWNLOAD_PDF]),
        ("void", None, [action_ids.DOWNLOAD_PDF]),
    ],
)
def test_buttons_follow_the_status(status: str, card: str | None, expected: list[str]) -> None:
    invoice, client = _sample(status, card)
    for locale in ("en", "fr"):
        block = invoice_actions(invoice, client, locale)
        assert block is not None
        assert check_blocks([block]) == []
        assert [e["action_id"] for e in block["elements"]] == expected
        assert all(e["value"] == "7" for e in block["elements"])


def test_confirm_dialogs_show_the_recipient_and_void_is_dangerous() -> None:
    invoice, client = _sample("open")
    block = invoice_actions(invoice, client, "en")
    assert block is not None
    found = {e["action_id"]: e for e in block["elements"]}
    # The message is seen by the whole channel: the client's email is not in it, not even in a confirm dialog.
    assert "confirm" not in found[action_ids.SEND_LINK] and EMAIL not in json.dumps(block)
    confirmation = send_link_modal(invoice, client, "en", channel_id="C1")
    shown = json.dumps(confirmation, ensure_ascii=False)
    assert check_view(confirmation) == [] and EMAIL in shown and "€100.00" in shown
    assert found[action_ids.VOID]["confirm"]["style"] == "danger" and found[action_ids.VOID]["style"] == "danger"
    assert "confirm" not in found[action_ids.MARK_PAID]  # it opens the Record payment modal, its own confirmation
    assert "url" not in found[action_ids.DOWNLOAD_PDF]  # rendered by Billbot and sent to the clicker's DM
    french = invoice_actions(invoice, client, "fr")
    assert french is not None
    assert [e["text"]["text"] for e in french["elements"]][:2] == [
        "Envoyer le lien de paiement",
        "Ajouter un moyen de paiement",
    ]
    assert french["elements"][3]["text"]["text"] == "Enregistrer un paiement"


def test_nothing_to_offer_on_a_draft_without_a_pdf() -> None:
    invoice, client = _sample("draft")
    invoice.invoice_pdf = None
    invoice.stripe_invoice_id = None
    assert invoice_actions(invoice, client, "en") is None


def test_the_posted_invoice_message_carries_the_buttons(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, _, _, invoice = scene
    posted = message(bb, invoice)
    assert set(buttons(posted)) == {
        action_ids.SEND_LINK,
        action_ids.ADD_PAYMENT_METHOD,
        action_ids.DOWNLOAD_PDF,
        action_ids.MARK_PAID,
        action_ids.VOID,
        "reminders_stop",  # flows.reminders
        "invoice_correct",  # flows.invoices.correction: Correct, Change due date
        "invoice_change_due_date",
    }
    assert check_view({"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": posted.blocks}) == []


# -- send the payment link -----------------------------------------------------------------------------------


def test_send_payment_link_emails_once_and_shows_the_link_to_the_clicker(
    scene: tuple[Billbot, str, int, Invoice],
) -> None:
    bb, _, _, invoice = scene
    confirmation = send_link(bb, invoice)
    assert EMAIL in json.dumps(confirmation)  # the recipient, shown to the clicker before anything is sent
    told = wait(bb, lambda: ephemerals(bb, CREATOR))
    assert EMAIL in told[0] and invoice.hosted_invoice_url and invoice.hosted_invoice_url in told[0]
    thread = wait(bb, lambda: replies(bb, invoice))
    assert thread == [f"<@{CREATOR}> sent the payment link for invoice {invoice.number} by email."]
    assert EMAIL not in thread[0]
    assert len(events(bb, "invoice.sent", invoice)) == 1

    send_link(bb, invoice)  # the second press: the link again, no second email
    again = wait(bb, lambda: len(ephemerals(bb, CREATOR)) == 2 and ephemerals(bb, CREATOR))
    assert "already sent" in again[1] and invoice.hosted_invoice_url in again[1]
    settle(bb)
    assert len(events(bb, "invoice.sent", invoice)) == 1
    assert len(replies(bb, invoice)) == 1


def test_a_double_click_on_send_link_sends_one_email(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, _, _, invoice = scene
    send_link(bb, invoice)
    send_link(bb, invoice)
    wait(bb, lambda: len(ephemerals(bb, CREATOR)) == 2)
    settle(bb)
    assert len(events(bb, "invoice.sent", invoice)) == 1
    assert len(replies(bb, invoice)) == 1


# -- add a payment method, then charge it ----------------------------------------------------------------------


def test_add_payment_method_then_charge_the_card_on_file(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, client_id, invoice = scene
    landing = save_card(bb, invoice)
    assert landing == f"{PUBLIC_URL}/stripe/return?card_saved=1&lang=en"
    page = httpx.get(bb.app.url + landing[len(PUBLIC_URL) :], timeout=10)
    assert page.status_code == 200 and "Card saved" in page.text

    card = wait(bb, lambda: client_row(bb, client_id).default_payment_method)
    customer = stripe_api(bb).v1.customers.retrieve(
        client_row(bb, client_id).stripe_customer_id or "", None, {"stripe_account": account}
    )  # type: ignore[arg-type]
    assert customer.invoice_settings and customer.invoice_settings.default_payment_method == card
    updated = wait(bb, lambda: action_ids.CHARGE_CARD in buttons(message(bb, invoice)) and message(bb, invoice))
    assert action_ids.ADD_PAYMENT_METHOD not in buttons(updated)
    saved = wait(bb, lambda: replies(bb, invoice))
    assert saved == ["É. M. saved a card: Charge card on file is now available."]  # the channel reads initials

    charge_all(bb, invoice)
    wait(bb, lambda: row(bb, invoice.id).status == "paid")  # type: ignore[arg-type]
    paid = row(bb, invoice.id)  # type: ignore[arg-type]
    assert (paid.amount_paid, paid.amount_remaining) == (12000, 0) and paid.paid_at is not None
    assert stripe_invoice(bb, account, invoice).status == "paid"
    # Refund (flows.invoices.refunds) is all a paid invoice offers beside its PDF.
    wait(bb, lambda: set(buttons(message(bb, invoice))) == {action_ids.DOWNLOAD_PDF, "invoice_refund"})
    settle(bb)
    assert replies(bb, invoice)[1:] == [f"Invoice {invoice.number} is paid: €120.00 received."]
    assert len(events(bb, "invoice.paid", invoice)) == 1


def test_a_declined_card_leaves_the_invoice_open_with_one_thread_reply(
    scene: tuple[Billbot, str, int, Invoice],
) -> None:
    bb, account, _, invoice = scene
    save_card(bb, invoice, "4000 0000 0000 0341")  # saves fine, declines when charged
    wait(bb, lambda: action_ids.CHARGE_CARD in buttons(message(bb, invoice)))
    declined = text_of(charge_all(bb, invoice, wait_for="declined"))
    assert "Your card was declined." in declined and "still open" in declined
    settle(bb)
    failures = [r for r in replies(bb, invoice) if "failed" in r]
    assert failures == [f"A payment for invoice {invoice.number} failed. The invoice is still open."]
    assert row(bb, invoice.id).status == "open"  # type: ignore[arg-type]
    assert stripe_invoice(bb, account, invoice).status == "open"
    assert action_ids.CHARGE_CARD in buttons(message(bb, invoice))


def test_a_double_click_on_charge_charges_once(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    save_card(bb, invoice)
    wait(bb, lambda: action_ids.CHARGE_CARD in buttons(message(bb, invoice)))
    charge_all(bb, invoice, presses=2)
    wait(bb, lambda: row(bb, invoice.id).status == "paid")  # type: ignore[arg-type]
    settle(bb)
    charged = stripe_invoice(bb, account, invoice)
    assert (charged.status, charged.amount_paid, charged.attempt_count) == ("paid", 12000, 1)
    assert len(events(bb, "invoice.paid", invoice)) == 1
    assert [r for r in replies(bb, invoice) if "is paid" in r] == [
        f"Invoice {invoice.number} is paid: €120.00 received."
    ]


def test_charge_without_a_saved_card_explains(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    from tests.flows.invoices.test_record_payment import open_modal, text

    told = open_modal(bb, invoice, action=action_ids.CHARGE_CARD)  # an old copy of the message, say
    assert "Élodie Martin has no saved card yet: use Add payment method first." in text(told)
    assert stripe_invoice(bb, account, invoice).attempt_count == 0


# -- mark as paid, void --------------------------------------------------------------------------------------


def test_mark_as_paid(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    from tests.flows.invoices.test_record_payment import open_modal, record, text, today_of, values

    record(bb, invoice, lambda v: values(day=today_of(v)))
    wait(bb, lambda: row(bb, invoice.id).status == "paid")  # type: ignore[arg-type]
    assert stripe_invoice(bb, account, invoice).status == "paid"
    wait(bb, lambda: action_ids.MARK_PAID not in buttons(message(bb, invoice)))
    assert "is paid" in text(open_modal(bb, invoice))  # pressed again on a stale copy
    settle(bb)
    assert replies(bb, invoice) == [f"Invoice {invoice.number} was marked as paid (paid outside Stripe)."]
    assert len(events(bb, "invoice.paid", invoice)) == 1


def test_void_frees_the_sessions_it_billed(billbot: Billbot) -> None:
    bb = billbot
    account = connect(bb)
    client_id = make_client(bb)
    with bb.app.services.db.session() as session:
        sessions = [
            Appointment(team_id=TEAM_ID, client_id=client_id, held_on=date(2026, 11, day), description="Consultation")
            for day in (2, 9)
        ]
        session.add_all(sessions)
        session.flush()
        ids = tuple(s.id for s in sessions if s.id is not None)
    invoice = make_invoice(bb, client_id, amounts=(8000, 8000), appointment_ids=ids)
    with bb.app.services.db.session() as session:
        assert uninvoiced_appointments(session, TEAM_ID, client_id) == []
    click(bb, action_ids.VOID, invoice)
    wait(bb, lambda: row(bb, invoice.id).status == "void")  # type: ignore[arg-type]
    with bb.app.services.db.session() as session:
        assert [a.id for a in uninvoiced_appointments(session, TEAM_ID, client_id)] == list(ids)
    assert stripe_invoice(bb, account, invoice).status == "void"
    wait(bb, lambda: set(buttons(message(bb, invoice))) == {action_ids.DOWNLOAD_PDF})
    click(bb, action_ids.VOID, invoice)  # a double click
    settle(bb)
    assert replies(bb, invoice) == [f"Invoice {invoice.number} was voided. Its sessions can be invoiced again."]
    assert len(events(bb, "invoice.voided", invoice)) == 1


# -- who may act -------------------------------------------------------------------------------------------


def test_someone_who_neither_created_it_nor_administers_billing_is_refused(
    scene: tuple[Billbot, str, int, Invoice],
) -> None:
    bb, account, _, invoice = scene
    # (Record payment and Charge say it in their modal: tests/flows/invoices/test_record_payment.py.)
    for action in (action_ids.VOID, action_ids.SEND_LINK, action_ids.ADD_PAYMENT_METHOD):
        click(bb, action, invoice, user=FRENCH_USER)
    told = wait(bb, lambda: len(ephemerals(bb, FRENCH_USER)) == 3 and ephemerals(bb, FRENCH_USER))
    assert set(told) == {
        f"Seule la personne qui a créé la facture {invoice.number} ou un administrateur de la "
        "facturation peut faire cela. Rien n’a été modifié."
    }
    settle(bb)
    assert stripe_invoice(bb, account, invoice).status == "open"
    assert not events(bb, "invoice.sent", invoice)
    assert row(bb, invoice.id).status == "open" and replies(bb, invoice) == []  # type: ignore[arg-type]
    assert not stripe_api(bb).v1.checkout.sessions.list(None, {"stripe_account": account}).data  # type: ignore[arg-type]


def test_a_billing_admin_who_did_not_create_it_may_act(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, _, _, invoice = scene
    click(bb, action_ids.VOID, invoice, user=ADMIN)
    wait(bb, lambda: row(bb, invoice.id).status == "void")  # type: ignore[arg-type]


def test_in_french_from_button_to_thread(billbot: Billbot) -> None:
    bb = billbot
    set_workspace_locale(bb.app.services.db, TEAM_ID, "fr")  # a French practice: what its channels read is French too
    connect(bb)
    client_id = make_client(bb, "Chloé Dubois")
    invoice = make_invoice(bb, client_id, user=FRENCH_USER, locale="fr")
    posted = buttons(message(bb, invoice))
    assert posted[action_ids.SEND_LINK]["text"]["text"] == "Envoyer le lien de paiement"
    confirmation = send_link(bb, invoice, user=FRENCH_USER)
    assert f"Stripe enverra la facture {invoice.number} et son lien de paiement à {EMAIL}." in json.dumps(
        confirmation, ensure_ascii=False
    )
    told = wait(bb, lambda: ephemerals(bb, FRENCH_USER))
    assert told[0].startswith(f"Stripe a envoyé la facture {invoice.number} à {EMAIL}.")
    from tests.flows.invoices.test_record_payment import record, today_of, values

    record(bb, invoice, lambda v: values(day=today_of(v)), user=FRENCH_USER)
    wait(bb, lambda: row(bb, invoice.id).status == "paid")  # type: ignore[arg-type]
    settle(bb)
    assert replies(bb, invoice) == [
        f"<@{FRENCH_USER}> a envoyé le lien de paiement de la facture {invoice.number} par e-mail.",
        f"La facture {invoice.number} a été marquée comme payée (paiement hors Stripe).",
    ]
    landing = httpx.get(f"{bb.app.url}/stripe/return", params={"card_saved": "0", "lang": "fr"}, timeout=10)
    assert "Aucune carte enregistrée" in landing.text


def test_a_click_for_another_workspaces_invoice_finds_nothing(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    with bb.app.services.db.session() as session:
        stored = session.exec(select(Invoice).where(Invoice.id == invoice.id)).one()
        stored.team_id = "T0SOMEONE"
        session.add(stored)
    click(bb, action_ids.VOID, invoice)
    assert wait(bb, lambda: ephemerals(bb, CREATOR)) == ["This invoice no longer exists."]
    assert stripe_invoice(bb, account, invoice).status == "open"


def test_slacks_retry_of_one_click_makes_one_checkout_session(scene: tuple[Billbot, str, int, Invoice]) -> None:
    bb, account, _, invoice = scene
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "practice"},
        "user": {"id": CREATOR, "team_id": TEAM_ID},
        "api_app_id": "A_BILLBOT",
        "trigger_id": bb.slack.issue_trigger_id(TEAM_ID, CREATOR),
        "channel": {"id": CHANNEL},
        "container": {"type": "message", "channel_id": CHANNEL, "message_ts": invoice.message_ts},
        "message": {"ts": invoice.message_ts},
        # Slack sends a response_url with every click in a message.
        "response_url": bb.slack.issue_response_url(TEAM_ID, CHANNEL, CREATOR, original_ts=invoice.message_ts),
        "actions": [
            {
                "type": "button",
                "action_id": action_ids.ADD_PAYMENT_METHOD,
                "block_id": "invoice_payments",
                "value": str(invoice.id),
                "action_ts": "1764140000.000100",
            }
        ],
    }
    for _ in range(2):
        assert bb.requests.interact(payload).status_code == 200
    told = wait(bb, lambda: len(ephemerals(bb, CREATOR)) == 2 and ephemerals(bb, CREATOR))
    assert told[0] == told[1]
    listed = stripe_api(bb).v1.checkout.sessions.list(None, {"stripe_account": account})  # type: ignore[arg-type]
    assert len(listed.data) == 1
    assert listed.data[0].to_dict()["metadata"] == {
        "billbot_team": TEAM_ID,
        "billbot_client": str(invoice.client_id),
        "billbot_invoice": str(invoice.id),
    }


# -- download the PDF ----------------------------------------------------------------------------------------


def test_download_pdf_sends_the_rendered_invoice_to_the_clickers_dm_only(
    scene: tuple[Billbot, str, int, Invoice],
) -> None:
    bb, _, _, invoice = scene
    click(bb, action_ids.DOWNLOAD_PDF, invoice)
    uploaded = wait(bb, lambda: [f for f in bb.workspace.files() if f.completed])
    assert [f.filename for f in uploaded] == [f"{invoice.number}.pdf"]
    assert uploaded[0].data is not None and uploaded[0].data.startswith(b"%PDF")
    dm = bb.workspace.dm(CREATOR)
    assert dm and dm[0].text == f"Here is the PDF of invoice {invoice.number}."
    assert uploaded[0].channels == [dm[0].channel] and uploaded[0].thread_ts == dm[0].ts
    assert all(m.files == [] for m in bb.workspace.messages(CHANNEL))  # nothing of it lands in the channel


def test_download_pdf_is_refused_to_someone_who_neither_created_it_nor_administers_billing(
    scene: tuple[Billbot, str, int, Invoice],
) -> None:
    bb, _, _, invoice = scene
    click(bb, action_ids.DOWNLOAD_PDF, invoice, user=FRENCH_USER)
    wait(bb, lambda: ephemerals(bb, FRENCH_USER))
    settle(bb)
    assert bb.workspace.files() == [] and bb.workspace.dm(FRENCH_USER) == []
    assert "ni créée" in ephemerals(bb, FRENCH_USER)[0] or invoice.number in ephemerals(bb, FRENCH_USER)[0]
