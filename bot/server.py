"""The HTTP routes of design.md's contract, served by Starlette under uvicorn.

Bolt's sync ``App.dispatch`` runs on Starlette's thread pool, never on the event loop, so one slow
request cannot hold up the others; the listeners' slow parts run after the response (see slack_app).
"""

from __future__ import annotations

import html
import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot import metrics
from bot.clean_input import MAX_DEPTH, deeper_than
from bot.db import pending_migrations
from bot.request_shape import shape_problem
from bot.services import Services
from bot.settings import ConfigError, Settings
from bot.stripe_gateway import WebhookRejected

log = logging.getLogger(__name__)

# Body limits per route, checked before the signature, so an unsigned body costs at most this much memory.
# Slack's largest payload, a view_submission echoing a big modal, is a few hundred KB of JSON that form
# encoding grows by about half; Stripe's events are a few hundred KB at most.
SLACK_MAX_BODY_BYTES = 1024 * 1024
STRIPE_MAX_BODY_BYTES = 512 * 1024

# What Slack sends: a Unix time in seconds and "v0=" with a SHA-256 in hex. Anything else is refused before
# slack_sdk sees it (it raises on a non-integer timestamp and on a non-ASCII signature).
_SLACK_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SLACK_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

# The Stripe pages a person's browser lands on; the stripe_setup flow provides them.
STRIPE_PAGES = ("stripe_return", "stripe_refresh", "stripe_oauth_callback")
PageHandler = Callable[[dict[str, str]], tuple[int, str]]


def create(settings: Settings) -> tuple[Services, App, Starlette]:
    """Everything `billbot serve` runs: the shared services, the Bolt app with every flow, the HTTP app."""
    from bot.slack_app import build_app

    services = Services.build(settings)
    try:
        missing = pending_migrations(services.db.engine)
    except Exception as exc:
        services.db.dispose()
        raise ConfigError([f"DATABASE_URL cannot be reached: {exc.__class__.__name__}: {exc}"]) from exc
    if missing:
        services.db.dispose()
        raise ConfigError([f"The database lacks {len(missing)} migration(s): run `billbot db upgrade` first."])
    bolt_app = build_app(services)
    return services, bolt_app, build_http_app(services, bolt_app)


def build_http_app(services: Services, bolt_app: App) -> Starlette:
    """The contract's routes (../shared/design.md), each a method of one _Routes over the app's services."""
    routes = _Routes(services, bolt_app)
    return Starlette(
        routes=[
            Route("/slack/events", routes.slack_events, methods=["POST"]),
            Route("/slack/install", routes.slack_oauth, methods=["GET"]),
            Route("/slack/oauth_redirect", routes.slack_oauth, methods=["GET"]),
            Route("/stripe/webhook", routes.stripe_webhook, methods=["POST"]),
            Route("/stripe/return", routes.stripe_page("stripe_return"), methods=["GET"]),
            Route("/stripe/refresh", routes.stripe_page("stripe_refresh"), methods=["GET"]),
            Route("/stripe/oauth/callback", routes.stripe_page("stripe_oauth_callback"), methods=["GET"]),
            Route("/healthz", routes.healthz, methods=["GET"]),
            Route("/readyz", routes.readyz, methods=["GET"]),
            Route("/metrics", routes.metrics_page, methods=["GET"]),
        ]
    )


