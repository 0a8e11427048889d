"""Report periods as people type them: "this month", "last month", "2026-11", "2026", "november 2026",
"from 2026-09-01 to 2026-11-30", and the French "ce mois-ci", "le mois dernier", "novembre 2026",
"de 2026-09-01 à 2026-11-30" (a range's ends are days, months or years, typed as digits).

A period is a half-open range of calendar days [start, end) in the practice's time zone; the end a person
types ("to 2026-11-30") is the last day included.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

# A report covers at most this many years: longer is a typo (from 2026 to 2062) more often than a wish.
MAX_DAYS = 366 * 10

MONTHS = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
    "nov": 11, "dec": 12,
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7, "aout": 8,
    "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
    "janv": 1, "fevr": 2, "avr": 4, "juil": 7,
}  # fmt: skip

_THIS_MONTH = {"", "this month", "month", "ce mois-ci", "ce mois ci", "ce mois", "mois", "le mois en cours"}
_LAST_MONTH = {"last month", "previous month", "le mois dernier", "mois dernier", "le mois precedent", "mois precedent"}
_THIS_YEAR = {"this year", "year", "cette annee", "l'annee en cours", "annee"}
_LAST_YEAR = {"last year", "previous year", "l'annee derniere", "annee derniere", "l'an dernier", "an dernier"}
_RANGE = re.compile(r"^(?:from|de|du|depuis)\s+(?P<a>\S+)\s+(?:to|until|a|au|jusqu'au|jusqu'a)\s+(?P<b>\S+)$")
_YEAR = re.compile(r"^(?P<y>\d{4})$")
_MONTH = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})$")
_DAY = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_NAMED = re.compile(r"^(?:en\s+|in\s+)?(?P<name>[a-z]+)\.?(?:\s+(?P<y>\d{4}))?$")


@dataclass(frozen=True)
class Period:
    """The days [start, end) a report covers; ``kind`` says how to name it: month, year or range."""

    start: date
    end: date
    kind: str

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def encode(self) -> str:
        """For a button's value: the period, read back by ``decode``."""
        return f"{self.kind}:{self.start.isoformat()}:{self.end.isoformat()}"

    @staticmethod
    def decode(value: str) -> Period | None:
        try:
            kind, start, end = value.split(":")
            period = Period(date.fromisoformat(start), date.fromisoformat(end), kind)
        except ValueError:
            return None
        if kind not in ("month", "year", "range") or not period.start < period.end:
            return None
        return period


class PeriodError(ValueError):
    """A period that cannot be read: ``key`` names the message (bot/i18n reports.json), ``params`` fill it."""

    def __init__(self, key: str, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def month(year: int, number: int) -> Period:
    start = date(year, number, 1)
    end = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return Period(start, end, "month")


def year(number: int) -> Period:
    return Period(date(number, 1, 1), date(number + 1, 1, 1), "year")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(folded.split())


def parse(text: str, today: date) -> Period:
    """The period ``text`` names (this month when empty); PeriodError with a message key when it names none."""
    said = _fold(text)
    if said in _THIS_MONTH:
        return month(today.year, today.month)
    if said in _LAST_MONTH:
        before = today.replace(day=1) - timedelta(days=1)
        return month(before.year, before.month)
    if said in _THIS_YEAR:
        return year(today.year)
    if said in _LAST_YEAR:
        return year(today.year - 1)
    ranged = _RANGE.match(said)
    if ranged:
        first, last = _bound(ranged["a"], today), _bound(ranged["b"], today)
        if last.end <= first.start:
            raise PeriodError("reports.period.backwards", start=ranged["a"], end=ranged["b"])
        return _checked(Period(first.start, last.end, "range"))
    return _checked(_bound(said, today))


def _bound(said: str, today: date) -> Period:
    """One side of a range, or a whole period: a day, a month, a year or a month's name."""
    found = _DAY.match(said)
    if found:
        try:
            day = date(int(found["y"]), int(found["m"]), int(found["d"]))
        except ValueError:
            raise PeriodError("reports.period.bad_date", value=said) from None
        return Period(day, day + timedelta(days=1), "range")
    found = _MONTH.match(said)
    if found:
        if not 1 <= int(found["m"]) <= 12 or int(found["y"]) < 1:
            raise PeriodError("reports.period.bad_date", value=said)
        return month(int(found["y"]), int(found["m"]))
    found = _YEAR.match(said)
    if found:
        if int(found["y"]) < 1 or int(found["y"]) > 9998:
            raise PeriodError("reports.period.bad_date", value=said)
        return year(int(found["y"]))
    found = _NAMED.match(said)
    if found and found["name"] in MONTHS:
        number = MONTHS[found["name"]]
        if found["y"]:
            return month(int(found["y"]), number)
        # "November" alone is the last November that has begun: this year's, or last year's in March.
        return month(today.year if number <= today.month else today.year - 1, number)
    raise PeriodError("reports.period.unknown", value=said[:40])


def _checked(period: Period) -> Period:
    if (period.end - period.start).days > MAX_DAYS:
        raise PeriodError("reports.period.too_long", years=str(MAX_DAYS // 366))
    return period
