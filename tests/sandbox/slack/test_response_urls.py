"""response_url: answers to a command reach the user where they typed it, five posts at most."""

from __future__ import annotations

import httpx
from slack_sdk.webhook import WebhookClient

from bot.sandbox.slack import SlackStandIn, Workspace

from .conftest import TEAM


def test_ephemeral_answer_reaches_the_user_even_where_the_bot_is_not_a_member(
    slack: SlackStandIn, ws: Workspace
) -> None:
    url = slack.issue_response_url(TEAM, "C2", "U2")  # the bot is not in C2
    response = WebhookClient(url).send(text="only for you", response_type="ephemeral")
    assert response.status_code == 200
    assert [m.text for m in ws.ephemeral("C2", "U2")] == ["only for you"]
    assert ws.messages("C2") == []


def test_in_channel_answer_is_a_channel_message(slack: SlackStandIn, ws: Workspace) -> None:
    url = slack.issue_response_url(TEAM, "C2", "U2")
    assert WebhookClient(url).send(text="for everyone", response_type="in_channel").status_code == 200
    assert [m.text for m in ws.messages("C2")] == ["for everyone"]


def test_a_response_url_takes_five_posts(slack: SlackStandIn, ws: Workspace) -> None:
    url = slack.issue_response_url(TEAM, "C2", "U2")
    statuses = [httpx.post(url, json={"text": f"answer {n}"}).status_code for n in range(6)]
    assert statuses == [200] * 5 + [404]
    assert len(ws.ephemeral("C2", "U2")) == 5


def test_unknown_response_url_and_bad_blocks_are_refused(slack: SlackStandIn, ws: Workspace) -> None:
    assert httpx.post(f"{slack.root_url}response/forged", json={"text": "x"}).status_code == 404
    url = slack.issue_response_url(TEAM, "C2", "U2")
    too_many = [{"type": "divider"}] * 51
    answer = httpx.post(url, json={"text": "x", "blocks": too_many})
    assert (answer.status_code, answer.text) == (400, "invalid_blocks")
    assert ws.ephemeral("C2", "U2") == []


def test_a_click_in_an_ephemeral_message_replaces_or_deletes_that_message(slack: SlackStandIn, ws: Workspace) -> None:
    WebhookClient(slack.issue_response_url(TEAM, "C2", "U2")).send(text="page 1")
    original = ws.ephemeral("C2", "U2")[0]
    from_click = slack.issue_response_url(TEAM, "C2", "U2", original_ts=original.ts)
    replaced = httpx.post(from_click, json={"text": "page 2", "replace_original": True})
    assert replaced.status_code == 200
    assert [(m.ts, m.text) for m in ws.ephemeral("C2", "U2")] == [(original.ts, "page 2")]
    assert httpx.post(from_click, json={"delete_original": True}).status_code == 200
    assert ws.ephemeral("C2", "U2") == []
    gone = httpx.post(from_click, json={"text": "page 3", "replace_original": True})
    assert (gone.status_code, gone.text) == (404, "message_not_found")


def test_a_command_response_url_has_no_original_to_replace(slack: SlackStandIn, ws: Workspace) -> None:
    url = slack.issue_response_url(TEAM, "C2", "U2")
    for text in ("first", "second"):
        assert httpx.post(url, json={"text": text, "replace_original": True}).status_code == 200
    assert [m.text for m in ws.ephemeral("C2", "U2")] == ["first", "second"]
