"""The way an update travels: intake (stored first) → per-person queues → the dispatcher.

`UpdatePath` puts the pieces together for one bot process; `bot.runner` (polling) and
`bot.webhook` feed it, and tests and benchmarks drive it the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
from functools import partial

from aiogram import Bot, Dispatcher
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares.person import preload_sender
from bot.texts import Texts
from bot.updates.intake import ORPHANED_AFTER, Intake
from bot.updates.pacing import LocalRateCounter, PersonPacing, RateCounter, RedisRateCounter
from bot.updates.requests import CommitBeforeSend, KeepResponseModels, RetryReplies
from bot.updates.workers import RedisPersonLocks, UpdateWorkers
from config.settings import Settings
from storage.db import worker_connections

ABUSE_WINDOW_SECONDS = 60.0


class UpdatePath:
    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        settings: Settings,
        session_pool: async_sessionmaker[AsyncSession],
        *,
        redis: Redis | None = None,
    ) -> None:
        self.bot = bot
        counter: RateCounter = (
            RedisRateCounter(redis, ABUSE_WINDOW_SECONDS)
            if redis is not None
            else LocalRateCounter(ABUSE_WINDOW_SECONDS)
        )
        self.workers = UpdateWorkers(
            dp,
            bot,
            session_pool,
            PersonPacing(settings.flood_messages, settings.flood_window_seconds),
            concurrency=worker_concurrency(settings, session_pool),
            locks=RedisPersonLocks(redis) if redis is not None else None,
            preload=partial(preload_sender, bot=bot, storage=dp.storage),
        )
        texts: Texts = dp["texts"]
        self.intake = Intake(
            session_pool, self.workers, bot, texts, counter, settings.flood_abuse_per_minute
        )
        self.shared = redis is not None
        self._sweeper: asyncio.Task[None] | None = None
        install_request_rules(bot)

    @classmethod
    def for_dispatcher(cls, dp: Dispatcher, bot: Bot) -> UpdatePath:
        """The update path over what `bot.app.create_dispatcher` put into the dispatcher."""
        return cls(
            dp,
            bot,
            dp["settings"],
            dp["session_pool"],
            redis=dp["redis"],
        )

    async def start(self) -> None:
        """Begin handling: first whatever a previous run stored and did not finish."""
        self.workers.start()
        await self.intake.recover(at_start=True, shared=self.shared)
        if self.shared:
            self._sweeper = asyncio.create_task(
                self.intake.sweep_orphans(ORPHANED_AFTER.total_seconds() / 2),
                name="inbox-orphans",
            )

    async def stop(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        await self.workers.stop()

    async def idle(self) -> None:
        await self.workers.idle()


def worker_concurrency(settings: Settings, session_pool: async_sessionmaker[AsyncSession]) -> int:
    """`update_concurrency`, but no more updates at once than pooled connections for them: past
    that, handlers queued for a connection while holding their slot, and the intake (which must
    store an update before it is acknowledged) queued behind them (PostgreSQL: a pool of 20
    for 64 workers timed out under the registration rush)."""
    connections = worker_connections(session_pool)
    if connections is None:
        return settings.update_concurrency
    return min(settings.update_concurrency, connections)


def install_request_rules(bot: Bot) -> None:
    """Commit before every call, then retry replies (see `bot.updates.requests`); once a bot."""
    if any(isinstance(m, CommitBeforeSend) for m in bot.session.middleware):
        return
    bot.session.middleware(KeepResponseModels())
    bot.session.middleware(CommitBeforeSend())
    bot.session.middleware(RetryReplies())
