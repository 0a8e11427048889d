"""Autopay's listeners: the client record's switch, the daily DM's buttons, and the sweep the scheduler runs."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.acks import ack_now
from bot.blocks import Block
from bot.i18n import t
from bot.models import Client, Invoice, utcnow
from bot.permissions import is_billing_admin
from bot.services import Job, Services
from bot.slack_clients import client_for
from bot.slack_users import locale_of, member
from bot.timezones import zone
from bot.typed_numbers import whole_number
from flows.autopay import charging, ids, store, timing, views

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 60


class AutopayListeners:
    def __init__(self, services: Services) -> None:
        self.services = services

    # -- the sweep ------------------------------------------------------------------------------------------

    def _tz(self, web: WebClient | None, team_id: str, user_id: str | None) -> str:
        if web is None or not user_id:
            return "UTC"
        return zone(member(self.services.db, web, team_id, user_id).tz).key

    def sweep(self, now: datetime | None = None) -> None:
        """Plan new invoices, put off what no DM announced in time, post the DMs due, charge what is due."""
        try:
            moment = now or utcnow()
            self._plan(moment)
            self._put_off(moment)
            self._announce(moment)
            for invoice_id in store.claim_due(self.services.db, moment):
                charging.charge(self.services, invoice_id)
        except Exception:
            # One failed sweep must not stop the scheduler; the next one finds the same work in the database.
            log.exception("autopay sweep failed")

    def _plan(self, now: datetime) -> None:
        planned: list[tuple[Invoice, datetime, str]] = []
        for invoice in store.new_invoices(self.services.db):
            web = client_for(self.services, invoice.team_id)
            tz = self._tz(web, invoice.team_id, invoice.created_by)
            minute = store.send_minute(self.services.db, invoice.team_id)
            planned.append((invoice, timing.charge_time(timing.aware(invoice.created_at), minute, tz), "scheduled"))
        if planned:
            log.info("autopay: %d new charge(s) planned", store.add(self.services.db, planned))

    def _put_off(self, now: datetime) -> None:
        late = store.overdue_unannounced(self.services.db, now)
        if not late:
            return
        later: dict[int, datetime] = {}
        for line in store.lines(self.services.db, [c.invoice_id for c in late]):
            team_id = line.invoice.team_id
            tz = self._tz(client_for(self.services, team_id), team_id, line.invoice.created_by)
            moment = timing.aware(line.charge.charge_at)
            while moment <= now + timing.MIN_NOTICE:
                moment = timing.day_later(moment, tz)
            later[line.charge.invoice_id] = moment
        store.put_off(self.services.db, now, later)

    def _announce(self, now: datetime) -> None:
        claimed = store.claim_listing(self.services.db, now)
        if not claimed:
            return
        by_person: dict[tuple[str, str], list[store.Line]] = defaultdict(list)
        for line in store.lines(self.services.db, claimed):
            by_person[(line.invoice.team_id, line.invoice.created_by or "")].append(line)
        for (team_id, user_id), lines in by_person.items():
            ids_ = [line.charge.invoice_id for line in lines]
            if self._post_dm(team_id, user_id, lines):
                store.listed(self.services.db, ids_, now)
            else:
                store.unlist(self.services.db, ids_)

    def _post_dm(self, team_id: str, user_id: str, lines: list[store.Line]) -> bool:
        web = client_for(self.services, team_id)
        if web is None or not user_id:
            return False
        locale = locale_of(self.services, web, team_id, user_id)
        tz = self._tz(web, team_id, user_id)
        try:
            for start in range(0, len(lines), views.LINES_PER_MESSAGE):
                text, dm_blocks = views.dm(locale, tz, lines[start : start + views.LINES_PER_MESSAGE])
                web.chat_postMessage(channel=user_id, text=text, blocks=dm_blocks)
        except SlackApiError as exc:
            log.warning("autopay DM to %s failed: %s", user_id, exc.response.get("error"))
            return False
        return True

    # -- the DM's buttons -----------------------------------------------------------------------------------

    def _clicked(self, body: dict[str, Any], web: WebClient) -> tuple[Invoice, str, str] | None:
        """The click's invoice, when this person may act on it (its creator, or a billing admin)."""
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        invoice_id = whole_number((body.get("actions") or [{}])[0].get("value"))
        if invoice_id is None:
            return None
        with self.services.db.session() as session:
            invoice = session.get(Invoice, invoice_id)
        locale = locale_of(self.services, web, team_id, user_id)
        if invoice is None or invoice.team_id != team_id:
            return None
        if invoice.created_by != user_id and not is_billing_admin(self.services.db, web, team_id, user_id):
            self._say(body, web, t(locale, "autopay.refused", number=invoice.number))
            return None
        return invoice, user_id, locale

    def _say(self, body: dict[str, Any], web: WebClient, text: str) -> None:
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        user_id = body["user"]["id"]
        try:
            if channel:
                web.chat_postEphemeral(channel=channel, user=user_id, text=text)
                return
        except SlackApiError as exc:
            log.info("autopay notice not shown in %s: %s", channel, exc.response.get("error"))
        try:  # not in that conversation (a forged click on someone else's DM): their own DM
            web.chat_postMessage(channel=user_id, text=text)
        except SlackApiError as exc:
            log.warning("autopay notice not posted: %s", exc.response.get("error"))

    def _redraw(self, body: dict[str, Any], web: WebClient, locale: str, user_id: str) -> None:
        """The DM message the click came from, each of its charges as it stands now."""
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        listed = [
            whole_number(str(block.get("block_id", ""))[len(ids.LINE_BLOCK_PREFIX) :])
            for block in message.get("blocks") or []
            if str(block.get("block_id", "")).startswith(ids.LINE_BLOCK_PREFIX)
        ]
        found = store.lines(self.services.db, [i for i in listed if i is not None])
        if not channel or not message.get("ts") or not found:
            return
        text, dm_blocks = views.dm(locale, self._tz(web, body["team"]["id"], user_id), found)
        try:
            web.chat_update(channel=channel, ts=message["ts"], text=text, blocks=dm_blocks)
        except SlackApiError as exc:
            log.info("autopay DM not redrawn: %s", exc.response.get("error"))

    def hold(self, body: dict[str, Any], client: WebClient) -> None:
        clicked = self._clicked(body, client)
        if clicked is not None:
            invoice, user_id, locale = clicked
            store.hold(self.services.db, charging.saved(invoice), user_id)  # a second click finds it held
            self._redraw(body, client, locale, user_id)

    def edit(self, body: dict[str, Any], client: WebClient) -> None:
        """Held first, so nothing is charged while the practitioner corrects the invoice; then how to."""
        clicked = self._clicked(body, client)
        if clicked is not None:
            invoice, user_id, locale = clicked
            store.hold(self.services.db, charging.saved(invoice), user_id)
            self._redraw(body, client, locale, user_id)
            self._say(body, client, views.edit_hint(locale, invoice))

    def charge_now(self, body: dict[str, Any], client: WebClient) -> None:
        clicked = self._clicked(body, client)
        if clicked is None:
            return
        invoice, user_id, locale = clicked
        if store.claim_now(self.services.db, charging.saved(invoice), user_id):  # a double click: one wins
            self._redraw(body, client, locale, user_id)
            charging.charge(self.services, charging.saved(invoice))
        self._redraw(body, client, locale, user_id)

    # -- the client record's switch --------------------------------------------------------------------------

    def toggle(self, body: dict[str, Any], client: WebClient, respond: Any) -> None:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        locale = locale_of(self.services, client, team_id, user_id)
        value = str((body.get("actions") or [{}])[0].get("value") or "")
        wanted, _, raw_id = value.partition(":")
        client_id = whole_number(raw_id)
        if wanted not in ("on", "off") or client_id is None:
            return
        if not is_billing_admin(self.services.db, client, team_id, user_id):
            respond(text=t(locale, "autopay.record.refused"), replace_original=False, response_type="ephemeral")
            return
        found = store.set_autopay(self.services.db, team_id, client_id, wanted == "on")
        if found is None:
            text = t(locale, "autopay.record.gone")
        elif wanted == "on" and not found.autopay:
            text = t(locale, "autopay.record.needs_card", client=found.name)
        else:
            text = t(locale, f"autopay.record.now_{wanted}", client=found.name)
        respond(text=text, replace_original=False, response_type="ephemeral")

    def record_part(self, locale: str, client: Client) -> list[Block]:
        return views.record_part(locale, client)

    def on_disconnected(self, team_id: str, account_id: str | None, revoked: bool) -> None:
        if revoked:  # Billbot can no longer charge there; an account it only stopped using still takes charges
            cancelled = store.cancel_on_account(self.services.db, team_id, account_id)
            if cancelled:
                log.info("autopay: %d charge(s) on the disconnected account cancelled", cancelled)


def register(app: App, services: Services) -> None:
    listeners = AutopayListeners(services)
    app.action(ids.TOGGLE_ACTION)(ack=ack_now, lazy=[listeners.toggle])
    app.action(ids.HOLD_ACTION)(ack=ack_now, lazy=[listeners.hold])
    app.action(ids.EDIT_ACTION)(ack=ack_now, lazy=[listeners.edit])
    app.action(ids.CHARGE_NOW_ACTION)(ack=ack_now, lazy=[listeners.charge_now])
    services.jobs.append(Job(name="autopay_sweep", run=listeners.sweep, every_seconds=SWEEP_EVERY_SECONDS))
    services.client_record_parts.append(listeners.record_part)
    services.on_stripe_disconnected.append(listeners.on_disconnected)
