"""Set up payments, through the harness: signed Slack requests in, Slack calls and Stripe objects out."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bot.models import BillingSettings, StripeAccount
from bot.sandbox.slack import SlackStandIn, Workspace, check_view
from bot.sandbox.stripe import StripeEmulator
from tests.conftest import ADMIN, FRENCH_USER, MEMBER, SIGNING_SECRET, STRIPE_WEBHOOK_SECRET, TEAM_ID, Billbot, app_env
from tests.harness.running_app import RunningApp
from tests.harness.slack_requests import SlackRequests

PUBLIC_URL = "https://billbot.example.com"


# -- reading what the app did -------------------------------------------------------------------------------


def texts(view: dict[str, Any]) -> str:
    parts: list[str] = []
    for block in view["blocks"]:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        for element in block.get("elements", []):
            text = element.get("text")
            parts.append(text["text"] if isinstance(text, dict) else str(text or ""))
    return "\n".join(parts)


def buttons(view_or_blocks: dict[str, Any] | list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    blocks = view_or_blocks["blocks"] if isinstance(view_or_blocks, dict) else view_or_blocks
    found = {}
    for block in blocks:
        for element in block.get("elements", []):
            if element.get("type") == "button":
                found[element["action_id"]] = element
    return found


def top_view(billbot: Billbot, user: str = ADMIN) -> dict[str, Any]:
    return billbot.workspace.views(user)[-1]


def wait_for_view(billbot: Billbot, predicate: Any, user: str = ADMIN) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        stack = billbot.workspace.views(user)
        return stack[-1] if stack and predicate(stack[-1]) else None

    return billbot.slack.wait_for(check, timeout=30)  # the durable queue does the work; a loaded CI is slow


def row(billbot: Billbot) -> StripeAccount | None:
    with billbot.app.services.db.session() as session:
        return session.get(StripeAccount, TEAM_ID)


def connected_accounts(billbot: Billbot) -> list[dict[str, Any]]:
    """Every account the platform made or connected, as Stripe's list API shows them."""
    response = httpx.get(
        f"{billbot.stripe.url}/v1/accounts",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {billbot.stripe.api_key}"},
        timeout=10,
    )
    response.raise_for_status()
    return list(response.json()["data"])


def on_app(billbot: Billbot, url: str) -> str:
    """Stripe sends the browser to PUBLIC_URL; the app under test listens on loopback."""
    assert url.startswith(PUBLIC_URL), url
    return billbot.app.url + url[len(PUBLIC_URL) :]


# -- what a person does -------------------------------------------------------------------------------------


def open_setup(billbot: Billbot, user: str = ADMIN) -> dict[str, Any]:
    billbot.requests.command("/billing", "setup", user=user)
    return wait_for_view(billbot, lambda view: view["callback_id"] == "stripe_setup", user)


def start(billbot: Billbot, view: dict[str, Any], user: str = ADMIN) -> httpx.Response:
    return billbot.requests.click("stripe_setup_start", user=user, value="start", view=view)


def onboarding_url(billbot: Billbot, user: str = ADMIN) -> str:
    view = wait_for_view(billbot, lambda v: "stripe_setup_link" in buttons(v) or "error" in texts(v).lower(), user)
    return str(buttons(view)["stripe_setup_link"]["url"])


def fill_stripe_form(billbot: Billbot, url: str, leave_due: list[str] | None = None) -> str:
    """Post Stripe's onboarding form; the return URL Stripe sends the browser to."""
    form: dict[str, str] = {"action": "leave_due"} if leave_due else {"action": "complete"}
    for index, item in enumerate(leave_due or []):
        form[f"due[{index}]"] = item
    response = httpx.post(url, data=form, timeout=10)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def dms(billbot: Billbot, user: str = ADMIN) -> list[Any]:
    return billbot.workspace.dm(user)


# -- the whole flow -----------------------------------------------------------------------------------------


