"""`/billing calendar`'s listeners: opening the modal, the connect form's submission (checked in the ack, read
and synced after it), the connected view's Save, Sync now and Disconnect; the "to sort" list and the service
rules are in sort_listeners and rule_listeners."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.exc import IntegrityError

from bot import modals
from bot.acks import ack_now
from bot.i18n import plural, t
from bot.services import Services
from bot.slack_files import SlackFileError, download
from bot.slack_users import locale_of
from bot.work_queue import after_opens
from flows.calendar.connect import ids, logic, rule_listeners, sort_listeners, views
from flows.calendar.connect.pages import Pages
from flows.calendar.connect.validation import ConnectForm, UploadedFile, connect_form, feed_settings, newer_file
from flows.calendar.feed.fetch import limits_from
from flows.calendar.feed.problems import FeedProblem
from flows.calendar.sync.apply import SyncResult, connect_feed, disconnect_feed, sync_feed

log = logging.getLogger(__name__)

SYNC_MARGIN_SECONDS = 20.0  # a read's claim outlasts its fetch deadline by the parse and the writes


def result_text(locale: str, result: SyncResult) -> str:
    """What a read of the calendar changed, in a line."""
    if result.not_modified or not (result.added or result.changed or result.removed):
        text = t(locale, "calendar.connect.result.unchanged")
    else:
        parts = [
            plural(locale, "calendar.connect.result.added", result.added),
            plural(locale, "calendar.connect.result.changed", result.changed),
            plural(locale, "calendar.connect.result.removed", result.removed),
        ]
        text = t(locale, "calendar.connect.result.changes", changes=", ".join(parts))
    if result.flagged:
        text += " " + plural(locale, "calendar.connect.result.flagged", result.flagged)
    return ":white_check_mark: " + text


def _size_words(max_bytes: int) -> str:
    return f"{max_bytes / (1024 * 1024):.0f} MB" if max_bytes >= 1024 * 1024 else f"{max(1, max_bytes // 1024)} KB"


class CalendarListeners:
    """The calendar modal's acks and lazy work, over the app's Services."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.pages = Pages(services)

    def _who(self, body: dict[str, Any], client: WebClient) -> tuple[str, str, str]:
        team_id, user_id = body["team"]["id"], body["user"]["id"]
        return team_id, user_id, locale_of(self.services, client, team_id, user_id)

    def _service_ids(self, team_id: str) -> set[int]:
        return {s.id for s in logic.services(team_id, db=self.services.db)}

    # -- connecting -------------------------------------------------------------------------------------

    def _form(
        self, body: dict[str, Any], view: dict[str, Any], locale: str
    ) -> tuple[ConnectForm | None, dict[str, str]]:
        values = view.get("state", {}).get("values", {})
        allow_local = limits_from(self.services.settings).allow_local
        return connect_form(values, locale, services=self._service_ids(body["team"]["id"]), allow_local=allow_local)

    def connect_ack(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        _, _, locale = self._who(body, client)
        form, errors = self._form(body, view, locale)
        if form is None:
            ack(response_action="errors", errors=errors)
            return
        ack(response_action="update", view=views.reading_modal(locale))

    def connect_submitted(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        team_id, user_id, locale = self._who(body, client)
        form, _ = self._form(body, view, locale)
        if form is None:  # the ack already showed the errors
            return
        view_id = view["id"]
        if logic.status(team_id, user_id, db=self.services.db) is not None:
            # Slack's retry, or a second window: the calendar is connected already.
            modals.update_view(client, view_id, self.pages.home(client, team_id, user_id, locale))
            return
        try:
            upload = self._download(client, form.file) if form.file is not None else None
            _, result = connect_feed(
                self.services,
                team_id=team_id,
                user_id=user_id,
                url=form.url,
                body=upload,
                timezone=self.pages.tz(client, team_id, user_id),
                locale=locale,
                default_service_id=form.settings.default_service_id,
                no_show_service_id=form.settings.no_show_service_id,
                prompt_on_end=form.settings.prompt_on_end,
                prompt_delay_minutes=form.settings.prompt_delay_minutes,
            )
        except FeedProblem as problem:
            # Nothing was saved: the same form again, what was entered kept, the reason under its field.
            log.info("connecting a calendar for %s/%s failed: %s", team_id, user_id, problem.key)
            again = self.pages.connect_again(team_id, locale, form, t(locale, problem.key, **problem.params))
            modals.update_view(client, view_id, again)
            return
        except IntegrityError:
            log.info("a calendar for %s/%s was connected meanwhile", team_id, user_id)
            modals.update_view(client, view_id, self.pages.home(client, team_id, user_id, locale))
            return
        banner = t(locale, "calendar.connect.connected") + "\n" + result_text(locale, result)
        modals.update_view(client, view_id, self.pages.home(client, team_id, user_id, locale, banner))

    def _download(self, client: WebClient, file: UploadedFile) -> bytes:
        settings = self.services.settings
        try:
            return download(
                file.url,
                client.token,
                settings.slack_api_url,
                max_bytes=settings.calendar_max_bytes,
                timeout=float(settings.calendar_timeout_seconds),
            )
        except SlackFileError as exc:
            if exc.reason == "too_large":
                raise FeedProblem("calendar.error.too_large", limit=_size_words(settings.calendar_max_bytes)) from exc
            raise FeedProblem("calendar.connect.error.file_unreadable") from exc

    # -- the connected view -----------------------------------------------------------------------------

    def save_ack(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        """Save: a small write, done before the answer, so the redrawn view shows what is saved. A newer .ics
        file given with it is read after the answer (save_submitted)."""
        team_id, user_id, locale = self._who(body, client)
        errors: dict[str, str] = {}
        values = view.get("state", {}).get("values", {})
        settings = feed_settings(values, locale, self._service_ids(team_id), errors)
        upload = newer_file(values, locale, errors)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        if not logic.save_settings(team_id, user_id, settings, db=self.services.db):
            ack(response_action="update", view=self.pages.home(client, team_id, user_id, locale))
            return
        if upload is not None:
            ack(response_action="update", view=views.reading_modal(locale))
            return
        banner = ":white_check_mark: " + t(locale, "calendar.connect.saved")
        ack(response_action="update", view=self.pages.home(client, team_id, user_id, locale, banner))

    def save_submitted(self, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        """The newer export of an uploaded calendar, read as its next sync."""
        team_id, user_id, locale = self._who(body, client)
        errors: dict[str, str] = {}
        upload = newer_file(view.get("state", {}).get("values", {}), locale, errors)
        feed = logic.status(team_id, user_id, db=self.services.db)
        if upload is None or errors or feed is None:
            return  # nothing to read (the ack said the rest)
        try:
            content = self._download(client, upload)
        except FeedProblem as problem:
            banner: str | None = ":warning: " + t(locale, problem.key, **problem.params)
        else:
            banner = self._sync_once(feed.id, locale, content)
        modals.update_view(client, view["id"], self.pages.home(client, team_id, user_id, locale, banner))

    def sync_now(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id, locale = self._who(body, client)
        view_id = (body.get("view") or {}).get("id")
        feed = logic.status(team_id, user_id, db=self.services.db)
        if not view_id:
            return
        if feed is None or feed.source != "url":
            modals.update_view(client, view_id, self.pages.home(client, team_id, user_id, locale))
            return
        banner = self._sync_once(feed.id, locale)
        modals.update_view(client, view_id, self.pages.home(client, team_id, user_id, locale, banner))

    def _sync_once(self, feed_id: int, locale: str, upload: bytes | None = None) -> str | None:
        """One read at a time per feed: a second click (or the scheduler's run) waits for the first to end,
        then reads again, which costs a 304 and changes nothing."""
        db, hold = self.services.db, float(self.services.settings.calendar_timeout_seconds) + SYNC_MARGIN_SECONDS
        deadline = time.monotonic() + hold
        while not logic.claim_sync(feed_id, hold, db=db):
            if time.monotonic() > deadline:
                return None  # someone else's read still runs: the view shows where the feed stands
            time.sleep(0.2)
        try:
            return result_text(locale, sync_feed(self.services, feed_id, body=upload))
        except FeedProblem as problem:
            return ":warning: " + t(locale, problem.key, **problem.params)
        except LookupError:
            return None  # disconnected meanwhile: the redraw shows the connect form
        finally:
            logic.release_sync(feed_id, db=db)

    def disconnect(self, body: dict[str, Any], client: WebClient) -> None:
        team_id, user_id, locale = self._who(body, client)
        removed = disconnect_feed(self.services, team_id=team_id, user_id=user_id)
        banner = ":white_check_mark: " + plural(locale, "calendar.connect.disconnected", removed)
        view_id = (body.get("view") or {}).get("id")
        if view_id:
            modals.update_view(client, view_id, self.pages.home(client, team_id, user_id, locale, banner))


def open_connect(
    services: Services, client: WebClient, *, trigger_id: str, team_id: str, user_id: str, locale: str
) -> None:
    """`/billing calendar` (the hub's command): the calendar modal, for any member's own calendar.

    Whatever the reads find, the trigger_id is used at once on a light modal, then filled."""
    shown = modals.open_loading(client, trigger_id)
    if shown is not None:
        pages = Pages(services)
        after_opens(lambda: modals.fill(client, shown, pages.home(client, team_id, user_id, locale)))


def register(app: App, services: Services) -> None:
    listeners = CalendarListeners(services)
    app.view(ids.CONNECT_CALLBACK)(ack=listeners.connect_ack, lazy=[listeners.connect_submitted])
    app.view(ids.CONNECTED_CALLBACK)(ack=listeners.save_ack, lazy=[listeners.save_submitted])
    app.action(ids.SYNC_ACTION)(ack=ack_now, lazy=[listeners.sync_now])
    app.action(ids.DISCONNECT_ACTION)(ack=ack_now, lazy=[listeners.disconnect])
    sort_listeners.register(app, services, listeners.pages)
    rule_listeners.register(app, services, listeners.pages)
