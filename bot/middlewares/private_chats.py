"""The bot talks to people one to one; in a group it would show one person's data to all.

Checked once per update here (an async outer middleware), instead of a magic filter on every
observer that aiogram would run in a thread for each update.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.middlewares.user_context import EVENT_CHAT_KEY
from aiogram.enums import ChatType
from aiogram.types import Chat, TelegramObject


class PrivateChatsOnly(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        chat: Chat | None = data.get(EVENT_CHAT_KEY)
        if chat is not None and chat.type != ChatType.PRIVATE:
            return UNHANDLED
        return await handler(event, data)
