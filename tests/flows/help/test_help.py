"""The help channel through the harness: events in (signed, as Slack sends them), threaded answers,
buttons, hand-over pings and private data answers out, and `/billing help`'s settings modal."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.checklist import OPEN_STEP_ACTION
from bot.models import Client, HelpQuestion, HelpSettings, Invoice
from bot.sandbox.slack import check_message
from bot.sandbox.slack.records import Message
from flows.help import ids
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.harness.views import filled_view

BOT = "U0BOT"
HELP = "C_HELP"
SUPPORT = "C_SUPPORT"
TEAM = "C_TEAM"  # the bot is a member, but it is not a help channel
GROUP = "S0SUPPORT"


@pytest.fixture
def bb(billbot: Billbot) -> Billbot:
    ws = billbot.workspace
    if HELP not in ws.channels:
        ws.add_channel(HELP, "help", [ADMIN, FRENCH_USER, MEMBER, BOT])
        ws.add_channel(SUPPORT, "support", [ADMIN, BOT])
        ws.add_channel(TEAM, "team", [ADMIN, FRENCH_USER, MEMBER, BOT])
        ws.add_usergroup(GROUP, "support", "Support team", users=[ADMIN])
    return billbot


def configure(bb: Billbot, channels: list[str], group: str | None = GROUP, channel: str | None = SUPPORT) -> str:
    """`/billing help` as the admin, then Save: returns the saved notice's text."""
    bb.requests.command("/billing", "help", user=ADMIN)
    modal = bb.slack.wait_for(lambda: _settings_modal(bb))
    values: dict[str, Any] = {
        ids.CHANNELS: {ids.CHANNELS: {"type": "multi_conversations_select", "selected_conversations": channels}}
    }
    values[ids.SUPPORT_GROUP] = {
        ids.SUPPORT_GROUP: {"type": "static_select", "selected_option": {"value": group or ids.NO_GROUP}}
    }
    values[ids.SUPPORT_CHANNEL] = {
        ids.SUPPORT_CHANNEL: {"type": "conversations_select", "selected_conversation": channel}
    }
    response = bb.requests.submit(modal, values, user=ADMIN)
    assert response.status_code == 200
    assert json.loads(response.text)["response_action"] == "update"

    def saved() -> str | None:
        views = bb.workspace.views(ADMIN)
        text = json.dumps(views[-1]["blocks"], ensure_ascii=False) if views else ""
        return text if "Saved" in text or "Enregistré" in text else None

    text = str(bb.slack.wait_for(saved))
    bb.workspace.close_views(ADMIN)
    return text


def _settings_modal(bb: Billbot) -> dict[str, Any] | None:
    found = [v for v in bb.workspace.views(ADMIN) if v["callback_id"] == ids.SETTINGS_CALLBACK]
    return found[-1] if found else None


def post(bb: Billbot, text: str, *, user: str = ADMIN, channel: str = HELP, channel_type: str = "channel",
         event_type: str = "message", event_id: str | None = None, **extra: Any) -> str:  # fmt: skip
    """A person posts ``text``: the message lands in the stand-in, and Slack sends the app its event."""
    ws = bb.workspace
    ts = ws.next_ts()
    ws.store_message(Message(channel=channel, ts=ts, user=user, text=text, team_id=TEAM_ID))
    event = {"type": event_type, "channel": channel, "user": user, "text": text, "ts": ts, "channel_type": channel_type}
    assert bb.requests.event(event | extra, event_id=event_id).status_code == 200
    return ts


def bot_replies(bb: Billbot, channel: str, ts: str) -> list[Message]:
    return [m for m in bb.workspace.thread(channel, ts) if m.user == BOT and m.thread_ts == ts]


def wait_reply(bb: Billbot, channel: str, ts: str) -> Message:
    replies = bb.slack.wait_for(lambda: bot_replies(bb, channel, ts))
    reply = replies[0]
    assert check_message(reply.text, reply.blocks, None) == []
    return reply


