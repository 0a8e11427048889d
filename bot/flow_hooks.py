"""What one flow offers others without their importing it: the invoice modal, opened from a client's record
and from a help answer, and told about a client created from inside it.

The invoices flow provides them in its register(); a flow that needs them reads ``services.invoice_modal``,
which is None when the invoices flow is not registered (a test app with fewer flows). Likewise the clients flow
provides ``services.client_edit`` (the client edit modal) and the invoices flow ``services.refresh_invoice_message``
and ``services.invoice_sessions`` (an invoice for given sessions, made and collected without a modal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from slack_sdk import WebClient

from bot.modals import Shown


class OpenInvoiceModal(Protocol):
    def __call__(
        self,
        client: WebClient,
        *,
        trigger_id: str,
        team_id: str,
        user_id: str,
        locale: str,
        channel_id: str | None = None,
        client_id: int | None = None,
        appointment_ids: tuple[int, ...] = (),
        push: bool = False,
        shown: Shown | None = None,
    ) -> None:
        """Open (or push) the invoice modal; ``client_id`` / ``appointment_ids`` prefill it.

        Light first: the trigger_id is used at once on a light modal, filled once the modal's reads are done.
        A caller that already opened one (``shown``, to read before choosing what to show) has it filled.
        """


class ClientCreated(Protocol):
    def __call__(
        self, client: WebClient, *, team_id: str, user_id: str, locale: str, parent_view_id: str, client_id: int
    ) -> None:
        """The "New client" modal pushed from the invoice modal ``parent_view_id`` saved ``client_id``."""


@dataclass(frozen=True)
class InvoiceModalHooks:
    open: OpenInvoiceModal
    client_created: ClientCreated


class OpenClientEdit(Protocol):
    def __call__(
        self,
        client: WebClient,
        *,
        trigger_id: str,
        team_id: str,
        user_id: str,
        client_id: int,
        push: bool = False,
    ) -> None:
        """Open (or push, from inside a modal) the client edit modal for ``client_id``; light first, trigger-bound."""


@dataclass(frozen=True)
class ClientEditHooks:
    """Set by the clients flow: how the invoice modal's "Add an email" opens a client's edit modal."""

    open: OpenClientEdit


class RefreshInvoiceMessage(Protocol):
    def __call__(self, web: WebClient, invoice_id: int) -> bool:
        """Re-render the invoice's message in place (its client renamed, merged or erased); False without one."""


@dataclass(frozen=True)
class SessionsInvoiced:
    """What invoicing sessions without a modal came to (``InvoiceSessions``).

    ``outcome``: "done" (the invoice exists, open or paid, and was collected as asked), "refused" (nothing was
    made: ``message`` says what to fix, e.g. a client without an email), "elsewhere" (a session is already on
    another invoice, ``number``; nothing was made), "failed" (Stripe failed midway: what exists is kept and the
    same call resumes it), "declined" (the card was declined or refused: the invoice stays open, unpaid).
    """

    outcome: str
    invoice_id: int | None = None
    number: str | None = None
    total: int = 0
    currency: str = ""
    status: str = ""  # our invoice's: open, paid, draft…
    sent_to: str | None = None  # "send": the address Stripe emailed it to
    message: str | None = None  # localized, for the person who asked: why it was refused, failed or declined


class InvoiceSessions(Protocol):
    def __call__(
        self,
        web: WebClient,
        *,
        team_id: str,
        user_id: str,
        locale: str,
        appointment_ids: tuple[int, ...],
        request_key: str,
        collect: str = "send",
        service_id: int | None = None,
    ) -> SessionsInvoiced:
        """Invoice one client's sessions as the invoice modal does when "Invoice uninvoiced sessions" prefills it,
        without the modal, then collect it: "send" (Stripe emails it with its payment link, as the Send payment
        link button) or "charge" (the card on file, as the Charge card on file button). ``service_id`` bills that
        service instead of each session's own (a no-show fee). The invoice message goes to ``user_id``'s DM.

        Safe to call again with the same ``request_key`` (a retried click, a worker that died): one invoice, one
        Stripe invoice, one email, one charge. Run it from durable work (the work queue), never in an ack.
        """
