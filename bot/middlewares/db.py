"""Outer middlewares on `dp.update`, in the order `bot.app` registers them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import current_session


class DbSessionMiddleware(BaseMiddleware):
    """Gives handlers the update's session as `session`.

    The update path (`bot.updates.workers`) opens that session before the dispatcher runs, so
    the FSM storage reads the dialog state through it too, and commits it when the handler
    returns. Fed directly (`dp.feed_update` without the update path), this middleware opens and
    commits the session itself.
    """

    def __init__(self, session_pool: async_sessionmaker[AsyncSession]) -> None:
        self.session_pool = session_pool

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        session = current_session.get()
        if session is not None:
            data["session"] = session
            return await handler(event, data)
        async with self.session_pool() as session:
            token = current_session.set(session)
            data["session"] = session
            try:
                result = await handler(event, data)
                await session.commit()
                return result
            except BaseException:
                await session.rollback()
                raise
            finally:
                current_session.reset(token)
