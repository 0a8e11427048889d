"""Reading what a user entered in a modal: Slack's ``view.state.values``, which comes from outside.

``values`` is ``{block_id: {action_id: element_state}}``. Every reader tolerates a missing block, a
missing action or a value of the wrong type (a forged payload), and answers "nothing entered".
"""

from __future__ import annotations

from typing import Any

from bot.i18n import t

Values = dict[str, dict[str, Any]]


def element(values: Values, block_id: str, action_id: str | None = None) -> dict[str, Any]:
    """One input's state. Without ``action_id``: the block's action of the same name, else its only one."""
    block = values.get(block_id)
    if not isinstance(block, dict) or not block:
        return {}
    found = block.get(action_id) if action_id is not None else block.get(block_id) or next(iter(block.values()))
    return found if isinstance(found, dict) else {}


def selected(values: Values, block_id: str, action_id: str | None = None) -> str | None:
    """The value of a single select's or radio group's chosen option."""
    chosen = element(values, block_id, action_id).get("selected_option")
    value = chosen.get("value") if isinstance(chosen, dict) else None
    return value if isinstance(value, str) and value else None


def text(values: Values, block_id: str, action_id: str | None = None) -> str:
    """A text input's value, stripped; "" when empty or absent."""
    value = element(values, block_id, action_id).get("value")
    return value.strip() if isinstance(value, str) else ""


def line(
    values: Values,
    block_id: str,
    limit: int,
    errors: dict[str, str],
    locale: str,
    *,
    required: bool = False,
    action_id: str | None = None,
) -> str | None:
    """A single-line text input with its inner whitespace collapsed, or None when empty; an empty required
    field, or one over ``limit`` characters, also puts its message under the block in ``errors``."""
    value = " ".join(text(values, block_id, action_id).split())
    if not value:
        if required:
            errors[block_id] = t(locale, "common.error.required")
        return None
    if len(value) > limit:
        errors[block_id] = t(locale, "common.error.too_long", limit=limit, length=len(value))
    return value
