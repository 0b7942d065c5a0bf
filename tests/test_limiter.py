"""Pacing rules of the outbox limiters (the shared one needs Redis, as in CI)."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from bot.delivery.limiter import LocalRateLimiter, RedisRateLimiter


async def test_local_limiter_spaces_one_chat_and_honours_a_pause() -> None:
    limiter = LocalRateLimiter(rate_per_second=1000, chat_interval=0.2)
    loop = asyncio.get_running_loop()

    start = loop.time()
    await limiter.acquire(1)
    await limiter.acquire(2)  # another chat: no wait for the chat interval
    assert loop.time() - start < 0.19
    await limiter.acquire(1)  # the same chat again waits its interval
    assert loop.time() - start >= 0.19

    await limiter.pause(0.2)
    paused_at = loop.time()
    await limiter.acquire(3)
    assert loop.time() - paused_at >= 0.19


async def test_redis_limiter_shares_chat_spacing_and_pause_between_processes(
    redis: Redis | None,
) -> None:
    if redis is None:
        pytest.skip("needs REDIS_URL (the CI run on PostgreSQL + Redis sets it)")
    first = RedisRateLimiter(redis, rate_per_second=1000, chat_interval=0.3, prefix="t-outbox")
    second = RedisRateLimiter(redis, rate_per_second=1000, chat_interval=0.3, prefix="t-outbox")
    loop = asyncio.get_running_loop()

    start = loop.time()
    await first.acquire(7)
    await second.acquire(7)  # another process, same chat: waits for the first one's interval
    assert loop.time() - start >= 0.25

    await first.pause(0.3)
    paused_at = loop.time()
    await second.acquire(8)
    assert loop.time() - paused_at >= 0.25
