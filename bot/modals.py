"""What every flow does with its modals after the ack: update them, and read back what it stored in them."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


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
