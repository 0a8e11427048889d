"""Block Kit for payments set-up: the status modal, the admin's DMs, and Stripe's requirements in plain words."""

from __future__ import annotations

from typing import Any

from bot import blocks
from bot.blocks import Block
from bot.i18n import t
from bot.models import StripeAccount
from flows.stripe_setup.ids import (
    CALLBACK_ID,
    DISCONNECT_ACTION,
    DISCONNECT_CALLBACK_ID,
    LINK_ACTION,
    OAUTH_ACTION,
    START_ACTION,
)
from flows.stripe_setup.logic import DASHBOARD_URL, PLATFORM, can_make_onboarding_link, due_list

# Stripe names what it still needs with field paths (requirements.currently_due); people get a phrase.
# The first matching prefix wins, so the specific ones come before the general ones.
_REQUIREMENTS = (
    ("business_profile.mcc", "stripe_setup.req.business_category"),
    ("business_profile.url", "stripe_setup.req.business_website"),
    ("business_profile.product_description", "stripe_setup.req.business_website"),
    ("business_profile.", "stripe_setup.req.business_profile"),
    ("business_type", "stripe_setup.req.business_type"),
    ("external_account", "stripe_setup.req.bank_account"),
    ("tos_acceptance.", "stripe_setup.req.terms"),
    ("settings.payments.statement_descriptor", "stripe_setup.req.statement_descriptor"),
    ("company.owners_provided", "stripe_setup.req.owners"),
    ("company.directors_provided", "stripe_setup.req.owners"),
    ("company.executives_provided", "stripe_setup.req.owners"),
    ("company.name", "stripe_setup.req.company_name"),
    ("company.tax_id", "stripe_setup.req.company_tax_id"),
    ("company.address", "stripe_setup.req.company_address"),
    ("company.", "stripe_setup.req.company_details"),
)
# Fields about a person (the representative, the individual, an owner…): what is asked, whoever it is.
_PERSON_PREFIXES = ("representative.", "individual.", "owners.", "directors.", "executives.", "person_")
_PERSON_FIELDS = (
    ("first_name", "stripe_setup.req.person_name"),
    ("last_name", "stripe_setup.req.person_name"),
    ("dob", "stripe_setup.req.person_dob"),
    ("address", "stripe_setup.req.person_address"),
    ("email", "stripe_setup.req.person_contact"),
    ("phone", "stripe_setup.req.person_contact"),
    ("id_number", "stripe_setup.req.person_id_number"),
    ("ssn_last_4", "stripe_setup.req.person_id_number"),
    ("verification.", "stripe_setup.req.person_document"),
    ("relationship.", "stripe_setup.req.person_role"),
)
# Slack's section limit is 3,000 characters; a long list is cut with a count of what is left.
_MAX_LISTED = 12


def requirement_key(code: str) -> str:
    if code.startswith(_PERSON_PREFIXES):
        field = code.split(".", 1)[1] if "." in code else ""
        for prefix, key in _PERSON_FIELDS:
            if field.startswith(prefix):
                return key
        return "stripe_setup.req.person_details"
    for prefix, key in _REQUIREMENTS:
        if code.startswith(prefix):
            return key
    return "stripe_setup.req.other"


def plain_requirements(locale: str, due: list[str]) -> list[str]:
    """Each thing Stripe asks for once, in the user's words, in the order Stripe listed them."""
    keys: list[str] = []
    for code in due:
        key = requirement_key(code)
        if key not in keys:
            keys.append(key)
    return [t(locale, key) for key in keys]


def bullet_list(locale: str, due: list[str]) -> str:
    items = plain_requirements(locale, due)
    lines = [f"• {item}" for item in items[:_MAX_LISTED]]
    if len(items) > _MAX_LISTED:
        lines.append(t(locale, "stripe_setup.req.more", count=len(items) - _MAX_LISTED))
    return "\n".join(lines)


def status_text(locale: str, row: StripeAccount | None, *, platform: bool) -> str:
    """Where the practice stands, in a sentence or two (shared by the modal, the pages and the DMs)."""
    if row is None:
        return t(locale, "stripe_setup.status.platform_unchecked" if platform else "stripe_setup.status.not_connected")
    due = due_list(row)
    if row.charges_enabled:
        text = t(locale, "stripe_setup.status.enabled")
        if due:
            text += "\n" + t(locale, "stripe_setup.status.enabled_but_due") + "\n" + bullet_list(locale, due)
        return text
    if not row.details_submitted:
        text = t(locale, "stripe_setup.status.started")
        return text + ("\n" + bullet_list(locale, due) if due else "")
    if due:
        return t(locale, "stripe_setup.status.needs_info") + "\n" + bullet_list(locale, due)
    return t(locale, "stripe_setup.status.in_review")


def _capabilities(locale: str, row: StripeAccount) -> str:
    charges = "stripe_setup.charges.on" if row.charges_enabled else "stripe_setup.charges.off"
    payouts = "stripe_setup.payouts.on" if row.payouts_enabled else "stripe_setup.payouts.off"
    if row.connection == PLATFORM:
        account = t(locale, "stripe_setup.account.platform")
    else:
        account = t(locale, "stripe_setup.account.connected", account_id=row.account_id or "")
    return f"{account}   ·   {t(locale, charges)}   ·   {t(locale, payouts)}"


