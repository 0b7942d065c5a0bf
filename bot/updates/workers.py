"""Stored updates handled concurrently across people, strictly in order for each person.

Each person with work has one drainer task that takes their updates one by one; at most
`concurrency` updates are being handled at once, whoever they belong to. A slow person (a big
file, a 429 wait) delays only themselves.

Handling an update: open the update's session (the FSM storage and every middleware use it),
feed the dispatcher, then mark the inbox row done. If the update ends with writes not yet
committed, the mark goes into their commit; otherwise (it wrote nothing, or committed all it
wrote before its reply) it is marked in the next batch, a few milliseconds later. A crash in the
middle of an update, or before its batched mark, re-runs it whole: what it committed before a
Bot API call may then be done twice (at least once, never lost).

Transient failures (Telegram unreachable or refusing with 429 past the reply's patience, the
database momentarily away) leave the update stored: the drainer waits and runs it again, and
the person's later updates wait behind it. A stopping process leaves unfinished updates
pending; the next start (or, with several processes, a sweep of another one) runs them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Protocol

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.types import Update
from redis.asyncio import Redis
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.updates.keys import media_group
from bot.updates.pacing import PersonPacing
from storage.db import current_session, has_writes
from storage.models import InboxStatus
from storage.repositories.inbox import InboxRepo

log = logging.getLogger(__name__)

# Worth another try later: the same update may well succeed in a few seconds.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    TelegramRetryAfter,
    TelegramServerError,
    TelegramNetworkError,
    OperationalError,  # SQLite busy past its timeout, PostgreSQL connection lost
    PoolTimeoutError,
    ConnectionError,
    TimeoutError,
)
RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 60.0
# About twenty minutes of an outage; then the update waits for the next start instead.
MAX_TRANSIENT_FAILURES = 25
# How often handled-but-unmarked updates are marked done in one statement.
MARK_INTERVAL_SECONDS = 0.05
MARK_BATCH = 500
# A person's lock in Redis outlives a stuck process by this much, then another may take over.
PERSON_LOCK_SECONDS = 300


# Reads what the dispatcher will need (the sender, their dialog state) before it runs.
Preload = Callable[[AsyncSession, Update], Awaitable[None]]


class PersonLocks(Protocol):
    """Only one process at a time handles a person's updates (several bot processes)."""

    def hold(self, key: int) -> contextlib.AbstractAsyncContextManager[None]: ...


class RedisPersonLocks:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    @contextlib.asynccontextmanager
    async def hold(self, key: int) -> AsyncIterator[None]:
        lock = self.redis.lock(f"nastavnik:person:{key}", timeout=PERSON_LOCK_SECONDS, sleep=0.005)
        await lock.acquire()
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await lock.release()


class DoneMarks:
    """Batches "done" for updates that wrote nothing: one statement per batch, not per update."""

    def __init__(self, session_pool: async_sessionmaker[AsyncSession]) -> None:
        self.session_pool = session_pool
        self._ids: list[int] = []
        self._wake = asyncio.Event()

    def add(self, update_id: int) -> None:
        self._ids.append(update_id)
        if len(self._ids) >= MARK_BATCH:
            self._wake.set()

    async def flush(self) -> None:
        while self._ids:
            ids, self._ids = self._ids[:MARK_BATCH], self._ids[MARK_BATCH:]
            try:
                async with self.session_pool.begin() as session:
                    await InboxRepo(session).finish(ids, InboxStatus.DONE)
            except TRANSIENT_ERRORS:
                log.warning("could not mark %d handled updates; will try again", len(ids))
                self._ids = ids + self._ids
                return

    async def run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(MARK_INTERVAL_SECONDS):
                    await self._wake.wait()
            self._wake.clear()
            await self.flush()


