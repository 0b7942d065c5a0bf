"""Event registration at region size: `python -m bench.events [--quick]`.

1. The announcement: a published event for every teacher of the region (25,000 in 600 schools
   and 33 municipalities, bench/region.py) is queued through the outbox, one message per
   teacher with «Записаться» / «Подробнее», as publishing does: the audience query, the card
   rendered per language and zone, the bulk insert and its commit, timed.
2. The rush: 2,000 of them press «Записаться» within a minute for an event of capacity 300
   (some press twice), each press stored and handed to the workers the moment it arrives, as
   the webhook does, through the real intake → workers → dispatcher → handler with a Bot API
   session answering at once. Checked: exactly 300 seats taken and 300 registered, one
   registration per person, waiting numbers 1…N without gaps, and the exact order: whoever's
   press was handled before another's arrived never stands behind them. Reported: p50/p99
   of the handler latency, arrival (stored) to handled (committed), target p99 ≤ 50 ms.

On a temporary SQLite file; with DATABASE_URL=postgresql… also in a throw-away database on that
server (created and dropped), with REDIS_URL, if set, for the dialogs and locks as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Update
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench.region import RegionPeople, RegionSize, build_region
from bench.surveys import Row, markdown_table, percentile, throwaway_postgres
from bench.update_path import (
    TALLY,
    InstantSession,
    Tracker,
    UpdateMaker,
    asyncpg_url,
    background_load,
    bench_settings,
    sqlite_url,
)
from bot.app import create_bot, create_dispatcher
from bot.callbacks import EventCb
from bot.delivery.outbox import Outgoing, enqueue_messages
from bot.services import audience as audiences
from bot.services import event_cards, event_types
from bot.services.scope import Scope
from bot.texts import LOCALES_DIR, Templates, Texts, plain, t
from bot.updates import UpdatePath
from config.settings import Settings
from storage.db import create_engine, create_session_pool
from storage.models import (
    Delivery,
    Event,
    EventForm,
    EventRegistration,
    EventScope,
    EventStatus,
    Person,
    RegistrationStatus,
)

LATENCY_TARGET_MS = 50.0
ANNOUNCE_KIND = "event_announcement"
WARM_UP_PEOPLE = 10


@dataclass(frozen=True)
class Scale:
    teachers: int
    registrations: int  # people pressing «Записаться»
    double_taps: int  # of them, pressing twice
    capacity: int
    window_seconds: float  # the presses arrive spread over this long


FULL = Scale(teachers=25_000, registrations=2_000, double_taps=100, capacity=300, window_seconds=60)
QUICK = Scale(teachers=5_000, registrations=500, double_taps=25, capacity=75, window_seconds=15)


def region_size(scale: Scale) -> RegionSize:
    """The region of bench/region.py with its teachers; threads and consultations, which this
    benchmark does not read, kept small."""
    factor = scale.teachers / RegionSize().teachers
    size = RegionSize().scaled(factor)
    return replace(size, teachers=scale.teachers, consultations=50, threads=100)


# --- the event and its announcement ------------------------------------------------------------
async def add_event(
    pool: async_sessionmaker[AsyncSession], region: RegionPeople, capacity: int
) -> int:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    async with pool.begin() as session:
        event_id = await session.scalar(
            insert(Event)
            .values(
                type="seminar",
                scope=EventScope.REGIONAL,
                form=EventForm.ONLINE,
                title="Региональный семинар наставников",
                description="Функциональная грамотность: разбор заданий",
                starts_at=start,
                ends_at=start + timedelta(hours=4),
                timezone="Europe/Moscow",
                duration_hours=4.0,
                online_url="https://meet.example.org/seminar",
                capacity=capacity,
                audience={"roles": ["teacher"]},
                status=EventStatus.PUBLISHED,
                region_id=region.region_id,
                author_id=region.coordinators[0].person_id,
                published_at=datetime.now(UTC),
            )
            .returning(Event.id)
        )
    assert event_id is not None
    return int(event_id)


def announcement_keyboard(event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=plain(t("events.register")),
                    callback_data=EventCb(action="register", event_id=event_id).pack(),
                ),
                InlineKeyboardButton(
                    text=plain(t("events.details")),
                    callback_data=EventCb(action="card", event_id=event_id).pack(),
                ),
            ]
        ]
    )


async def announce(
    pool: async_sessionmaker[AsyncSession],
    settings: Settings,
    templates: Templates,
    event_id: int,
) -> tuple[int, float]:
    """Queue the announcement for the event's audience as publishing does: (messages, seconds)."""
    started = time.perf_counter()
    async with pool.begin() as session:
        event = await session.get(Event, event_id)
        assert event is not None
        ids = await session.scalars(select(func.distinct(Person.municipality_id)))
        scope = Scope(None, tuple(sorted(i for i in ids.all() if i is not None)))
        chosen = audiences.Audience.from_dict(event.audience)
        recipients = await audiences.recipients(session, scope, chosen, settings)
        card = await event_cards.card_of(session, event)
        rendered: dict[str, str] = {}
        for zone in {r.timezone for r in recipients}:
            rendered[zone] = templates.render(
                "event_card.html",
                "ru",
                card=card,
                tz=ZoneInfo(zone),
                kind=event_types.title(card.type_id, "ru"),
                show_link=False,
            )
        keyboard = announcement_keyboard(event_id)
        queued = await enqueue_messages(
            session,
            settings,
            (
                Outgoing(
                    r, rendered[r.timezone], keyboard, f"event:{event_id}:announce:{r.person_id}"
                )
                for r in recipients
            ),
            kind=ANNOUNCE_KIND,
        )
    return queued, time.perf_counter() - started


