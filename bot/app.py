"""The one factory production and tests share: `create_dispatcher(...)`."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import DisabledEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.context import AppContext
from bot.delivery.limiter import LocalRateLimiter, RateLimiter, RedisRateLimiter
from bot.delivery.sender import OutboxSender
from bot.delivery.split import KeepWithinLimits
from bot.dialogs import install as install_dialogs
from bot.fsm_storage import DatabaseStorage
from bot.handlers import get_routers
from bot.jobs import JobRunner
from bot.middlewares.db import DbSessionMiddleware
from bot.middlewares.domain_errors import DomainErrorMiddleware
from bot.middlewares.locale import LocaleMiddleware
from bot.middlewares.person import PersonMiddleware
from bot.middlewares.private_chats import PrivateChatsOnly
from bot.scheduler import JobContext, Scheduler
from bot.scheduler.deadlines import DEADLINE_DAILY_INTERVAL, DEADLINE_SWEEP_INTERVAL
from bot.scheduler.digest import DIGEST_INTERVAL
from bot.scheduler.events import EVENT_SWEEP_INTERVAL
from bot.scheduler.housekeeping import DIALOG_STATE_KEPT
from bot.texts import LOCALES_DIR, Templates, Texts
from bot.update_context import ContextMiddleware
from bot.updates.requests import TapAnswersNeverFail
from config.settings import Settings


def create_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    """A Bot on the given session; without one, aiohttp to Telegram or TELEGRAM_API_URL."""
    if session is None:
        session = (
            AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
            if settings.telegram_api_url
            else AiohttpSession()
        )
    bot = Bot(
        token=settings.require_token(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )
    # Outermost of the request rules: nothing reaches Telegram over its length limits, and a
    # refused answer to a tap never stops a handler.
    bot.session.middleware(KeepWithinLimits())
    bot.session.middleware(TapAnswersNeverFail())
    return bot


def create_outbox_limiter(settings: Settings, redis: Redis | None) -> RateLimiter:
    """The outbox's pace (the budget less the replies' headroom), shared through Redis."""
    if redis is not None:
        return RedisRateLimiter(
            redis, settings.outbox_pace_per_second, settings.outbox_chat_interval_seconds
        )
    return LocalRateLimiter(settings.outbox_pace_per_second, settings.outbox_chat_interval_seconds)


def create_dispatcher(
    settings: Settings,
    session_pool: async_sessionmaker[AsyncSession],
    *,
    redis: Redis | None = None,
    scheduler: Scheduler | None = None,
) -> Dispatcher:
    storage: BaseStorage
    if redis is not None:
        storage = RedisStorage(
            redis,
            key_builder=DefaultKeyBuilder(with_destiny=True),
            state_ttl=DIALOG_STATE_KEPT,
            data_ttl=DIALOG_STATE_KEPT,
        )
    else:
        storage = DatabaseStorage(session_pool)

    texts = Texts(path=LOCALES_DIR, default_locale=settings.default_locale)
    templates = Templates(LOCALES_DIR, texts.available_locales)
    scheduler = scheduler or Scheduler(settings)
    scheduler.every("bot.scheduler.housekeeping:purge", timedelta(hours=1))
    scheduler.every("bot.delivery.progress:tick", timedelta(seconds=3))
    scheduler.every("bot.scheduler.questions:sweep", timedelta(minutes=5))
    scheduler.every("bot.scheduler.surveys:sweep", timedelta(minutes=5))
    scheduler.every("bot.scheduler.event_offers:sweep", timedelta(minutes=1))
    scheduler.every("bot.scheduler.events:sweep", EVENT_SWEEP_INTERVAL, at_start=True)
    scheduler.every("bot.scheduler.digest:sweep", DIGEST_INTERVAL)
    scheduler.every("bot.scheduler.monitoring:sweep", timedelta(days=1), at_start=True)
    scheduler.every("bot.scheduler.deadlines:sweep", DEADLINE_SWEEP_INTERVAL, at_start=True)
    scheduler.every("bot.scheduler.deadlines:daily", DEADLINE_DAILY_INTERVAL, at_start=True)

    outbox_limiter = create_outbox_limiter(settings, redis)
    context = AppContext(
        settings=settings,
        session_pool=session_pool,
        texts=texts,
        templates=templates,
        scheduler=scheduler,
        redis=redis,
        outbox_limiter=outbox_limiter,
    )
    # No event isolation: the update path already runs one person's updates one at a time (and,
    # with several processes, under that person's lock in Redis).
    dp = Dispatcher(storage=storage, events_isolation=DisabledEventIsolation(), **context)
    dp.update.outer_middleware(PrivateChatsOnly())
    dp.update.outer_middleware(DbSessionMiddleware(session_pool))
    dp.update.outer_middleware(PersonMiddleware())
    dp.update.outer_middleware(LocaleMiddleware(texts))
    dp.update.outer_middleware(DomainErrorMiddleware())
    dp.update.outer_middleware(ContextMiddleware())
    dp.include_routers(*get_routers())
    install_dialogs(dp)

    running: list[tuple[OutboxSender | JobRunner, asyncio.Task[None]]] = []

    async def on_startup(bot: Bot) -> None:
        scheduler.start(
            JobContext(
                bot=bot,
                session_pool=session_pool,
                settings=settings,
                texts=texts,
                templates=templates,
            )
        )
        sender = OutboxSender(bot, session_pool, settings, outbox_limiter)
        running.append((sender, asyncio.create_task(sender.run(), name="outbox-sender")))
        if settings.background_jobs == "inline":
            # Slow work people asked for (roster checks, history copies, exports), off the
            # update path; its messages share the outbox's pace. (With "process", `bot.runner`
            # runs it in a child process instead.)
            jobs = JobRunner(bot, session_pool, settings, texts, templates, limiter=outbox_limiter)
            running.append((jobs, asyncio.create_task(jobs.run(), name="background-jobs")))

    async def on_shutdown() -> None:
        scheduler.shutdown()
        while running:
            sender, task = running.pop()
            sender.stop()
            await task

    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
    return dp
