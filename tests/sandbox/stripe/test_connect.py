"""Connect: accounts, branding, onboarding pages, OAuth."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import stripe

from bot.sandbox.stripe import StripeEmulator


def onboarding_link(client: stripe.StripeClient, account_id: str) -> str:
    return client.v1.account_links.create(
        params={
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": "https://billbot.test/refresh",
            "return_url": "https://billbot.test/return",
        }
    ).url


def test_platform_and_connected_accounts(emu: StripeEmulator, client: stripe.StripeClient) -> None:
    platform = client.v1.accounts.retrieve_current()
    assert platform.id == emu.platform_account_id and platform.charges_enabled
    account = client.v1.accounts.create(params={"type": "standard", "country": "DE", "email": "dr@example.com"})
    assert (account.country, account.default_currency, account.charges_enabled) == ("DE", "eur", False)
    assert account.requirements and account.requirements.currently_due
    assert client.v1.accounts.retrieve_current(options={"stripe_account": account.id}).id == account.id
    assert [a.id for a in client.v1.accounts.list().data] == [account.id]


def test_branding_with_uploaded_logo(
    emu: StripeEmulator, client: stripe.StripeClient, http: httpx.Client, auth: dict[str, str]
) -> None:
    account = client.v1.accounts.create(params={"type": "standard"})
    logo = io.BytesIO(b"\x89PNG\r\n\x1a\n fake logo")
    logo.name = "logo.png"
    upload = client.v1.files.create(
        params={"file": logo, "purpose": "business_logo"}, options={"stripe_account": account.id}
    )
    assert (upload.purpose, upload.type, upload.size) == ("business_logo", "png", len(b"\x89PNG\r\n\x1a\n fake logo"))
    contents = http.get(f"/v1/files/{upload.id}/contents", headers={**auth, "Stripe-Account": account.id})
    assert contents.content == b"\x89PNG\r\n\x1a\n fake logo"
    updated = client.v1.accounts.update(
        account.id,
        params={
            "settings": {"branding": {"logo": upload.id, "primary_color": "#112233", "secondary_color": "#aabbcc"}}
        },
    )
    branding = updated.settings.branding  # type: ignore[union-attr]
    assert (branding.logo, branding.primary_color, branding.secondary_color) == (upload.id, "#112233", "#aabbcc")
    event = emu.events("account.updated", account=account.id)[-1]
    assert event["account"] == account.id
    assert event["data"]["previous_attributes"]["settings"]["branding"]["logo"] is None
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.accounts.update(account.id, params={"settings": {"branding": {"primary_color": "blue"}}})
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.accounts.update(account.id, params={"settings": {"branding": {"icon": "file_missing"}}})


def test_onboarding_page_completes(emu: StripeEmulator, client: stripe.StripeClient, http: httpx.Client) -> None:
    account = client.v1.accounts.create(params={"type": "standard"})
    url = onboarding_link(client, account.id)
    page = http.get(url)
    assert page.status_code == 200 and "Complete onboarding" in page.text
    done = http.post(url, data={"action": "complete"})
    assert done.status_code == 303 and done.headers["location"] == "https://billbot.test/return"
    account = client.v1.accounts.retrieve(account.id)
    assert account.charges_enabled and account.payouts_enabled and account.details_submitted
    assert account.requirements.currently_due == []  # type: ignore[union-attr]
    # An account link works once: coming back sends the person to refresh_url.
    again = http.get(url)
    assert again.status_code == 303 and again.headers["location"] == "https://billbot.test/refresh"
    assert emu.events("account.updated", account=account.id)


def test_onboarding_page_can_leave_details_due(client: stripe.StripeClient, http: httpx.Client) -> None:
    account = client.v1.accounts.create(params={"type": "standard"})
    url = onboarding_link(client, account.id)
    http.post(url, data={"action": "leave_due", "due[]": "external_account"})
    account = client.v1.accounts.retrieve(account.id)
    assert account.details_submitted and not account.charges_enabled
    assert account.requirements.currently_due == ["external_account"]  # type: ignore[union-attr]


def test_expired_link_redirects_to_refresh_url(
    emu: StripeEmulator, client: stripe.StripeClient, http: httpx.Client
) -> None:
    account = client.v1.accounts.create(params={"type": "standard"})
    emu.account_link_ttl = 0
    url = onboarding_link(client, account.id)
    response = http.get(url)
    assert response.status_code == 303 and response.headers["location"] == "https://billbot.test/refresh"


def test_complete_onboarding_helper(emu: StripeEmulator, client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(params={"type": "standard"})
    emu.complete_onboarding(account.id, leave_due=["individual.verification.document"])
    assert not client.v1.accounts.retrieve(account.id).charges_enabled
    emu.complete_onboarding(account.id)
    assert client.v1.accounts.retrieve(account.id).charges_enabled


def test_oauth_connect_token_and_deauthorize(emu: StripeEmulator, http: httpx.Client) -> None:
    client = stripe.StripeClient(
        "sk_test_emulator",
        base_addresses={"api": emu.url, "connect": emu.url, "files": emu.url},
        max_network_retries=0,
        client_id="ca_emulator",
    )
    authorize_url = client.oauth.authorize_url(
        params={"scope": "read_write", "state": "opaque-123", "redirect_uri": "https://billbot.test/oauth"}
    )
    assert authorize_url.startswith(emu.url + "/oauth/authorize?")
    page = http.get(authorize_url)
    assert page.status_code == 200 and "Connect" in page.text
    query = dict(parse_qs(urlsplit(authorize_url).query))
    form = {k: v[0] for k, v in query.items()}
    redirect = http.post("/oauth/authorize", data={**form, "decision": "connect"})
    assert redirect.status_code == 303
    back = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert back["state"] == ["opaque-123"]
    code = back["code"][0]
    token = client.oauth.token(params={"grant_type": "authorization_code", "code": code})
    account_id = token["stripe_user_id"]
    assert account_id.startswith("acct_") and token["token_type"] == "bearer"
    assert client.v1.accounts.retrieve(account_id).type == "standard"
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        client.oauth.token(params={"grant_type": "authorization_code", "code": code})
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        client.oauth.token(params={"grant_type": "authorization_code", "code": "ac_unknown"})
    assert client.oauth.deauthorize(params={"stripe_user_id": account_id})["stripe_user_id"] == account_id
    with pytest.raises(stripe.PermissionError):
        client.v1.customers.list(options={"stripe_account": account_id})
    assert emu.events("account.application.deauthorized", account=account_id)


def test_oauth_deny(emu: StripeEmulator, http: httpx.Client) -> None:
    redirect = http.post(
        "/oauth/authorize",
        data={
            "client_id": "ca_emulator",
            "redirect_uri": "https://billbot.test/oauth",
            "state": "s1",
            "decision": "deny",
        },
    )
    back = parse_qs(urlsplit(redirect.headers["location"]).query)
    assert back["error"] == ["access_denied"] and back["state"] == ["s1"]
    assert http.get("/oauth/authorize", params={"client_id": "ca_other", "redirect_uri": "x"}).status_code == 400
