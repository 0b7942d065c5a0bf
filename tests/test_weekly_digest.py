"""The weekly digest, hand-checked on a small world with a controlled clock.

The world (Грачёвка, Moscow time; the clock is Monday 1 March 2027, ISO week 2027-W09):
- questions: one asked two days before (answered since), one waiting five days and escalated
  (overdue), one closed asked a month ago → «Новых за неделю: 1», «Просрочен ответ: 1»;
- deadlines: «Входной мониторинг» due Wednesday 3 March, 1 of 2 schools done (this week);
  «План мероприятий» due Friday 26 February, 1 of 2 done (overdue); «Отчёт за январь» due
  in February, all done (left out); «Итоговый отчёт» due in December (left out);
- events: a seminar Thursday 4 March 10:00 MSK, 12 of 30 seats taken, and the region's own
  webinar on 9 March, 40 registered (shown); a webinar in
  20 days, a draft and another municipality's event (left out);
- surveys: «Какая помощь вам нужна» open, 4 of 10 answered (40 %), until 10 March;
- KPIs: only `test_the_kpi_section_lists_the_lines_behind_pro_rata` reports any (the KPI
  module is another part's; there it is replaced by a fixed report).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import JobContext
from bot.scheduler.digest import run, send_digest
from bot.services import weekly_digest
from storage.models import (
    Deadline,
    DeadlineTask,
    Delivery,
    DigestSent,
    Event,
    EventForm,
    EventScope,
    EventStatus,
    Municipality,
    Person,
    PersonStatus,
    Responsible,
    Role,
    Survey,
    SurveyInvitee,
    TaskStatus,
    Thread,
    ThreadStatus,
)
from tests import event_world as ev
from tests import seed
from tests.harness import Harness

COORDINATOR = 9401
BLOCKED_COORDINATOR = 9402
FOREIGN_COORDINATOR = 9403
ENGLISH_COORDINATOR = 9404
MSK = ZoneInfo("Europe/Moscow")
MONDAY = date(2027, 3, 1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Moscow wall-clock moment, as UTC."""
    return datetime.combine(day, time(hour, minute), MSK).astimezone(UTC)


def context(harness: Harness) -> JobContext:
    return JobContext(
        bot=harness.bot,
        session_pool=harness.session_pool,
        settings=harness.dp["settings"],
        texts=harness.dp["texts"],
        templates=harness.dp["templates"],
    )


async def digests(db: AsyncSession) -> list[Delivery]:
    db.expire_all()
    query = select(Delivery).where(Delivery.kind == "weekly_digest").order_by(Delivery.id)
    return list((await db.scalars(query)).all())


async def delivered(harness: Harness, db: AsyncSession) -> None:
    """Sends what the sweep queued for that Monday now (the outbox goes by the real clock)."""
    for delivery in await digests(db):
        delivery.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    await db.commit()
    await harness.deliver()


