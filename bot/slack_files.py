"""Files a member put in a modal's file input, downloaded from Slack with the bot token.

The token goes only to Slack's file host (or to the stand-in that plays Slack in tests and the playground),
never to an address a forged payload names.
"""

from __future__ import annotations

import urllib.request
from urllib.error import URLError
from urllib.parse import urlsplit

SLACK_FILES_HOST = "files.slack.com"


class SlackFileError(Exception):
    """The file could not be downloaded: ``too_large`` (over the caller's cap) or ``unreadable`` (anything else)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def may_fetch(url: str, slack_api_url: str) -> bool:
    """The bot token goes only to Slack's file host (or the stand-in that plays Slack in tests)."""
    target = urlsplit(url)
    api = urlsplit(slack_api_url)
    if target.scheme == "https" and target.hostname == SLACK_FILES_HOST:
        return True
    return (target.scheme, target.netloc) == (api.scheme, api.netloc)


def download(url: str, token: str | None, slack_api_url: str, *, max_bytes: int, timeout: float) -> bytes:
    """A file's bytes from its url_private_download (needs the files:read scope), at most ``max_bytes``."""
    if not may_fetch(url, slack_api_url):
        raise SlackFileError("unreadable")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data: bytes = response.read(max_bytes + 1)
    except (URLError, OSError, ValueError) as exc:
        raise SlackFileError("unreadable") from exc
    if len(data) > max_bytes:
        raise SlackFileError("too_large")
    return data