def test_new_account_onboarding_return_webhook_and_dm(billbot: Billbot) -> None:
    modal = open_setup(billbot)
    assert check_view(modal) == []
    assert modal["title"]["text"] == "Set up payments"
    assert "Not connected yet" in texts(modal)
    offered = buttons(modal)
    assert set(offered) == {"stripe_setup_start", "stripe_setup_oauth"}
    assert offered["stripe_setup_oauth"]["url"].startswith(billbot.stripe.url + "/oauth/authorize?")

    assert start(billbot, modal).status_code == 200
    link = onboarding_url(billbot)
    assert link.startswith(billbot.stripe.url + "/setup/s/")
    accounts = connected_accounts(billbot)
    assert len(accounts) == 1 and accounts[0]["type"] == "express"
    stored = row(billbot)
    assert stored is not None
    assert (stored.account_id, stored.connection, stored.started_by) == (accounts[0]["id"], "express", ADMIN)
    assert not stored.charges_enabled
    linked = top_view(billbot)
    assert check_view(linked) == []
    assert "Stripe still needs" in texts(linked)
    assert "a bank account for your payouts" in texts(linked)

    return_url = fill_stripe_form(billbot, link)
    page = httpx.get(on_app(billbot, return_url), timeout=10)
    assert page.status_code == 200
    assert "You can go back to Slack" in page.text
    assert '<html lang="en">' in page.text

    # Stripe's account.updated webhook and the return page both learn that charges are on: one DM.
    billbot.slack.wait_for(lambda: dms(billbot))
    billbot.stripe.wait_for_deliveries()
    assert [e["type"] for e in billbot.stripe.events("account.updated")] == ["account.updated"]
    assert len(dms(billbot)) == 1
    assert "Payments are on" in (dms(billbot)[0].text or "")
    stored = row(billbot)
    assert stored is not None and stored.charges_enabled and stored.payouts_enabled and stored.details_submitted
    # The modal left open in Slack shows the new status.
    assert "Connected" in texts(wait_for_view(billbot, lambda v: "Connected" in texts(v)))

    # The checklist counts the step as done.
    billbot.requests.command("/billing", user=ADMIN)
    hub = wait_for_view(billbot, lambda v: v["callback_id"] == "billing_hub")
    assert "1 of 4 steps done" in texts(hub)


def test_second_account_updated_with_the_same_state_sends_no_second_dm(billbot: Billbot) -> None:
    start(billbot, open_setup(billbot))
    onboarding_url(billbot)
    account_id = connected_accounts(billbot)[0]["id"]
    billbot.stripe.complete_onboarding(account_id)
    billbot.slack.wait_for(lambda: dms(billbot))
    # Another change to the account (its metadata): still enabled, nothing new to tell.
    httpx.post(
        f"{billbot.stripe.url}/v1/accounts/{account_id}",
        data={"metadata[note]": "hello"},
        headers={"Authorization": f"Bearer {billbot.stripe.api_key}"},
        timeout=10,
    ).raise_for_status()
    billbot.stripe.wait_for_deliveries()
    assert len(billbot.stripe.events("account.updated")) == 2
    assert len(dms(billbot)) == 1


def test_stripe_needing_more_information_is_told_with_a_fresh_link(billbot: Billbot) -> None:
    start(billbot, open_setup(billbot))
    link = onboarding_url(billbot)
    fill_stripe_form(billbot, link, leave_due=["external_account"])
    message = billbot.slack.wait_for(lambda: dms(billbot))[0]
    assert "Stripe needs more information" in (message.text or "")
    assert "a bank account for your payouts" in (message.text or "")
    fresh = buttons(message.blocks or [])["stripe_setup_link"]["url"]
    assert fresh.startswith(billbot.stripe.url + "/setup/s/") and fresh != link
    # The fresh link works: Stripe shows its form.
    assert httpx.get(fresh, timeout=10).status_code == 200
    billbot.stripe.wait_for_deliveries()
    assert len(dms(billbot)) == 1
    stored = row(billbot)
    assert stored is not None and not stored.charges_enabled and stored.details_submitted

    # Reopening the modal shows what is missing, and offers to continue with the same account.
    billbot.workspace.close_views(ADMIN)
    modal = open_setup(billbot)
    assert "Stripe needs more information" in texts(modal)
    assert "a bank account for your payouts" in texts(modal)
    start(billbot, modal)
    onboarding_url(billbot)
    assert len(connected_accounts(billbot)) == 1


def test_an_expired_onboarding_link_comes_back_through_refresh_for_a_new_one(billbot: Billbot) -> None:
    start(billbot, open_setup(billbot))
    link = onboarding_url(billbot)
    fill_stripe_form(billbot, link, leave_due=["external_account"])
    # A used link: Stripe sends the browser to our refresh_url.
    again = httpx.get(link, timeout=10)
    assert again.status_code == 303
    refresh = httpx.get(on_app(billbot, again.headers["location"]), timeout=10)
    assert refresh.status_code == 200
    fresh = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', refresh.text)
    assert fresh is not None
    fresh_url = fresh.group(1).replace("&amp;", "&")
    assert fresh_url.startswith(billbot.stripe.url + "/setup/s/") and fresh_url != link
    assert httpx.get(fresh_url, timeout=10).status_code == 200
    assert len(connected_accounts(billbot)) == 1