def buttons(message: Message) -> dict[str, dict[str, Any]]:
    found = {}
    for block in message.blocks or []:
        for element in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if element.get("type") == "button":
                found[element["action_id"]] = element
    return found


def settle() -> None:
    # Long enough for a worker to have done work that should not happen.
    time.sleep(0.6)


# -- how-to answers -------------------------------------------------------------------------------------


def test_a_question_in_the_help_channel_is_answered_in_a_thread_with_the_steps_button(bb: Billbot) -> None:
    configure(bb, [HELP])
    ts = post(bb, "how do i add VAT to my invoices?")
    reply = wait_reply(bb, HELP, ts)
    assert "tax rates" in reply.text.lower()
    found = buttons(reply)
    assert found[OPEN_STEP_ACTION]["value"] == "billing_settings"
    assert ids.HELPED_ACTION in found and ids.PERSON_ACTION in found
    assert [m for m in bb.workspace.messages(HELP) if m.user == BOT and m.thread_ts is None] == []  # never top level

    # The button opens that step's modal, right from the answer.
    bb.requests.click(OPEN_STEP_ACTION, user=ADMIN, value="billing_settings", channel=HELP, message_ts=reply.ts)
    modal = filled_view(bb.slack, bb.workspace, ADMIN)
    assert modal["callback_id"] == "billing_settings"


def test_the_answer_is_in_the_questions_language_whatever_the_users_slack_language(bb: Billbot) -> None:
    configure(bb, [HELP])
    french = post(bb, "comment annuler une facture envoyee par erreur ?", user=ADMIN)  # ADMIN's Slack is in English
    english = post(bb, "how do I change the currency?", user=FRENCH_USER)  # Claire's Slack is in French
    french_reply, english_reply = wait_reply(bb, HELP, french), wait_reply(bb, HELP, english)
    assert "Annuler une facture" in french_reply.text
    assert buttons(french_reply)[ids.PERSON_ACTION]["text"]["text"] == "Parler à quelqu'un"
    assert "currency" in english_reply.text.lower()
    # Claire is a member: the settings button would only refuse her, so the answer says whom to ask instead.
    assert OPEN_STEP_ACTION not in buttons(english_reply)
    assert "A billing admin" in json.dumps(english_reply.blocks)


def test_a_set_up_steps_button_is_shown_to_a_billing_admin_and_not_to_a_member(bb: Billbot) -> None:
    configure(bb, [HELP])
    by_admin = wait_reply(bb, HELP, post(bb, "comment changer la devise ?", user=ADMIN))
    by_member = wait_reply(bb, HELP, post(bb, "comment changer la devise ?", user=FRENCH_USER))
    assert buttons(by_admin)[OPEN_STEP_ACTION]["text"]["text"] == "Paramètres de facturation"
    assert "administrateur de la facturation" not in json.dumps(by_admin.blocks, ensure_ascii=False)
    assert OPEN_STEP_ACTION not in buttons(by_member)
    assert "demandez-lui" in json.dumps(by_member.blocks, ensure_ascii=False)
    assert ids.PERSON_ACTION in buttons(by_member)  # a person can still be asked


def test_a_dm_to_the_bot_and_an_at_mention_anywhere_are_answered(bb: Billbot) -> None:
    configure(bb, [HELP])
    dm = bb.workspace.im_channel(MEMBER).id
    asked = post(bb, "how do I create an invoice", user=MEMBER, channel=dm, channel_type="im")
    reply = wait_reply(bb, dm, asked)
    assert buttons(reply)[ids.OPEN_INVOICE_ACTION]["value"] == "open"

    mentioned = post(bb, f"<@{BOT}> comment ajouter un client ?", user=FRENCH_USER, channel=TEAM,
                     event_type="app_mention")  # fmt: skip
    assert "Ajouter et retrouver des clients" in wait_reply(bb, TEAM, mentioned).text


