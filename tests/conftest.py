"""Every test gets a fresh database: a new SQLite file (a copy of an empty one the session
built once), or (with DATABASE_URL set, as in CI) the shared PostgreSQL, its schema built once
a session and its tables emptied before each test. With REDIS_URL set, FSM state, event
isolation and flood control use Redis (its database is flushed before each test)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import time
from pathlib import Path

import pytest
import sqlalchemy
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.app import create_bot, create_dispatcher
from bot.updates import UpdatePath
from config.settings import Settings
from storage.db import create_engine, create_session_pool
from storage.models import Base
from tests.harness import Harness
from tests.recording_session import RecordingSession

_fresh_postgres_schema: list[bool] = []
TEST_TOKEN = "123456:TEST-token-for-the-recording-session-000"
ADMIN_ID = 900_001


def _database_url(tmp_path: Path) -> str:
    return os.environ.get("DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TEST_TOKEN,
        database_url=_database_url(tmp_path),
        redis_url=os.environ.get("REDIS_URL") or None,
        bootstrap_admin_ids=[ADMIN_ID],
        privacy_policy_url="https://example.org/privacy",
        # No quiet hours, so a test does not depend on the time of day it runs at; the quiet
        # hours tests set their own.
        quiet_hours_start=time(0, 0),
        quiet_hours_end=time(0, 0),
        # Tests run background jobs themselves (`harness.run_jobs()`), in this process.
        background_jobs="inline",
        # A test's person presses as fast as the machine runs: flood pacing (20 updates in
        # 10 s) would make hundreds of presses wait minutes. The flood tests set their own.
        flood_messages=10_000,
        flood_abuse_per_minute=100_000,
    )


@pytest.fixture(scope="session")
def empty_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with every table and no rows, built once: each test starts from a copy."""
    path = tmp_path_factory.mktemp("schema") / "empty.sqlite3"
    engine = sqlalchemy.create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture
async def engine(settings: Settings, empty_sqlite: Path) -> AsyncIterator[AsyncEngine]:
    database = settings.sqlite_path()
    copied = database is not None and not database.exists()
    if copied:
        shutil.copyfile(empty_sqlite, database)
    engine = create_engine(settings.database_url)
    async with engine.begin() as connection:
        if settings.is_sqlite:
            if not copied:  # in memory, or a file the test made itself
                await connection.run_sync(Base.metadata.create_all)
        else:
            if not _fresh_postgres_schema:
                # The shared database may hold tables of an older version of the models: start
                # each test run from an empty schema.
                await connection.execute(text("DROP SCHEMA public CASCADE"))
                await connection.execute(text("CREATE SCHEMA public"))
                await connection.run_sync(Base.metadata.create_all)
                _fresh_postgres_schema.append(True)
            await connection.execute(text(_EMPTY_ALL))
    yield engine
    await engine.dispose()


# Emptying every table with TRUNCATE takes PostgreSQL most of a second (it makes new files for
# each table); DELETE from tables this small takes milliseconds. Foreign keys are not checked
# meanwhile (the order does not matter), and the id sequences start again at 1 as in a new
# SQLite file. One statement, one round trip.
_EMPTY_ALL = """
DO $$
BEGIN
  SET LOCAL session_replication_role = replica;
  {deletes}
  PERFORM setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'S' AND n.nspname = 'public';
END $$
""".format(deletes="\n  ".join(f'DELETE FROM "{t.name}";' for t in Base.metadata.sorted_tables))


@pytest.fixture
def session_pool(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_pool(engine)


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis | None]:
    if not settings.redis_url:
        yield None
        return
    client: Redis = Redis.from_url(settings.redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def harness(
    settings: Settings,
    session_pool: async_sessionmaker[AsyncSession],
    redis: Redis | None,
) -> AsyncIterator[Harness]:
    api = RecordingSession()
    if settings.is_sqlite:
        api.probe_database = str(settings.sqlite_path())
    bot = create_bot(settings, session=api)
    dp = create_dispatcher(settings, session_pool, redis=redis)
    path = UpdatePath.for_dispatcher(dp, bot)
    await path.start()
    yield Harness(dp=dp, bot=bot, api=api, session_pool=session_pool, path=path)
    await path.stop()
    await dp.storage.close()
    # The rule of the update path, held by every test: no write lock while waiting on Telegram.
    assert api.write_locked_during == []
    # Nothing the bot sent broke Telegram's limits, even where the bot's error handling
    # swallowed Telegram's refusal.
    assert api.limit_violations == []
    await bot.session.close()


@pytest.fixture
async def db(session_pool: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session for arranging and checking data; commit what a test arranges."""
    async with session_pool() as session:
        yield session


# --- tests that never touch DATABASE_URL's database ----------------------------------------------

ONE_DATABASE_ONLY = "database_independent"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{ONE_DATABASE_ONLY}: runs on its own SQLite file (a subprocess, a benchmark) whatever "
        "DATABASE_URL says; CI runs it once, in the SQLite suite, not again in the PostgreSQL one",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("DATABASE_URL"):
        return
    skip = pytest.mark.skip(reason="independent of DATABASE_URL: run in the SQLite suite")
    for item in items:
        if item.get_closest_marker(ONE_DATABASE_ONLY):
            item.add_marker(skip)
