"""The `/billing` hub, its sub-commands, the App Home tab and the other entry points, through the harness."""

from __future__ import annotations

import json
from typing import Any

from bot.sandbox.slack import check_view
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, Billbot
from tests.harness.views import filled_stack, filled_view


def _texts(view: dict[str, Any]) -> str:
    parts = []
    for block in view["blocks"]:
        for key in ("text",):
            if key in block:
                parts.append(block[key]["text"])
        for element in block.get("elements", []):
            parts.append(element.get("text", "") if isinstance(element.get("text"), str) else "")
        if "accessory" in block:
            parts.append(block["accessory"]["text"]["text"])
    return "\n".join(parts)


def test_billing_opens_the_checklist_modal_after_a_fast_empty_ack(billbot: Billbot) -> None:
    response = billbot.requests.command("/billing", user=ADMIN)
    assert response.status_code == 200
    assert response.content == b""  # nothing posted in the channel on the user's behalf
    views = filled_stack(billbot.slack, billbot.workspace, ADMIN)
    hub = views[-1]
    assert hub["title"]["text"] == "Billing"
    assert check_view(hub) == []
    text = _texts(hub)
    for step in ("Set up payments", "Billing settings", "Invoice template", "Invoice reminders"):
        assert step in text
    assert "0 of 4 steps done" in text
    # Built steps offer their button; the others say they are coming rather than offer one that does nothing.
    buttons = {block["block_id"] for block in hub["blocks"] if block.get("accessory")}
    assert buttons == {"step_stripe_setup", "step_billing_settings", "step_invoice_template", "step_reminders"}
    assert text.count("Coming soon") == 0


def test_billing_speaks_the_users_language(billbot: Billbot) -> None:
    billbot.requests.command("/billing", user=FRENCH_USER)
    hub = filled_view(billbot.slack, billbot.workspace, FRENCH_USER)
    assert hub["title"]["text"] == "Facturation"
    text = _texts(hub)
    assert "Configurer les paiements" in text
    assert "Relances de factures" in text
    assert "Set up payments" not in text


def test_user_locale_is_looked_up_once_then_cached(billbot: Billbot) -> None:
    for opened in range(1, 4):
        billbot.requests.command("/billing", user=MEMBER)
        billbot.slack.wait_for(lambda n=opened: len(billbot.slack.calls("views.update")) == n)  # the hub filled
    assert len(billbot.slack.calls("users.info")) == 1


def test_billing_reminders_opens_the_reminders_step(billbot: Billbot) -> None:
    billbot.requests.command("/billing", "reminders", user=ADMIN)
    view = filled_view(billbot.slack, billbot.workspace, ADMIN)
    assert view["callback_id"] == "reminders_settings"


def test_billing_with_an_unknown_word_explains_the_usage_privately(billbot: Billbot) -> None:
    billbot.requests.command("/billing", "refund everything", user=ADMIN)
    ephemeral = billbot.slack.wait_for(lambda: billbot.workspace.ephemeral("C_GENERAL", ADMIN))
    assert "I don't know `/billing refund`" in ephemeral[-1].text
    assert billbot.workspace.messages("C_GENERAL") == []
    assert billbot.slack.calls("views.open") == []


def test_app_home_shows_the_checklist(billbot: Billbot) -> None:
    response = billbot.requests.event({"type": "app_home_opened", "user": ADMIN, "channel": "D0ADMIN", "tab": "home"})
    assert response.status_code == 200
    home = billbot.slack.wait_for(lambda: billbot.workspace.home(ADMIN))
    assert home["type"] == "home"
    assert check_view(home) == []
    assert "Billing & payments" in _texts(home)


def test_app_home_messages_tab_publishes_nothing(billbot: Billbot) -> None:
    billbot.requests.event({"type": "app_home_opened", "user": ADMIN, "channel": "D0ADMIN", "tab": "messages"})
    billbot.requests.command("/billing", user=ADMIN)  # a later request, to know the first one was processed
    filled_stack(billbot.slack, billbot.workspace, ADMIN)
    assert billbot.workspace.home(ADMIN) is None


def test_slack_retry_of_an_event_does_no_second_work(billbot: Billbot) -> None:
    event = {"type": "app_home_opened", "user": ADMIN, "channel": "D0ADMIN", "tab": "home"}
    first = billbot.requests.event(event, event_id="Ev0RETRIED")
    retry = billbot.requests.event(event, event_id="Ev0RETRIED", retry_num=1)
    assert first.status_code == retry.status_code == 200
    billbot.slack.wait_for(lambda: billbot.workspace.home(ADMIN))
    billbot.requests.event(event, event_id="Ev0LATER")  # a genuinely new event is handled
    billbot.slack.wait_for(lambda: len(billbot.slack.calls("views.publish")) == 2)
    assert len(billbot.slack.calls("views.publish")) == 2


def test_checklist_button_in_the_hub_pushes_the_step(billbot: Billbot) -> None:
    billbot.requests.command("/billing", user=ADMIN)
    hub = filled_view(billbot.slack, billbot.workspace, ADMIN)
    billbot.requests.click("checklist_open", user=ADMIN, value="reminders", view=hub)
    stack = filled_stack(billbot.slack, billbot.workspace, ADMIN, depth=2)
    assert stack[-1]["callback_id"] == "reminders_settings"


def test_checklist_button_with_a_forged_value_does_nothing(billbot: Billbot) -> None:
    response = billbot.requests.click("checklist_open", user=ADMIN, value="drop_tables")
    assert response.status_code == 200
    billbot.requests.command("/billing", user=ADMIN)
    filled_stack(billbot.slack, billbot.workspace, ADMIN)
    assert len(billbot.slack.calls("views.open")) == 1
    assert billbot.slack.calls("views.push") == []


def test_new_invoice_shortcut_opens_a_modal(billbot: Billbot) -> None:
    assert billbot.requests.shortcut("new_invoice", user=ADMIN).status_code == 200
    view = filled_view(billbot.slack, billbot.workspace, ADMIN)
    assert view["title"]["text"] == "New invoice"
    assert view["callback_id"] == "invoice_modal"
    # A global shortcut has no channel: the invoice will go to the user's DM with the bot.
    assert json.loads(view["private_metadata"])["ch"] is None
