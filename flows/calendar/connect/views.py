"""Block Kit for `/billing calendar`: the connect form, "Reading your calendar…", the connected view with its
settings, the "to sort" list and the service keyword rules. Views only: what to show is decided elsewhere."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot import blocks
from bot.blocks import Block, Element
from bot.i18n import format_date, format_datetime, plural, t
from bot.timezones import zone
from flows.calendar.connect import ids
from flows.calendar.connect.logic import FeedStatus, RuleRow, ServiceChoice, SortGroup
from flows.calendar.connect.validation import FeedSettings

View = dict[str, Any]
# Each event to sort takes two blocks (its line, its picker and button); the rest of the modal takes a few.
SORT_GROUPS_MAX = 40
RULES_SHOWN_MAX = 80
DEFAULT_SETTINGS = FeedSettings(None, None, False, 5)


@dataclass(frozen=True)
class ConnectPage:
    """The connect form: what to show in its fields (after a failed try, what the person entered)."""

    locale: str
    services: list[ServiceChoice]
    url: str | None = None
    settings: FeedSettings = DEFAULT_SETTINGS
    problem: str | None = None  # why the last try failed, under the field it is about
    problem_on_file: bool = False
    banner: str | None = None


@dataclass(frozen=True)
class ConnectedPage:
    locale: str
    tz: str
    feed: FeedStatus
    services: list[ServiceChoice]
    banner: str | None = None


@dataclass(frozen=True)
class SortPage:
    locale: str
    tz: str
    feed_id: int
    groups: list[SortGroup]
    clients: list[tuple[int, str]] | None  # every client for a static select; None: the searching select
    banner: str | None = None


@dataclass(frozen=True)
class RulesPage:
    locale: str
    rules: list[RuleRow]
    services: list[ServiceChoice]
    revision: int = 0
    banner: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# -- the connect form ------------------------------------------------------------------------------------


def connect_modal(page: ConnectPage) -> View:
    locale = page.locale
    warning = (
        blocks.context(":warning: " + blocks.escape_mrkdwn(page.problem)) | {"block_id": ids.PROBLEM}
        if page.problem
        else None
    )
    content: list[Block] = []
    if page.banner:
        content.append(blocks.section(page.banner, block_id="calendar_banner"))
    content.append(blocks.section(t(locale, "calendar.connect.intro")))
    url = blocks.text_field(
        t(locale, "calendar.connect.url"),
        ids.URL,
        max_length=2000,
        initial=page.url,
        optional=True,
        placeholder="https://calendar.google.com/calendar/ical/…/basic.ics",
        hint=t(locale, "calendar.connect.url_hint"),
    )
    content.append(url)
    if warning is not None and not page.problem_on_file:
        content.append(warning)
    upload = blocks.input_block(
        t(locale, "calendar.connect.file"),
        blocks.file_input(ids.FILE, filetypes=["ics"], max_files=1),
        block_id=ids.FILE,
        optional=True,
        hint=t(locale, "calendar.connect.file_hint"),
    )
    content.append(upload)
    if warning is not None and page.problem_on_file:
        content.append(warning)
    content.append(blocks.divider())
    content.extend(settings_inputs(locale, page.services, page.settings))
    return blocks.modal(
        t(locale, "calendar.connect.title"),
        content,
        callback_id=ids.CONNECT_CALLBACK,
        close=t(locale, "common.close"),
        submit=t(locale, "calendar.connect.submit"),
    )


def settings_inputs(locale: str, services: list[ServiceChoice], settings: FeedSettings) -> list[Block]:
    """The feed's settings, in the connect form and in the connected view."""
    none = blocks.option(t(locale, "calendar.connect.no_service"), ids.NO_SERVICE)
    options = [none] + [blocks.option(s.name, str(s.id)) for s in services[: blocks.SELECT_OPTIONS_MAX - 1]]

    def select(block_id: str, chosen: int | None) -> Element:
        initial = next((o for o in options if o["value"] == str(chosen)), none)
        return blocks.static_select(block_id, options=options, initial_option=initial)

    prompt_option = blocks.option(t(locale, "calendar.connect.prompt_option"), ids.PROMPT_ON)
    minutes = [
        blocks.option(
            plural(locale, "calendar.connect.minutes", n) if n else t(locale, "calendar.connect.minutes_zero"), str(n)
        )
        for n in ids.PROMPT_MINUTE_CHOICES
    ]
    chosen_minutes = next((o for o in minutes if o["value"] == str(settings.prompt_delay_minutes)), minutes[1])
    no_services = [blocks.context(t(locale, "calendar.connect.no_services"))] if not services else []
    return [
        *no_services,
        blocks.input_block(
            t(locale, "calendar.connect.default_service"),
            select(ids.DEFAULT_SERVICE, settings.default_service_id),
            block_id=ids.DEFAULT_SERVICE,
            optional=True,
            hint=t(locale, "calendar.connect.default_service_hint"),
        ),
        blocks.input_block(
            t(locale, "calendar.connect.no_show_service"),
            select(ids.NO_SHOW_SERVICE, settings.no_show_service_id),
            block_id=ids.NO_SHOW_SERVICE,
            optional=True,
            hint=t(locale, "calendar.connect.no_show_service_hint"),
        ),
        blocks.input_block(
            t(locale, "calendar.connect.prompt"),
            blocks.checkboxes(
                ids.PROMPT, [prompt_option], initial_options=[prompt_option] if settings.prompt_on_end else None
            ),
            block_id=ids.PROMPT,
            optional=True,
        ),
        blocks.input_block(
            t(locale, "calendar.connect.prompt_minutes"),
            blocks.static_select(ids.PROMPT_MINUTES, options=minutes, initial_option=chosen_minutes),
            block_id=ids.PROMPT_MINUTES,
            optional=True,
        ),
    ]


