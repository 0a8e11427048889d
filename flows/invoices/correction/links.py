"""The visible link between an invoice and its correction, on both messages: "INV-0042, replaces INV-0037" and
"Replaced by INV-0042", each number a link to the other's message (Slack's permalink)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.db import Database
from bot.i18n import t
from bot.models import Invoice

log = logging.getLogger(__name__)


def linked(web: WebClient, invoice: Invoice) -> str:
    """The invoice's number, as a link to its message when it has one."""
    if not invoice.channel_id or not invoice.message_ts:
        return invoice.number
    try:
        found = web.chat_getPermalink(channel=invoice.channel_id, message_ts=invoice.message_ts)
    except SlackApiError as exc:
        log.info("chat.getPermalink for invoice %s failed: %s", invoice.id, exc.response.get("error"))
        return invoice.number
    url = str(found.get("permalink") or "")
    return f"<{url}|{invoice.number}>" if url else invoice.number


def related_text(web: WebClient, invoice: Invoice, *, db: Database, locale: str | None = None) -> str | None:
    """The line under the invoice's header naming what it replaces, or what replaced it; None for neither.
    ``locale``: the message's (a channel's card follows the workspace's language), else the invoice's."""
    replaced = invoice.replaced_by_id is not None and invoice.status == "void"
    other_id = invoice.replaced_by_id if replaced else invoice.replaces_id
    if other_id is None:
        return None
    with db.session() as session:
        other = session.get(Invoice, other_id)
    if other is None:
        return None
    key = "correction.message.replaced_by" if replaced else "correction.message.replaces"
    return t(locale or invoice.locale, key, number=invoice.number, other=linked(web, other))
