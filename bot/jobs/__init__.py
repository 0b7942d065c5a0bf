"""Background jobs: slow work someone asked for, done off the update path.

A handler adds a `BackgroundJob` row in its update's transaction (`bot.services.jobs.enqueue`)
and answers at once; `JobRunner` claims due rows and runs each job function (named by import
path, taking a `JobRunContext` and the row) in its own task, a few at a time, one job per
person at a time. The job reports in one progress message, edited in place, that finally
becomes the result.

Each row goes PENDING → RUNNING (claimed, with a lease its runner renews) → DONE or FAILED. A
job whose process died keeps RUNNING until its lease runs out (at once on SQLite, which one
process serves): it is then resumed, and after MAX_ATTEMPTS starts it is failed and the person
is told. A job writes in short transactions of its own, never open across a Bot API call.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.delivery.limiter import LocalRateLimiter, RateLimiter
from bot.errors import DomainError
from bot.logging_setup import mask_phones
from bot.scheduler import JobContext
from bot.texts import Templates, Texts, t
from config.settings import Settings
from storage.models import BackgroundJob, JobStatus, Person
from storage.repositories.jobs import JobsRepo
from storage.repositories.people import PeopleRepo

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
RECOVERY_INTERVAL_SECONDS = 30.0
# Starts a job gets: one that keeps dying with its process (or keeps meeting a Telegram outage)
# is failed after these and its person is told.
MAX_ATTEMPTS = 3
FINISHED_KEPT = timedelta(days=7)
PROGRESS_INTERVAL_SECONDS = 2.0
STOP_GRACE_SECONDS = 10.0
RETRY_DELAY = timedelta(seconds=30)


class JobGone(Exception):
    """The job's row disappeared while it ran (the person used /forget): stop quietly."""


