"""Privacy: who sees a practice's client details, memos and session notes, and what a channel's invoice card
shows. Through the real app: signed commands, clicks and events, the Slack stand-in and the Stripe emulator.

The cast: ADMIN (a workspace admin, so a billing admin), MEMBER (a member, here the invoices' creator where
said) and FRENCH_USER (another member, Slack in French, who made none of them).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.initials import initials
from bot.models import Appointment, BillingSettings
from bot.sandbox.slack import check_message
from bot.sandbox.slack.state import Message
from bot.slack_users import set_workspace_locale
from flows.billing_settings import ids as bs_ids
from flows.billing_settings import validation as bs_validation
from flows.clients import ids as client_f
from flows.invoices import ids as action_ids
from flows.invoices.message.posting import update_invoice_message
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.flows.billing_settings.test_billing_settings import (
    db_settings,
    open_settings,
    save,
    settings_values,
    view_text,
    wait_view,
)
from tests.flows.help.test_help import HELP, configure, post
from tests.flows.help.test_help import bb as help_bb  # noqa: F401 - the help channel's fixture, under its own name
from tests.flows.invoices.test_creation import BOT, CHANNEL, SERVICE_DAY, Practice, line, make_practice

MEMO = "Discussed the anxiety plan"
NOTE = "Panic attacks less frequent"


def text_of(message: Message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + (message.text or "")


def set_privacy(bb: Billbot, *, members_see_client_details: bool = False, full_channel_cards: bool = False) -> None:
    with bb.app.services.db.session() as session:
        row = session.get(BillingSettings, TEAM_ID) or BillingSettings(team_id=TEAM_ID, currency="eur")
        row.members_see_client_details = members_see_client_details
        row.full_channel_cards = full_channel_cards
        session.add(row)


@pytest.fixture
def practice(billbot: Billbot) -> Practice:
    made = make_practice(billbot)
    billbot.workspace.add_channel(CHANNEL, name="invoices", members=[ADMIN, FRENCH_USER, MEMBER, BOT])
    return made


def make_invoice(practice: Practice, *, creator: str = MEMBER, channel: str | None = CHANNEL) -> tuple[int, str]:
    """MEMBER invoices Jeanne Dupont for one session with a private note, with a memo: (invoice id, its ts)."""
    client_id = practice.add_client("Jeanne Dupont")
    with practice.services.db.session() as session:
        session_row = Appointment(team_id=TEAM_ID, client_id=client_id, held_on=SERVICE_DAY,
                                  description="Therapy session", notes=NOTE)  # fmt: skip
        session.add(session_row)
        session.flush()
        assert session_row.id is not None
        appointment_ids = (session_row.id,)
    form = practice.form(client_id, [line("Therapy session", 9000)], memo=MEMO, appointment_ids=appointment_ids)
    outcome = practice.create(form, user=creator, channel=channel)
    assert outcome.error is None and outcome.invoice.id is not None
    return outcome.invoice.id, outcome.invoice.message_ts or ""


def channel_card(practice: Practice) -> Message:
    [card] = practice.bb.workspace.messages(CHANNEL)
    assert check_message(card.text, card.blocks, None) == []
    return card


def details(practice: Practice, invoice_id: int, ts: str, user: str) -> Message:
    """``user`` presses the card's Details button: the ephemeral answer they alone get."""
    ws = practice.bb.workspace
    before = len(ws.ephemeral(CHANNEL, user))
    response = practice.bb.requests.click(action_ids.DETAILS, user=user, value=str(invoice_id), channel=CHANNEL,
                                          message_ts=ts)  # fmt: skip
    assert response.status_code == 200
    found = practice.bb.slack.wait_for(
        lambda: len(ws.ephemeral(CHANNEL, user)) > before and ws.ephemeral(CHANNEL, user)
    )
    answer: Message = found[-1]
    assert check_message(answer.text, answer.blocks, None) == []
    return answer


def ask(bb: Billbot, command: str, text: str, user: str) -> Message:
    """`/invoice text` or `/client text` in #general: the ephemeral answer; nothing lands in the channel."""
    ws = bb.workspace
    before = len(ws.ephemeral("C_GENERAL", user))
    bb.requests.command(command, text, user=user)
    found = bb.slack.wait_for(lambda: len(ws.ephemeral("C_GENERAL", user)) > before and ws.ephemeral("C_GENERAL", user))
    answer: Message = found[-1]
    assert check_message(answer.text, answer.blocks, None) == []
    assert ws.messages("C_GENERAL") == []
    return answer


