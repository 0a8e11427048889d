"""The addresses set-up sends a browser to, each carrying a signed token (see signed.py)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bot.settings import Settings
from flows.stripe_setup import signed

# Stripe's Connect OAuth state: long enough to read Stripe's consent page, short enough to be useless later.
OAUTH_STATE_SECONDS = 10 * 60
# Return and refresh links end up in Account Links (which Stripe sends expired ones back through) and in
# DMs read the next day; a week keeps them working without leaving a link that works for ever.
ONBOARDING_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Onboarding:
    """Who came back from Stripe's onboarding form, for which workspace and account, to which modal."""

    team_id: str
    account_id: str | None
    user_id: str
    locale: str
    view_id: str | None


@dataclass(frozen=True)
class OAuthState:
    team_id: str
    user_id: str
    locale: str
    nonce: str
    # The set-up modal the link was shown in, redrawn once the account is connected (None: not known).
    view_id: str | None = None


class Links:
    def __init__(self, settings: Settings) -> None:
        self._public_url = settings.public_url.rstrip("/")
        self._secret = settings.stripe_api_key

    @property
    def _key(self) -> bytes:
        # Without STRIPE_API_KEY nothing here is reachable (set-up says Stripe is not configured first);
        # failing loudly beats signing with an empty key.
        if not self._secret:
            raise RuntimeError("STRIPE_API_KEY is not set")
        return signed.derive_key(self._secret)

    @property
    def oauth_redirect_uri(self) -> str:
        return f"{self._public_url}/stripe/oauth/callback"

    # -- onboarding -----------------------------------------------------------------------------------------

    def onboarding_token(self, info: Onboarding) -> str:
        payload: dict[str, Any] = {
            "t": info.team_id,
            "a": info.account_id,
            "u": info.user_id,
            "l": info.locale,
            "v": info.view_id or "",
        }
        return signed.sign(self._key, signed.ONBOARDING, payload, ttl_seconds=ONBOARDING_SECONDS)

    def read_onboarding(self, token: str | None) -> Onboarding:
        """The onboarding details of a genuine token; signed.TokenError otherwise."""
        payload = signed.verify(self._key, signed.ONBOARDING, token)
        try:
            return Onboarding(
                team_id=str(payload["t"]),
                account_id=None if payload["a"] is None else str(payload["a"]),
                user_id=str(payload["u"]),
                locale=str(payload["l"]),
                view_id=str(payload["v"]) or None,
            )
        except KeyError as exc:
            raise signed.TokenError("invalid") from exc

    def return_url(self, token: str) -> str:
        return f"{self._public_url}/stripe/return?{urlencode({'t': token})}"

    def refresh_url(self, token: str) -> str:
        return f"{self._public_url}/stripe/refresh?{urlencode({'t': token})}"

    # -- OAuth ----------------------------------------------------------------------------------------------

    def oauth_state(
        self, team_id: str, user_id: str, locale: str, view_id: str | None = None, *, now: float | None = None
    ) -> str:
        payload = {"t": team_id, "u": user_id, "l": locale, "n": secrets.token_urlsafe(16), "v": view_id or ""}
        return signed.sign(self._key, signed.OAUTH_STATE, payload, ttl_seconds=OAUTH_STATE_SECONDS, now=now)

    def read_oauth_state(self, state: str | None) -> OAuthState:
        payload = signed.verify(self._key, signed.OAUTH_STATE, state)
        try:
            view_id = str(payload.get("v") or "") or None  # states signed before it carried one have none
            return OAuthState(str(payload["t"]), str(payload["u"]), str(payload["l"]), str(payload["n"]), view_id)
        except KeyError as exc:
            raise signed.TokenError("invalid") from exc
