from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject


class UpdatesInFlight(BaseMiddleware):
    """Lets a stopping bot finish the update it is handling instead of cutting it off.

    Outermost of the update middlewares, so "finished" includes the commit. Once a stop was
    asked for, a new update is held here unhandled until polling is cancelled: it is neither
    recorded nor confirmed to Telegram, which delivers it again to the next process.
    """

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if self._stopping:
            await asyncio.Event().wait()  # until polling is cancelled
        self._count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self._count -= 1
            if not self._count:
                self._idle.set()

    async def drain(self) -> None:
        """Take no new updates and wait for those being handled."""
        self._stopping = True
        await self._idle.wait()