def details_button(message: Message) -> dict[str, Any] | None:
    for block in message.blocks or []:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("action_id") == action_ids.DETAILS:
                return dict(element)
    return None


# -- initials --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Jeanne Dupont", "J. D."),
        ("Ève-Marie Lefèvre", "È.-M. L."),  # the name's own accent: Ève keeps its grave
        ("Élise-Anne Roy", "É.-A. R."),
        ("E\u0301lodie Martin", "É. M."),  # a combining accent, as some keyboards type it
        ("Jeanne", "J."),
        ("jean de la fontaine", "J. D. L. F."),
        ("  Zoé   Roux ", "Z. R."),
        ("<!channel> & co", "C. C."),  # no mrkdwn survives: initials are letters only
        ("Ørsted Ñúñez", "Ø. Ñ."),
        ("  ", "?"),
        ("— …", "?"),
    ],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


# -- the channel card ------------------------------------------------------------------------------------


def test_a_channel_card_shows_number_initials_amounts_dates_and_status_only(practice: Practice) -> None:
    make_invoice(practice)
    card = channel_card(practice)
    text = text_of(card)
    assert "INV-0001" in text and "J. D." in text and "€90.00" in text and "Open" in text and "Due" in text
    assert "Jeanne" not in text and "Dupont" not in text and "Therapy session" not in text
    assert MEMO not in text and NOTE not in text
    assert "Invoice INV-0001 for J. D." in (card.text or "")  # the notification too
    assert details_button(card) is not None


def test_details_shows_the_full_invoice_to_its_creator_and_billing_admins_only(practice: Practice) -> None:
    invoice_id, ts = make_invoice(practice, creator=MEMBER)

    creator = text_of(details(practice, invoice_id, ts, MEMBER))
    assert "Jeanne Dupont" in creator and "Therapy session" in creator and "€90.00" in creator
    assert MEMO in creator and NOTE in creator  # memo and session notes: the creator's own

    admin = text_of(details(practice, invoice_id, ts, ADMIN))
    assert "Jeanne Dupont" in admin and "Therapy session" in admin and MEMO in admin and NOTE in admin

    other = details(practice, invoice_id, ts, FRENCH_USER)
    assert other.text == (
        "Seuls la personne qui a créé la facture et les administrateurs de la facturation peuvent voir le détail "
        "de INV-0001 dans cet espace de travail."
    )
    assert "Jeanne" not in text_of(other)
    # The card itself never changed, and nothing was posted for the channel to read.
    assert len(practice.bb.workspace.messages(CHANNEL)) == 1 and "Jeanne" not in text_of(channel_card(practice))


@pytest.mark.parametrize("value", ["99999999999999999999", "-1", "٤٢", "x", ""])
def test_a_forged_details_value_shows_nothing_and_fails_no_job(practice: Practice, value: str) -> None:
    make_invoice(practice, creator=ADMIN)
    response = practice.bb.requests.click(action_ids.DETAILS, user=ADMIN, value=value, channel=CHANNEL,
                                          message_ts="1.000")  # fmt: skip
    assert response.status_code == 200
    practice.bb.slack.wait_for(lambda: practice.services.work.counts() == {"pending": 0, "failed": 0})
    assert practice.bb.workspace.ephemeral(CHANNEL, ADMIN) == []


def test_details_in_english_for_a_member_who_may_not_see_it(practice: Practice) -> None:
    invoice_id, ts = make_invoice(practice, creator=ADMIN)
    refused = details(practice, invoice_id, ts, MEMBER)
    assert (
        refused.text
        == "Only the invoice's creator and billing admins can see the details of INV-0001 in this workspace."
    )


def test_details_when_every_member_may_see_client_details_but_never_the_memo(practice: Practice) -> None:
    invoice_id, ts = make_invoice(practice, creator=ADMIN)
    set_privacy(practice.bb, members_see_client_details=True)
    shown = text_of(details(practice, invoice_id, ts, FRENCH_USER))
    assert "Jeanne Dupont" in shown and "Therapy session" in shown
    assert MEMO not in shown and NOTE not in shown


