from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import current_session, insert_ignoring_conflicts
from storage.models import ProcessedUpdate


class DbSessionMiddleware(BaseMiddleware):
    """One session per update: commit when the handler returns, roll back when it raises.

    The update id is recorded in the same transaction, so an update Telegram delivers twice
    has no second effect, and one whose handler failed is not marked as done.
    """

    def __init__(self, session_pool: async_sessionmaker[AsyncSession]) -> None:
        self.session_pool = session_pool

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self.session_pool() as session:
            if isinstance(event, Update) and not await _first_delivery(session, event.update_id):
                return UNHANDLED
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


async def _first_delivery(session: AsyncSession, update_id: int) -> bool:
    inserted = await session.execute(
        insert_ignoring_conflicts(session, ProcessedUpdate).values(update_id=update_id)
    )
    return bool(getattr(inserted, "rowcount", 0))