async def world(db: AsyncSession, *, busy: bool = True) -> dict[str, int]:
    mun, low, leader = await seed.place(db)
    mun.timezone = "Europe/Moscow"
    coordinator = await seed.person(
        db, name="Координатор Елена", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=COORDINATOR,
    )  # fmt: skip
    blocked = await seed.person(
        db, name="Координатор Ушедший", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=BLOCKED_COORDINATOR,
    )  # fmt: skip
    blocked.status = PersonStatus.BLOCKED_BOT
    foreign, _, _ = await seed.place(db, municipality="Шпаковский округ")
    await seed.person(
        db, name="Координатор Шпаковский", roles=[Role.COORDINATOR], municipality=foreign,
        telegram_id=FOREIGN_COORDINATOR, locale="en",
    )  # fmt: skip
    if not busy:
        await db.commit()
        return {"mun": mun.id, "coordinator": coordinator.id, "foreign": foreign.id}
    tutor = await seed.person(db, name="Наставник Ольга", roles=[Role.TUTOR], municipality=mun)
    teacher = await seed.person(
        db, name="Учитель Иван", roles=[Role.TEACHER], municipality=mun, school=low
    )
    now = at(MONDAY, 8)
    for created, waiting, escalated, status in (
        (now - timedelta(days=2), None, None, ThreadStatus.ANSWERED),
        (now - timedelta(days=9), now - timedelta(days=5), now - timedelta(days=2),
         ThreadStatus.OPEN),
        (now - timedelta(days=30), None, None, ThreadStatus.CLOSED),
    ):  # fmt: skip
        db.add(
            Thread(
                teacher_id=teacher.id, tutor_id=tutor.id, municipality_id=mun.id,
                school_id=low.id, status=status, created_at=created, last_activity_at=created,
                waiting_since=waiting, escalated_at=escalated,
            )
        )  # fmt: skip
    # Another municipality's question is not counted.
    db.add(
        Thread(
            municipality_id=foreign.id, status=ThreadStatus.OPEN, created_at=now,
            last_activity_at=now, waiting_since=now - timedelta(days=6),
            escalated_at=now - timedelta(days=1),
        )
    )  # fmt: skip
    for title, due_on, done in (
        ("Входной мониторинг", date(2027, 3, 3), 1),
        ("План мероприятий", date(2027, 2, 26), 1),
        ("Отчёт за январь", date(2027, 2, 10), 2),
        ("Итоговый отчёт", date(2027, 12, 1), 0),
    ):
        deadline = Deadline(
            municipality_id=mun.id, year=2027, title=title,
            responsible=Responsible.SCHOOL_LEADERS, starts_on=date(2027, 1, 1), due_on=due_on,
        )  # fmt: skip
        db.add(deadline)
        await db.flush()
        for n, school in enumerate((low, leader)):
            db.add(
                DeadlineTask(
                    deadline_id=deadline.id, target_key=f"s{school.id}", school_id=school.id,
                    status=TaskStatus.DONE if n < done else TaskStatus.PENDING,
                )
            )  # fmt: skip
    for title, starts, status, where in (
        ("Семинар «Смысловое чтение»", at(date(2027, 3, 4), 10), EventStatus.PUBLISHED, mun),
        ("Вебинар через 20 дней", now + timedelta(days=20), EventStatus.PUBLISHED, mun),
        ("Черновик семинара", now + timedelta(days=2), EventStatus.DRAFT, mun),
        ("Чужой десант", now + timedelta(days=3), EventStatus.PUBLISHED, foreign),
    ):
        db.add(
            Event(
                type="seminar", scope=EventScope.MUNICIPAL, form=EventForm.IN_PERSON,
                title=title, topics=[], starts_at=starts, ends_at=starts + timedelta(hours=4),
                timezone="Europe/Moscow", duration_hours=4, audience={}, status=status,
                municipality_id=where.id, author_id=coordinator.id, capacity=30,
                seats_taken=12,
            )
        )  # fmt: skip
    # The region's own webinar (no municipality): shown to the region's coordinators.
    starts = at(date(2027, 3, 9), 15)
    db.add(
        Event(
            type="webinar", scope=EventScope.REGIONAL, form=EventForm.ONLINE,
            title="Краевой вебинар", topics=[], starts_at=starts,
            ends_at=starts + timedelta(hours=2), timezone="Europe/Moscow", duration_hours=2,
            audience={}, status=EventStatus.PUBLISHED, region_id=mun.region_id, seats_taken=40,
        )
    )  # fmt: skip
    survey = Survey(
        scenario_id="needs_assessment", author_id=coordinator.id, municipality_id=mun.id,
        audience={}, deadline=at(date(2027, 3, 10), 20), invited=10,
    )  # fmt: skip
    db.add(survey)
    await db.flush()
    for n in range(10):
        invitee = await seed.person(
            db, name=f"Учитель {n}", roles=[Role.TEACHER], municipality=mun, school=low
        )
        db.add(
            SurveyInvitee(
                survey_id=survey.id, person_id=invitee.id,
                answered_at=now - timedelta(days=1) if n < 4 else None,
            )
        )  # fmt: skip
    await db.commit()
    return {"mun": mun.id, "coordinator": coordinator.id, "foreign": foreign.id}


