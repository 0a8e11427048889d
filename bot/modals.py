"""What every flow does with its modals after the ack: open a light one at once, update them, and read back what
it stored in them."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

# The light modal's own callback_id: no listener answers it, and tests wait for the top view to be another.
LOADING_CALLBACK_ID = "billbot_loading"
# Language-neutral, so it can open before the person's language is even looked up.
LOADING_VIEW: dict[str, Any] = {
    "type": "modal",
    "callback_id": LOADING_CALLBACK_ID,
    "title": {"type": "plain_text", "text": "Billbot"},
    "blocks": [{"type": "context", "elements": [{"type": "plain_text", "text": "⏳", "emoji": True}]}],
}


@dataclass(frozen=True)
class Shown:
    """A modal on the person's screen: its id, and its hash when it was opened (to update only that version)."""

    view_id: str
    hash: str | None


def open_loading(client: WebClient, trigger_id: str, *, push: bool = False) -> Shown | None:
    """Use the trigger_id at once on a light modal, before any database read or Slack call; None if Slack refused.

    A trigger_id lives 3 s and the real view may need reads that take longer under load: the person sees the
    light modal within milliseconds, and ``fill`` replaces it. From inside a modal Slack wants views.push.
    """
    try:
        if push:
            opened = client.views_push(trigger_id=trigger_id, view=LOADING_VIEW)
        else:
            opened = client.views_open(trigger_id=trigger_id, view=LOADING_VIEW)
    except SlackApiError as exc:
        # An expired trigger is told to the person by the runner (bot.work_queue); nothing else to show.
        log.warning("opening the light modal failed: %s", exc.response.get("error"))
        return None
    view = opened.get("view") or {}
    return Shown(view_id=str(view["id"]), hash=view.get("hash"))


def fill(client: WebClient, shown: Shown, view: dict[str, Any]) -> None:
    """Replace the light modal with the real view, unless the person closed it or something already replaced it."""
    update_view(client, shown.view_id, view, shown.hash)


def update_view(client: WebClient, view_id: str, view: dict[str, Any], view_hash: str | None = None) -> None:
    """views.update, where the modal may be gone: what the work saved stays saved, there is just no one to show.

    With ``view_hash``, Slack refuses the update (hash_conflict) when a newer change already rebuilt the modal.
    """
    try:
        if view_hash:
            client.views_update(view_id=view_id, hash=view_hash, view=view)
        else:
            client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        log.info("views.update %s failed: %s", view_id, exc.response.get("error"))


def metadata(view: dict[str, Any]) -> dict[str, Any]:
    """The JSON object a flow put in ``private_metadata``; {} when it is absent or not ours (it comes back from
    outside: a forged payload must read as nothing)."""
    try:
        found = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
