"""Keyboards are pure functions of what they show."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from aiogram.types import InlineKeyboardButton

Item = TypeVar("Item")

# Buttons of a long list shown at once; ◀ ▶ turn the pages.
PAGE_SIZE = 8

# Telegram shows a button's text on one line; long names are cut so the button stays readable.
BUTTON_NAME_MAX = 40


def short_label(name: str) -> str:
    """A person's or a school's name as a button shows it."""
    return name if len(name) <= BUTTON_NAME_MAX else name[: BUTTON_NAME_MAX - 1] + "…"


def paged_rows(
    items: Sequence[Item],
    page: int,
    button: Callable[[Item], InlineKeyboardButton],
    turn: Callable[[str, int], InlineKeyboardButton],
) -> list[list[InlineKeyboardButton]]:
    """A button per item of the page (a page out of range shows the nearest one), then ◀ ▶
    built by `turn(arrow, page_number)` to the pages around it."""
    pages = max(1, (len(items) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    rows = [[button(item)] for item in items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]]
    nav = []
    if page > 0:
        nav.append(turn("◀", page - 1))
    if page < pages - 1:
        nav.append(turn("▶", page + 1))
    if nav:
        rows.append(nav)
    return rows
