from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.middlewares.user_context import EVENT_FROM_USER_KEY
from aiogram.types import CallbackQuery, Message, TelegramObject, Update, User
from redis.asyncio import Redis

from bot.texts import t


class RateCounter(Protocol):
    async def hit(self, user_id: int) -> int:
        """Count one event of `user_id` and return how many fell in the current window."""


class LocalRateCounter:
    """Sliding window in this process: enough for one process serving a region."""

    def __init__(self, window_seconds: float) -> None:
        self.window = window_seconds
        self._hits: defaultdict[int, deque[float]] = defaultdict(deque)

    async def hit(self, user_id: int) -> int:
        now = time.monotonic()
        hits = self._hits[user_id]
        while hits and now - hits[0] > self.window:
            hits.popleft()
        hits.append(now)
        if len(self._hits) > 50_000:
            self._forget_idle(now)
        return len(hits)

    def _forget_idle(self, now: float) -> None:
        for user_id in [u for u, h in self._hits.items() if not h or now - h[-1] > self.window]:
            del self._hits[user_id]


class RedisRateCounter:
    """Fixed window shared by every bot process behind the webhook."""

    def __init__(self, redis: Redis, window_seconds: float) -> None:
        self.redis = redis
        self.window = max(1, round(window_seconds))

    async def hit(self, user_id: int) -> int:
        key = f"nastavnik:flood:{user_id}:{int(time.time()) // self.window}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.window * 2)
            count, _ = await pipe.execute()
        return int(count)


class FloodMiddleware(BaseMiddleware):
    """Drops a person's updates past `limit` per window; says so once, then stays quiet."""

    def __init__(self, counter: RateCounter, limit: int) -> None:
        self.counter = counter
        self.limit = limit

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get(EVENT_FROM_USER_KEY)
        if user is None:
            return await handler(event, data)
        count = await self.counter.hit(user.id)
        if count <= self.limit:
            return await handler(event, data)
        if count == self.limit + 1 and isinstance(event, Update):
            await _tell_to_slow_down(event)
        return UNHANDLED


async def _tell_to_slow_down(update: Update) -> None:
    text = t("flood.slow_down")
    if isinstance(update.callback_query, CallbackQuery):
        await update.callback_query.answer(text)
    elif isinstance(update.message, Message):
        await update.message.answer(text)
