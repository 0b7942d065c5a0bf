from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.texts import t


class DomainErrorMiddleware(BaseMiddleware):
    """A service refused (bad code, foreign thread, wrong date): undo the update's writes and
    tell the person why, in their language. Registered innermost, so the locale is known."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except DomainError as error:
            session: AsyncSession = data["session"]
            if error.keep_writes:
                await session.commit()
            else:
                await session.rollback()
            if isinstance(event, Update):
                await reply(event, t(error.key, **error.params))
            return None


async def reply(update: Update, text: str) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()
        message = update.callback_query.message
        if message is not None:
            await update.callback_query.bot.send_message(message.chat.id, text)  # type: ignore[union-attr]
    elif update.message is not None:
        await update.message.answer(text)
