"""Deadlines of questions: daytime-only hours, reminders, escalation and auto-close, across a
restart (the sweep reads only the database)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import create_dispatcher
from bot.services.sla import daytime_hours_between
from config.settings import Settings
from storage.models import Delivery, Person, PersonStatus, Thread, ThreadStatus
from tests.harness import Harness
from tests.test_questions import COORDINATOR, TEACHER, TUTOR, arrange, relay, send, threads

__all__ = ["relay"]  # the fixture, shared with the questions tests

SWEEP = "bot.scheduler.questions:sweep"
MOSCOW = ZoneInfo("Europe/Moscow")
NIGHT = (time(21, 0), time(8, 0))


def moscow(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=MOSCOW)


# --- counting daytime hours -------------------------------------------------------------------


def test_without_quiet_hours_every_hour_counts() -> None:
    assert daytime_hours_between(moscow(2, 10), moscow(3, 10), MOSCOW, time(0), time(0)) == 24


def test_the_night_does_not_count() -> None:
    # 20:00 → 09:00 next day: one hour before 21:00 and one after 08:00.
    assert daytime_hours_between(moscow(2, 20), moscow(3, 9), MOSCOW, *NIGHT) == 2


def test_a_question_asked_at_night_starts_counting_in_the_morning() -> None:
    assert daytime_hours_between(moscow(2, 23), moscow(3, 8, 30), MOSCOW, *NIGHT) == 0.5


def test_several_days_count_thirteen_hours_each() -> None:
    assert daytime_hours_between(moscow(2, 8), moscow(5, 8), MOSCOW, *NIGHT) == 3 * 13


def test_quiet_hours_inside_one_day() -> None:
    lunch = (time(13, 0), time(14, 0))
    assert daytime_hours_between(moscow(2, 12), moscow(2, 15), MOSCOW, *lunch) == 2


def test_the_time_zone_decides_what_night_is() -> None:
    start = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)  # 18:00 in Moscow, 23:00 in Novosibirsk
    end = start + timedelta(hours=4)
    assert daytime_hours_between(start, end, MOSCOW, *NIGHT) == 3
    assert daytime_hours_between(start, end, ZoneInfo("Asia/Novosibirsk"), *NIGHT) == 0


def test_end_before_start_is_zero() -> None:
    assert daytime_hours_between(moscow(3, 10), moscow(2, 10), MOSCOW, *NIGHT) == 0


# --- the sweep --------------------------------------------------------------------------------


@pytest.fixture
async def restarted(
    relay: Harness, settings: Settings, session_pool: async_sessionmaker[AsyncSession]
) -> AsyncIterator[Harness]:
    """A second dispatcher on the same database and fake Telegram: the bot after a restart."""
    dp = create_dispatcher(settings, session_pool)
    yield Harness(dp=dp, bot=relay.bot, api=relay.api, session_pool=session_pool)
    await dp.storage.close()


async def _ask(relay: Harness, db: AsyncSession) -> int:
    await relay.send(TEACHER, "/ask")
    await send(relay, TEACHER, "Вопрос, на который долго не отвечают")
    [thread] = await threads(db)
    return thread.id


async def _wind_back(db: AsyncSession, thread_id: int, **ago: timedelta) -> None:
    thread = await db.get(Thread, thread_id)
    assert thread is not None
    for field, delta in ago.items():
        setattr(thread, field, datetime.now(UTC) - delta)
    await db.commit()


async def _deliveries(db: AsyncSession, kind: str) -> list[Delivery]:
    db.expire_all()
    return list((await db.scalars(select(Delivery).where(Delivery.kind == kind))).all())


async def test_the_reminder_fires_once_after_a_restart(
    relay: Harness, restarted: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    thread_id = await _ask(relay, db)
    await restarted.run_job(SWEEP)
    assert await _deliveries(db, "thread_remind") == []

    await _wind_back(db, thread_id, waiting_since=timedelta(hours=25))
    await restarted.run_job(SWEEP)
    await restarted.run_job(SWEEP)

    assert len(await _deliveries(db, "thread_remind")) == 1
    assert await _deliveries(db, "thread_escalate") == []
    [thread] = await threads(db)
    assert thread.reminded_at is not None and thread.escalated_at is None
    relay.clear()
    await restarted.deliver()
    assert f"Обращение № {thread_id}" in restarted.last_text(TUTOR)
    assert "ждёт ответа уже 25 ч" in restarted.last_text(TUTOR)


async def test_the_coordinator_is_alerted_once_when_overdue(
    relay: Harness, restarted: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    thread_id = await _ask(relay, db)
    await _wind_back(db, thread_id, waiting_since=timedelta(hours=49))
    await restarted.run_job(SWEEP)
    await restarted.run_job(SWEEP)

    assert len(await _deliveries(db, "thread_remind")) == 1
    assert len(await _deliveries(db, "thread_escalate")) == 1
    relay.clear()
    await restarted.deliver()
    assert "без ответа 49 ч" in restarted.last_text(COORDINATOR)
    assert "👤 Назначить наставника" in restarted.buttons(COORDINATOR)


async def test_municipality_settings_override_the_defaults(
    relay: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    world.mun.sla_remind_hours = 2
    world.mun.sla_escalate_hours = 3
    await db.commit()
    thread_id = await _ask(relay, db)
    await _wind_back(db, thread_id, waiting_since=timedelta(hours=2, minutes=5))
    await relay.run_job(SWEEP)
    assert len(await _deliveries(db, "thread_remind")) == 1
    assert await _deliveries(db, "thread_escalate") == []


async def test_an_answer_stops_the_clock(relay: Harness, db: AsyncSession) -> None:
    await arrange(db)
    thread_id = await _ask(relay, db)
    await relay.send(TUTOR, "/questions")
    await relay.press(TUTOR, "Ответить №")
    await relay.send(TUTOR, "Отвечаю сразу.")
    await _wind_back(db, thread_id, created_at=timedelta(hours=60))
    await relay.run_job(SWEEP)
    assert await _deliveries(db, "thread_remind") == []
    [thread] = await threads(db)
    assert thread.status == ThreadStatus.ANSWERED


async def test_quiet_answered_threads_close_automatically(relay: Harness, db: AsyncSession) -> None:
    world = await arrange(db)
    world.mun.thread_autoclose_days = 3
    await db.commit()
    thread_id = await _ask(relay, db)
    await relay.send(TUTOR, "/questions")
    await relay.press(TUTOR, "Ответить №")
    await relay.send(TUTOR, "Ответ.")

    await _wind_back(db, thread_id, last_activity_at=timedelta(days=2))
    await relay.run_job(SWEEP)
    [thread] = await threads(db)
    assert thread.status == ThreadStatus.ANSWERED

    await _wind_back(db, thread_id, last_activity_at=timedelta(days=3, minutes=1))
    await relay.run_job(SWEEP)
    await relay.run_job(SWEEP)
    [thread] = await threads(db)
    assert thread.status == ThreadStatus.CLOSED and thread.closed_automatically
    assert len(await _deliveries(db, "thread_autoclose")) == 1
    relay.clear()
    await relay.deliver()
    assert "закрыто автоматически" in relay.last_text(TEACHER)
    await relay.press(TEACHER, "⭐⭐⭐⭐⭐")
    db.expire_all()
    rated = await db.get(Thread, thread_id)
    assert rated is not None and rated.rating == 5


async def test_a_thread_assigned_after_an_alert_gets_its_own_reminder_and_alert(
    relay: Harness, db: AsyncSession
) -> None:
    """The coordinator assigns a tutor from the overdue alert: the new tutor's clock starts
    then, so they are reminded after the remind hours (not at once), and the coordinators are
    alerted again if the new tutor does not answer either."""
    await arrange(db, with_tutor=False)
    thread_id = await _ask(relay, db)
    await _wind_back(db, thread_id, waiting_since=timedelta(hours=49))
    await relay.run_job(SWEEP)
    assert len(await _deliveries(db, "thread_escalate")) == 1
    await relay.deliver()
    await relay.press(COORDINATOR, "Назначить наставника")
    await relay.press(COORDINATOR, "Петрова Анна Ивановна")
    [thread] = await threads(db)
    assert thread.tutor_id is not None

    await relay.run_job(SWEEP)
    assert await _deliveries(db, "thread_remind") == [], "not reminded minutes after assignment"

    await _wind_back(db, thread_id, waiting_since=timedelta(hours=25))
    await relay.run_job(SWEEP)
    assert len(await _deliveries(db, "thread_remind")) == 1
    # (Winding back moves the start of the new wait; the first wait began 49 h ago.)
    await _wind_back(db, thread_id, waiting_since=timedelta(hours=48, minutes=30))
    await relay.run_job(SWEEP)
    assert len(await _deliveries(db, "thread_escalate")) == 2


async def test_a_forgotten_teachers_open_thread_is_closed_not_chased(
    relay: Harness, db: AsyncSession
) -> None:
    """After /forget nobody can answer the teacher: the sweep closes the thread quietly
    instead of reminding the tutor and alerting the coordinators about it."""
    await arrange(db)
    thread_id = await _ask(relay, db)
    teacher = await db.scalar(select(Person).where(Person.telegram_id == TEACHER))
    assert teacher is not None
    teacher.full_name, teacher.telegram_id, teacher.consent_at = None, None, None
    teacher.status = PersonStatus.FORGOTTEN
    await db.commit()
    await _wind_back(db, thread_id, waiting_since=timedelta(hours=49))

    await relay.run_job(SWEEP)

    assert await _deliveries(db, "thread_remind") == []
    assert await _deliveries(db, "thread_escalate") == []
    [thread] = await threads(db)
    assert thread.status == ThreadStatus.CLOSED and thread.closed_automatically
