"""What the forms share: who fills them in, messages of their own below the window, choice
buttons marked ✅/▫️, the way out, and the replies to input a step does not take."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Cancel, ScrollingGroup, Select
from aiogram_dialog.widgets.text import Format
from sqlalchemy.ext.asyncio import AsyncSession

from bot.dialogs.leaving import meant_for_form, typed_answer
from bot.dialogs.widgets import T
from bot.errors import DomainError
from bot.texts import t
from bot.ui import send_long
from config.settings import Settings
from storage.models import Person


def who(manager: DialogManager) -> tuple[Person, AsyncSession, Settings]:
    """The person filling in the form, this update's session and the settings."""
    data = manager.middleware_data
    return data["person"], data["session"], data["settings"]


def chat_id(manager: DialogManager) -> int:
    return int(manager.middleware_data["event_chat"].id)


async def tell(manager: DialogManager, text: str, markup: Any = None) -> None:
    """A message of its own below the form (the form's window is not touched)."""
    bot: Bot = manager.middleware_data["bot"]
    await send_long(bot, chat_id(manager), text, markup)


def mark(chosen: bool) -> str:
    return "✅" if chosen else "▫️"


# Ids and page numbers in the forms' buttons fit the database's 32-bit columns.
_LARGEST_NUMBER = 2**31 - 1


def button_number(raw: str) -> int:
    """A number carried in a form button's data. aiogram-dialog would call `int()` on it and
    crash on a forged or broken button (`30:`, `²`, a 20-digit id): that is an old button."""
    if not (raw.isascii() and raw.removeprefix("-").isdigit()) or abs(int(raw)) > _LARGEST_NUMBER:
        raise DomainError("error.stale_button")
    return int(raw)


class _Paging(ScrollingGroup):
    """A ScrollingGroup whose page number is read by `button_number`."""

    async def _process_item_callback(
        self, callback: CallbackQuery, data: str, dialog: Any, manager: DialogManager
    ) -> bool:
        return await super()._process_item_callback(
            callback, str(button_number(data)), dialog, manager
        )


def choices(widget_id: str, items: str, on_click: Any, *, numbers: bool = False) -> Select[Any]:
    """Buttons for the window data `items`, a list of (id, label) pairs."""
    return Select(
        Format("{item[1]}"),
        id=widget_id,
        items=items,
        item_id_getter=lambda item: item[0],
        type_factory=button_number if numbers else str,
        on_click=on_click,
    )


def paged_choices(
    scroll_id: str,
    widget_id: str,
    items: str,
    on_click: Any,
    *,
    per_page: int,
    numbers: bool = False,
) -> ScrollingGroup:
    """`choices` one under another, `per_page` at a time, with paging buttons where the list
    is longer (the page is the widget data of `scroll_id`)."""
    return _Paging(
        choices(widget_id, items, on_click, numbers=numbers),
        id=scroll_id,
        width=1,
        height=per_page,
        hide_on_single_page=True,
    )


def cancel(label_key: str, told_key: str) -> Cancel:
    """Closes the form; the person is told `told_key` below it."""

    async def on_cancel(callback: CallbackQuery, _button: Any, manager: DialogManager) -> None:
        await tell(manager, t(told_key))

    return Cancel(T(label_key), on_click=on_cancel)


def _replying(key: str) -> Any:
    async def reply(message: Message, _widget: Any, manager: DialogManager) -> None:
        manager.show_mode = ShowMode.NO_UPDATE
        await message.answer(t(key))

    return reply


def waits_for_buttons(reply_key: str) -> MessageInput:
    """Anything typed or sent (but a way out) where the step waits for a button: `reply_key`."""
    return MessageInput(_replying(reply_key), filter=meant_for_form)


async def not_text(message: Message) -> bool:
    return message.text is None


def waits_for_text(on_text: Any, reply_key: str) -> list[MessageInput]:
    """Typed text goes to `on_text`; a photo, sticker or voice message gets `reply_key`."""
    return [
        MessageInput(on_text, filter=typed_answer),
        MessageInput(_replying(reply_key), filter=not_text),
    ]
