"""The fuzz of every Slack request: hypothesis strategies that speak the app's own shapes, sent for real.

Junk bytes stop at the signature check or Bolt's parser; to reach the flows, the fuzz builds what Slack
would send from what the app actually put in Slack: it opens a real modal (``/invoice``, ``/client new``,
``/billing settings``…) and submits it with a drawn value for each input of the view the stand-in holds,
clicks the buttons and selects of real modals, Home tabs and messages with mutated values, asks an
external select for options, sends messages, mentions and Home events, and types commands with drawn
text. Some requests are then mutated structurally (a key dropped, a wrong type, an extra key) and signed
again, as an attacker holding the signing secret could. Every request goes through
``bot/sandbox/playground/slack_client.py``, which does Slack's side faithfully (the modal stack, the
answers to submissions), and is timed here.

What to do next depends on what the app did (which modal opened, which buttons it shows), so hypothesis
cannot draw step by step: it would see the same choices lead to different draws and call the strategy
flaky. It draws a fixed-shape ``Choices`` instead (pick indices, texts, wrong-typed values), which the
steps consume in order; shrinking still works (picks towards the first option, texts towards "").

The properties (checked by tests/bot/test_fuzz.py, counted by bench/fuzz.py): every answer is under 500 and
comes within Slack's 3 seconds, and once the queue drains no job has failed, even once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

import httpx
from hypothesis import HealthCheck, Phase, note, settings
from hypothesis import strategies as st
from slack_sdk import WebClient
from sqlalchemy import delete, select

from bot.models import BillingSettings, Client, HelpSettings, PendingWork, Service, StripeAccount, TaxRate
from bot.sandbox.playground.slack_client import SlackClient
from bot.sandbox.slack import SlackStandIn, Workspace
from bot.sandbox.stripe import StripeEmulator
from bot.services import Services
from flows.invoices.creation.logic import create_invoice
from flows.invoices.forms import InvoiceForm, LineForm

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
SLACK_ACK_SECONDS = 3.0  # Slack gives up on an answer after 3 s and shows the member an error
FUZZ_CHANNEL = "C_FUZZ"  # a channel the bot is in, chosen as the help channel
SUITE_PROFILE = "billbot-fuzz-suite"
BENCH_PROFILE = "billbot-fuzz-bench"

# Bounded for `make test` (about 20 s on SQLite, 35 s on PostgreSQL on this machine), reproducible (derandomize, no
# example database on disk), and patient: a live server answers in milliseconds, not microseconds.
settings.register_profile(
    SUITE_PROFILE,
    max_examples=120,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
)
# The bench only counts: no shrinking, a fresh random stream each run unless --seed is given.
settings.register_profile(
    BENCH_PROFILE,
    max_examples=2000,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.generate],
)

# -- text a member can type -------------------------------------------------------------------------------

# Inputs that broke, or nearly broke, a reader before: look-alike digits, signs, exponents, markup, ids.
TRICKY = (
    *("", " ", "\x00", "a\x00b", "\x07\x1b[31m", "\u202e", "\ufeff", "e\u0301", "🧾💶"),
    *("²", "①", "1²", "٣", "１２", "-0", "-1", "0", "1e9", "1e309", "NaN", "inf", "0x10", "1_000", "1,5"),
    *("12.345", "99999999999999999999", "€12,50", "80", "80.00", "2026-02-30"),
    *("<@U0ADMIN>", "<#C_GENERAL|general>", "<!channel>", "*bold* _it_ `code`", "' OR 1=1 --", "{{ 7*7 }}"),
    *("INV-0001", "INV-²", "INV-99999999999999999999", "jeanne@example.com", "https://example.com/x.png"),
)
NUMBERISH = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
    st.floats().map(repr),
    st.from_regex(r"\A[-+]?[0-9²①٣１]{0,6}([.,][0-9]{0,4})?\Z"),
)
# Every code point Python strings hold, control characters and NUL included (surrogates cannot be
# UTF-8-encoded, so no HTTP client can send them).
ANY_CHAR = st.characters(exclude_categories=("Cs",))
# Longer than any field Slack allows (4,000 for a command or a message); each use cuts it to its field.
HUGE = st.sampled_from(["x", "é", "9", "\x00", "🧾", "a b ", "\u0301"]).map(lambda s: (s * 4000)[:4000])
MEMBER_TEXT = st.one_of(st.sampled_from(TRICKY), NUMBERISH, st.text(ANY_CHAR, max_size=80), HUGE)


def wrong_value() -> st.SearchStrategy[Any]:
    """A value of the wrong type (or shape) for whatever key it replaces."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False),
        st.sampled_from(TRICKY),
        st.lists(st.integers(), max_size=3),
        st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    )


