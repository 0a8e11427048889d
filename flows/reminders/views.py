"""Block Kit for reminders: the settings modal, its notices, the App Home section and the stop/resume notes."""

from __future__ import annotations

from typing import Any

from bot import blocks
from bot.blocks import Block
from bot.i18n import format_datetime, format_money, t
from bot.models import ReminderSettings
from flows.reminders import ids
from flows.reminders.logic import HomeLine, SettingsForm
from flows.reminders.rules import DEFAULT_OFFSETS, DEFAULT_SEND_MINUTE, parse_offsets


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def rule_name(offset: int, locale: str) -> str:
    one = "_one" if abs(offset) == 1 else ""
    if offset < 0:
        return t(locale, f"reminders.rule.before{one}", days=-offset)
    if offset == 0:
        return t(locale, "reminders.rule.on")
    return t(locale, f"reminders.rule.after{one}", days=offset)


def settings_modal(locale: str, saved: ReminderSettings | None, timezone: str) -> dict[str, Any]:
    offsets = parse_offsets(saved.offsets) if saved else DEFAULT_OFFSETS
    before = ", ".join(str(-o) for o in offsets if o < 0)
    after = ", ".join(str(o) for o in offsets if o > 0)
    on_due = blocks.option(t(locale, "reminders.on_due_date"), ids.ON_DUE_DATE_VALUE)
    email = blocks.option(
        t(locale, "reminders.email_client"),
        ids.EMAIL_CLIENT_VALUE,
        description=t(locale, "reminders.email_client.description"),
    )
    tell = blocks.option(
        t(locale, "reminders.tell_team"), ids.TELL_TEAM_VALUE, description=t(locale, "reminders.tell_team.description")
    )
    summary = blocks.option(
        t(locale, "reminders.summary"),
        ids.MONTHLY_SUMMARY_VALUE,
        description=t(locale, "reminders.summary.description"),
    )
    delivery = [
        o
        for o, on in ((email, saved.email_client if saved else True), (tell, saved.tell_team if saved else True))
        if on
    ]
    content: list[Block] = [
        blocks.section(t(locale, "reminders.intro")),
        blocks.header(t(locale, "reminders.section.when")),
        blocks.input_block(
            t(locale, "reminders.days_before"),
            blocks.plain_text_input(
                ids.DAYS_BEFORE,
                initial_value=before,
                max_length=100,
                placeholder=t(locale, "reminders.days.placeholder"),
            ),
            block_id=ids.DAYS_BEFORE,
            optional=True,
            hint=t(locale, "reminders.days_before.hint"),
        ),
        blocks.input_block(
            t(locale, "reminders.on_due_date.label"),
            blocks.checkboxes(ids.ON_DUE_DATE, [on_due], initial_options=[on_due] if 0 in offsets else None),
            block_id=ids.ON_DUE_DATE,
            optional=True,
        ),
        blocks.input_block(
            t(locale, "reminders.days_after"),
            blocks.plain_text_input(
                ids.DAYS_AFTER, initial_value=after, max_length=100, placeholder=t(locale, "reminders.days.placeholder")
            ),
            block_id=ids.DAYS_AFTER,
            optional=True,
            hint=t(locale, "reminders.days_after.hint"),
        ),
        blocks.header(t(locale, "reminders.section.how")),
        blocks.input_block(
            t(locale, "reminders.delivery"),
            blocks.checkboxes(ids.DELIVERY, [email, tell], initial_options=delivery or None),
            block_id=ids.DELIVERY,
            optional=True,
        ),
        blocks.input_block(
            t(locale, "reminders.channel"),
            blocks.conversations_select(
                ids.CHANNEL,
                initial_conversation=saved.channel_id if saved else None,
                placeholder=t(locale, "reminders.channel.placeholder"),
            ),
            block_id=ids.CHANNEL,
            optional=True,
            hint=t(locale, "reminders.channel.hint"),
        ),
        blocks.input_block(
            t(locale, "reminders.summary.label"),
            blocks.checkboxes(
                ids.MONTHLY_SUMMARY, [summary], initial_options=[summary] if saved and saved.monthly_summary else None
            ),
            block_id=ids.MONTHLY_SUMMARY,
            optional=True,
        ),
        blocks.input_block(
            t(locale, "reminders.time"),
            blocks.timepicker(ids.SEND_TIME, initial_time=_hhmm(saved.send_minute if saved else DEFAULT_SEND_MINUTE)),
            block_id=ids.SEND_TIME,
            hint=t(locale, "reminders.time.hint", timezone=timezone),
        ),
    ]
    return blocks.modal(
        t(locale, "reminders.title"),
        content,
        callback_id=ids.SETTINGS_CALLBACK,
        close=t(locale, "reminders.cancel"),
        submit=t(locale, "reminders.save"),
    )


def notice_modal(locale: str, text: str) -> dict[str, Any]:
    return blocks.notice_modal(
        t(locale, "reminders.title"), text, callback_id=ids.NOTICE_CALLBACK, close=t(locale, "common.close")
    )


def saved_text(locale: str, form: SettingsForm, timezone: str) -> str:
    ways = []
    if form.email_client:
        ways.append(t(locale, "reminders.saved.email"))
    if form.tell_team and form.channel_id:
        ways.append(t(locale, "reminders.saved.channel", channel=form.channel_id))
    if form.monthly_summary and form.channel_id:
        ways.append(t(locale, "reminders.saved.summary", channel=form.channel_id))
    return "\n".join(
        [
            t(locale, "reminders.saved"),
            t(locale, "reminders.saved.rules", rules=", ".join(rule_name(o, locale) for o in form.offsets)),
            t(locale, "reminders.saved.time", time=_hhmm(form.send_minute), timezone=timezone),
            t(locale, "reminders.saved.ways", ways=" · ".join(ways)),
        ]
    )


def _home_line(line: HomeLine, locale: str, timezone: str) -> str:
    amount = format_money(line.amount, line.currency, locale)
    when = format_datetime(line.at, locale, tz=timezone)
    return f"• {when} · *{line.client}* · {line.number} · {amount} · {rule_name(line.rule, locale)}"


def home_blocks(locale: str, timezone: str, upcoming: list[HomeLine], sent: list[HomeLine]) -> list[Block]:
    """The App Home section for the admin who set reminders up: what goes out next, and what went out last."""
    result: list[Block] = [blocks.divider(), blocks.header(t(locale, "reminders.home.title"))]
    next_text = "\n".join(_home_line(line, locale, timezone) for line in upcoming) or t(locale, "reminders.home.none")
    last_text = "\n".join(_home_line(line, locale, timezone) for line in sent) or t(locale, "reminders.home.none")
    result.append(blocks.section(f"*{t(locale, 'reminders.home.next')}*\n{next_text}", block_id="reminders_next"))
    result.append(blocks.section(f"*{t(locale, 'reminders.home.last')}*\n{last_text}", block_id="reminders_last"))
    return result


def stopped_blocks(locale: str, text: str, invoice_id: int) -> list[Block]:
    resume = blocks.button(t(locale, "reminders.resume"), ids.RESUME_ACTION, value=str(invoice_id))
    return [blocks.section(text, accessory=resume, block_id="reminders_stopped")]


def stop_button(locale: str, invoice_id: int) -> blocks.Element:
    """The invoice message's "Stop reminders" (flows.invoices.payments.views adds it for open invoices)."""
    return blocks.button(t(locale, "reminders.stop"), ids.STOP_ACTION, value=str(invoice_id))
