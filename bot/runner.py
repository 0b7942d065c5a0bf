"""What each command does once settings are known."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable

from aiogram import Bot, Dispatcher
from redis.asyncio import Redis
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_bot, create_dispatcher, create_outbox_limiter
from bot.texts import LOCALES_DIR, Templates, Texts, t
from bot.updates import UpdatePath
from bot.updates.polling import poll
from config.settings import Settings, SettingsError
from storage import migrate as migrations
from storage.db import create_engine, create_session_pool

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# A stopping jobs process finishes or puts back its jobs within its own grace (10 s).
JOBS_STOP_SECONDS = 20.0
JOBS_RESTART_SECONDS = 5.0


async def _reachable(engine: AsyncEngine) -> None:
    """One line for the operator instead of a driver traceback when the database is not there."""
    try:
        async with engine.connect():
            pass
    except (DBAPIError, OSError) as exc:
        log.debug("database unreachable", exc_info=exc)
        raise SettingsError("DATABASE_URL", "unreachable") from None


async def migrate(settings: Settings, _args: argparse.Namespace | None = None) -> int:
    engine = create_engine(settings.database_url)
    try:
        await _reachable(engine)
        await migrations.upgrade(engine)
        print(t("cli.migrated", revision=await migrations.current_revision(engine) or "-"))
    finally:
        await engine.dispose()
    return 0


async def _schema_is_current(engine: AsyncEngine) -> bool:
    current = await migrations.current_revision(engine)
    if current == migrations.head_revision():
        return True
    print(t("cli.schema_outdated", current=current or "-"), file=sys.stderr)
    return False


async def _prepare(settings: Settings, args: argparse.Namespace) -> tuple[Bot, AsyncEngine] | None:
    bot = create_bot(settings)  # checks BOT_TOKEN before touching the database
    engine = create_engine(settings.database_url)
    try:
        await _reachable(engine)
        if getattr(args, "migrate", False):
            await migrations.upgrade(engine)
        if await _schema_is_current(engine):
            return bot, engine
    except BaseException:
        await _close(bot, engine)
        raise
    await _close(bot, engine)
    return None


async def _close(
    bot: Bot, engine: AsyncEngine, dp: Dispatcher | None = None, redis: Redis | None = None
) -> None:
    # The engine goes last: disposing it checkpoints SQLite's write-ahead log.
    await bot.session.close()
    if dp is not None:
        await dp.storage.close()
    if redis is not None:
        await redis.aclose()
    await engine.dispose()


def _dispatcher(settings: Settings, engine: AsyncEngine) -> tuple[Dispatcher, Redis | None]:
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    return create_dispatcher(settings, create_session_pool(engine), redis=redis), redis


async def run_polling(settings: Settings, args: argparse.Namespace) -> int:
    prepared = await _prepare(settings, args)
    if prepared is None:
        return 1
    bot, engine = prepared
    dp, redis = _dispatcher(settings, engine)
    try:
        async with _jobs_process(settings):
            await bot.delete_webhook(drop_pending_updates=False)
            await _poll_until_stopped(dp, bot)
    finally:
        await _close(bot, engine, dp, redis)
    return 0


@contextlib.asynccontextmanager
async def _jobs_process(settings: Settings) -> AsyncIterator[None]:
    """With BACKGROUND_JOBS=process: `nastavnik jobs` as a child for as long as the bot runs,
    so a 25,000-row roster's CPU never delays anyone's reply (the bot has one event loop).
    A child that exits on its own (the database away at its start, a crash) is started again."""
    if settings.background_jobs != "process":
        yield
        return
    supervisor = JobsChild()
    watching = asyncio.create_task(supervisor.keep_running(), name="jobs-process")
    try:
        yield
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
        await supervisor.stop()


class JobsChild:
    def __init__(self) -> None:
        self.process: asyncio.subprocess.Process | None = None

    async def keep_running(self) -> None:
        while True:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "jobs", "--parent-pid", str(os.getpid())
            )
            code = await self.process.wait()
            log.error("background jobs process exited with %s; starting it again", code)
            await asyncio.sleep(JOBS_RESTART_SECONDS)

    async def stop(self) -> None:
        child = self.process
        if child is None or child.returncode is not None:
            return
        child.terminate()
        try:
            async with asyncio.timeout(JOBS_STOP_SECONDS):
                await child.wait()
        except TimeoutError:
            child.kill()
            await child.wait()


async def _stop_when_orphaned(parent_pid: int, stop: Callable[[], None]) -> None:
    """A bot killed outright (kill -9) cannot stop its jobs child: the child notices it was
    left alone and stops itself; the next bot starts a new one."""
    while os.getppid() == parent_pid:  # noqa: ASYNC110 (no event tells of a parent's death)
        await asyncio.sleep(1)
    stop()


async def run_jobs(settings: Settings, args: argparse.Namespace) -> int:
    """Background jobs only, until SIGTERM or SIGINT (jobs cut short resume at the next start)."""
    from bot.jobs import JobRunner

    bot = create_bot(settings)
    engine = create_engine(settings.database_url)
    redis = Redis.from_url(settings.redis_url) if settings.redis_url else None
    try:
        await _reachable(engine)
        if not await _schema_is_current(engine):
            return 1
        texts = Texts(path=LOCALES_DIR, default_locale=settings.default_locale)
        runner = JobRunner(
            bot,
            create_session_pool(engine),
            settings,
            texts,
            Templates(LOCALES_DIR, texts.available_locales),
            limiter=create_outbox_limiter(settings, redis),
        )
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, runner.stop)
        parent = getattr(args, "parent_pid", None)
        watch = asyncio.create_task(_stop_when_orphaned(parent, runner.stop)) if parent else None
        try:
            with texts.context():
                await runner.run()
        finally:
            if watch is not None:
                watch.cancel()
            for signum in STOP_SIGNALS:
                loop.remove_signal_handler(signum)
    finally:
        await _close(bot, engine, redis=redis)
    return 0


async def _poll_until_stopped(dp: Dispatcher, bot: Bot) -> None:
    """Long polling until SIGTERM or SIGINT; the updates being handled finish and commit first.

    Updates are stored before Telegram is told they arrived (see `bot.updates`), so whatever
    was queued but not started is handled at the next start, not lost.
    """
    path = UpdatePath.for_dispatcher(dp, bot)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    await dp.emit_startup(bot=bot, **dp.workflow_data)
    await path.start()
    freeze_start_up_objects()
    polling = asyncio.create_task(
        poll(bot, path.intake, dp.resolve_used_update_types()), name="polling"
    )
    log.info("Polling for updates")
    try:
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({polling, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        log.info("Stopping: finishing the updates being handled")
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        await path.stop()
        await dp.emit_shutdown(bot=bot, **dp.workflow_data)


def freeze_start_up_objects() -> None:
    """What start-up loaded (modules, routers, templates, texts) lives as long as the process:
    out of the garbage collector's reach, full collections stay short. Unfrozen, one took
    ~0.3 s and became every person's p99 in the update-path benchmark."""
    gc.collect()
    gc.freeze()


