"""The invoice modal filled in as a person would: opened by a signed `/invoice`, its state as Slack keeps it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

from bot.sandbox.slack import SlackStandIn
from flows.invoices import ids
from tests.harness.slack_requests import SlackRequests
from tests.harness.views import filled_view

T = TypeVar("T")


def wait_for(predicate: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.01) -> T:
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)


def initial_state(view: dict[str, Any]) -> dict[str, Any]:
    """The state Slack sends for a view nobody typed in yet: each input at its initial value."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        kind = element["type"]
        if kind == "datepicker":
            state = {"type": kind, "selected_date": element.get("initial_date")}
        elif kind.endswith("select"):
            state = {"type": kind, "selected_option": element.get("initial_option")}
        else:
            state = {"type": kind, "value": element.get("initial_value")}
        values[block["block_id"]] = {element["action_id"]: state}
    return values


def fill_invoice(
    requests: SlackRequests,
    slack: SlackStandIn,
    *,
    team_id: str,
    user: str,
    channel: str,
    client: tuple[int, str],
    description: str,
    quantity: str,
    price: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Open the invoice modal from ``channel`` and fill its one line; returns (view, state values)."""
    ws = slack.workspace(team_id)
    before = [v["id"] for v in ws.views(user)]
    assert requests.command("/invoice", user=user, channel=channel).status_code == 200

    def opened() -> dict[str, Any] | None:
        stack = ws.views(user)
        return stack[-1] if stack and stack[-1]["id"] not in before else None

    wait_for(opened)  # a new modal: the light one first, filled after (views.update keeps its id)
    view = filled_view(slack, ws, user, callback_id=ids.CALLBACK, timeout=30.0)
    values = initial_state(view)
    client_block = next(b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("client."))
    option = {"text": {"type": "plain_text", "text": client[1], "emoji": True}, "value": str(client[0])}
    values[client_block] = {ids.CLIENT_ACTION: {"type": "external_select", "selected_option": option}}
    typed = {ids.LINE_DESCRIPTION: description, ids.LINE_QUANTITY: quantity, ids.LINE_PRICE: price}
    for block in view["blocks"]:
        parsed = ids.parse_line_block(block.get("block_id", ""))
        if parsed is None or block["type"] != "input":
            continue
        element = block["element"]
        if parsed[1] in typed:
            values[block["block_id"]] = {element["action_id"]: {"type": element["type"], "value": typed[parsed[1]]}}
        elif parsed[1] == ids.LINE_DATE:
            state = {"type": "datepicker", "selected_date": date.today().isoformat()}
            values[block["block_id"]] = {element["action_id"]: state}
    return view, values