@dataclass
class Choices:
    """Everything one example decides, drawn up front in a fixed shape, consumed in order (cycling)."""

    picks: list[int]
    texts: list[str]
    oddities: list[Any]
    _at: Counter[str] = field(default_factory=Counter)

    def _next(self, pool: Sequence[T], name: str) -> T:
        index = self._at[name] % len(pool)
        self._at[name] += 1
        return pool[index]

    def pick(self, options: Sequence[T]) -> T:
        return options[self._next(self.picks, "picks") % len(options)]

    def chance(self, one_in: int) -> bool:
        return self._next(self.picks, "picks") % one_in == 0

    def number(self, low: int, high: int) -> int:
        return low + self._next(self.picks, "picks") % (high - low + 1)

    def text(self, limit: int = 3000) -> str:
        return self._next(self.texts, "texts")[:limit]

    def oddity(self) -> Any:
        return self._next(self.oddities, "oddities")


def choices() -> st.SearchStrategy[Choices]:
    return st.builds(
        Choices,
        picks=st.lists(st.integers(0, 2**20), min_size=64, max_size=64),
        texts=st.lists(MEMBER_TEXT, min_size=16, max_size=16),
        oddities=st.lists(wrong_value(), min_size=6, max_size=6),
    )


SUBCOMMANDS = {
    "/invoice": ("", "list", "list open", "list paid", "list overdue", "list ²", "INV-0001", "INV-²", "help"),
    "/client": ("", "new", "Jeanne", "jeanne martin", "Zoë", "help"),
    "/billing": ("", "setup", "settings", "template", "reminders", "help"),
}
# The commands that open each modal a member can fill in (command, text).
MODAL_OPENERS = (
    ("/invoice", ""),
    ("/client", "new"),
    ("/client", "Jeanne Martin"),
    ("/billing", "settings"),
    ("/billing", "template"),
    ("/billing", "reminders"),
    ("/billing", "help"),
    ("/billing", "setup"),
    ("/billing", ""),
)
HELP_QUESTIONS = (
    "How do I create an invoice?",
    "Is INV-0001 paid?",
    "How much does Jeanne owe?",
    "Qu'est-ce qui est impayé ?",
    "Comment envoyer un rappel ?",
    "I want to talk to a person",
)


def command_text(c: Choices, command: str) -> str:
    word = c.pick(SUBCOMMANDS[command])
    shape = c.pick(["word", "word and text", "text"])
    if shape == "word":
        return word
    # Slack caps a command's text at 4,000 characters.
    return f"{word} {c.text(200)}".strip() if shape == "word and text" else c.text(4000)


# -- what the fuzz saw ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request and the app's answer; ``status`` 0 when the connection broke or timed out."""

    label: str
    body: bytes
    status: int
    seconds: float
    error: str = ""

    def describe(self) -> str:
        shown = readable(self.body)[:3000]
        problem = f" ({self.error})" if self.error else ""
        return f"{self.label}: HTTP {self.status}{problem} in {self.seconds:.2f} s\n    body: {shown}"


