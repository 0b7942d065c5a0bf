"""What the Dispatcher carries for every handler (aiogram workflow data), by name and type."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.texts import Templates, Texts
from config.settings import Settings

if TYPE_CHECKING:
    from bot.delivery.limiter import RateLimiter
    from bot.scheduler import Scheduler


class AppContext(TypedDict):
    settings: Settings
    session_pool: async_sessionmaker[AsyncSession]
    texts: Texts
    templates: Templates
    scheduler: Scheduler
    redis: Redis | None
    # The outbox's pace, shared with background jobs (and between processes through Redis).
    outbox_limiter: RateLimiter
