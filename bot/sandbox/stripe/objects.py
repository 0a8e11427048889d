"""Stripe-shaped objects from the generated skeletons, and the update rules every resource shares.
(Which function renders each kind is registered on the dispatcher, ``app.renderer``.)"""

from __future__ import annotations

import json
from typing import Any

from .protocol import invalid
from .resource_types import field_names, nested_class, resource_class
from .shapes import SKELETONS, TEMPLATES


def current_fields(shape: dict[str, Any], cls: type | None) -> dict[str, Any]:
    """``shape`` without the keys the pinned SDK's class for it no longer has.

    Stripe's example objects lag behind its API (fixtures3.json still gives invoices the ``subscription``
    Stripe removed in 2025); the SDK's generated classes are the API version's own word on what exists.
    """
    if cls is None:
        return shape
    names = field_names(cls)
    return {
        key: current_fields(value, nested_class(cls, key)) if isinstance(value, dict) else value
        for key, value in shape.items()
        if key in names
    }


def _current(kind: str, shape: dict[str, Any]) -> dict[str, Any]:
    return current_fields(shape, resource_class(kind.removeprefix("deleted_")))


# Serialised once: json.loads is the fastest way to get an independent deep copy.
_SKELETON_JSON = {kind: json.dumps(_current(kind, shape)) for kind, shape in SKELETONS.items()}
_TEMPLATE_JSON = {kind: json.dumps(_current(kind, shape)) for kind, shape in TEMPLATES.items()}


def fresh(kind: str) -> dict[str, Any]:
    """A new, independent copy of Stripe's shape for ``kind``."""
    return json.loads(_SKELETON_JSON[kind])


def template(kind: str) -> dict[str, Any]:
    """The full nested structure of ``kind`` with neutral values, for building sub-objects."""
    return json.loads(_TEMPLATE_JSON[kind])


def public(state: dict[str, Any]) -> dict[str, Any]:
    """State without the emulator's private bookkeeping (keys starting with "_")."""
    return {k: v for k, v in state.items() if not k.startswith("_")}


def merge_metadata(current: dict[str, str] | None, update: Any) -> dict[str, str]:
    """Stripe's metadata update rules: "" clears all, a key set to "" is removed, others merge."""
    if update == "":
        return {}
    merged = dict(current or {})
    for key, value in update.items():
        if value == "":
            merged.pop(key, None)
        else:
            if len(key) > 40:
                raise invalid("Metadata keys can have up to 40 characters.", param=f"metadata[{key}]")
            if len(value) > 500:
                raise invalid("Metadata values can have up to 500 characters.", param=f"metadata[{key}]")
            merged[key] = value
    if len(merged) > 50:
        raise invalid("Metadata can have up to 50 keys.", param="metadata")
    return merged


def changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``previous_attributes`` for an ``*.updated`` event: the old value of each changed top-level key."""
    return {k: before.get(k) for k in after if not k.startswith("_") and before.get(k) != after.get(k)}