def test_each_question_is_answered_once_across_retries_and_the_mention_duplicate(bb: Billbot) -> None:
    configure(bb, [HELP])
    ts = post(bb, "how do I download an invoice as a pdf", event_id="EvHELP0001")
    wait_reply(bb, HELP, ts)
    event = {"type": "message", "channel": HELP, "user": ADMIN, "text": "how do I download an invoice as a pdf",
             "ts": ts, "channel_type": "channel"}  # fmt: skip
    assert bb.requests.event(event, event_id="EvHELP0001", retry_num=1).status_code == 200
    # A message that @mentions the bot in a help channel comes twice, as a message and as an app_mention.
    mention = f"<@{BOT}> how do I send a payment link?"
    both = post(bb, mention, event_id="EvHELP0002")
    assert bb.requests.event({**event, "type": "app_mention", "text": mention, "ts": both}).status_code == 200
    wait_reply(bb, HELP, both)
    settle()
    assert len(bot_replies(bb, HELP, ts)) == 1
    assert len(bot_replies(bb, HELP, both)) == 1
    with bb.app.services.db.session() as session:
        logged = session.exec(select(HelpQuestion).where(HelpQuestion.channel_id == HELP)).all()
    assert sorted(q.topic for q in logged) == ["invoice-pdf", "payment-link"]


def test_bots_edits_joins_thread_replies_its_own_messages_and_other_channels_are_ignored(bb: Billbot) -> None:
    configure(bb, [HELP])
    question = "how do I add a client?"
    parent = post(bb, "a person's question", channel=TEAM)  # TEAM is not a help channel
    post(bb, question, user="U0OTHERBOT", bot_id="B0OTHER")
    post(bb, question, user=BOT)
    post(bb, question, subtype="channel_join")
    post(bb, question, subtype="message_changed", message={"text": question})
    post(bb, question, thread_ts=bb.workspace.next_ts())
    post(bb, question, channel="C_GENERAL")
    barrier = post(bb, "how do I set up payments?")
    wait_reply(bb, HELP, barrier)
    settle()
    assert bb.slack.calls("chat.postMessage") and len(bb.slack.calls("chat.postMessage")) == 1
    assert bot_replies(bb, TEAM, parent) == []


# -- hand-over ------------------------------------------------------------------------------------------


def _support_pings(bb: Billbot) -> list[Message]:
    return [m for m in bb.workspace.messages(SUPPORT) if m.user == BOT]


def test_an_off_topic_question_hands_over_with_a_ping_and_a_link(bb: Billbot) -> None:
    configure(bb, [HELP])
    ts = post(bb, "what's the weather like in Lyon tomorrow?", user=MEMBER)
    reply = wait_reply(bb, HELP, ts)
    assert "not sure" in reply.text
    assert f"<!subteam^{GROUP}>" in reply.text
    ping = bb.slack.wait_for(lambda: _support_pings(bb))[0]
    assert f"<@{MEMBER}>" in ping.text and f"<!subteam^{GROUP}>" in ping.text
    assert f"/archives/{HELP}/p{ts.replace('.', '')}" in ping.text
    assert not buttons(reply)  # no article, so nothing to press


def test_talk_to_a_person_hands_over_once(bb: Billbot) -> None:
    configure(bb, [HELP], group=None)
    ts = post(bb, "comment envoyer un lien de paiement ?", user=FRENCH_USER)
    reply = wait_reply(bb, HELP, ts)
    person = buttons(reply)[ids.PERSON_ACTION]
    bb.requests.click(ids.PERSON_ACTION, user=FRENCH_USER, value=person["value"], channel=HELP, message_ts=reply.ts)
    note = bb.slack.wait_for(lambda: [m for m in bot_replies(bb, HELP, ts) if m.ts != reply.ts])[0]
    assert f"<#{SUPPORT}>" in note.text and "quelqu'un va vous répondre" in note.text
    ping = bb.slack.wait_for(lambda: _support_pings(bb))[0]
    assert f"<@{FRENCH_USER}>" in ping.text and f"p{ts.replace('.', '')}" in ping.text

    bb.requests.click(ids.PERSON_ACTION, user=FRENCH_USER, value=person["value"], channel=HELP, message_ts=reply.ts)
    already = bb.slack.wait_for(lambda: bb.workspace.ephemeral(HELP, FRENCH_USER))[0]
    assert "déjà été prévenue" in already.text
    assert len(_support_pings(bb)) == 1
    assert len(bot_replies(bb, HELP, ts)) == 2
    with bb.app.services.db.session() as session:
        logged = session.exec(select(HelpQuestion).where(HelpQuestion.message_ts == ts)).one()
    assert logged.handed_over and logged.topic == "payment-link" and logged.language == "fr"


