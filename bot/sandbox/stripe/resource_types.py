"""What the installed ``stripe`` package says about a response object's fields.

The SDK's resource classes are generated from Stripe's OpenAPI spec, so their
annotations tell us which fields Stripe documents as nullable and which nested
class describes a sub-object. The shape generator (tools/gen_stripe_shapes.py)
and the shape tests both lean on this, so they agree on what "nullable" means.
"""

from __future__ import annotations

import importlib
import inspect
import types
import typing
from typing import Any

from stripe._object_classes import OBJECT_CLASSES
from stripe._stripe_object import StripeObject


def resource_class(object_name: str) -> type | None:
    """The SDK class for an ``object`` value such as "invoice" or "checkout.session"."""
    entry = OBJECT_CLASSES.get(object_name)
    if entry is None:
        return None
    module_name, class_name = entry
    return getattr(importlib.import_module(module_name), class_name)


def field_names(cls: type) -> frozenset[str]:
    """The response fields the SDK declares on ``cls`` (its annotations, ``object`` included)."""
    names: set[str] = set()
    for klass in cls.__mro__:
        if issubclass(klass, StripeObject) and klass is not StripeObject:
            names.update(k for k in inspect.get_annotations(klass) if not k.startswith("_") and k != "OBJECT_NAME")
    return frozenset(names | {"object"})


def _annotation(cls: type, key: str) -> Any:
    for klass in cls.__mro__:
        annotations = inspect.get_annotations(klass)
        if key in annotations:
            return annotations[key]
    return None


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def is_nullable(cls: type | None, key: str) -> bool:
    """True when the SDK types ``key`` on ``cls`` as Optional (Stripe: nullable)."""
    if cls is None:
        return False
    tp = _annotation(cls, key)
    return _is_union(tp) and type(None) in typing.get_args(tp)


def nested_class(cls: type | None, key: str) -> type | None:
    """The StripeObject subclass describing the sub-object (or list items) at ``key``."""
    if cls is None:
        return None
    pending = [_annotation(cls, key)]
    while pending:
        tp = pending.pop()
        if isinstance(tp, type) and issubclass(tp, StripeObject) and tp is not StripeObject:
            return tp
        pending.extend(a for a in typing.get_args(tp) if not isinstance(a, typing.ForwardRef))
    return None
