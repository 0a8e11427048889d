"""Messages, conversations and directory methods through the real slack_sdk WebClient."""

from __future__ import annotations

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import SlackStandIn, Workspace

from .conftest import TEAM, TOKEN


def error_of(call: object) -> str:
    assert isinstance(call, pytest.ExceptionInfo)
    return call.value.response["error"]


def test_post_message_is_recorded_in_its_channel_with_slacks_answer(client: WebClient, ws: Workspace) -> None:
    blocks = [{"type": "section", "block_id": "intro", "text": {"type": "mrkdwn", "text": "*Invoice* sent"}}]
    answer = client.chat_postMessage(channel="C1", text="Invoice sent", blocks=blocks)

    assert answer["channel"] == "C1"
    assert answer["message"]["text"] == "Invoice sent"
    assert answer["message"]["bot_id"] == ws.bot_id
    [message] = ws.messages("C1")
    assert message.ts == answer["ts"]
    assert message.user == "UBOT"
    assert message.blocks == blocks
    assert ws.messages("billing-help") == ws.messages("C1")
    assert ws.message("C1", answer["ts"]).text == "Invoice sent"


def test_form_encoded_posts_are_understood_like_json_ones(slack: SlackStandIn, ws: Workspace) -> None:
    response = httpx.post(
        slack.url + "chat.postMessage",
        data={"token": TOKEN, "channel": "C1", "text": "hi", "blocks": '[{"type": "divider"}]'},
    )
    assert response.json()["ok"] is True
    [message] = ws.messages("C1")
    assert message.blocks is not None and message.blocks[0]["type"] == "divider"
    [call] = slack.calls("chat.postMessage")
    assert call.token == TOKEN and call.args["blocks"][0]["type"] == "divider"


def test_posting_to_a_user_id_lands_in_the_bots_dm_with_them(client: WebClient, ws: Workspace) -> None:
    opened = client.conversations_open(users="U1")["channel"]["id"]
    assert client.conversations_open(users="U1")["channel"]["id"] == opened
    assert opened.startswith("D")

    answer = client.chat_postMessage(channel="U1", text="Your invoice")
    assert answer["channel"] == opened
    assert [m.text for m in ws.dm("U1")] == ["Your invoice"]
    assert ws.dm("U2") == []
    info = client.conversations_info(channel=opened)["channel"]
    assert info["is_im"] is True and info["user"] == "U1"


def test_thread_replies_keep_post_order_and_thread_view(client: WebClient, ws: Workspace) -> None:
    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    client.chat_postMessage(channel="C1", text="other")
    client.chat_postMessage(channel="C1", text="reply 1", thread_ts=parent)
    client.chat_postMessage(channel="C1", text="reply 2", thread_ts=parent)

    assert [m.text for m in ws.messages("C1")] == ["parent", "other", "reply 1", "reply 2"]
    assert [m.text for m in ws.thread("C1", parent)] == ["parent", "reply 1", "reply 2"]
    assert all(m.thread_ts == parent for m in ws.thread("C1", parent)[1:])


def test_update_keeps_history_and_delete_hides_the_message(client: WebClient, ws: Workspace) -> None:
    ts = client.chat_postMessage(channel="C1", text="Draft")["ts"]
    updated = client.chat_update(channel="C1", ts=ts, text="Paid", blocks=[{"type": "divider"}])
    assert updated["ts"] == ts and updated["text"] == "Paid"

    message = ws.message("C1", ts)
    assert message.text == "Paid" and message.edited
    assert [e.text for e in message.edits] == ["Draft"]

    assert client.chat_delete(channel="C1", ts=ts)["ts"] == ts
    assert ws.messages("C1") == []
    assert [m.deleted for m in ws.messages("C1", include_deleted=True)] == [True]
    with pytest.raises(SlackApiError) as gone:
        client.chat_update(channel="C1", ts=ts, text="again")
    assert error_of(gone) == "message_not_found"


def test_ephemeral_messages_are_kept_per_channel_and_user(client: WebClient, ws: Workspace) -> None:
    answer = client.chat_postEphemeral(channel="C1", user="U1", text="Only you")
    assert answer["message_ts"]
    assert [m.text for m in ws.ephemeral("C1", "U1")] == ["Only you"]
    assert ws.ephemeral("C1", "U2") == []
    assert ws.messages("C1") == []
    with pytest.raises(SlackApiError) as outsider:
        client.chat_postEphemeral(channel="C1", user="U2", text="x")
    assert error_of(outsider) == "user_not_in_channel"


def test_permalink_and_reactions(client: WebClient, ws: Workspace) -> None:
    ts = client.chat_postMessage(channel="C1", text="Invoice")["ts"]
    link = client.chat_getPermalink(channel="C1", message_ts=ts)["permalink"]
    assert link == f"https://cabinet-dupont.slack.com/archives/C1/p{ts.replace('.', '')}"

    client.reactions_add(channel="C1", timestamp=ts, name="white_check_mark")
    assert ws.message("C1", ts).reactions == {"white_check_mark": ["UBOT"]}
    with pytest.raises(SlackApiError) as twice:
        client.reactions_add(channel="C1", timestamp=ts, name="white_check_mark")
    assert error_of(twice) == "already_reacted"


