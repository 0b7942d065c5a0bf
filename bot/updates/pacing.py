"""Flood control that keeps its word.

A person who sends fast is slowed, not dropped: past `limit` messages in `window` seconds their
next update waits its turn in their own queue (nobody else waits). An album counts once. Only
clear abuse, hundreds a minute, is refused at intake, and then the person is told exactly that.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis

# People whose last update is older than this are forgotten when the tables grow large.
_TABLE_LIMIT = 50_000


class Albums:
    """An album arrives as one update per photo: only its first counts as a message."""

    def __init__(self) -> None:
        self._last: dict[int, str] = {}

    def is_continuation(self, key: int, album: str | None) -> bool:
        if album is None:
            return False
        if self._last.get(key) == album:
            return True
        if len(self._last) > _TABLE_LIMIT:
            self._last.clear()
        self._last[key] = album
        return False


class PersonPacing:
    """How long a person's next update must wait so they stay within `limit` per `window`."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._turns: defaultdict[int, deque[float]] = defaultdict(deque)
        self._albums = Albums()

    def delay(self, key: int, album: str | None = None) -> float:
        """Take the person's next turn and return how many seconds until it comes."""
        if self._albums.is_continuation(key, album):
            return 0.0
        now = self._clock()
        turns = self._turns[key]
        while turns and turns[0] <= now - self.window:
            turns.popleft()
        # Past the limit, the turn comes when the oldest turn in the window leaves it.
        turn = now if len(turns) < self.limit else turns[-self.limit] + self.window
        turns.append(max(turn, now))
        if len(self._turns) > _TABLE_LIMIT:
            self._forget_idle(now)
        return max(0.0, turn - now)

    def _forget_idle(self, now: float) -> None:
        for key in [
            k for k, turns in self._turns.items() if not turns or turns[-1] < now - self.window
        ]:
            del self._turns[key]


class RateCounter(Protocol):
    async def hit(self, key: int) -> int:
        """Count one event of `key` and return how many fell in the current window."""


class LocalRateCounter:
    """Sliding window in this process: enough for one process serving a region."""

    def __init__(self, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window_seconds
        self._clock = clock
        self._hits: defaultdict[int, deque[float]] = defaultdict(deque)

    async def hit(self, key: int) -> int:
        now = self._clock()
        hits = self._hits[key]
        while hits and now - hits[0] > self.window:
            hits.popleft()
        hits.append(now)
        if len(self._hits) > _TABLE_LIMIT:
            for idle in [k for k, h in self._hits.items() if not h or now - h[-1] > self.window]:
                del self._hits[idle]
        return len(hits)


class RedisRateCounter:
    """Fixed window shared by every bot process behind the webhook."""

    def __init__(self, redis: Redis, window_seconds: float) -> None:
        self.redis = redis
        self.window = max(1, round(window_seconds))

    async def hit(self, key: int) -> int:
        name = f"nastavnik:flood:{key}:{int(time.time()) // self.window}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, self.window * 2)
            count, _ = await pipe.execute()
        return int(count)