def test_forged_return_and_refresh_links_change_nothing(billbot: Billbot) -> None:
    start(billbot, open_setup(billbot))
    link = onboarding_url(billbot)
    return_url = fill_stripe_form(billbot, link, leave_due=["external_account"])
    token = parse_qs(urlsplit(return_url).query)["t"][0]
    body, mac = token.split(".")
    for forged in (f"{body}.{mac[:-2]}AA", "garbage", ""):
        for path in ("/stripe/return", "/stripe/refresh"):
            page = httpx.get(f"{billbot.app.url}{path}", params={"t": forged}, timeout=10)
            assert page.status_code == 400
            assert "This link isn't valid" in html.unescape(page.text)


# -- who may set up payments --------------------------------------------------------------------------------


def test_a_member_who_is_not_an_admin_is_told_and_nothing_happens(billbot: Billbot) -> None:
    billbot.requests.command("/billing", "setup", user=MEMBER)
    message = billbot.slack.wait_for(lambda: billbot.workspace.ephemeral("C_GENERAL", MEMBER))[-1]
    assert "Only workspace admins and owners" in (message.text or "")
    assert billbot.slack.calls("views.open") == []

    # A click on "Set up payments" the member could only have forged does no more.
    assert billbot.requests.click("stripe_setup_start", user=MEMBER, value="start").status_code == 200
    notice = wait_for_view(billbot, lambda v: v["callback_id"] == "notice", MEMBER)
    assert "Only workspace admins and owners" in texts(notice)
    assert connected_accounts(billbot) == []
    assert row(billbot) is None


def test_members_of_the_billing_admin_group_may_set_up_payments_in_french(billbot: Billbot) -> None:
    billbot.workspace.add_usergroup("S0BILLING", "facturation", users=[FRENCH_USER])
    with billbot.app.services.db.session() as session:
        session.add(BillingSettings(team_id=TEAM_ID, currency="eur", billing_admin_group="S0BILLING"))
    modal = open_setup(billbot, FRENCH_USER)
    assert modal["title"]["text"] == "Configurer les paiements"
    assert "Pas encore connecté" in texts(modal)
    assert buttons(modal)["stripe_setup_oauth"]["text"]["text"] == "Connecter mon compte Stripe existant"
    start(billbot, modal, FRENCH_USER)
    link = onboarding_url(billbot, FRENCH_USER)
    assert "un compte bancaire pour vos virements" in texts(top_view(billbot, FRENCH_USER))
    page = httpx.get(on_app(billbot, fill_stripe_form(billbot, link)), timeout=10)
    assert '<html lang="fr">' in page.text
    assert "Vous pouvez revenir dans Slack" in page.text
    message = billbot.slack.wait_for(lambda: dms(billbot, FRENCH_USER))[0]
    assert "Les paiements sont activés" in (message.text or "")


# -- Stripe failing, double clicks --------------------------------------------------------------------------


def test_stripe_failing_to_create_the_account_shows_an_error_and_saves_nothing(billbot: Billbot) -> None:
    modal = open_setup(billbot)
    # Three failures: the first answer and both of the gateway's own retries.
    billbot.stripe.fail_next("POST", "/v1/accounts", status=500, count=3)
    start(billbot, modal)
    failed = wait_for_view(billbot, lambda v: ":warning:" in texts(v))
    assert "Stripe didn't set up your account, and nothing was saved." in texts(failed)
    assert "stripe_setup_start" in buttons(failed)  # the user can try again
    assert row(billbot) is None
    assert connected_accounts(billbot) == []

    start(billbot, failed)
    onboarding_url(billbot)
    assert len(connected_accounts(billbot)) == 1


def test_stripe_failing_to_make_the_link_keeps_the_one_account_for_the_retry(billbot: Billbot) -> None:
    modal = open_setup(billbot)
    billbot.stripe.fail_next("POST", "/v1/account_links", status=500, count=3)
    start(billbot, modal)
    failed = wait_for_view(billbot, lambda v: ":warning:" in texts(v))
    assert "didn't give us the set-up link" in texts(failed)
    accounts = connected_accounts(billbot)
    assert len(accounts) == 1
    stored = row(billbot)
    assert stored is not None and stored.account_id == accounts[0]["id"]

    start(billbot, failed)
    onboarding_url(billbot)
    assert [a["id"] for a in connected_accounts(billbot)] == [accounts[0]["id"]]


