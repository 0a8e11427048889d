"""Disconnect Stripe (and connect another), through the harness: the set-up modal's button, its confirmation, what
happens to open invoices, and Stripe's own account.application.deauthorized."""

from __future__ import annotations

from typing import Any

import httpx
import stripe

from bot.models import BillingSettings, Client, Invoice, StripeAccount
from bot.sandbox.slack import check_view
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, TEAM_ID, Billbot
from tests.flows.invoices.test_payments import (
    ephemerals,
    make_client,
    make_invoice,
    send_link,
    settle,
    wait,
)
from tests.flows.stripe_setup.test_stripe_setup import (
    authorize,
    buttons,
    connected_accounts,
    dms,
    on_app,
    open_setup,
    row,
    start,
    texts,
    wait_for_view,
)

DISCONNECT = "stripe_setup_disconnect"


def connect(bb: Billbot, key: str = "test-account") -> str:
    """An express account Billbot made, onboarded, as the workspace's (started by ADMIN)."""
    account = bb.app.services.stripe.create_account("express", idempotency_key=key, metadata={})
    bb.stripe.complete_onboarding(account["id"])
    with bb.app.services.db.session() as session:
        session.add(
            StripeAccount(
                team_id=TEAM_ID,
                account_id=account["id"],
                connection="express",
                charges_enabled=True,
                payouts_enabled=True,
                details_submitted=True,
                started_by=ADMIN,
            )
        )
    return str(account["id"])


def ask_to_disconnect(bb: Billbot, user: str = ADMIN) -> dict[str, Any]:
    """Open /billing setup, press Disconnect Stripe: the confirmation pushed over it."""
    modal = open_setup(bb, user)
    button = buttons(modal)[DISCONNECT]
    assert bb.requests.click(DISCONNECT, user=user, value=button["value"], view=modal).status_code == 200
    return wait_for_view(bb, lambda v: v["callback_id"] == "stripe_setup_disconnect" and v.get("submit"), user)


def confirm(bb: Billbot, confirmation: dict[str, Any], user: str = ADMIN) -> None:
    response = bb.requests.submit(confirmation, {}, user=user)
    assert response.status_code == 200 and not response.content  # Slack closes the confirmation
    bb.workspace.pop_view(user)


def invoice_row(bb: Billbot, invoice_id: int) -> Invoice:
    with bb.app.services.db.session() as session:
        found = session.get(Invoice, invoice_id)
    assert found is not None
    return found


def client_row(bb: Billbot, client_id: int) -> Client:
    with bb.app.services.db.session() as session:
        found = session.get(Client, client_id)
    assert found is not None
    return found


def test_disconnect_an_account_billbot_made_then_set_up_another(billbot: Billbot) -> None:
    old_account = connect(billbot)
    client_id = make_client(billbot)
    old_invoice = make_invoice(billbot, client_id)
    with billbot.app.services.db.session() as session:  # a card saved on the old account
        client = session.get(Client, client_id)
        assert client is not None
        client.default_payment_method = "pm_card_visa"
        session.add(client)

    confirmation = ask_to_disconnect(billbot)
    assert check_view(confirmation) == []
    said = texts(confirmation)
    assert f"`{old_account}`" in said and "not closed" in said
    assert "Open invoices on this account (1) stay there and keep their payment links" in said
    assert "each client gets a new Stripe customer there" in said
    confirm(billbot, confirmation)

    updated = wait_for_view(billbot, lambda v: "Disconnected" in texts(v))
    assert check_view(updated) == []
    assert set(buttons(updated)) == {"stripe_setup_start", "stripe_setup_oauth"}
    assert row(billbot) is None
    assert not billbot.stripe.events("account.application.deauthorized")  # Billbot's own account: only let go

    # The open invoice stays on the old account and its actions still reach it there.
    send_link(billbot, old_invoice)
    told = wait(billbot, lambda: ephemerals(billbot, MEMBER))
    assert "Stripe emailed invoice" in told[0]
    assert invoice_row(billbot, old_invoice.id or 0).stripe_account_id == old_account

    # Setting up again makes a new account (not Stripe's answer to the old idempotency key).
    billbot.workspace.close_views(ADMIN)
    assert start(billbot, open_setup(billbot)).status_code == 200
    wait(billbot, lambda: row(billbot) is not None)
    new_row = row(billbot)
    assert new_row is not None and new_row.account_id not in (None, old_account)
    assert len(connected_accounts(billbot)) == 2
    billbot.stripe.complete_onboarding(new_row.account_id or "")
    settle(billbot)

    # New invoices go to the new account, with a new Stripe customer there; the old card is not offered.
    new_invoice = make_invoice(billbot, client_id)
    assert new_invoice.stripe_account_id == new_row.account_id
    client = client_row(billbot, client_id)
    assert client.stripe_account_id == new_row.account_id and client.default_payment_method is None
    assert invoice_row(billbot, old_invoice.id or 0).stripe_account_id == old_account


