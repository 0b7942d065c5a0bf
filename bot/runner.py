"""What each command does once settings are known."""

from __future__ import annotations

import argparse
import logging
import sys

from aiogram import Bot, Dispatcher
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import create_bot, create_dispatcher
from bot.texts import t
from config.settings import Settings
from storage import migrate as migrations
from storage.db import create_engine, create_session_pool

log = logging.getLogger(__name__)


async def migrate(settings: Settings, _args: argparse.Namespace | None = None) -> int:
    engine = create_engine(settings.database_url)
    try:
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
    if getattr(args, "migrate", False):
        await migrations.upgrade(engine)
    if not await _schema_is_current(engine):
        await engine.dispose()
        await bot.session.close()
        return None
    return bot, engine


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
        await bot.delete_webhook(drop_pending_updates=False)
        # Without handle_as_tasks each update is confirmed to Telegram only after its handler
        # finished, so a crash mid-update means Telegram delivers it again (and the processed-
        # update table keeps that from doing anything twice).
        await dp.start_polling(bot, handle_as_tasks=False, handle_signals=True)
    finally:
        await bot.session.close()
        if redis is not None:
            await redis.aclose()
        await engine.dispose()
    return 0


async def run_webhook(settings: Settings, args: argparse.Namespace) -> int:
    from bot.webhook import serve

    url, secret = settings.require_webhook()
    prepared = await _prepare(settings, args)
    if prepared is None:
        return 1
    bot, engine = prepared
    dp, redis = _dispatcher(settings, engine)
    try:
        await serve(dp, bot, settings, url=url, secret=secret)
    finally:
        await bot.session.close()
        if redis is not None:
            await redis.aclose()
        await engine.dispose()
    return 0


async def import_roster(settings: Settings, args: argparse.Namespace) -> int:
    from bot.services.roster_cli import import_roster_file

    engine = create_engine(settings.database_url)
    try:
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


async def demo_data(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.services.demo import create_demo_data

    engine = create_engine(settings.database_url)
    try:
        await migrations.upgrade(engine)
        async with create_session_pool(engine).begin() as session:
            summary = await create_demo_data(session, settings)
        print(summary)
    finally:
        await engine.dispose()
    return 0
