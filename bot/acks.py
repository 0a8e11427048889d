"""The ack every listener uses when its answer is all in its lazy parts."""

from __future__ import annotations

from slack_bolt import Ack


def ack_now(ack: Ack) -> None:
    """Answer Slack at once (an empty 200): the work runs after, from the durable queue."""
    ack()
