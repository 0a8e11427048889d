"""Request validation compiled from the parameter TypedDicts the installed ``stripe`` package ships.

Each endpoint names its params class (e.g. ``InvoiceCreateParams``); the schema is built from
its type hints at run time, so the emulator accepts exactly what the SDK (and Stripe's spec
behind it) accepts and refuses the rest with Stripe's error wording.

The SDK widens every enum to ``Literal[...] | str`` so that old clients survive new values;
Stripe's API itself only takes the listed values, so a Literal next to ``str`` is treated as
a closed enum. ``Literal['']`` next to a type means the parameter may be sent empty to unset it.
"""

from __future__ import annotations

import importlib
import threading
import typing
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NotRequired, Required

import stripe
from stripe._request_options import RequestOptions
from stripe._stripe_object import UntypedStripeObject

from .checks import check_field
from .protocol import StripeError, UploadedFile, invalid
from .resource_types import is_nullable


@dataclass(frozen=True)
class Scalar:
    kind: str  # "str" | "int" | "float" | "bool" | "decimal" | "any"


@dataclass(frozen=True)
class Enum:
    values: tuple[str, ...]


@dataclass
class ListOf:
    item: Node


@dataclass(frozen=True)
class MapOfStr:
    pass


@dataclass
class Obj:
    name: str
    fields: dict[str, Node]
    required: frozenset[str]


@dataclass
class AnyOf:
    options: list[Node]
    emptyable: bool


Node = Scalar | Enum | ListOf | MapOfStr | Obj | AnyOf

_SCALARS: dict[Any, str] = {str: "str", int: "int", float: "float", bool: "bool", Decimal: "decimal", Any: "any"}
_cache: dict[Any, Obj] = {}
_lock = threading.Lock()
_REQUEST_OPTION_KEYS = frozenset(RequestOptions.__annotations__)


def _own_hints(cls: type) -> dict[str, Any]:
    # get_type_hints on the class itself trips over names RequestOptions only imports for type
    # checkers; evaluating the class's own fields in its module's namespace avoids that.
    own = {k: v for k, v in cls.__annotations__.items() if k not in _REQUEST_OPTION_KEYS}
    probe = type("Probe", (), {"__annotations__": own, "__module__": cls.__module__})
    return typing.get_type_hints(probe, include_extras=True)


