"""The session-end prompt's Block Kit: the DM with its buttons, the same DM while a button works, and its outcome.

It is the practitioner's own DM, so it names the client in full; never the event's title, which may hold
health details. Times are the feed's (the practitioner's) time zone, words and money its language.
"""

from __future__ import annotations

from bot import blocks
from bot.blocks import Block, escape_mrkdwn
from bot.i18n import format_date, format_money, format_time, t
from bot.timezones import zone
from flows.calendar.prompt import ids
from flows.calendar.prompt.store import Prompt, aware


def ended_text(prompt: Prompt, *, bold: bool = False) -> str:
    """ "Session with Jean Dupont ended at 10:50 AM", in the practitioner's language and time zone."""
    feed = prompt.feed
    name = prompt.client.name if prompt.client is not None else ""
    shown = f"*{escape_mrkdwn(name)}*" if bold else name
    return t(
        feed.locale,
        "calendar.prompt.ended",
        client=shown,
        time=format_time(aware(prompt.event.ends_at), feed.locale, feed.timezone),
    )


def details_text(prompt: Prompt) -> str:
    """The day, the service and its price: what the practitioner decides on."""
    feed = prompt.feed
    day = aware(prompt.event.starts_at).astimezone(zone(feed.timezone)).date()
    parts = [format_date(day, feed.locale)]
    service = prompt.service
    if service is not None:
        parts.append(escape_mrkdwn(service.name))
        parts.append(format_money(service.unit_amount, service.currency, feed.locale))
    elif prompt.session is not None:
        parts.append(escape_mrkdwn(prompt.session.description) or t(feed.locale, "calendar.prompt.no_service_short"))
    return " · ".join(parts)


def _head(prompt: Prompt) -> list[Block]:
    return [
        blocks.section(ended_text(prompt, bold=True), block_id=ids.TITLE_BLOCK),
        blocks.context(details_text(prompt)),
    ]


def prompt_message(prompt: Prompt, *, notice: str | None = None) -> tuple[str, list[Block]]:
    """(text, blocks) of the DM with its buttons; ``notice`` says why a press did nothing (fix it, press again)."""
    locale, value = prompt.feed.locale, str(prompt.event_id)
    buttons = []
    if prompt.can_charge:
        buttons.append(blocks.button(t(locale, "calendar.prompt.charge"), ids.CHARGE_ACTION, value=value))
    buttons.append(blocks.button(t(locale, "calendar.prompt.send"), ids.SEND_ACTION, value=value, style="primary"))
    if prompt.feed.no_show_service_id is not None:
        buttons.append(blocks.button(t(locale, "calendar.prompt.no_show"), ids.NO_SHOW_ACTION, value=value))
    buttons.append(blocks.button(t(locale, "calendar.prompt.skip"), ids.SKIP_ACTION, value=value))
    shown = _head(prompt)
    if notice:
        shown.append(blocks.section(f"⚠️ {notice}"))
    shown.append(blocks.actions(*buttons, block_id=ids.ACTIONS_BLOCK))
    return ended_text(prompt), shown


def working_message(prompt: Prompt, action: str) -> tuple[str, list[Block]]:
    """The DM while a press's work runs: no buttons left to press twice."""
    return ended_text(prompt), [
        *_head(prompt),
        blocks.context(t(prompt.feed.locale, f"calendar.prompt.working.{action}")),
    ]


def outcome_message(prompt: Prompt, outcome: str, *, retry: bool = False) -> tuple[str, list[Block]]:
    """The DM once a press's work is over: what was done (or why not), and Retry where a retry can finish it."""
    shown = [*_head(prompt), blocks.section(outcome)]
    if retry:
        label = t(prompt.feed.locale, "calendar.prompt.retry")
        shown.append(
            blocks.actions(
                blocks.button(label, ids.RETRY_ACTION, value=str(prompt.event_id)), block_id=ids.ACTIONS_BLOCK
            )
        )
    return f"{ended_text(prompt)} {blocks.clip(outcome, 2000)}", shown