def test_channel_rules(client: WebClient, ws: Workspace) -> None:
    with pytest.raises(SlackApiError) as unknown:
        client.chat_postMessage(channel="C404", text="x")
    assert error_of(unknown) == "channel_not_found"

    with pytest.raises(SlackApiError) as outside:
        client.chat_postMessage(channel="C2", text="x")
    assert error_of(outside) == "not_in_channel"

    with pytest.raises(SlackApiError) as private:
        client.chat_postMessage(channel="G1", text="x")
    assert error_of(private) == "channel_not_found"

    joined = client.conversations_join(channel="C2")
    assert joined["channel"]["is_member"] is True
    assert client.chat_postMessage(channel="#general", text="now in")["channel"] == "C2"
    assert client.conversations_join(channel="C2")["warning"] == "already_in_channel"


def test_reset_restores_declared_membership(slack: SlackStandIn, client: WebClient) -> None:
    client.conversations_join(channel="C2")
    slack.reset()
    assert client.conversations_info(channel="C2")["channel"]["is_member"] is False


def test_users_team_and_groups(client: WebClient) -> None:
    alice = client.users_info(user="U1", include_locale=True)["user"]
    assert alice["locale"] == "en-US" and alice["tz"] == "Europe/Paris" and alice["is_admin"] is False
    bob = client.users_info(user="U2")["user"]
    assert bob["is_admin"] is True and bob["is_owner"] is True and "locale" not in bob
    with pytest.raises(SlackApiError) as missing:
        client.users_info(user="U404")
    assert error_of(missing) == "user_not_found"

    seen, cursor = [], None
    while True:
        page = client.users_list(limit=2, cursor=cursor)
        assert len(page["members"]) <= 2
        seen += [m["id"] for m in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == ["U1", "U2", "U3", "UBOT"]

    team = client.team_info()["team"]
    assert team == team | {"id": TEAM, "name": "Cabinet Dupont", "domain": "cabinet-dupont"}
    groups = client.usergroups_list(include_users=True)["usergroups"]
    assert [(g["id"], g["handle"], g["users"]) for g in groups] == [("S1", "accounting", ["U1", "U2"])]
    assert client.usergroups_users_list(usergroup="S1")["users"] == ["U1", "U2"]


def test_auth_test_and_token_errors(slack: SlackStandIn) -> None:
    me = WebClient(token=TOKEN, base_url=slack.url).auth_test()
    assert (me["team_id"], me["user_id"], me["team"]) == (TEAM, "UBOT", "Cabinet Dupont")

    with pytest.raises(SlackApiError) as unknown:
        WebClient(token="xoxb-nope", base_url=slack.url).auth_test()
    assert error_of(unknown) == "invalid_auth"
    with pytest.raises(SlackApiError) as none:
        WebClient(base_url=slack.url).auth_test()
    assert error_of(none) == "not_authed"
    with pytest.raises(SlackApiError) as method:
        WebClient(token=TOKEN, base_url=slack.url).api_call("chat.scheduleMessage", json={"channel": "C1"})
    assert error_of(method) == "unknown_method"
    assert [(c.method, c.ok, c.error) for c in slack.calls()][1:] == [
        ("auth.test", False, "invalid_auth"),
        ("auth.test", False, "not_authed"),
        ("chat.scheduleMessage", False, "unknown_method"),
    ]


def test_two_workspaces_are_isolated(
    slack: SlackStandIn, client: WebClient, other_client: WebClient, ws: Workspace, other_ws: Workspace
) -> None:
    client.chat_postMessage(channel="C1", text="for Dupont")
    other_client.chat_postMessage(channel="C1", text="for Martin")

    assert [m.text for m in ws.messages("C1")] == ["for Dupont"]
    assert [m.text for m in other_ws.messages("C1")] == ["for Martin"]
    assert other_client.users_info(user="U1")["user"]["name"] == "martin"
    assert other_client.auth_test()["user_id"] == "UBOT2"
    assert [c.args["text"] for c in slack.calls("chat.postMessage", team_id="T0002")] == ["for Martin"]

    trigger = slack.issue_trigger_id(TEAM, "U1")
    view = {"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": []}
    with pytest.raises(SlackApiError) as foreign:
        other_client.views_open(trigger_id=trigger, view=view)
    assert error_of(foreign) == "invalid_trigger_id"


METADATA = {"event_type": "invoice_reminded", "event_payload": {"claims": "1,2"}}


def test_conversations_history_lists_top_level_messages_newest_first(client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="first", metadata=METADATA)
    client.chat_postMessage(channel="C1", text="a reply", thread_ts=first["ts"])
    second = client.chat_postMessage(channel="C1", text="second")

    history = client.conversations_history(channel="C1", limit=1)
    assert [m["text"] for m in history["messages"]] == ["second"] and history["has_more"] is True
    rest = client.conversations_history(channel="C1", cursor=history["response_metadata"]["next_cursor"])
    assert [m["ts"] for m in rest["messages"]] == [first["ts"]]
    assert "metadata" not in rest["messages"][0]  # only with include_all_metadata
    with_metadata = client.conversations_history(channel="C1", include_all_metadata=True)
    assert [m.get("metadata") for m in with_metadata["messages"]] == [None, METADATA]
    newer = client.conversations_history(channel="C1", oldest=first["ts"])
    assert [m["ts"] for m in newer["messages"]] == [second["ts"]]


def test_conversations_history_needs_the_bot_in_the_channel(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.conversations_history(channel="C2")
    assert refused.value.response["error"] == "not_in_channel"
