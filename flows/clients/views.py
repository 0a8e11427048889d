"""Block Kit for `/client`: the client list, a client's record, the new client and session modals.

Pure functions of what they are given. The list and the record are ephemeral messages (they hold contact
details and sessions, which only the asker should see), so each stays within a message's 50 blocks.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from bot import blocks, countries
from bot.blocks import Block, Element, escape_mrkdwn
from bot.i18n import format_date, format_money, format_time, t
from bot.models import Appointment, Client, Service
from flows.clients import ids as f
from flows.clients.logic import ClientRecord, SessionRow
from flows.clients.validation import (
    CITY_MAX,
    EMAIL_MAX,
    LINE_MAX,
    NAME_MAX,
    NOTES_MAX,
    PHONE_MAX,
    POSTAL_CODE_MAX,
    REGION_MAX,
)

# One client per block with its "Open" button: 40 of them leave room for the heading, the page line and
# the buttons under a message's 50 blocks.
PAGE_SIZE = 40
QUERY_IN_VALUE_MAX = 200
SESSIONS_SHOWN = 15
INVOICES_SHOWN = 10
SERVICES_IN_SELECT = 100

Message = dict[str, Any]


# -- the list ----------------------------------------------------------------------------------------------


def page_value(query: str, offset: int, *, archived: bool = False) -> str:
    """What a "More"/"Previous" button carries: the page is rebuilt from it, nothing is kept server-side."""
    value: dict[str, Any] = {"q": query[:QUERY_IN_VALUE_MAX], "o": max(offset, 0)}
    if archived:
        value["a"] = 1  # `/client archived`'s pages
    return json.dumps(value, ensure_ascii=False)


def page_is_archived(value: str | None) -> bool:
    try:
        data = json.loads(value or "")
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("a") == 1


def parse_page_value(value: str | None) -> tuple[str, int] | None:
    try:
        data = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    query, offset = data.get("q"), data.get("o")
    if not isinstance(query, str) or not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        return None
    return query[:QUERY_IN_VALUE_MAX], offset


def client_list(
    locale: str, clients: list[Client], *, query: str, offset: int, total: int, archived: bool = False
) -> Message:
    if archived:
        title = t(locale, "client.list.title_archived", count=total)
    elif query:
        title = t(locale, "client.list.title_search", query=query, count=total)
    else:
        title = t(locale, "client.list.title", count=total)
    result: list[Block] = [blocks.section(f"*{title}*", block_id="client_list_title")]
    for client in clients[:PAGE_SIZE]:
        details = " · ".join(part for part in (client.email, client.phone) if part)
        text = f"*{escape_mrkdwn(client.name)}*" + (f"\n{escape_mrkdwn(details)}" if details else "")
        open_button = blocks.button(t(locale, "client.list.open"), f.OPEN_RECORD_ACTION, value=str(client.id))
        result.append(blocks.section(text, accessory=open_button, block_id=f"client_{client.id}"))
    shown_to = offset + min(len(clients), PAGE_SIZE)
    result.append(blocks.context(t(locale, "client.list.page", first=offset + 1, last=shown_to, total=total)))
    buttons: list[Element] = []
    if offset > 0:
        previous = blocks.button(
            t(locale, "client.list.previous"),
            f.LIST_PREVIOUS_ACTION,
            value=page_value(query, max(offset - PAGE_SIZE, 0), archived=archived),
        )
        buttons.append(previous)
    if shown_to < total:
        buttons.append(
            blocks.button(
                t(locale, "client.list.more"), f.LIST_MORE_ACTION, value=page_value(query, shown_to, archived=archived)
            )
        )
    buttons.append(blocks.button(t(locale, "client.new"), f.NEW_CLIENT_ACTION, value=""))
    # Distinct block ids per page: Slack keeps a message's block ids unique, and this replaces the page.
    result.append(blocks.actions(*buttons, block_id=f"client_list_nav_{offset}"))
    return {"text": title, "blocks": result}


def no_clients(locale: str, query: str) -> Message:
    text = t(locale, "client.none_found", query=query) if query else t(locale, "client.none_yet")
    new = blocks.button(t(locale, "client.new"), f.NEW_CLIENT_ACTION, value=query[:NAME_MAX], style="primary")
    return {"text": text, "blocks": [blocks.section(text), blocks.actions(new, block_id="client_none")]}


def plain_message(text: str) -> Message:
    return {"text": text, "blocks": [blocks.section(text)]}


# -- a client's record --------------------------------------------------------------------------------------


def address_text(client: Client, locale: str) -> str | None:
    lines = [
        client.address_line1,
        client.address_line2,
        " ".join(p for p in (client.postal_code, client.city) if p),
        client.region,
        countries.country_name(client.country, locale) if client.country else None,
    ]
    found = [line for line in lines if line]
    return ", ".join(found) if found else None


def client_record(locale: str, record: ClientRecord, *, may_change: bool = True) -> Message:
    """``may_change``: the reader is a billing admin; others see the record without controls that would refuse them."""
    client = record.client
    contact = [
        t(locale, "client.record.email", email=escape_mrkdwn(client.email or "")) if client.email else
        t(locale, "client.record.no_email"),
    ]  # fmt: skip
    if client.phone:
        contact.append(t(locale, "client.record.phone", phone=escape_mrkdwn(client.phone)))
    address = address_text(client, locale)
    if address:
        contact.append(t(locale, "client.record.address", address=escape_mrkdwn(address)))
    result: list[Block] = [blocks.header(client.name)]
    state = state_line(locale, client)
    if state:
        result.append(blocks.context(state))
    result.append(blocks.section("\n".join(contact), block_id="client_contact"))
    if client.forgotten_at is None:
        result.append(blocks.actions(*_record_actions(locale, record, may_change), block_id="client_record_actions"))
    _invoices_part(locale, record, result)
    _sessions_part(locale, record, result, may_change)
    return {"text": t(locale, "client.record.text", name=client.name), "blocks": result}


def _record_actions(locale: str, record: ClientRecord, may_change: bool) -> list[Element]:
    client = record.client
    buttons = [blocks.button(t(locale, "client.record.add_session"), f.ADD_SESSION_ACTION, value=str(client.id))]
    if client.archived_at is None:
        buttons.append(
            blocks.button(t(locale, "client.record.new_invoice"), f.NEW_INVOICE_ACTION, value=str(client.id))
        )
    if record.uninvoiced_ids and client.archived_at is None:
        buttons.append(
            blocks.button(
                t(locale, "client.record.invoice_sessions", count=len(record.uninvoiced_ids)),
                f.INVOICE_SESSIONS_ACTION,
                value=str(client.id),
                style="primary",
            )
        )
    # Edit and its menu (merge, archive, forget) are the billing admins': not shown to whom they would refuse.
    return buttons + record_buttons(locale, client) if may_change else buttons


def _invoices_part(locale: str, record: ClientRecord, result: list[Block]) -> None:
    result.append(blocks.divider())
    result.append(blocks.section(f"*{t(locale, 'client.record.invoices')}*", block_id="client_invoices_title"))
    if not record.invoices:
        result.append(blocks.context(t(locale, "client.record.no_invoices")))
    else:
        lines = [_invoice_line(locale, invoice) for invoice in record.invoices[:INVOICES_SHOWN]]
        result.append(blocks.section("\n".join(lines), block_id="client_invoices"))
        totals = [
            t(locale, "client.record.open_due", amount=format_money(amount, currency, locale))
            for currency, amount in sorted(record.open_due.items())
        ] + [
            t(locale, "client.record.paid_total", amount=format_money(amount, currency, locale))
            for currency, amount in sorted(record.paid_total.items())
        ]
        if record.invoice_count > len(record.invoices):
            totals.append(
                t(locale, "client.record.more_invoices", shown=len(record.invoices), total=record.invoice_count)
            )
        if totals:
            result.append(blocks.context(" · ".join(totals)))


def _sessions_part(locale: str, record: ClientRecord, result: list[Block], may_change: bool) -> None:
    result.append(blocks.divider())
    result.append(blocks.section(f"*{t(locale, 'client.record.sessions')}*", block_id="client_sessions_title"))
    if not record.sessions:
        result.append(blocks.context(t(locale, "client.record.no_sessions")))
    else:
        # One section per session, with its menu (edit, delete, or why not): 15 of them keep under 50 blocks.
        for row in record.sessions[:SESSIONS_SHOWN]:
            # A session's Edit and Delete are the billing admins'; an invoiced one's "why not" is for everyone.
            shown = record.client.forgotten_at is None and (may_change or row.invoiced)
            menu = session_menu(locale, row) if shown else None
            result.append(
                blocks.section(_session_line(locale, row), accessory=menu, block_id=f"session_{row.appointment.id}")
            )
        if record.session_count > len(record.sessions):
            result.append(
                blocks.context(
                    t(locale, "client.record.more_sessions", shown=len(record.sessions), total=record.session_count)
                )
            )


def _invoice_line(locale: str, invoice: Any) -> str:
    status = t(locale, f"client.invoice.status.{invoice.status}")
    return t(
        locale,
        "client.record.invoice_line",
        number=invoice.number,
        status=status,
        total=format_money(invoice.total, invoice.currency, locale),
        due=format_date(invoice.due_date, locale),
    )


def _session_line(locale: str, row: SessionRow) -> str:
    appointment = row.appointment
    when = format_date(appointment.held_on, locale)
    if appointment.source == "calendar":
        # Imported from the practitioner's calendar: marked, with its time in the calendar's zone.
        if appointment.starts_at is not None:
            when = t(
                locale,
                "client.session.at",
                date=when,
                time=format_time(_utc(appointment.starts_at), locale, row.timezone or "UTC"),
            )
        when = f":calendar: {when}"
    parts = [when, escape_mrkdwn(appointment.description)]
    if appointment.duration_minutes:
        parts.append(t(locale, "client.session.minutes", minutes=appointment.duration_minutes))
    if row.invoiced:
        parts.append(t(locale, "client.session.invoiced", number=row.invoice_number))
    else:
        parts.append(t(locale, "client.session.not_invoiced"))
    if appointment.calendar_flag in ("cancelled", "moved"):
        parts.append(f":warning: {t(locale, f'client.session.flag.{appointment.calendar_flag}')}")
    return " · ".join(parts)


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes even for timezone-aware columns; we store UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# -- the record's controls ---------------------------------------------------------------------------------


def record_buttons(locale: str, client: Client) -> list[Element]:
    """Edit, and the "More" menu (merge, archive or unarchive, forget), after the record's own buttons."""
    value = str(client.id)
    archive = (
        blocks.option(t(locale, "client.change.unarchive"), f"{f.UNARCHIVE}:{value}")
        if client.archived_at is not None
        else blocks.option(t(locale, "client.change.archive"), f"{f.ARCHIVE}:{value}")
    )
    menu = [
        blocks.option(t(locale, "client.change.merge"), f"{f.MERGE}:{value}"),
        archive,
        blocks.option(t(locale, "client.change.forget"), f"{f.FORGET}:{value}"),
    ]
    return [
        blocks.button(t(locale, "client.change.edit"), f.EDIT_CLIENT_ACTION, value=value),
        blocks.overflow(f.MORE_ACTION, menu),
    ]


