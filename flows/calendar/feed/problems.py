"""Why a calendar could not be read: one i18n key (and its parameters) a practice can act on."""

from __future__ import annotations


class FeedProblem(Exception):
    """A feed that could not be fetched or read. ``key`` is an i18n key of calendar_sync.json."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params: dict[str, str] = dict(params)

    def __repr__(self) -> str:
        # The parameters never hold the address (it is a secret), so they are safe to show.
        return f"FeedProblem({self.key!r}, {self.params!r})"
