"""The session-end prompt's work: the sweep that DMs each practitioner once a matched session is over, and what
each of the DM's buttons does.

The sweep (the scheduler, every minute, in any number of processes) claims each due event on its own row and
posts the DM with the claim named in its Slack metadata; a claim whose sender died is retaken after its lease,
looking in the DM for that metadata before posting again. A button's work runs from the durable work queue:
the first press claims the row (sent → done) and invoices through ``services.invoice_sessions`` under one
request key per prompt, so a crash after the click, a double click or Slack's retry never makes anything twice.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import slack_posts
from bot.blocks import Block
from bot.flow_hooks import SessionsInvoiced
from bot.i18n import format_money, t
from bot.models import Service, utcnow
from bot.services import Services
from bot.slack_clients import client_for
from flows.calendar.prompt import ids, store, views
from flows.calendar.prompt.store import OLDEST, Prompt, aware

log = logging.getLogger(__name__)

# chat.postMessage's answers that no retry will change: the practitioner cannot get the DM.
UNREACHABLE = frozenset({"user_not_found", "account_inactive", "user_disabled", "cannot_dm_bot", "channel_not_found"})


def request_key(prompt: Prompt) -> str:
    """One invoice per prompt, whichever button made it and however often its work runs."""
    return f"calendar-prompt:{prompt.event_id}"


def due(prompt: Prompt, now: datetime) -> str:
    """ "later" (not over, with the feed's delay), "skip" (off, unmatched, cancelled, invoiced, too old) or "send"."""
    event, feed = prompt.event, prompt.feed
    ends = aware(event.ends_at)
    if ends + timedelta(minutes=max(feed.prompt_delay_minutes, 0)) > now:
        return "later"
    if ends < now - OLDEST or not feed.prompt_on_end or event.status != "confirmed":
        return "skip"
    client = prompt.client
    if prompt.session is None or client is None or client.forgotten_at is not None:
        return "skip"  # unmatched, or a client erased on request
    if prompt.session.invoice_id is not None:
        return "skip"
    return "send"


class Prompts:
    def __init__(self, services: Services) -> None:
        self.services = services

    @property
    def work_lease(self) -> timedelta:
        """A press's work takes seconds; the work queue replays a dead worker's press a lease later, past this."""
        return self.services.work.lease / 2

    # -- the sweep ------------------------------------------------------------------------------------------

    def sweep(self, now: datetime | None = None) -> None:
        try:
            moment = now or utcnow()
            old = store.skip_old(self.services.db, moment)
            if old:
                log.info("calendar prompts: %d session(s) ended over a day ago, skipped", old)
            for event_id, until in store.abandoned(self.services.db, moment):
                if store.retake(self.services.db, event_id, until, moment):
                    self._deliver(event_id, moment, retaken=True)
            for event_id in store.ended(self.services.db, moment):
                self._consider(event_id, moment)
            for event_id, lapsed in store.stuck(self.services.db, moment):
                if store.unstick(self.services.db, event_id, lapsed):
                    self._offer_retry(event_id)
        except Exception:
            # One failed sweep must not stop the scheduler; the next one finds the same work in the database.
            log.exception("calendar prompts sweep failed")

    def _consider(self, event_id: int, now: datetime) -> None:
        prompt = store.load(self.services.db, event_id)
        verdict = due(prompt, now) if prompt is not None else "later"
        if verdict == "skip":
            store.skip(self.services.db, event_id, held=False)
        elif verdict == "send" and store.claim(self.services.db, event_id, now):
            self._deliver(event_id, now, retaken=False)

    def _offer_retry(self, event_id: int) -> None:
        """A press the work queue gave up on: the DM says so, with Retry (which resumes it, nothing twice)."""
        prompt = store.load(self.services.db, event_id)
        web = client_for(self.services, prompt.event.team_id) if prompt is not None else None
        if prompt is None or web is None:
            return
        log.warning("calendar prompt %s: a press's work never finished; Retry offered", event_id)
        text = f"⚠️ {t(prompt.feed.locale, 'calendar.prompt.stuck')}"
        self._update(web, prompt, views.outcome_message(prompt, text, retry=True))

    def _deliver(self, event_id: int, now: datetime, *, retaken: bool) -> None:
        try:
            self._post(event_id, now, retaken=retaken)
        except Exception:
            log.exception("calendar prompt %s not posted; retaken once its lease runs out", event_id)

    def _post(self, event_id: int, now: datetime, *, retaken: bool) -> None:
        db = self.services.db
        prompt = store.load(db, event_id)
        if prompt is None:
            return
        verdict = due(prompt, now)
        web = client_for(self.services, prompt.event.team_id)
        if verdict == "later":
            store.unclaim(db, event_id)
            return
        if verdict == "skip" or web is None:  # invoiced or switched off meanwhile, or Billbot uninstalled
            store.skip(db, event_id, held=True)
            return
        if retaken:
            found = self._find(web, prompt)
            if found is not None:
                log.info("calendar prompt %s was posted by a sweep that died; keeping that DM", event_id)
                store.sent(db, event_id, *found)
                return
        text, shown = views.prompt_message(prompt)
        metadata = slack_posts.claim_metadata(ids.POST_CLAIM, [event_id])
        try:
            response = web.chat_postMessage(
                channel=prompt.feed.user_id, text=text, blocks=shown, metadata=metadata, unfurl_links=False
            )
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error in UNREACHABLE:
                log.info("calendar prompt %s: the practitioner cannot be reached (%s), skipped", event_id, error)
                store.skip(db, event_id, held=True)
            else:  # Slack may have posted it all the same: the next sweep retakes the claim and looks first
                log.warning("calendar prompt %s not posted (%s); retried next sweep", event_id, error)
                store.give_back(db, event_id, now)
            return
        store.sent(db, event_id, str(response["channel"]), str(response["ts"]))

    def _find(self, web: WebClient, prompt: Prompt) -> tuple[str, str] | None:
        """The DM an earlier sweep posted for this prompt, from its metadata; None when there is none (or unknown)."""
        try:
            channel = str(web.conversations_open(users=prompt.feed.user_id)["channel"]["id"])
            ts = slack_posts.find_posted(web, channel, ids.POST_CLAIM).get(str(prompt.event_id))
        except SlackApiError as exc:
            # Better the DM twice than a session nobody is asked about.
            log.warning("could not look for calendar prompt %s: %s", prompt.event_id, exc.response.get("error"))
            return None
        return (channel, ts) if ts else None

    # -- the buttons ----------------------------------------------------------------------------------------

    def press(self, web: WebClient, prompt: Prompt, action_id: str) -> None:
        """A button of the DM, pressed by its practitioner: the work, once; a second press finds it taken."""
        db, event_id = self.services.db, prompt.event_id
        now = utcnow()
        until = now + self.work_lease
        if action_id == ids.RETRY_ACTION:
            action = prompt.event.prompt_action or ""
            won = bool(action) and store.again(db, event_id, action, until)
        else:
            action = ids.ACTIONS[action_id]
            won = store.press(db, event_id, action, until) or self._resumed(event_id, action, now, until)
        if not won:
            log.info("calendar prompt %s: %s pressed, already handled", event_id, action)
            return
        fresh = store.load(db, event_id)
        assert fresh is not None
        try:
            self._work(web, fresh, action)
        except Exception:
            store.lapse(db, event_id, utcnow())  # the work queue runs this press again: it resumes at once
            raise

    def _resumed(self, event_id: int, action: str, now: datetime, until: datetime) -> bool:
        """This same press run again after its run died (the work queue's replay): its work, taken over."""
        prompt = store.load(self.services.db, event_id)
        event = prompt.event if prompt is not None else None
        if event is None or event.prompt_state != "done" or event.prompt_action != action:
            return False
        lapsed = event.prompt_claimed_until
        if lapsed is None or aware(lapsed) >= now:
            return False  # finished, or still under way in another run
        return store.resume(self.services.db, event_id, action, lapsed, until)

    def _work(self, web: WebClient, prompt: Prompt, action: str) -> None:
        db, locale = self.services.db, prompt.feed.locale
        self._update(web, prompt, views.working_message(prompt, action))
        if prompt.session is None:  # the event left the calendar (or lost its client) since the DM
            store.drop(db, prompt.event_id)
            self._update(web, prompt, views.outcome_message(prompt, t(locale, "calendar.prompt.gone")))
            return
        other = prompt.invoice
        if other is not None and other.request_key != request_key(prompt):
            store.drop(db, prompt.event_id)
            text = t(locale, "calendar.prompt.elsewhere", number=other.number)
            self._update(web, prompt, views.outcome_message(prompt, text))
            return
        if action == ids.SKIP:
            store.finish(db, prompt.event_id)
            self._update(web, prompt, views.outcome_message(prompt, t(locale, "calendar.prompt.skipped")))
            return
        refusal = self._refusal(prompt, action)
        if refusal is not None:
            self._reopen(web, prompt, refusal)
            return
        hook = self.services.invoice_sessions
        assert hook is not None  # _refusal says so when it is missing
        result = hook(
            web,
            team_id=prompt.event.team_id,
            user_id=prompt.feed.user_id,
            locale=locale,
            appointment_ids=(prompt.session.id or 0,),
            request_key=request_key(prompt),
            collect="charge" if action == ids.CHARGE else "send",
            service_id=prompt.feed.no_show_service_id if action == ids.NO_SHOW else None,
        )
        self._show(web, prompt, action, result)

    def _refusal(self, prompt: Prompt, action: str) -> str | None:
        """Why this button cannot make an invoice now, in words (the buttons stay for once it is fixed)."""
        locale = prompt.feed.locale
        name = prompt.client.name if prompt.client is not None else ""
        if self.services.invoice_sessions is None:
            return t(locale, "calendar.prompt.unavailable")
        if action == ids.NO_SHOW:
            service_id = prompt.feed.no_show_service_id
            with self.services.db.session() as session:
                service = session.get(Service, service_id) if service_id is not None else None
            if service is None or not service.active or service.team_id != prompt.event.team_id:
                return t(locale, "calendar.prompt.no_show_gone")
            return None
        if prompt.session is not None and prompt.session.service_id is None:
            return t(locale, "calendar.prompt.no_service", client=name)
        if action == ids.CHARGE and not prompt.can_charge:
            return t(locale, "calendar.prompt.no_card", client=name)
        return None

    def _show(self, web: WebClient, prompt: Prompt, action: str, result: SessionsInvoiced) -> None:
        db, locale = self.services.db, prompt.feed.locale
        total = format_money(result.total, result.currency, locale) if result.currency else ""
        retry = False
        if result.outcome == "refused":
            self._reopen(web, prompt, result.message or "")
            return
        if result.outcome == "elsewhere":
            store.drop(db, prompt.event_id)
            text = t(locale, "calendar.prompt.elsewhere", number=result.number)
        elif result.outcome == "done":
            store.finish(db, prompt.event_id)
            text = self._done_text(locale, action, result, total)
        else:  # failed (Retry resumes it) or declined (the invoice stays open, its message offers the link)
            store.finish(db, prompt.event_id)
            retry = result.outcome == "failed"
            then = "calendar.prompt.failed_next" if retry else "calendar.prompt.declined_next"
            text = f"⚠️ {result.message or ''} {t(locale, then, number=result.number)}"
        self._update(web, prompt, views.outcome_message(prompt, text, retry=retry))

    def _done_text(self, locale: str, action: str, result: SessionsInvoiced, total: str) -> str:
        if action == ids.CHARGE:
            return t(locale, "calendar.prompt.charged", amount=total, number=result.number)
        if result.status == "paid":
            return t(locale, "calendar.prompt.paid", number=result.number, total=total)
        key = "calendar.prompt.sent_no_show" if action == ids.NO_SHOW else "calendar.prompt.sent"
        return t(locale, key, number=result.number, total=total, email=result.sent_to or "")

    def _reopen(self, web: WebClient, prompt: Prompt, notice: str) -> None:
        store.reopen(self.services.db, prompt.event_id)
        self._update(web, prompt, views.prompt_message(prompt, notice=notice))

    def _update(self, web: WebClient, prompt: Prompt, message: tuple[str, list[Block]]) -> None:
        channel, ts = prompt.event.prompt_channel, prompt.event.prompt_ts
        if not channel or not ts:
            return
        text, shown = message
        try:
            web.chat_update(channel=channel, ts=ts, text=text, blocks=shown)
        except SlackApiError as exc:
            log.warning("calendar prompt %s not updated: %s", prompt.event_id, exc.response.get("error"))