def test_double_click_on_set_up_payments_creates_one_account(billbot: Billbot) -> None:
    modal = open_setup(billbot)
    results: list[int] = []
    clicks = [threading.Thread(target=lambda: results.append(start(billbot, modal).status_code)) for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    assert results == [200, 200]
    onboarding_url(billbot)
    billbot.slack.wait_for(lambda: len([c for c in billbot.slack.calls("views.update") if c.ok]) >= 4, timeout=10)
    assert len(connected_accounts(billbot)) == 1
    stored = row(billbot)
    assert stored is not None and stored.account_id == connected_accounts(billbot)[0]["id"]


# -- webhooks -----------------------------------------------------------------------------------------------


def test_account_updated_for_an_account_no_workspace_owns_is_ignored(
    billbot: Billbot, caplog: pytest.LogCaptureFixture
) -> None:
    created = httpx.post(
        f"{billbot.stripe.url}/v1/accounts",
        data={"type": "express"},
        headers={"Authorization": f"Bearer {billbot.stripe.api_key}"},
        timeout=10,
    ).json()
    with caplog.at_level("INFO", logger="flows.stripe_setup"):
        billbot.stripe.complete_onboarding(created["id"])
        billbot.stripe.wait_for_deliveries()
    assert [a.status for a in billbot.stripe.delivery_attempts] == [200]
    assert row(billbot) is None
    assert billbot.slack.calls("chat.postMessage") == []
    logged = [record.getMessage() for record in caplog.records]
    assert any("no workspace uses: ignored" in line and created["id"] in line for line in logged)


# -- an existing account, by Connect OAuth ------------------------------------------------------------------


def authorize(billbot: Billbot, oauth_url: str, decision: str = "connect") -> str:
    """Click through Stripe's consent page; the callback URL Stripe sends the browser back to."""
    assert httpx.get(oauth_url, timeout=10).status_code == 200
    fields = {key: values[0] for key, values in parse_qs(urlsplit(oauth_url).query).items()}
    response = httpx.post(f"{billbot.stripe.url}/oauth/authorize", data={**fields, "decision": decision}, timeout=10)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def oauth_url_for(billbot: Billbot, state: str) -> str:
    services = billbot.app.services
    return services.stripe.oauth_authorize_url(state=state, redirect_uri=f"{PUBLIC_URL}/stripe/oauth/callback")


def links(billbot: Billbot) -> Any:
    from flows.stripe_setup.links import Links

    return Links(billbot.app.settings)


def test_existing_account_connects_by_oauth(billbot: Billbot) -> None:
    modal = open_setup(billbot)
    callback = authorize(billbot, buttons(modal)["stripe_setup_oauth"]["url"])
    assert callback.startswith(f"{PUBLIC_URL}/stripe/oauth/callback?")
    page = httpx.get(on_app(billbot, callback), timeout=10)
    assert page.status_code == 200
    assert "Your Stripe account is connected" in page.text
    accounts = connected_accounts(billbot)
    assert len(accounts) == 1 and accounts[0]["type"] == "standard"  # the practice's own, not one Billbot made
    stored = row(billbot)
    assert stored is not None
    assert (stored.account_id, stored.connection, stored.started_by) == (accounts[0]["id"], "oauth", ADMIN)
    assert stored.charges_enabled
    message = billbot.slack.wait_for(lambda: dms(billbot))[0]
    assert "Payments are on" in (message.text or "")

    billbot.workspace.close_views(ADMIN)
    reopened = open_setup(billbot)
    assert "Connected" in texts(reopened)
    assert f"Stripe account `{accounts[0]['id']}`" in texts(reopened)
    assert set(buttons(reopened)) == {"stripe_setup_disconnect"}  # nothing left to do but leave


def test_forged_oauth_state_is_refused_and_changes_nothing(billbot: Billbot) -> None:
    callback = authorize(billbot, buttons(open_setup(billbot))["stripe_setup_oauth"]["url"])
    query = {key: values[0] for key, values in parse_qs(urlsplit(callback).query).items()}
    body, mac = query["state"].split(".")
    forged_states = [
        f"{body}.{'A' * len(mac)}",  # a made-up signature
        links(billbot).oauth_state("T0SOMEONE", ADMIN, "en").split(".")[0] + "." + mac,  # another workspace's body
        "",
    ]
    for forged in forged_states:
        page = httpx.get(f"{billbot.app.url}/stripe/oauth/callback", params={**query, "state": forged}, timeout=10)
        assert page.status_code == 400
        assert "This link isn't valid" in html.unescape(page.text)
    assert row(billbot) is None
    # Stripe was not asked anything: the code is still good for the genuine state.
    assert httpx.get(on_app(billbot, callback), timeout=10).status_code == 200
    assert row(billbot) is not None


def test_replayed_oauth_state_is_refused(billbot: Billbot) -> None:
    callback = authorize(billbot, buttons(open_setup(billbot))["stripe_setup_oauth"]["url"])
    assert httpx.get(on_app(billbot, callback), timeout=10).status_code == 200
    first = row(billbot)
    replay = httpx.get(on_app(billbot, callback), timeout=10)
    assert replay.status_code == 400
    assert "This link has already been used" in replay.text
    assert row(billbot) == first
    billbot.slack.wait_for(lambda: dms(billbot))
    assert len(dms(billbot)) == 1


def test_expired_oauth_state_is_refused(billbot: Billbot) -> None:
    import time

    stale = links(billbot).oauth_state(TEAM_ID, ADMIN, "en", now=time.time() - 11 * 60)
    callback = authorize(billbot, oauth_url_for(billbot, stale))
    page = httpx.get(on_app(billbot, callback), timeout=10)
    assert page.status_code == 400
    assert "This link has expired" in page.text
    assert row(billbot) is None


def test_denied_oauth_gets_a_clear_page_in_the_users_language(billbot: Billbot) -> None:
    state = links(billbot).oauth_state(TEAM_ID, ADMIN, "fr")
    callback = authorize(billbot, oauth_url_for(billbot, state), decision="deny")
    assert "error=access_denied" in callback
    page = httpx.get(on_app(billbot, callback), timeout=10)
    assert page.status_code == 200
    assert "Compte Stripe non connecté" in page.text
    assert row(billbot) is None
    assert connected_accounts(billbot) == []


# -- other account types, and no Connect at all -------------------------------------------------------------


@pytest.fixture
def configured(
    request: pytest.FixtureRequest,
    slack: SlackStandIn,
    workspace: Workspace,
    database_url: str,
    stripe_emulator: StripeEmulator,
) -> Iterator[Billbot]:
    """The app with STRIPE_CONNECT_ACCOUNT_TYPE set to the test's parameter."""
    env = app_env(
        slack, database_url, stripe_emulator, PUBLIC_URL=PUBLIC_URL, STRIPE_CONNECT_ACCOUNT_TYPE=request.param
    )
    app = RunningApp(env).start()
    stripe_emulator.add_webhook_endpoint(f"{app.url}/stripe/webhook", STRIPE_WEBHOOK_SECRET)
    requests = SlackRequests(app.url, SIGNING_SECRET, slack, TEAM_ID)
    yield Billbot(app=app, slack=slack, workspace=workspace, requests=requests, stripe=stripe_emulator)
    requests.close()
    app.stop()


@pytest.mark.parametrize("configured", ["standard"], indirect=True)
def test_the_account_type_follows_the_setting(configured: Billbot) -> None:
    start(configured, open_setup(configured))
    onboarding_url(configured)
    assert [a["type"] for a in connected_accounts(configured)] == ["standard"]
    stored = row(configured)
    assert stored is not None and stored.connection == "standard"


@pytest.mark.parametrize("configured", ["none"], indirect=True)
def test_platform_mode_acts_on_the_platform_account_itself(configured: Billbot) -> None:
    billbot = configured
    modal = open_setup(billbot)
    assert "Not checked yet" in texts(modal)
    assert set(buttons(modal)) == {"stripe_setup_start"}  # no OAuth: there is nothing to connect to
    start(billbot, modal)
    done = wait_for_view(billbot, lambda v: "Connected" in texts(v))
    assert check_view(done) == []
    assert "This server's Stripe account" in texts(done)
    assert connected_accounts(billbot) == []  # no account made
    stored = row(billbot)
    assert stored is not None
    assert (stored.account_id, stored.connection, stored.charges_enabled) == (None, "platform", True)
    assert "Payments are on" in (billbot.slack.wait_for(lambda: dms(billbot))[0].text or "")

    # The platform account's own account.updated (no "account" on the event) reaches the same row.
    billbot.stripe.complete_onboarding(billbot.stripe.platform_account_id, leave_due=["external_account"])
    billbot.slack.wait_for(lambda: len(dms(billbot)) == 2)
    message = dms(billbot)[-1]
    assert "Stripe needs more information" in (message.text or "")
    assert buttons(message.blocks or [])["stripe_setup_link"]["url"] == "https://dashboard.stripe.com/"
    stored = row(billbot)
    assert stored is not None and not stored.charges_enabled

    callback = httpx.get(f"{billbot.app.url}/stripe/oauth/callback", params={"code": "ac_x", "state": "x"}, timeout=10)
    assert callback.status_code == 404


# -- the checklist button, and the pure parts ---------------------------------------------------------------


def test_checklist_button_in_the_hub_pushes_the_set_up_modal(billbot: Billbot) -> None:
    billbot.requests.command("/billing", user=ADMIN)
    hub = wait_for_view(billbot, lambda v: v["callback_id"] == "billing_hub")
    billbot.requests.click("checklist_open", user=ADMIN, value="stripe_setup", view=hub)
    pushed = wait_for_view(billbot, lambda v: v["callback_id"] == "stripe_setup")
    assert len(billbot.workspace.views(ADMIN)) == 2
    start(billbot, pushed)
    assert onboarding_url(billbot).startswith(billbot.stripe.url)
    assert [v["callback_id"] for v in billbot.workspace.views(ADMIN)] == ["billing_hub", "stripe_setup"]


def test_requirements_read_as_plain_words_once_each() -> None:
    from flows.stripe_setup.views import plain_requirements

    due = [
        "representative.first_name",
        "representative.last_name",
        "external_account",
        "individual.verification.document",
        "something.new_from_stripe",
    ]
    assert plain_requirements("en", due) == [
        "the name of the person responsible for the account",
        "a bank account for your payouts",
        "a photo of their identity document",
        "other details Stripe asks for",
    ]
    assert plain_requirements("fr", ["external_account"]) == ["un compte bancaire pour vos virements"]


def test_a_token_signed_for_one_purpose_is_refused_for_another() -> None:
    from flows.stripe_setup import signed

    key = signed.derive_key("sk_test_x")
    token = signed.sign(key, signed.ONBOARDING, {"t": TEAM_ID}, ttl_seconds=60)
    assert signed.verify(key, signed.ONBOARDING, token)["t"] == TEAM_ID
    for purpose, used_key in ((signed.OAUTH_STATE, key), (signed.ONBOARDING, signed.derive_key("sk_test_y"))):
        with pytest.raises(signed.TokenError) as refused:
            signed.verify(used_key, purpose, token)
        assert refused.value.reason == "invalid"


def test_oauth_replaces_an_unfinished_account_but_not_one_that_takes_payments(billbot: Billbot) -> None:
    start(billbot, open_setup(billbot))
    onboarding_url(billbot)
    express = row(billbot)
    assert express is not None and express.connection == "express"

    callback = authorize(billbot, oauth_url_for(billbot, links(billbot).oauth_state(TEAM_ID, ADMIN, "en")))
    assert httpx.get(on_app(billbot, callback), timeout=10).status_code == 200
    connected = row(billbot)
    assert connected is not None and connected.connection == "oauth" and connected.account_id != express.account_id
    assert connected.charges_enabled

    callback = authorize(billbot, oauth_url_for(billbot, links(billbot).oauth_state(TEAM_ID, ADMIN, "en")))
    refused = httpx.get(on_app(billbot, callback), timeout=10)
    assert refused.status_code == 409
    assert "Payments are already set up" in refused.text
    assert row(billbot) == connected


def test_oauth_for_an_account_another_workspace_uses_changes_nothing(billbot: Billbot) -> None:
    callback = authorize(billbot, buttons(open_setup(billbot))["stripe_setup_oauth"]["url"])
    code = parse_qs(urlsplit(callback).query)["code"][0]
    account_id = billbot.stripe.app.store.bucket("oauth_codes")[code]["account"]
    with billbot.app.services.db.session() as session:
        session.add(StripeAccount(team_id="T0OTHER", account_id=account_id, connection="oauth"))
    refused = httpx.get(on_app(billbot, callback), timeout=10)
    assert refused.status_code == 409
    assert "This Stripe account is already in use" in refused.text
    assert row(billbot) is None
