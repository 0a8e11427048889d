"""Whole numbers a person types (a quantity, days, minutes, an invoice number): ASCII digits 0-9 only.

Python's own readers are too generous for typed input. ``str.isdigit()`` is true for "²", "①" and "1²",
which ``int()`` then refuses (a 500 where the user should have seen a message), and ``int()`` reads the
Arabic-Indic "٣" and the full-width "１２" as 3 and 12, which we would then store as if the user had
typed them. Every flow reads typed numbers here instead, so they all accept and refuse the same text.
"""

from __future__ import annotations

from enum import StrEnum

# The largest value of a PostgreSQL ``integer`` column (our ids): a bigger one makes a query fail.
INT_MAX = 2**31 - 1
_ASCII_DIGITS = frozenset("0123456789")


class Refusal(StrEnum):
    """Why a text is not a whole number in range."""

    EMPTY = "empty"  # nothing but spaces, or nothing at all
    NOT_WHOLE = "not_whole"  # anything but the digits 0-9: a sign, a decimal point, another script's digits
    TOO_SMALL = "too_small"
    TOO_LARGE = "too_large"


def is_ascii_digits(text: str) -> bool:
    """True when ``text`` is one or more of the digits 0-9 and nothing else."""
    return bool(text) and _ASCII_DIGITS.issuperset(text)


def read_whole_number(text: object, *, minimum: int = 0, maximum: int = INT_MAX) -> int | Refusal:
    """``" 42 "`` → 42; a Refusal for anything else, or a number outside ``minimum``..``maximum``.

    Takes any value, not only text, because payloads come from outside: None reads as empty, a
    non-string as not a number. Surrounding spaces are dropped; spaces inside are not ("1 000" is
    refused: a thousands separator in a count is more likely a typo than a thousand).
    """
    if text is None:
        return Refusal.EMPTY
    if not isinstance(text, str):
        return Refusal.NOT_WHOLE
    digits = text.strip()
    if not digits:
        return Refusal.EMPTY
    if not is_ascii_digits(digits):
        return Refusal.NOT_WHOLE
    # Compare lengths first: int() of thousands of digits is slow, and refused past 4,300 of them.
    significant = digits.lstrip("0") or "0"
    if len(significant) > len(str(maximum)):
        return Refusal.TOO_LARGE
    value = int(significant)
    if value > maximum:
        return Refusal.TOO_LARGE
    if value < minimum:
        return Refusal.TOO_SMALL
    return value


def whole_number(text: object, *, minimum: int = 0, maximum: int = INT_MAX) -> int | None:
    """``read_whole_number`` for callers that need no reason: the number, or None."""
    read = read_whole_number(text, minimum=minimum, maximum=maximum)
    return None if isinstance(read, Refusal) else read
