"""Telling a person their modal could not open because Slack's trigger_id expired, in their language.

Slack gives 3 seconds to open a modal from a command or a click; past that views.open fails and Slack
shows nothing. So the person is told, privately, to try again rather than left waiting.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import BoltRequest
from slack_sdk.webhook import WebhookClient

from bot.i18n import t
from bot.services import Services
from bot.slack_users import locale_for

log = logging.getLogger(__name__)


def _response_url(body: dict[str, Any]) -> str | None:
    found = body.get("response_url")
    if isinstance(found, str) and found:
        return found
    urls = body.get("response_urls")  # a modal's submission lists one per conversation input
    if isinstance(urls, list) and urls and isinstance(urls[0], dict):
        url = urls[0].get("response_url")
        return url if isinstance(url, str) and url else None
    return None


def notifier(services: Services) -> Any:
    """The runner's ``on_expired``: an ephemeral answer where the person typed, else a DM from the bot."""

    def tell(request: BoltRequest) -> None:
        context = request.context
        team_id, user_id, client = context.team_id or "", context.user_id, context.client
        if not user_id or client is None:
            return
        locale = locale_for(services.db, client, team_id, user_id, services.settings.default_locale)
        text = t(locale, "trigger.expired")
        body = request.body if isinstance(request.body, dict) else {}
        url = _response_url(body)
        if url is not None:
            # A response_url reaches the person wherever they typed, even where the bot is not a member.
            WebhookClient(url).send(text=text, response_type="ephemeral", replace_original=False)
        else:
            client.chat_postMessage(channel=user_id, text=text)

    return tell
