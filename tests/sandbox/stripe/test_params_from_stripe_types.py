"""Requests are held to the parameter TypedDicts that the installed stripe package ships.

For every endpoint the emulator serves: each top-level parameter the SDK types allow is
accepted, an unknown one is refused with ``parameter_unknown``, and a value outside an enum
is refused, as real Stripe does.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from stripe._request_options import RequestOptions

from bot.sandbox.stripe import StripeEmulator, checks
from bot.sandbox.stripe.app import Route
from bot.sandbox.stripe.params import AnyOf, Enum, ListOf, MapOfStr, Node, Obj, Scalar, params_class, validate
from bot.sandbox.stripe.protocol import StripeError

_probe = StripeEmulator()
API_ROUTES: list[Route] = [r for r in _probe.app.routes if r.params]
SCALAR_SAMPLES = {"str": "x", "int": "1", "float": "1.5", "bool": "true", "decimal": "1.5", "any": "x"}


def text_sample(key: str) -> str:
    """A string Stripe accepts for a parameter of this name (bot/sandbox/stripe/checks.py checks some by name)."""
    if key in checks.CURRENCY_KEYS:
        return "usd"
    if key == "country":
        return "US"
    if key in checks.EMAIL_KEYS:
        return "pat@example.com"
    if key == "url" or key.endswith("_url"):
        return "https://example.com/x"
    return "x"


def sample(node: Node, key: str = "") -> Any:
    """A form-decoded value that the node accepts."""
    if isinstance(node, Scalar):
        return text_sample(key) if node.kind == "str" else SCALAR_SAMPLES[node.kind]
    if isinstance(node, Enum):
        return node.values[0]
    if isinstance(node, ListOf):
        return {"0": sample(node.item, key)}
    if isinstance(node, MapOfStr):
        return {"k": "v"}
    if isinstance(node, Obj):
        return {name: sample(node.fields[name], name) for name in node.required}
    assert isinstance(node, AnyOf)
    return sample(node.options[0], key) if node.options else ""


def required_sample(schema: Obj) -> dict[str, Any]:
    return {key: sample(schema.fields[key], key) for key in schema.required}


def has_enum(node: Node) -> bool:
    return isinstance(node, Enum) or (isinstance(node, AnyOf) and any(isinstance(o, Enum) for o in node.options))


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        pairs: list[tuple[str, str]] = []
        for key, sub in value.items():
            pairs.extend(flatten(sub, f"{prefix}[{key}]" if prefix else key))
        return pairs
    return [(prefix, value)]


def concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", "x_123", path)


def route_id(route: Route) -> str:
    return f"{route.method} {route.pattern}"


@pytest.mark.parametrize("route", API_ROUTES, ids=route_id)
def test_schema_has_exactly_the_sdk_parameters(route: Route) -> None:
    cls = params_class(route.params or "")
    sdk_keys = {k for k in cls.__annotations__ if k not in RequestOptions.__annotations__}
    schema = _probe.app._schemas[route.params or ""]
    assert set(schema.fields) == sdk_keys
    assert schema.required == {k for k in cls.__required_keys__ if k not in RequestOptions.__annotations__}


@pytest.mark.parametrize("route", API_ROUTES, ids=route_id)
def test_every_sdk_parameter_is_accepted_by_the_validator(route: Route) -> None:
    schema = _probe.app._schemas[route.params or ""]
    for name, node in schema.fields.items():
        validate(schema, {**required_sample(schema), name: sample(node, name)})


@pytest.mark.parametrize("route", API_ROUTES, ids=route_id)
def test_unknown_parameter_is_refused_over_http(
    route: Route, emu: StripeEmulator, http: httpx.Client, auth: dict[str, str]
) -> None:
    pairs = [*flatten(required_sample(emu.app._schemas[route.params or ""])), ("zzz_not_a_param", "1")]
    if route.method == "POST":
        response = http.post(concrete(route.pattern), data=dict(pairs), headers=auth)
    else:
        response = http.request(route.method, concrete(route.pattern), params=pairs, headers=auth)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "parameter_unknown"
    assert error["param"] == "zzz_not_a_param"
    assert error["message"] == "Received unknown parameter: zzz_not_a_param"


ENUM_CASES = [
    (route, name)
    for route in API_ROUTES
    for name, node in _probe.app._schemas[route.params or ""].fields.items()
    if has_enum(node)
]


@pytest.mark.parametrize("route,name", ENUM_CASES, ids=[f"{route_id(r)} {n}" for r, n in ENUM_CASES])
def test_out_of_enum_value_is_refused_over_http(
    route: Route, name: str, emu: StripeEmulator, http: httpx.Client, auth: dict[str, str]
) -> None:
    params = {**required_sample(emu.app._schemas[route.params or ""]), name: "not_a_listed_value"}
    if route.method == "POST":
        response = http.post(concrete(route.pattern), data=dict(flatten(params)), headers=auth)
    else:
        response = http.request(route.method, concrete(route.pattern), params=flatten(params), headers=auth)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == name
    assert error["message"].startswith(f"Invalid {name}: must be one of ")


def test_enum_widened_with_str_by_the_sdk_is_still_closed() -> None:
    schema = _probe.app._schemas["TaxRateCreateParams"]
    base = {"display_name": "VAT", "percentage": "20", "inclusive": "false"}
    assert validate(schema, {**base, "tax_type": "vat"})["tax_type"] == "vat"
    with pytest.raises(StripeError) as error:
        validate(schema, {**base, "tax_type": "made_up_tax"})
    assert error.value.param == "tax_type"


def test_percentage_is_not_updatable_because_the_sdk_has_no_such_update_param() -> None:
    schema = _probe.app._schemas["TaxRateUpdateParams"]
    for immutable in ("percentage", "inclusive"):
        with pytest.raises(StripeError) as error:
            validate(schema, {immutable: "1"})
        assert error.value.code == "parameter_unknown"
