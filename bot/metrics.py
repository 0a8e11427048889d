"""What operators watch on GET /metrics: Prometheus counters and histograms, shared across processes.

`billbot serve` points PROMETHEUS_MULTIPROC_DIR at a temporary folder of its own before this module is
imported, and its worker processes inherit it: each process writes its samples to files there, and a
scrape in the server adds them up. Without it (tests, `billbot socket`) the samples are this process's.
The queue's depth and its oldest job are read from the database at each scrape, so they are exact
whichever process did the work.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Where bot.server puts the request's arrival (time.monotonic()) in the Bolt context.
RECEIVED_AT = "billbot_received_at"
CONTENT_TYPE = CONTENT_TYPE_LATEST
# A trigger_id lives 3 s: the buckets are dense below it, where the difference is felt.
_FAST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)

REQUESTS = Counter("billbot_slack_requests", "Signed Slack requests answered, by kind", ["kind"])
ACK_SECONDS = Histogram(
    "billbot_slack_ack_seconds", "From a Slack request's arrival to its HTTP answer, by kind", ["kind"], buckets=_FAST
)
MODAL_SECONDS = Histogram(
    "billbot_modal_open_seconds", "From a Slack request's arrival to its views.open or views.push", buckets=_FAST
)
JOBS = Counter("billbot_jobs", "Durable jobs run by the workers, by function and outcome", ["function", "outcome"])
AT_ONCE = Counter(
    "billbot_trigger_bound_runs", "Trigger-bound work run at once, by function and outcome", ["function", "outcome"]
)
SLACK_CALLS = Counter("billbot_slack_api_calls", "Slack Web API calls, by method", ["method"])
SLACK_ERRORS = Counter("billbot_slack_api_errors", "Slack Web API errors, by method and error", ["method", "error"])
STRIPE_CALLS = Counter("billbot_stripe_api_calls", "Stripe API calls, by method", ["method"])
STRIPE_ERRORS = Counter("billbot_stripe_api_errors", "Stripe API calls that failed, by method", ["method"])
WEBHOOK_EVENTS = Counter("billbot_stripe_webhook_events", "Verified Stripe webhook events, by type", ["type"])
REMINDERS = Counter("billbot_reminders_sent", "Payment reminders sent, by channel (email, digest)", ["channel"])

_KINDS = {
    "block_actions": "action",
    "block_suggestion": "action",
    "shortcut": "action",
    "message_action": "action",
    "view_submission": "view",
    "view_closed": "view",
    "event_callback": "event",
}


def request_kind(body: dict[str, Any]) -> str:
    """command, action, view or event: what a Slack request is, for the request and ack metrics."""
    if "command" in body:
        return "command"
    return _KINDS.get(str(body.get("type")), "other")


class MeteredWebClient(WebClient):
    """A Web API client that counts its calls and errors by method, and times the modals it opens.

    ``received_at`` (time.monotonic()) is when the Slack request it answers arrived; a trigger-bound run
    reads ``expired_trigger`` afterwards, since the flows log a failed views.open and carry on.
    """

    received_at: float | None = None
    expired_trigger: bool = False

    def api_call(self, api_method: str, **kwargs: Any) -> Any:
        SLACK_CALLS.labels(api_method).inc()
        try:
            response = super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown")
            SLACK_ERRORS.labels(api_method, error).inc()
            if error == "expired_trigger_id":
                self.expired_trigger = True
            raise
        if api_method in ("views.open", "views.push") and self.received_at is not None:
            MODAL_SECONDS.observe(time.monotonic() - self.received_at)
        return response

    @classmethod
    def like(cls, client: WebClient, received_at: float | None) -> MeteredWebClient:
        """The same client (token, URL, retries), metered."""
        metered = cls(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            ssl=client.ssl,
            proxy=client.proxy,
            headers=dict(client.headers),
            logger=client.logger,
            retry_handlers=list(client.retry_handlers),
        )
        metered.default_params = dict(client.default_params)  # the team_id Bolt gave it
        metered.received_at = received_at
        return metered


class QueueCollector(Collector):
    """The durable queue as it is in the database at the moment of the scrape."""

    def __init__(self, read: Any) -> None:
        self._read = read  # () -> (ready or running, failed, age of the oldest unfinished job in seconds)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth, failed, oldest = self._read()
        yield GaugeMetricFamily("billbot_work_queue_depth", "Durable jobs waiting or running", value=depth)
        yield GaugeMetricFamily(
            "billbot_work_queue_failed", "Durable jobs given up, kept for an operator", value=failed
        )
        yield GaugeMetricFamily(
            "billbot_work_queue_oldest_seconds", "Age of the oldest job waiting or running (0 when none)", value=oldest
        )


def exposition(queue_collector: QueueCollector) -> bytes:
    """The whole /metrics page: every process's samples, then the queue's gauges."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        shared = generate_latest(registry)
    else:
        shared = generate_latest(REGISTRY)
    queue = CollectorRegistry()
    queue.register(queue_collector)
    return shared + generate_latest(queue)


class MeterSlackCalls(Middleware):
    """Gives each request's listeners a MeteredWebClient in place of Bolt's plain one (same token and URL)."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        client = req.context.client
        if client is not None and not isinstance(client, MeteredWebClient):
            # A worker's replay has no arrival time: only modals opened within the request are timed.
            received_at = None if req.lazy_only else req.context.get(RECEIVED_AT)
            req.context["client"] = MeteredWebClient.like(client, received_at)
        return next()