def _is_typeddict(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def compile_typeddict(cls: type) -> Obj:
    with _lock:
        return _compile_obj(cls)


def _compile_obj(cls: type[Any]) -> Obj:
    cached = _cache.get(cls)
    if cached is not None:
        return cached
    obj = Obj(cls.__name__, {}, frozenset())
    _cache[cls] = obj  # before recursing, in case a type refers back to itself
    required = set()
    for key, tp in _own_hints(cls).items():
        origin = typing.get_origin(tp)
        if origin is Required:
            required.add(key)
        if origin in (Required, NotRequired):
            tp = typing.get_args(tp)[0]
        elif key in cls.__required_keys__:
            required.add(key)
        obj.fields[key] = _compile(tp)
    obj.required = frozenset(required)
    return obj


def _compile(tp: Any) -> Node:
    if tp in _SCALARS:
        return Scalar(_SCALARS[tp])
    if _is_typeddict(tp):
        return _compile_obj(tp)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Literal:
        values = tuple(str(a).lower() if isinstance(a, bool) else str(a) for a in args)
        if "" in values:
            rest = tuple(v for v in values if v)
            return AnyOf([Enum(rest)] if rest else [], emptyable=True)
        return Enum(values)
    if origin is list:
        return ListOf(_compile(args[0]))
    if origin is dict or origin is UntypedStripeObject or tp is UntypedStripeObject:
        return MapOfStr()
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        literals: list[str] = []
        others: list[Node] = []
        for arg in args:
            if typing.get_origin(arg) is typing.Literal:
                literals.extend(str(a) for a in typing.get_args(arg))
            elif arg is type(None):
                continue
            else:
                others.append(_compile(arg))
        emptyable = "" in literals
        values = tuple(v for v in literals if v != "")
        options: list[Node] = []
        if values:
            options.append(Enum(values))
        # An enum widened with "|str" is still the enum; any other option stays.
        options.extend(o for o in others if not (values and o == Scalar("str")))
        unique: list[Node] = []
        for option in options:
            if option not in unique:
                unique.append(option)
        if len(unique) == 1 and not emptyable:
            return unique[0]
        return AnyOf(unique, emptyable)
    return Scalar("any")


def params_class(name: str) -> type:
    """Find e.g. ``InvoiceCreateParams`` or ``checkout.SessionCreateParams`` in ``stripe.params``."""
    package, _, class_name = name.rpartition(".")
    module_path = "stripe.params" + (f".{package}" if package else "")
    snake = "".join("_" + c.lower() if c.isupper() else c for c in class_name).lstrip("_")
    module = importlib.import_module(f"{module_path}._{snake}")
    return getattr(module, class_name)


def schema_for(name: str) -> Obj:
    return compile_typeddict(params_class(name))


# --- validation -------------------------------------------------------------------------------


def _path(prefix: str, key: str) -> str:
    return f"{prefix}[{key}]" if prefix else key


def _enum_message(param: str, values: tuple[str, ...]) -> str:
    shown = list(values)
    listed = " or ".join(shown) if len(shown) <= 2 else ", ".join(shown[:-1]) + ", or " + shown[-1]
    return f"Invalid {param}: must be one of {listed}"


def _empty_error(param: str) -> StripeError:
    return invalid(
        f"You passed an empty string for '{param}'. We assume empty values are an attempt to unset a "
        f"parameter; however '{param}' cannot be unset. You should remove '{param}' from your request "
        "or supply a non-empty value.",
        param=param,
        code="parameter_invalid_empty",
    )


def unsettable_strings(params_name: str) -> frozenset[str]:
    """Top-level string parameters of an update that ``""`` unsets: those the object types as nullable.

    The SDK marks ``Literal['']`` only where "" means something for a non-string type; a plain optional
    string such as a customer's ``email`` is unset with "" too, as long as the object may have it null.
    """
    package, _, class_name = params_name.rpartition(".")
    if not class_name.endswith("UpdateParams"):
        return frozenset()
    namespace = getattr(stripe, package) if package else stripe
    resource = getattr(namespace, class_name.removesuffix("UpdateParams"), None)
    schema = schema_for(params_name)
    return frozenset(key for key, node in schema.fields.items() if node == Scalar("str") and is_nullable(resource, key))


def validate(schema: Obj, data: dict[str, Any], unsettable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Check decoded params against ``schema``; return them with typed values (``unsettable`` keys may be "")."""
    return _validate_obj(schema, data, "", unsettable)


def _validate_obj(schema: Obj, data: Any, prefix: str, unsettable: frozenset[str] = frozenset()) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise invalid("Invalid hash", param=prefix or None)
    out: dict[str, Any] = {}
    for key, value in data.items():
        node = schema.fields.get(key)
        param = _path(prefix, key)
        if key in unsettable and value == "":
            out[key] = ""
            continue
        if node is None:
            raise invalid(f"Received unknown parameter: {param}", param=param, code="parameter_unknown")
        out[key] = _validate(node, value, param)
        check_field(key, out[key], param)
    for key in sorted(schema.required):
        if key not in data:
            param = _path(prefix, key)
            raise invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")
    return out


def _as_list(value: Any, param: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    raise invalid("Invalid array", param=param)


def _validate(node: Node, value: Any, param: str) -> Any:
    if isinstance(node, Scalar):
        return _scalar(node.kind, value, param)
    if isinstance(node, Enum):
        if not isinstance(value, str):
            raise invalid(_enum_message(param, node.values), param=param)
        if value == "":
            raise _empty_error(param)
        if value not in node.values:
            raise invalid(_enum_message(param, node.values), param=param)
        return value
    if isinstance(node, ListOf):
        return [_validate(node.item, item, f"{param}[{i}]") for i, item in enumerate(_as_list(value, param))]
    if isinstance(node, MapOfStr):
        if not isinstance(value, dict):
            raise invalid("Invalid hash", param=param)
        for key, item in value.items():
            if not isinstance(item, str):
                raise invalid("Invalid string", param=f"{param}[{key}]")
        return dict(value)
    if isinstance(node, Obj):
        return _validate_obj(node, value, param)
    return _any_of(node, value, param)


def _any_of(node: AnyOf, value: Any, param: str) -> Any:
    if value == "":
        if node.emptyable:
            return ""
        raise _empty_error(param)
    structured = isinstance(value, (dict, list))
    first_error: StripeError | None = None
    for option in node.options:
        if structured != isinstance(option, (Obj, ListOf, MapOfStr)):
            continue
        if isinstance(option, ListOf) and isinstance(value, dict) and not all(k.isdigit() for k in value):
            continue
        try:
            return _validate(option, value, param)
        except StripeError as error:
            first_error = first_error or error
    if first_error is not None:
        raise first_error
    raise invalid("Invalid hash" if structured else f"Invalid value for {param}", param=param)


def _scalar(kind: str, value: Any, param: str) -> Any:
    if kind == "any":
        return value
    if isinstance(value, UploadedFile):
        raise invalid(f"Invalid {kind} for {param}: a file was sent", param=param)
    if isinstance(value, (dict, list)):
        raise invalid("Invalid hash" if isinstance(value, dict) else "Invalid array", param=param)
    if kind == "str":
        if value == "":
            raise _empty_error(param)
        return value
    if value == "":
        raise _empty_error(param)
    if kind == "int":
        try:
            return int(value)
        except ValueError:
            raise invalid(f"Invalid integer: {value}", param=param, code="parameter_invalid_integer") from None
    if kind == "bool":
        if value in ("true", "false"):
            return value == "true"
        raise invalid(f"Invalid boolean: {value}", param=param)
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise invalid(f"Invalid decimal: {value}", param=param) from None
    if not number.is_finite():
        raise invalid(f"Invalid decimal: {value}", param=param)
    return number if kind == "decimal" else float(number)
