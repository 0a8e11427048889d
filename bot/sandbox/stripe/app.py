"""Request dispatch: auth, Stripe-Account scoping, validation, idempotency, faults, expand, events."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import stripe

from . import objects
from .params import Enum, ListOf, Obj, schema_for, unsettable_strings, validate
from .protocol import (
    OAuthError,
    Response,
    StripeError,
    UploadedFile,
    decode_multipart,
    decode_query,
    invalid,
    json_bytes,
    new_id,
)
from .store import IdempotentResult, Record, Store
from .webhooks import WebhookDispatcher

API_VERSION: str = stripe.api_version


def _event_types() -> frozenset[str]:
    # A webhook endpoint's enabled_events enum is the SDK's list of every event type of this version.
    node = schema_for("WebhookEndpointCreateParams").fields["enabled_events"]
    assert isinstance(node, ListOf) and isinstance(node.item, Enum)
    return frozenset(node.item.values) - {"*"}


EVENT_TYPES = _event_types()

Handler = Callable[..., Any]
# How each kind is rendered, registered by its resource module (``@renderer("invoice")``). Kept beside App,
# which every renderer takes, so that objects.py needs nothing of this module.
Renderer = Callable[["App", Record], dict[str, Any]]
RENDERERS: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        RENDERERS[kind] = fn
        return fn

    return register


# Fields Stripe leaves out of an object unless asked for with ``expand`` ("includable": ``invoice.payments``).
INCLUDABLE: dict[tuple[str, str], Renderer] = {}


def includable(kind: str, key: str) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        INCLUDABLE[(kind, key)] = fn
        return fn

    return register


@dataclass
class Route:
    method: str
    pattern: str  # "/v1/invoices/{id}/finalize"
    params: str | None  # name of the stripe params TypedDict; None: no validation (pages)
    handler: Handler
    kind: str = "api"  # "api" (JSON, auth), "oauth" (JSON, OAuth error shape), "page" (HTML, no auth)
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        self.regex = re.compile("^" + re.sub(r"\{\w+\}", r"([^/]+)", self.pattern) + "$")


@dataclass
class Context:
    app: App
    account: str  # the account whose objects this request sees
    connected: bool  # True when a Stripe-Account header selected a connected account
    request_id: str
    idempotency_key: str | None
    method: str
    path: str
    query: dict[str, Any]
    form: dict[str, Any]

    @property
    def store(self) -> Store:
        return self.app.store

    def now(self) -> int:
        return self.app.now()

    def emit(self, type: str, obj: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
        self.app.emit(self.account, type, obj, previous, request=(self.request_id, self.idempotency_key))


@dataclass
class Fault:
    method: str
    prefix: str
    status: int
    error_type: str
    remaining: int


class App:
    def __init__(
        self,
        *,
        api_key: str,
        connect_client_id: str,
        account_link_ttl: float,
        webhooks: WebhookDispatcher,
    ) -> None:
        self.api_key = api_key
        self.connect_client_id = connect_client_id
        self.account_link_ttl = account_link_ttl
        self.webhooks = webhooks
        self.store = Store()
        self.base_url = "http://127.0.0.1"
        self.clock_offset = 0.0
        self.faults: list[Fault] = []
        self.routes: list[Route] = []
        self._schemas: dict[str, Obj] = {}
        self._unsettable: dict[str, frozenset[str]] = {}
        self.platform_account_id = new_id("acct_", 16)
        self._event_seq = itertools.count()

    # --- set-up ---------------------------------------------------------------------------------

    def add_routes(self, routes: list[Route]) -> None:
        for route in routes:
            if route.params is not None:
                self._schemas[route.params] = schema_for(route.params)
                self._unsettable[route.params] = unsettable_strings(route.params)
            self.routes.append(route)

    def now(self) -> int:
        return int(time.time() + self.clock_offset)

    # --- events ---------------------------------------------------------------------------------

    def emit(
        self,
        account: str,
        type: str,
        obj: dict[str, Any],
        previous: dict[str, Any] | None = None,
        *,
        request: tuple[str | None, str | None] = (None, None),
    ) -> dict[str, Any]:
        if type not in EVENT_TYPES:
            raise AssertionError(f"{type} is not a Stripe event type at API version {API_VERSION}")
        event_id = new_id("evt_")
        data: dict[str, Any] = {"object": obj}
        if previous:
            data["previous_attributes"] = previous
        event = objects.fresh("event")
        event.update(
            id=event_id,
            api_version=API_VERSION,
            created=self.now(),
            data=data,
            livemode=False,
            pending_webhooks=len(self.webhooks.endpoints),
            request={"id": request[0], "idempotency_key": request[1]},
            type=type,
        )
        if account != self.platform_account_id:
            event["account"] = account
        # Events are immutable snapshots; keeping them serialised is compact and copy-free.
        # (No indent: indented dumps bypass the C encoder and cost more than the request itself.)
        payload = json.dumps(event, separators=(",", ":"))
        self.store.add("event", event_id, account, {"json": payload, "type": type, "seq": next(self._event_seq)})
        self.webhooks.enqueue(event_id, payload)
        return event

    # --- rendering --------------------------------------------------------------------------------

    def render(self, record: Record) -> dict[str, Any]:
        return RENDERERS[record.kind](self, record)

    def expand(self, ctx: Context, value: dict[str, Any], paths: list[str]) -> dict[str, Any]:
        for path in paths:
            self._expand_path(ctx, value, path.split("."), path)
        return value

    def _expand_path(self, ctx: Context, node: dict[str, Any], parts: list[str], full: str) -> None:
        # Rendered objects may share nested dicts with stored state, so copy before writing.
        key = parts[0]
        if node.get("object") == "list" and key == "data":
            node["data"] = [dict(item) for item in node["data"]]
            for item in node["data"]:
                if len(parts) > 1:
                    self._expand_path(ctx, item, parts[1:], full)
            return
        include = INCLUDABLE.get((str(node.get("object")), key))
        if key not in node and include is not None and isinstance(node.get("id"), str):
            record = self.store.objects.get(node["id"])
            if record is not None:
                node[key] = include(self, record)
        if key not in node:
            raise invalid(f"This property cannot be expanded ({full}).", param="expand")
        value = node[key]
        if isinstance(value, str):
            record = self.store.objects.get(value)
            if record is None or record.account not in (ctx.account, self.platform_account_id):
                raise invalid(f"This property cannot be expanded ({full}).", param="expand")
            value = self.render(record)
        elif isinstance(value, dict):
            value = dict(value)
        elif value is not None:
            raise invalid(f"This property cannot be expanded ({full}).", param="expand")
        node[key] = value
        if len(parts) > 1 and isinstance(value, dict):
            self._expand_path(ctx, value, parts[1:], full)

    # --- dispatch -------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(target)
        path = parts.path.rstrip("/") or "/"
        request_id = new_id("req_", 14)
        try:
            route, args = self._match(method, path)
            fault = self._take_fault(method, path)
            if fault is not None:
                raise StripeError(
                    fault.status, "An error occurred with our connection to Stripe.", type=fault.error_type
                )
            if route.kind == "page":
                return route.handler(self, method, decode_query(parts.query), self._decode_body(headers, body), *args)
            return self._api(route, args, method, path, parts.query, headers, body, request_id)
        except StripeError as error:
            return self._json(error.status, error.body(), request_id)
        except OAuthError as error:
            return self._json(error.status, error.body(), request_id)

    def _match(self, method: str, path: str) -> tuple[Route, tuple[str, ...]]:
        for route in self.routes:
            if route.method == method:
                match = route.regex.match(path)
                if match:
                    return route, match.groups()
        raise StripeError(
            404,
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
        )

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.store.lock:
            for fault in self.faults:
                if fault.remaining > 0 and fault.method == method and path.startswith(fault.prefix):
                    fault.remaining -= 1
                    return fault
        return None

    def _decode_body(self, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        content_type = headers.get("content-type", "")
        if not body:
            return {}
        if content_type.startswith("multipart/form-data"):
            return decode_multipart(body, content_type)
        try:
            return decode_query(body.decode())
        except UnicodeDecodeError:
            raise invalid("Invalid request body: not UTF-8 form data") from None

    def _authenticate(self, headers: dict[str, str]) -> None:
        auth = headers.get("authorization", "")
        key = ""
        if auth.startswith("Bearer "):
            key = auth[7:].strip()
        elif auth.startswith("Basic "):
            try:
                key = base64.b64decode(auth[6:]).decode().partition(":")[0]
            except ValueError:
                key = ""
        if not key:
            raise StripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization "
                "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                "https://stripe.com/docs/api#authentication for details, or we can help at "
                "https://support.stripe.com/.",
            )
        if key != self.api_key:
            shown = key[:8] + "*" * max(len(key) - 12, 0) + key[-4:] if len(key) > 12 else key
            raise StripeError(401, f"Invalid API Key provided: {shown}")

    def _scope(self, headers: dict[str, str]) -> tuple[str, bool]:
        account = headers.get("stripe-account")
        if not account:
            return self.platform_account_id, False
        record = self.store.find("account", account, self.platform_account_id)
        if record is None or record.state.get("_deauthorized"):
            raise StripeError(
                403,
                f"The provided key '{self.api_key[:8]}****{self.api_key[-4:]}' does not have access to "
                f"account '{account}' (or that account does not exist). Application access may have been revoked.",
                code="account_invalid",
            )
        return account, account != self.platform_account_id

    def _api(
        self,
        route: Route,
        args: tuple[str, ...],
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        request_id: str,
    ) -> Response:
        if route.kind == "api":
            self._authenticate(headers)
        form = self._decode_body(headers, body)
        raw = decode_query(query) if method in ("GET", "DELETE") else {**decode_query(query), **form}
        with self.store.lock:
            account, connected = self._scope(headers) if route.kind == "api" else (self.platform_account_id, False)
            params = validate(self._schemas[route.params], raw, self._unsettable[route.params]) if route.params else raw
            idem_key = headers.get("idempotency-key") if method == "POST" else None
            fingerprint = ""
            if idem_key:
                fingerprint = _fingerprint(method, path, raw)
                previous = self.store.idempotency.get((account, idem_key))
                if previous is not None:
                    if previous.fingerprint != fingerprint:
                        raise StripeError(
                            400,
                            "Keys for idempotent requests can only be used with the same parameters they were "
                            f"first used with. Try using a key other than '{idem_key}' if you meant to execute "
                            "a different request.",
                            type="idempotency_error",
                        )
                    response = self._raw(previous.status, previous.body, request_id)
                    response.headers += [("Idempotency-Key", idem_key), ("Idempotent-Replayed", "true")]
                    return response
            ctx = Context(self, account, connected, request_id, idem_key, method, path, raw, form)
            try:
                result = route.handler(ctx, params, *args)
                if isinstance(result, Response):
                    return result
                if isinstance(result, dict) and params.get("expand"):
                    result = self.expand(ctx, result, params["expand"])
                status, payload = 200, result
            except StripeError as error:
                status, payload = error.status, error.body()
            except OAuthError as error:
                status, payload = error.status, error.body()
            encoded = json_bytes(payload)
            if idem_key:
                self.store.remember((account, idem_key), IdempotentResult(fingerprint, status, encoded))
        response = self._raw(status, encoded, request_id)
        if idem_key:
            response.headers.append(("Idempotency-Key", idem_key))
        return response

    def _json(self, status: int, payload: Any, request_id: str) -> Response:
        return self._raw(status, json_bytes(payload), request_id)

    def _raw(self, status: int, body: bytes, request_id: str) -> Response:
        return Response(status, body, headers=[("Request-Id", request_id), ("Stripe-Version", API_VERSION)])


def _fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    def encode(value: Any) -> Any:
        if isinstance(value, UploadedFile):
            return hashlib.sha256(value.data).hexdigest()
        raise TypeError(type(value).__name__)

    return json.dumps([method, path, params], sort_keys=True, default=encode)
