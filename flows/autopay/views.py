"""Autopay's Block Kit: the daily DM (a line and its buttons per charge), the client record's switch, notices."""

from __future__ import annotations

from bot import blocks
from bot.blocks import Block
from bot.i18n import format_datetime, format_money, t
from bot.initials import initials
from bot.models import Client, Invoice
from flows.autopay import ids
from flows.autopay.store import Line
from flows.autopay.timing import aware

# Two blocks a charge and Slack's 50 a message: a long day is split over several DMs.
LINES_PER_MESSAGE = 20


def _amount(invoice: Invoice, locale: str) -> str:
    left = invoice.amount_remaining or invoice.total
    return format_money(left, invoice.currency, locale)


def _who(client: Client) -> str:
    # The DM is the practitioner's, but it is a list at a glance: initials, as the channel cards show.
    return initials(client.name) if client.forgotten_at is None else "—"


def line_text(locale: str, tz: str, line: Line) -> str:
    invoice, charge = line.invoice, line.charge
    when = format_datetime(aware(charge.charge_at), locale, tz=tz)
    text = t(
        locale,
        "autopay.dm.line",
        number=invoice.number,
        client=_who(line.client),
        amount=_amount(invoice, locale),
        when=when,
    )
    state = t(locale, f"autopay.state.{charge.state}")
    if charge.state == "held" and charge.updated_by:
        state = t(locale, "autopay.state.held_by", user=charge.updated_by)
    if charge.state != "scheduled":
        text += f"\n{state}"
    return text


def _buttons(locale: str, line: Line) -> list[blocks.Element]:
    value = str(line.invoice.id)
    state = line.charge.state
    found: list[blocks.Element] = []
    if state == "scheduled":
        found.append(blocks.button(t(locale, "autopay.button.hold"), ids.HOLD_ACTION, value=value))
        found.append(blocks.button(t(locale, "autopay.button.edit"), ids.EDIT_ACTION, value=value))
    if state in ("scheduled", "held"):
        found.append(
            blocks.button(t(locale, "autopay.button.charge_now"), ids.CHARGE_NOW_ACTION, value=value, style="primary")
        )
    return found


def dm(locale: str, tz: str, lines: list[Line]) -> tuple[str, list[Block]]:
    """One message of the daily DM: tomorrow's automatic charges, each with Hold, Edit and Charge now."""
    text = t(locale, "autopay.dm.title", count=len(lines))
    result: list[Block] = [
        blocks.section(f"*{text}*", block_id="autopay_title"),
        blocks.context(t(locale, "autopay.dm.hint", tz=tz)),
    ]
    for line in lines:
        result.append(blocks.section(line_text(locale, tz, line), block_id=f"{ids.LINE_BLOCK_PREFIX}{line.invoice.id}"))
        found = _buttons(locale, line)
        if found:
            result.append(blocks.actions(*found, block_id=f"autopay_actions_{line.invoice.id}"))
    return text, result


def edit_hint(locale: str, invoice: Invoice) -> str:
    return t(locale, "autopay.edit.held", number=invoice.number)


def declined_dm(locale: str, invoice: Invoice, client: Client, reason: str, sent: str) -> str:
    head = t(
        locale,
        "autopay.declined",
        number=invoice.number,
        client=_who(client),
        amount=_amount(invoice, locale),
        reason=reason,
    )
    return head + "\n" + t(locale, f"autopay.fallback.{sent}", number=invoice.number)


def record_part(locale: str, client: Client) -> list[Block]:
    """The client record's autopay line: its state, and the switch for billing admins (checked on click)."""
    if client.forgotten_at is not None or client.merged_into_id is not None:
        return []
    value = str(client.id)
    if client.autopay:
        text = t(locale, "autopay.record.on")
        switch = blocks.button(t(locale, "autopay.record.turn_off"), ids.TOGGLE_ACTION, value=f"off:{value}")
    elif client.default_payment_method:
        text = t(locale, "autopay.record.off")
        switch = blocks.button(t(locale, "autopay.record.turn_on"), ids.TOGGLE_ACTION, value=f"on:{value}")
    else:
        return [blocks.context(t(locale, "autopay.record.no_card"))]
    return [blocks.section(text, accessory=switch, block_id="autopay_record")]
