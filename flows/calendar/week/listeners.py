"""The week view's buttons: Invoice (one session) and Invoice the week (a client's sessions of that week).

Both open the invoice modal prefilled (``services.invoice_modal``, bot/flow_hooks.py): the trigger_id is used at
once on a light modal, then the sessions are read again, since the Home may be stale. What is no longer to
invoice gets a short notice in that modal instead of a second invoice; nothing is written here (the invoice
modal's submission is the invoices flow's, done once).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot import modals
from bot.acks import ack_now
from bot.i18n import t
from bot.models import utcnow
from bot.permissions import is_billing_admin
from bot.services import Services
from bot.slack_users import locale_of
from bot.typed_numbers import whole_number
from bot.work_queue import after_opens, trigger_bound
from flows.calendar.week import ids, logic, views

log = logging.getLogger(__name__)


class WeekListeners:
    def __init__(self, services: Services) -> None:
        self.services = services

    @trigger_bound
    def invoice_clicked(self, body: dict[str, Any], client: WebClient) -> None:
        shown = modals.open_loading(client, body["trigger_id"])
        if shown is not None:
            after_opens(lambda: self._fill(body, client, shown))

    def _fill(self, body: dict[str, Any], client: WebClient, shown: modals.Shown) -> None:
        services = self.services
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(services, client, team_id, user_id)
        invoice_modal = services.invoice_modal
        if invoice_modal is None:
            log.warning("no invoice modal to open from the week view: the invoices flow is not registered")
            text = t(locale, "common.coming_soon", feature=t(locale, "calendar.week.notice.title"))
            modals.fill(client, shown, views.notice_modal(locale, text))
            return
        wanted = session_ids(body["actions"][0].get("value"))
        admin = is_billing_admin(services.db, client, team_id, user_id)
        found = logic.to_invoice(services.db, team_id, wanted, user_id=user_id, billing_admin=admin, now=utcnow())
        if found.reason is not None or found.client_id is None:
            text = views.click_refusal(locale, found.reason or logic.GONE, found.invoice_number)
            modals.fill(client, shown, views.notice_modal(locale, text))
            return
        invoice_modal.open(
            client,
            trigger_id=body["trigger_id"],
            team_id=team_id,
            user_id=user_id,
            locale=locale,
            client_id=found.client_id,
            appointment_ids=found.appointment_ids,
            shown=shown,
        )


def session_ids(value: str | None) -> list[int]:
    """The ids a button carries ("12" or "12,13,15"); what is not a whole number is dropped."""
    found = [whole_number(part) for part in (value or "").split(",")[: logic.SESSIONS_READ_MAX]]
    return [n for n in found if n is not None]


def register(app: App, services: Services) -> None:
    listeners = WeekListeners(services)
    app.action(ids.INVOICE_SESSION_PATTERN)(ack=ack_now, lazy=[listeners.invoice_clicked])
    app.action(ids.INVOICE_WEEK_PATTERN)(ack=ack_now, lazy=[listeners.invoice_clicked])