def test_full_channel_cards_setting_shows_name_and_lines_and_back_to_initials(practice: Practice) -> None:
    set_privacy(practice.bb, full_channel_cards=True)
    invoice_id, _ = make_invoice(practice)
    text = text_of(channel_card(practice))
    assert "Jeanne Dupont" in text and "Therapy session" in text and "€90.00" in text
    assert MEMO not in text and NOTE not in text  # a channel never reads those
    assert details_button(channel_card(practice)) is None

    set_privacy(practice.bb, full_channel_cards=False)
    assert (
        update_invoice_message(practice.web(), invoice_id, db=practice.services.db, default_locale="en") is True
    )  # e.g. after a payment
    text = text_of(channel_card(practice))
    assert "J. D." in text and "Jeanne" not in text and "Therapy session" not in text
    assert details_button(channel_card(practice)) is not None


def test_a_card_in_the_creators_dm_stays_full_and_private(practice: Practice) -> None:
    make_invoice(practice, creator=MEMBER, channel=None)
    [card] = practice.bb.workspace.dm(MEMBER)
    text = text_of(card)
    assert "Jeanne Dupont" in text and "Therapy session" in text and MEMO in text
    assert details_button(card) is None


def test_a_french_channel_card(practice: Practice) -> None:
    set_workspace_locale(practice.services.db, TEAM_ID, "fr")  # a French practice: what its channels read is French too
    client_id = practice.add_client("Ève-Marie Lefèvre")
    outcome = practice.create(practice.form(client_id, [line("Séance", 9000)]), user=FRENCH_USER, locale="fr")
    assert outcome.error is None
    card = channel_card(practice)
    text = text_of(card)
    assert "È.-M. L." in text and "Lefèvre" not in text and "Séance" not in text
    assert "réservés à la personne qui l'a créée" in text
    assert details_button(card)["text"]["text"] == "Détails"  # type: ignore[index]


# -- /invoice INV-n and /invoice list ---------------------------------------------------------------------


def test_invoice_number_shows_memo_and_notes_to_its_creator_and_admins_only(practice: Practice) -> None:
    make_invoice(practice, creator=MEMBER)
    for user in (MEMBER, ADMIN):
        text = text_of(ask(practice.bb, "/invoice", "INV-0001", user))
        assert "Jeanne Dupont" in text and "Therapy session" in text and MEMO in text and NOTE in text, user

    other = text_of(ask(practice.bb, "/invoice", "INV-0001", FRENCH_USER))
    assert "INV-0001" in other and "J. D." in other and "90,00" in other
    assert "Jeanne" not in other and "Therapy session" not in other and MEMO not in other and NOTE not in other
    assert "Seuls la personne qui a créé la facture et les administrateurs" in other

    set_privacy(practice.bb, members_see_client_details=True)
    widened = text_of(ask(practice.bb, "/invoice", "INV-0001", FRENCH_USER))
    assert "Jeanne Dupont" in widened and "Therapy session" in widened
    assert MEMO not in widened and NOTE not in widened  # the setting widens details, never the memo


def test_invoice_list_names_clients_only_for_those_allowed(practice: Practice) -> None:
    make_invoice(practice, creator=ADMIN)
    admin = text_of(ask(practice.bb, "/invoice", "list", ADMIN))
    assert "Jeanne Dupont" in admin and "initials" not in admin

    member = text_of(ask(practice.bb, "/invoice", "list", MEMBER))
    assert "INV-0001" in member and "J. D." in member and "Jeanne" not in member and "€90.00" in member
    assert "Clients are shown by their initials" in member
    french = text_of(ask(practice.bb, "/invoice", "list", FRENCH_USER))
    assert "Les clients sont indiqués par leurs initiales" in french and "Jeanne" not in french

    set_privacy(practice.bb, members_see_client_details=True)
    assert "Jeanne Dupont" in text_of(ask(practice.bb, "/invoice", "list", MEMBER))


def test_the_creator_sees_their_own_invoices_client_in_the_list(practice: Practice) -> None:
    make_invoice(practice, creator=MEMBER)
    mine = text_of(ask(practice.bb, "/invoice", "list", MEMBER))
    assert "Jeanne Dupont" in mine and "initials" not in mine


