"""Logging set-up, and the one place that keeps secrets and client emails out of every log line.

The masking runs in a log-record factory rather than in one handler's filter: a record is masked once,
when a logger decides to emit it, so every handler sees the masked text, ours and any other (uvicorn's,
pytest's, one a library attaches later). Disabled levels never create a record, so they cost nothing.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# A configured value shorter than this is not masked by value: masking "abc" everywhere would eat words.
MIN_EXACT_SECRET = 8

# Secrets with a recognisable shape, shown as their prefix and "…" so a line still says what was there.
_SHAPED = re.compile(
    r"\b("
    r"(?:xox[a-z]\.)?xox[a-z]-|xapp-"  # Slack bot, user, refresh (xoxe-) and rotated (xoxe.xoxb-) tokens
    r"|(?:sk|rk)_(?:test|live)_|whsec_|ek_(?:test|live)_"  # Stripe keys, webhook secrets, ephemeral keys
    r")[A-Za-z0-9_-]+"
    # Stripe Connect refresh tokens and OAuth codes: long enough not to catch an identifier like rt_id.
    r"|\b(rt_|ac_)[A-Za-z0-9]{12,}"
    # A PaymentIntent's or SetupIntent's client secret (pi_…_secret_…).
    r"|(_secret_)[A-Za-z0-9]+"
)
# Credentials in a header, a URL, a form, a query string or a printed dict, whatever their shape.
_BEARER = re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@/\s]+(@)")
_NAMED = re.compile(
    r"""(\b(?:client_secret|signing_secret|refresh_token|access_token|token|password|secret)["']?\s*[:=]\s*\[?["']?)"""
    r"""[^\s"'&,;}\]]+"""
    # OAuth's `code` only where it is a parameter: a query or form (?code= &code=) or a printed dict (of lists:
    # Bolt prints a parsed query string).
    r"""|((?:[?&]|\A)code=|'code':\s*\[?')[^\s"'&,;}\]]+""",
    re.IGNORECASE,
)
# Emails, also URL-encoded as forms send them (jeanne%40example.com): the first letter and the domain stay.
_EMAIL = re.compile(r"\b([A-Za-z0-9])[A-Za-z0-9._%+-]*(@|%40)([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b")

_MASKED = "billbot_masked"  # set on a record once masked, so a second pass costs nothing
_exact: re.Pattern[str] | None = None
_exact_values: set[str] = set()
_exact_clues: tuple[str, ...] = ()
_exact_lock = threading.Lock()


def mask_values(values: Iterable[str | None]) -> None:
    """Mask these exact values from now on: configured secrets that have no recognisable shape."""
    global _exact, _exact_clues
    with _exact_lock:
        _exact_values.update(value for value in values if value and len(value) >= MIN_EXACT_SECRET)
        if _exact_values:
            # Longest first, so a secret containing another is masked whole.
            alternatives = sorted(_exact_values, key=len, reverse=True)
            _exact, _exact_clues = re.compile("|".join(map(re.escape, alternatives))), tuple(alternatives)


def _shaped(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2) or match.group(3)) + "…"


def _named(match: re.Match[str]) -> str:
    return (match.group(1) or match.group(2)) + "…"


# Each pattern runs only on a line holding one of its literal clues: `in` is some fifty times cheaper than a
# regex scan, and most lines hold none.
_SHAPED_CLUES = ("xox", "xapp-", "k_test_", "k_live_", "whsec_", "rt_", "ac_", "_secret_")
_BEARER_CLUES = ("earer", "EARER", "asic", "ASIC")
_NAMED_CLUES = ("ecret", "oken", "assword", "code", "ECRET", "OKEN", "ASSWORD")  # any capital first letter
_EMAIL_CLUES = ("@", "%40")


def _has(text: str, clues: tuple[str, ...]) -> bool:
    return any(map(text.__contains__, clues))


