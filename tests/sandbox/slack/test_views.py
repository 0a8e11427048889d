"""Modals and home tabs: trigger_id rules, the modal stack, views.update, views.publish."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import SlackStandIn, Workspace

from .conftest import TEAM, ManualClock


def modal(title: str = "New invoice", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": [
            {
                "type": "input",
                "block_id": "amount",
                "label": {"type": "plain_text", "text": "Amount"},
                "element": {"type": "plain_text_input", "action_id": "value"},
            }
        ],
        **extra,
    }


def refused(call: Any) -> str:
    with pytest.raises(SlackApiError) as error:
        call()
    return error.value.response["error"]


def test_valid_modal_opens_on_the_users_stack_with_a_payload_ready_view(
    slack: SlackStandIn, client: WebClient, ws: Workspace
) -> None:
    view = client.views_open(
        trigger_id=slack.issue_trigger_id(TEAM, "U1"),
        view=modal(callback_id="invoice_new", private_metadata='{"customer": 7}'),
    )["view"]

    assert [v["id"] for v in ws.views("U1")] == [view["id"]]
    assert ws.views("U2") == []
    full = ws.view(view["id"])
    assert full["callback_id"] == "invoice_new"
    assert full["private_metadata"] == '{"customer": 7}'
    assert full["state"] == {"values": {}}
    assert full["root_view_id"] == view["id"] and full["previous_view_id"] is None
    assert (full["team_id"], full["app_installed_team_id"], full["bot_id"]) == (TEAM, TEAM, ws.bot_id)
    assert full["hash"] == view["hash"]
    assert set(full) >= {"title", "submit", "close", "clear_on_close", "notify_on_close", "app_id", "external_id"}

    ws.set_view_state(view["id"], {"amount": {"value": {"type": "plain_text_input", "value": "120"}}})
    assert ws.view(view["id"])["state"]["values"]["amount"]["value"]["value"] == "120"


def test_trigger_id_is_single_use(slack: SlackStandIn, client: WebClient) -> None:
    trigger = slack.issue_trigger_id(TEAM, "U1")
    client.views_open(trigger_id=trigger, view=modal())
    assert refused(lambda: client.views_open(trigger_id=trigger, view=modal())) == "exchanged_trigger_id"


def test_trigger_id_expires_after_three_seconds(
    slack: SlackStandIn, slack_clock: ManualClock, client: WebClient, ws: Workspace
) -> None:
    fresh = slack.issue_trigger_id(TEAM, "U1")
    stale = slack.issue_trigger_id(TEAM, "U1")
    slack_clock.advance(2.9)
    client.views_open(trigger_id=fresh, view=modal())
    slack_clock.advance(0.2)
    assert refused(lambda: client.views_open(trigger_id=stale, view=modal())) == "expired_trigger_id"
    assert len(ws.views("U1")) == 1


def test_unknown_or_missing_trigger_id(client: WebClient) -> None:
    assert refused(lambda: client.views_open(trigger_id="123.456.abc", view=modal())) == "invalid_trigger_id"
    assert refused(lambda: client.views_open(trigger_id="", view=modal())) == "invalid_arguments"


def test_push_stacks_up_to_three_views(slack: SlackStandIn, client: WebClient, ws: Workspace) -> None:
    def trigger() -> str:
        return slack.issue_trigger_id(TEAM, "U1")

    assert refused(lambda: client.views_push(trigger_id=trigger(), view=modal())) == "not_found"
    root = client.views_open(trigger_id=trigger(), view=modal("Root"))["view"]
    second = client.views_push(trigger_id=trigger(), view=modal("Second"))["view"]
    third = client.views_push(trigger_id=trigger(), view=modal("Third"))["view"]
    assert (third["root_view_id"], third["previous_view_id"]) == (root["id"], second["id"])
    assert refused(lambda: client.views_push(trigger_id=trigger(), view=modal())) == "push_limit_reached"
    assert [v["title"]["text"] for v in ws.views("U1")] == ["Root", "Second", "Third"]

    assert ws.pop_view("U1")["id"] == third["id"]
    ws.close_views("U1")
    assert ws.views("U1") == []


def test_update_by_external_id_and_hash_conflict(slack: SlackStandIn, client: WebClient, ws: Workspace) -> None:
    opened = client.views_open(trigger_id=slack.issue_trigger_id(TEAM, "U1"), view=modal(external_id="inv-42"))["view"]

    updated = client.views_update(external_id="inv-42", view=modal("Paid"), hash=opened["hash"])["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert updated["external_id"] == "inv-42"
    assert [v["title"]["text"] for v in ws.views("U1")] == ["Paid"]

    assert refused(lambda: client.views_update(view_id=opened["id"], view=modal("Late"), hash=opened["hash"])) == (
        "hash_conflict"
    )
    client.views_update(view_id=opened["id"], view=modal("By id"))
    assert ws.view(opened["id"])["title"]["text"] == "By id"
    assert refused(lambda: client.views_update(external_id="nope", view=modal())) == "not_found"


def test_external_id_is_unique_per_workspace(
    slack: SlackStandIn, client: WebClient, other_client: WebClient, ws: Workspace
) -> None:
    client.views_open(trigger_id=slack.issue_trigger_id(TEAM, "U1"), view=modal(external_id="inv-1"))
    again = slack.issue_trigger_id(TEAM, "U2")
    assert refused(lambda: client.views_open(trigger_id=again, view=modal(external_id="inv-1"))) == (
        "duplicate_external_id"
    )
    other_trigger = slack.issue_trigger_id("T0002", "U1")
    assert other_client.views_open(trigger_id=other_trigger, view=modal(external_id="inv-1"))["ok"]
    ws.close_views("U1")
    assert client.views_open(trigger_id=slack.issue_trigger_id(TEAM, "U2"), view=modal(external_id="inv-1"))["ok"]


def test_publish_home_keeps_the_last_view_and_its_id(client: WebClient, ws: Workspace) -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "3 unpaid"}}]}
    first = client.views_publish(user_id="U1", view=home)["view"]
    home["blocks"][0]["text"]["text"] = "2 unpaid"
    second = client.views_publish(user_id="U1", view=home, hash=first["hash"])["view"]

    assert second["id"] == first["id"]
    current = ws.home("U1")
    assert current is not None and current["blocks"][0]["text"]["text"] == "2 unpaid"
    assert ws.home("U2") is None
    assert refused(lambda: client.views_publish(user_id="U1", view=home, hash=first["hash"])) == "hash_conflict"
    assert refused(lambda: client.views_publish(user_id="U1", view=modal())) == "invalid_arguments"
    assert refused(lambda: client.views_publish(user_id="U404", view=home)) == "user_not_found"


def test_update_keeps_what_was_typed_only_in_blocks_that_keep_their_ids(
    slack: SlackStandIn, client: WebClient, ws: Workspace
) -> None:
    def field(block_id: str, action_id: str = "value") -> dict[str, Any]:
        return {
            "type": "input",
            "block_id": block_id,
            "label": {"type": "plain_text", "text": block_id},
            "element": {"type": "plain_text_input", "action_id": action_id},
        }

    opened = client.views_open(
        trigger_id=slack.issue_trigger_id(TEAM, "U1"), view=modal(blocks=[field("amount"), field("memo")])
    )["view"]
    typed = {
        "amount": {"value": {"type": "plain_text_input", "value": "120"}},
        "memo": {"value": {"type": "plain_text_input", "value": "first session"}},
    }
    ws.set_view_state(opened["id"], typed)
    # The memo block is gone and the amount's input was renamed: Slack keeps neither's typed value.
    client.views_update(view_id=opened["id"], view=modal(blocks=[field("amount", "renamed"), field("note")]))
    assert ws.view(opened["id"])["state"]["values"] == {}
    ws.set_view_state(opened["id"], {"note": {"value": {"type": "plain_text_input", "value": "kept"}}})
    client.views_update(view_id=opened["id"], view=modal(blocks=[field("note"), field("extra")]))
    assert ws.view(opened["id"])["state"]["values"] == {
        "note": {"value": {"type": "plain_text_input", "value": "kept"}}
    }
