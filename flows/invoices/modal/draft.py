"""What the invoice modal holds right now: its lines and what is typed in them, read back from Slack's view.

The modal is rebuilt from a Draft each time it changes (a line added or removed, a service chosen, a
number typed): the view's private_metadata keeps its shape (which lines, under which keys, for which
sessions) and view.state.values what the user typed. Both come back to us in every interaction payload.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from bot import view_state
from bot.typed_numbers import whole_number
from flows.invoices import ids

Values = view_state.Values


@dataclass(frozen=True)
class LineDraft:
    key: int
    revision: int = 0
    appointment_id: int | None = None
    service_date: str | None = None  # YYYY-MM-DD, as Slack's datepicker gives it
    service: str | None = None  # a service id, or ids.NONE_VALUE / None
    description: str = ""
    quantity: str = "1"
    price: str = ""
    tax: str | None = None  # a tax rate id, or ids.NONE_VALUE / None

    @property
    def service_id(self) -> int | None:
        return whole_number(self.service)

    @property
    def tax_rate_id(self) -> int | None:
        return whole_number(self.tax)


@dataclass(frozen=True)
class ClientChoice:
    id: int
    label: str


@dataclass(frozen=True)
class Draft:
    channel_id: str | None
    lines: tuple[LineDraft, ...]
    next_key: int
    client: ClientChoice | None = None
    client_revision: int = 0
    due_date: str | None = None
    memo: str = ""
    # Sessions left out because the modal was full: said in the modal, they stay uninvoiced.
    sessions_left_out: int = 0
    # A correction (flows.invoices.correction): the invoice this one replaces, its id and number (the title).
    replaces: int | None = None
    replaces_number: str | None = None

    @property
    def appointment_ids(self) -> tuple[int, ...]:
        return tuple(line.appointment_id for line in self.lines if line.appointment_id is not None)

    def metadata(self) -> str:
        shape: dict[str, Any] = {
            "ch": self.channel_id,
            "cr": self.client_revision,
            "nk": self.next_key,
            "ln": [[line.key, line.revision, line.appointment_id or 0] for line in self.lines],
        }
        if self.sessions_left_out:
            shape["lo"] = self.sessions_left_out
        if self.replaces is not None:
            shape["rp"] = [self.replaces, self.replaces_number or ""]
        return json.dumps(shape, separators=(",", ":"))

    def with_line(self, line: LineDraft) -> Draft:
        return replace(self, lines=(*self.lines, line), next_key=max(self.next_key, line.key + 1))

    def new_line(self, today: date) -> Draft:
        return self.with_line(LineDraft(key=self.next_key, service_date=today.isoformat()))

    def without_line(self, key: int) -> Draft:
        kept = tuple(line for line in self.lines if line.key != key)
        return replace(self, lines=kept) if kept else self  # a modal always keeps one line

    def replace_line(self, line: LineDraft) -> Draft:
        return replace(self, lines=tuple(line if old.key == line.key else old for old in self.lines))

    def line(self, key: int) -> LineDraft | None:
        return next((line for line in self.lines if line.key == key), None)


def from_view(view: dict[str, Any], max_lines: int) -> Draft:
    """The draft a view shows, with what the user typed in it (view.state.values)."""
    try:
        shape = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        shape = {}
    if not isinstance(shape, dict):
        shape = {}
    values: Values = (view.get("state") or {}).get("values") or {}
    client_revision = _int(shape.get("cr"))
    lines: list[LineDraft] = []
    seen: set[int] = set()
    for entry in shape.get("ln") or []:
        if not isinstance(entry, list) or len(entry) != 3 or len(lines) >= max_lines:
            continue
        key, revision, appointment = (_int(item) for item in entry)
        if key in seen:
            continue
        seen.add(key)

        def value(name: str, rev: int = revision, k: int = key) -> dict[str, Any]:
            return view_state.element(values, ids.line_block(k, name, rev), ids.line_action(name))

        def chosen(name: str, rev: int = revision, k: int = key) -> str | None:
            return view_state.selected(values, ids.line_block(k, name, rev), ids.line_action(name))

        lines.append(
            LineDraft(
                key=key,
                revision=revision,
                appointment_id=appointment or None,
                service_date=_str(value(ids.LINE_DATE).get("selected_date")),
                service=chosen(ids.LINE_SERVICE),
                description=_str(value(ids.LINE_DESCRIPTION).get("value")) or "",
                quantity=_str(value(ids.LINE_QUANTITY).get("value")) or "",
                price=_str(value(ids.LINE_PRICE).get("value")) or "",
                tax=chosen(ids.LINE_TAX),
            )
        )
    client = view_state.element(values, ids.client_block(client_revision), ids.CLIENT_ACTION).get("selected_option")
    choice = None
    client_id = whole_number(client.get("value")) if isinstance(client, dict) else None
    if isinstance(client, dict) and client_id is not None:
        label = (client.get("text") or {}).get("text") if isinstance(client.get("text"), dict) else None
        choice = ClientChoice(client_id, str(label or client["value"]))
    channel = shape.get("ch")
    return Draft(
        channel_id=channel if isinstance(channel, str) and channel else None,
        lines=tuple(lines),
        next_key=max([_int(shape.get("nk")), *(line.key + 1 for line in lines)]),
        client=choice,
        client_revision=client_revision,
        due_date=_str(view_state.element(values, ids.DUE_BLOCK, ids.DUE_BLOCK).get("selected_date")),
        memo=_str(view_state.element(values, ids.MEMO_BLOCK, ids.MEMO_BLOCK).get("value")) or "",
        sessions_left_out=_int(shape.get("lo")),
        **_replaces(shape.get("rp")),
    )


def _replaces(value: Any) -> dict[str, Any]:
    """The corrected invoice named in the metadata (its number only titles the modal; the id is checked on submit)."""
    if not isinstance(value, list) or len(value) != 2 or not _int(value[0]) or not isinstance(value[1], str):
        return {}
    return {"replaces": _int(value[0]), "replaces_number": value[1][:16]}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**9 else 0
