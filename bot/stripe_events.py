"""Routes verified Stripe events to the flows that registered for their type, each event once."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bot.db import Database

log = logging.getLogger(__name__)

EventHandler = Callable[[dict[str, Any]], None]


class StripeEvents:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._handlers: dict[str, list[EventHandler]] = defaultdict(list)

    def on(self, event_type: str, handler: EventHandler) -> None:
        self._handlers[event_type].append(handler)

    def handle(self, event: dict[str, Any]) -> bool:
        """Run the handlers for a verified event; False when it had already been handled.

        The claim is released when a handler fails, so Stripe's retry of the same event gets another go.
        """
        scope = event.get("account") or "platform"
        if not self._db.claim_once(scope, "stripe_event", event["id"]):
            log.info("Stripe event %s already handled", event["id"])
            return False
        try:
            for handler in self._handlers.get(event["type"], []):
                handler(event)
        except Exception:
            self._db.release(scope, "stripe_event", event["id"])
            raise
        return True
