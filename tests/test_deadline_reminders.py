"""Deadline reminders with a controlled clock: the sweep (`run(context, now)`) is driven day by
day through March–April 2027 for an item due 2027-03-31 with the default offsets (14, 7, 1, 0).

Expected (hand-computed): the school leader is reminded on 03-17, 03-24, 03-30 and 03-31, then
daily from 04-01; the coordinator is alerted once, on 04-01. A new app on the same database
repeats nothing; a sweep killed between writing its rows and queueing loses nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import create_dispatcher
from bot.callbacks import TaskCb
from bot.scheduler import JobContext
from bot.scheduler import deadlines as sweep_module
from bot.scheduler.deadlines import run
from bot.services import deadline_tasks, deadlines, program_years
from bot.services.deadline_reminders import key_for
from bot.services.deadlines import Draft
from storage.models import (
    Deadline,
    DeadlineReminder,
    DeadlineTask,
    Delivery,
    DoneBy,
    MonitoringStage,
    Municipality,
    Person,
    PersonStatus,
    ProgramLevel,
    Role,
    School,
    SchoolParticipation,
    TaskStatus,
)
from tests import seed
from tests.harness import Harness

MSK = ZoneInfo("Europe/Moscow")
COORDINATOR = 8301
LEADER = 8401
BLOCKED_LEADER = 8402
GONE_LEADER = 8403  # forgot themselves (/forget)
MOVED_LEADER = 8404  # left the school
ADMIN = 8501
CREATED = date(2027, 3, 1)
DUE = date(2027, 3, 31)


def context(harness: Harness) -> JobContext:
    return JobContext(
        bot=harness.bot,
        session_pool=harness.session_pool,
        settings=harness.dp["settings"],
        texts=harness.dp["texts"],
        templates=harness.dp["templates"],
    )


def at(day: date, hour: int = 10) -> datetime:
    """A moment of a Moscow day (10:00 by default: no quiet hours)."""
    return datetime.combine(day, time(hour), tzinfo=MSK).astimezone(UTC)


async def world(db: AsyncSession, *, leaderless: bool = False) -> dict[str, int]:
    mun, school, other = await seed.place(db)
    for each in (school, other):
        await program_years.set_participation(
            db, each, 2027, low_results=True, unfavourable_conditions=False,
            level=ProgramLevel.REGIONAL,
        )  # fmt: skip
    coordinator = await seed.person(
        db, name="Координатор Елена", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=COORDINATOR,
    )  # fmt: skip
    await seed.person(
        db, name="Админ Края", roles=[Role.ADMIN], municipality=mun, telegram_id=ADMIN
    )
    leader = await seed.person(
        db, name="Директор Иван", roles=[Role.SCHOOL_LEADER], municipality=mun, school=school,
        telegram_id=LEADER,
    )  # fmt: skip
    blocked = await seed.person(
        db, name="Завуч Блок", roles=[Role.SCHOOL_LEADER], municipality=mun, school=school,
        telegram_id=BLOCKED_LEADER,
    )  # fmt: skip
    blocked.status = PersonStatus.BLOCKED_BOT
    gone = await seed.person(
        db, name="Завуч Ушла", roles=[Role.SCHOOL_LEADER], municipality=mun, school=school,
        telegram_id=GONE_LEADER,
    )  # fmt: skip
    gone.status = PersonStatus.FORGOTTEN
    moved = await seed.person(
        db, name="Завуч Перевод", roles=[Role.SCHOOL_LEADER], municipality=mun, school=school,
        telegram_id=MOVED_LEADER,
    )  # fmt: skip
    moved.school_id = None  # left the school after the item was made
    if not leaderless:
        # The other school's leader is in the bot too, with nothing to do with this test.
        await seed.person(
            db, name="Директор Другой", roles=[Role.SCHOOL_LEADER], municipality=mun,
            school=other, telegram_id=8499,
        )  # fmt: skip
    await db.flush()
    draft = Draft(
        municipality_id=mun.id, title="Отчёт по плану & итоги", responsible="school_leaders",
        starts_on=CREATED.isoformat(), due_on=DUE.isoformat(),
    )  # fmt: skip
    deadline = await deadlines.create(db, coordinator, draft, CREATED)
    ids = {"deadline": deadline.id, "school": school.id, "other": other.id, "mun": mun.id}
    ids |= {"leader": leader.id, "coordinator": coordinator.id}
    await db.commit()
    return ids


async def queued(db: AsyncSession) -> list[Delivery]:
    db.expire_all()
    rows = await db.scalars(
        select(Delivery).where(Delivery.kind == "deadline_reminder").order_by(Delivery.id)
    )
    return list(rows.all())


async def sweep_days(harness: Harness, first: date, last: date) -> dict[date, int]:
    """Runs the sweep three times a day (morning, noon, evening) over the days; how many
    messages each day queued."""
    found: dict[date, int] = {}
    day = first
    while day <= last:
        count = 0
        for hour in (9, 12, 18):
            count += await run(context(harness), at(day, hour))
        if count:
            found[day] = count
        day += timedelta(days=1)
    return found


def test_the_reminder_keys_by_day() -> None:
    offsets = [14, 7, 1, 0]
    assert key_for(date(2027, 3, 16), CREATED, DUE, offsets) is None
    assert key_for(date(2027, 3, 17), CREATED, DUE, offsets) == "d14"
    assert key_for(date(2027, 3, 20), CREATED, DUE, offsets) == "d14"
    assert key_for(date(2027, 3, 24), CREATED, DUE, offsets) == "d7"
    assert key_for(date(2027, 3, 31), CREATED, DUE, offsets) == "d0"
    assert key_for(date(2027, 4, 2), CREATED, DUE, offsets) == "overdue:2027-04-02"
    # Not before the item starts, and not for ever after it.
    assert key_for(date(2027, 3, 20), date(2027, 3, 25), DUE, offsets) is None
    assert key_for(date(2027, 6, 1), CREATED, DUE, offsets) is None


async def test_reminders_on_the_right_days_and_one_alert(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await world(db)
    days = await sweep_days(harness, CREATED, date(2027, 4, 3))
    rows = await queued(db)
    leader_days = sorted({d for d in days})
    assert leader_days == [
        date(2027, 3, 17), date(2027, 3, 24), date(2027, 3, 30), date(2027, 3, 31),
        date(2027, 4, 1), date(2027, 4, 2), date(2027, 4, 3),
    ]  # fmt: skip
    to_leader = [d for d in rows if d.person_id == ids["leader"]]
    # Both schools' tasks reach... only this school's leader: one per day.
    assert len(to_leader) == 7
    texts = [d.payload["text"] for d in to_leader]
    assert "14 дней" in texts[0] and "7 дней" in texts[1] and "1 день" in texts[2]
    assert "Сегодня срок" in texts[3]
    assert all("Просрочено" in text for text in texts[4:])
    assert "Отчёт по плану &amp; итоги" in texts[0]
    buttons = [
        b["text"] for row in to_leader[0].payload["markup"]["data"]["inline_keyboard"] for b in row
    ]
    assert buttons == ["✅ Выполнено", "💬 С комментарием", "🆘 Нужна помощь"]
    # The coordinator: one alert, on 04-01, naming both overdue schools.
    to_coordinator = [d for d in rows if d.person_id == ids["coordinator"]]
    assert len(to_coordinator) == 1
    alert = to_coordinator[0]
    assert "Просрочено" in alert.payload["text"] and "СОШ № 2" in alert.payload["text"]
    assert alert.next_attempt_at.replace(tzinfo=UTC) == at(date(2027, 4, 1), 9)
    # Nobody who left or blocked the bot was written to.
    people = {d.person_id for d in rows}
    async with harness.session_pool() as session:
        skipped = await session.scalars(
            select(Person.id).where(
                Person.telegram_id.in_([BLOCKED_LEADER, GONE_LEADER, MOVED_LEADER])
            )
        )
        assert people.isdisjoint(set(skipped.all()))


async def test_a_new_app_on_the_same_database_repeats_nothing(
    harness: Harness, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await world(db)
    before = await sweep_days(harness, CREATED, date(2027, 3, 24))
    assert sorted(before) == [date(2027, 3, 17), date(2027, 3, 24)]

    # The process is killed between writing the rows and queueing: nothing of it stays.
    async def crash(*_: object, **__: object) -> int:
        raise RuntimeError("the process was killed")

    monkeypatch.setattr(sweep_module, "send_due", crash)
    with pytest.raises(RuntimeError):
        await run(context(harness), at(date(2027, 3, 30)))
    monkeypatch.undo()
    assert len(await queued(db)) == 4  # two schools × two days

    # A new app (dispatcher, settings, texts) on the same database carries on.
    dp = create_dispatcher(harness.dp["settings"], harness.session_pool)
    fresh = JobContext(
        bot=harness.bot, session_pool=harness.session_pool, settings=dp["settings"],
        texts=dp["texts"], templates=dp["templates"],
    )  # fmt: skip
    try:
        assert await run(fresh, at(date(2027, 3, 24), 20)) == 0  # the same day again
        assert await run(fresh, at(date(2027, 3, 30))) == 2  # the killed pass, once
        assert await run(fresh, at(date(2027, 3, 30), 15)) == 0
        assert await run(fresh, at(date(2027, 4, 1))) == 3  # two overdue + one alert
        assert await run(fresh, at(date(2027, 4, 1), 19)) == 0
    finally:
        await dp.storage.close()
    rows = await queued(db)
    assert len(rows) == 4 + 2 + 3
    assert len({d.dedup_key for d in rows}) == len(rows)
    keys = (await db.scalars(select(DeadlineReminder.key))).all()
    assert sorted(set(keys)) == ["alert", "d1", "d14", "d7", "overdue:2027-04-01"]


async def test_quiet_hours_hold_a_reminder_until_morning(
    harness: Harness, db: AsyncSession
) -> None:
    quiet = harness.dp["settings"].model_copy(
        update={"quiet_hours_start": time(21), "quiet_hours_end": time(8)}
    )
    ids = await world(db)
    job = context(harness)
    job = JobContext(
        bot=job.bot, session_pool=job.session_pool, settings=quiet, texts=job.texts,
        templates=job.templates,
    )  # fmt: skip
    # The sweep comes round at 23:30 Moscow time on the day of the 14-day reminder.
    late = datetime.combine(date(2027, 3, 17), time(23, 30), tzinfo=MSK)
    assert await run(job, late.astimezone(UTC)) == 2
    rows = [d for d in await queued(db) if d.person_id == ids["leader"]]
    assert len(rows) == 1 and not rows[0].urgent
    morning = datetime.combine(date(2027, 3, 18), time(8, 0), tzinfo=MSK).astimezone(UTC)
    assert rows[0].next_attempt_at.replace(tzinfo=UTC) == morning


async def test_a_school_without_a_leader_tells_the_coordinator_once(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await world(db, leaderless=True)
    await sweep_days(harness, date(2027, 3, 17), date(2027, 3, 25))
    rows = await queued(db)
    notices = [d for d in rows if d.person_id == ids["coordinator"]]
    assert len(notices) == 1
    assert "нет руководителя" in notices[0].payload["text"]
    assert "СОШ № 1" in notices[0].payload["text"]


async def test_done_or_removed_items_are_not_reminded_and_a_yearly_one_comes_back(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await world(db)
    async with harness.session_pool.begin() as session:
        task = await session.scalar(
            select(DeadlineTask).where(DeadlineTask.school_id == ids["school"])
        )
        assert task is not None
        task.status = TaskStatus.DONE
        deadline = await session.get(Deadline, ids["deadline"])
        assert deadline is not None
        deadline.recurrence = "yearly"
    days = await sweep_days(harness, date(2027, 3, 17), date(2027, 4, 1))
    rows = await queued(db)
    assert all(d.person_id != ids["leader"] for d in rows)
    assert days  # the other school (with its leader) is reminded
    # Past due, the yearly item was copied to 2028, once, with its tasks.
    copies = (await db.scalars(select(Deadline).where(Deadline.origin_key.is_not(None)))).all()
    assert [(c.due_on, c.year) for c in copies] == [(date(2028, 3, 31), 2027 + 1)]
    await sweep_days(harness, date(2027, 4, 2), date(2027, 4, 3))
    assert len((await db.scalars(select(Deadline))).all()) == 2

    # Removed: its reminders stop.
    async with harness.session_pool.begin() as session:
        for each in (await session.scalars(select(Deadline))).all():
            each.removed_at = datetime.now(UTC)
    assert await run(context(harness), at(date(2027, 4, 4))) == 0


async def test_a_school_task_is_for_its_school_only(harness: Harness, db: AsyncSession) -> None:
    ids = await world(db)
    async with harness.session_pool() as session:
        schools = (
            await session.scalars(
                select(DeadlineTask.school_id).where(DeadlineTask.deadline_id == ids["deadline"])
            )
        ).all()
        names = (await session.scalars(select(School.short_name))).all()
    assert sorted(s for s in schools if s) == sorted([ids["school"], ids["other"]])
    assert "СОШ № 2" in names


async def test_a_school_dropped_from_the_year_is_not_reminded(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await world(db)
    async with harness.session_pool.begin() as session:
        dropped = await session.scalar(
            select(SchoolParticipation).where(SchoolParticipation.school_id == ids["other"])
        )
        assert dropped is not None
        await session.delete(dropped)
    days = await sweep_days(harness, date(2027, 3, 17), date(2027, 3, 17))
    assert days == {date(2027, 3, 17): 1}
    assert [d.person_id for d in await queued(db)] == [ids["leader"]]


async def test_a_record_checked_stage_has_no_done_button(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await world(db)
    async with harness.session_pool.begin() as session:
        deadline = await session.get(Deadline, ids["deadline"])
        assert deadline is not None
        deadline.done_by, deadline.stage = DoneBy.RECORDS, MonitoringStage.ENTRY
        deadline.check = {"records": "no-such-rule"}  # nothing marks it: it stays pending
    assert await run(context(harness), at(date(2027, 3, 24))) == 2
    to_leader = [d for d in await queued(db) if d.person_id == ids["leader"]]
    assert len(to_leader) == 1
    payload = to_leader[0].payload
    assert "автоматически по данным бота" in payload["text"]
    rows = payload["markup"]["data"]["inline_keyboard"]
    assert [b["text"] for row in rows for b in row] == [
        "📝 Заполнить мониторинг",
        "🆘 Нужна помощь",
    ]
    assert TaskCb.unpack(rows[0][0]["callback_data"]).action == "stage"


async def test_a_coordinator_who_joins_later_gets_the_open_items(
    harness: Harness, db: AsyncSession
) -> None:
    """Items are fanned out when made; the daily pass gives a coordinator appointed since a task
    for every item still open, and nothing for one already past due."""
    ids = await world(db)
    mun = await db.get(Municipality, ids["mun"])
    coordinator = await db.get(Person, ids["coordinator"])
    assert mun is not None and coordinator is not None
    for title, due in (("Открытый пункт", DUE), ("Прошедший пункт", CREATED)):
        draft = Draft(
            municipality_id=mun.id, title=title, responsible="coordinators",
            starts_on=CREATED.isoformat(), due_on=due.isoformat(),
        )  # fmt: skip
        await deadlines.create(db, coordinator, draft, CREATED)
    newcomer = await seed.person(
        db, name="Координатор Новый", roles=[Role.COORDINATOR], municipality=mun, telegram_id=8388
    )
    await db.commit()

    assert await deadline_tasks.refresh_open(db, CREATED + timedelta(days=1)) == 1
    assert await deadline_tasks.refresh_open(db, CREATED + timedelta(days=1)) == 0
    titles = await db.scalars(
        select(Deadline.title)
        .join(DeadlineTask, DeadlineTask.deadline_id == Deadline.id)
        .where(DeadlineTask.person_id == newcomer.id)
    )
    assert titles.all() == ["Открытый пункт"]
