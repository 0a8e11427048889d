"""The practice's setup checklist: four steps, each provided by the flow that builds it.

The hub and the App Home show every step in this order. A step whose flow has not registered yet shows
as "coming soon" rather than as a button that would do nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot import modals

log = logging.getLogger(__name__)

STEP_KEYS = ("stripe_setup", "billing_settings", "invoice_template", "reminders")
# The button that opens a step (its value is the step's key): on the hub, the App Home and help answers.
OPEN_STEP_ACTION = "checklist_open"


@dataclass(frozen=True)
class StepContext:
    """What a step needs to open its modal from a command, the hub modal or the App Home."""

    client: Any  # slack_sdk.WebClient for the workspace
    trigger_id: str
    team_id: str
    user_id: str
    locale: str
    # From inside a modal Slack wants views.push; from a command or the App Home, views.open.
    in_modal: bool
    # Answers the user privately where they typed the command (response_url); None from a button.
    respond: Callable[[str], None] | None = None
    # The light modal already opened with the trigger_id (bot.modals.open_loading): the step fills it.
    shown: modals.Shown | None = None

    def open(self, view: dict[str, Any]) -> str:
        """Show the step's modal; its view id."""
        if self.shown is not None:
            modals.fill(self.client, self.shown, view)
            return self.shown.view_id
        if self.in_modal:
            opened = self.client.views_push(trigger_id=self.trigger_id, view=view)
        else:
            opened = self.client.views_open(trigger_id=self.trigger_id, view=view)
        return str(opened["view"]["id"])

    def tell(self, title: str, text: str, close: str) -> None:
        """A short message for this user only: ephemeral after a command, a small modal after a click."""
        if self.respond is not None:
            self.respond(text)
            return
        from bot import blocks

        self.open(blocks.modal(title, [blocks.section(text)], callback_id="notice", close=close))


IsDone = Callable[[Session, str], bool]
OpenStep = Callable[[StepContext], None]
# Redraws what shows the checklist to a user: (client, team_id, user_id, the hub's view id if one is open).
Refresher = Callable[[Any, str, str, str | None], None]


@dataclass(frozen=True)
class StepStatus:
    key: str
    available: bool
    done: bool


@dataclass(frozen=True)
class _Provided:
    is_done: IsDone
    open_step: OpenStep


class Checklist:
    def __init__(self) -> None:
        self._provided: dict[str, _Provided] = {}
        self._refreshers: list[Refresher] = []

    def provide(self, key: str, *, is_done: IsDone, open_step: OpenStep) -> None:
        if key not in STEP_KEYS:
            raise ValueError(f"unknown checklist step {key!r}; expected one of {STEP_KEYS}")
        self._provided[key] = _Provided(is_done, open_step)

    def statuses(self, session: Session, team_id: str) -> list[StepStatus]:
        result = []
        for key in STEP_KEYS:
            provided = self._provided.get(key)
            done = provided is not None and provided.is_done(session, team_id)
            result.append(StepStatus(key=key, available=provided is not None, done=done))
        return result

    def opener(self, key: str) -> OpenStep | None:
        provided = self._provided.get(key)
        return provided.open_step if provided else None

    def on_change(self, refresher: Refresher) -> None:
        self._refreshers.append(refresher)

    def step_changed(self, client: Any, team_id: str, user_id: str, view: dict[str, Any]) -> None:
        """A step was saved from ``view``: the hub under it (a step opened from the hub is pushed on it) and the
        App Home are redrawn, so neither still shows the step undone. Best effort: the save stands regardless."""
        root = view.get("root_view_id")
        hub = root if isinstance(root, str) and root and root != view.get("id") else None
        for refresher in self._refreshers:
            try:
                refresher(client, team_id, user_id, hub)
            except SlackApiError as exc:
                log.info("redrawing the checklist for %s failed: %s", user_id, exc.response.get("error"))
