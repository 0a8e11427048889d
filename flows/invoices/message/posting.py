"""Posting the invoice message where the user asked, once, and re-rendering it in place after a change.

Creation posts it; payments updates it after a payment, a void or a saved card. One message per invoice:
it is claimed in the ledger before it is posted (bot.slack_posts.post_once).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import slack_posts
from bot.db import Database
from bot.i18n import t
from bot.models import Invoice
from bot.services import Services
from bot.slack_users import workspace_locale
from flows.invoices.correction.links import related_text
from flows.invoices.creation import store
from flows.invoices.message.views import invoice_message

log = logging.getLogger(__name__)

MESSAGE_CLAIM = "invoice_message"
# chat.postMessage's answers that mean "not in this conversation": the invoice goes to the creator's DM.
CANNOT_POST_IN_CHANNEL = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "team_access_not_granted",
        "ekm_access_denied",
    }
)


def is_private(channel_id: str | None) -> bool:
    """A DM (Slack's ``D…`` ids): the bot can only post in its own DM with the member, so only they read it."""
    return channel_id is None or channel_id.startswith("D")


def card_locale(invoice: Invoice, *, db: Database, default_locale: str, channel_id: str | None = None) -> str:
    """The language of the invoice's message and its thread replies where they are posted: a channel's follow
    the workspace's language (everyone there reads them); the creator's DM follows the creator's."""
    where = channel_id or invoice.channel_id
    if is_private(where):
        return invoice.locale
    return workspace_locale(db, invoice.team_id, default_locale)


def thread_locale(services: Services, invoice: Invoice) -> str:
    """The language of a reply in the invoice message's thread: the message's own (card_locale)."""
    return card_locale(invoice, db=services.db, default_locale=services.settings.default_locale)


def post_invoice_message(services: Services, web: WebClient, bundle: store.InvoiceBundle, user_id: str) -> None:
    """Post the invoice where it was asked for, once; in the creator's DM when the bot cannot post there."""
    invoice = bundle.invoice
    assert invoice.id is not None
    if invoice.message_ts is not None:
        return
    default = services.settings.default_locale

    def related(locale: str) -> str | None:
        return related_text(web, invoice, db=services.db, locale=locale)  # a correction names what it replaces

    def post(metadata: dict[str, Any]) -> tuple[str, str]:
        target = invoice.channel_id or user_id
        try:
            private = target == user_id or is_private(target)
            locale = invoice.locale if private else card_locale(invoice, db=services.db, default_locale=default)
            return _post(web, bundle, target, metadata, locale, private=private, related=related(locale))
        except SlackApiError as exc:
            error = exc.response.get("error")
            if invoice.channel_id is None or error not in CANNOT_POST_IN_CHANNEL:
                raise  # Slack itself failing: the work queue runs the submission again, and it lands here again
            log.info("invoice %s: cannot post in %s (%s), posting to %s's DM", invoice.id, invoice.channel_id, error,
                     user_id)  # fmt: skip
            notice = t(invoice.locale, "invoice.message.moved_to_dm", channel=invoice.channel_id)
            return _post(web, bundle, user_id, metadata, invoice.locale, private=True, notice=notice,
                         related=related(invoice.locale))  # fmt: skip

    def look_in() -> list[str]:
        # Where the message may be: the channel asked for, and the creator's DM it moves to when it cannot.
        places = [invoice.channel_id] if invoice.channel_id else []
        if not places or not is_private(invoice.channel_id):
            places.append(str(web.conversations_open(users=user_id)["channel"]["id"]))
        return places

    # Posted by an earlier run (a replay, a double submit) or being posted right now: None. A claim older than
    # a post can take, with still no message saved, is one whose run died mid-post: it is taken over.
    posted = slack_posts.post_once(
        services.db, web, team_id=invoice.team_id, kind=MESSAGE_CLAIM, key=str(invoice.id),
        stale_after=posting_takes_at_most(services), post=post, look_in=look_in,
    )  # fmt: skip
    if posted is not None:
        store.save_invoice(invoice.id, channel_id=posted[0], message_ts=posted[1], db=services.db)


def _post(
    web: WebClient,
    bundle: store.InvoiceBundle,
    channel: str,
    metadata: dict[str, Any],
    locale: str,
    *,
    private: bool,
    notice: str | None = None,
    related: str | None = None,
) -> tuple[str, str]:
    text, message_blocks = invoice_message(
        bundle.invoice, bundle.lines, bundle.client, bundle.rates, locale, private=private,
        full_card=bundle.full_cards, notice=notice, refunds=bundle.refunds, related=related,
    )  # fmt: skip
    response = web.chat_postMessage(
        channel=channel, text=text, blocks=message_blocks, unfurl_links=False, metadata=metadata
    )
    return str(response["channel"]), str(response["ts"])


def posting_takes_at_most(services: Services) -> timedelta:
    """How old a claim to post a message is when its run must have died: half the work's lease.

    A post takes seconds. A replay of work whose worker died comes a lease after that work started, so
    the claim it meets is older than this and is taken over at once, not a lease later.
    """
    return services.work.lease / 2


def update_invoice_message(web: WebClient, invoice_id: int, *, db: Database, default_locale: str) -> bool:
    """Re-render the invoice's message in place (after a payment, a void…), in the language it was posted in
    (card_locale); False when it has none yet. ``default_locale``: BILLBOT_DEFAULT_LOCALE."""
    bundle = store.load(invoice_id, db=db)
    if bundle is None:
        return False
    invoice = bundle.invoice
    if invoice.message_ts is None or invoice.channel_id is None:
        return False
    locale = card_locale(invoice, db=db, default_locale=default_locale)
    text, message_blocks = invoice_message(
        invoice, bundle.lines, bundle.client, bundle.rates, locale, private=is_private(invoice.channel_id),
        full_card=bundle.full_cards, refunds=bundle.refunds, related=related_text(web, invoice, db=db, locale=locale),
    )  # fmt: skip
    web.chat_update(channel=invoice.channel_id, ts=invoice.message_ts, text=text, blocks=message_blocks)
    return True
