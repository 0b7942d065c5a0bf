"""A whole number typed by a person (or carried in a button): ASCII digits, within bounds.

`str.isdigit()` is true for «①», «²» and «⁵», which `int()` then refuses with ValueError; `int()`
of a long enough string refuses too, and one of 20 digits overflows a database column. Every
parse of a person's number goes through here instead.
"""

from __future__ import annotations

import re

_ASCII_DIGITS = re.compile(r"[0-9]+")

# The largest value of a 32-bit Integer column (the ids of every table but Telegram's).
INT32_MAX = 2**31 - 1


class NotAWholeNumber(ValueError):
    """The text is not ASCII digits."""


class OutOfRange(ValueError):
    """ASCII digits, but a number outside the allowed range."""


def typed_whole_number(raw: str, minimum: int, maximum: int) -> int:
    """The number in `raw` (spaces around allowed), or NotAWholeNumber / OutOfRange."""
    text = raw.strip()
    if not _ASCII_DIGITS.fullmatch(text):
        raise NotAWholeNumber(text)
    # Compared by length first: int() of thousands of digits is refused (or slow).
    significant = text.lstrip("0") or "0"
    if len(significant) > len(str(maximum)):
        raise OutOfRange(text)
    number = int(significant)
    if not minimum <= number <= maximum:
        raise OutOfRange(text)
    return number


def whole_number_or_none(raw: str, minimum: int, maximum: int) -> int | None:
    """The number, or None for anything else (for values where «anything else» means «old
    button» or «the default»)."""
    try:
        return typed_whole_number(raw, minimum, maximum)
    except ValueError:
        return None