async def test_monday_at_eight_one_digest_once_across_restarts(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await world(db)
    job = context(harness)
    assert await run(job, at(MONDAY, 7, 59)) == 0
    assert await digests(db) == []
    # 08:00: the two active coordinators (the blocked one is skipped).
    assert await run(job, at(MONDAY, 8)) == 2
    assert await run(job, at(MONDAY, 8, 15)) == 0
    # A restart in the afternoon: a new context, the same rows; nothing again.
    assert await run(context(harness), at(MONDAY, 15)) == 0
    queued = await digests(db)
    assert sorted(d.chat_id for d in queued) == [COORDINATOR, FOREIGN_COORDINATOR]
    sent = (await db.scalars(select(DigestSent.week).where(
        DigestSent.person_id == ids["coordinator"]))).all()  # fmt: skip
    assert list(sent) == ["2027-W09"]
    # Tuesday: nothing; the next Monday at eight: one each again.
    assert await run(job, at(MONDAY + timedelta(days=1), 8)) == 0
    assert await run(job, at(MONDAY + timedelta(days=7), 8, 10)) == 2
    assert len(await digests(db)) == 4


async def test_the_digest_says_what_the_week_holds(harness: Harness, db: AsyncSession) -> None:
    await world(db)
    assert await run(context(harness), at(MONDAY, 8, 5)) == 2
    await delivered(harness, db)
    text = harness.last_text(COORDINATOR)
    assert "Сводка на неделю 01.03 – 07.03.2027" in text
    assert "Грачёвский муниципальный округ" in text
    assert "Новых за неделю: 1" in text
    assert "Просрочен ответ: 1" in text
    assert "Входной мониторинг — до 03.03: выполнено 1 из 2" in text
    assert "План мероприятий — до 26.02.2027: выполнено 1 из 2" in text
    assert "Отчёт за январь" not in text and "Итоговый отчёт" not in text
    assert "04.03.2027 10:00 Семинар «Смысловое чтение» — записались 12 из 30" in text
    assert "09.03.2027 15:00 Краевой вебинар — записались 40" in text
    assert "Вебинар через 20 дней" not in text and "Черновик" not in text
    assert "Чужой десант" not in text
    assert "Какая помощь вам нужна — ответили 4 из 10 (40 %), до 10.03.2027 20:00" in text
    assert "Показатели" not in text and "Спокойная неделя" not in text
    # The other municipality's coordinator, in English: only their overdue question.
    foreign = harness.last_text(FOREIGN_COORDINATOR)
    assert "Digest of the week 01.03 – 07.03.2027" in foreign
    assert "Answer overdue: 1" in foreign and "New this week: 1" in foreign
    assert "Семинар" not in foreign and "Входной" not in foreign
    assert "Краевой" not in foreign
    assert harness.texts_to(BLOCKED_COORDINATOR) == []


async def test_an_empty_week_says_so_in_one_line(harness: Harness, db: AsyncSession) -> None:
    await world(db, busy=False)
    assert await run(context(harness), at(MONDAY, 9)) == 2
    await delivered(harness, db)
    text = harness.last_text(COORDINATOR)
    assert "Спокойная неделя" in text
    assert "Обращения" not in text and "Сроки плана" not in text


async def test_a_coordinator_who_joins_on_tuesday_waits_for_next_monday(
    harness: Harness, db: AsyncSession
) -> None:
    await world(db, busy=False)
    job = context(harness)
    mun = await db.scalar(select(Municipality).where(Municipality.name.like("Грач%")))
    assert mun is not None
    assert await run(job, at(MONDAY, 8)) == 2
    await seed.person(
        db, name="Координатор Новый", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=9409,
    )  # fmt: skip
    await db.commit()
    for day, hour in ((1, 8), (1, 12), (3, 9), (6, 23)):
        assert await run(job, at(MONDAY + timedelta(days=day), hour)) == 0
    assert await run(job, at(MONDAY + timedelta(days=7), 8)) == 3


async def test_quiet_hours_hold_the_digest_until_morning(
    harness: Harness, db: AsyncSession
) -> None:
    # Quiet until 09:00: the digest queued at 08:00 waits for the end of the night.
    settings = harness.dp["settings"].model_copy(
        update={"quiet_hours_start": time(21, 0), "quiet_hours_end": time(9, 0)}
    )
    await world(db, busy=False)
    job = context(harness)
    job = JobContext(job.bot, job.session_pool, settings, job.texts, job.templates)
    assert await run(job, at(MONDAY, 8)) == 2
    queued = await digests(db)
    mine = next(d for d in queued if d.chat_id == COORDINATOR)
    assert not mine.urgent
    assert mine.next_attempt_at == at(MONDAY, 9)
    # Queued at 09:30, after the night: at once.
    assert await run(job, at(MONDAY + timedelta(days=7), 9, 30)) == 2
    later = next(d for d in await digests(db) if d.id != mine.id and d.chat_id == COORDINATOR)
    assert later.next_attempt_at == at(MONDAY + timedelta(days=7), 9, 30)


async def test_the_monday_of_the_coordinators_own_zone(harness: Harness, db: AsyncSession) -> None:
    ids = await world(db, busy=False)
    far = await db.get(Municipality, ids["foreign"])
    assert far is not None
    far.timezone = "Asia/Vladivostok"  # UTC+10: 08:00 there is 01:00 in Moscow
    await db.commit()
    far_eight = datetime.combine(MONDAY, time(8), ZoneInfo("Asia/Vladivostok")).astimezone(UTC)
    assert await run(context(harness), far_eight) == 1
    [queued] = await digests(db)
    assert queued.chat_id == FOREIGN_COORDINATOR


async def test_the_kpi_section_lists_the_lines_behind_pro_rata(
    harness: Harness, db: AsyncSession
) -> None:
    """The real KPI report of the world's municipality (it follows programs 001–003): one
    seminar was held in February; on 1 March 59 of 365 days are gone (16.2 %), so «десант»
    (target 5, none held: 0.8 due by now) is behind; shares with nothing to count from (no
    school takes part in 2027) have no fact and are not judged."""
    ids = await world(db, busy=False)
    await ev.event(
        db, municipality_id=ids["mun"], type_id="seminar", status=EventStatus.HELD,
        starts_at=datetime(2027, 2, 10, 7, tzinfo=UTC),
    )  # fmt: skip
    await db.commit()
    assert await run(context(harness), at(MONDAY, 8)) == 2
    await delivered(harness, db)
    text = harness.last_text(COORDINATOR)
    assert "Показатели ниже плана на сегодня" in text
    assert (
        "«Педагогический десант» (Грачёвский муниципальный округ): 0 при ожидаемых к сегодня 0,8"
        in text
    )
    assert "Доля учителей русского языка и математики" not in text
    assert "Спокойная неделя" not in text


async def test_a_blocked_coordinator_gets_nothing_and_no_mark(
    harness: Harness, db: AsyncSession
) -> None:
    await world(db, busy=False)
    assert await run(context(harness), at(MONDAY, 8)) == 2
    blocked = await db.scalar(select(Person).where(Person.telegram_id == BLOCKED_COORDINATOR))
    assert blocked is not None
    marks = await db.scalars(select(DigestSent).where(DigestSent.person_id == blocked.id))
    assert marks.all() == []
    assert all(d.chat_id != BLOCKED_COORDINATOR for d in await digests(db))


async def test_two_passes_at_once_queue_one_digest(harness: Harness, db: AsyncSession) -> None:
    """Two processes that both found the digest due: the week's row admits only the first."""
    ids = await world(db, busy=False)
    job = context(harness)
    async with harness.session_pool() as session:
        due = await weekly_digest.due_now(session, job.settings, at(MONDAY, 8))
    mine = next(d for d in due if d.person_id == ids["coordinator"])
    async with harness.session_pool.begin() as session:
        with job.texts.context():
            assert await send_digest(session, job, mine, at(MONDAY, 8)) == 1
    async with harness.session_pool.begin() as session:
        with job.texts.context():
            assert await send_digest(session, job, mine, at(MONDAY, 8)) == 0
    assert [d.chat_id for d in await digests(db)] == [COORDINATOR]
