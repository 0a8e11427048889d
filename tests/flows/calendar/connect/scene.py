"""Driving `/billing calendar` as a person does: the command, the form's fields, its submission, the buttons,
and what the modal then shows (the Slack stand-in's record of it)."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import func, select

from bot.models import (
    Appointment,
    CalendarClientRule,
    CalendarEvent,
    CalendarFeed,
    CalendarServiceRule,
    Client,
    Service,
)
from bot.sandbox.slack import check_view
from flows.calendar.connect import ids
from flows.clients.logic import fold_name
from tests.conftest import ADMIN, TEAM_ID, Billbot
from tests.harness.views import filled_view

LONG = 20.0  # a sync is real HTTP to the feed server, parsing and writing: give it room on a loaded machine


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view.get("blocks", []), ensure_ascii=False)


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def open_calendar(bb: Billbot, user: str = ADMIN, callback_id: str | None = None) -> dict[str, Any]:
    bb.workspace.close_views(user)  # else a modal already open would pass for the one the command opens
    response = bb.requests.command("/billing", "calendar", user=user)
    assert response.status_code == 200
    view = filled_view(bb.slack, bb.workspace, user, callback_id=callback_id, timeout=LONG)
    assert check_view(view) == []
    return view


def form(
    *,
    url: str | None = None,
    files: list[dict[str, Any]] | None = None,
    default: int | None = None,
    no_show: int | None = None,
    prompt: bool = False,
    minutes: str = "5",
) -> dict[str, Any]:
    """The connect form's (or the connected view's settings') state as Slack sends it."""

    def choice(value: int | None) -> dict[str, Any]:
        return {"type": "static_select", "selected_option": {"value": str(value) if value else ids.NO_SERVICE}}

    values: dict[str, Any] = {
        ids.DEFAULT_SERVICE: {ids.DEFAULT_SERVICE: choice(default)},
        ids.NO_SHOW_SERVICE: {ids.NO_SHOW_SERVICE: choice(no_show)},
        ids.PROMPT: {
            ids.PROMPT: {"type": "checkboxes", "selected_options": [{"value": ids.PROMPT_ON}] if prompt else []}
        },
        ids.PROMPT_MINUTES: {ids.PROMPT_MINUTES: {"type": "static_select", "selected_option": {"value": minutes}}},
    }
    if url is not None or files is not None:
        values[ids.URL] = {ids.URL: {"type": "plain_text_input", "value": url}}
        values[ids.FILE] = {ids.FILE: {"type": "file_input", "files": files or []}}
    return values


def submit(bb: Billbot, view: dict[str, Any], values: dict[str, Any], user: str = ADMIN) -> dict[str, Any]:
    response = bb.requests.submit(view, values, user=user)
    assert response.status_code == 200
    answer: dict[str, Any] = response.json() if response.content else {}
    return answer


def wait_view(bb: Billbot, view_id: str, callback_id: str, needle: str = "", timeout: float = LONG) -> dict[str, Any]:
    """The modal ``view_id`` once Billbot has redrawn it as ``callback_id`` (showing ``needle``)."""

    def redrawn() -> dict[str, Any] | None:
        try:
            view = bb.workspace.view(view_id)
        except KeyError:
            return None
        return view if view["callback_id"] == callback_id and needle in text_of(view) else None

    found: dict[str, Any] = bb.slack.wait_for(redrawn, timeout=timeout)
    assert check_view(found) == []
    return found


def connect(bb: Billbot, url: str, user: str = ADMIN, **settings: Any) -> dict[str, Any]:
    """Connect ``url`` through the modal; the connected view."""
    view = open_calendar(bb, user, ids.CONNECT_CALLBACK)
    answer = submit(bb, view, form(url=url, **settings), user)
    assert answer["response_action"] == "update", answer
    assert answer["view"]["callback_id"] == ids.READING_CALLBACK
    return wait_view(bb, view["id"], ids.CONNECTED_CALLBACK)


def click(bb: Billbot, view: dict[str, Any], action_id: str, value: str, user: str = ADMIN) -> None:
    response = bb.requests.click(action_id, user=user, value=value, view=view)
    assert response.status_code == 200


# -- rows ------------------------------------------------------------------------------------------------------


def add_service(bb: Billbot, name: str, amount: int = 8000) -> int:
    with bb.app.services.db.session() as session:
        row = Service(team_id=TEAM_ID, name=name, unit_amount=amount, currency="eur")
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def add_client(bb: Billbot, name: str, email: str | None = None) -> int:
    with bb.app.services.db.session() as session:
        row = Client(team_id=TEAM_ID, name=name, name_key=fold_name(name), email=email)
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def count(bb: Billbot, model: Any, *where: Any) -> int:
    with bb.app.services.db.session() as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def feeds(bb: Billbot) -> list[CalendarFeed]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(CalendarFeed)))


def calendar_sessions(bb: Billbot, client_id: int | None = None) -> list[Appointment]:
    with bb.app.services.db.session() as session:
        statement = select(Appointment).where(Appointment.source == "calendar")
        if client_id is not None:
            statement = statement.where(Appointment.client_id == client_id)
        return list(session.exec(statement))


def events(bb: Billbot) -> list[CalendarEvent]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(CalendarEvent)))


def client_rules(bb: Billbot) -> list[CalendarClientRule]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(CalendarClientRule)))


def service_rules(bb: Billbot) -> list[CalendarServiceRule]:
    with bb.app.services.db.session() as session:
        return list(session.exec(select(CalendarServiceRule)))


def nothing_saved(bb: Billbot) -> None:
    assert feeds(bb) == []
    assert events(bb) == []
    assert count(bb, Appointment) == 0
