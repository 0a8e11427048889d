"""Block Kit for `/client`: the client list, a client's record, the new client and session modals.

Pure functions of what they are given. The list and the record are ephemeral messages (they hold contact
details and sessions, which only the asker should see), so each stays within a message's 50 blocks.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot import blocks, countries
from bot.blocks import Block, Element, escape_mrkdwn
from bot.i18n import format_date, format_money, t
from bot.models import Client, Service
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


def page_value(query: str, offset: int) -> str:
    """What a "More"/"Previous" button carries: the page is rebuilt from it, nothing is kept server-side."""
    return json.dumps({"q": query[:QUERY_IN_VALUE_MAX], "o": max(offset, 0)}, ensure_ascii=False)


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


def client_list(locale: str, clients: list[Client], *, query: str, offset: int, total: int) -> Message:
    if query:
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
            value=page_value(query, max(offset - PAGE_SIZE, 0)),
        )
        buttons.append(previous)
    if shown_to < total:
        buttons.append(
            blocks.button(t(locale, "client.list.more"), f.LIST_MORE_ACTION, value=page_value(query, shown_to))
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


def client_record(locale: str, record: ClientRecord) -> Message:
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
    result: list[Block] = [
        blocks.header(client.name),
        blocks.section("\n".join(contact), block_id="client_contact"),
    ]
    buttons = [
        blocks.button(t(locale, "client.record.add_session"), f.ADD_SESSION_ACTION, value=str(client.id)),
        blocks.button(t(locale, "client.record.new_invoice"), f.NEW_INVOICE_ACTION, value=str(client.id)),
    ]
    if record.uninvoiced_ids:
        buttons.append(
            blocks.button(
                t(locale, "client.record.invoice_sessions", count=len(record.uninvoiced_ids)),
                f.INVOICE_SESSIONS_ACTION,
                value=str(client.id),
                style="primary",
            )
        )
    result.append(blocks.actions(*buttons, block_id="client_record_actions"))

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

    result.append(blocks.divider())
    result.append(blocks.section(f"*{t(locale, 'client.record.sessions')}*", block_id="client_sessions_title"))
    if not record.sessions:
        result.append(blocks.context(t(locale, "client.record.no_sessions")))
    else:
        lines = [_session_line(locale, row) for row in record.sessions[:SESSIONS_SHOWN]]
        result.append(blocks.section("\n".join(lines), block_id="client_sessions"))
        if record.session_count > len(record.sessions):
            result.append(
                blocks.context(
                    t(locale, "client.record.more_sessions", shown=len(record.sessions), total=record.session_count)
                )
            )
    return {"text": t(locale, "client.record.text", name=client.name), "blocks": result}


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
    parts = [format_date(appointment.held_on, locale), escape_mrkdwn(appointment.description)]
    if appointment.duration_minutes:
        parts.append(t(locale, "client.session.minutes", minutes=appointment.duration_minutes))
    if row.invoiced:
        parts.append(t(locale, "client.session.invoiced", number=row.invoice_number))
    else:
        parts.append(t(locale, "client.session.not_invoiced"))
    return " · ".join(parts)


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
    content: list[Block] = [
        _text_input(locale, f.NAME, "client.field.name", NAME_MAX, initial=initial_name),
        _text_input(locale, f.EMAIL, "client.field.email", EMAIL_MAX, optional=True, hint="client.field.email.hint"),
        _text_input(locale, f.PHONE, "client.field.phone", PHONE_MAX, optional=True),
        blocks.header(t(locale, "client.section.address")),
        blocks.context(t(locale, "client.section.address.hint")),
        _text_input(locale, f.ADDRESS_LINE1, "client.field.line1", LINE_MAX, optional=True),
        _text_input(locale, f.ADDRESS_LINE2, "client.field.line2", LINE_MAX, optional=True),
        _text_input(locale, f.CITY, "client.field.city", CITY_MAX, optional=True),
        _text_input(locale, f.REGION, "client.field.region", REGION_MAX, optional=True),
        _text_input(locale, f.POSTAL_CODE, "client.field.postal_code", POSTAL_CODE_MAX, optional=True),
        blocks.input_block(
            t(locale, "client.field.country"),
            countries.country_select(f.COUNTRY, locale, None, t(locale, "client.field.country.placeholder")),
            block_id=f.COUNTRY,
            optional=True,
        ),
    ]
    return blocks.modal(
        t(locale, "client.new.title"),
        content,
        callback_id=f.NEW_CLIENT_CALLBACK,
        close=t(locale, "client.back" if parent_view_id else "client.cancel"),
        submit=t(locale, "client.save"),
        private_metadata=json.dumps(metadata, separators=(",", ":")),
    )


def session_modal(
    locale: str,
    client: Client,
    services: list[Service],
    *,
    today: date,
    channel_id: str | None,
    response_url: str | None,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"client": client.id}
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
    content: list[Block] = [
        blocks.context(t(locale, "client.session.for", name=escape_mrkdwn(client.name))),
        blocks.input_block(
            t(locale, "client.session.date"),
            blocks.datepicker(f.SESSION_DATE, initial_date=today.isoformat()),
            block_id=f.SESSION_DATE,
        ),
        blocks.input_block(
            t(locale, "client.session.service"),
            blocks.static_select(
                f.SESSION_SERVICE,
                options=options,
                initial_option=options[0] if len(options) == 1 else None,
                placeholder=t(locale, "client.session.service.placeholder"),
            ),
            block_id=f.SESSION_SERVICE,
        ),
        blocks.input_block(
            t(locale, "client.session.duration"),
            blocks.number_input(f.SESSION_DURATION, min_value="1", max_value="1440"),
            block_id=f.SESSION_DURATION,
            optional=True,
        ),
        blocks.input_block(
            t(locale, "client.session.notes"),
            blocks.plain_text_input(f.SESSION_NOTES, max_length=NOTES_MAX, multiline=True),
            block_id=f.SESSION_NOTES,
            optional=True,
            hint=t(locale, "client.session.notes.hint"),
        ),
    ]
    return blocks.modal(
        t(locale, "client.session.title"),
        content,
        callback_id=f.SESSION_CALLBACK,
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