def reading_modal(locale: str) -> View:
    return blocks.notice_modal(
        t(locale, "calendar.connect.title"),
        t(locale, "calendar.connect.reading"),
        callback_id=ids.READING_CALLBACK,
        close=t(locale, "common.close"),
    )


def notice_modal(locale: str, text: str) -> View:
    return blocks.notice_modal(
        t(locale, "calendar.connect.title"), text, callback_id=ids.NOTICE_CALLBACK, close=t(locale, "common.close")
    )


# -- the connected view ----------------------------------------------------------------------------------


def when(moment: datetime, locale: str, tz: str) -> str:
    """A date and time where the person is, in their language's one format."""
    return format_datetime(moment, locale, "short", tz=zone(tz).key)


def problem_text(locale: str, key: str | None, params: dict[str, str]) -> str:
    return t(locale, key or "calendar.error.unreachable", **params)


def connected_modal(page: ConnectedPage) -> View:
    locale, feed = page.locale, page.feed
    content: list[Block] = []
    if page.banner:
        content.append(blocks.section(page.banner, block_id="calendar_banner"))
    if feed.source == "url" and feed.address:
        source = t(locale, "calendar.connect.connected_url", address=blocks.escape_mrkdwn(feed.address))
    else:
        source = t(locale, "calendar.connect.connected_file")
    content.append(blocks.section(source, block_id="calendar_source"))
    synced = (
        t(locale, "calendar.connect.synced_at", when=when(feed.last_synced_at, locale, page.tz))
        if feed.last_synced_at
        else t(locale, "calendar.connect.never_synced")
    )
    counts = [
        synced,
        plural(locale, "calendar.connect.sessions", feed.sessions),
        plural(locale, "calendar.connect.to_sort_count", feed.to_sort),
    ]
    content.append(blocks.context(" · ".join(counts)) | {"block_id": "calendar_counts"})
    if feed.failing:
        reason = problem_text(locale, feed.error_key, feed.error_params)
        content.append(
            blocks.section(t(locale, "calendar.connect.failing", reason=reason), block_id="calendar_failing")
        )
    content.append(blocks.actions(*_connected_buttons(locale, feed), block_id="calendar_buttons"))
    if feed.source == "file":
        # An upload has no address to read again: a newer export, given here, is read on Save.
        newer = blocks.file_input(ids.FILE, filetypes=["ics"], max_files=1)
        content.append(
            blocks.input_block(
                t(locale, "calendar.connect.newer_file"),
                newer,
                block_id=ids.FILE,
                optional=True,
                hint=t(locale, "calendar.connect.newer_file_hint"),
            )
        )
    content.append(blocks.divider())
    content.append(blocks.section(t(locale, "calendar.connect.settings")))
    content.extend(settings_inputs(locale, page.services, feed.settings))
    return blocks.modal(
        t(locale, "calendar.connect.title"),
        content,
        callback_id=ids.CONNECTED_CALLBACK,
        close=t(locale, "common.close"),
        submit=t(locale, "calendar.connect.save"),
        private_metadata=json.dumps({"feed": feed.id}),
    )


def _connected_buttons(locale: str, feed: FeedStatus) -> list[Element]:
    value = str(feed.id)
    buttons = []
    if feed.source == "url":
        buttons.append(
            blocks.button(t(locale, "calendar.connect.sync_now"), ids.SYNC_ACTION, value=value, style="primary")
        )
    buttons.append(
        blocks.button(t(locale, "calendar.connect.open_sort", count=feed.to_sort), ids.OPEN_SORT_ACTION, value=value)
    )
    buttons.append(blocks.button(t(locale, "calendar.connect.open_rules"), ids.OPEN_RULES_ACTION, value=value))
    disconnect = blocks.button(
        t(locale, "calendar.connect.disconnect"), ids.DISCONNECT_ACTION, value=value, style="danger"
    )
    disconnect["confirm"] = blocks.confirm(
        t(locale, "calendar.connect.disconnect_title"),
        t(locale, "calendar.connect.disconnect_text"),
        yes=t(locale, "calendar.connect.disconnect_yes"),
        no=t(locale, "calendar.connect.disconnect_no"),
        danger=True,
    )
    buttons.append(disconnect)
    return buttons


