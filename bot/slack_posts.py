"""Messages the bot posts after the ack, posted once even when the run posting them dies.

A run can die (a worker killed, Slack's 500 ``fatal_error`` after it posted, a timeout) after Slack posted
a message and before we saved its ts. So every such message names the claim it fulfils in Slack's
message metadata, and a run taking over an abandoned claim first looks for that message among the
channel's latest messages (``conversations.history``): found, it
keeps that one; not found, it posts. One mechanism for every kind: reminder digests (several claims per
message) and invoice messages alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.db import Database
from bot.models import utcnow

log = logging.getLogger(__name__)

# A run resumes minutes after the one that died, so the message is among the channel's latest ones.
HISTORY_PAGES = 3
PAGE_SIZE = 200


def claim_metadata(kind: str, keys: Iterable[object]) -> dict[str, Any]:
    """Slack message metadata naming the claims (of one kind) a message fulfils."""
    return {"event_type": f"billbot_{kind}", "event_payload": {"claims": ",".join(str(key) for key in keys)}}


def claims_named(message: dict[str, Any], kind: str) -> list[str]:
    """The claim keys of ``kind`` a message from conversations.history names (none if it is not ours)."""
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") != f"billbot_{kind}":
        return []
    payload = metadata.get("event_payload")
    listed = str(payload.get("claims") or "") if isinstance(payload, dict) else ""
    return [key for key in listed.split(",") if key]


def find_posted(web: WebClient, channel: str, kind: str) -> dict[str, str]:
    """Claim key → ts of our messages of ``kind`` among the channel's latest top-level messages.

    Raises SlackApiError when the history cannot be read: the caller decides whether posting again (a
    line twice) is better than not posting (a message lost).
    """
    found: dict[str, str] = {}
    cursor = None
    for _ in range(HISTORY_PAGES):
        options: dict[str, Any] = {"channel": channel, "limit": PAGE_SIZE, "include_all_metadata": True}
        if cursor:
            options["cursor"] = cursor
        page = web.conversations_history(**options)
        for message in page.get("messages") or []:
            for key in claims_named(message, kind):
                found.setdefault(key, str(message["ts"]))
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return found


def post_once(
    db: Database,
    web: WebClient,
    *,
    team_id: str,
    kind: str,
    key: str,
    stale_after: timedelta,
    post: Callable[[dict[str, Any]], tuple[str, str]],
    look_in: Callable[[], list[str]],
) -> tuple[str, str] | None:
    """Post the message fulfilling the claim (``kind``, ``key``) once; (channel, ts) of it, posted now or found.

    ``post`` gets the metadata to post with; ``look_in`` names the channels where an earlier run may have
    posted it. None when another run holds the claim and is still within ``stale_after`` (it posts).
    """
    if not db.claim_once(team_id, kind, key):
        if not db.take_over(team_id, kind, key, claimed_before=utcnow() - stale_after):
            return None
        try:
            for channel in look_in():
                ts = find_posted(web, channel, kind).get(key)
                if ts is not None:
                    log.info("%s %s was posted by a run that died; keeping that message", kind, key)
                    return channel, ts
        except SlackApiError as exc:
            # Better the message twice than one nobody sees.
            log.warning("could not look for an earlier %s %s: %s", kind, key, exc.response.get("error"))
    try:
        return post(claim_metadata(kind, [key]))
    except Exception:
        # Slack may have posted it before failing (its 500 fatal_error, a timeout): the next run takes the
        # claim over at once and looks for the message before posting.
        db.abandon(team_id, kind, key)
        raise
