"""Which client and which service a calendar event is: plain functions over rows loaded once per sync.

The client: an attendee's email equal to an active client's, then a remembered rule for that recurring event
(the to-sort click), then the client's name in the title, folded as `/client` search folds names (case and
accents ignored), word by word. Two clients fitting equally well is no match: the event waits to be sorted.
The service: the first keyword rule found in the title (whole words, folded), else the feed's default.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from flows.clients import fold_name

_WORD = re.compile(r"\w+")


def words(text: str) -> tuple[str, ...]:
    """The folded words of ``text``: "Séance Jean-Pierre DUPONT" → ("seance", "jean", "pierre", "dupont")."""
    return tuple(_WORD.findall(fold_name(text)))


@dataclass(frozen=True)
class ClientRow:
    id: int
    name_key: str
    email: str | None


@dataclass(frozen=True)
class ServiceRule:
    keyword_key: str
    service_id: int


@dataclass
class Matcher:
    """Built from the team's active clients, the feed's remembered rules and the team's keyword rules."""

    clients: Iterable[ClientRow]
    rules: dict[str, int]  # uid → client id (the feed's CalendarClientRule rows)
    service_rules: list[ServiceRule]  # in the order they were made: the first that fits wins
    default_service_id: int | None
    _by_email: dict[str, set[int]] = field(init=False, default_factory=dict)
    _by_word: dict[str, list[tuple[int, frozenset[str]]]] = field(init=False, default_factory=dict)
    _active: set[int] = field(init=False, default_factory=set)
    _names: dict[str, int | None] = field(init=False, default_factory=dict)
    _services: dict[str, int | None] = field(init=False, default_factory=dict)
    _keywords: list[tuple[tuple[str, ...], int]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        for client in self.clients:
            self._active.add(client.id)
            if client.email:
                self._by_email.setdefault(client.email.strip().lower(), set()).add(client.id)
            name = frozenset(words(client.name_key))
            if name:
                # Indexed by one of its words (the rarest would be better; any is correct): a title only
                # looks at the clients sharing a word with it.
                self._by_word.setdefault(min(name), []).append((client.id, name))
        self._keywords = [(words(rule.keyword_key), rule.service_id) for rule in self.service_rules]
        self._keywords = [(keyword, service) for keyword, service in self._keywords if keyword]

    def client_for(self, uid: str, summary: str, attendee_emails: Iterable[str]) -> tuple[int | None, str | None]:
        """(client id, how it was found: "email", "rule" or "name"), or (None, None): to sort."""
        by_email = set().union(*(self._by_email.get(email, set()) for email in attendee_emails))
        if len(by_email) == 1:
            return next(iter(by_email)), "email"
        ruled = self.rules.get(uid)
        if ruled is not None and ruled in self._active:
            return ruled, "rule"
        named = self._by_name(summary)
        if named is not None:
            return named, "name"
        return None, None

    def _by_name(self, summary: str) -> int | None:
        if summary in self._names:
            return self._names[summary]  # a recurring event's titles repeat: each is looked at once
        title = set(words(summary))
        fitting = [
            (len(name), client) for word in title for client, name in self._by_word.get(word, ()) if name <= title
        ]
        found = None
        if fitting:
            longest = max(size for size, _ in fitting)
            best = {client for size, client in fitting if size == longest}
            # "Jean Dupont" beats "Dupont" in "Séance Jean Dupont"; two "Jean Dupont"s are no match.
            found = next(iter(best)) if len(best) == 1 else None
        self._names[summary] = found
        return found

    def service_for(self, summary: str) -> int | None:
        if summary not in self._services:
            padded = " " + " ".join(words(summary)) + " "
            found = next((s for keyword, s in self._keywords if " " + " ".join(keyword) + " " in padded), None)
            self._services[summary] = found if found is not None else self.default_service_id
        return self._services[summary]