class UpdateWorkers:
    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        session_pool: async_sessionmaker[AsyncSession],
        pacing: PersonPacing,
        *,
        concurrency: int,
        locks: PersonLocks | None = None,
        preload: Preload | None = None,
    ) -> None:
        self.dp = dp
        self.bot = bot
        self.session_pool = session_pool
        self.pacing = pacing
        self.locks = locks
        self.preload = preload
        self._slots = asyncio.Semaphore(concurrency)
        self._queues: dict[int, deque[Update]] = {}
        self._drainers: dict[int, asyncio.Task[None]] = {}
        self._queued: set[int] = set()
        # People whose update is inside the dispatcher right now: a stop lets these finish.
        self._handling: set[int] = set()
        self._stopping = False
        self.marks = DoneMarks(session_pool)
        self._marker: asyncio.Task[None] | None = None

    # --- life cycle --------------------------------------------------------------------------
    def start(self) -> None:
        if self._marker is None:
            self._marker = asyncio.create_task(self.marks.run(), name="inbox-marks")

    @property
    def stopping(self) -> bool:
        return self._stopping

    async def stop(self) -> None:
        """Finish the updates being handled; leave the queued ones stored for the next start."""
        self._stopping = True
        for key, drainer in list(self._drainers.items()):
            if key not in self._handling:
                drainer.cancel()
        await asyncio.gather(*self._drainers.values(), return_exceptions=True)
        if self._marker is not None:
            self._marker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._marker
            self._marker = None
        await self.marks.flush()

    async def idle(self) -> None:
        """Wait until every queued update has been handled and marked (tests, benchmarks)."""
        while self._drainers:
            await asyncio.gather(*self._drainers.values(), return_exceptions=True)
        await self.marks.flush()

    # --- work ---------------------------------------------------------------------------------
    def submit(self, key: int, updates: Sequence[Update]) -> None:
        """Queue a person's stored updates (in arrival order) behind what they already have."""
        if self._stopping:
            return
        queue = self._queues.setdefault(key, deque())
        for update in updates:
            if update.update_id not in self._queued:
                self._queued.add(update.update_id)
                queue.append(update)
        if queue and key not in self._drainers:
            self._drainers[key] = asyncio.create_task(self._drain(key), name=f"person-{key}")

    async def _drain(self, key: int) -> None:
        queue = self._queues[key]
        try:
            while queue and not self._stopping:
                update = queue[0]
                delay = self.pacing.delay(key, media_group(update))
                if delay:
                    await asyncio.sleep(delay)
                await self._handle_until_done(key, update)
                queue.popleft()
                self._queued.discard(update.update_id)
        finally:
            del self._drainers[key]
            if not queue:
                del self._queues[key]

    async def _handle_until_done(self, key: int, update: Update) -> None:
        failures = 0
        while failures < MAX_TRANSIENT_FAILURES:
            try:
                if self.locks is None:
                    await self._handle(key, update, mark_now=False)
                else:
                    await self._handle_shared(key, update)
                return
            except TRANSIENT_ERRORS as error:
                failures += 1
                delay = min(RETRY_MAX_SECONDS, RETRY_FIRST_SECONDS * 2 ** (failures - 1))
                if isinstance(error, TelegramRetryAfter):
                    delay = max(delay, float(error.retry_after))
                log.warning(
                    "update %s: %s; trying again in %.0f s (it stays stored)",
                    update.update_id,
                    type(error).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
        # Not a passing outage after all (or a long one): the update stays stored for the next
        # start, or another process's sweep, and the person's later updates are not held up.
        log.error(
            "update %s: still failing after %d tries; left for later", update.update_id, failures
        )

    async def _handle_shared(self, key: int, update: Update) -> None:
        """With several processes: under the person's lock, first whatever of theirs another
        process stored earlier, then this update, unless someone handled it already."""
        assert self.locks is not None
        async with self.locks.hold(key):
            async with self.session_pool() as session:
                rows = await InboxRepo(session).pending_of(key, up_to=update.update_id)
            for row in rows:
                if self._stopping:
                    return
                if row.update_id == update.update_id:
                    await self._handle(key, update, mark_now=True)
                elif row.payload is not None:
                    await self._handle(key, parse(row.payload, self.bot), mark_now=True)

    async def _handle(self, key: int, update: Update, *, mark_now: bool) -> None:
        async with self._slots:
            # From here until the update is marked done (in its commit or in the next batch), a
            # stop waits for it: cut short after the reply, while its session closes, it would
            # stay pending and the next start would answer the person a second time.
            self._handling.add(key)
            try:
                if await self._run(update, mark_now=mark_now):
                    self.marks.add(update.update_id)
            finally:
                self._handling.discard(key)

    async def _run(self, update: Update, *, mark_now: bool) -> bool:
        """Feed the update to the dispatcher in its own session; True if it still needs its
        "done" mark (it wrote nothing, so the mark waits for the next batch)."""
        async with self.session_pool() as session:
            token = current_session.set(session)
            try:
                if self.preload is not None:
                    await self.preload(session, update)
                await self.dp.feed_update(self.bot, update)
                # An update with writes still open is marked done in their commit: once that
                # commit is made, no crash can make it run again. One whose writes were all
                # committed before a reply (the usual read → write → send) has nothing left to
                # commit: its mark joins the next batch rather than cost a write of its own.
                if has_writes(session) or mark_now:
                    await InboxRepo(session).finish([update.update_id], InboxStatus.DONE)
                    await session.commit()
                    return False
                await session.commit()
                return True
            except TRANSIENT_ERRORS:
                await session.rollback()
                raise
            except Exception:
                # The errors router answers every failure inside the dispatcher; this is a
                # failure of that answer itself. The update is not tried again.
                log.exception("update %s failed outside the dispatcher", update.update_id)
                await session.rollback()
                async with self.session_pool.begin() as marking:
                    await InboxRepo(marking).finish([update.update_id], InboxStatus.FAILED)
                return False
            finally:
                current_session.reset(token)


def parse(payload: dict[str, Any], bot: Bot) -> Update:
    return Update.model_validate(payload, context={"bot": bot})