def test_with_nobody_to_take_over_the_thread_says_how_to_choose_someone(bb: Billbot) -> None:
    configure(bb, [HELP], group=None, channel=None)
    ts = post(bb, "who won the match last night?")
    reply = wait_reply(bb, HELP, ts)
    assert "/billing help" in reply.text
    settle()
    assert _support_pings(bb) == []


def test_that_helped_is_recorded_and_thanked_privately(bb: Billbot) -> None:
    configure(bb, [HELP])
    ts = post(bb, "how do I add my logo to invoices?", user=MEMBER)
    reply = wait_reply(bb, HELP, ts)
    helped = buttons(reply)[ids.HELPED_ACTION]
    bb.requests.click(ids.HELPED_ACTION, user=MEMBER, value=helped["value"], channel=HELP, message_ts=reply.ts)
    thanks = bb.slack.wait_for(lambda: bb.workspace.ephemeral(HELP, MEMBER))[0]
    assert "glad it helped" in thanks.text and thanks.thread_ts == ts
    with bb.app.services.db.session() as session:
        assert session.exec(select(HelpQuestion).where(HelpQuestion.message_ts == ts)).one().helpful is True


def test_a_forged_button_value_does_nothing(bb: Billbot) -> None:
    configure(bb, [HELP])
    bb.requests.click(ids.PERSON_ACTION, user=MEMBER, value="not json", channel=HELP, message_ts="1.0")
    bb.requests.click(ids.HELPED_ACTION, user=MEMBER, value='{"c": "C_HELP"}', channel=HELP, message_ts="1.0")
    settle()
    assert bb.slack.calls("chat.postMessage") == [] and bb.slack.calls("chat.postEphemeral") == []


# -- the practice's own data ----------------------------------------------------------------------------


def _seed(bb: Billbot) -> None:
    today = date.today()
    with bb.app.services.db.session() as session:
        jane = Client(team_id=TEAM_ID, name="Jane Doe", name_key="jane doe")
        paul = Client(team_id=TEAM_ID, name="Paul Roux", name_key="paul roux")
        session.add_all([jane, paul])
        session.flush()
        assert jane.id is not None and paul.id is not None
        for number, client_id, status, total, remaining, due in [
            ("INV-0041", jane.id, "paid", 12000, 0, today - timedelta(days=30)),
            ("INV-0042", jane.id, "open", 8000, 8000, today - timedelta(days=2)),
            ("INV-0043", jane.id, "open", 4550, 4550, today + timedelta(days=10)),
            ("INV-0044", paul.id, "open", 10000, 10000, today + timedelta(days=5)),
        ]:
            session.add(Invoice(team_id=TEAM_ID, number=number, request_key=number, client_id=client_id, currency="eur",
                                status=status, due_date=due, total=total, subtotal=total, amount_remaining=remaining,
                                amount_paid=total - remaining))  # fmt: skip


def _private_answer(bb: Billbot, user: str, ts: str) -> Message:
    answer = bb.slack.wait_for(lambda: [m for m in bb.workspace.ephemeral(HELP, user) if m.thread_ts == ts])[0]
    assert check_message(answer.text, answer.blocks, None) == []
    assert bot_replies(bb, HELP, ts) == []  # nothing anyone else can read
    return answer