class _Routes:
    def __init__(self, services: Services, bolt_app: App) -> None:
        self.services = services
        self.bolt_app = bolt_app
        self.verifier = SignatureVerifier(services.settings.slack_signing_secret or "")
        self.queue_gauges = metrics.QueueCollector(services.work.gauges)

    async def slack_events(self, request: Request) -> Response:
        received_at = time.monotonic()
        body = await _read_body(request, SLACK_MAX_BODY_BYTES)
        if isinstance(body, Response):
            return body
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return JSONResponse({"error": "malformed request body"}, status_code=400)
        # Bolt reads x-slack-bolt-* headers as orders (run only the lazy part...): only our worker gives those.
        headers = {k: v for k, v in request.headers.items() if not k.startswith("x-slack-bolt-")}
        if self.services.settings.slack_signing_secret is not None and not _signed_by_slack(
            self.verifier, text, headers
        ):
            # Checked before the body is parsed, so nothing unsigned reaches our code or the database.
            return JSONResponse({"error": "invalid request signature"}, status_code=401)
        bolt_request = _slack_request(text, dict(request.query_params), headers, received_at)
        if isinstance(bolt_request, Response):
            return bolt_request
        bolt_response = await run_in_threadpool(self.bolt_app.dispatch, bolt_request)
        kind = metrics.request_kind(bolt_request.body)
        metrics.REQUESTS.labels(kind).inc()
        metrics.ACK_SECONDS.labels(kind).observe(time.monotonic() - received_at)
        return _to_response(bolt_response)

    async def slack_oauth(self, request: Request) -> Response:
        flow = self.bolt_app.oauth_flow
        if flow is None:
            return _page(404, "Billbot is installed in a single workspace", "This server does not take new installs.")
        bolt_request = BoltRequest(body="", query=dict(request.query_params), headers=dict(request.headers))
        handler = flow.handle_installation if request.url.path == flow.install_path else flow.handle_callback
        return _to_response(await run_in_threadpool(handler, bolt_request))

    async def stripe_webhook(self, request: Request) -> Response:
        stripe = self.services.stripe
        if not stripe.webhooks_configured:
            return JSONResponse({"error": "STRIPE_WEBHOOK_SECRET is not set on this server"}, status_code=503)
        payload = await _read_body(request, STRIPE_MAX_BODY_BYTES)
        if isinstance(payload, Response):
            return payload
        try:
            event = stripe.verify_webhook(payload, request.headers.get("stripe-signature"))
        except WebhookRejected as exc:
            log.warning("Stripe webhook refused: %s", exc)
            return JSONResponse({"error": "invalid signature"}, status_code=400)
        metrics.WEBHOOK_EVENTS.labels(str(event.get("type") or "unknown")).inc()
        try:
            handled = await run_in_threadpool(self.services.stripe_events.handle, event)
        except Exception:
            log.exception("Stripe event %s failed; Stripe will retry it", event.get("id"))
            return JSONResponse({"error": "handler failed"}, status_code=500)
        return JSONResponse({"received": True, "duplicate": not handled})

    def stripe_page(self, name: str) -> Callable[[Request], Any]:
        async def page(request: Request) -> Response:
            handler: PageHandler | None = self.services.pages.get(name)
            if handler is None:
                return _page(404, "Not available yet", "Stripe set-up is not available on this server yet.")
            status, body = await run_in_threadpool(handler, dict(request.query_params))
            return HTMLResponse(body, status_code=status)

        return page

    async def healthz(self, _: Request) -> Response:
        database_ok = await run_in_threadpool(self.services.db.ping)
        return JSONResponse(
            {"ok": database_ok, "database": "ok" if database_ok else "unreachable"},
            status_code=200 if database_ok else 503,
        )

    async def metrics_page(self, _: Request) -> Response:
        page = await run_in_threadpool(metrics.exposition, self.queue_gauges)
        return Response(page, media_type=metrics.CONTENT_TYPE)

    async def readyz(self, request: Request) -> Response:
        """For a load balancer: send Slack's requests here only when they can be acked and their work done."""
        database = await run_in_threadpool(_database_state, self.services)
        worker_alive: Callable[[], bool] | None = getattr(request.app.state, "worker_alive", None)
        worker = "alive" if worker_alive is not None and worker_alive() else "none"
        ready = database == "ok" and worker == "alive"
        return JSONResponse({"ready": ready, "database": database, "worker": worker}, status_code=200 if ready else 503)