def readable(body: bytes | str) -> str:
    """A request body as a person reads it: the form decoded, a payload's JSON without the view's blocks
    (its id, callback, metadata and the state typed in are what reproduce the request)."""
    text = body.decode(errors="replace") if isinstance(body, bytes) else body
    try:
        document: Any = json.loads(text)
    except ValueError:
        document = dict(parse_qsl(text, keep_blank_values=True))
        if isinstance(document.get("payload"), str):
            with contextlib.suppress(ValueError):
                document["payload"] = json.loads(document["payload"])
    payload = document.get("payload", document) if isinstance(document, dict) else document
    if isinstance(payload, dict) and isinstance(payload.get("view"), dict):
        view = payload["view"]
        keep = ("id", "callback_id", "private_metadata", "state")
        payload["view"] = {k: v for k, v in view.items() if k in keep} | {"blocks": "…"}
    return json.dumps(document, ensure_ascii=False)


@dataclass(frozen=True)
class FailedJob:
    function: str
    attempts: int
    failed: bool
    error: str
    body: str
    logged: tuple[str, ...] = ()  # the errors the app logged meanwhile: the exception, where it was raised

    def describe(self) -> str:
        head = f"job {self.function} (attempts {self.attempts}, failed={self.failed}): {self.error}"
        logged = "".join(f"\n    logged: {line}" for line in self.logged)
        return f"{head}{logged}\n    request: {readable(self.body)[:3000]}"


