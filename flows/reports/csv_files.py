"""The accountant's files, written row by row from bot.figures' streams (memory flat in the number of rows).

Formats, chosen so each opens as is in the asker's spreadsheet:
- UTF-8 with a byte-order mark (Excel otherwise reads UTF-8 as the system's code page: "Ã©" for "é");
- dates ISO 8601 (2026-11-30) whatever the language: unambiguous, and every spreadsheet reads them;
- amounts as plain numbers in the currency's major unit with its own decimal places (12.50 EUR, 1200 JPY),
  no symbol, a currency column beside them; French files use a decimal comma and ";" between fields, as
  French Excel expects; English ones a decimal point and ",";
- one row per invoice line (voided invoices included, status "void", so the numbers run unbroken: leave them
  out when adding up), the invoice's ``refunded`` on its first line only; a second file has one row per
  payment or refund, adding up to the report's collected and refunded figures.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from bot.figures import LineRow, MoneyRow
from bot.i18n import normalise_locale, t
from bot.initials import initials
from bot.money import exponent

LINE_COLUMNS = ("date", "number", "client", "service", "quantity", "unit_price", "tax_rate", "tax_name", "tax",
                "total", "currency", "status", "paid_on", "method", "refunded")  # fmt: skip
MONEY_COLUMNS = ("date", "number", "client", "kind", "method", "amount", "currency", "reference")


class CsvFormat:
    """Separator and decimal mark of one language's spreadsheets; the words and names of a file, looked up once
    each (a year's file repeats a few dozen of them tens of thousands of times)."""

    def __init__(self, locale: str, *, names: bool) -> None:
        self.locale = normalise_locale(locale)
        self.delimiter = ";" if self.locale == "fr" else ","
        self.decimal = "," if self.locale == "fr" else "."
        self.names = names
        self._places: dict[str, int] = {}
        self._words: dict[tuple[str, str], str] = {}
        self._clients: dict[str, str] = {}

    def amount(self, minor: int, currency: str) -> str:
        places = self._places.get(currency)
        if places is None:
            places = self._places[currency] = exponent(currency)
        if not places:
            return str(minor)
        whole, part = divmod(abs(minor), 10**places)
        return f"{'-' if minor < 0 else ''}{whole}{self.decimal}{part:0{places}d}"

    def percentage(self, value: Decimal | None) -> str:
        if value is None:
            return ""
        return format(value.normalize(), "f").replace(".", self.decimal)

    def word(self, group: str, value: str) -> str:
        found = self._words.get((group, value))
        if found is None:
            key = f"reports.csv.{group}.{value}"
            found = t(self.locale, key)
            found = self._words[(group, value)] = value if found == key else found
        return found

    def client(self, name: str) -> str:
        """The client's name where the practice lets it into Slack, else the initials a channel card shows."""
        if self.names:
            return name
        found = self._clients.get(name)
        if found is None:
            found = self._clients[name] = initials(name)
        return found


def write_lines(handle: TextIO, rows: Iterable[LineRow], locale: str, *, names: bool) -> int:
    """One row per invoice line into ``handle`` (opened with newline=""); the number of rows written."""
    fmt = CsvFormat(locale, names=names)
    out = csv.writer(handle, delimiter=fmt.delimiter)
    out.writerow([t(fmt.locale, f"reports.csv.col.{column}") for column in LINE_COLUMNS])
    count = 0
    for row in rows:
        out.writerow([
            row.day.isoformat(), row.number, fmt.client(row.client), row.service,
            row.quantity, fmt.amount(row.unit_amount, row.currency), fmt.percentage(row.tax_percentage),
            row.tax_name or "", fmt.amount(row.tax, row.currency), fmt.amount(row.total, row.currency),
            row.currency.upper(), fmt.word("status", row.status), row.paid_on.isoformat() if row.paid_on else "",
            " + ".join(fmt.word("method", m) for m in row.methods),
            fmt.amount(row.refunded, row.currency) if row.first else "",
        ])  # fmt: skip
        count += 1
    return count


def write_money(handle: TextIO, rows: Iterable[MoneyRow], locale: str, *, names: bool) -> int:
    """One row per payment or refund; the number of rows written."""
    fmt = CsvFormat(locale, names=names)
    out = csv.writer(handle, delimiter=fmt.delimiter)
    out.writerow([t(fmt.locale, f"reports.csv.col.{column}") for column in MONEY_COLUMNS])
    count = 0
    for row in rows:
        out.writerow([
            row.day.isoformat(), row.number, fmt.client(row.client),
            fmt.word("kind", row.kind), fmt.word("method", row.method), fmt.amount(row.amount, row.currency),
            row.currency.upper(), row.reference or "",
        ])  # fmt: skip
        count += 1
    return count


def open_csv(path: Path) -> TextIO:
    """A file for a CSV: UTF-8 with a byte-order mark, csv's own line endings."""
    return path.open("w", encoding="utf-8-sig", newline="")
