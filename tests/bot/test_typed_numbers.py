"""The one reader of typed whole numbers: ASCII digits only, in range, never an exception."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.typed_numbers import INT_MAX, Refusal, is_ascii_digits, read_whole_number, whole_number

# What people (and forged payloads) type that Python's str.isdigit() or int() would take.
NOT_WHOLE = ["²", "①", "1²", "٣", "１２", "-1", "+1", "1.5", "1,5", "1 000", "1_000", "0x10", "1e3", "abc", "三"]


@pytest.mark.parametrize("typed", NOT_WHOLE)
def test_anything_but_ascii_digits_is_refused(typed: str) -> None:
    assert read_whole_number(typed) == Refusal.NOT_WHOLE
    assert whole_number(typed) is None


@pytest.mark.parametrize(("typed", "value"), [("3", 3), (" 3 ", 3), ("\u00a07\t", 7), ("007", 7), ("0", 0)])
def test_ascii_digits_with_surrounding_spaces_are_read(typed: str, value: int) -> None:
    assert read_whole_number(typed) == value


@pytest.mark.parametrize("typed", [None, "", "   ", "\u3000"])
def test_nothing_typed_is_empty(typed: str | None) -> None:
    assert read_whole_number(typed) == Refusal.EMPTY


@pytest.mark.parametrize("value", [3, 3.0, ["3"], {"3": 3}, True])
def test_a_value_that_is_not_text_is_not_a_number(value: object) -> None:
    assert read_whole_number(value) == Refusal.NOT_WHOLE


def test_bounds() -> None:
    assert read_whole_number("0", minimum=1, maximum=10) == Refusal.TOO_SMALL
    assert read_whole_number("1", minimum=1, maximum=10) == 1
    assert read_whole_number("10", minimum=1, maximum=10) == 10
    assert read_whole_number("11", minimum=1, maximum=10) == Refusal.TOO_LARGE
    assert read_whole_number("00000000000000000010", minimum=1, maximum=10) == 10
    assert read_whole_number(str(INT_MAX)) == INT_MAX
    assert read_whole_number(str(INT_MAX + 1)) == Refusal.TOO_LARGE


def test_thousands_of_digits_are_too_large_not_an_error() -> None:
    # int() refuses more than 4,300 digits with a ValueError; the reader never gets that far.
    assert read_whole_number("9" * 100_000) == Refusal.TOO_LARGE


@given(st.integers(min_value=0, max_value=INT_MAX), st.sampled_from(["", " ", "\t", "\u00a0"]))
def test_every_number_in_range_reads_back(value: int, space: str) -> None:
    assert read_whole_number(f"{space}{value}{space}") == value


@given(st.text())
def test_any_text_gives_a_number_in_range_or_a_reason_never_an_exception(typed: str) -> None:
    read = read_whole_number(typed, minimum=1, maximum=10_000)
    if isinstance(read, Refusal):
        stripped = typed.strip()
        if read is Refusal.EMPTY:
            assert stripped == ""
        elif read is Refusal.NOT_WHOLE:
            assert not is_ascii_digits(stripped)
        else:
            assert is_ascii_digits(stripped)
    else:
        # Accepted: the text was ASCII digits, and nothing else, around spaces.
        assert 1 <= read <= 10_000
        assert typed.strip().isascii() and int(typed.strip()) == read


@given(st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1))
def test_digits_of_other_scripts_are_never_read_as_numbers(typed: str) -> None:
    read = read_whole_number(typed)
    assert isinstance(read, Refusal) or typed.strip().isascii()
