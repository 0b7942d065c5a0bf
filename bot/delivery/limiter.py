"""Pacing sends within Telegram's limits: ~30 messages a second overall, one a second per chat.

`LocalRateLimiter` serves one process. With several processes (PostgreSQL + Redis deployment)
`RedisRateLimiter` shares the budget and the 429 pause between them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from redis.asyncio import Redis


class RateLimiter(Protocol):
    async def acquire(self, chat_id: int) -> None:
        """Wait until a message to `chat_id` may go out, and take that slot."""

    async def pause(self, seconds: float) -> None:
        """Telegram said 429: nobody sends for `seconds`."""


class LocalRateLimiter:
    def __init__(self, rate_per_second: float, chat_interval: float) -> None:
        self.interval = 1.0 / rate_per_second
        self.chat_interval = chat_interval
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[int, float] = {}

    async def acquire(self, chat_id: int) -> None:
        while True:
            now = time.monotonic()
            ready_at = max(self._next_slot, self._paused_until, self._chat_next.get(chat_id, 0.0))
            if ready_at <= now:
                break
            await asyncio.sleep(ready_at - now)
        self._next_slot = max(now, self._next_slot) + self.interval
        self._chat_next[chat_id] = now + self.chat_interval
        if len(self._chat_next) > 100_000:
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)


class RedisRateLimiter:
    """Slots are counted per 1/10 s tick in Redis, so processes share one budget."""

    TICKS_PER_SECOND = 10

    def __init__(
        self, redis: Redis, rate_per_second: float, chat_interval: float, prefix: str = "outbox"
    ) -> None:
        self.redis = redis
        self.per_tick = max(1, int(rate_per_second / self.TICKS_PER_SECOND))
        self.chat_interval_ms = int(chat_interval * 1000)
        self.prefix = prefix

    async def acquire(self, chat_id: int) -> None:
        while True:
            paused = await self.redis.pttl(f"{self.prefix}:paused")
            if paused > 0:
                await asyncio.sleep(paused / 1000)
                continue
            if self.chat_interval_ms and not await self.redis.set(
                f"{self.prefix}:chat:{chat_id}", 1, nx=True, px=self.chat_interval_ms
            ):
                await asyncio.sleep(
                    max(await self.redis.pttl(f"{self.prefix}:chat:{chat_id}"), 10) / 1000
                )
                continue
            tick = int(time.time() * self.TICKS_PER_SECOND)
            key = f"{self.prefix}:tick:{tick}"
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(key)
                pipe.expire(key, 2)
                taken, _ = await pipe.execute()
            if int(taken) <= self.per_tick:
                return
            # This tick is full: give the chat slot back and wait for the next tick.
            await self.redis.delete(f"{self.prefix}:chat:{chat_id}")
            await asyncio.sleep((tick + 1) / self.TICKS_PER_SECOND - time.time())

    async def pause(self, seconds: float) -> None:
        await self.redis.set(f"{self.prefix}:paused", 1, px=max(1, int(seconds * 1000)))
