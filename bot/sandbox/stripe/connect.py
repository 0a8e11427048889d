"""Connect: the platform and its connected accounts, onboarding links and OAuth."""

from __future__ import annotations

import re
import time
from typing import Any

from stripe import OAuth

from .app import App, Context, Route, renderer
from .objects import changed, fresh, merge_metadata, public, template
from .params import compile_typeddict, validate
from .protocol import OAuthError, StripeError, invalid, new_id, no_such, paginate
from .store import Record

CURRENCY_BY_COUNTRY = {
    "US": "usd",
    "GB": "gbp",
    "CA": "cad",
    "AU": "aud",
    "NZ": "nzd",
    "JP": "jpy",
    "CH": "chf",
    "SE": "sek",
    "NO": "nok",
    "DK": "dkk",
    "PL": "pln",
    "SG": "sgd",
    "HK": "hkd",
    "MX": "mxn",
    "BR": "brl",
    "IN": "inr",
}
EURO_COUNTRIES = frozenset(
    {
        "AT",
        "BE",
        "CY",
        "DE",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PT",
        "SI",
        "SK",
    }
)
INITIAL_DUE = [
    "business_profile.mcc",
    "business_profile.url",
    "external_account",
    "representative.first_name",
    "representative.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _requirements(due: list[str]) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": "requirements.past_due" if due else None,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }


@renderer("account")
def render_account(app: App, record: Record) -> dict[str, Any]:
    obj = fresh("account")
    obj.update(public(record.state))
    obj["external_accounts"] = {
        "object": "list",
        "data": [],
        "has_more": False,
        "url": f"/v1/accounts/{record.id}/external_accounts",
    }
    return obj


def new_account(app: App, account_id: str, params: dict[str, Any], *, onboarded: bool) -> Record:
    shape = template("account")
    country = params.get("country", "US").upper()
    currency = params.get("default_currency") or CURRENCY_BY_COUNTRY.get(
        country, "eur" if country in EURO_COUNTRIES else "usd"
    )
    controller = params.get("controller") or {}
    account_type = params.get("type") or (
        "standard" if controller.get("stripe_dashboard", {}).get("type") in (None, "full") else "custom"
    )
    state: dict[str, Any] = {
        "id": account_id,
        "created": app.now(),
        "type": account_type,
        "controller": {"type": "application", "is_controller": True, "stripe_dashboard": {"type": "full"}}
        if account_type == "standard"
        else {"type": "application", "is_controller": True},
        "country": country,
        "default_currency": currency,
        "email": params.get("email"),
        "business_type": params.get("business_type"),
        # Both are fields of this API version that Stripe's example object predates.
        "business_profile": {
            **shape["business_profile"],
            "monthly_estimated_revenue": None,
            "specified_commercial_transactions_act_url": None,
        },
        "capabilities": {},
        "charges_enabled": onboarded,
        "payouts_enabled": onboarded,
        "details_submitted": onboarded,
        "requirements": _requirements([] if onboarded else INITIAL_DUE),
        "future_requirements": _requirements([]),
        "settings": shape["settings"],
        "tos_acceptance": shape["tos_acceptance"],
        "metadata": {},
    }
    record = app.store.add("account", account_id, app.platform_account_id, state)
    # Standard accounts get the payment capabilities without asking, as on Stripe.
    requested = ["card_payments", "transfers"] if account_type == "standard" else []
    requested += [name for name, value in (params.get("capabilities") or {}).items() if value.get("requested")]
    state["capabilities"] = {name: "active" if onboarded else "inactive" for name in requested}
    _apply_account(app, record, params, scope=account_id)
    return record


