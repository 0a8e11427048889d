"""Block Kit for the App Home's calendar week view and the notice a stale Invoice click gets.

Compact by construction: one section per day (its sessions as mrkdwn lines), an actions block under it with the
day's Invoice buttons, one per week for "Invoice the week": at most 2 + 1 + 2 × (1 + 7 × 2 + 1) blocks, whatever
the calendar holds. A busy day's lines stop under Slack's 3,000 characters with "and N more".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient

from bot import blocks
from bot.blocks import Block, Element, escape_mrkdwn
from bot.i18n import format_date, format_time, plural, t
from bot.models import utcnow
from bot.permissions import is_billing_admin
from bot.services import Services
from bot.slack_users import member
from bot.timezones import zone
from flows.calendar.week import ids, logic
from flows.calendar.week.logic import Week, WeekSession, WeekView

# Under a section's 3,000 characters, with room for the "and N more" line.
DAY_TEXT_MAX = 2600
# Slack's limit of elements in an actions block.
DAY_BUTTONS_MAX = 25
# Ids in one "Invoice the week" value (Slack allows 2,000 characters in a button's value).
WEEK_IDS_MAX = 150
# The whole calendar part: divider, header, to-sort line, then two weeks of title + 7 days × 2 + week buttons.
BLOCKS_MAX = 3 + 2 * (1 + 7 * 2 + 1)


def home_section(services: Services, client: WebClient, team_id: str, user_id: str, locale: str) -> list[Any]:
    """The viewer's week view: their own sessions, every practitioner's for a billing admin, else nothing."""
    admin = is_billing_admin(services.db, client, team_id, user_id)
    scope = logic.scope_for(services.db, team_id, user_id, billing_admin=admin)
    if scope is None:
        return []
    tz = zone(member(services.db, client, team_id, user_id).tz).key
    return home_blocks(locale, tz, logic.load_week_view(services.db, team_id, user_id, scope, tz, utcnow()))


def home_blocks(locale: str, tz: str, view: WeekView) -> list[Block]:
    result: list[Block] = [blocks.divider(), blocks.header(t(locale, "calendar.week.title"))]
    # The to-sort list is in `/billing calendar` (the calendar's own modal): here only how many, and where.
    sort_lines = [plural(locale, "calendar.week.to_sort", view.to_sort)] if view.to_sort else []
    if view.to_sort_others:
        sort_lines.append(plural(locale, "calendar.week.to_sort_others", view.to_sort_others))
    if sort_lines:
        result.append(blocks.context(*sort_lines))
    result += _week_blocks(locale, tz, view.this_week, "calendar.week.this_week", view.several_practitioners)
    result += _week_blocks(locale, tz, view.last_week, "calendar.week.last_week", view.several_practitioners)
    return result[:BLOCKS_MAX]


def _week_blocks(locale: str, tz: str, week: Week, title_key: str, several: bool) -> list[Block]:
    sunday = week.monday + timedelta(days=6)
    span = t(locale, "calendar.week.span", start=format_date(week.monday, locale), end=format_date(sunday, locale))
    title = f"*{t(locale, title_key)}* · {span}"
    block_id = f"{ids.HOME_BLOCK_PREFIX}_week_{week.monday.isoformat()}"
    if not week.sessions:
        return [blocks.section(f"{title}\n{t(locale, 'calendar.week.none')}", block_id=block_id)]
    result = [blocks.section(f"{title}\n{_summary(locale, week.sessions)}", block_id=block_id)]
    by_day: dict[Any, list[WeekSession]] = defaultdict(list)
    for row in week.sessions:
        by_day[row.day].append(row)
    for day in sorted(by_day):
        rows = by_day[day]
        day_id = f"{ids.HOME_BLOCK_PREFIX}_{day.isoformat()}"
        text = _day_text(locale, tz, day, rows, several)
        billable = [row for row in rows if row.billable]
        if len(billable) > DAY_BUTTONS_MAX:
            # Slack's 25 elements: the day's other sessions are reached by "Invoice the week" or the record.
            text += "\n" + plural(locale, "calendar.week.more_buttons", len(billable) - DAY_BUTTONS_MAX)
        result.append(blocks.section(text, block_id=day_id))
        buttons = [_invoice_button(locale, tz, row, n) for n, row in enumerate(billable[:DAY_BUTTONS_MAX])]
        if buttons:
            result.append(blocks.actions(*buttons, block_id=f"{day_id}_invoice"))
    week_buttons = _week_buttons(locale, week.sessions)
    if week_buttons:
        result.append(blocks.actions(*week_buttons, block_id=f"{block_id}_invoice_week"))
    return result


def _summary(locale: str, rows: list[WeekSession]) -> str:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.status] += 1
    parts = [plural(locale, "calendar.week.sessions", len(rows))]
    for status in (logic.TO_INVOICE, logic.INVOICED, logic.PAID, logic.UPCOMING):
        if counts[status]:
            parts.append(plural(locale, f"calendar.week.count.{status}", counts[status]))
    return " · ".join(parts)


def _day_text(locale: str, tz: str, day: Any, rows: list[WeekSession], several: bool) -> str:
    text = f"*{format_date(day, locale, 'full')}*"
    for shown, row in enumerate(rows):
        line = _line(locale, tz, row, several)
        if len(text) + len(line) + 1 > DAY_TEXT_MAX:
            return f"{text}\n{plural(locale, 'calendar.week.more', len(rows) - shown)}"
        text = f"{text}\n{line}"
    return text


def when_text(locale: str, tz: str, row: WeekSession) -> str:
    return t(locale, "calendar.week.all_day") if row.all_day else format_time(row.starts_at, locale, tz)


def _line(locale: str, tz: str, row: WeekSession, several: bool) -> str:
    parts = [f"`{when_text(locale, tz, row)}` {escape_mrkdwn(row.client_name)}", escape_mrkdwn(row.service)]
    if row.duration_minutes:
        parts.append(t(locale, "calendar.week.minutes", minutes=row.duration_minutes))
    parts.append(_status_text(locale, row))
    if row.flag in ("cancelled", "moved"):
        parts.append(f":warning: {t(locale, f'calendar.week.flag.{row.flag}')}")
    if several and row.practitioner_id:
        parts.append(f"<@{row.practitioner_id}>")
    return " · ".join(parts)


def _status_text(locale: str, row: WeekSession) -> str:
    if row.status in (logic.INVOICED, logic.PAID):
        return t(locale, f"calendar.week.status.{row.status}", number=row.invoice_number or "")
    if row.status == logic.TO_INVOICE and row.flag != logic.CANCELLED_FLAG:
        return f"*{t(locale, 'calendar.week.status.to_invoice')}*"
    return f"_{t(locale, 'calendar.week.status.upcoming')}_" if row.status == logic.UPCOMING else ""


def _invoice_button(locale: str, tz: str, row: WeekSession, n: int) -> Element:
    if row.all_day:
        label = t(locale, "calendar.week.invoice_all_day", name=row.client_name)
    else:
        label = t(locale, "calendar.week.invoice_one", time=when_text(locale, tz, row), name=row.client_name)
    return blocks.button(label, f"{ids.INVOICE_SESSION_ACTION}.{n}", value=str(row.appointment_id))


def _week_buttons(locale: str, rows: list[WeekSession]) -> list[Element]:
    """ "Invoice the week" for each client with two or more sessions to invoice that week, by name."""
    by_client: dict[int, list[WeekSession]] = defaultdict(list)
    for row in rows:
        if row.billable:
            by_client[row.client_id].append(row)
    chosen = sorted((r for r in by_client.values() if len(r) >= 2), key=lambda r: r[0].client_name.casefold())
    buttons = []
    for n, client_rows in enumerate(chosen[:25]):
        value = ",".join(str(r.appointment_id) for r in client_rows[:WEEK_IDS_MAX])
        label = plural(locale, "calendar.week.invoice_week", len(client_rows), name=client_rows[0].client_name)
        buttons.append(blocks.button(label, f"{ids.INVOICE_WEEK_ACTION}.{n}", value=value, style="primary"))
    return buttons


def notice_modal(locale: str, text: str) -> dict[str, Any]:
    return blocks.notice_modal(
        t(locale, "calendar.week.notice.title"), text, callback_id=ids.NOTICE_CALLBACK, close=t(locale, "common.close")
    )


def click_refusal(locale: str, reason: str, number: str | None) -> str:
    return t(locale, reason, number=number or "")
