"""The report's listeners: `/billing report [period]` (routed here by the hub) and its Export CSV button."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import blocks
from bot.acks import ack_now
from bot.figures import Period, line_rows, money_rows, practice_timezone
from bot.i18n import t
from bot.services import Services
from bot.slack_users import locale_of
from flows.reports import csv_files, ids, logic, views

log = logging.getLogger(__name__)

# What a report button sends: (a scratch folder, team, period, locale, whether client names may show) → uploads.
_Files = Callable[[Path, str, Period, str, bool], list[dict[str, Any]]]

# A report longer than this goes to the asker's DM, where it stays (an ephemeral message is gone on reload).
LONG_REPORT_BLOCKS = 30


def answer_command(
    services: Services, client: WebClient, command: dict[str, Any], respond: Respond, *, text: str, locale: str
) -> None:
    team_id, user_id = command["team_id"], command["user_id"]
    # response_url reaches the asker wherever they typed, even where the bot is not a member.
    if not logic.may_see_reports(logic.reader(services.db, client, team_id, user_id)):
        respond(text=views.refused_text(locale), response_type="ephemeral")
        return
    asked = logic.ask(services.db, team_id, text)
    if asked.figures is None:
        respond(text=views.usage_text(locale, asked.error), response_type="ephemeral")
        return
    content = views.report_blocks(asked.figures, locale)
    fallback = views.fallback_text(asked.figures, locale)
    if len(content) <= LONG_REPORT_BLOCKS:
        respond(text=fallback, blocks=content, response_type="ephemeral")
        return
    try:
        client.chat_postMessage(channel=user_id, text=fallback, blocks=content[: blocks.MESSAGE_BLOCKS_MAX])
    except SlackApiError as exc:
        log.warning("the report was not sent to the DM: %s", exc.response.get("error"))
        respond(text=fallback, blocks=content[: blocks.MESSAGE_BLOCKS_MAX], response_type="ephemeral")
        return
    where = blocks.app_messages_link(team_id, command.get("api_app_id"), t(locale, "reports.where"))
    label = views.period_label(asked.figures.period, locale)
    respond(text=t(locale, "reports.sent_to_dm", period=label, where=where), response_type="ephemeral")


def _slug(period: Period) -> str:
    if period.kind == "month":
        return period.start.strftime("%Y-%m")
    if period.kind == "year":
        return str(period.start.year)
    return f"{period.start.isoformat()}_{period.last_day.isoformat()}"


class ReportListeners:
    def __init__(self, services: Services) -> None:
        self.services = services

    def export_clicked(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """The accountant's two CSV files, to the DM."""
        self._send_to_dm(body, client, respond, claim_kind=ids.EXPORT_CLAIM, what="csv", files=self._write)

    def chart_clicked(self, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """The chart of each currency, to the DM with its alt text (a file cannot go in an ephemeral message)."""
        self._send_to_dm(body, client, respond, claim_kind=ids.CHART_CLAIM, what="chart", files=self._charts)

    def _send_to_dm(
        self,
        body: dict[str, Any],
        client: WebClient,
        respond: Respond,
        *,
        claim_kind: str,
        what: str,  # "csv" or "chart": the reports.<what>.dm / .failed / .sent messages
        files: _Files,
    ) -> None:
        """A report button's files, made for the period it carries, posted in the asker's DM; said where they went."""
        services = self.services
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        action = (body.get("actions") or [{}])[0]
        period = Period.decode(str(action.get("value") or ""))
        if period is None:
            return
        # Slack's retry of the same click carries the same action_ts: one upload per press.
        claim = f"{user_id}:{action.get('action_ts', '')}"
        if not services.db.claim_once(team_id, claim_kind, claim):
            return
        locale = locale_of(services, client, team_id, user_id)
        who = logic.reader(services.db, client, team_id, user_id)
        if not logic.may_see_reports(who):
            respond(text=views.refused_text(locale), response_type="ephemeral", replace_original=False)
            return
        label = views.period_label(period, locale)
        try:
            with tempfile.TemporaryDirectory(prefix="billbot-report-") as folder:
                uploads = files(Path(folder), team_id, period, locale, logic.shows_names(who))
                posted = client.chat_postMessage(channel=user_id, text=t(locale, f"reports.{what}.dm", period=label))
                if uploads:
                    client.files_upload_v2(file_uploads=uploads, channel=posted["channel"], thread_ts=posted["ts"])
        except SlackApiError as exc:
            reason = str(exc.response.get("error"))
            log.warning("the report's %s was not uploaded: %s", what, reason)
            services.db.release(team_id, claim_kind, claim)  # pressing again tries again
            respond(text=t(locale, f"reports.{what}.failed", reason=reason), response_type="ephemeral",
                    replace_original=False)  # fmt: skip
            return
        where = blocks.app_messages_link(team_id, body.get("api_app_id"), t(locale, "reports.where"))
        respond(text=t(locale, f"reports.{what}.sent", period=label, where=where), response_type="ephemeral",
                replace_original=False)  # fmt: skip

    def _charts(self, folder: Path, team_id: str, period: Period, locale: str, names: bool) -> list[dict[str, Any]]:
        del folder, names  # the PNGs are uploaded from memory; a chart names no client
        label = views.period_label(period, locale)
        return [
            {"file": png, "filename": f"chart-{currency}-{_slug(period)}.png", "title": title, "alt_txt": alt}
            for currency, title, png, alt in logic.charts(self.services.db, team_id, period, locale, label)
        ]

    def _write(self, folder: Path, team_id: str, period: Period, locale: str, names: bool) -> list[dict[str, Any]]:
        label = views.period_label(period, locale)
        lines_path = folder / f"{t(locale, 'reports.csv.lines_file')}-{_slug(period)}.csv"
        money_path = folder / f"{t(locale, 'reports.csv.money_file')}-{_slug(period)}.csv"
        with self.services.db.session() as session:
            tz = practice_timezone(session, team_id)
            with csv_files.open_csv(lines_path) as handle:
                csv_files.write_lines(handle, line_rows(session, team_id, period, tz), locale, names=names)
            with csv_files.open_csv(money_path) as handle:
                csv_files.write_money(handle, money_rows(session, team_id, period, tz), locale, names=names)
        return [
            {"file": str(lines_path), "filename": lines_path.name, "title": t(locale, "reports.csv.lines_title",
                                                                               period=label)},
            {"file": str(money_path), "filename": money_path.name, "title": t(locale, "reports.csv.money_title",
                                                                               period=label)},
        ]  # fmt: skip


def register(app: App, services: Services) -> None:
    listeners = ReportListeners(services)
    app.action(ids.EXPORT_ACTION)(ack=ack_now, lazy=[listeners.export_clicked])
    app.action(ids.CHART_ACTION)(ack=ack_now, lazy=[listeners.chart_clicked])
