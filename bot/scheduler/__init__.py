"""Time-driven work.

The database is the truth about what is due: a job is a periodic sweep, named by import path,
that opens its own session, finds what is due and does it. So a restart loses nothing (the next
sweep finds it) and APScheduler's in-memory job store is never shared between processes.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from aiogram import Bot
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.texts import Templates, Texts
from config.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobContext:
    bot: Bot
    session_pool: async_sessionmaker[AsyncSession]
    settings: Settings
    texts: Texts
    templates: Templates


Job = Callable[[JobContext], Awaitable[None]]


def resolve(path: str) -> Job:
    module_name, _, attribute = path.partition(":")
    job: Job = getattr(importlib.import_module(module_name), attribute)
    return job


class Scheduler:
    """A thin layer over APScheduler that later features use: `every(path, interval)`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._aps = AsyncIOScheduler(
            timezone=settings.tz,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        )
        self._periodic: dict[str, timedelta] = {}

    def every(self, path: str, interval: timedelta) -> None:
        """Run the job at `path` ("package.module:function") every `interval`."""
        resolve(path)  # fail at start-up, not at the first run, on a wrong path
        self._periodic[path] = interval

    @property
    def jobs(self) -> dict[str, timedelta]:
        return dict(self._periodic)

    def start(self, context: JobContext) -> None:
        for path, interval in self._periodic.items():
            self._aps.add_job(
                _run_job,
                "interval",
                seconds=interval.total_seconds(),
                args=[path, context],
                id=path,
                replace_existing=True,
            )
        self._aps.start()

    def shutdown(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=False)


async def _run_job(path: str, context: JobContext) -> None:
    try:
        await resolve(path)(context)
    except Exception:
        log.exception("scheduled job %s failed", path)
