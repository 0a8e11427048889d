"""The session-end prompt's listeners: the DM's buttons (acknowledged at once, their work durable) and the job."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.acks import ack_now
from bot.i18n import t
from bot.services import Job, Services
from bot.slack_users import locale_of
from bot.typed_numbers import whole_number
from flows.calendar.prompt import ids, store
from flows.calendar.prompt.logic import Prompts

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 60


class PromptListeners:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.prompts = Prompts(services)

    def pressed(self, body: dict[str, Any], client: WebClient) -> None:
        """Any of the DM's buttons, from the work queue: only the practitioner whose calendar it is may answer."""
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        action = (body.get("actions") or [{}])[0]
        event_id = whole_number(action.get("value"))
        prompt = store.load(self.services.db, event_id) if event_id is not None else None
        if prompt is None or prompt.event.team_id != team_id:
            log.info("calendar prompt button for unknown event %r ignored", action.get("value"))
            return
        if prompt.feed.user_id != user_id:
            self._say(body, client, t(locale_of(self.services, client, team_id, user_id), "calendar.prompt.not_yours"))
            return
        self.prompts.press(client, prompt, str(action.get("action_id")))

    def _say(self, body: dict[str, Any], web: WebClient, text: str) -> None:
        user_id = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        try:
            if channel:
                web.chat_postEphemeral(channel=channel, user=user_id, text=text)
            else:
                web.chat_postMessage(channel=user_id, text=text)
        except SlackApiError as exc:
            log.info("calendar prompt refusal not shown: %s", exc.response.get("error"))


def register(app: App, services: Services) -> None:
    listeners = PromptListeners(services)
    for action_id in (*ids.ACTIONS, ids.RETRY_ACTION):
        app.action(action_id)(ack=ack_now, lazy=[listeners.pressed])
    services.jobs.append(Job(name="calendar_prompts", run=listeners.prompts.sweep, every_seconds=SWEEP_EVERY_SECONDS))
