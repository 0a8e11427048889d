"""The pages a person sees on Stripe's side: onboarding, OAuth consent, Checkout, hosted invoice.

They are plain HTML forms so tests can drive them with an HTTP client and people can click
through them in the playground. Each POST has the same effect as the matching test helper.
"""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from . import billing, connect, payment_methods, payments
from .app import App, Context, Route
from .money import format_amount
from .protocol import Response, StripeError, new_id

STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;color:#1a1f36}"
    "h1{font-size:1.4rem}.banner{background:#fff3cd;padding:.5rem 1rem;border-radius:6px;font-size:.85rem}"
    "button{padding:.5rem 1rem;margin:.25rem;border-radius:6px;border:1px solid #635bff;cursor:pointer}"
    "button.primary{background:#635bff;color:#fff}.error{color:#b3093c}table{width:100%}"
    "td.amount{text-align:right}input{padding:.4rem;width:100%;box-sizing:border-box;margin:.2rem 0 .6rem}"
)


def _page(title: str, body: str, status: int = 200) -> Response:
    html = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{STYLE}</style></head><body><p class='banner'>Stripe emulator — test mode, nothing is real.</p>"
        f"<h1>{escape(title)}</h1>{body}</body></html>"
    )
    return Response(status, html.encode(), content_type="text/html; charset=utf-8")


def _redirect(url: str, extra: dict[str, str] | None = None) -> Response:
    if extra:
        parts = urlsplit(url)
        query = "&".join(q for q in (parts.query, urlencode(extra)) if q)
        url = urlunsplit(parts._replace(query=query))
    return Response(303, b"", content_type="text/html", headers=[("Location", url)])


def _context(app: App, account: str, method: str, path: str, form: dict[str, Any]) -> Context:
    return Context(app, account, account != app.platform_account_id, new_id("req_", 14), None, method, path, {}, form)


def _hidden(fields: dict[str, Any]) -> str:
    return "".join(f"<input type='hidden' name='{escape(k)}' value='{escape(str(v))}'>" for k, v in fields.items() if v)


# --- Connect onboarding -------------------------------------------------------------------------


def onboarding(
    app: App, method: str, query: dict[str, Any], form: dict[str, Any], account_id: str, token: str
) -> Response:
    with app.store.lock:
        link = app.store.bucket("account_links").get(token)
        if link is None or link["account"] != account_id:
            return _page("Link not found", "<p>This onboarding link does not exist.</p>", 404)
        if connect.usable_link(app, token) is None:
            # Stripe sends people whose link expired or was already used to refresh_url for a new one.
            return _redirect(link["refresh_url"]) if link["refresh_url"] else _page("Link expired", "", 410)
        if method == "GET":
            due = "".join(
                f"<label><input type='checkbox' name='due[]' value='{escape(item)}'> {escape(item)}</label><br>"
                for item in connect.INITIAL_DUE
            )
            return _page(
                "Set up payments",
                f"<p>Account <code>{escape(account_id)}</code></p><form method='post'>"
                "<button class='primary' name='action' value='complete'>Complete onboarding</button>"
                f"<fieldset><legend>Or leave these details due</legend>{due}"
                "<button name='action' value='leave_due'>Submit with details missing</button></fieldset></form>",
            )
        link["used"] = True
        leave_due = list((form.get("due") or {}).values()) if form.get("action") == "leave_due" else None
        if form.get("action") == "leave_due" and not leave_due:
            leave_due = connect.INITIAL_DUE[:1]
        connect.set_onboarding(app, account_id, leave_due)
        return _redirect(link["return_url"]) if link["return_url"] else _page("Onboarding complete", "")


# --- OAuth --------------------------------------------------------------------------------------