# --- the rush ----------------------------------------------------------------------------------
@dataclass
class Press:
    telegram_id: int
    update_id: int
    payload: dict[str, Any]
    arrived: float = 0.0
    stored: float = 0.0


@dataclass
class Rush:
    latencies_ms: list[float]
    presses: list[Press]
    ended: dict[int, float]
    unhandled: int
    errors: int
    seconds: float


async def rush(
    database_url: str,
    region: RegionPeople,
    event_id: int,
    scale: Scale,
    *,
    warm_up_event_id: int,
    redis_url: str | None,
    seed: int = 11,
) -> Rush:
    """The presses, after a warm-up: a few other teachers press «Подробнее» and «Записаться»
    for another event, one at a time (templates compiled, statements prepared, pools filled)."""
    settings = bench_settings(database_url)
    redis = None
    if redis_url:
        from redis.asyncio import Redis

        settings = settings.model_copy(update={"redis_url": redis_url})
        redis = Redis.from_url(redis_url)
        await redis.flushdb()
    engine = create_engine(settings.database_url)
    bot = create_bot(settings, session=InstantSession())
    dp = create_dispatcher(settings, create_session_pool(engine), redis=redis)
    tracker = Tracker()
    dp.update.outer_middleware(tracker)
    path = UpdatePath.for_dispatcher(dp, bot)
    rng = random.Random(seed)
    people = rng.sample([teacher.telegram_id for teacher in region.teachers], scale.registrations)
    twice = set(rng.sample(people, scale.double_taps))
    maker = UpdateMaker(first_update_id=1)
    data = EventCb(action="register", event_id=event_id).pack()
    # Arrival moments: uniformly random over the window; a double tap 0.1 s after the first.
    moments = sorted(rng.uniform(0, scale.window_seconds) for _ in people)
    plan: list[tuple[float, Press]] = []
    for moment, telegram_id in zip(moments, people, strict=True):
        for offset in (0.0, 0.1) if telegram_id in twice else (0.0,):
            made = maker.callback("register", telegram_id, data)
            plan.append((moment + offset, Press(telegram_id, made.update_id, made.payload)))
    plan.sort(key=lambda item: item[0])
    others = [t.telegram_id for t in region.teachers if t.telegram_id not in set(people)]
    warm_up = [
        maker.callback(
            action, telegram_id, EventCb(action=action, event_id=warm_up_event_id).pack()
        )
        for telegram_id in others[:WARM_UP_PEOPLE]
        for action in ("card", "register")
    ]
    TALLY.reset()

    async def arrive(at: float, press: Press, began: float) -> None:
        delay = began + at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        update = Update.model_validate(press.payload, context={"bot": bot})
        press.arrived = time.perf_counter()
        await path.intake.accept([update])  # as the webhook: stored, then handled
        press.stored = time.perf_counter()

    try:
        await path.start()
        for made in warm_up:
            await path.intake.accept([Update.model_validate(made.payload, context={"bot": bot})])
            await path.idle()
        gc.collect()
        gc.freeze()
        began = time.perf_counter()
        await asyncio.gather(*(arrive(at, press, began) for at, press in plan))
        await asyncio.wait_for(path.idle(), 300)
        seconds = time.perf_counter() - began
    finally:
        gc.unfreeze()
        await path.stop()
        await bot.session.close()
        await engine.dispose()
        if redis is not None:
            await redis.aclose()
    presses = [press for _, press in plan]
    latencies = [
        (tracker.ended[p.update_id] - p.arrived) * 1000
        for p in presses
        if p.update_id in tracker.ended
    ]
    unhandled = sum(1 for p in presses if p.update_id not in tracker.ended)
    return Rush(latencies, presses, dict(tracker.ended), unhandled, TALLY.errors, seconds)