async def run_webhook(settings: Settings, args: argparse.Namespace) -> int:
    from bot.webhook import serve

    url, secret = settings.require_webhook()
    prepared = await _prepare(settings, args)
    if prepared is None:
        return 1
    bot, engine = prepared
    dp, redis = _dispatcher(settings, engine)
    try:
        async with _jobs_process(settings):
            await serve(dp, bot, settings, url=url, secret=secret)
    finally:
        await _close(bot, engine, dp, redis)
    return 0


async def import_roster(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.roster_cli import import_roster_file

    engine = create_engine(settings.database_url)
    try:
        await _reachable(engine)
        if not await _schema_is_current(engine):
            return 1
        return await import_roster_file(
            create_session_pool(engine),
            settings,
            args.file,
            municipality=args.municipality,
            apply=args.apply,
        )
    finally:
        await engine.dispose()


async def kpi_report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.kpi_cli import kpi_command

    engine = create_engine(settings.database_url)
    try:
        await _reachable(engine)
        if not await _schema_is_current(engine):
            return 1
        return await kpi_command(
            create_session_pool(engine),
            settings,
            municipality=args.municipality,
            region=args.region,
            year=args.year,
            fmt=args.format,
            output=args.output,
        )
    finally:
        await engine.dispose()


async def demo_data(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.services.demo import create_demo_data

    engine = create_engine(settings.database_url)
    try:
        await _reachable(engine)
        await migrations.upgrade(engine)
        async with create_session_pool(engine).begin() as session:
            summary = await create_demo_data(session, settings)
        print(summary)
    finally:
        await engine.dispose()
    return 0
