"""The help channel: questions in the chosen channels, DMs and @mentions, answered in a thread.

How-to questions get the knowledge base's article in the question's own language, with a button that
opens the step's modal; questions about the practice's invoices are answered from the database, to the
asker alone. Every answer offers "That helped" and "Talk to a person"; the second, and any question the
matcher is unsure of, hand over to the support group or channel chosen in `/billing help`.

The acks only filter (is this a person's new question, in a place we listen?); the answer is lazy work,
claimed once per question so Slack's retries, and a message that is both in a help channel and an
@mention, are answered once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.services import Services

SLASH_COMMANDS: tuple[str, ...] = ()  # `/billing help` is the hub's command; it calls open_settings
SHORTCUTS: tuple[str, ...] = ()
EVENTS = ("app_mention", "message.channels", "message.groups", "message.im")

__all__ = ["EVENTS", "SHORTCUTS", "SLASH_COMMANDS", "open_settings", "register"]


# The listeners are imported on use: `billbot ask` and the eval load the matcher without Slack's libraries.
def register(app: App, services: Services) -> None:
    from flows.help import listeners

    listeners.register(app, services)


def open_settings(
    services: Services, client: WebClient, *, trigger_id: str, team_id: str, user_id: str, locale: str
) -> None:
    """`/billing help`: the help settings modal for billing admins, a short refusal for anyone else."""
    from flows.help import listeners

    listeners.open_settings(services, client, trigger_id=trigger_id, team_id=team_id, user_id=user_id, locale=locale)