class ErrorLog(logging.Handler):
    """The app's ERROR records, each with the innermost frame of our own code that raised: a failed
    job's row says only "the app answered 500", the log says why."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self._lines: list[str] = []
        self._lock_lines = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        where = ""
        if record.exc_info and record.exc_info[2] is not None:
            frames = traceback.extract_tb(record.exc_info[2])
            ours = [f for f in frames if "site-packages" not in f.filename and "/lib/python" not in f.filename]
            frame = (ours or frames)[-1]
            shown = frame.filename.removeprefix(f"{ROOT}/")
            where = f" (raised at {shown}:{frame.lineno} in {frame.name})"
        with self._lock_lines:
            self._lines.append(record.getMessage()[:500] + where)

    def take(self) -> list[str]:
        with self._lock_lines:
            lines, self._lines = self._lines, []
        return lines


@dataclass
class Findings:
    tried: int = 0
    server_errors: list[Exchange] = field(default_factory=list)
    hung: list[Exchange] = field(default_factory=list)
    failed_jobs: list[FailedJob] = field(default_factory=list)
    stuck_jobs: int = 0  # work still waiting when the drain gave up
    # (what was sent, the status): shows how far the fuzz got, e.g. how many submissions reached a flow.
    answers: Counter[tuple[str, int]] = field(default_factory=Counter)
    sent: list[str] = field(default_factory=list)  # each request with its mutation, in order, for the report

    def add(self, other: Findings) -> None:
        self.tried += other.tried
        self.server_errors += other.server_errors
        self.hung += other.hung
        self.failed_jobs += other.failed_jobs
        self.stuck_jobs += other.stuck_jobs
        self.answers.update(other.answers)
        self.sent += other.sent

    @property
    def clean(self) -> bool:
        return not (self.server_errors or self.hung or self.failed_jobs or self.stuck_jobs)

    def report(self) -> str:
        lines = [f"{len(self.server_errors)} answers ≥ 500, {len(self.hung)} over {SLACK_ACK_SECONDS:.0f} s, "
                 f"{len(self.failed_jobs)} failed jobs, {self.stuck_jobs} jobs never done"]  # fmt: skip
        lines += [f"sent: {'; '.join(self.sent)}"]
        lines += [e.describe() for e in self.server_errors + self.hung]
        lines += [j.describe() for j in self.failed_jobs]
        return "\n".join(lines)


# -- the Slack side, timed and mutated --------------------------------------------------------------------


class FuzzClient(SlackClient):
    """Slack's side of the conversation (the playground's), with each request timed and maybe mutated."""

    def __init__(
        self, app_url: str, signing_secret: str, slack: SlackStandIn, team_id: str, *, mutate_one_in: int = 6
    ) -> None:
        super().__init__(app_url, signing_secret, slack, team_id)
        self.mutate_one_in = mutate_one_in  # 0: never mutate
        self.choices: Choices | None = None
        self.label = "request"
        self.findings = Findings()

    def post(self, body: bytes, content_type: str) -> httpx.Response:
        label = self.label
        if self.choices is not None and self.mutate_one_in and self.choices.chance(self.mutate_one_in):
            body, changes = mutate_body(self.choices, body, content_type)
            label = f"{label} [mutated: {'; '.join(changes)}]"
        self.findings.tried += 1
        started = time.perf_counter()
        try:
            response = super().post(body, content_type)
        except httpx.HTTPError as exc:
            self.findings.sent.append(f"{label} → {type(exc).__name__}")
            exchange = Exchange(label, body, 0, time.perf_counter() - started, f"{type(exc).__name__}: {exc}")
            # A timeout is a hang; a connection the server dropped is as bad as a 500.
            hung = isinstance(exc, httpx.TimeoutException)
            (self.findings.hung if hung else self.findings.server_errors).append(exchange)
            note(exchange.describe())
            raise
        exchange = Exchange(label, body, response.status_code, time.perf_counter() - started)
        self.findings.answers[(self.label, response.status_code)] += 1
        self.findings.sent.append(f"{label} → {response.status_code}")
        note(exchange.describe())
        if response.status_code >= 500:
            self.findings.server_errors.append(exchange)
        if exchange.seconds > SLACK_ACK_SECONDS:
            self.findings.hung.append(exchange)
        return response


def _paths(value: Any, prefix: tuple[Any, ...] = (), depth: int = 0) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    if depth > 6:
        return found
    items: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value[:5]))
    for key, child in items:
        found.append((*prefix, key))
        found += _paths(child, (*prefix, key), depth + 1)
    return found


def mutate_json(c: Choices, document: Any, changes: list[str]) -> Any:
    """One to three structural changes: a key dropped, a value of the wrong type, an extra key."""
    for _ in range(c.number(1, 3)):
        paths = _paths(document)
        if not paths:
            changes.append("whole document replaced")
            return c.oddity()
        path = c.pick(paths)
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        operation = c.pick(["drop", "retype", "extra"])
        where = ".".join(map(str, path))
        if operation == "drop" and isinstance(parent, dict):
            del parent[path[-1]]
            changes.append(f"{where} dropped")
        elif operation == "extra" and isinstance(parent, dict):
            key = c.text(20) or "x"
            parent[key] = c.oddity()
            changes.append(f"extra key {key[:20]!r} beside {where}")
        else:
            parent[path[-1]] = c.oddity()
            changes.append(f"{where} = {parent[path[-1]]!r:.40}")
    return document


def mutate_body(c: Choices, body: bytes, content_type: str) -> tuple[bytes, list[str]]:
    """The body with structural changes, and what they were (for the finding's label)."""
    changes: list[str] = []
    if content_type == "application/json":
        return json.dumps(mutate_json(c, json.loads(body), changes)).encode(), changes
    form = dict(parse_qsl(body.decode(), keep_blank_values=True))
    if "payload" in form:
        form["payload"] = json.dumps(mutate_json(c, json.loads(form["payload"]), changes))
        return urlencode(form).encode(), changes
    key = c.pick(sorted(form))
    operation = c.pick(["drop", "retype", "extra"])
    if operation == "drop":
        del form[key]
        changes.append(f"{key} dropped")
    elif operation == "extra":
        form[c.text(20) or "x"] = c.text(50)
        changes.append("extra field")
    else:
        form[key] = c.text(200)
        changes.append(f"{key} = {form[key]!r:.40}")
    return urlencode(form).encode(), changes


# -- the values of a view's elements, as Slack reports them -----------------------------------------------

FORGED_VALUES = ("1", "2", "3", "0", "-1", "new", "999999999999", "None")


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def forged_option(c: Choices) -> dict[str, Any]:
    value = c.pick(FORGED_VALUES) if c.chance(2) else c.text(150)
    return {"text": {"type": "plain_text", "text": "x", "emoji": True}, "value": value}


def an_option(c: Choices, element: dict[str, Any]) -> dict[str, Any] | None:
    options = _options(element)
    how = c.pick(["real", "real", "forged", "none"])
    if how == "real" and options:
        return c.pick(options)
    return None if how == "none" else forged_option(c)


def some_options(c: Choices, element: dict[str, Any]) -> list[dict[str, Any]]:
    options = _options(element)
    if options and not c.chance(4):
        return [o for o in options if c.chance(2)]
    return [forged_option(c) for _ in range(c.number(0, 2))]


def a_date(c: Choices) -> str | None:
    how = c.pick(["near", "near", "far", "none", "text"])
    if how == "near":
        return (date.today() + timedelta(days=c.number(-400, 400))).isoformat()
    if how == "far":
        return c.pick([date.min, date.max, date(1970, 1, 1), date(2000, 2, 29)]).isoformat()
    return None if how == "none" else c.text(20)


def a_time(c: Choices) -> str | None:
    how = c.pick(["valid", "valid", "odd", "none", "text"])
    if how == "valid":
        return f"{c.number(0, 23):02d}:{c.number(0, 59):02d}"
    if how == "odd":
        return c.pick(["24:00", "9:5", "-1:00", "12:60", "12:00:00"])
    return None if how == "none" else c.text(10)


def a_conversation(c: Choices, ws: Workspace) -> str | None:
    how = c.pick(["real", "real", "none", "text"])
    if how == "real":
        return c.pick(sorted(ws.channels))
    return None if how == "none" else c.text(20)


TEXT_KINDS = ("plain_text_input", "number_input", "email_text_input", "url_text_input")


def element_state(c: Choices, element: dict[str, Any], ws: Workspace) -> dict[str, Any]:
    """What Slack reports for ``element`` after a member used it: ``{"type": …, <its value keys>}``."""
    kind = str(element.get("type"))
    state: dict[str, Any] = {"type": kind}
    if kind in TEXT_KINDS:
        initial = element.get("initial_value")
        how = c.pick(["text", "text", "text", "initial", "none"])
        if how == "text":
            state["value"] = c.text(int(element.get("max_length") or 3000))
        else:
            state["value"] = initial if how == "initial" else None
    elif kind in ("static_select", "external_select", "radio_buttons", "overflow"):
        state["selected_option"] = an_option(c, element)
    elif kind in ("checkboxes", "multi_static_select", "multi_external_select"):
        state["selected_options"] = some_options(c, element)
    elif kind == "datepicker":
        state["selected_date"] = a_date(c)
    elif kind == "timepicker":
        state["selected_time"] = a_time(c)
    elif kind == "conversations_select":
        state["selected_conversation"] = a_conversation(c, ws)
    elif kind == "multi_conversations_select":
        state["selected_conversations"] = [a_conversation(c, ws) for _ in range(c.number(0, 3))]
    elif kind == "users_select":
        state["selected_user"] = c.pick(sorted(ws.users)) if c.chance(2) else c.text(20)
    elif kind == "file_input":
        state["files"] = [{"id": c.text(20), "name": c.text(50)} for _ in range(c.number(0, 2))]
    elif kind == "button":
        if c.chance(2):
            if "value" in element:
                state["value"] = element["value"]
        elif not c.chance(4):
            state["value"] = c.text(2000)  # Slack's limit for a button's value
    if c.chance(10) and len(state) > 1:
        state.pop(sorted(k for k in state if k != "type")[0])
    return state


def view_values(c: Choices, view: dict[str, Any], ws: Workspace) -> dict[str, Any]:
    """Slack's ``view.state.values`` for a submission: a drawn value per input, some inputs left out."""
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input" or "element" not in block or c.chance(10):
            continue
        element = block["element"]
        values[block["block_id"]] = {element["action_id"]: element_state(c, element, ws)}
    return values


def interactive_elements(blocks: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(block_id, element) for every element a member can click or change (the ones that tell the app)."""
    found: list[tuple[str, dict[str, Any]]] = []
    for block in blocks or []:
        block_id = str(block.get("block_id", "b"))
        if block.get("type") == "actions":
            found += [(block_id, e) for e in block.get("elements", []) if "action_id" in e]
        elif block.get("type") == "section" and "action_id" in block.get("accessory", {}):
            found.append((block_id, block["accessory"]))
        elif block.get("type") == "input" and block.get("dispatch_action") and "element" in block:
            found.append((block_id, block["element"]))
    return found


def action_of(c: Choices, block_id: str, element: dict[str, Any], ws: Workspace) -> dict[str, Any]:
    """The ``actions[0]`` of a block_actions payload for a member using ``element``."""
    action = element_state(c, element, ws)
    action |= {"action_id": element["action_id"], "block_id": block_id}
    if element.get("type") == "button":
        action["text"] = element.get("text", {"type": "plain_text", "text": "?"})
    return action


# -- a practice worth fuzzing -----------------------------------------------------------------------------


def seed_practice(
    services: Services, stripe: StripeEmulator, slack: SlackStandIn, ws: Workspace, admin: str, members: list[str]
) -> None:
    """Stripe connected and able to take payments, billing settings, a tax rate, a service, two clients,
    a help channel, and one invoice posted with its buttons: what the deep paths need to be reached."""
    ws.add_channel(FUZZ_CHANNEL, name="fuzz", members=[*members, ws.bot_user_id])
    account = services.stripe.create_account("express", idempotency_key="fuzz-account", metadata={})
    stripe.complete_onboarding(account["id"])
    rate = services.stripe.create_tax_rate(
        account["id"], display_name="TVA", percentage=Decimal("20"), inclusive=False, idempotency_key="fuzz-rate"
    )
    with services.db.session() as session:
        session.add(StripeAccount(team_id=ws.team_id, account_id=account["id"], connection="express",
                                  charges_enabled=True, payouts_enabled=True, details_submitted=True))  # fmt: skip
        session.add(BillingSettings(team_id=ws.team_id, currency="eur", address_line1="1 rue de la Paix",
                                    city="Paris", postal_code="75002", country="FR"))  # fmt: skip
        tax = TaxRate(team_id=ws.team_id, name="TVA", percentage=Decimal("20"), stripe_tax_rate_id=rate["id"],
                      stripe_account_id=account["id"])  # fmt: skip
        session.add(tax)
        session.flush()
        session.add(Service(team_id=ws.team_id, name="Séance", unit_amount=8000, currency="eur", tax_rate_id=tax.id))
        jeanne = Client(team_id=ws.team_id, name="Jeanne Martin", name_key="jeanne martin",
                        email="jeanne@example.com", created_by=admin)  # fmt: skip
        session.add(jeanne)
        session.add(Client(team_id=ws.team_id, name="Zoë Ünïcødé", name_key="zoë ünïcødé", created_by=admin))
        session.add(HelpSettings(team_id=ws.team_id, channels=json.dumps([FUZZ_CHANNEL])))
        session.flush()
        assert jeanne.id is not None and tax.id is not None
        client_id, tax_id = jeanne.id, tax.id
    line = LineForm(service_date=date.today(), description="Séance", quantity=1, unit_amount=8000, tax_rate_id=tax_id)
    form = InvoiceForm(client_id=client_id, currency="eur", due_date=date.today() + timedelta(days=30), lines=(line,))
    outcome = create_invoice(
        services, WebClient(token=ws.bot_token, base_url=slack.url), team_id=ws.team_id, user_id=admin, locale="en",
        form=form, request_key="fuzz-seed", channel_id=FUZZ_CHANNEL,
    )  # fmt: skip
    assert outcome.error is None, outcome.error


# -- the queue ----------------------------------------------------------------------------------------------

_TABLE = PendingWork.__table__  # type: ignore[attr-defined]


def drain(services: Services, timeout: float = 10.0) -> tuple[list[FailedJob], int]:
    """Wait until every job has run or failed; returns the jobs that failed (then removed, so each is
    reported once) and how many were still waiting when ``timeout`` ran out."""
    deadline = time.monotonic() + timeout
    services.work.at_once.wait_idle(timeout)  # a modal opened at once, skipping the queue
    waiting = select(_TABLE.c.id).where(_TABLE.c.last_error.is_(None), _TABLE.c.failed.is_(False))
    while True:
        with services.db.engine.connect() as conn:
            left = len(conn.execute(waiting).all())
        if left == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    broken = _TABLE.c.last_error.is_not(None) | _TABLE.c.failed.is_(True)
    with services.db.engine.begin() as conn:
        rows = conn.execute(select(_TABLE).where(broken)).all()
        conn.execute(delete(_TABLE).where(_TABLE.c.id.in_([row.id for row in rows])))
    return [FailedJob(row.function, row.attempts, row.failed, row.last_error or "", row.body) for row in rows], left


# -- the steps of one example -------------------------------------------------------------------------------


@dataclass
class Fuzz:
    client: FuzzClient
    services: Services
    users: list[str]
    errors: ErrorLog = field(default_factory=ErrorLog)

    def __post_init__(self) -> None:
        logging.getLogger().addHandler(self.errors)

    def close(self) -> None:
        logging.getLogger().removeHandler(self.errors)
        self.client.close()

    @property
    def ws(self) -> Workspace:
        return self.client.workspace

    def settle(self) -> None:
        """Let the work of the last request finish, so the next step sees what it did (and failures show)."""
        failed, left = drain(self.services)
        logged = tuple(self.errors.take())
        failed = [replace(job, logged=logged) for job in failed]
        findings = self.client.findings
        findings.failed_jobs += failed
        findings.stuck_jobs += left
        for job in failed:
            note(job.describe())

    def _send(self, label: str, send: Any) -> None:
        self.client.label = label
        try:
            send()
        except httpx.HTTPError:
            pass  # already counted by FuzzClient.post
        finally:
            self.settle()

    def _channel(self, c: Choices, user: str) -> str:
        return c.pick([FUZZ_CHANNEL, "C_GENERAL", user])

    # Each step is one thing a member does; the modal step a few.

    def command(self, c: Choices, user: str) -> None:
        name = c.pick(sorted(SUBCOMMANDS))
        text, channel = command_text(c, name), self._channel(c, user)
        self._send(f"{name} command", lambda: self.client.command(user, channel, name, text))

    def modal(self, c: Choices, user: str) -> None:
        name, text = c.pick(MODAL_OPENERS)
        self._send(f"{name} {text} (opening)", lambda: self.client.command(user, FUZZ_CHANNEL, name, text))
        for _ in range(c.number(1, 4)):
            stack = self.ws.views(user)
            if not stack:
                return
            view = stack[-1]
            callback = view.get("callback_id", "")
            # Slack offers no way to submit a modal without a submit button (a notice, a confirmation).
            kind = c.pick(["submit", "submit", "act", "suggest"] if "submit" in view else ["act", "suggest"])
            values = view_values(c, view, self.ws)
            if kind == "submit":
                self._send(f"view_submission {callback}", partial(self.client.submit, user, view["id"], values))
            elif kind == "act":
                self._act(c, user, view["blocks"], f"{callback} view", view_id=view["id"], values=values)
            else:
                self._suggest(c, user, view, values)

    def _act(self, c: Choices, user: str, blocks: list[dict[str, Any]], where: str, **at: Any) -> None:
        elements = interactive_elements(blocks)
        if not elements:
            return
        block_id, element = c.pick(elements)
        action = action_of(c, block_id, element, self.ws)
        self._send(f"block_actions {element['action_id']} in {where}", lambda: self.client.action(user, action, **at))

    def _suggest(self, c: Choices, user: str, view: dict[str, Any], values: dict[str, Any]) -> None:
        selects = [
            (b["block_id"], b["element"])
            for b in view["blocks"]
            if b.get("type") == "input" and b.get("element", {}).get("type") == "external_select"
        ]
        if not selects:
            return
        block_id, element = c.pick(selects)
        query, action_id = c.text(200), element["action_id"]
        self._send(
            f"block_suggestion {action_id}",
            lambda: self.client.suggest(user, action_id, block_id, query, view_id=view["id"], values=values),
        )

    def click(self, c: Choices, user: str) -> None:
        """A click on a real message (channel, DM or ephemeral) or Home tab the app has shown."""
        surfaces: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = []
        home = self.ws.home(user)
        if home is not None:
            surfaces.append(("home", home.get("blocks", []), {"view_id": home["id"]}))
        for channel in (FUZZ_CHANNEL, self.ws.im_channel(user).id, "C_GENERAL"):
            shown = self.ws.messages(channel)[-6:] + self.ws.ephemeral(channel, user)[-6:]
            for message in shown:
                if message.blocks and interactive_elements(message.blocks):
                    at = {"channel_id": channel, "message_ts": message.ts}
                    surfaces.append((f"message in {channel}", message.blocks, at))
        if not surfaces or c.chance(6):
            self._send("app_home_opened", lambda: self.client.open_home(user))
            return
        where, blocks, at = c.pick(surfaces)
        self._act(c, user, blocks, where, **at)

    def message(self, c: Choices, user: str) -> None:
        channel = c.pick([FUZZ_CHANNEL, user])
        text = c.pick(HELP_QUESTIONS) if c.chance(3) else c.text(4000)
        if c.chance(3):
            text = f"@billbot {text}"
        self._send("message", lambda: self.client.message(user, channel, text))

    def event(self, c: Choices, user: str) -> None:
        """Events of the kinds the app subscribes to, in shapes a member can cause (edits, joins, threads…)."""
        kind = c.pick(["message", "app_mention", "app_home_opened", "reaction_added"])
        event: dict[str, Any] = {"type": kind, "user": user, "ts": self.ws.next_ts(), "team": self.ws.team_id}
        # Slack sends app_mention only from conversations the bot is in; messages also from #general here
        # (the app must ignore them: it is not a help channel).
        channels = [FUZZ_CHANNEL, self.ws.im_channel(user).id] + (["C_GENERAL"] if kind == "message" else [])
        event["channel"] = c.pick(channels)
        event["text"] = c.text(4000)
        if kind == "message":
            event["channel_type"] = c.pick(["channel", "im", "group", "mpim"])
            subtypes = [None, "message_changed", "message_deleted", "bot_message", "channel_join",
                        "thread_broadcast", "file_share", "me_message"]  # fmt: skip
            if (subtype := c.pick(subtypes)) is not None:
                event["subtype"] = subtype
        if kind == "app_home_opened":
            event["tab"] = c.pick(["home", "messages", "about"])
        if c.chance(2):
            event["thread_ts"] = self.ws.next_ts() if c.chance(2) else c.text(20)
        if c.chance(5):
            event["bot_id"] = c.pick([self.ws.bot_id, "B0OTHER"])
        self._send(f"event {kind}", lambda: self.client.event(event))

    def run(self, c: Choices) -> None:
        """One example: a few steps of any kind, by any of the users; each request maybe mutated."""
        self.client.choices = c
        for user in self.users:
            self.ws.close_views(user)
        steps = [self.command, self.modal, self.modal, self.modal, self.click, self.message, self.event]
        for _ in range(c.number(1, 3)):
            c.pick(steps)(c, c.pick(self.users))