def oauth_authorize(app: App, method: str, query: dict[str, Any], form: dict[str, Any]) -> Response:
    fields = form if method == "POST" else query
    client_id = fields.get("client_id")
    redirect_uri = fields.get("redirect_uri")
    state = fields.get("state")
    if client_id != app.connect_client_id:
        return _page("Unknown application", f"<p>No such application: {escape(str(client_id))}</p>", 400)
    if not redirect_uri:
        return _page("Missing redirect_uri", "<p>The emulator needs an explicit redirect_uri.</p>", 400)
    if method == "GET":
        keep = {k: fields.get(k) for k in ("client_id", "redirect_uri", "state", "scope", "response_type")}
        return _page(
            "Connect your Stripe account",
            "<p>An application wants to connect to your Stripe account.</p>"
            f"<form method='post'>{_hidden(keep)}"
            "<button class='primary' name='decision' value='connect'>Connect</button>"
            "<button name='decision' value='deny'>Deny</button></form>",
        )
    extra = {"state": state} if state else {}
    if form.get("decision") != "connect":
        return _redirect(
            redirect_uri, {"error": "access_denied", "error_description": "The user denied your request", **extra}
        )
    with app.store.lock:
        code = connect.authorize(app)
    return _redirect(redirect_uri, {"code": code, "scope": fields.get("scope") or "read_write", **extra})


# --- Checkout -----------------------------------------------------------------------------------


def _card_form(action_label: str, error: str | None = None) -> str:
    message = f"<p class='error'>{escape(error)}</p>" if error else ""
    return (
        f"{message}<form method='post'><label>Email<input name='email' type='email'></label>"
        "<label>Card number<input name='card_number' value='4242 4242 4242 4242'></label>"
        "<label>Expiry<input name='exp' value='12 / 34'></label><label>CVC<input name='cvc' value='123'></label>"
        f"<button class='primary' name='action' value='submit'>{escape(action_label)}</button></form>"
    )


def _card(form: dict[str, Any]) -> payment_methods.TestCard | None:
    number = str(form.get("card_number", "")).replace(" ", "")
    return payment_methods.CARDS_BY_NUMBER.get(number)


def checkout(app: App, method: str, query: dict[str, Any], form: dict[str, Any], session_id: str) -> Response:
    with app.store.lock:
        record = app.store.objects.get(session_id)
        if record is None or record.kind != "checkout.session":
            return _page("Checkout not found", "<p>No such Checkout Session.</p>", 404)
        state = record.state
        if state["status"] != "open" or app.now() > state["expires_at"]:
            return _page("This Checkout Session is no longer available", f"<p>Status: {state['status']}</p>", 410)
        if state["mode"] == "payment":
            rows = "".join(
                f"<tr><td>{escape(line['description'])} × {line['quantity']}</td>"
                f"<td class='amount'>{format_amount(line['amount'], line['currency'])}</td></tr>"
                for line in state["_lines"]
            )
            summary = f"<table>{rows}</table><p>Total: {format_amount(state['amount_total'], state['currency'])}</p>"
            label = "Pay"
        else:
            summary = "<p>Save a card for future payments.</p>"
            label = "Save card"
        cancel = f"<p><a href='{escape(state['cancel_url'])}'>Cancel</a></p>" if state.get("cancel_url") else ""
        if method == "GET":
            return _page("Checkout", summary + _card_form(label) + cancel)
        card = _card(form)
        if card is None:
            return _page("Checkout", summary + _card_form(label, "Your card number is invalid.") + cancel, 400)
        ctx = _context(app, record.account, method, f"/c/pay/{session_id}", form)
        declines = card.declines_on is not None if state["mode"] == "payment" else card.declines_on == "attach"
        if declines:
            message = payment_methods.DECLINE_MESSAGES.get(card.decline_code, "Your card was declined.")
            return _page("Checkout", summary + _card_form(label, message) + cancel, 402)
        payments.complete_session(ctx, record, card, form.get("email") or None)
        success = state.get("success_url")
        if not success:
            return _page("Done", "<p>Checkout complete.</p>")
        return _redirect(success.replace("{CHECKOUT_SESSION_ID}", session_id))


# --- hosted invoice -----------------------------------------------------------------------------