# -- /client --------------------------------------------------------------------------------------------------


def test_client_details_go_to_billing_admins_only_by_default(practice: Practice) -> None:
    practice.add_client("Jeanne Dupont", email="jeanne.dupont@example.com")
    assert "jeanne.dupont@example.com" in text_of(ask(practice.bb, "/client", "", ADMIN))
    assert "jeanne.dupont@example.com" in text_of(ask(practice.bb, "/client", "Jeanne", ADMIN))

    for text in ("", "Jeanne", "Jeanne Dupont"):
        refused = ask(practice.bb, "/client", text, MEMBER)
        assert refused.text == "Only billing admins can see client details in this workspace."
        assert "jeanne" not in text_of(refused).lower()
    french = ask(practice.bb, "/client", "Jeanne", FRENCH_USER)
    assert french.text == (
        "Seuls les administrateurs de la facturation peuvent voir les informations des clients dans cet espace de "
        "travail."
    )


def test_a_forged_open_record_click_is_refused(practice: Practice) -> None:
    client_id = practice.add_client("Jeanne Dupont", email="jeanne.dupont@example.com")
    ws = practice.bb.workspace
    practice.bb.requests.click(client_f.OPEN_RECORD_ACTION, user=MEMBER, value=str(client_id), channel="C_GENERAL",
                               message_ts="1.000")  # fmt: skip
    found = practice.bb.slack.wait_for(lambda: ws.ephemeral("C_GENERAL", MEMBER))
    assert found[-1].text == "Only billing admins can see client details in this workspace."
    assert "jeanne" not in text_of(found[-1]).lower()


def test_every_member_sees_client_details_when_the_practice_allows_it(practice: Practice) -> None:
    practice.add_client("Jeanne Dupont", email="jeanne.dupont@example.com")
    set_privacy(practice.bb, members_see_client_details=True)
    assert "jeanne.dupont@example.com" in text_of(ask(practice.bb, "/client", "Jeanne", MEMBER))
    set_privacy(practice.bb, members_see_client_details=False)
    assert "Only billing admins" in (ask(practice.bb, "/client", "Jeanne", MEMBER).text or "")


# -- the help channel's data answers ---------------------------------------------------------------------------


def private_answer(bb: Billbot, user: str, ts: str) -> Message:
    found = bb.slack.wait_for(lambda: [m for m in bb.workspace.ephemeral(HELP, user) if m.thread_ts == ts])
    answer: Message = found[0]
    assert check_message(answer.text, answer.blocks, None) == []
    return answer


def test_help_balances_are_for_billing_admins_unless_the_practice_allows_members(
    practice: Practice,
    help_bb: Billbot,  # noqa: F811 - the fixture imported above
) -> None:
    configure(help_bb, [HELP])
    make_invoice(practice, creator=ADMIN)

    admin = private_answer(help_bb, ADMIN, post(help_bb, "How much does Jeanne owe?", user=ADMIN))
    assert "Jeanne Dupont owes €90.00" in (admin.text or "")

    for question in ("How much does Jeanne owe?", "How much does Zorro owe?", "What is unpaid?"):
        refused = private_answer(help_bb, MEMBER, post(help_bb, question, user=MEMBER))
        assert (refused.text or "").startswith("Only billing admins can see client details and balances"), question
        assert "Jeanne" not in (refused.text or "") and "90" not in (refused.text or "")
    french = private_answer(help_bb, FRENCH_USER, post(help_bb, "Combien doit Jeanne ?", user=FRENCH_USER))
    assert (french.text or "").startswith("Seuls les administrateurs de la facturation peuvent voir les informations")

    set_privacy(help_bb, members_see_client_details=True)
    widened = private_answer(help_bb, MEMBER, post(help_bb, "How much does Jeanne owe now?", user=MEMBER))
    assert "Jeanne Dupont owes €90.00" in (widened.text or "")


