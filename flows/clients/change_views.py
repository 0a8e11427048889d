"""Block Kit for changing a client and their sessions: the edit, merge, forget and session modals, the record's
menus. Pure functions of what they are given."""

from __future__ import annotations

import json
from typing import Any

from bot import blocks
from bot.blocks import Block, Element, escape_mrkdwn
from bot.i18n import format_date, plural, t
from bot.models import Appointment, Client
from flows.clients import ids as f
from flows.clients.changes import Merged
from flows.clients.validation import LANGUAGES, NAME_MAX
from flows.clients.views import client_fields

LANGUAGE_NAMES = {"en": "English", "fr": "Français"}  # each in its own language, as language pickers do


def _metadata(values: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in values.items() if v not in (None, "")}, separators=(",", ":"))


def _response_url(url: str | None) -> str | None:
    return url if url and len(url) < 1000 else None


# -- the edit modal ----------------------------------------------------------------------------------------


def edit_modal(locale: str, client: Client, *, pushed: bool, response_url: str | None) -> dict[str, Any]:
    language = client.preferred_locale if client.preferred_locale in LANGUAGES else locale
    options = [blocks.option(LANGUAGE_NAMES[code], code) for code in LANGUAGES]
    initial = next((o for o in options if o["value"] == language), None)
    content = client_fields(locale, client)
    content.append(
        blocks.input_block(
            t(locale, "client.field.language"),
            blocks.static_select(f.LANGUAGE, options=options, initial_option=initial),
            block_id=f.LANGUAGE,
            hint=t(locale, "client.field.language.hint"),
        )
    )
    if client.stripe_customer_id:
        content.append(blocks.context(t(locale, "client.change.edit.stripe_note")))
    return blocks.modal(
        t(locale, "client.change.edit.title"),
        content,
        callback_id=f.EDIT_CLIENT_CALLBACK,
        close=t(locale, "client.back" if pushed else "client.cancel"),
        submit=t(locale, "client.save"),
        private_metadata=_metadata(
            {"client": client.id, "pushed": 1 if pushed else None, "ru": _response_url(response_url)}
        ),
    )


# -- merge -------------------------------------------------------------------------------------------------


def merge_modal(locale: str, kept: Client, *, response_url: str | None) -> dict[str, Any]:
    content: list[Block] = [
        blocks.section(t(locale, "client.merge.intro", kept=escape_mrkdwn(kept.name))),
        blocks.input_block(
            t(locale, "client.merge.duplicate"),
            blocks.external_select(
                f.MERGE_DUPLICATE, placeholder=t(locale, "client.merge.duplicate.placeholder"), min_query_length=0
            ),
            block_id=f.MERGE_DUPLICATE,
        ),
        blocks.context(t(locale, "client.merge.stripe_note", kept=escape_mrkdwn(kept.name))),
    ]
    return blocks.modal(
        t(locale, "client.merge.title"),
        content,
        callback_id=f.MERGE_CALLBACK,
        close=t(locale, "client.cancel"),
        submit=t(locale, "client.merge.next"),
        private_metadata=_metadata({"client": kept.id, "ru": _response_url(response_url)}),
    )


def merge_confirm_modal(locale: str, kept: Client, duplicate: Client, *, response_url: str | None) -> dict[str, Any]:
    text = t(locale, "client.merge.confirm", kept=escape_mrkdwn(kept.name), duplicate=escape_mrkdwn(duplicate.name))
    note = t(locale, "client.merge.stripe_note", kept=escape_mrkdwn(kept.name))
    return blocks.modal(
        t(locale, "client.merge.title"),
        [blocks.section(text), blocks.context(note)],
        callback_id=f.MERGE_CONFIRM_CALLBACK,
        close=t(locale, "client.back"),
        submit=t(locale, "client.merge.do"),
        private_metadata=_metadata({"client": kept.id, "duplicate": duplicate.id, "ru": _response_url(response_url)}),
    )


def merged_text(locale: str, merged: Merged) -> str:
    return t(
        locale,
        "client.merge.done",
        kept=escape_mrkdwn(merged.kept),
        duplicate=escape_mrkdwn(merged.duplicate),
        invoices=plural(locale, "client.merge.invoices", merged.invoices),
        sessions=plural(locale, "client.merge.sessions", merged.sessions),
    )


def duplicate_options(clients: list[Client]) -> list[Element]:
    return [
        blocks.option(c.name, str(c.id), description=c.email or None)
        for c in clients[: blocks.SELECT_OPTIONS_MAX]
        if c.id is not None
    ]


# -- forget ------------------------------------------------------------------------------------------------


def forget_modal(locale: str, client: Client, *, response_url: str | None) -> dict[str, Any]:
    name = escape_mrkdwn(client.name)
    content: list[Block] = [
        blocks.section(t(locale, "client.forget.intro", name=name)),
        blocks.context(t(locale, "client.forget.kept")),
        blocks.input_block(
            t(locale, "client.forget.type_name", name=client.name),
            blocks.plain_text_input(f.FORGET_NAME, max_length=NAME_MAX),
            block_id=f.FORGET_NAME,
        ),
    ]
    return blocks.modal(
        t(locale, "client.forget.title"),
        content,
        callback_id=f.FORGET_CALLBACK,
        close=t(locale, "client.cancel"),
        submit=t(locale, "client.forget.do"),
        private_metadata=_metadata({"client": client.id, "ru": _response_url(response_url)}),
    )


def forget_refused_text(locale: str, client: Client, numbers: list[str]) -> str:
    return t(
        locale,
        "client.forget.unsettled",
        name=escape_mrkdwn(client.name),
        numbers=", ".join(numbers),
        count=len(numbers),
    )


# -- sessions ----------------------------------------------------------------------------------------------


def session_delete_modal(locale: str, appointment: Appointment, *, response_url: str | None) -> dict[str, Any]:
    text = t(
        locale,
        "client.session.delete.confirm",
        date=format_date(appointment.held_on, locale),
        service=escape_mrkdwn(appointment.description),
    )
    return blocks.modal(
        t(locale, "client.session.delete.title"),
        [blocks.section(text)],
        callback_id=f.SESSION_DELETE_CALLBACK,
        close=t(locale, "client.cancel"),
        submit=t(locale, "client.session.delete"),
        private_metadata=_metadata({"session": appointment.id, "ru": _response_url(response_url)}),
    )


def locked_text(locale: str, number: str) -> str:
    return t(locale, "client.session.locked.why", number=number)