def test_is_an_invoice_paid_is_answered_to_the_asker_alone(bb: Billbot) -> None:
    configure(bb, [HELP])
    _seed(bb)
    ts = post(bb, "Is INV-0042 paid?", user=MEMBER)
    answer = _private_answer(bb, MEMBER, ts)
    # A member who did not make the invoice reads what its channel card shows: the client's initials.
    assert "INV-0042" in answer.text and "J. D." in answer.text and "unpaid" in answer.text
    assert "Jane" not in answer.text and "€80.00" in answer.text
    assert ids.PERSON_ACTION in buttons(answer) and ids.HELPED_ACTION in buttons(answer)
    ts = post(bb, "Is INV-0042 paid yet?", user=ADMIN)
    assert "Jane Doe" in _private_answer(bb, ADMIN, ts).text


def test_what_is_unpaid_in_french_lists_open_invoices_with_the_overdue_one_marked(bb: Billbot) -> None:
    configure(bb, [HELP])
    _seed(bb)
    ts = post(bb, "Qu'est-ce qui est impayé ?", user=ADMIN)  # French question from an English-speaking admin
    answer = _private_answer(bb, ADMIN, ts)
    assert "Factures impayées (3)" in answer.text
    assert "INV-0041" not in answer.text
    overdue = next(line for line in answer.text.splitlines() if "INV-0042" in line)
    assert "en retard" in overdue and "80,00" in overdue


def test_how_much_does_a_client_owe(bb: Billbot) -> None:
    configure(bb, [HELP])
    _seed(bb)
    ts = post(bb, "How much does Jane owe?", user=ADMIN)
    answer = _private_answer(bb, ADMIN, ts)
    assert "Jane Doe owes €125.50 on 2 unpaid invoices" in answer.text
    # A member, by default, is told politely that balances are for billing admins (test_privacy: the setting).
    ts = post(bb, "How much does Jane owe?", user=MEMBER)
    answer = _private_answer(bb, MEMBER, ts)
    assert "Only billing admins can see client details and balances" in answer.text and "125" not in answer.text


def test_an_unknown_invoice_number_says_so(bb: Billbot) -> None:
    configure(bb, [HELP])
    ts = post(bb, "is INV-0999 paid?")
    reply = wait_reply(bb, HELP, ts)  # names no client and no amount: a thread reply is fine
    assert "can't find invoice INV-0999" in reply.text


# -- `/billing help` ------------------------------------------------------------------------------------


def test_the_admin_chooses_help_channels_and_support(bb: Billbot) -> None:
    bb.requests.command("/billing", "help", user=ADMIN)
    assert "Help channels" in json.dumps(bb.slack.wait_for(lambda: _settings_modal(bb)))
    bb.workspace.close_views(ADMIN)
    text = configure(bb, [HELP, TEAM])
    assert f"<#{HELP}>" in text and f"<#{TEAM}>" in text and f"<!subteam^{GROUP}>" in text
    with bb.app.services.db.session() as session:
        saved = session.get(HelpSettings, TEAM_ID)
    assert saved is not None and json.loads(saved.channels) == [HELP, TEAM]
    assert saved.support_group == GROUP and saved.support_channel == SUPPORT
    # Reopened, the modal shows what was saved.
    bb.requests.command("/billing", "help", user=ADMIN)
    modal = filled_view(bb.slack, bb.workspace, ADMIN)
    channels = next(b for b in modal["blocks"] if b.get("block_id") == ids.CHANNELS)
    assert channels["element"]["initial_conversations"] == [HELP, TEAM]


def test_too_many_channels_is_an_inline_error_and_nothing_is_saved(bb: Billbot) -> None:
    bb.requests.command("/billing", "help", user=ADMIN)
    modal = filled_view(bb.slack, bb.workspace, ADMIN)
    many = [f"C{n:08d}" for n in range(21)]
    values = {ids.CHANNELS: {ids.CHANNELS: {"type": "multi_conversations_select", "selected_conversations": many}}}
    response = bb.requests.submit(modal, values, user=ADMIN)
    body = json.loads(response.text)
    assert body["response_action"] == "errors" and "at most 20" in body["errors"][ids.CHANNELS]
    settle()
    with bb.app.services.db.session() as session:
        assert session.get(HelpSettings, TEAM_ID) is None