def redact(text: str) -> str:
    """``text`` with every secret and email masked."""
    if _exact is not None and _has(text, _exact_clues):
        text = _exact.sub("<secret>", text)
    if _has(text, _BEARER_CLUES):
        text = _BEARER.sub(r"\1 …", text)
    if _has(text, _SHAPED_CLUES):
        text = _SHAPED.sub(_shaped, text)
    if "://" in text and "@" in text:
        text = _URL_PASSWORD.sub(r"\1…\2", text)
    if _has(text, _NAMED_CLUES):
        text = _NAMED.sub(_named, text)
    if _has(text, _EMAIL_CLUES):
        text = _EMAIL.sub(r"\1…\2\3", text)
    return text


def _redact_record(record: logging.LogRecord) -> None:
    if getattr(record, _MASKED, False):
        return
    setattr(record, _MASKED, True)
    message = record.getMessage()
    masked = redact(message)
    if masked != message:
        args = record.args
        if isinstance(args, tuple) and all(isinstance(arg, str | int | float) for arg in args):
            # Mask the parts and keep the args: formatters such as uvicorn's access one read them.
            parts = tuple(redact(arg) if isinstance(arg, str) else arg for arg in args)
            template = redact(record.msg) if isinstance(record.msg, str) else record.msg
            try:
                kept_args = redact(str(template) % parts) == str(template) % parts
            except (TypeError, ValueError):
                kept_args = False
            if kept_args:
                record.msg, record.args = template, parts
            else:
                record.msg, record.args = masked, None
        else:
            record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        # Formatted now, masked, and cached where every Formatter looks before formatting it again.
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _masking_factory(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        _redact_record(record)
        return record

    factory.masks_secrets = True  # type: ignore[attr-defined]
    return factory


def _install_masking() -> None:
    current = logging.getLogRecordFactory()
    if not getattr(current, "masks_secrets", False):
        logging.setLogRecordFactory(_masking_factory(current))


class RedactSecrets(logging.Filter):
    """For a handler fed records made before configure() (or by logging.makeLogRecord): masks them too."""

    def filter(self, record: logging.LogRecord) -> bool:
        _redact_record(record)
        return True


def _log_uncaught(kind: type[BaseException], error: BaseException, traceback: TracebackType | None) -> None:
    logging.getLogger("billbot.uncaught").critical("uncaught exception", exc_info=(kind, error, traceback))


def _log_uncaught_in_thread(hook: threading.ExceptHookArgs) -> None:
    if hook.exc_type is SystemExit:
        return
    exc_info = (hook.exc_type, hook.exc_value or hook.exc_type(), hook.exc_traceback)
    name = hook.thread.name if hook.thread is not None else "?"
    logging.getLogger("billbot.uncaught").critical("uncaught exception in thread %s", name, exc_info=exc_info)


# Loggers whose INFO lines are Billbot's own (and its HTTP server's): every other library's are held to WARNING.
OWN_LOGGERS = ("bot", "flows", "billbot", "uvicorn", "__main__")


class LibrariesAtWarning(logging.Filter):
    """Below DEBUG, a library's INFO lines (fontTools' per-glyph notes, httpx's and stripe's per-request lines)
    are dropped: a first journey logged 525 of them for 12 of Billbot's own. Its warnings and errors stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        name = record.name
        return any(name == own or name.startswith(own + ".") for own in OWN_LOGGERS)


def configure(level: str = "INFO") -> None:
    _install_masking()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets())
    if logging.getLevelName(level.upper()) != logging.DEBUG:
        handler.addFilter(LibrariesAtWarning())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Tracebacks Python would print itself, and warnings, go through the masked handler instead.
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    logging.captureWarnings(True)
    # Alembic announces every plugin it loads at INFO.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def uvicorn_log_config() -> dict[str, Any]:
    """For uvicorn's ``log_config``: its loggers keep no handler of their own and propagate to the root's,
    so its lines are formatted as ours are; their level is left unset, to follow BILLBOT_LOG_LEVEL."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "loggers": {
            name: {"handlers": [], "propagate": True} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
