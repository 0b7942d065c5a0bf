"""100,000 pending event reminders: `python -m bench.event_reminders [--reminders N] [--hours H]`.

The data: N registrations (default 100,000) of N/2 teachers in two municipalities (Moscow and
Vladivostok time, Russian and English), 250 to an event, each with its hour-before reminder
pending; the reminders come due spread evenly from 5 minutes before the data is written to
H hours after (default 2), so a slice of them came due while the bot was down.

Measured, on a temporary SQLite file and (with DATABASE_URL=postgresql…) in a throw-away
PostgreSQL database (REDIS_URL, if set, as in production):
1. start-up: `create_dispatcher` + the dispatcher's start-up (scheduler, outbox sender) with
   every reminder pending (target ≤ 5 s); the scheduler's wake-up then sends, in the
   background, what came due while the bot was down: the time until all of it is queued;
2. the clock driven through the H hours: a sweep every 20 s (or right after the previous one
   when it took longer), two processes sweeping at once (two sessions); for each reminder the
   delay from its due time to the end of the sweep that queued it (target max ≤ 60 s);
3. none twice: one outbox row per reminder and per registration, none left unsent.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.surveys import throwaway_postgres
from bench.update_path import InstantSession, asyncpg_url, bench_settings, sqlite_url
from bot.app import create_bot, create_dispatcher
from bot.scheduler import JobContext
from bot.scheduler.events import EVENT_SWEEP_INTERVAL, run
from bot.texts import LOCALES_DIR, Templates, Texts
from config.settings import Settings
from storage.db import create_engine, create_session_pool
from storage.models import (
    Base,
    Delivery,
    Event,
    EventForm,
    EventRegistration,
    EventReminder,
    EventScope,
    EventStatus,
    Municipality,
    Person,
    PersonStatus,
    Region,
    RegistrationStatus,
)

PER_EVENT = 250
OUTAGE = timedelta(minutes=5)
STARTUP_TARGET = 5.0
DELAY_TARGET = 60.0
FIRST_CHAT_ID = 500_000_000


@dataclass(frozen=True)
class Result:
    database: str
    reminders: int
    startup_seconds: float
    due_while_down: int
    down_queued_after: float  # seconds from start-up until all of them were queued
    sweeps: int
    sweep_p50: float
    sweep_max: float
    delay_p50: float
    delay_p99: float
    delay_max: float
    queued: int
    duplicates: int
    left: int

    @property
    def ok(self) -> bool:
        return (
            self.startup_seconds <= STARTUP_TARGET
            and self.delay_max <= DELAY_TARGET
            and self.duplicates == 0
            and self.left == 0
            and self.queued == self.reminders
        )


async def build(engine: AsyncEngine, reminders: int, hours: float, base: datetime) -> None:
    """The data, written in bulk; due times spread evenly over [base - 5 min, base + hours]."""
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    pool = create_session_pool(engine)
    async with pool.begin() as session:
        region = Region(name="Регион")
        session.add(region)
        await session.flush()
        moscow = Municipality(region_id=region.id, name="Москва-на-Кубани")
        far = Municipality(region_id=region.id, name="Артём", timezone="Asia/Vladivostok")
        session.add_all([moscow, far])
        await session.flush()
        teachers = max(reminders // 2, 1)
        now = datetime.now(UTC)
        people = [
            {
                "telegram_id": FIRST_CHAT_ID + n,
                "full_name": f"Учитель {n}",
                "municipality_id": (moscow if n % 2 else far).id,
                "locale": "en" if n % 5 == 0 else "ru",
                "consent_at": now,
                "status": PersonStatus.ACTIVE,
            }
            for n in range(teachers)
        ]
        for first in range(0, len(people), 5000):
            await session.execute(insert(Person), people[first : first + 5000])
        person_ids = list(await session.scalars(select(Person.id).order_by(Person.id)))
        span = OUTAGE + timedelta(hours=hours)
        events = -(-reminders // PER_EVENT)
        event_rows = []
        for n in range(events):
            # The event's hour-before reminders are due at `due`; the event starts an hour on.
            due = base - OUTAGE + span * (n + 0.5) / events
            starts = due + timedelta(hours=1)
            event_rows.append(
                {
                    "type": "webinar",
                    "scope": EventScope.MUNICIPAL,
                    "form": EventForm.ONLINE,
                    "title": f"Вебинар № {n + 1}",
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=2),
                    "timezone": "Europe/Moscow",
                    "duration_hours": 2.0,
                    "online_url": f"https://webinar.example.org/{n + 1}",
                    "capacity": None,
                    "seats_taken": PER_EVENT,
                    "next_queue_no": 1,
                    "audience": {},
                    "status": EventStatus.PUBLISHED,
                    "municipality_id": moscow.id,
                    "version": 0,
                }
            )
        await session.execute(insert(Event), event_rows)
        event_ids = list(await session.scalars(select(Event.id).order_by(Event.id)))
        starts_of = {i: row["starts_at"] for i, row in zip(event_ids, event_rows, strict=True)}
        registrations = [
            {
                "event_id": event_ids[n // PER_EVENT],
                "person_id": person_ids[n % len(person_ids)],
                "status": RegistrationStatus.REGISTERED,
            }
            for n in range(reminders)
        ]
        for first in range(0, len(registrations), 5000):
            await session.execute(insert(EventRegistration), registrations[first : first + 5000])
        rows = await session.execute(
            select(EventRegistration.id, EventRegistration.event_id, EventRegistration.person_id)
        )
        reminder_rows = [
            {
                "registration_id": registration_id,
                "event_id": event_id,
                "person_id": person_id,
                "offset_minutes": 60,
                "due_at": starts_of[event_id] - timedelta(hours=1),
            }
            for registration_id, event_id, person_id in rows.all()
        ]
        for first in range(0, len(reminder_rows), 5000):
            await session.execute(insert(EventReminder), reminder_rows[first : first + 5000])
    if engine.dialect.name == "postgresql":
        # What autovacuum does a minute after a bulk load: the planner's statistics.
        async with engine.begin() as connection:
            await connection.execute(text("ANALYZE"))


async def unsent_due(pool: async_sessionmaker[AsyncSession], moment: datetime) -> int:
    async with pool() as session:
        return int(
            await session.scalar(
                select(func.count()).where(
                    EventReminder.sent_at.is_(None),
                    EventReminder.skipped_at.is_(None),
                    EventReminder.due_at <= moment,
                )
            )
            or 0
        )


async def start_up(
    settings: Settings, pool: async_sessionmaker[AsyncSession], redis_url: str | None
) -> tuple[float, int, float]:
    """The app started as `bot.runner` starts it: (start-up seconds, reminders due while it
    was down, seconds until its wake-up sweep had queued them all)."""
    redis = None
    if redis_url:
        from redis.asyncio import Redis

        redis = Redis.from_url(redis_url)
        await redis.flushdb()
    bot = create_bot(settings, session=InstantSession())
    began = datetime.now(UTC)
    started = time.perf_counter()
    dp = create_dispatcher(settings, pool, redis=redis)
    await dp.emit_startup(bot=bot)
    startup = time.perf_counter() - started
    due_while_down = await unsent_due(pool, began)
    try:
        caught_up = float("inf")
        running = dp["scheduler"]._aps._executors["default"]._instances
        for _ in range(12_000):  # ten minutes at the most
            if caught_up == float("inf") and not await unsent_due(pool, began):
                caught_up = time.perf_counter() - started
            # Stopping cancels a pass under way: let the wake-up pass finish first.
            if caught_up != float("inf") and not running.get("bot.scheduler.events:sweep"):
                break
            await asyncio.sleep(0.05)
    finally:
        await dp.emit_shutdown(bot=bot)
        await dp.storage.close()
        if redis is not None:
            await redis.aclose()
    return startup, due_while_down, caught_up


async def drive(
    settings: Settings, pool: async_sessionmaker[AsyncSession], until: datetime
) -> tuple[list[float], dict[datetime, float]]:
    """Sweeps from now to `until`: every 20 s of the clock, or right after the previous one when
    it took longer; two at once each time. The durations, and per sweep moment its duration."""
    texts = Texts(path=LOCALES_DIR, default_locale=settings.default_locale)
    context = JobContext(
        bot=create_bot(settings, session=InstantSession()),
        session_pool=pool,
        settings=settings,
        texts=texts,
        templates=Templates(LOCALES_DIR, texts.available_locales),
    )
    moment = datetime.now(UTC)
    durations: list[float] = []
    took: dict[datetime, float] = {}
    while moment <= until + EVENT_SWEEP_INTERVAL:
        started = time.perf_counter()
        await asyncio.gather(run(context, moment), run(context, moment))
        duration = time.perf_counter() - started
        durations.append(duration)
        took[moment] = duration
        moment += max(EVENT_SWEEP_INTERVAL, timedelta(seconds=duration))
    return durations, took


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


async def measure(
    label: str, url: str, reminders: int, hours: float, redis_url: str | None = None
) -> Result:
    settings = bench_settings(url)
    if redis_url:
        settings = settings.model_copy(update={"redis_url": redis_url})
    engine = create_engine(url)
    pool = create_session_pool(engine)
    try:
        base = datetime.now(UTC)
        await build(engine, reminders, hours, base)
        startup, down, caught_up = await start_up(settings, pool, redis_url)
        began = datetime.now(UTC)
        durations, took = await drive(settings, pool, base + timedelta(hours=hours))
        async with pool() as session:
            rows = await session.execute(
                select(EventReminder.due_at, EventReminder.sent_at).where(
                    EventReminder.sent_at.is_not(None)
                )
            )
            delays = []
            for due, sent in rows.all():
                due, sent = _aware(due), _aware(sent)
                if sent < began:
                    continue  # queued by the start-up sweep: counted in `caught_up`
                delays.append((sent - due).total_seconds() + took.get(sent, 0.0))
            queued = int(
                await session.scalar(select(func.count()).where(Delivery.kind == "event_reminder"))
                or 0
            )
            distinct = int(
                await session.scalar(
                    select(func.count(func.distinct(Delivery.dedup_key))).where(
                        Delivery.kind == "event_reminder"
                    )
                )
                or 0
            )
            per_registration = await session.execute(
                select(func.count())
                .select_from(EventRegistration)
                .join(EventReminder, EventReminder.registration_id == EventRegistration.id)
                .where(EventReminder.sent_at.is_not(None))
            )
            sent_rows = int(per_registration.scalar() or 0)
            left = await unsent_due(pool, datetime.now(UTC) + timedelta(days=1))
        return Result(
            database=label,
            reminders=reminders,
            startup_seconds=startup,
            due_while_down=down,
            down_queued_after=caught_up,
            sweeps=len(durations),
            sweep_p50=statistics.median(durations) if durations else 0.0,
            sweep_max=max(durations, default=0.0),
            delay_p50=percentile(delays, 0.5),
            delay_p99=percentile(delays, 0.99),
            delay_max=max(delays, default=0.0),
            queued=queued,
            duplicates=(queued - distinct) + (queued - sent_rows),
            left=left,
        )
    finally:
        await engine.dispose()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def benchmark(
    reminders: int,
    hours: float,
    directory: Path,
    *,
    postgres: str | None = None,
    redis: str | None = None,
) -> list[Result]:
    results = [
        await measure("SQLite", sqlite_url(directory / "reminders.sqlite3"), reminders, hours)
    ]
    if postgres:
        async with throwaway_postgres(postgres) as url:
            results.append(await measure("PostgreSQL + Redis", url, reminders, hours, redis))
    return results


def markdown(results: Sequence[Result]) -> str:
    lines = [
        "| | " + " | ".join(r.database for r in results) + " | target |",
        "|---|" + "---|" * len(results) + "---|",
    ]

    def row(name: str, values: Sequence[str], target: str = "") -> None:
        lines.append(f"| {name} | " + " | ".join(values) + f" | {target} |")

    row("pending reminders", [f"{r.reminders:,}" for r in results])
    row("start-up with them pending", [f"{r.startup_seconds:.2f} s" for r in results], "≤ 5 s")
    row(
        "due while the bot was down: queued after start-up",
        [f"{r.due_while_down:,} in {r.down_queued_after:.1f} s" for r in results],
    )
    row(
        "sweeps (two processes at once): p50 / max",
        [f"{r.sweeps} · {r.sweep_p50:.2f} / {r.sweep_max:.2f} s" for r in results],
    )
    row(
        "due → queued: p50 / p99 / max",
        [f"{r.delay_p50:.1f} / {r.delay_p99:.1f} / {r.delay_max:.1f} s" for r in results],
        "max ≤ 60 s",
    )
    row(
        "queued / twice / left unsent",
        [f"{r.queued:,} / {r.duplicates} / {r.left}" for r in results],
        "all / 0 / 0",
    )
    row("all targets met", ["yes" if r.ok else "**no**" for r in results])
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument("--hours", type=float, default=2.0, help="over which they come due")
    args = parser.parse_args(argv)
    postgres = asyncpg_url(os.environ.get("DATABASE_URL", ""))
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as directory:
        results = asyncio.run(
            benchmark(
                args.reminders,
                args.hours,
                Path(directory),
                postgres=postgres if postgres.startswith("postgresql") else None,
                redis=os.environ.get("REDIS_URL") or None,
            )
        )
    print()
    print(
        f"Event reminders benchmark ({os.cpu_count()} CPUs; {time.perf_counter() - started:.0f} s)"
    )
    print()
    print(markdown(results))


if __name__ == "__main__":
    main()