# --- the checks ------------------------------------------------------------------------------
@dataclass
class Booking:
    seats_taken: int
    registered: int
    waiting: int
    people: int
    rows: int
    queue_gapless: bool
    order_broken: int


async def check_booking(
    pool: async_sessionmaker[AsyncSession], event_id: int, result: Rush
) -> Booking:
    async with pool() as session:
        seats = int(
            await session.scalar(select(Event.seats_taken).where(Event.id == event_id)) or 0
        )
        rows = (
            await session.execute(
                select(Person.telegram_id, EventRegistration.status, EventRegistration.queue_no)
                .join(Person, Person.id == EventRegistration.person_id)
                .where(EventRegistration.event_id == event_id)
            )
        ).all()
    rank: dict[int, tuple[int, int]] = {}
    for telegram_id, status, queue_no in rows:
        seated = status in (RegistrationStatus.REGISTERED, RegistrationStatus.OFFERED)
        rank[int(telegram_id or 0)] = (0, 0) if seated else (1, int(queue_no or 0))
    queue = sorted(r[1] for r in rank.values() if r[0] == 1)
    # Each person: when their first press was stored, and when their registration was handled
    # (a second press only finds it).
    stored: dict[int, float] = {}
    handled: dict[int, float] = {}
    for press in result.presses:
        stored[press.telegram_id] = min(stored.get(press.telegram_id, press.stored), press.stored)
        if press.update_id in result.ended:
            end = result.ended[press.update_id]
            handled[press.telegram_id] = min(handled.get(press.telegram_id, end), end)
    done = sorted((end, telegram_id) for telegram_id, end in handled.items())
    arrivals = sorted((moment, telegram_id) for telegram_id, moment in stored.items())
    # Whoever was handled before another arrived must be ahead of them (a seat before a place
    # in line, a lower number before a higher one).
    broken = 0
    handled_best: tuple[int, int] | None = None  # the worst rank handled so far
    index = 0
    for stored, telegram_id in arrivals:
        while index < len(done) and done[index][0] < stored:
            earlier = rank.get(done[index][1])
            if earlier is not None and (handled_best is None or earlier > handled_best):
                handled_best = earlier
            index += 1
        mine = rank.get(telegram_id)
        if mine is not None and handled_best is not None and mine < handled_best:
            broken += 1
    return Booking(
        seats_taken=seats,
        registered=sum(1 for r in rank.values() if r[0] == 0),
        waiting=len(queue),
        people=len(rank),
        rows=len(rows),
        queue_gapless=queue == list(range(1, len(queue) + 1)),
        order_broken=broken,
    )


