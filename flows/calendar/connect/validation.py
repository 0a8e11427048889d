"""What the person entered in the calendar modals → typed forms, or one message per wrong field (by block id,
in their language). Syntax only: the address is fetched after the ack, never within Slack's 3 seconds."""

from __future__ import annotations

from dataclasses import dataclass

from bot import view_state
from bot.i18n import t
from flows.calendar.connect import ids
from flows.calendar.feed.fetch import check_address
from flows.calendar.feed.problems import FeedProblem
from flows.clients import fold_name

Values = view_state.Values
Errors = dict[str, str]

URL_MAX = 2000
KEYWORD_MAX = 100
FILE_SUFFIX = ".ics"


@dataclass(frozen=True)
class UploadedFile:
    """A file the person put in the file input: Slack's id, its name, and where the bot may download it."""

    id: str
    name: str
    url: str


@dataclass(frozen=True)
class FeedSettings:
    """The feed's settings, as the connect form and the connected view's Save both carry them."""

    default_service_id: int | None
    no_show_service_id: int | None
    prompt_on_end: bool
    prompt_delay_minutes: int


@dataclass(frozen=True)
class ConnectForm:
    url: str | None  # exactly one of url and file
    file: UploadedFile | None
    settings: FeedSettings


@dataclass(frozen=True)
class RuleForm:
    keyword: str
    keyword_key: str
    service_id: int


def feed_settings(values: Values, locale: str, services: set[int], errors: Errors) -> FeedSettings:
    """The settings fields; a service that is not one of ``services`` (the practice's active ones) is an error."""
    default = _service(values, ids.DEFAULT_SERVICE, services, errors, locale)
    no_show = _service(values, ids.NO_SHOW_SERVICE, services, errors, locale)
    chosen = view_state.element(values, ids.PROMPT).get("selected_options") or []
    prompt = any(isinstance(o, dict) and o.get("value") == ids.PROMPT_ON for o in chosen)
    minutes_text = view_state.selected(values, ids.PROMPT_MINUTES)
    minutes = 5
    if minutes_text is not None:
        if minutes_text.isdigit() and int(minutes_text) in ids.PROMPT_MINUTE_CHOICES:
            minutes = int(minutes_text)
        else:
            errors[ids.PROMPT_MINUTES] = t(locale, "calendar.connect.error.minutes")
    return FeedSettings(default, no_show, prompt, minutes)


def connect_form(
    values: Values, locale: str, *, services: set[int], allow_local: bool
) -> tuple[ConnectForm | None, Errors]:
    errors: Errors = {}
    url = view_state.text(values, ids.URL) or None
    files = view_state.element(values, ids.FILE).get("files") or []
    upload = None
    if url is not None and files:
        errors[ids.URL] = t(locale, "calendar.connect.error.both")
    elif url is None and not files:
        errors[ids.URL] = t(locale, "calendar.connect.error.neither")
    elif url is not None:
        if len(url) > URL_MAX:
            errors[ids.URL] = t(locale, "common.error.too_long", limit=URL_MAX, length=len(url))
        else:
            try:
                check_address(url, allow_local=allow_local)
            except FeedProblem as problem:
                errors[ids.URL] = t(locale, problem.key, **problem.params)
    else:
        upload = _upload(files, errors, locale)
    settings = feed_settings(values, locale, services, errors)
    if errors:
        return None, errors
    return ConnectForm(url, upload, settings), {}


def newer_file(values: Values, locale: str, errors: Errors) -> UploadedFile | None:
    """The connected view's optional newer export of an uploaded calendar."""
    files = view_state.element(values, ids.FILE).get("files") or []
    return _upload(files, errors, locale) if files else None


def rule_form(values: Values, locale: str, *, revision: int, services: set[int]) -> tuple[RuleForm | None, Errors]:
    errors: Errors = {}
    keyword_block = ids.rule_block(revision, ids.RULE_KEYWORD)
    service_block = ids.rule_block(revision, ids.RULE_SERVICE)
    keyword = view_state.line(values, keyword_block, KEYWORD_MAX, errors, locale, required=True)
    key = fold_name(keyword or "")
    if keyword and not key and keyword_block not in errors:
        errors[keyword_block] = t(locale, "common.error.required")
    chosen = view_state.selected(values, service_block)
    service_id = int(chosen) if chosen is not None and chosen.isdigit() else None
    if service_id is None or service_id not in services:
        errors[service_block] = t(locale, "calendar.rules.error.service")
    if errors or keyword is None or service_id is None:
        return None, errors
    return RuleForm(keyword, key[:KEYWORD_MAX], service_id), {}


def _upload(files: list[object], errors: Errors, locale: str) -> UploadedFile | None:
    if len(files) > 1:
        errors[ids.FILE] = t(locale, "calendar.connect.error.many_files")
        return None
    found = files[0] if isinstance(files[0], dict) else {}
    name = found.get("name")
    url = found.get("url_private_download") or found.get("url_private")
    if not isinstance(found.get("id"), str) or not isinstance(url, str) or not isinstance(name, str):
        errors[ids.FILE] = t(locale, "calendar.connect.error.file_unreadable")
        return None
    if not name.lower().endswith(FILE_SUFFIX):
        errors[ids.FILE] = t(locale, "calendar.connect.error.file_type", name=name[:80])
        return None
    return UploadedFile(found["id"], name, url)


def _service(values: Values, block_id: str, services: set[int], errors: Errors, locale: str) -> int | None:
    chosen = view_state.selected(values, block_id)
    if chosen is None or chosen == ids.NO_SERVICE:
        return None
    if not chosen.isdigit() or int(chosen) not in services:
        errors[block_id] = t(locale, "calendar.connect.error.service")
        return None
    return int(chosen)