def state_line(locale: str, client: Client) -> str | None:
    """What the record says first about a client no longer in the pickers."""
    if client.forgotten_at is not None:
        return t(locale, "client.change.forgotten_on", date=format_date(client.forgotten_at.date(), locale))
    if client.archived_at is not None:
        return t(locale, "client.change.archived_on", date=format_date(client.archived_at.date(), locale))
    return None


def session_menu(locale: str, row: SessionRow) -> Element:
    """A session's "⋯": Edit and Delete, or, once on an invoice, why not (correct the invoice instead)."""
    value = str(row.appointment.id)
    if row.invoiced:
        # A button, not a menu of one: it says why, and a click explains (correct the invoice instead).
        locked = t(locale, "client.session.locked", number=row.invoice_number)
        return blocks.button(locked, f.SESSION_ACTION, value=f"{f.SESSION_LOCKED}:{value}")
    return blocks.overflow(
        f.SESSION_ACTION,
        [
            blocks.option(t(locale, "client.session.edit"), f"{f.SESSION_EDIT}:{value}"),
            blocks.option(t(locale, "client.session.delete"), f"{f.SESSION_DELETE}:{value}"),
        ],
    )


def parse_menu_value(value: str | None) -> tuple[str, int] | None:
    verb, _, raw_id = (value or "").partition(":")
    if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 18:
        return None
    return verb, int(raw_id)


