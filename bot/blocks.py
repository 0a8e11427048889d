"""Small typed builders for the Block Kit the app sends.

Each builder clips its text to Slack's limit for that field, so a long client name or a translation
that runs long shortens with an ellipsis instead of making Slack refuse the whole view.
"""

from __future__ import annotations

from typing import Any, Literal

Block = dict[str, Any]
Element = dict[str, Any]

# Slack's documented limits (https://api.slack.com/reference/block-kit).
MODAL_TITLE_MAX = 24
MODAL_BUTTON_MAX = 24
BUTTON_TEXT_MAX = 75
HEADER_TEXT_MAX = 150
SECTION_TEXT_MAX = 3000
CONTEXT_TEXT_MAX = 3000
PRIVATE_METADATA_MAX = 3000
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text, limit)}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT_MAX)}


def section(text: str, *, accessory: Element | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id
    return block


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(text, CONTEXT_TEXT_MAX) for text in texts[:10]]}


def divider() -> Block:
    return {"type": "divider"}


def actions(*elements: Element, block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements[:25])}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def button(
    text: str,
    action_id: str,
    *,
    value: str | None = None,
    url: str | None = None,
    style: Literal["primary", "danger"] | None = None,
) -> Element:
    element: Element = {"type": "button", "text": plain(text, BUTTON_TEXT_MAX), "action_id": action_id}
    if value is not None:
        element["value"] = value
    if url is not None:
        element["url"] = url
    if style is not None:
        element["style"] = style
    return element


def modal(
    title: str,
    blocks: list[Block],
    *,
    callback_id: str,
    close: str,
    submit: str | None = None,
    private_metadata: str = "",
    external_id: str | None = None,
) -> dict[str, Any]:
    if len(private_metadata) > PRIVATE_METADATA_MAX:
        # Unlike display text, metadata cannot be clipped without losing state: fail loudly in our own code.
        raise ValueError(f"private_metadata is {len(private_metadata)} characters; Slack allows {PRIVATE_METADATA_MAX}")
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title, MODAL_TITLE_MAX),
        "close": plain(close, MODAL_BUTTON_MAX),
        "blocks": blocks[:VIEW_BLOCKS_MAX],
        "private_metadata": private_metadata,
    }
    if submit is not None:
        view["submit"] = plain(submit, MODAL_BUTTON_MAX)
    if external_id is not None:
        view["external_id"] = external_id
    return view


def home(blocks: list[Block]) -> dict[str, Any]:
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS_MAX]}
