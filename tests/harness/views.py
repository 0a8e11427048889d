"""The person's modals as the Slack stand-in shows them, once Billbot has filled its light modal.

Openers that must read before they can build a view use the trigger_id at once on a light modal
(bot.modals.open_loading), then views.update it: a test reads the modal the person ends up looking at.
"""

from __future__ import annotations

from typing import Any

from bot.modals import LOADING_CALLBACK_ID
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.slack.state import Workspace


def filled_stack(
    slack: SlackStandIn,
    workspace: Workspace,
    user: str,
    *,
    depth: int | None = None,
    callback_id: str | None = None,
    timeout: float = 5.0,
) -> list[dict[str, Any]]:
    """The user's modal stack once its top view is filled: ``callback_id`` when given, else anything but the light
    modal; ``depth`` views deep when given."""

    def filled() -> list[dict[str, Any]] | None:
        stack = workspace.views(user)
        if not stack or (depth is not None and len(stack) != depth):
            return None
        top = stack[-1]["callback_id"]
        ready = top == callback_id if callback_id is not None else top != LOADING_CALLBACK_ID
        return stack if ready else None

    found: list[dict[str, Any]] = slack.wait_for(filled, timeout=timeout)
    return found


def filled_view(
    slack: SlackStandIn,
    workspace: Workspace,
    user: str,
    *,
    depth: int | None = None,
    callback_id: str | None = None,
    timeout: float = 5.0,
) -> dict[str, Any]:
    """The user's top modal once filled (see filled_stack)."""
    return filled_stack(slack, workspace, user, depth=depth, callback_id=callback_id, timeout=timeout)[-1]