def test_a_member_who_is_not_a_billing_admin_cannot_change_the_help_channel(bb: Billbot) -> None:
    bb.requests.command("/billing", "help", user=MEMBER)
    modal = filled_view(bb.slack, bb.workspace, MEMBER)
    assert "Only workspace admins" in json.dumps(modal["blocks"])
    assert modal["callback_id"] == ids.NOTICE_CALLBACK


# -- what Billbot does not do, and a fresh workspace ------------------------------------------------------


def test_a_first_dm_on_a_fresh_workspace_about_something_billbot_does_not_do_says_so_and_offers_a_person(
    bb: Billbot,
) -> None:
    # Nothing configured: no /billing help, no help channel. A DM is answered all the same.
    dm = bb.workspace.im_channel(MEMBER).id
    asked = post(bb, "can billbot make superbills for my clients' insurance?", user=MEMBER, channel=dm,
                 channel_type="im")  # fmt: skip
    reply = wait_reply(bb, dm, asked)
    assert "doesn't make superbills" in reply.text and "Download PDF" in reply.text
    found = buttons(reply)
    assert ids.PERSON_ACTION in found and OPEN_STEP_ACTION not in found  # the PDF is a button on the invoice
    # The offered person: with nobody chosen yet, the thread says how to choose someone.
    bb.requests.click(ids.PERSON_ACTION, user=MEMBER, value=found[ids.PERSON_ACTION]["value"], channel=dm,
                      message_ts=reply.ts)  # fmt: skip
    note = bb.slack.wait_for(lambda: [m for m in bot_replies(bb, dm, asked) if m.ts != reply.ts])[0]
    assert "/billing help" in note.text

    def logged() -> HelpQuestion | None:
        with bb.app.services.db.session() as session:
            row = session.exec(select(HelpQuestion).where(HelpQuestion.message_ts == asked)).one()
        return row if row.handed_over else None

    assert bb.slack.wait_for(logged).topic == "not-supported"


def test_a_first_mention_on_a_fresh_workspace_is_answered_and_a_near_feature_gets_its_button(bb: Billbot) -> None:
    mentioned = post(bb, f"<@{BOT}> on peut envoyer les relances par SMS ?", user=FRENCH_USER, channel=TEAM,
                     event_type="app_mention")  # fmt: skip
    reply = wait_reply(bb, TEAM, mentioned)
    assert "n'envoie pas de SMS" in reply.text
    found = buttons(reply)
    # The closest thing Billbot does is e-mail reminders, a set-up step Claire (a member) may not open: no button
    # that would refuse her, whom to ask instead; an admin asking gets the step's button.
    assert OPEN_STEP_ACTION not in found and "demandez-lui" in json.dumps(reply.blocks, ensure_ascii=False)
    assert found[ids.PERSON_ACTION]["text"]["text"] == "Parler à quelqu'un"
    by_admin = post(bb, f"<@{BOT}> on peut envoyer les relances par SMS ?", user=ADMIN, channel=TEAM,
                    event_type="app_mention")  # fmt: skip
    assert buttons(wait_reply(bb, TEAM, by_admin))[OPEN_STEP_ACTION]["value"] == "reminders"

    # A how-to question in a DM, still with nothing configured, gets its article.
    dm = bb.workspace.im_channel(MEMBER).id
    asked = post(bb, "how do I refund a client?", user=MEMBER, channel=dm, channel_type="im")
    assert "Refund a paid invoice" in wait_reply(bb, dm, asked).text


def test_the_checklist_says_a_help_channel_is_optional_and_how_to_add_one(bb: Billbot) -> None:
    for user, expected in ((ADMIN, "Optional: a help channel"), (FRENCH_USER, "Facultatif : un canal d'aide")):
        event = {"type": "app_home_opened", "user": user, "channel": "D0X", "tab": "home"}
        assert bb.requests.event(event).status_code == 200
        home = bb.slack.wait_for(lambda u=user: bb.workspace.home(u), timeout=30)  # type: ignore[misc]
        text = json.dumps(home["blocks"], ensure_ascii=False)
        assert expected in text and "/billing help" in text
