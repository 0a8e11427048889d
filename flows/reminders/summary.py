"""The monthly summary: on or after the 1st at the reminders' time of day (in the practice's time zone), last
month's figures and chart posted once in the reminders' channel of each workspace that opted in.

Exactly once across schedulers: the (workspace, month) claim is inserted before anything is posted
(summary_claims); the message names its claim in Slack's metadata (bot.slack_posts), so a run taking over a
claim whose poster died looks for it in the channel before posting again. The figures are bot.figures', the
chart the report's (flows.reports' face); the channel gets counts and amounts, never a client's name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import select

import flows.reports as reports
from bot import slack_posts
from bot.figures import month, period_figures
from bot.i18n import t
from bot.models import ReminderSettings, utcnow
from bot.services import Services
from bot.slack_clients import client_for
from bot.slack_users import workspace_locale
from bot.workspace_status import uninstalled_teams
from flows.reminders import summary_claims
from flows.reminders.summary_claims import due_month
from flows.reminders.summary_views import summary_blocks, summary_text

log = logging.getLogger(__name__)

SUMMARY_EVERY_SECONDS = 300
SUMMARY_CLAIM = "monthly_summary"  # the kind named in the message's metadata
# Slack errors that another try will not cure: the claim is given up (and logged) rather than retried forever.
PERMANENT = frozenset({"not_in_channel", "channel_not_found", "is_archived", "invalid_auth", "account_inactive"})


class MonthlySummaries:
    def __init__(self, services: Services, web_for: Callable[[str], WebClient | None]) -> None:
        self.services = services
        self.db = services.db
        self.web_for = web_for

    def run(self, now: datetime | None = None) -> list[int]:
        """One run at ``now`` (a parameter so tests move time); the ids of the claims posted by this run."""
        now = (now or utcnow()).astimezone(UTC)
        gone = uninstalled_teams(self.db)
        with self.db.session() as session:
            opted = [
                s
                for s in session.exec(select(ReminderSettings).where(ReminderSettings.monthly_summary == True))  # noqa: E712
                if s.channel_id and s.team_id not in gone
            ]
        due = {s.team_id: m for s in opted if (m := due_month(now, s.timezone, s.send_minute)) is not None}
        taken = summary_claims.taken_months(self.db, due)
        posted: list[int] = []
        for row_id in summary_claims.take_over(self.db, now):
            if self._post(row_id, now, taken_over=True):
                posted.append(row_id)
        for settings in opted:
            wanted = due.get(settings.team_id)
            if wanted is None or settings.team_id in taken:
                continue
            won = summary_claims.claim(self.db, settings.team_id, wanted, settings.channel_id, now)
            if won is not None and self._post(won, now, taken_over=False):
                posted.append(won)
        return posted

    def _post(self, row_id: int, now: datetime, *, taken_over: bool) -> bool:
        row = summary_claims.load(self.db, row_id)
        if row is None or row.state != "claimed" or not row.channel:
            return False
        team_id, channel = row.team_id, row.channel
        web = self.web_for(team_id)
        if web is None:
            summary_claims.update_claim(self.db, row_id, state="failed")  # uninstalled: nothing may be posted
            return False
        # A channel's message is read by everyone there: the workspace's language, not the saver's.
        locale = workspace_locale(self.db, team_id, self.services.settings.default_locale)
        year, number = (int(part) for part in row.month.split("-"))
        period = month(year, number)
        with self.db.session() as session:
            figures = period_figures(session, team_id, period, now=now)
        label = reports.period_label(period, locale)
        ts = row.ts
        try:
            if ts is None and taken_over:
                ts = self._find(web, channel, row_id)
            if ts is None:
                answer = web.chat_postMessage(
                    channel=channel,
                    text=summary_text(figures, locale, label),
                    blocks=summary_blocks(figures, locale, label),
                    metadata=slack_posts.claim_metadata(SUMMARY_CLAIM, [row_id]),
                    unfurl_links=False,
                    unfurl_media=False,
                )
                ts = str(answer["ts"])
            summary_claims.update_claim(self.db, row_id, ts=ts)
            uploads: list[dict[str, Any]] = [
                {"file": png, "filename": f"summary-{currency}-{row.month}.png", "title": title, "alt_txt": alt}
                for currency, title, png, alt in reports.charts(self.db, team_id, period, locale, label)
            ]
            if uploads:
                web.files_upload_v2(file_uploads=uploads, channel=channel, thread_ts=ts)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown")
            log.warning("monthly summary %s of %s in %s not posted: %s", row.month, team_id, channel, error)
            if error in PERMANENT:
                summary_claims.update_claim(self.db, row_id, state="failed")
                self._tell_admin(web, team_id, channel, error)
            else:
                summary_claims.update_claim(self.db, row_id, claimed_until=now)  # the next run tries again
            return False
        summary_claims.update_claim(self.db, row_id, state="sent")
        return True

    def _tell_admin(self, web: WebClient, team_id: str, channel: str, error: str) -> None:
        """The admin who set reminders up hears why the summary did not go out, in their own language."""
        with self.db.session() as session:
            settings = session.get(ReminderSettings, team_id)
        if settings is None or not settings.updated_by:
            return
        text = t(settings.locale, "reminders.summary.not_posted", channel=channel, error=error)
        try:
            web.chat_postMessage(channel=settings.updated_by, text=text)
        except SlackApiError as exc:
            log.warning("could not tell %s about the summary: %s", settings.updated_by, exc.response.get("error"))

    def _find(self, web: WebClient, channel: str, row_id: int) -> str | None:
        """The message a run that died may have posted, from the channel's latest messages."""
        try:
            return slack_posts.find_posted(web, channel, SUMMARY_CLAIM).get(str(row_id))
        except SlackApiError as exc:
            # Better the summary twice than one nobody sees.
            log.warning("could not look for an earlier monthly summary in %s: %s", channel, exc.response.get("error"))
            return None


def summaries_for(services: Services) -> MonthlySummaries:
    """The job as the scheduler runs it, posting with each workspace's own bot token."""
    return MonthlySummaries(services, lambda team_id: client_for(services, team_id))
