"""Sessions from the practice's own calendar, and a prompt to bill when a session ends.

A practitioner (or a billing admin) connects their calendar's secret iCalendar (ICS) address, or uploads an
``.ics`` file, in `/billing calendar`. The scheduler re-reads each address every 15 minutes (claimed once across
schedulers); each occurrence is one CalendarEvent row, matched to a client (an attendee's email, then the
client's name in the title, then a remembered rule) and given a session (an Appointment of source "calendar");
the rest wait in the "to sort" list. The App Home shows this week's and last week's sessions with Invoice
buttons; the optional session-end prompt DMs the practitioner when a matched session is over.

Parts: ``feed`` (fetching an address safely, parsing ICS into occurrences), ``sync`` (occurrences into rows,
matching, the sync job), ``connect`` (the `/billing calendar` modal, the to-sort list, service keyword rules),
``week`` (the App Home's week view and its Invoice buttons), ``prompt`` (the session-end DM and its buttons).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_sdk import WebClient

    from bot.services import Services

SLASH_COMMANDS: tuple[str, ...] = ()  # `/billing calendar` is the hub's command; it calls open_connect
SHORTCUTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()

__all__ = ["EVENTS", "SHORTCUTS", "SLASH_COMMANDS", "connect_feed", "home_section", "open_connect", "register"]


def register(app: App, services: Services) -> None:
    from flows.calendar.connect import listeners as connect
    from flows.calendar.prompt import listeners as prompt
    from flows.calendar.sync import job
    from flows.calendar.week import listeners as week

    job.register(app, services)
    connect.register(app, services)
    week.register(app, services)
    prompt.register(app, services)


def open_connect(
    services: Services, client: WebClient, *, trigger_id: str, team_id: str, user_id: str, locale: str
) -> None:
    """`/billing calendar`: the calendar modal (connect, re-sync, disconnect, to sort, rules)."""
    from flows.calendar.connect import listeners

    listeners.open_connect(services, client, trigger_id=trigger_id, team_id=team_id, user_id=user_id, locale=locale)


def home_section(services: Services, client: WebClient, team_id: str, user_id: str, locale: str) -> list[Any]:
    """The App Home's blocks: this week's and last week's sessions, for whoever may see them (else [])."""
    from flows.calendar.week import views

    return views.home_section(services, client, team_id, user_id, locale)


def connect_feed(services: Services, **feed: Any) -> tuple[int, Any]:
    """Connect (or reconnect) a practitioner's calendar and read it once: the modal's Connect, for a composition
    that sets one up itself (the playground's demo calendar). See flows.calendar.sync.apply.connect_feed."""
    from flows.calendar.sync.apply import connect_feed as connect

    return connect(services, **feed)
