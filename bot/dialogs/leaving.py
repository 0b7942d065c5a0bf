"""The one rule for leaving: a command or a main-menu button leaves any form or mode.

A plain-handler mode (asking a question, typing a deadline, a search) ends there: its state is
cleared before any handler sees the message, so the button does what it does everywhere else.
A form (an aiogram-dialog window) is left, not lost: it stays stored, and typed text no longer
goes to it. Pressing one of its own buttons, or opening it again from its menu, brings it back
where it was (`open_form`). A button of any other screen leaves it too. Commands that only look
something up (/help, /privacy, /mydata) keep a mode as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.api.entities import Context
from aiogram_dialog.api.internal import CONTEXT_KEY

from bot.keyboards.menus import COMMON_MENU, MENU_BY_ROLE
from bot.texts import all_translations

# In a form's dialog data: the person left it; typed text goes elsewhere until they return.
LEFT = "_left"
_INTENT_SEPARATOR = "\x1d"  # aiogram-dialog puts the form's id before it in its buttons' data


MENU_KEYS = frozenset({key for keys in MENU_BY_ROLE.values() for key in keys} | set(COMMON_MENU))


def is_menu_button(text: str) -> bool:
    return any(text in all_translations(key) for key in MENU_KEYS)


# Commands that answer a question and keep whatever the person was doing.
LOOK_UPS = frozenset({"help", "privacy", "mydata"})


def _looks_something_up(message: Message) -> bool:
    command = (message.text or "").split(maxsplit=1)[0].removeprefix("/").split("@")[0]
    return (message.text or "").startswith("/") and command in LOOK_UPS


def is_leaving(message: Message) -> bool:
    """A command or a main-menu button, in any language."""
    text = message.text or ""
    return text.startswith("/") or is_menu_button(text)


async def typed_answer(message: Message) -> bool:
    """Text meant for the form or mode waiting for it: anything typed but a way out."""
    return bool(message.text) and not is_leaving(message)


async def meant_for_form(message: Message) -> bool:
    """Anything (text, photo, voice) but a way out: a step can then say what it expects."""
    return not is_leaving(message)


async def typed_into_open_form(message: Message, **data: Any) -> bool:
    """The form's inputs take a message only while the person is in the form: a command or a
    menu button has marked it left before filters run (`LeavingForms`)."""
    context: Context | None = data.get(CONTEXT_KEY)
    return context is not None and not context.dialog_data.get(LEFT)


class LeavingForms(BaseMiddleware):
    """Ends a plain mode and marks the open form as left when the person goes elsewhere, and
    marks the form as back when they press one of its buttons. Runs after aiogram-dialog has
    loaded the form (its outer middleware)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Message) and is_leaving(event) and not _looks_something_up(event):
            state: FSMContext | None = data.get("state")
            if state is not None and data.get("raw_state") is not None:
                await state.clear()
                # The state filters read the state the update started with, not the storage.
                data["raw_state"] = None
        context: Context | None = data.get(CONTEXT_KEY)
        if context is not None:
            if isinstance(event, Message) and is_leaving(event):
                context.dialog_data[LEFT] = True
            elif isinstance(event, CallbackQuery):
                if _INTENT_SEPARATOR in (event.data or ""):
                    context.dialog_data.pop(LEFT, None)
                else:
                    context.dialog_data[LEFT] = True
        return await handler(event, data)


async def open_form(manager: DialogManager, first_step: State, data: Any = None) -> None:
    """Opens a form at its first step, or brings back the person's unfinished one of the same
    kind where they left it (its window is sent again, below what they looked at meanwhile)."""
    current = manager.has_context() and manager.current_context()
    if current and current.state.group == first_step.group:
        current.dialog_data.pop(LEFT, None)
        manager.show_mode = ShowMode.SEND
        await manager.show()
        return
    await manager.start(first_step, data=data, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
