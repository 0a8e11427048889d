"""Block Kit limits: what Slack refuses is refused with Slack's error name, what it accepts is accepted."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import SlackStandIn, Workspace, check_message, check_view

from .conftest import TEAM


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def button(text: str = "Pay", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": plain(text), "action_id": extra.pop("action_id", "pay"), **extra}


def option(text: str = "One", value: str = "1") -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def select(options: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "static_select", "action_id": "pick", **extra}
    if options is not None:
        element["options"] = options
    return element


def actions(*elements: dict[str, Any], block_id: str = "acts") -> dict[str, Any]:
    return {"type": "actions", "block_id": block_id, "elements": list(elements)}


def section(text: str = "Hello", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text), **extra}


def text_input(**extra: Any) -> dict[str, Any]:
    return {"type": "plain_text_input", "action_id": "amount", **extra}


def input_block(label: str = "Amount", element: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return {"type": "input", "block_id": "amount", "label": plain(label), "element": element or text_input(), **extra}


def modal(blocks: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "title": plain("New invoice"), "blocks": blocks or [section()]}
    view.update(extra)
    return {k: v for k, v in view.items() if v is not None}


MESSAGE_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "51 blocks",
        {"blocks": [{"type": "divider"}] * 51},
        "invalid_blocks",
        "no more than 50 items allowed [json-pointer:/blocks]",
    ),
    (
        "section text",
        {"blocks": [section("x" * 3001)]},
        "invalid_blocks",
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ),
    (
        "11 fields",
        {"blocks": [{"type": "section", "fields": [mrkdwn("a")] * 11}]},
        "invalid_blocks",
        "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
    ),
    (
        "field text",
        {"blocks": [{"type": "section", "fields": [mrkdwn("a" * 2001)]}]},
        "invalid_blocks",
        "[json-pointer:/blocks/0/fields/0/text]",
    ),
    (
        "header length",
        {"blocks": [{"type": "header", "text": plain("h" * 151)}]},
        "invalid_blocks",
        "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
    ),
    (
        "header mrkdwn",
        {"blocks": [{"type": "header", "text": mrkdwn("h")}]},
        "invalid_blocks",
        "failed to match all allowed schemas [json-pointer:/blocks/0/text]",
    ),
    (
        "button text",
        {"blocks": [actions(button("b" * 76))]},
        "invalid_blocks",
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
    ),
    (
        "button mrkdwn",
        {"blocks": [actions({"type": "button", "text": mrkdwn("b"), "action_id": "b"})]},
        "invalid_blocks",
        "[json-pointer:/blocks/0/elements/0/text]",
    ),
    (
        "button value",
        {"blocks": [actions(button(value="v" * 2001))]},
        "invalid_blocks",
        "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
    ),
    (
        "button url",
        {"blocks": [actions(button(url="https://x/" + "u" * 2991))]},
        "invalid_blocks",
        "must be less than 3001 characters [json-pointer:/blocks/0/elements/0/url]",
    ),
    (
        "block_id length",
        {"blocks": [section(block_id="b" * 256)]},
        "invalid_blocks",
        "[json-pointer:/blocks/0/block_id]",
    ),
    (
        "duplicate block_id",
        {"blocks": [section(block_id="same"), section(block_id="same")]},
        "invalid_blocks",
        "duplicate block_id: same [json-pointer:/blocks/1/block_id]",
    ),
    (
        "action_id length",
        {"blocks": [actions(button(action_id="a" * 256))]},
        "invalid_blocks",
        "[json-pointer:/blocks/0/elements/0/action_id]",
    ),
    (
        "duplicate action_id",
        {"blocks": [actions(button(action_id="x"), button(action_id="x"))]},
        "invalid_blocks",
        "duplicate action_id: x [json-pointer:/blocks/0/elements/1/action_id]",
    ),
    (
        "26 actions",
        {"blocks": [actions(*[button(action_id=f"b{i}") for i in range(26)])]},
        "invalid_blocks",
        "no more than 25 items allowed [json-pointer:/blocks/0/elements]",
    ),
    (
        "11 context",
        {"blocks": [{"type": "context", "elements": [mrkdwn("c")] * 11}]},
        "invalid_blocks",
        "no more than 10 items allowed [json-pointer:/blocks/0/elements]",
    ),
    (
        "image_url",
        {"blocks": [{"type": "image", "image_url": "https://x/" + "i" * 2991, "alt_text": "a"}]},
        "invalid_blocks",
        "[json-pointer:/blocks/0/image_url]",
    ),
    (
        "alt_text",
        {"blocks": [{"type": "image", "image_url": "https://x/i.png", "alt_text": "a" * 2001}]},
        "invalid_blocks",
        "[json-pointer:/blocks/0/alt_text]",
    ),
    (
        "101 options",
        {"blocks": [actions(select([option(value=str(i)) for i in range(101)]))]},
        "invalid_blocks",
        "no more than 100 items allowed [json-pointer:/blocks/0/elements/0/options]",
    ),
    (
        "option text",
        {"blocks": [actions(select([option("o" * 76)]))]},
        "invalid_blocks",
        "must be less than 76 characters [json-pointer:/blocks/0/elements/0/options/0/text/text]",
    ),
    (
        "option value",
        {"blocks": [actions(select([option(value="v" * 151)]))]},
        "invalid_blocks",
        "must be less than 151 characters [json-pointer:/blocks/0/elements/0/options/0/value]",
    ),
    (
        "option mrkdwn in select",
        {"blocks": [actions(select([{"text": mrkdwn("o"), "value": "1"}]))]},
        "invalid_blocks",
        "[json-pointer:/blocks/0/elements/0/options/0/text]",
    ),
    (
        "101 option groups",
        {"blocks": [actions(select(option_groups=[{"label": plain("g"), "options": [option()]}] * 101))]},
        "invalid_blocks",
        "no more than 100 items allowed [json-pointer:/blocks/0/elements/0/option_groups]",
    ),
    (
        "overflow 1",
        {"blocks": [actions({"type": "overflow", "action_id": "o", "options": [option()]})]},
        "invalid_blocks",
        "no less than 2 items allowed [json-pointer:/blocks/0/elements/0/options]",
    ),
    (
        "overflow 6",
        {
            "blocks": [
                actions({"type": "overflow", "action_id": "o", "options": [option(value=str(i)) for i in range(6)]})
            ]
        },
        "invalid_blocks",
        "no more than 5 items allowed",
    ),
    (
        "input in message",
        {"blocks": [input_block()]},
        "invalid_blocks",
        "unsupported type: input [json-pointer:/blocks/0/type]",
    ),
    ("unknown block", {"blocks": [{"type": "carousel"}]}, "invalid_blocks", "unsupported type: carousel"),
    (
        "text input in actions",
        {"blocks": [actions(text_input())]},
        "invalid_blocks",
        "unsupported type: plain_text_input",
    ),
    ("blocks not an array", {"blocks": '{"type": "section"}'}, "invalid_blocks_format", ""),
    ("text 40001", {"text": "t" * 40_001}, "msg_too_long", ""),
    ("nothing to show", {"text": ""}, "no_text", ""),
    ("101 attachments", {"text": "t", "attachments": [{"text": "a"}] * 101}, "too_many_attachments", ""),
]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
@pytest.mark.parametrize(
    ("payload", "error", "detail"), [c[1:] for c in MESSAGE_CASES], ids=[c[0] for c in MESSAGE_CASES]
)
def test_message_limit_violations_are_refused_with_slacks_error(
    client: WebClient, ws: Workspace, payload: dict[str, Any], error: str, detail: str
) -> None:
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", **({"text": "fallback"} | payload))
    body = refused.value.response.data
    assert body["ok"] is False
    assert body["error"] == error
    if detail:
        assert any(detail in line for line in body["response_metadata"]["messages"]), body
        assert any(detail in line for line in body["errors"]), body
    assert ws.messages("C1") == []


VIEW_CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "101 blocks",
        modal([{"type": "divider"}] * 101),
        "[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]",
    ),
    (
        "title 25",
        modal(title=plain("t" * 25)),
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]",
    ),
    (
        "title mrkdwn",
        modal(title=mrkdwn("t")),
        "[ERROR] failed to match all allowed schemas [json-pointer:/view/title]",
    ),
    ("no title", modal(title=None), "[ERROR] missing required field: title [json-pointer:/view]"),
    ("submit 25", modal(submit=plain("s" * 25)), "[json-pointer:/view/submit/text]"),
    ("close 25", modal(close=plain("c" * 25)), "[json-pointer:/view/close/text]"),
    ("input without submit", modal([input_block()]), "[ERROR] missing required field: submit [json-pointer:/view]"),
    (
        "private_metadata",
        modal(private_metadata="m" * 3001),
        "must be less than 3001 characters [json-pointer:/view/private_metadata]",
    ),
    ("callback_id", modal(callback_id="c" * 256), "[json-pointer:/view/callback_id]"),
    ("external_id", modal(external_id="e" * 256), "[json-pointer:/view/external_id]"),
    ("label", modal([input_block("l" * 2001)], submit=plain("Save")), "[json-pointer:/view/blocks/0/label/text]"),
    (
        "label mrkdwn",
        modal([{**input_block(), "label": mrkdwn("l")}], submit=plain("Save")),
        "[json-pointer:/view/blocks/0/label]",
    ),
    (
        "hint",
        modal([input_block(hint=plain("h" * 2001))], submit=plain("Save")),
        "[json-pointer:/view/blocks/0/hint/text]",
    ),
    (
        "max_length",
        modal([input_block(element=text_input(max_length=3001))], submit=plain("Save")),
        "[json-pointer:/view/blocks/0/element/max_length]",
    ),
    (
        "placeholder",
        modal([input_block(element=text_input(placeholder=plain("p" * 151)))], submit=plain("Save")),
        "[json-pointer:/view/blocks/0/element/placeholder/text]",
    ),
    ("duplicate block_id", modal([section(block_id="a"), section(block_id="a")]), "duplicate block_id: a"),
    ("wrong type", {"type": "dialog", "blocks": []}, "[ERROR] unsupported type: dialog [json-pointer:/view/type]"),
]


@pytest.mark.parametrize(("view", "line"), [c[1:] for c in VIEW_CASES], ids=[c[0] for c in VIEW_CASES])
def test_view_limit_violations_are_refused_with_invalid_arguments(
    slack: SlackStandIn, client: WebClient, ws: Workspace, view: dict[str, Any], line: str
) -> None:
    trigger_id = slack.issue_trigger_id(TEAM, "U1")
    with pytest.raises(SlackApiError) as refused:
        client.views_open(trigger_id=trigger_id, view=view)
    body = refused.value.response.data
    assert body["error"] == "invalid_arguments"
    messages = body["response_metadata"]["messages"]
    assert any(line in m for m in messages), messages
    assert ws.views("U1") == []


def test_values_exactly_at_the_limits_are_accepted(slack: SlackStandIn, client: WebClient, ws: Workspace) -> None:
    blocks = [
        {"type": "header", "text": plain("h" * 150)},
        section("s" * 3000, block_id="b" * 255),
        {"type": "section", "fields": [mrkdwn("f" * 2000)] * 10},
        actions(*[button("b" * 75, action_id=f"a{i}", value="v" * 2000) for i in range(25)]),
        {"type": "context", "elements": [mrkdwn("c")] * 10},
        actions(
            select([option("o" * 75, "v" * 150)] + [option(value=str(i)) for i in range(99)]),
            {"type": "overflow", "action_id": "ov", "options": [option(value=str(i)) for i in range(5)]},
            block_id="menus",
        ),
    ]
    blocks += [{"type": "divider"}] * (50 - len(blocks))
    posted = client.chat_postMessage(channel="C1", text="t" * 40_000, blocks=blocks)
    assert posted["ok"] is True
    assert len(ws.message("C1", posted["ts"]).blocks or []) == 50

    view = modal(
        [input_block("l" * 2000, element=text_input(max_length=3000, placeholder=plain("p" * 150)), hint=plain("h"))]
        + [{"type": "divider"}] * 99,
        title=plain("t" * 24),
        submit=plain("s" * 24),
        close=plain("c" * 24),
        private_metadata="m" * 3000,
        callback_id="c" * 255,
        external_id="e" * 255,
    )
    opened = client.views_open(trigger_id=slack.issue_trigger_id(TEAM, "U1"), view=view)
    assert opened["view"]["private_metadata"] == "m" * 3000
    assert [v["id"] for v in ws.views("U1")] == [opened["view"]["id"]]


def test_check_functions_are_usable_without_a_server() -> None:
    assert check_message("hello", [section()]) == []
    assert check_view(modal([input_block()], submit=plain("Save"))) == []
    assert check_view({"type": "home", "blocks": [input_block(), section()]}) == []

    problems = check_message(None, [{"type": "header", "text": plain("h" * 151)}])
    assert [(p.error, p.pointer) for p in problems] == [("invalid_blocks", "/blocks/0/text/text")]
    assert str(problems[0]) == "[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]"

    # Slack leads schema problems below /view with a summary line (nicklambourne/slackblocks#36)...
    assert [str(p) for p in check_view(modal(callback_id="c" * 256))] == [
        "[ERROR] failed to match all allowed schemas [json-pointer:/view]",
        "[ERROR] must be less than 256 characters [json-pointer:/view/callback_id]",
    ]
    # ...but lists missing top-level fields alone (slackapi/java-slack-sdk#302).
    assert [str(p) for p in check_view({"type": "modal", "blocks": []})] == [
        "[ERROR] missing required field: title [json-pointer:/view]"
    ]

    problems = check_view(modal(title=None, private_metadata="m" * 3001))
    assert {p.error for p in problems} == {"invalid_arguments"}
    assert {p.pointer for p in problems} >= {"/view", "/view/private_metadata"}