def status_modal(
    locale: str,
    row: StripeAccount | None,
    *,
    platform: bool,
    onboarding_url: str | None = None,
    oauth_url: str | None = None,
    error: str | None = None,
    working: bool = False,
    notice: str | None = None,
) -> dict[str, Any]:
    """The set-up modal: ``onboarding_url`` once an Account Link was made, ``oauth_url`` to offer connecting
    an existing account, ``error`` (translated) when Stripe failed, ``working`` while Billbot waits on Stripe,
    ``notice`` (translated) what was just done (a disconnect).
    """
    result: list[Block] = []
    if notice:
        result.append(blocks.section(notice, block_id="notice"))
    result.append(blocks.section(status_text(locale, row, platform=platform), block_id="status"))
    if row is not None:
        result.append(blocks.context(_capabilities(locale, row)))
    if error:
        result.append(blocks.section(f":warning: {error}", block_id="error"))
    if working:
        result.append(blocks.context(t(locale, "stripe_setup.working")))
    else:
        buttons = _buttons(locale, row, onboarding_url, oauth_url)
        if buttons:
            result.append(blocks.actions(*buttons, block_id="setup_actions"))
        if onboarding_url:
            result.append(blocks.context(t(locale, "stripe_setup.link_hint")))
        if row is not None and row.connection != PLATFORM:
            # Leaving the account (to connect another): a confirmation says what happens to open invoices.
            disconnect = blocks.button(
                t(locale, "stripe_setup.disconnect.button"), DISCONNECT_ACTION, value=row.account_id or ""
            )
            result.append(blocks.actions(disconnect, block_id="disconnect_actions"))
    return blocks.modal(
        t(locale, "stripe_setup.title"), result, callback_id=CALLBACK_ID, close=t(locale, "common.close")
    )


def _buttons(
    locale: str,
    row: StripeAccount | None,
    onboarding_url: str | None,
    oauth_url: str | None,
) -> list[dict[str, Any]]:
    if onboarding_url:
        return [
            blocks.button(
                t(locale, "stripe_setup.continue_on_stripe"), LINK_ACTION, url=onboarding_url, style="primary"
            )
        ]
    if row is None:
        buttons = [blocks.button(t(locale, "stripe_setup.start"), START_ACTION, value="start", style="primary")]
        if oauth_url:
            buttons.append(blocks.button(t(locale, "stripe_setup.connect_existing"), OAUTH_ACTION, url=oauth_url))
        return buttons
    if row.charges_enabled and not due_list(row):
        return []
    if not can_make_onboarding_link(row):
        # The platform's own account and accounts connected by OAuth answer Stripe on Stripe's site.
        return [blocks.button(t(locale, "stripe_setup.open_dashboard"), LINK_ACTION, url=DASHBOARD_URL)]
    return [blocks.button(t(locale, "stripe_setup.continue"), START_ACTION, value="continue", style="primary")]


def enabled_dm(locale: str) -> tuple[str, list[Block]]:
    text = t(locale, "stripe_setup.dm.enabled")
    return text, [blocks.section(text)]


def needs_info_dm(locale: str, due: list[str], url: str, *, on_dashboard: bool) -> tuple[str, list[Block]]:
    text = t(locale, "stripe_setup.dm.needs_info") + "\n" + bullet_list(locale, due)
    label = t(locale, "stripe_setup.open_dashboard" if on_dashboard else "stripe_setup.continue_on_stripe")
    return text, [blocks.section(text), blocks.actions(blocks.button(label, LINK_ACTION, url=url, style="primary"))]


def disconnect_modal(
    locale: str, row: StripeAccount, *, open_invoices: int, revoked: bool, metadata: str
) -> dict[str, Any]:
    """The confirmation: which account, and what happens to its open invoices and to new ones."""
    account = row.account_id or ""
    lead = "stripe_setup.disconnect.lead_oauth" if revoked else "stripe_setup.disconnect.lead_created"
    invoices = "stripe_setup.disconnect.open_oauth" if revoked else "stripe_setup.disconnect.open_created"
    content: list[Block] = [
        blocks.section(t(locale, lead, account_id=account), block_id="lead"),
        blocks.section(
            "\n".join(
                [
                    "• " + t(locale, invoices, count=open_invoices),
                    "• " + t(locale, "stripe_setup.disconnect.new_invoices"),
                    "• " + t(locale, "stripe_setup.disconnect.until"),
                ]
            ),
            block_id="what_happens",
        ),
    ]
    return blocks.modal(
        t(locale, "stripe_setup.disconnect.title"),
        content,
        callback_id=DISCONNECT_CALLBACK_ID,
        close=t(locale, "stripe_setup.disconnect.cancel"),
        submit=t(locale, "stripe_setup.disconnect.confirm"),
        private_metadata=metadata,
    )


def disconnected_notice(locale: str, account_id: str, *, revoked: bool) -> str:
    key = "stripe_setup.disconnect.done_oauth" if revoked else "stripe_setup.disconnect.done_created"
    return t(locale, key, account_id=account_id)


def deauthorized_dm(locale: str, account_id: str) -> tuple[str, list[Block]]:
    """Stripe says the practice disconnected Billbot from its account (from Stripe's side)."""
    text = t(locale, "stripe_setup.disconnect.deauthorized_dm", account_id=account_id)
    return text, [blocks.section(text)]