def _apply_account(app: App, record: Record, params: dict[str, Any], *, scope: str) -> None:
    state = record.state
    if "email" in params:
        state["email"] = params["email"] or None
    if "business_type" in params:
        state["business_type"] = params["business_type"] or None
    if "metadata" in params:
        state["metadata"] = merge_metadata(state.get("metadata"), params["metadata"])
    if params.get("business_profile"):
        profile = dict(state["business_profile"])
        for key, value in params["business_profile"].items():
            profile[key] = None if value == "" else value
        state["business_profile"] = profile
    branding = (params.get("settings") or {}).get("branding")
    if branding:
        current = dict(state["settings"]["branding"])
        for key, value in branding.items():
            param = f"settings[branding][{key}]"
            if value == "":
                current[key] = None
                continue
            if key in ("icon", "logo"):
                upload = app.store.objects.get(value)
                if upload is None or upload.kind != "file" or upload.account not in (scope, app.platform_account_id):
                    raise no_such("file", value, param=param)
                if upload.state["purpose"] not in ("business_icon", "business_logo"):
                    raise invalid(
                        f"The file {value} was uploaded with purpose '{upload.state['purpose']}'; branding "
                        "images need purpose 'business_icon' or 'business_logo'.",
                        param=param,
                    )
            elif not HEX_COLOR.match(value):
                raise invalid(f"Invalid hex color: {value} (expected a color like #1a2b3c)", param=param)
            current[key] = value
        state["settings"] = dict(state["settings"], branding=current)


