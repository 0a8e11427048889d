"""The event log as the API shows it: ``GET /v1/events`` and ``GET /v1/events/{id}``, per account."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from .app import App, Context, Route, renderer
from .protocol import paginate
from .store import Record


@renderer("event")
def render_event(app: App, record: Record) -> dict[str, Any]:
    return json.loads(record.state["json"])


def _type_matches(record: Record, params: dict[str, Any]) -> bool:
    patterns = params.get("types") or ([params["type"]] if params.get("type") else [])
    # Stripe allows one wildcard ("invoice.*") in `type`.
    return not patterns or any(fnmatch.fnmatchcase(record.state["type"], p) for p in patterns)


def list_events(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    records = (r for r in ctx.store.newest_first("event", ctx.account) if _type_matches(r, params))
    return paginate(records, params, url="/v1/events", item_id=lambda r: r.id, render=ctx.app.render, label="event")


def retrieve_event(ctx: Context, params: dict[str, Any], event_id: str) -> dict[str, Any]:
    return ctx.app.render(ctx.store.get("event", event_id, ctx.account))


def routes() -> list[Route]:
    return [
        Route("GET", "/v1/events", "EventListParams", list_events),
        Route("GET", "/v1/events/{id}", "EventRetrieveParams", retrieve_event),
    ]