# -- the "to sort" list ------------------------------------------------------------------------------------


def sort_modal(page: SortPage) -> View:
    locale = page.locale
    content: list[Block] = []
    if page.banner:
        content.append(blocks.section(page.banner, block_id="calendar_banner"))
    if not page.groups:
        content.append(blocks.section(t(locale, "calendar.sort.empty"), block_id="calendar_sort_empty"))
    else:
        content.append(blocks.context(t(locale, "calendar.sort.intro")))
    for group in page.groups[:SORT_GROUPS_MAX]:
        content.append(blocks.section(_group_line(page, group)))
        picker = _picker(page)
        assign = blocks.button(
            t(locale, "calendar.sort.assign"), ids.ASSIGN_ACTION, value=str(group.event_id), style="primary"
        )
        content.append(blocks.actions(picker, assign, block_id=ids.sort_block(group.event_id)))
    more = len(page.groups) - SORT_GROUPS_MAX
    if more > 0:
        content.append(blocks.context(plural(locale, "calendar.sort.more", more)))
    return blocks.modal(
        t(locale, "calendar.sort.title"),
        content,
        callback_id=ids.SORT_CALLBACK,
        close=t(locale, "calendar.connect.back"),
        private_metadata=json.dumps({"feed": page.feed_id}),
    )


def _group_line(page: SortPage, group: SortGroup) -> str:
    locale = page.locale
    title = blocks.escape_mrkdwn(group.summary.strip()) or t(locale, "calendar.sort.untitled")
    # An all-day event is a day where the person is, not a time.
    local_day = group.starts_at.astimezone(zone(page.tz)).date()
    moment = format_date(local_day, locale) if group.all_day else when(group.starts_at, locale, page.tz)
    key = "calendar.sort.next" if group.upcoming else "calendar.sort.last"
    details = [plural(locale, "calendar.sort.occurrences", group.occurrences), t(locale, key, when=moment)]
    return f"*{title}*\n" + " · ".join(details)


def _picker(page: SortPage) -> Element:
    placeholder = t(page.locale, "calendar.sort.pick_client")
    if page.clients is None:
        return blocks.external_select(ids.SORT_CLIENT_ACTION, placeholder=placeholder, min_query_length=0)
    if not page.clients:
        # A select needs one option; with no client yet, the one option says where clients are made.
        options = [blocks.option(t(page.locale, "calendar.sort.no_clients"), "none")]
    else:
        options = [blocks.option(name, str(client_id)) for client_id, name in page.clients]
    return blocks.static_select(ids.SORT_CLIENT_ACTION, options=options, placeholder=placeholder)


# -- service keyword rules ---------------------------------------------------------------------------------


def rules_modal(page: RulesPage) -> View:
    locale = page.locale
    content: list[Block] = []
    if page.banner:
        content.append(blocks.section(page.banner, block_id="calendar_banner"))
    content.append(blocks.context(t(locale, "calendar.rules.intro")))
    if not page.rules:
        content.append(blocks.section(t(locale, "calendar.rules.none"), block_id="calendar_rules_none"))
    for rule in page.rules[:RULES_SHOWN_MAX]:
        remove = blocks.button(t(locale, "calendar.rules.remove"), ids.REMOVE_RULE_ACTION, value=str(rule.id))
        line = t(
            locale,
            "calendar.rules.line",
            keyword=blocks.escape_mrkdwn(rule.keyword),
            service=blocks.escape_mrkdwn(rule.service),
        )
        content.append(blocks.section(line, accessory=remove, block_id=f"calendar_rule_{rule.id}"))
    if len(page.rules) > RULES_SHOWN_MAX:
        content.append(blocks.context(plural(locale, "calendar.rules.more", len(page.rules) - RULES_SHOWN_MAX)))
    content.append(blocks.divider())
    submit = None
    if page.services:
        content.append(
            blocks.text_field(
                t(locale, "calendar.rules.keyword"),
                ids.rule_block(page.revision, ids.RULE_KEYWORD),
                max_length=100,
                placeholder=t(locale, "calendar.rules.keyword_placeholder"),
            )
        )
        options = [blocks.option(s.name, str(s.id)) for s in page.services]
        content.append(
            blocks.input_block(
                t(locale, "calendar.rules.service"),
                blocks.static_select(ids.rule_block(page.revision, ids.RULE_SERVICE), options=options),
                block_id=ids.rule_block(page.revision, ids.RULE_SERVICE),
            )
        )
        submit = t(locale, "calendar.rules.add")
    else:
        content.append(blocks.section(t(locale, "calendar.connect.no_services")))
    return blocks.modal(
        t(locale, "calendar.rules.title"),
        content,
        callback_id=ids.RULES_CALLBACK,
        close=t(locale, "calendar.connect.back"),
        submit=submit,
        private_metadata=json.dumps({"rev": page.revision, **page.extra}),
    )