def create_account(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.connected:
        raise StripeError(400, "Connected accounts cannot create other accounts; make this request as the platform.")
    record = new_account(ctx.app, new_id("acct_", 16), params, onboarded=False)
    return ctx.app.render(record)


def _account(ctx: Context, account_id: str, *, param: str | None = None) -> Record:
    if ctx.connected and account_id != ctx.account:
        raise no_such("account", account_id, param=param)
    record = ctx.store.find("account", account_id, ctx.app.platform_account_id)
    if record is None or record.state.get("_deauthorized"):
        raise no_such("account", account_id, param=param)
    return record


def retrieve_account(ctx: Context, params: dict[str, Any], account_id: str) -> dict[str, Any]:
    return ctx.app.render(_account(ctx, account_id))


def retrieve_current_account(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return ctx.app.render(_account(ctx, ctx.account))


def update_account(ctx: Context, params: dict[str, Any], account_id: str) -> dict[str, Any]:
    record = _account(ctx, account_id)
    before = ctx.app.render(record)
    _apply_account(ctx.app, record, params, scope=account_id)
    obj = ctx.app.render(record)
    previous = changed(before, obj)
    if previous:
        ctx.app.emit(account_id, "account.updated", obj, previous, request=(ctx.request_id, ctx.idempotency_key))
    return obj


def list_accounts(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if ctx.connected:
        raise StripeError(400, "Only the platform can list its connected accounts.")
    records = (
        r
        for r in ctx.store.newest_first("account", ctx.app.platform_account_id)
        if r.id != ctx.app.platform_account_id and not r.state.get("_deauthorized")
    )
    return paginate(records, params, url="/v1/accounts", item_id=lambda r: r.id, render=ctx.app.render, label="account")


def set_onboarding(app: App, account_id: str, leave_due: list[str] | None) -> dict[str, Any]:
    """The effect of a person finishing Stripe's onboarding form (used by the page and tests)."""
    record = app.store.find("account", account_id, app.platform_account_id)
    if record is None:
        raise no_such("account", account_id)
    before = app.render(record)
    due = list(leave_due or [])
    state = record.state
    state.update(
        details_submitted=True,
        charges_enabled=not due,
        payouts_enabled=not due,
        requirements=_requirements(due),
        capabilities={name: "inactive" if due else "active" for name in state["capabilities"]},
        tos_acceptance={"date": app.now(), "ip": "127.0.0.1", "user_agent": "Stripe emulator"},
    )
    obj = app.render(record)
    previous = changed(before, obj)
    if previous:
        app.emit(account_id, "account.updated", obj, previous)
    return obj


# --- account links ------------------------------------------------------------------------------


def create_account_link(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    account_id = params["account"]
    if account_id == ctx.app.platform_account_id:
        raise invalid("You can only create account links for connected accounts.", param="account")
    _account(ctx, account_id, param="account")
    now = time.time() + ctx.app.clock_offset
    token = new_id("", 12)
    ctx.store.bucket("account_links")[token] = {
        "account": account_id,
        "type": params["type"],
        "refresh_url": params.get("refresh_url"),
        "return_url": params.get("return_url"),
        "expires": now + ctx.app.account_link_ttl,
        "used": False,
    }
    link = fresh("account_link")
    link.update(
        created=int(now),
        expires_at=int(now + ctx.app.account_link_ttl),
        url=f"{ctx.app.base_url}/setup/s/{account_id}/{token}",
    )
    return link


def usable_link(app: App, token: str) -> dict[str, Any] | None:
    link = app.store.bucket("account_links").get(token)
    if link is None or link["used"] or time.time() + app.clock_offset > link["expires"]:
        return None
    return link


# --- OAuth --------------------------------------------------------------------------------------

_TOKEN_SCHEMA = compile_typeddict(OAuth.OAuthTokenParams)
_DEAUTHORIZE_SCHEMA = compile_typeddict(OAuth.OAuthDeauthorizeParams)


def _oauth_params(schema: Any, raw: dict[str, Any]) -> dict[str, Any]:
    try:
        return validate(schema, raw)
    except StripeError as error:
        raise OAuthError(400, "invalid_request", error.message) from None


def authorize(app: App) -> str:
    """The person clicked "Connect": a Standard account exists now; returns its one-time code."""
    account = new_account(app, new_id("acct_", 16), {"type": "standard"}, onboarded=True)
    code = new_id("ac_", 32)
    app.store.bucket("oauth_codes")[code] = {"account": account.id, "used": False}
    return code


def oauth_token(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    params = _oauth_params(_TOKEN_SCHEMA, ctx.form or params)
    if params["grant_type"] != "authorization_code":
        raise OAuthError(400, "unsupported_grant_type", "The emulator only supports grant_type=authorization_code.")
    code = params.get("code")
    if not code:
        raise OAuthError(400, "invalid_request", "No authorization code provided")
    entry = ctx.store.bucket("oauth_codes").get(code)
    if entry is None:
        raise OAuthError(400, "invalid_grant", f"Authorization code does not exist: {code}")
    if entry["used"]:
        raise OAuthError(
            400,
            "invalid_grant",
            f"Authorization code provided has already been used: {code}",
        )
    entry["used"] = True
    account = ctx.store.find("account", entry["account"], ctx.app.platform_account_id)
    if account is not None:
        account.state.pop("_deauthorized", None)
    ctx.app.emit(
        entry["account"],
        "account.application.authorized",
        {"id": ctx.app.connect_client_id, "object": "application", "name": "Billbot"},
    )
    return {
        "access_token": "sk_test_" + new_id("", 24),
        "livemode": False,
        "refresh_token": "rt_" + new_id("", 24),
        "token_type": "bearer",
        "stripe_publishable_key": "pk_test_" + new_id("", 24),
        "stripe_user_id": entry["account"],
        "scope": "read_write",
    }


def oauth_deauthorize(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    params = _oauth_params(_DEAUTHORIZE_SCHEMA, ctx.form or params)
    client_id = params.get("client_id")
    if client_id != ctx.app.connect_client_id:
        raise OAuthError(400, "invalid_client", f"No such application: '{client_id}'")
    account_id = params["stripe_user_id"]
    record = ctx.store.find("account", account_id, ctx.app.platform_account_id)
    if record is None or record.state.get("_deauthorized") or account_id == ctx.app.platform_account_id:
        raise OAuthError(
            400,
            "invalid_client",
            f"This application is not connected to stripe account {account_id}, or that account does not exist.",
        )
    record.state["_deauthorized"] = True
    ctx.app.emit(
        account_id,
        "account.application.deauthorized",
        {"id": ctx.app.connect_client_id, "object": "application", "name": "Billbot"},
    )
    return {"stripe_user_id": account_id}


def routes() -> list[Route]:
    return [
        Route("POST", "/v1/accounts", "AccountCreateParams", create_account),
        Route("GET", "/v1/accounts", "AccountListParams", list_accounts),
        Route("GET", "/v1/accounts/{id}", "AccountRetrieveParams", retrieve_account),
        Route("POST", "/v1/accounts/{id}", "AccountUpdateParams", update_account),
        Route("GET", "/v1/account", "AccountRetrieveCurrentParams", retrieve_current_account),
        Route("POST", "/v1/account_links", "AccountLinkCreateParams", create_account_link),
        Route("POST", "/oauth/token", None, oauth_token, kind="api"),
        Route("POST", "/oauth/deauthorize", None, oauth_deauthorize, kind="api"),
    ]