def hosted_invoice(app: App, method: str, query: dict[str, Any], form: dict[str, Any], invoice_id: str) -> Response:
    with app.store.lock:
        record = app.store.objects.get(invoice_id)
        if record is None or record.kind != "invoice" or record.state["status"] == "draft":
            return _page("Invoice not found", "", 404)
        invoice = app.render(record)
        error = None
        if method == "POST" and invoice["status"] in ("open", "uncollectible"):
            card = _card(form)
            if card is None:
                error = "Your card number is invalid."
            else:
                ctx = _context(app, record.account, method, f"/i/{invoice_id}", form)
                pm = payment_methods.new_payment_method(ctx, card)
                try:
                    billing.charge_invoice(ctx, record, pm, invoice["amount_remaining"])
                except StripeError as declined:
                    error = declined.message
                invoice = app.render(record)
        currency = invoice["currency"]
        rows = "".join(
            f"<tr><td>{escape(line['description'] or '')}</td>"
            f"<td class='amount'>{format_amount(line['amount'], currency)}</td></tr>"
            for line in invoice["lines"]["data"]
        )
        taxes = "".join(
            f"<tr><td>{escape(_tax_rate_label(app, record.account, t['tax_rate_details']['tax_rate']))}</td>"
            f"<td class='amount'>{format_amount(t['amount'], currency)}</td></tr>"
            for t in invoice["total_taxes"] or []
        )
        body = (
            f"<p>Invoice {escape(invoice['number'] or '')} — status <b>{invoice['status']}</b></p>"
            f"<table>{rows}{taxes}<tr><td><b>Total</b></td><td class='amount'><b>"
            f"{format_amount(invoice['total'], currency)}</b></td></tr>"
            f"<tr><td>Amount due</td><td class='amount'>{format_amount(invoice['amount_remaining'], currency)}"
            "</td></tr></table>"
        )
        if invoice["status"] in ("open", "uncollectible"):
            body += _card_form("Pay", error)
        return _page("Invoice", body, 402 if error else 200)


def _tax_rate_label(app: App, account: str, rate_id: str) -> str:
    """As Stripe's hosted page writes a tax line: the rate's display name and percentage, "VAT (20% inclusive)"."""
    rate = app.store.find("tax_rate", rate_id, account)
    if rate is None:
        return "Tax"
    state = rate.state
    percentage = format(Decimal(str(state["percentage"])).normalize(), "f")
    behaviour = " inclusive" if state["inclusive"] else ""
    return f"{state['display_name']} ({percentage}%{behaviour})"


def invoice_pdf(app: App, method: str, query: dict[str, Any], form: dict[str, Any], invoice_id: str) -> Response:
    with app.store.lock:
        record = app.store.objects.get(invoice_id)
        if record is None or record.kind != "invoice" or record.state["status"] == "draft":
            return _page("Invoice not found", "", 404)
        invoice = app.render(record)
    currency = invoice["currency"]
    lines = [f"Invoice {invoice['number']}", f"Status: {invoice['status']}"]
    lines += [
        f"{line['description'] or ''}: {format_amount(line['amount'], currency)}" for line in invoice["lines"]["data"]
    ]
    lines.append(f"Total: {format_amount(invoice['total'], currency)}")
    return Response(200, _tiny_pdf(lines), content_type="application/pdf")


def _tiny_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with plain text lines, enough for viewers and "is it a PDF" checks."""

    def text(value: str) -> str:
        safe = value.encode("latin-1", "replace").decode("latin-1")
        return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    stream = "BT /F1 12 Tf 50 780 Td " + " ".join(f"({text(line)}) Tj 0 -18 Td" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def routes() -> list[Route]:
    return [
        Route("GET", "/setup/s/{account}/{token}", None, onboarding, kind="page"),
        Route("POST", "/setup/s/{account}/{token}", None, onboarding, kind="page"),
        Route("GET", "/oauth/authorize", None, oauth_authorize, kind="page"),
        Route("POST", "/oauth/authorize", None, oauth_authorize, kind="page"),
        Route("GET", "/c/pay/{session}", None, checkout, kind="page"),
        Route("POST", "/c/pay/{session}", None, checkout, kind="page"),
        Route("GET", "/i/{invoice}", None, hosted_invoice, kind="page"),
        Route("POST", "/i/{invoice}", None, hosted_invoice, kind="page"),
        Route("GET", "/i/{invoice}/pdf", None, invoice_pdf, kind="page"),
    ]
