"""The invoice message's buttons, as the invoice's status allows them, and the words payments send back.

Every button carries our invoice id as its value; the handlers in ``payments`` read the invoice afresh,
so a button left on an old copy of the message can never act on a stale status.
"""

from __future__ import annotations

import json

from bot import blocks
from bot.i18n import format_money, t
from bot.models import Client, Invoice
from flows.invoices import ids
from flows.invoices.payments.logic import COLLECTABLE


def _with_confirm(element: blocks.Element, dialog: dict[str, object]) -> blocks.Element:
    return {**element, "confirm": dialog}


def _amount_left(invoice: Invoice, locale: str) -> str:
    left = invoice.amount_remaining if invoice.amount_remaining or invoice.amount_paid else invoice.total
    return format_money(left, invoice.currency, locale)


def invoice_actions(
    invoice: Invoice, client: Client, locale: str, *, client_name: str | None = None
) -> blocks.Block | None:
    """The actions block under an invoice message, or None when nothing is left to do.

    ``client_name``: the client as the message shows them (initials in a channel), for the confirm dialogs.
    """
    value = str(invoice.id)
    number = invoice.number
    elements: list[blocks.Element] = []
    if invoice.status in COLLECTABLE and invoice.stripe_invoice_id:
        if client.email:
            # No confirm dialog on the message itself: its text would travel to every member of the channel,
            # and it names the client's email address. The click opens a confirmation only the clicker sees.
            elements.append(
                blocks.button(t(locale, "payments.button.send_link"), ids.SEND_LINK, value=value, style="primary")
            )
        if client.default_payment_method and client.stripe_account_id == invoice.stripe_account_id:
            # It opens the Charge modal (the amount: the balance, or a part), which is its own confirmation.
            elements.append(blocks.button(t(locale, "payments.button.charge_card"), ids.CHARGE_CARD, value=value))
        else:
            elements.append(
                blocks.button(t(locale, "payments.button.add_payment_method"), ids.ADD_PAYMENT_METHOD, value=value)
            )
    if invoice.stripe_invoice_id and invoice.status != "draft":
        # Rendered with the practice's own template and uploaded to the clicker's DM (see payments.download_pdf).
        elements.append(blocks.button(t(locale, "payments.button.download_pdf"), ids.DOWNLOAD_PDF, value=value))
    if invoice.status in COLLECTABLE and invoice.stripe_invoice_id:
        # "Record payment" opens its modal (method, date, all of it or a part, a reference).
        elements.append(blocks.button(t(locale, "payments.button.mark_paid"), ids.MARK_PAID, value=value))
        void = blocks.button(t(locale, "payments.button.void"), ids.VOID, value=value, style="danger")
        elements.append(
            _with_confirm(
                void,
                blocks.confirm(
                    t(locale, "payments.confirm.void.title"),
                    t(locale, "payments.confirm.void.text", number=number),
                    yes=t(locale, "payments.confirm.void.yes"),
                    no=t(locale, "payments.confirm.no"),
                    danger=True,
                ),
            )
        )
    if invoice.status == "open" and invoice.stripe_invoice_id:
        # Handled by flows.reminders (its ids.STOP_ACTION): this invoice gets no more reminders.
        elements.append(blocks.button(t(locale, "reminders.stop"), "reminders_stop", value=value))
    if not elements:
        return None
    return blocks.actions(*elements, block_id=ids.ACTIONS_BLOCK_ID)


def send_link_modal(invoice: Invoice, client: Client, locale: str, *, channel_id: str | None) -> dict[str, object]:
    """The confirmation of "Send payment link", for the clicker's eyes only: it shows where the email goes."""
    metadata = json.dumps({"invoice": invoice.id, "channel": channel_id}, separators=(",", ":"))
    text = t(locale, "payments.confirm.send_link.text", number=invoice.number, email=client.email or "")
    amount = t(locale, "payments.confirm.send_link.amount", amount=_amount_left(invoice, locale), client=client.name)
    return blocks.modal(
        t(locale, "payments.confirm.send_link.title"),
        [blocks.section(text), blocks.context(amount)],
        callback_id=ids.SEND_LINK_CONFIRM_CALLBACK,
        submit=t(locale, "payments.confirm.send_link.yes"),
        close=t(locale, "payments.confirm.no"),
        private_metadata=metadata,
    )


# -- what the channel reads in the invoice's thread (client name and amounts only) ---------------------------


def status_word(status: str, locale: str) -> str:
    return t(locale, f"payments.status.{status}")


def paid_reply(invoice: Invoice, locale: str, *, out_of_band: bool) -> str:
    if out_of_band:
        return t(locale, "payments.thread.marked_paid", number=invoice.number)
    amount = format_money(invoice.amount_paid or invoice.total, invoice.currency, locale)
    return t(locale, "payments.thread.paid", number=invoice.number, amount=amount)


def status_reply(invoice: Invoice, locale: str, *, out_of_band: bool = False) -> str:
    if invoice.status == "paid":
        return paid_reply(invoice, locale, out_of_band=out_of_band)
    return t(locale, f"payments.thread.{invoice.status}", number=invoice.number)