# -- modals -----------------------------------------------------------------------------------------------


def new_client_modal(
    locale: str,
    *,
    parent_view_id: str | None = None,
    initial_name: str | None = None,
    channel_id: str | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    """The new client modal. ``parent_view_id``: the invoice modal it was pushed from, which is told the new
    client's id once saved; ``response_url``: where the record is shown once saved (the `/client` answer)."""
    metadata: dict[str, str] = {}
    if parent_view_id:
        metadata["parent"] = parent_view_id
    if channel_id:
        metadata["channel"] = channel_id
    if response_url and len(response_url) < 1000:
        metadata["ru"] = response_url
    content = client_fields(locale, None, initial_name=initial_name)
    return blocks.modal(
        t(locale, "client.new.title"),
        content,
        callback_id=f.NEW_CLIENT_CALLBACK,
        close=t(locale, "client.back" if parent_view_id else "client.cancel"),
        submit=t(locale, "client.save"),
        private_metadata=json.dumps(metadata, separators=(",", ":")),
    )


def client_fields(locale: str, client: Client | None, *, initial_name: str | None = None) -> list[Block]:
    """The client's fields, empty (a new client) or holding what ``client`` has (the edit modal)."""
    c = client
    content: list[Block] = [
        _text_input(locale, f.NAME, "client.field.name", NAME_MAX, initial=c.name if c else initial_name),
        _text_input(
            locale, f.EMAIL, "client.field.email", EMAIL_MAX, optional=True, hint="client.field.email.hint",
            initial=c.email if c else None,
        ),
        _text_input(locale, f.PHONE, "client.field.phone", PHONE_MAX, optional=True, initial=c.phone if c else None),
        blocks.header(t(locale, "client.section.address")),
        blocks.context(t(locale, "client.section.address.hint")),
        _text_input(locale, f.ADDRESS_LINE1, "client.field.line1", LINE_MAX, optional=True,
                    initial=c.address_line1 if c else None),
        _text_input(locale, f.ADDRESS_LINE2, "client.field.line2", LINE_MAX, optional=True,
                    initial=c.address_line2 if c else None),
        _text_input(locale, f.CITY, "client.field.city", CITY_MAX, optional=True, initial=c.city if c else None),
        _text_input(locale, f.REGION, "client.field.region", REGION_MAX, optional=True,
                    initial=c.region if c else None),
        postal_code_block(locale, c.country if c else None, initial=c.postal_code if c else None),
        # Choosing a country redraws the postal code's label (flows.clients.listeners.country_chosen).
        blocks.dispatching(
            blocks.input_block(
                t(locale, "client.field.country"),
                countries.country_select(
                    f.COUNTRY, locale, c.country if c else None, t(locale, "client.field.country.placeholder")
                ),
                block_id=f.COUNTRY,
                optional=True,
            )
        ),
    ]  # fmt: skip
    return content


def postal_code_block(locale: str, country: str | None, *, initial: str | None = None) -> Block:
    """The postal code field: required (no "(optional)" beside it, and a hint saying why) for a country whose
    addresses need one, optional otherwise, so that its label and the form's rule agree."""
    required = countries.postal_code_required(country)
    element = blocks.plain_text_input(f.POSTAL_CODE, initial_value=initial, max_length=POSTAL_CODE_MAX)
    hint = (
        t(locale, "client.field.postal_code.required", country=countries.country_name(country, locale))
        if (required and country)
        else None
    )
    return blocks.input_block(
        t(locale, "client.field.postal_code"), element, block_id=f.POSTAL_CODE, optional=not required, hint=hint
    )


def with_country(view: dict[str, Any], locale: str, country: str | None) -> dict[str, Any]:
    """A client form modal as shown, its postal code field redrawn for ``country``; the other blocks keep their
    ids, so Slack keeps what was typed in them (and in the postal code field, whose id stays too)."""
    redrawn = [
        postal_code_block(locale, country) if block.get("block_id") == f.POSTAL_CODE else block
        for block in view.get("blocks", [])
    ]
    kept = ("type", "title", "close", "submit", "callback_id", "private_metadata", "clear_on_close", "notify_on_close")
    return {**{key: view[key] for key in kept if key in view}, "blocks": redrawn}


def session_modal(
    locale: str,
    client: Client,
    services: list[Service],
    *,
    today: date,
    channel_id: str | None,
    response_url: str | None,
    appointment: Appointment | None = None,
) -> dict[str, Any]:
    """The new session modal, or with ``appointment`` the same modal editing that session."""
    metadata: dict[str, Any] = {"client": client.id}
    if appointment is not None:
        metadata["session"] = appointment.id
    if channel_id:
        metadata["channel"] = channel_id
    if response_url and len(response_url) < 1000:
        metadata["ru"] = response_url
    if not services:
        return blocks.modal(
            t(locale, "client.session.title"),
            [blocks.section(t(locale, "client.session.no_services"))],
            callback_id=f.NOTICE_CALLBACK,
            close=t(locale, "common.close"),
        )
    options = [
        blocks.option(
            service.name,
            str(service.id),
            description=format_money(service.unit_amount, service.currency, locale),
        )
        for service in services[:SERVICES_IN_SELECT]
    ]
    a = appointment
    chosen = next((o for o in options if a is not None and o["value"] == str(a.service_id)), None)
    if chosen is None and a is None and len(options) == 1:
        chosen = options[0]
    held_on = a.held_on if a is not None else today
    content: list[Block] = [
        blocks.context(t(locale, "client.session.for", name=escape_mrkdwn(client.name))),
        blocks.input_block(
            t(locale, "client.session.date"),
            blocks.datepicker(f.SESSION_DATE, initial_date=held_on.isoformat()),
            block_id=f.SESSION_DATE,
        ),
        blocks.input_block(
            t(locale, "client.session.service"),
            blocks.static_select(
                f.SESSION_SERVICE,
                options=options,
                initial_option=chosen,
                placeholder=t(locale, "client.session.service.placeholder"),
            ),
            block_id=f.SESSION_SERVICE,
        ),
        blocks.input_block(
            t(locale, "client.session.duration"),
            blocks.number_input(
                f.SESSION_DURATION,
                min_value="1",
                max_value="1440",
                initial_value=str(a.duration_minutes) if a is not None and a.duration_minutes else None,
            ),
            block_id=f.SESSION_DURATION,
            optional=True,
        ),
        blocks.input_block(
            t(locale, "client.session.notes"),
            blocks.plain_text_input(
                f.SESSION_NOTES, max_length=NOTES_MAX, multiline=True, initial_value=a.notes if a is not None else None
            ),
            block_id=f.SESSION_NOTES,
            optional=True,
            hint=t(locale, "client.session.notes.hint"),
        ),
    ]
    return blocks.modal(
        t(locale, "client.session.edit.title" if a is not None else "client.session.title"),
        content,
        callback_id=f.SESSION_EDIT_CALLBACK if a is not None else f.SESSION_CALLBACK,
        close=t(locale, "client.cancel"),
        submit=t(locale, "client.save"),
        private_metadata=json.dumps(metadata, separators=(",", ":")),
    )


def notice_modal(locale: str, title_key: str, text: str) -> dict[str, Any]:
    return blocks.notice_modal(
        t(locale, title_key), text, callback_id=f.NOTICE_CALLBACK, close=t(locale, "common.close")
    )


def _text_input(
    locale: str,
    block_id: str,
    label_key: str,
    max_length: int,
    *,
    optional: bool = False,
    initial: str | None = None,
    hint: str | None = None,
) -> Block:
    element = blocks.plain_text_input(block_id, initial_value=initial, max_length=max_length)
    return blocks.input_block(
        t(locale, label_key), element, block_id=block_id, optional=optional, hint=t(locale, hint) if hint else None
    )