def test_disconnect_an_oauth_account_deauthorizes_it_once_under_a_double_submit(billbot: Billbot) -> None:
    modal = open_setup(billbot)
    page = httpx.get(on_app(billbot, authorize(billbot, buttons(modal)["stripe_setup_oauth"]["url"])), timeout=10)
    assert page.status_code == 200
    connected = row(billbot)
    assert connected is not None and connected.connection == "oauth"
    account = connected.account_id or ""
    billbot.slack.wait_for(lambda: dms(billbot))  # "Payments are on"
    before_dms = len(dms(billbot))
    billbot.workspace.close_views(ADMIN)

    confirmation = ask_to_disconnect(billbot)
    said = texts(confirmation)
    assert "Stripe takes back Billbot's access" in said and "follow them in your Stripe Dashboard" in said
    # Two submissions of the same confirmation (a double click, Slack's retry).
    assert billbot.requests.submit(confirmation, {}, user=ADMIN).status_code == 200
    assert billbot.requests.submit(confirmation, {}, user=ADMIN).status_code == 200
    billbot.workspace.pop_view(ADMIN)
    wait_for_view(billbot, lambda v: "Disconnected" in texts(v))
    settle(billbot)

    assert row(billbot) is None
    assert len(billbot.stripe.events("account.application.deauthorized", account=account)) == 1
    assert len(dms(billbot)) == before_dms  # our own disconnect: Stripe's event is not told as news
    api = stripe.StripeClient(billbot.stripe.api_key, base_addresses={"api": billbot.stripe.url})
    try:
        api.v1.accounts.retrieve(account)
        raise AssertionError("the platform still reaches the account")
    except stripe.StripeError:
        pass

    # The same account can be connected again afterwards.
    billbot.workspace.close_views(ADMIN)
    again = open_setup(billbot)
    assert "stripe_setup_oauth" in buttons(again)


def test_stripe_failing_to_deauthorize_keeps_the_account_and_the_retry_works(billbot: Billbot) -> None:
    modal = open_setup(billbot)
    httpx.get(on_app(billbot, authorize(billbot, buttons(modal)["stripe_setup_oauth"]["url"])), timeout=10)
    billbot.workspace.close_views(ADMIN)
    confirmation = ask_to_disconnect(billbot)
    billbot.stripe.fail_next("POST", "/oauth/deauthorize", status=500, count=3)  # past the retries
    confirm(billbot, confirmation)
    failed = wait_for_view(billbot, lambda v: "didn't disconnect" in texts(v))
    assert "stripe_setup_disconnect" in buttons(failed)
    assert row(billbot) is not None
    assert not billbot.stripe.events("account.application.deauthorized")

    retry = billbot.requests.click(DISCONNECT, user=ADMIN, value=buttons(failed)[DISCONNECT]["value"], view=failed)
    assert retry.status_code == 200
    second = wait_for_view(billbot, lambda v: v["callback_id"] == "stripe_setup_disconnect" and v.get("submit"))
    confirm(billbot, second)
    wait_for_view(billbot, lambda v: "Disconnected" in texts(v))
    assert row(billbot) is None


def test_stripe_side_deauthorization_removes_the_account_and_tells_once(billbot: Billbot) -> None:
    modal = open_setup(billbot)
    httpx.get(on_app(billbot, authorize(billbot, buttons(modal)["stripe_setup_oauth"]["url"])), timeout=10)
    connected = row(billbot)
    assert connected is not None
    billbot.slack.wait_for(lambda: dms(billbot))
    before = len(dms(billbot))

    api = stripe.StripeClient(
        billbot.stripe.api_key,
        base_addresses={"api": billbot.stripe.url, "connect": billbot.stripe.url},
        client_id=billbot.stripe.connect_client_id,
    )
    api.oauth.deauthorize({"stripe_user_id": connected.account_id or ""})  # the practice, from Stripe's side
    told = billbot.slack.wait_for(lambda: len(dms(billbot)) > before and dms(billbot))
    assert "was disconnected from Billbot" in (told[-1].text or "")
    settle(billbot)
    assert row(billbot) is None
    assert len(dms(billbot)) == before + 1


def test_french_confirmation_and_a_member_who_is_not_an_admin_is_refused(billbot: Billbot) -> None:
    account = connect(billbot)
    billbot.workspace.add_usergroup("S0BILLING", "facturation", users=[FRENCH_USER])
    with billbot.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur", billing_admin_group="S0BILLING"))
    confirmation = ask_to_disconnect(billbot, FRENCH_USER)
    assert check_view(confirmation) == []
    assert confirmation["title"]["text"] == "Déconnecter Stripe ?"
    assert confirmation["submit"]["text"] == "Déconnecter"
    assert "Les factures ouvertes sur ce compte (0) y restent" in texts(confirmation)
    confirm(billbot, confirmation, FRENCH_USER)
    assert "Déconnecté" in texts(wait_for_view(billbot, lambda v: "Déconnecté" in texts(v), FRENCH_USER))
    assert row(billbot) is None

    # A member who is not a billing admin: a (forged) click is refused, a forged submission changes nothing.
    account = connect(billbot, key="test-account-2")
    assert billbot.requests.click(DISCONNECT, user=MEMBER, value=account).status_code == 200
    notice = wait_for_view(billbot, lambda v: v["callback_id"] == "notice", MEMBER)
    assert "Only workspace admins and owners" in texts(notice)
    forged = dict(confirmation, id="V_FORGED", private_metadata=f'{{"account": "{account}", "parent": null}}')
    assert billbot.requests.submit(forged, {}, user=MEMBER).status_code == 200
    settle(billbot)
    kept = row(billbot)
    assert kept is not None and kept.account_id == account
