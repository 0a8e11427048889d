"""The scheduler's sweep: find what is due, claim it, email the clients through Stripe, post the digests.

Order of work per reminder, each step recorded before the next: the claim (the row), the email (Stripe,
with an idempotency key per invoice and rule, so a retry after a crash cannot email twice), the digest
(Slack), then ``sent``. A sweep that dies midway leaves its claims to the next sweep, which resumes from
the last step recorded. A digest Slack may have posted without our hearing back (a timeout, a crash
before ``sent``) is looked for in the channel, by the claim ids in its metadata, before it is posted again.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import metrics, slack_posts
from bot.i18n import t
from bot.models import Client, Invoice, InvoiceReminderHold, ReminderSent, ReminderSettings, saved_id, utcnow
from bot.services import Services
from bot.slack_clients import client_for
from bot.slack_users import workspace_locale
from bot.stripe_gateway import GatewayError
from bot.workspace_status import uninstalled_teams
from flows.reminders import claims
from flows.reminders.digest import DIGEST_CLAIM, DigestItem, digest_parts
from flows.reminders.logic import all_rules, find_due, held
from flows.reminders.rules import Rules

if TYPE_CHECKING:
    from slack_bolt import App

log = logging.getLogger(__name__)

# Stripe allows 25 requests a second in test mode and 100 live; a sweep keeps well under both.
STRIPE_SENDS_PER_SECOND = 20
CLAIM_BATCH = 10
# Pages of 200 messages read back when looking for a digest an earlier sweep may have posted.
# Slack errors that will not go away by trying again: the reminder is recorded and the admin told.
SLACK_PERMANENT = frozenset(
    {
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "restricted_action",
    }
)


def stripe_key(invoice_id: int, rule: int) -> str:
    """Names the email of one invoice under one rule: every retry of it, in any process, sends this key."""
    return f"billbot-reminder-{invoice_id}-{rule}"


@dataclass
class SweepResult:
    due: int = 0
    claimed: int = 0
    emailed: int = 0
    posted: int = 0  # reminders shown in a digest
    digests: int = 0  # messages posted
    skipped: int = 0
    retrying: int = 0
    failed: int = 0
    sent_ids: list[int] = field(default_factory=list)


class _Pacer:
    def __init__(self, per_second: float) -> None:
        self.gap = 1.0 / per_second
        self.next = 0.0

    def wait(self) -> None:
        now = time.monotonic()
        if now < self.next:
            time.sleep(self.next - now)
        self.next = max(now, self.next) + self.gap


@dataclass
class _Work:
    row: ReminderSent
    invoice: Invoice
    client: Client
    hold: InvoiceReminderHold | None
    settings: ReminderSettings | None


class Sweeper:
    def __init__(self, services: Services, web_for: Callable[[str], WebClient | None]) -> None:
        self.services = services
        self.db = services.db
        self.web_for = web_for
        self.name = uuid.uuid4().hex[:8]

    def run(self, now: datetime | None = None) -> SweepResult:
        """One sweep at ``now`` (the clock is a parameter so tests move time instead of sleeping)."""
        now = (now or utcnow()).astimezone(UTC)
        result = SweepResult()
        # A workspace that uninstalled Billbot gets nothing: no email to its clients, no digest.
        gone = uninstalled_teams(self.db)
        due = find_due(self.db, now, {team: r for team, r in all_rules(self.db).items() if team not in gone})
        result.due = len(due)
        pacer = _Pacer(STRIPE_SENDS_PER_SECOND)
        digests: dict[tuple[str, str], list[DigestItem]] = defaultdict(list)
        settings_of: dict[str, ReminderSettings] = {}

        def work_on(mine: list[int]) -> None:
            result.claimed += len(mine)
            for row_id in mine:
                found = self._one(row_id, now, pacer, result, gone)
                if found is not None:
                    settings, item = found
                    settings_of[settings.team_id] = settings
                    digests[(settings.team_id, settings.channel_id or "")].append(item)

        work_on(claims.take_over(self.db, now))
        # Claimed a batch at a time, each sent before the next is claimed: schedulers sweeping together
        # share the work instead of one holding every claim while it works through Stripe's pace.
        for start in range(0, len(due), CLAIM_BATCH):
            work_on(claims.claim(self.db, due[start : start + CLAIM_BATCH], now))
        for (team_id, channel), items in digests.items():
            self._post(settings_of[team_id], channel, items, now, result)
        log.info(
            "reminders sweep %s at %s: %d due, %d claimed, %d emailed, %d in %d digests, %d skipped, %d to retry",
            self.name,
            now.isoformat(),
            result.due,
            result.claimed,
            result.emailed,
            result.posted,
            result.digests,
            result.skipped,
            result.retrying,
        )
        return result

    def _load(self, row_id: int) -> _Work | None:
        with self.db.session() as session:
            row = session.get(ReminderSent, row_id)
            if row is None:
                return None
            invoice = session.get(Invoice, row.invoice_id)
            client = session.get(Client, invoice.client_id) if invoice else None
            if invoice is None or client is None:
                return None
            return _Work(
                row,
                invoice,
                client,
                session.get(InvoiceReminderHold, row.invoice_id),
                session.get(ReminderSettings, row.team_id),
            )

    def _one(self, row_id: int, now: datetime, pacer: _Pacer, result: SweepResult,
             gone: set[str]) -> tuple[ReminderSettings, DigestItem] | None:  # fmt: skip
        work = self._load(row_id)
        if work is None or work.row.state != "claimed":
            return None
        row, invoice, settings = work.row, work.invoice, work.settings
        # Re-checked after the claim: the invoice may have been paid, stopped or the rules changed meanwhile.
        rules = Rules.of(settings) if settings is not None else None
        if (
            rules is None
            or row.team_id in gone  # a claim taken over from before the uninstall
            or invoice.status != "open"
            or held(work.hold, rules.today(now))
            or not rules.is_current(invoice.due_date, row.rule, now)
        ):
            claims.finish(self.db, row_id, "skipped", now)
            result.skipped += 1
            return None
        assert settings is not None
        if row.attempts > claims.MAX_ATTEMPTS:
            log.warning(
                "reminder %s of invoice %s given up after %d attempts: %s",
                row.rule,
                invoice.id,
                row.attempts - 1,
                row.last_error,
            )
            claims.finish(self.db, row_id, "failed", now, error=row.last_error)
            result.failed += 1
            return None
        emailed = row.emailed
        if settings.email_client and work.client.email and invoice.stripe_invoice_id and not emailed:
            pacer.wait()
            try:
                self.services.stripe.send_invoice(
                    invoice.stripe_account_id,
                    invoice.stripe_invoice_id,
                    idempotency_key=stripe_key(saved_id(invoice), row.rule),
                )
            except GatewayError as exc:
                if exc.retryable:
                    claims.retry_later(self.db, row_id, now, f"stripe: {exc}")
                    result.retrying += 1
                else:
                    # Stripe will not send it (the invoice was paid or voided there): its webhook updates our row.
                    claims.finish(self.db, row_id, "failed", now, error=f"stripe: {exc}"[:2000])
                    result.failed += 1
                return None
            metrics.REMINDERS.labels("email").inc()  # Stripe took it: counted whatever we manage to record after
            claims.mark_emailed(self.db, row_id)
            emailed = True
            result.emailed += 1
        if settings.tell_team and settings.channel_id:
            item = DigestItem(
                row_id=row_id,
                invoice_id=row.invoice_id,
                number=invoice.number,
                client=work.client.name,
                amount=invoice.amount_remaining or invoice.total,
                currency=invoice.currency,
                due_date=invoice.due_date,
                rule=row.rule,
                emailed=emailed,
                attempted_at=row.digest_attempted_at,
            )
            return settings, item
        claims.finish(
            self.db,
            row_id,
            "sent" if emailed else "failed",
            now,
            error=None if emailed else "nothing to send: no email and no channel",
        )
        if emailed:
            result.sent_ids.append(row_id)
        return None

    def _post(self, settings: ReminderSettings, channel: str, items: list[DigestItem], now: datetime,
              result: SweepResult) -> None:  # fmt: skip
        web = self.web_for(settings.team_id)
        if web is None:
            # Uninstalled since the sweep read its workspaces: the claims wait, resumed after a re-install.
            log.info("reminder digest for %s not posted: Billbot is uninstalled there", settings.team_id)
            return
        items = self._not_posted_yet(web, channel, items, now, result)
        # The channel's digest is in the workspace's language (everyone there reads it), not its saver's.
        locale = workspace_locale(self.db, settings.team_id, self.services.settings.default_locale)
        parts = digest_parts(items, locale) if items else []
        for index, part in enumerate(parts):
            claims.mark_digest_attempted(self.db, part.row_ids, now)
            try:
                # A 429 is waited out (Retry-After) by the client's RateLimitErrorRetryHandler.
                posted = web.chat_postMessage(
                    channel=channel,
                    text=part.text,
                    blocks=part.blocks,
                    metadata=slack_posts.claim_metadata(DIGEST_CLAIM, part.row_ids),
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except SlackApiError as exc:
                error = str(exc.response.get("error") or "unknown")
                later = [row_id for p in parts[index:] for row_id in p.row_ids]
                if error in SLACK_PERMANENT:
                    log.warning("reminder digest for %s in %s refused: %s", settings.team_id, channel, error)
                    emailed = {i.row_id for i in items if i.emailed}
                    for row_id in later:
                        state = "sent" if row_id in emailed else "failed"
                        claims.finish(self.db, row_id, state, now, error=f"slack: {error}")
                    self._tell_admin(web, settings, channel, error)
                else:
                    for row_id in later:
                        claims.retry_later(self.db, row_id, now, f"slack: {error}")
                    result.retrying += len(later)
                return
            metrics.REMINDERS.labels("digest").inc(len(part.row_ids))  # each reminder the message shows
            for row_id in part.row_ids:
                claims.finish(self.db, row_id, "sent", now, digest=(channel, str(posted["ts"])))
                result.sent_ids.append(row_id)
            result.posted += len(part.row_ids)
            result.digests += 1

    def _not_posted_yet(self, web: WebClient, channel: str, items: list[DigestItem], now: datetime,
                        result: SweepResult) -> list[DigestItem]:  # fmt: skip
        """Items an earlier sweep sent to Slack without hearing back are looked for in the channel first:
        those Slack did post are finished with that message, the others are posted again."""
        if not any(item.attempted_at is not None for item in items):
            return items
        try:
            found = slack_posts.find_posted(web, channel, DIGEST_CLAIM)
        except SlackApiError as exc:
            # Better a line twice than a reminder the team never sees.
            log.warning("could not read %s to find an earlier digest: %s", channel, exc.response.get("error"))
            return items
        left = []
        for item in items:
            ts = found.get(str(item.row_id)) if item.attempted_at is not None else None
            if ts is None:
                left.append(item)
                continue
            claims.finish(self.db, item.row_id, "sent", now, digest=(channel, ts))
            result.sent_ids.append(item.row_id)
            result.posted += 1
        return left

    def _tell_admin(self, web: WebClient, settings: ReminderSettings, channel: str, error: str) -> None:
        if not settings.updated_by:
            return
        key = "reminders.not_in_channel" if error == "not_in_channel" else "reminders.channel_failed"
        try:
            web.chat_postMessage(
                channel=settings.updated_by, text=t(settings.locale, key, channel=channel, error=error)
            )
        except SlackApiError as exc:
            log.warning("could not tell %s about the digest: %s", settings.updated_by, exc.response.get("error"))


def sweeper_for(app: App, services: Services) -> Sweeper:
    """The sweep as the scheduler runs it, posting with each workspace's own bot token (``app`` is unused: the
    clients come from bot.slack_clients; kept so the scheduler and tests build it the same way)."""
    return Sweeper(services, lambda team_id: client_for(services, team_id))
