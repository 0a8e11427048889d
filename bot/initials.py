"""A person's initials, which is all of a client's name that a channel is shown by default."""

from __future__ import annotations

import unicodedata

UNKNOWN = "?"


def _initial(word: str) -> str | None:
    """The first letter or digit of ``word``, upper case; None when it has none ("&", "—")."""
    for char in word:
        if char.isalnum():
            upper = char.upper()
            # "ß".upper() is "SS": one letter stays one letter.
            return upper if len(upper) == 1 else char
    return None


def initials(name: str) -> str:
    """The name's initials: "Jeanne Dupont" → "J. D.", "Ève-Marie Lefèvre" → "È.-M. L.", "Jeanne" → "J.".

    "?" for a name with no letter at all.

    NFC first, so a name typed with combining accents ("E" + U+0301) keeps its accented capital.
    """
    words: list[str] = []
    for word in unicodedata.normalize("NFC", name).split():
        parts = [_initial(part) for part in word.split("-")]
        found = [f"{letter}." for letter in parts if letter is not None]
        if found:
            words.append("-".join(found))
    return " ".join(words) or UNKNOWN
