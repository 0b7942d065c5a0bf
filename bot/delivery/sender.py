"""The outbox sender: takes due rows and sends each exactly once, within Telegram's limits.

Each row goes PENDING → SENDING (committed just before the request) → SENT / BLOCKED / FAILED,
or back to PENDING for a retry. A crash leaves at most the in-flight rows in SENDING; they
become UNKNOWN (the request may have arrived), never resent. Every call goes through aiogram's
`Bot`, so another messenger only needs another session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.limiter import RateLimiter
from bot.delivery.outbox import InlineFile, Markup, load_file, load_markup
from bot.delivery.quiet_hours import is_quiet, next_daytime
from bot.delivery.split import split_text
from config.settings import Settings
from storage.models import (
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    Person,
    PersonStatus,
)
from storage.repositories.outbox import OutboxRepo

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
RECOVERY_INTERVAL_SECONDS = 30.0
BACKOFF_BASE_SECONDS = 5
BACKOFF_MAX_SECONDS = 30 * 60
# Telegram's limit on a caption; a longer text goes first, the file after it.
CAPTION_LIMIT = 1024


@dataclass(frozen=True)
class Content:
    text: str
    attachment_kind: str | None = None
    attachment_file_id: str | None = None
    reply_markup: Markup | None = None
    # A small generated file (an .ics) carried in the row: the message's document.
    file: InlineFile | None = None


def backoff(attempts: int) -> timedelta:
    return timedelta(
        seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)
    )


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        session_pool: async_sessionmaker[AsyncSession],
        settings: Settings,
        limiter: RateLimiter,
        *,
        worker_id: str | None = None,
        batch_size: int = 200,
        idle_seconds: float = 0.5,
    ) -> None:
        self.bot = bot
        self.pool = session_pool
        self.settings = settings
        self.limiter = limiter
        self.worker = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self.batch_size = batch_size
        self.idle_seconds = idle_seconds
        self._broadcasts: dict[int, Broadcast] = {}
        self._stopping = asyncio.Event()
        self._slots = asyncio.Semaphore(settings.outbox_concurrency)

    # --- lifecycle ------------------------------------------------------------------------
    async def run(self) -> None:
        """Send until `stop()`; what is in flight then is finished, nothing new is started."""
        next_recovery = 0.0
        while not self._stopping.is_set():
            try:
                if time.monotonic() >= next_recovery:
                    # Not only at start: a restart within LEASE finds the crashed process's
                    # rows still leased, and they must become UNKNOWN once it runs out, or their
                    # broadcast never finishes.
                    await self.recover()
                    next_recovery = time.monotonic() + RECOVERY_INTERVAL_SECONDS
                sent = await self.run_once()
            except Exception:
                log.exception("outbox pass failed; retrying shortly")
                sent = 0
            if not sent:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.idle_seconds)

    def stop(self) -> None:
        self._stopping.set()

    async def recover(self) -> int:
        async with self.pool.begin() as session:
            interrupted = await OutboxRepo(session).mark_interrupted(datetime.now(UTC))
        if interrupted:
            log.warning("%s deliveries were interrupted mid-send; marked unknown", interrupted)
        return interrupted

    async def run_once(self) -> int:
        """Claim one batch of due rows and deliver it; the number of rows taken."""
        # Broadcasts are remembered for one batch only: a row in flight when its broadcast was
        # stopped may come back for a retry, and must then find the broadcast stopped.
        self._broadcasts.clear()
        async with self.pool.begin() as session:
            rows = await OutboxRepo(session).claim_due(
                worker=self.worker, now=datetime.now(UTC), lease=LEASE, limit=self.batch_size
            )
            for row in rows:
                session.expunge(row)
        if rows:
            await asyncio.gather(*(self._guarded(row) for row in rows))
        return len(rows)

    async def drain(self) -> int:
        """Deliver everything that is due now (tests and the benchmark's plain runs)."""
        total = 0
        while taken := await self.run_once():
            total += taken
        return total

    # --- one row --------------------------------------------------------------------------
    async def _guarded(self, row: Delivery) -> None:
        async with self._slots:
            if self._stopping.is_set():
                await self._release(row)
                return
            try:
                await self._deliver(row)
            except Exception:
                log.exception("delivery %s failed unexpectedly", row.id)
                await self._finish(row, status=DeliveryStatus.FAILED, error="internal error")

    async def _deliver(self, row: Delivery) -> None:
        content = await self._content(row)
        if content is None:
            await self._finish(row, status=DeliveryStatus.CANCELLED)
            return
        tz = ZoneInfo(row.timezone)
        start, end = self.settings.quiet_hours_start, self.settings.quiet_hours_end
        if not row.urgent and is_quiet(datetime.now(UTC), tz, start, end):
            await self._finish(row, next_attempt_at=next_daytime(datetime.now(UTC), tz, start, end))
            return
        await self.limiter.acquire(row.chat_id)
        async with self.pool.begin() as session:
            if not await OutboxRepo(session).start_sending(
                row.id, self.worker, datetime.now(UTC) + LEASE
            ):
                return
        parts_sent = int(row.payload.get("parts_sent", 0))
        try:
            message_id = await self._send(row, content, parts_sent)
        except _PartialSend as partial:
            parts_sent = partial.parts_sent
            await self._on_error(row, partial.error, parts_sent)
        except Exception as error:
            await self._on_error(row, error, parts_sent)
        else:
            await self._finish(
                row,
                status=DeliveryStatus.SENT,
                telegram_message_id=message_id,
                sent_at=datetime.now(UTC),
                error=None,
            )

    async def _send(self, row: Delivery, content: Content, parts_sent: int) -> int | None:
        if content.attachment_kind == "photo":
            message = await self.bot.send_photo(
                row.chat_id,
                content.attachment_file_id or "",
                caption=content.text or None,
                reply_markup=content.reply_markup,
            )
            return message.message_id
        if content.attachment_kind == "document":
            message = await self.bot.send_document(
                row.chat_id,
                content.attachment_file_id or "",
                caption=content.text or None,
                reply_markup=content.reply_markup,
            )
            return message.message_id
        if content.file is not None and len(content.text) <= CAPTION_LIMIT:
            message = await self.bot.send_document(
                row.chat_id,
                _document(content.file),
                caption=content.text or None,
                reply_markup=content.reply_markup,
            )
            return message.message_id
        parts = split_text(content.text)
        # A file after a long text is one more part: a retry after the text sends only it.
        count = len(parts) + (content.file is not None)
        first_id: int | None = None
        for index in range(parts_sent, count):
            if index > parts_sent:
                await self.limiter.acquire(row.chat_id)
            last = index == len(parts) - 1
            try:
                if index == len(parts) and content.file is not None:
                    message = await self.bot.send_document(row.chat_id, _document(content.file))
                else:
                    message = await self.bot.send_message(
                        row.chat_id,
                        parts[index],
                        reply_markup=content.reply_markup if last else None,
                    )
            except Exception as error:
                if index > parts_sent:
                    raise _PartialSend(index, error) from error
                raise
            first_id = first_id or message.message_id
        return first_id

    async def _on_error(self, row: Delivery, error: Exception, parts_sent: int) -> None:
        now = datetime.now(UTC)
        payload = {**row.payload, "parts_sent": parts_sent} if parts_sent else row.payload
        if isinstance(error, TelegramRetryAfter):
            # Telegram throttles the whole bot: everybody waits, and this row keeps its turn.
            await self.limiter.pause(error.retry_after)
            await self._finish(
                row,
                status=DeliveryStatus.PENDING,
                attempts=Delivery.attempts - 1,
                next_attempt_at=now + timedelta(seconds=error.retry_after),
                payload=payload,
            )
        elif isinstance(error, TelegramForbiddenError):
            await self._finish(row, status=DeliveryStatus.BLOCKED, error=_reason(error))
            await self._mark_blocked(row)
        elif isinstance(error, (TelegramBadRequest, TelegramNotFound, TelegramUnauthorizedError)):
            await self._finish(row, status=DeliveryStatus.FAILED, error=_reason(error))
        elif isinstance(error, TelegramNetworkError) and isinstance(error.__cause__, TimeoutError):
            await self._finish(row, status=DeliveryStatus.UNKNOWN, error=_reason(error))
        elif isinstance(error, (TelegramNetworkError, TelegramServerError)):
            if row.attempts + 1 >= self.settings.outbox_max_attempts:
                await self._finish(row, status=DeliveryStatus.FAILED, error=_reason(error))
            else:
                await self._finish(
                    row,
                    status=DeliveryStatus.PENDING,
                    error=_reason(error),
                    next_attempt_at=now + backoff(row.attempts + 1),
                    payload=payload,
                )
        else:
            raise error

    # --- storage --------------------------------------------------------------------------
    async def _content(self, row: Delivery) -> Content | None:
        if row.broadcast_id is None:
            return Content(
                text=str(row.payload.get("text", "")),
                reply_markup=load_markup(row.payload.get("markup")),
                file=load_file(row.payload.get("file")),
            )
        broadcast = self._broadcasts.get(row.broadcast_id)
        if broadcast is None or broadcast.status != BroadcastStatus.SENDING:
            async with self.pool() as session:
                broadcast = await session.get(Broadcast, row.broadcast_id)
            if broadcast is None:
                return None
            self._broadcasts[row.broadcast_id] = broadcast
        if broadcast.status == BroadcastStatus.CANCELLED:
            return None
        return Content(broadcast.text, broadcast.attachment_kind, broadcast.attachment_file_id)

    async def _finish(self, row: Delivery, **values: Any) -> None:
        async with self.pool.begin() as session:
            await OutboxRepo(session).finish(row.id, **values)

    async def _release(self, row: Delivery) -> None:
        await self._finish(row)

    async def _mark_blocked(self, row: Delivery) -> None:
        if row.person_id is None:
            return
        async with self.pool.begin() as session:
            await session.execute(
                update(Person)
                .where(Person.id == row.person_id, Person.status == PersonStatus.ACTIVE)
                .values(status=PersonStatus.BLOCKED_BOT)
            )


class _PartialSend(Exception):
    """A long text failed after some of its parts went out; a retry resumes after them."""

    def __init__(self, parts_sent: int, error: Exception) -> None:
        super().__init__(str(error))
        self.parts_sent = parts_sent
        self.error = error


def _document(file: InlineFile) -> BufferedInputFile:
    return BufferedInputFile(file.data, filename=file.name)


def _reason(error: Exception) -> str:
    return f"{type(error).__name__}: {getattr(error, 'message', str(error))}"[:500]
