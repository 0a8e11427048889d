"""The only module that imports ``stripe``.

Every call that acts for a practice takes its connected account id (None for the platform's own account)
and every create takes an idempotency key, so a retried request can never charge or create twice.
Results come back as plain dicts; failures as GatewayError, with Stripe's code and the parameter at fault.
"""

from __future__ import annotations

import io
import re
import time
from decimal import Decimal
from typing import Any

import stripe

from bot import metrics
from bot.settings import Settings

# Stripe's own default: a signature more than five minutes old is a replay. stripe's construct_event checks
# only the past, so a header dated in the future (a clock far off, or a forgery kept for later) is ours to refuse.
WEBHOOK_TOLERANCE_SECONDS = 300
# Stripe's header holds a timestamp and a few signatures (several while a secret is being rolled).
_MAX_SIGNATURE_HEADER = 4096


class WebhookRejected(Exception):
    """The payload is not a Stripe event signed with our secret."""


class GatewayError(Exception):
    """Stripe refused or could not be reached. ``code`` and ``param`` are Stripe's, when it gave them."""

    def __init__(self, message: str, *, code: str | None = None, param: str | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.param = param
        self.status = status

    @property
    def retryable(self) -> bool:
        """A network failure, rate limit or Stripe-side error: the same request may work later."""
        return self.status is None or self.status == 429 or self.status >= 500


def _check_signature_header(header: str, now: float) -> None:
    """Refuse a header stripe's verifier would choke on (non-ASCII: TypeError) or whose time is out of tolerance.

    Every ``t=`` is checked, not only the first one stripe reads, so no timestamp in the header is out of range.
    """
    if len(header) > _MAX_SIGNATURE_HEADER or not header.isascii():
        raise WebhookRejected("malformed Stripe-Signature header")
    timestamps = [value for key, _, value in (item.partition("=") for item in header.split(",")) if key == "t"]
    if not timestamps:
        raise WebhookRejected("no timestamp in the Stripe-Signature header")
    for timestamp in timestamps:
        if not (timestamp.isdigit() and len(timestamp) <= 12):
            raise WebhookRejected("malformed timestamp in the Stripe-Signature header")
        if abs(now - int(timestamp)) > WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookRejected(f"timestamp {timestamp} is outside the tolerance of {WEBHOOK_TOLERANCE_SECONDS} s")


_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _method_name(call: Any) -> str:
    """'invoice_item.create' for the stripe package's InvoiceItemService.create: the metrics' label."""
    owner = getattr(call, "__self__", None)
    service = type(owner).__name__.removesuffix("Service") if owner is not None else ""
    name = getattr(call, "__name__", "call")
    if not service:
        return str(name)
    return f"{_CAMEL_HUMP.sub(r'_', service).lower()}.{name}"


class StripeGateway:
    def __init__(self, settings: Settings) -> None:
        self._webhook_secret = settings.stripe_webhook_secret
        self._client_id = settings.stripe_client_id
        self._client: stripe.StripeClient | None = None
        if settings.stripe_api_key:
            base = settings.stripe_api_base
            addresses: dict[str, str | None] = {"api": base, "connect": base, "files": base} if base else {}
            self._client = stripe.StripeClient(
                settings.stripe_api_key,
                base_addresses=addresses,  # type: ignore[arg-type]
                client_id=settings.stripe_client_id,
                max_network_retries=2,
            )

    @property
    def configured(self) -> bool:
        return self._client is not None

    @property
    def oauth_configured(self) -> bool:
        return self._client is not None and self._client_id is not None

    @property
    def webhooks_configured(self) -> bool:
        return self._webhook_secret is not None

    def verify_webhook(self, payload: bytes, signature_header: str | None) -> dict[str, Any]:
        """The event as a plain dict, or WebhookRejected when the signature or the body is not right."""
        if self._webhook_secret is None:
            raise WebhookRejected("STRIPE_WEBHOOK_SECRET is not set")
        if not signature_header:
            raise WebhookRejected("no Stripe-Signature header")
        _check_signature_header(signature_header, time.time())
        try:
            event = stripe.Webhook.construct_event(
                payload, signature_header, self._webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
            return event.to_dict()
        # RecursionError: a signed body nested too deep for json (or for stripe's objects) is still not an event.
        except (ValueError, stripe.SignatureVerificationError, RecursionError) as exc:
            raise WebhookRejected(f"{exc.__class__.__name__}: {str(exc)[:200]}") from exc

    # -- plumbing -------------------------------------------------------------------------------------------

    def _v1(self) -> Any:
        if self._client is None:
            raise GatewayError("STRIPE_API_KEY is not set", code="not_configured")
        return self._client.v1

    @staticmethod
    def _options(account_id: str | None, idempotency_key: str | None = None) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if account_id is not None:
            options["stripe_account"] = account_id
        if idempotency_key is not None:
            options["idempotency_key"] = idempotency_key
        return options

    @staticmethod
    def _call(call: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        method = _method_name(call)
        metrics.STRIPE_CALLS.labels(method).inc()
        try:
            result = call(*args, **kwargs)
        except stripe.StripeError as exc:
            metrics.STRIPE_ERRORS.labels(method).inc()
            error = exc.error
            raise GatewayError(
                exc.user_message or str(exc),
                code=getattr(error, "code", None) if error else exc.code,
                param=getattr(error, "param", None) if error else None,
                status=exc.http_status,
            ) from exc
        return result.to_dict() if hasattr(result, "to_dict") else dict(result)

    # -- Connect --------------------------------------------------------------------------------------------

    def create_account(
        self, account_type: str, *, idempotency_key: str, metadata: dict[str, str], country: str | None = None
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"type": account_type, "metadata": metadata}
        if country:
            params["country"] = country
        if account_type == "custom":
            params["capabilities"] = {"card_payments": {"requested": True}, "transfers": {"requested": True}}
        return self._call(self._v1().accounts.create, params, self._options(None, idempotency_key))

    def retrieve_account(self, account_id: str | None) -> dict[str, Any]:
        """The connected account, or the platform's own account when ``account_id`` is None."""
        if account_id is None:
            return self._call(self._v1().accounts.retrieve_current, None, {})
        return self._call(self._v1().accounts.retrieve, account_id, None, {})

    def create_account_link(
        self, account_id: str, *, refresh_url: str, return_url: str, idempotency_key: str
    ) -> dict[str, Any]:
        params = {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": refresh_url,
            "return_url": return_url,
        }
        return self._call(self._v1().account_links.create, params, self._options(None, idempotency_key))

    def oauth_authorize_url(self, *, state: str, redirect_uri: str) -> str:
        """Where to send a practice that connects the Stripe account it already has."""
        if self._client is None or self._client_id is None:
            raise GatewayError("STRIPE_CLIENT_ID is not set", code="not_configured")
        return self._client.oauth.authorize_url(
            {"response_type": "code", "scope": "read_write", "state": state, "redirect_uri": redirect_uri}
        )

    def oauth_exchange(self, code: str) -> str:
        """The connected account id for an authorization code (single-use, as Stripe makes it)."""
        if self._client is None:
            raise GatewayError("STRIPE_API_KEY is not set", code="not_configured")
        token = self._call(self._client.oauth.token, {"grant_type": "authorization_code", "code": code})
        return str(token["stripe_user_id"])

    def oauth_deauthorize(self, account_id: str) -> dict[str, Any]:
        """Connect's deauthorization: the platform gives up its access to an account the practice connected."""
        if self._client is None or self._client_id is None:
            raise GatewayError("STRIPE_CLIENT_ID is not set", code="not_configured")
        return self._call(self._client.oauth.deauthorize, {"stripe_user_id": account_id})

    # -- Tax rates ------------------------------------------------------------------------------------------

    def create_tax_rate(
        self,
        account_id: str | None,
        *,
        display_name: str,
        percentage: Decimal,
        inclusive: bool,
        idempotency_key: str,
        description: str | None = None,
        country: str | None = None,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "display_name": display_name,
            # Stripe takes the percentage as a decimal string; a float would round 19.6 to 19.600000000000001.
            "percentage": format(percentage, "f"),
            "inclusive": inclusive,
        }
        if description:
            params["description"] = description
        if country:
            params["country"] = country
        return self._call(self._v1().tax_rates.create, params, self._options(account_id, idempotency_key))

    def archive_tax_rate(self, account_id: str | None, tax_rate_id: str) -> dict[str, Any]:
        """Stripe tax rates are never deleted: archiving keeps them on the invoices that used them."""
        return self._call(self._v1().tax_rates.update, tax_rate_id, {"active": False}, self._options(account_id))

    # -- Customers and invoices -----------------------------------------------------------------------------

    def create_customer(
        self,
        account_id: str | None,
        *,
        name: str,
        email: str | None,
        idempotency_key: str,
        metadata: dict[str, str],
        preferred_locale: str | None = None,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"name": name, "metadata": metadata}
        if email:
            params["email"] = email
        if preferred_locale:
            params["preferred_locales"] = [preferred_locale]  # the language of Stripe's emails and pages
        return self._call(self._v1().customers.create, params, self._options(account_id, idempotency_key))

    def update_customer(
        self, account_id: str | None, customer_id: str, *, name: str, email: str | None
    ) -> dict[str, Any]:
        # "" unsets the email in Stripe's form encoding, as it does for any optional string.
        params: dict[str, Any] = {"name": name, "email": email or ""}
        return self._call(self._v1().customers.update, customer_id, params, self._options(account_id))

    def mirror_customer(
        self,
        account_id: str | None,
        customer_id: str,
        *,
        fields: dict[str, Any],
        idempotency_key: str,
    ) -> dict[str, Any]:
        """customers.update with a client's whole contact card: name, email, phone, address, preferred_locales.

        ``fields`` holds Stripe's parameters as they are sent ("" unsets an optional one); the key makes a retry
        after a crash the same update, not a second one.
        """
        return self._call(self._v1().customers.update, customer_id, fields, self._options(account_id, idempotency_key))

    def delete_customer(self, account_id: str | None, customer_id: str) -> dict[str, Any]:
        """customers.delete (Stripe keeps its own records of the customer's invoices and payments)."""
        return self._call(self._v1().customers.delete, customer_id, None, self._options(account_id))

    def create_invoice(
        self,
        account_id: str | None,
        *,
        customer_id: str,
        currency: str,
        due_date: int,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict[str, Any]:
        """A draft invoice sent for payment (not charged automatically), holding only the items added to it."""
        params: dict[str, Any] = {
            "customer": customer_id,
            "currency": currency,
            "collection_method": "send_invoice",
            "due_date": due_date,
            # Items left pending on the customer (by anything else) must not slip onto this invoice.
            "pending_invoice_items_behavior": "exclude",
            # Stripe emails the invoice only when the practice presses "Send payment link".
            "auto_advance": False,
            "metadata": metadata,
        }
        return self._call(self._v1().invoices.create, params, self._options(account_id, idempotency_key))

    def create_invoice_item(
        self,
        account_id: str | None,
        *,
        invoice_id: str,
        customer_id: str,
        currency: str,
        description: str,
        quantity: int,
        unit_amount: int,
        tax_rate_ids: list[str],
        period: tuple[int, int],
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "invoice": invoice_id,
            "customer": customer_id,
            "currency": currency,
            "description": description,
            "quantity": quantity,
            # InvoiceItemCreateParams has no integer unit_amount: the decimal form, of a whole number of minor
            # units, bills ``quantity`` units at that price (``amount`` would force quantity 1).
            "unit_amount_decimal": str(unit_amount),
            "period": {"start": period[0], "end": period[1]},
            "metadata": metadata,
        }
        if tax_rate_ids:
            params["tax_rates"] = tax_rate_ids
        return self._call(self._v1().invoice_items.create, params, self._options(account_id, idempotency_key))

    def finalize_invoice(self, account_id: str | None, invoice_id: str, *, idempotency_key: str) -> dict[str, Any]:
        params = {"auto_advance": False}
        return self._call(
            self._v1().invoices.finalize_invoice, invoice_id, params, self._options(account_id, idempotency_key)
        )

    def retrieve_invoice(self, account_id: str | None, invoice_id: str) -> dict[str, Any]:
        return self._call(self._v1().invoices.retrieve, invoice_id, None, self._options(account_id))

    # -- Corrections (Stripe's invoice revisions) -----------------------------------------------------------

    def revise_invoice(
        self, account_id: str | None, original_id: str, *, due_date: int, metadata: dict[str, str], idempotency_key: str
    ) -> dict[str, Any]:
        """A draft revision of an open invoice: its copy (customer, currency, lines), voiding it once finalized."""
        params: dict[str, Any] = {
            "from_invoice": {"action": "revision", "invoice": original_id},
            "due_date": due_date,
            "auto_advance": False,
            "metadata": metadata,
        }
        return self._call(self._v1().invoices.create, params, self._options(account_id, idempotency_key))

    def list_invoice_items(self, account_id: str | None, invoice_id: str) -> list[dict[str, Any]]:
        """The items on an invoice (ours hold at most a few dozen: one page of 100)."""
        params = {"invoice": invoice_id, "limit": 100}
        return list(self._call(self._v1().invoice_items.list, params, self._options(account_id)).get("data") or [])

    def delete_invoice_item(self, account_id: str | None, item_id: str) -> dict[str, Any]:
        return self._call(self._v1().invoice_items.delete, item_id, None, self._options(account_id))

    def update_draft_due_date(self, account_id: str | None, invoice_id: str, *, due_date: int) -> dict[str, Any]:
        """Stripe changes ``due_date`` on a draft only; an open invoice is revised instead."""
        return self._call(self._v1().invoices.update, invoice_id, {"due_date": due_date}, self._options(account_id))

    def delete_draft_invoice(self, account_id: str | None, invoice_id: str) -> dict[str, Any]:
        return self._call(self._v1().invoices.delete, invoice_id, None, self._options(account_id))

    # -- Branding -----------------------------------------------------------------------------------------

    def upload_business_logo(
        self, account_id: str | None, *, data: bytes, filename: str, idempotency_key: str
    ) -> dict[str, Any]:
        """A logo for ``settings.branding`` (purpose business_logo: PNG, JPEG or GIF, at most 512 KB)."""
        upload = io.BytesIO(data)
        upload.name = filename  # the multipart part's filename, from which Stripe reads the file type
        params = {"purpose": "business_logo", "file": upload}
        return self._call(self._v1().files.create, params, self._options(account_id, idempotency_key))

    def update_branding(
        self,
        account_id: str,
        *,
        primary_color: str,
        secondary_color: str,
        logo_file_id: str | None,
        idempotency_key: str,
    ) -> dict[str, Any]:
        """Colours ("#rrggbb") and logo of a connected account's invoices, emails and payment pages.

        ``logo_file_id`` None leaves the logo as it is; "" removes it.
        """
        branding: dict[str, Any] = {"primary_color": primary_color, "secondary_color": secondary_color}
        if logo_file_id is not None:
            branding["logo"] = logo_file_id
        params = {"settings": {"branding": branding}}
        return self._call(self._v1().accounts.update, account_id, params, self._options(None, idempotency_key))

    # -- Payments -------------------------------------------------------------------------------------------

    def send_invoice(self, account_id: str | None, invoice_id: str, *, idempotency_key: str) -> dict[str, Any]:
        """Stripe emails the invoice (with its payment link) to the customer's address."""
        return self._call(
            self._v1().invoices.send_invoice, invoice_id, None, self._options(account_id, idempotency_key)
        )

    def pay_invoice(
        self,
        account_id: str | None,
        invoice_id: str,
        *,
        idempotency_key: str,
        payment_method: str | None = None,
        paid_out_of_band: bool = False,
    ) -> dict[str, Any]:
        """Charge ``payment_method`` for what is left to pay, or record a payment made outside Stripe."""
        params: dict[str, Any] = {}
        if paid_out_of_band:
            params["paid_out_of_band"] = True
        elif payment_method:
            params["payment_method"] = payment_method
        return self._call(
            self._v1().invoices.pay, invoice_id, params or None, self._options(account_id, idempotency_key)
        )

    def void_invoice(self, account_id: str | None, invoice_id: str, *, idempotency_key: str) -> dict[str, Any]:
        return self._call(
            self._v1().invoices.void_invoice, invoice_id, None, self._options(account_id, idempotency_key)
        )

    def report_payment(
        self,
        account_id: str | None,
        *,
        amount: int,
        currency: str,
        paid_at: int,
        method_name: str,
        reference: str | None,
        customer_id: str | None,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict[str, Any]:
        """A payment received outside Stripe (cash, cheque, transfer), reported as a guaranteed Payment Record.

        Stripe wants payment_method_details; for money that never touched Stripe its types allow only a
        ``custom`` method, named by ``display_name``. A reference goes where Stripe keeps one for reconciling.
        """
        params: dict[str, Any] = {
            "amount_requested": {"currency": currency.lower(), "value": amount},
            "initiated_at": paid_at,
            "outcome": "guaranteed",
            "guaranteed": {"guaranteed_at": paid_at},
            "payment_method_details": {"type": "custom", "custom": {"display_name": method_name}},
            "customer_presence": "off_session",
            "metadata": metadata,
        }
        if customer_id:
            params["customer_details"] = {"customer": customer_id}
        if reference:
            params["processor_details"] = {"type": "custom", "custom": {"payment_reference": reference}}
        return self._call(self._v1().payment_records.report_payment, params, self._options(account_id, idempotency_key))

    def attach_payment(
        self,
        account_id: str | None,
        invoice_id: str,
        *,
        idempotency_key: str,
        payment_record: str | None = None,
        payment_intent: str | None = None,
    ) -> dict[str, Any]:
        """Attach a payment to the invoice: it lowers amount_remaining by its amount, or pays the invoice."""
        params: dict[str, Any] = {"expand": ["payments"]}
        if payment_record:
            params["payment_record"] = payment_record
        if payment_intent:
            params["payment_intent"] = payment_intent
        return self._call(
            self._v1().invoices.attach_payment, invoice_id, params, self._options(account_id, idempotency_key)
        )

    def charge_part(
        self,
        account_id: str | None,
        *,
        amount: int,
        currency: str,
        customer_id: str,
        payment_method: str,
        description: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict[str, Any]:
        """A PaymentIntent for part of an invoice on the saved card, not yet confirmed: attached to the invoice
        first (Stripe's order for partial payments), then confirmed with ``confirm_part``."""
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "customer": customer_id,
            "payment_method": payment_method,
            "description": description,
            "metadata": metadata,
        }
        return self._call(self._v1().payment_intents.create, params, self._options(account_id, idempotency_key))

    def confirm_part(self, account_id: str | None, payment_intent_id: str, *, idempotency_key: str) -> dict[str, Any]:
        """Charge the card now, the client away (off session); the invoice is credited when it succeeds."""
        return self._call(
            self._v1().payment_intents.confirm,
            payment_intent_id,
            {"off_session": True},
            self._options(account_id, idempotency_key),
        )

    def create_setup_session(
        self,
        account_id: str | None,
        *,
        customer_id: str,
        currency: str,
        success_url: str,
        cancel_url: str,
        metadata: dict[str, str],
        idempotency_key: str,
        locale: str | None = None,
    ) -> dict[str, Any]:
        """A Checkout Session in setup mode: the client saves a card for later charges, paying nothing now."""
        params: dict[str, Any] = {
            "mode": "setup",
            "customer": customer_id,
            "currency": currency,
            "success_url": success_url,
            "cancel_url": cancel_url,
            "metadata": metadata,
            "setup_intent_data": {"metadata": metadata},
        }
        if locale:
            params["locale"] = locale
        return self._call(self._v1().checkout.sessions.create, params, self._options(account_id, idempotency_key))

    def retrieve_setup_intent(self, account_id: str | None, setup_intent_id: str) -> dict[str, Any]:
        return self._call(self._v1().setup_intents.retrieve, setup_intent_id, None, self._options(account_id))

    def set_default_payment_method(
        self, account_id: str | None, customer_id: str, payment_method_id: str
    ) -> dict[str, Any]:
        """Make the card the one Stripe charges for this customer's invoices."""
        params = {"invoice_settings": {"default_payment_method": payment_method_id}}
        return self._call(self._v1().customers.update, customer_id, params, self._options(account_id))

    # -- Refunds --------------------------------------------------------------------------------------------

    def create_credit_note(
        self,
        account_id: str | None,
        invoice_id: str,
        *,
        amount: int,
        reason: str | None,
        refund_amount: int = 0,
        out_of_band_amount: int = 0,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> dict[str, Any]:
        """A credit note on a paid invoice: ``refund_amount`` refunds its payment, ``out_of_band_amount`` records
        money given back outside Stripe (Stripe's way of refunding an invoice, so the invoice shows it)."""
        params: dict[str, Any] = {"invoice": invoice_id, "amount": amount, "metadata": metadata}
        if reason:
            params["reason"] = reason
        if refund_amount:
            params["refund_amount"] = refund_amount
        if out_of_band_amount:
            params["out_of_band_amount"] = out_of_band_amount
        return self._call(self._v1().credit_notes.create, params, self._options(account_id, idempotency_key))

    def list_credit_notes(self, account_id: str | None, invoice_id: str) -> list[dict[str, Any]]:
        """The invoice's credit notes, newest first (a practice's invoice has a handful: one page of 100)."""
        params = {"invoice": invoice_id, "limit": 100}
        found = self._call(self._v1().credit_notes.list, params, self._options(account_id))
        return list(found.get("data") or [])

    def retrieve_refund(self, account_id: str | None, refund_id: str) -> dict[str, Any]:
        return self._call(self._v1().refunds.retrieve, refund_id, None, self._options(account_id))

    def invoice_of_payment_intent(self, account_id: str | None, payment_intent_id: str) -> str | None:
        """The invoice a PaymentIntent paid (its invoice payment), or None for one that paid no invoice."""
        params = {"payment": {"type": "payment_intent", "payment_intent": payment_intent_id}, "limit": 1}
        found = self._call(self._v1().invoice_payments.list, params, self._options(account_id))
        data = found.get("data") or []
        invoice = data[0].get("invoice") if data else None
        return str(invoice) if invoice else None