def _slack_request(
    text: str, query: dict[str, str], headers: dict[str, str], received_at: float
) -> BoltRequest | Response:
    """The signed body as Bolt's request, or the 400 for a body no Slack request has the shape of."""
    try:
        bolt_request = BoltRequest(
            body=text,
            query=query,
            headers=dict[str, str | Sequence[str]](headers),
            # Modals are timed from here, and trigger-bound work too late to open one tells the person.
            context={metrics.RECEIVED_AT: received_at},
        )
    except (ValueError, TypeError, AttributeError, RecursionError):
        return JSONResponse({"error": "malformed request body"}, status_code=400)
    if not isinstance(bolt_request.body, dict) or deeper_than(bolt_request.body, MAX_DEPTH):
        return JSONResponse({"error": "malformed request body"}, status_code=400)
    # Checked here too, not only in the app's middleware: Bolt reads some fields before any middleware runs.
    problem = shape_problem(bolt_request.body)
    if problem is not None:
        return JSONResponse({"error": f"malformed request: {problem}"}, status_code=400)
    return bolt_request


def _database_state(services: Services) -> str:
    """ok, unreachable, or not migrated (a deploy that forgot `billbot db upgrade`)."""
    try:
        missing = pending_migrations(services.db.engine)
    except Exception:
        return "unreachable"
    return "not migrated" if missing else "ok"


async def _read_body(request: Request, limit: int) -> bytes | Response:
    """The body, or the error to answer, without ever holding more than ``limit`` bytes of it.

    A declared length over the limit is refused before a byte is read; a body of unknown length (chunked)
    is read up to the limit only. The 413 closes the connection, so the rest of the body is not read at all.
    """
    declared = request.headers.get("content-length")
    if declared is not None:
        if not (declared.isascii() and declared.isdigit() and len(declared) <= 20):
            return JSONResponse({"error": "malformed Content-Length"}, status_code=400)
        if int(declared) > limit:
            return _too_large()
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return _too_large()
            chunks.append(chunk)
    except ClientDisconnect:
        return JSONResponse({"error": "client went away"}, status_code=400)
    return b"".join(chunks)


def _too_large() -> Response:
    return JSONResponse({"error": "request too large"}, status_code=413, headers={"Connection": "close"})


def _signed_by_slack(verifier: SignatureVerifier, body: str, headers: dict[str, str]) -> bool:
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not (_SLACK_TIMESTAMP.fullmatch(timestamp) and _SLACK_SIGNATURE.fullmatch(signature)):
        return False
    # slack_sdk refuses a timestamp more than five minutes away in either direction (abs()), tested.
    return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)


def _to_response(bolt_response: BoltResponse) -> Response:
    response = Response(
        content=bolt_response.body,
        status_code=bolt_response.status,
        headers=bolt_response.first_headers_without_set_cookie(),
    )
    for cookie in bolt_response.cookies():
        for name, morsel in cookie.items():
            response.set_cookie(
                key=name,
                value=morsel.value,
                max_age=int(morsel["max-age"]) if morsel["max-age"] else None,
                path=morsel["path"] or "/",
                secure=True,
                httponly=True,
            )
    return response


def _page(status: int, title: str, text: str) -> HTMLResponse:
    title, text = html.escape(title), html.escape(text)
    body = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body style='font-family:sans-serif;max-width:36em;margin:4em auto'><h1>{title}</h1><p>{text}</p>"
        "</body></html>"
    )
    return HTMLResponse(body, status_code=status)


def serve(http_app: Starlette, host: str, port: int) -> None:
    import uvicorn

    from bot.log import uvicorn_log_config

    # One worker process: Bolt's after-ack work and the in-process scheduler live in this process.
    # uvicorn's lines go through the root handler bot.log configured (its format, its masking, its level).
    uvicorn.run(http_app, host=host, port=port, log_config=uvicorn_log_config(), access_log=False, proxy_headers=True)
