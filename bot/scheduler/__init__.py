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
from datetime import datetime, timedelta
from typing import Any

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
        self._at_start: set[str] = set()

    def every(self, path: str, interval: timedelta, *, at_start: bool = False) -> None:
        """Run the job at `path` ("package.module:function") every `interval`; `at_start`:
        also right after start-up (in the background: start-up does not wait for it), for work
        that came due while the bot was down."""
        resolve(path)  # fail at start-up, not at the first run, on a wrong path
        self._periodic[path] = interval
        if at_start:
            self._at_start.add(path)

    @property
    def jobs(self) -> dict[str, timedelta]:
        return dict(self._periodic)

    def start(self, context: JobContext) -> None:
        for path, interval in self._periodic.items():
            first: dict[str, Any] = {}
            if path in self._at_start:
                first["next_run_time"] = datetime.now(self.settings.tz)
            self._aps.add_job(
                _run_job,
                "interval",
                seconds=interval.total_seconds(),
                args=[path, context],
                id=path,
                replace_existing=True,
                **first,
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