def test_help_invoice_status_names_the_client_for_its_creator_and_initials_for_others(
    practice: Practice,
    help_bb: Billbot,  # noqa: F811
) -> None:
    configure(help_bb, [HELP])
    make_invoice(practice, creator=MEMBER)
    mine = private_answer(help_bb, MEMBER, post(help_bb, "Is INV-0001 paid?", user=MEMBER))
    assert "Jeanne Dupont" in (mine.text or "")
    other = private_answer(
        help_bb, FRENCH_USER, post(help_bb, "La facture INV-0001 est-elle payée ?", user=FRENCH_USER)
    )
    assert "J. D." in (other.text or "") and "Jeanne" not in (other.text or "")


# -- the billing settings ---------------------------------------------------------------------------------------


def radio(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    element: dict[str, Any] = next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]
    return element


def privacy_values(details: str, cards: str) -> dict[str, Any]:
    return {
        **settings_values(),
        bs_ids.CLIENT_DETAILS: {
            bs_ids.CLIENT_DETAILS: {"type": "radio_buttons", "selected_option": {"value": details}}
        },
        bs_ids.CHANNEL_CARDS: {bs_ids.CHANNEL_CARDS: {"type": "radio_buttons", "selected_option": {"value": cards}}},
    }


def test_the_settings_modal_says_what_the_default_is_and_why_and_saves_both_ways(billbot: Billbot) -> None:
    view = open_settings(billbot)
    text = view_text(view)
    assert "business associate agreement" in text and "Privacy" in text
    assert radio(view, bs_ids.CLIENT_DETAILS)["initial_option"]["value"] == bs_ids.ADMINS_ONLY
    assert radio(view, bs_ids.CHANNEL_CARDS)["initial_option"]["value"] == bs_ids.INITIALS

    save(billbot, view, privacy_values(bs_ids.MEMBERS, bs_ids.FULL_CARDS))
    saved = wait_view(billbot, view["id"], "Billing settings saved")
    assert "every member" in view_text(saved) and "full (client's name and lines)" in view_text(saved)
    row = db_settings(billbot)
    assert row is not None and row.members_see_client_details and row.full_channel_cards

    billbot.workspace.close_views(ADMIN)
    again = open_settings(billbot)
    assert radio(again, bs_ids.CLIENT_DETAILS)["initial_option"]["value"] == bs_ids.MEMBERS
    assert radio(again, bs_ids.CHANNEL_CARDS)["initial_option"]["value"] == bs_ids.FULL_CARDS
    save(billbot, again, privacy_values(bs_ids.ADMINS_ONLY, bs_ids.INITIALS))
    wait_view(billbot, again["id"], "Billing settings saved")
    row = db_settings(billbot)
    assert row is not None and not row.members_see_client_details and not row.full_channel_cards


def test_the_settings_modal_in_french(billbot: Billbot) -> None:
    with billbot.app.services.db.session() as session:  # FRENCH_USER is made a billing admin through the group
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur", billing_admin_group="S0BILLFR"))
    billbot.workspace.add_usergroup("S0BILLFR", handle="facturation", users=[FRENCH_USER])
    try:
        text = view_text(open_settings(billbot, FRENCH_USER))
    finally:  # the stand-in keeps user groups across tests: another test lists the workspace's groups
        billbot.workspace.usergroups.pop("S0BILLFR", None)
    assert "Confidentialité" in text and "accord de partenariat (BAA)" in text
    assert "Les administrateurs de la facturation seulement (recommandé)" in text


def test_a_forged_privacy_choice_is_refused_in_the_modal_and_nothing_is_saved(billbot: Billbot) -> None:
    view = open_settings(billbot)
    answer = save(billbot, view, privacy_values("everyone", bs_ids.INITIALS))
    assert answer["response_action"] == "errors" and bs_ids.CLIENT_DETAILS in answer["errors"]
    assert db_settings(billbot) is None


def test_privacy_choices_survive_the_retry_payload() -> None:
    form, errors = bs_validation.settings_form(privacy_values(bs_ids.MEMBERS, bs_ids.INITIALS), "en", group_field=False)
    assert errors == {} and form is not None
    assert (form.members_see_client_details, form.full_channel_cards) == (True, False)
    assert bs_validation.settings_from_json(form.to_json(), "en") == form
    # A modal without the privacy blocks (an older one still open) keeps what is saved.
    older, _ = bs_validation.settings_form(settings_values(), "en", group_field=False)
    assert older is not None and older.members_see_client_details is None and older.full_channel_cards is None
