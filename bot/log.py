"""Logging set-up, with a filter that masks anything shaped like a Slack or Stripe secret."""

from __future__ import annotations

import logging
import re

# Slack tokens, Stripe secret/restricted keys and webhook secrets: never in a log line, whoever logs them.
_SECRET = re.compile(r"\b(xox[abposr]-|xapp-|sk_(?:test|live)_|rk_(?:test|live)_|whsec_)[A-Za-z0-9-_]+")


def redact(text: str) -> str:
    return _SECRET.sub(lambda match: match.group(1) + "…", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic announces every plugin it loads at INFO.
    logging.getLogger("alembic").setLevel(logging.WARNING)
