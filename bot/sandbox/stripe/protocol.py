"""Stripe's wire protocol: bracketed form bodies, multipart uploads, errors, ids and list pages."""

from __future__ import annotations

import json
import random
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

_ALPHABET = string.ascii_letters + string.digits
# Ids need to be unique, not secret; SystemRandom would cost a syscall per character.
_rng = random.Random()

ERROR_DOCS = "https://stripe.com/docs/error-codes/"


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(_rng.choices(_ALPHABET, k=length))


class StripeError(Exception):
    """An error answered in Stripe's ``{"error": {...}}`` shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.extra = extra

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.type}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = ERROR_DOCS + self.code.replace("_", "-")
        if self.param:
            error["param"] = self.param
        error.update(self.extra)
        return {"error": error}


class OAuthError(Exception):
    """OAuth endpoints answer ``{"error": "invalid_grant", "error_description": ...}`` instead."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.description}


def invalid(message: str, *, param: str | None = None, code: str | None = None, **extra: Any) -> StripeError:
    return StripeError(400, message, param=param, code=code, **extra)


def no_such(label: str, object_id: str, *, param: str | None = None) -> StripeError:
    """Stripe's ``resource_missing``: 404 for the object the URL names, 400 for one a parameter names."""
    status = 404 if param is None else 400
    return StripeError(status, f"No such {label}: '{object_id}'", code="resource_missing", param=param or "id")


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _split_key(key: str) -> list[str]:
    # "line_items[0][price_data][unit_amount]" -> ["line_items", "0", "price_data", "unit_amount"]
    head, bracket, rest = key.partition("[")
    parts = [head]
    if bracket:
        parts.extend(rest.rstrip("]").split("]["))
    return parts


def _insert(tree: dict[str, Any], key: str, value: Any) -> None:
    parts = _split_key(key)
    node = tree
    for part in parts[:-1]:
        if part == "":
            part = str(len(node))
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    last = parts[-1]
    node[str(len(node)) if last == "" else last] = value


def decode_form(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Nest bracketed keys. Arrays stay dicts keyed "0", "1", … until validation knows a list is wanted."""
    tree: dict[str, Any] = {}
    for key, value in pairs:
        _insert(tree, key, value)
    return tree


def decode_query(text: str) -> dict[str, Any]:
    return decode_form(parse_qsl(text, keep_blank_values=True))


def decode_multipart(body: bytes, content_type: str) -> dict[str, Any]:
    boundary = ""
    for piece in content_type.split(";"):
        param, _, value = piece.strip().partition("=")
        if param.lower() == "boundary":
            boundary = value.strip('"')
    if not boundary:
        raise invalid("Invalid multipart body: no boundary")
    pairs: list[tuple[str, Any]] = []
    for chunk in body.split(b"--" + boundary.encode())[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        disposition: dict[str, str] = {}
        part_type = "application/octet-stream"
        for line in head.decode("utf-8", "replace").split("\r\n"):
            header, _, value = line.partition(":")
            if header.lower() == "content-disposition":
                for item in value.split(";")[1:]:
                    k, _, v = item.strip().partition("=")
                    disposition[k] = v.strip('"')
            elif header.lower() == "content-type":
                part_type = value.strip()
        name = disposition.get("name")
        if name is None:
            continue
        if "filename" in disposition:
            pairs.append((name, UploadedFile(disposition["filename"], part_type, data)))
        else:
            pairs.append((name, data.decode("utf-8", "replace")))
    return decode_form(pairs)


def list_object(url: str, data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def paginate(
    items: Iterable[Any],
    params: dict[str, Any],
    *,
    url: str,
    item_id: Callable[[Any], str],
    render: Callable[[Any], dict[str, Any]],
    label: str,
) -> dict[str, Any]:
    """Page through ``items`` (newest first) the way Stripe's list endpoints do."""
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", param="limit")
    starting_after = params.get("starting_after")
    ending_before = params.get("ending_before")
    if starting_after and ending_before:
        raise invalid(
            "You may only specify one of these parameters: ending_before, starting_after.",
            param="ending_before",
        )
    if ending_before:
        ordered = list(items)
        ids = [item_id(item) for item in ordered]
        if ending_before not in ids:
            raise no_such(label, ending_before, param="ending_before")
        cut = ids.index(ending_before)
        before = ordered[:cut]
        page = before[-limit:]
        return list_object(url, [render(i) for i in page], len(before) > limit)
    page = []
    has_more = False
    seen_cursor = starting_after is None
    for item in items:
        if not seen_cursor:
            seen_cursor = item_id(item) == starting_after
            continue
        if len(page) == limit:
            has_more = True
            break
        page.append(item)
    if not seen_cursor:
        raise no_such(label, starting_after or "", param="starting_after")
    return list_object(url, [render(i) for i in page], has_more)