# --- one database ------------------------------------------------------------------------------
async def measure(
    label: str, database_url: str, scale: Scale, templates: Templates, *, redis_url: str | None
) -> list[Row]:
    engine: AsyncEngine = create_engine(database_url)
    pool = create_session_pool(engine)
    settings = bench_settings(database_url)
    try:
        started = time.perf_counter()
        region = await build_region(engine, region_size(scale), create_schema=True)
        built = time.perf_counter() - started
        event_id = await add_event(pool, region, scale.capacity)
        warm_up_event_id = await add_event(pool, region, None)
        queued, announce_seconds = await announce(pool, settings, templates, event_id)
        async with pool() as session:
            stored = int(
                await session.scalar(
                    select(func.count()).select_from(Delivery).where(Delivery.kind == ANNOUNCE_KIND)
                )
                or 0
            )
    finally:
        await engine.dispose()
    result = await rush(
        database_url,
        region,
        event_id,
        scale,
        warm_up_event_id=warm_up_event_id,
        redis_url=redis_url,
    )
    engine = create_engine(database_url)
    try:
        booking = await check_booking(create_session_pool(engine), event_id, result)
    finally:
        await engine.dispose()
    p50, p99 = percentile(result.latencies_ms, 0.5), percentile(result.latencies_ms, 0.99)
    presses = len(result.presses)
    return [
        Row(f"{label}: region built", f"{len(region.teachers):,} teachers in {built:.0f} s"),
        Row(
            f"{label}: announcement queued through the outbox (audience query, card, bulk insert)",
            f"{queued:,} messages ({stored:,} stored) in {announce_seconds:.2f} s",
            "all teachers",
            queued == stored == len(region.teachers),
        ),
        Row(
            f"{label}: «Записаться», arrival → handled, p50 / p99 / max ms "
            f"(n={len(result.latencies_ms):,}: {scale.registrations:,} people, "
            f"{scale.double_taps} twice, over {scale.window_seconds:g} s)",
            f"{p50:.1f} / {p99:.1f} / {max(result.latencies_ms, default=0):.1f}",
            f"p99 ≤ {LATENCY_TARGET_MS:g} ms",
            bool(result.latencies_ms) and p99 <= LATENCY_TARGET_MS,
        ),
        Row(
            f"{label}: seats taken / registered (capacity {scale.capacity})",
            f"{booking.seats_taken} / {booking.registered}",
            f"{scale.capacity} / {scale.capacity}",
            booking.seats_taken == booking.registered == scale.capacity,
        ),
        Row(
            f"{label}: registrations / people / waiting, numbers 1…N without gaps",
            f"{booking.rows} / {booking.people} / {booking.waiting}, "
            f"{'gapless' if booking.queue_gapless else 'GAPS'}",
            f"{scale.registrations} / {scale.registrations} / "
            f"{scale.registrations - scale.capacity}, gapless",
            booking.rows == booking.people == scale.registrations
            and booking.waiting == scale.registrations - scale.capacity
            and booking.queue_gapless,
        ),
        Row(
            f"{label}: waiting list out of arrival order / presses not handled / errors",
            f"{booking.order_broken} / {result.unhandled} of {presses:,} / {result.errors}",
            "0 / 0 / 0",
            booking.order_broken == 0 and result.unhandled == 0 and result.errors == 0,
        ),
    ]


async def benchmark(
    scale: Scale, directory: Path, *, postgres: str | None, redis: str | None
) -> tuple[list[Row], dict[str, float | None]]:
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    templates = Templates(LOCALES_DIR, texts.available_locales)
    load: dict[str, float | None] = {}
    with texts.context(), texts.use_locale("ru"):
        load["sqlite"] = await background_load()
        rows = await measure(
            "SQLite", sqlite_url(directory / "events.sqlite3"), scale, templates, redis_url=None
        )
        if postgres:
            load["postgresql"] = await background_load()
            async with throwaway_postgres(postgres) as url:
                try:
                    rows += await measure("PostgreSQL", url, scale, templates, redis_url=redis)
                except Exception as error:  # the SQLite figures still print
                    rows.append(Row("PostgreSQL: failed", repr(error)[:300], "", False))
    return rows, load


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="a fifth of the region")
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL
    postgres = asyncpg_url(os.environ.get("DATABASE_URL", ""))
    import logging

    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger().addHandler(TALLY)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-events-") as directory:
        rows, load = asyncio.run(
            benchmark(
                scale,
                Path(directory),
                postgres=postgres if postgres.startswith("postgresql") else None,
                redis=os.environ.get("REDIS_URL") or None,
            )
        )
    print()
    print(
        f"Events benchmark ({'quick' if args.quick else 'full'}; {os.cpu_count()} CPUs; "
        f"{time.perf_counter() - started:.0f} s)"
    )
    print()
    print(markdown_table(rows))
    print()
    print(
        "CPU busy with other work just before each database: "
        + ", ".join(f"{name} {'?' if v is None else f'{v:.0%}'}" for name, v in load.items())
    )


if __name__ == "__main__":
    main()