class Progress:
    """The job's one message to its person: «⏳ … 40 %» edited in place at most every
    `interval` seconds, then edited into the result.

    If the handler already answered (and stored that message's id on the job) that message is
    the one edited; otherwise the first progress shown, or the result, is sent. Its id is
    stored on the job at once, so a resumed job edits the same message instead of sending
    another.
    """

    def __init__(
        self,
        bot: Bot,
        session_pool: async_sessionmaker[AsyncSession],
        job: BackgroundJob,
        *,
        interval: float = PROGRESS_INTERVAL_SECONDS,
    ) -> None:
        self.bot = bot
        self.pool = session_pool
        self.job_id = job.id
        self.chat_id = job.chat_id
        self.message_id = job.progress_message_id
        self.interval = interval
        self._shown_at = time.monotonic()
        self._shown: str | None = None

    async def update(self, text: str) -> None:
        """Show `text` as the job's progress once the job has run `interval` seconds, then at
        most every `interval` seconds: a quick job shows only its result."""
        if text == self._shown or time.monotonic() - self._shown_at < self.interval:
            return
        await self._put(text, None)

    async def finish(self, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
        """The result: the progress message becomes `text` (or `text` is sent if there is none)."""
        await self._put(text, reply_markup)

    async def remove(self) -> None:
        """The result is something else (a file): the progress message goes."""
        await self.ensure_wanted()
        if self.message_id is None:
            return
        message_id, self.message_id = self.message_id, None
        try:
            await self.bot.delete_message(self.chat_id, message_id)
        except TelegramAPIError:
            log.info("progress message of job %s not deleted", self.job_id)
        await self._remember(None)

    async def ensure_wanted(self) -> None:
        """Asked before anything is said: a job whose row is gone (its person used /forget)
        stops here, silently."""
        async with self.pool() as session:
            if await JobsRepo(session).get(self.job_id) is None:
                raise JobGone

    async def _put(self, text: str, reply_markup: InlineKeyboardMarkup | None) -> None:
        await self.ensure_wanted()
        self._shown, self._shown_at = text, time.monotonic()
        if self.message_id is not None:
            try:
                await self.bot.edit_message_text(
                    text=text,
                    chat_id=self.chat_id,
                    message_id=self.message_id,
                    reply_markup=reply_markup,
                )
                return
            except TelegramBadRequest as error:
                if "not modified" in error.message:
                    return
                # Deleted by the person, or too old to edit: the result comes as a new message.
                log.info("progress of job %s not edited: %s", self.job_id, error.message)
        message = await self.bot.send_message(self.chat_id, text, reply_markup=reply_markup)
        self.message_id = message.message_id
        await self._remember(message.message_id)

    async def _remember(self, message_id: int | None) -> None:
        async with self.pool.begin() as session:
            await JobsRepo(session).update(self.job_id, progress_message_id=message_id)


@dataclass(frozen=True)
class JobRunContext(JobContext):
    """What a job function gets besides its row: the app's objects, the pacing of sends
    (Telegram allows about one message a second per chat) and its progress message."""

    limiter: RateLimiter
    progress: Progress


JobFunction = Callable[[JobRunContext, BackgroundJob], Awaitable[None]]


def resolve(path: str) -> JobFunction:
    module_name, _, attribute = path.partition(":")
    job: JobFunction = getattr(importlib.import_module(module_name), attribute)
    return job


def percent(done: int, total: int) -> int:
    return 100 if total <= 0 else min(100, done * 100 // total)


async def person_of(session: AsyncSession, job: BackgroundJob) -> Person:
    """Who asked for the job, with their roles as they are now (a job checks permissions
    again when it runs, not only when it was queued)."""
    person = await PeopleRepo(session).get(job.person_id)
    if person is None:
        raise JobGone
    return person


class JobRunner:
    def __init__(
        self,
        bot: Bot,
        session_pool: async_sessionmaker[AsyncSession],
        settings: Settings,
        texts: Texts,
        templates: Templates,
        *,
        limiter: RateLimiter | None = None,
        concurrency: int = 3,
        idle_seconds: float = 0.5,
        progress_interval: float = PROGRESS_INTERVAL_SECONDS,
        stop_grace_seconds: float = STOP_GRACE_SECONDS,
        worker_id: str | None = None,
    ) -> None:
        self.bot = bot
        self.pool = session_pool
        self.settings = settings
        self.texts = texts
        self.templates = templates
        self.limiter = limiter or LocalRateLimiter(
            settings.outbox_rate_per_second, settings.outbox_chat_interval_seconds
        )
        self.concurrency = concurrency
        self.idle_seconds = idle_seconds
        self.progress_interval = progress_interval
        self.stop_grace_seconds = stop_grace_seconds
        self.worker = worker_id or f"{socket.gethostname()}:{os.getpid()}"
        self._stopping = asyncio.Event()
        self._started = False

    # --- lifecycle ------------------------------------------------------------------------
    async def run(self) -> None:
        """Run jobs until `stop()`; jobs still running then get a short grace and are put
        back to be resumed by the next start."""
        tasks: set[asyncio.Task[None]] = set()
        next_recovery = 0.0
        while not self._stopping.is_set():
            claimed: list[BackgroundJob] = []
            try:
                if time.monotonic() >= next_recovery:
                    await self.recover()
                    next_recovery = time.monotonic() + RECOVERY_INTERVAL_SECONDS
                if len(tasks) < self.concurrency:
                    claimed = await self._claim(self.concurrency - len(tasks))
            except Exception:
                log.exception("job pass failed; retrying shortly")
            for job in claimed:
                task = asyncio.create_task(self._execute(job), name=f"job-{job.id}")
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if not claimed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.idle_seconds)
        if tasks:
            _, unfinished = await asyncio.wait(tasks, timeout=self.stop_grace_seconds)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)

    def stop(self) -> None:
        self._stopping.set()

    async def drain(self) -> int:
        """Run every job due now, to the end (tests); the number of jobs run."""
        await self.recover()
        total = 0
        while claimed := await self._claim(self.concurrency):
            await asyncio.gather(*(self._execute(job) for job in claimed))
            total += len(claimed)
        return total

    async def recover(self) -> int:
        """Jobs left running by a process that died: resumed, or failed after MAX_ATTEMPTS
        starts (and their person told). Also forgets finished jobs after a week."""
        now = datetime.now(UTC)
        # SQLite is served by one process: at its start nothing else can be running a job.
        at_start = not self._started and self.settings.is_sqlite
        self._started = True
        given_up: list[BackgroundJob] = []
        async with self.pool.begin() as session:
            repo = JobsRepo(session)
            interrupted = await repo.interrupted(now, whatever_lease=at_start)
            for job in interrupted:
                if job.attempts >= MAX_ATTEMPTS:
                    job.status, job.finished_at = JobStatus.FAILED, now
                    job.error = f"interrupted {job.attempts} times"
                    given_up.append(job)
                else:
                    job.status = JobStatus.PENDING
                job.claimed_by, job.lease_until = None, None
            await session.flush()
            for job in given_up:
                session.expunge(job)
            await repo.delete_finished_before(now - FINISHED_KEPT)
        if interrupted:
            log.warning("%s background jobs were interrupted", len(interrupted))
        for job in given_up:
            with self._texts(job):
                await self._tell(Progress(self.bot, self.pool, job), t("jobs.interrupted"))
        return len(interrupted)

    # --- one job --------------------------------------------------------------------------
    async def _claim(self, limit: int) -> list[BackgroundJob]:
        async with self.pool.begin() as session:
            jobs = await JobsRepo(session).claim_due(
                worker=self.worker, now=datetime.now(UTC), lease=LEASE, limit=limit
            )
            for job in jobs:
                session.expunge(job)
        return jobs

    @contextlib.contextmanager
    def _texts(self, job: BackgroundJob) -> Iterator[None]:
        locale = job.locale if job.locale in self.texts.available_locales else None
        with self.texts.context(), self.texts.use_locale(locale or self.texts.default_locale):
            yield

    async def _execute(self, job: BackgroundJob) -> None:
        progress = Progress(self.bot, self.pool, job, interval=self.progress_interval)
        context = JobRunContext(
            bot=self.bot,
            session_pool=self.pool,
            settings=self.settings,
            texts=self.texts,
            templates=self.templates,
            limiter=self.limiter,
            progress=progress,
        )
        with self._texts(job):
            try:
                await self._leased(job, resolve(job.kind)(context, job))
            except asyncio.CancelledError:
                await self._finish(job, status=JobStatus.PENDING, attempts=job.attempts - 1)
                raise
            except JobGone:
                log.info("job %s was removed while running", job.id)
            except DomainError as refusal:
                if await self._finish(job, status=JobStatus.FAILED, error=refusal.key):
                    await self._tell(progress, t(refusal.key, **refusal.params))
            except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as error:
                await self._on_outage(job, progress, error)
            except Exception as error:
                log.exception("job %s (%s) failed", job.id, job.kind)
                if await self._finish(job, status=JobStatus.FAILED, error=_reason(error)):
                    await self._tell(progress, t("jobs.failed"))
            else:
                await self._finish(job, status=JobStatus.DONE)

    async def _leased(self, job: BackgroundJob, work: Awaitable[None]) -> None:
        """Runs the job while renewing its lease; a job whose row is gone is stopped."""
        task = asyncio.ensure_future(work)
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=LEASE.total_seconds() / 3)
                if done:
                    return task.result()
                async with self.pool.begin() as session:
                    renewed = await JobsRepo(session).renew(
                        job.id, self.worker, datetime.now(UTC) + LEASE
                    )
                if not renewed:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                    raise JobGone
        finally:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _on_outage(
        self, job: BackgroundJob, progress: Progress, error: TelegramAPIError
    ) -> None:
        if job.attempts >= MAX_ATTEMPTS:
            log.warning("job %s gave up after %s attempts: %s", job.id, job.attempts, error)
            if await self._finish(job, status=JobStatus.FAILED, error=_reason(error)):
                await self._tell(progress, t("jobs.failed"))
            return
        delay = (
            timedelta(seconds=error.retry_after)
            if isinstance(error, TelegramRetryAfter)
            else RETRY_DELAY * job.attempts
        )
        if isinstance(error, TelegramRetryAfter):
            await self.limiter.pause(error.retry_after)
        await self._finish(
            job,
            status=JobStatus.PENDING,
            run_after=datetime.now(UTC) + delay,
            error=_reason(error),
            progress_message_id=progress.message_id,
        )

    async def _finish(self, job: BackgroundJob, **values: object) -> bool:
        """False when the job's row is gone (the person used /forget): nothing more is said."""
        if values.get("status") in (JobStatus.DONE, JobStatus.FAILED):
            values["finished_at"] = datetime.now(UTC)
        async with self.pool.begin() as session:
            return await JobsRepo(session).finish(job.id, **values)

    async def _tell(self, progress: Progress, text: str) -> None:
        try:
            await progress.finish(text)
        except JobGone:
            return
        except TelegramAPIError:
            log.warning("could not tell the person about job %s", progress.job_id, exc_info=True)


def _reason(error: BaseException) -> str:
    """The error as kept on the job row: a database error's text may quote a row's phone."""
    return mask_phones(f"{type(error).__name__}: {getattr(error, 'message', str(error))}")[:500]


__all__ = [
    "JobGone",
    "JobRunContext",
    "JobRunner",
    "Progress",
    "percent",
    "person_of",
    "resolve",
]
