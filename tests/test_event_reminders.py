"""Event reminders across restarts, «held», and the feedback survey after the event.

The sweep is driven with a chosen clock (`run(context, now)`), or started the way the bot
starts (the scheduler's wake-up) where the test is about start-up."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import create_dispatcher
from bot.callbacks import EventCb, SurveyCb
from bot.scheduler import events as sweep_module
from bot.scheduler.events import run
from bot.services import event_attendance
from bot.services.event_reports import event_numbers
from storage.models import (
    AttendanceMethod,
    Delivery,
    Event,
    EventAttendance,
    EventForm,
    EventReminder,
    EventStatus,
    Municipality,
    Person,
    RegistrationStatus,
    Response,
    ResponseStatus,
    Role,
    Survey,
    SurveyInvitee,
)
from storage.repositories.event_reminders import EventRemindersRepo
from tests import event_world as ev
from tests import seed
from tests.event_world import WEBINAR_URL, job_context, person_of
from tests.harness import Harness

COORDINATOR = 7001
MOSCOW_TEACHER = 7101  # English-speaking, Moscow time
FAR_TEACHER = 7102  # Vladivostok, Russian
TZ_FAR = ZoneInfo("Asia/Vladivostok")
TZ_MSK = ZoneInfo("Europe/Moscow")


def hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


async def people(db: AsyncSession) -> dict[int, Person]:
    mun, school, _ = await seed.place(db)
    far, far_school, _ = await seed.place(db, municipality="Артёмовский городской округ")
    far.timezone = "Asia/Vladivostok"
    found = {
        COORDINATOR: await seed.person(
            db, name="Координатор Елена", roles=[Role.COORDINATOR], municipality=mun,
            telegram_id=COORDINATOR,
        ),
        MOSCOW_TEACHER: await seed.person(
            db, name="Учитель Москва", roles=[Role.TEACHER], municipality=mun, school=school,
            telegram_id=MOSCOW_TEACHER, locale="en",
        ),
        FAR_TEACHER: await seed.person(
            db, name="Учитель Приморье", roles=[Role.TEACHER], municipality=far,
            school=far_school, telegram_id=FAR_TEACHER, locale="ru",
        ),
    }  # fmt: skip
    await db.flush()
    return found


async def reminders_queued(db: AsyncSession) -> list[Delivery]:
    db.expire_all()
    rows = await db.scalars(
        select(Delivery).where(Delivery.kind == "event_reminder").order_by(Delivery.id)
    )
    return list(rows.all())


async def pending(db: AsyncSession, due_by: datetime | None = None) -> int:
    """Reminders neither sent nor skipped (due by `due_by`, if given)."""
    query = select(func.count()).where(
        EventReminder.sent_at.is_(None), EventReminder.skipped_at.is_(None)
    )
    if due_by is not None:
        query = query.where(EventReminder.due_at <= due_by)
    return int(await db.scalar(query) or 0)


# --- due → queued once, in each recipient's zone and language -----------------------------------


async def test_a_due_reminder_reaches_each_registrant_once_in_their_zone_and_language(
    harness: Harness, db: AsyncSession
) -> None:
    folk = await people(db)
    start = hour(datetime.now(UTC) + timedelta(days=3))
    webinar = await ev.webinar(db, folk[COORDINATOR], start)
    for teacher in (MOSCOW_TEACHER, FAR_TEACHER):
        await ev.register_reminded(db, webinar, folk[teacher])
    webinar_id = webinar.id
    await db.commit()

    # Nothing is due two days ahead.
    assert await run(job_context(harness), start - timedelta(days=2)) == 0
    # The day-before reminder, due a few seconds ago.
    assert await run(job_context(harness), start - timedelta(hours=24) + timedelta(seconds=5)) == 2
    # A second pass at the same moment, and a later one before the hour: nothing more.
    assert await run(job_context(harness), start - timedelta(hours=24) + timedelta(seconds=5)) == 0
    assert await run(job_context(harness), start - timedelta(hours=2)) == 0
    queued = await reminders_queued(db)
    assert len(queued) == 2
    # A reminder an hour before must not wait for the morning: urgent, past quiet hours.
    assert all(d.urgent for d in queued)

    await harness.deliver()
    far_text = harness.last_text(FAR_TEACHER)
    assert start.astimezone(TZ_FAR).strftime("%d.%m.%Y %H:%M") in far_text
    assert start.astimezone(TZ_MSK).strftime("%H:%M") not in far_text
    assert "через 1 день" in far_text and WEBINAR_URL in far_text
    assert "ОГЭ &amp; ВПР" in far_text  # the title as the organiser typed it, escaped
    moscow_text = harness.last_text(MOSCOW_TEACHER)
    assert start.astimezone(TZ_MSK).strftime("%d.%m.%Y %H:%M") in moscow_text
    assert "starts in 1 day" in moscow_text
    assert harness.buttons(FAR_TEACHER) == ["Подробнее"]
    assert harness.buttons(MOSCOW_TEACHER) == ["Details"]
    details = EventCb(action="card", event_id=webinar_id).pack()
    assert harness.button_data(FAR_TEACHER, "Подробнее") == details

    # The hour-before one later, once.
    harness.clear()
    assert await run(job_context(harness), start - timedelta(minutes=59)) == 2
    assert await run(job_context(harness), start - timedelta(minutes=30)) == 0
    await harness.deliver()
    assert "через 1 час" in harness.last_text(FAR_TEACHER)
    assert len(harness.texts_to(FAR_TEACHER)) == 1
    assert await pending(db) == 0


async def test_an_in_person_reminder_gives_the_address_and_host_school(
    harness: Harness, db: AsyncSession
) -> None:
    folk = await people(db)
    start = hour(datetime.now(UTC) + timedelta(days=3))
    seminar = await ev.webinar(db, folk[COORDINATOR], start, form=EventForm.IN_PERSON)
    seminar.host_school_id = folk[MOSCOW_TEACHER].school_id
    await ev.register_reminded(db, seminar, folk[FAR_TEACHER], offsets=[90])
    await db.commit()

    assert await run(job_context(harness), start - timedelta(minutes=89)) == 1
    await harness.deliver()
    text = harness.last_text(FAR_TEACHER)
    assert "через 90 минут" in text
    assert "ул. Ленина, 1, каб. 12" in text and "СОШ № 2" in text
    assert WEBINAR_URL not in text


# --- restarts and outages ------------------------------------------------------------------------


async def restart_and_wait_for_sweep(harness: Harness, db: AsyncSession, expected: int) -> None:
    """A new process: a dispatcher built and started as `bot.runner` does; its scheduler wakes
    the sweep up right after start-up. Waits (polling, no fixed sleep) until `expected`
    reminders are queued, then stops it."""
    dp = create_dispatcher(harness.dp["settings"], harness.session_pool)
    await dp.emit_startup(bot=harness.bot)
    running = dp["scheduler"]._aps._executors["default"]._instances
    try:
        for _ in range(800):
            db.expire_all()
            due_left = await pending(db, due_by=datetime.now(UTC))
            done = due_left == 0 and len(await reminders_queued(db)) >= expected
            # ...and the wake-up pass has finished (stopping cancels a pass under way).
            if done and not running.get("bot.scheduler.events:sweep"):
                break
            await asyncio.sleep(0.025)
    finally:
        await dp.emit_shutdown(bot=harness.bot)
        await dp.storage.close()


async def test_a_restart_between_scheduling_and_sending_sends_each_reminder_once(
    harness: Harness, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows written, then the sweep dies between marking them sent and queueing their
    messages: nothing of that batch stays (one transaction). The app restarts, its sweep runs:
    exactly one message per reminder; a further pass adds none."""
    folk = await people(db)
    now = datetime.now(UTC)
    # Starts in 40 minutes: the hour-before reminders came due 20 minutes ago.
    webinar = await ev.webinar(db, folk[COORDINATOR], now + timedelta(minutes=40))
    for teacher in (MOSCOW_TEACHER, FAR_TEACHER):
        await ev.register_reminded(db, webinar, folk[teacher], offsets=[60])
    teacher_ids = sorted(folk[t].id for t in (MOSCOW_TEACHER, FAR_TEACHER))
    await db.commit()

    async def crash(*_: object, **__: object) -> int:
        raise RuntimeError("the process was killed")

    monkeypatch.setattr(sweep_module, "send_reminders", crash)
    with pytest.raises(RuntimeError):
        await run(job_context(harness), datetime.now(UTC))
    assert await pending(db) == 2 and await reminders_queued(db) == []
    monkeypatch.undo()

    await restart_and_wait_for_sweep(harness, db, expected=2)
    queued = await reminders_queued(db)
    assert sorted(d.person_id for d in queued) == teacher_ids
    # The app restarts again after sending: its wake-up finds nothing to send.
    await restart_and_wait_for_sweep(harness, db, expected=2)
    assert await run(job_context(harness), datetime.now(UTC)) == 0
    assert len(await reminders_queued(db)) == 2
    keys = {d.dedup_key for d in queued}
    rows = await db.scalars(select(EventReminder.id))
    assert keys == {f"event-reminder:{i}" for i in rows.all()}


async def test_reminders_due_during_an_outage_go_out_once_unless_the_event_has_begun(
    harness: Harness, db: AsyncSession
) -> None:
    folk = await people(db)
    now = datetime.now(UTC)
    # Down across the day-before reminder of this one (due 3 hours ago, starts in 21 hours)...
    upcoming = await ev.webinar(db, folk[COORDINATOR], now + timedelta(hours=21))
    await ev.register_reminded(db, upcoming, folk[FAR_TEACHER])
    # ...and across the start of this one: its reminders are not sent late.
    begun = await ev.webinar(db, folk[COORDINATOR], now - timedelta(minutes=10), hours=3)
    await ev.register_reminded(db, begun, folk[MOSCOW_TEACHER])
    begun_id, far_id = begun.id, folk[FAR_TEACHER].id
    await db.commit()

    await restart_and_wait_for_sweep(harness, db, expected=1)
    queued = await reminders_queued(db)
    assert [d.person_id for d in queued] == [far_id]
    skipped = await db.scalars(select(EventReminder).where(EventReminder.event_id == begun_id))
    assert all(r.skipped_at is not None and r.sent_at is None for r in skipped.all())
    # The upcoming event's hour-before reminder is still ahead.
    assert await pending(db) == 1


async def test_a_withdrawn_registration_or_a_cancelled_event_gets_no_reminder(
    harness: Harness, db: AsyncSession
) -> None:
    folk = await people(db)
    start = hour(datetime.now(UTC) + timedelta(days=3))
    webinar = await ev.webinar(db, folk[COORDINATOR], start)
    withdrawn = await ev.register_reminded(db, webinar, folk[MOSCOW_TEACHER])
    withdrawn.status = RegistrationStatus.DECLINED  # «Не смогу» after registering
    cancelled = await ev.webinar(db, folk[COORDINATOR], start, status=EventStatus.CANCELLED)
    await ev.register_reminded(db, cancelled, folk[FAR_TEACHER])
    await db.commit()

    assert await run(job_context(harness), start - timedelta(minutes=30)) == 0
    assert await reminders_queued(db) == []
    assert await pending(db) == 0
    left = await db.scalars(select(EventReminder.skipped_at))
    assert all(moment is not None for moment in left.all())


async def test_a_moved_start_reminds_at_the_new_time_with_the_new_time(
    harness: Harness, db: AsyncSession
) -> None:
    folk = await people(db)
    start = hour(datetime.now(UTC) + timedelta(days=3))
    webinar = await ev.webinar(db, folk[COORDINATOR], start)
    registration = await ev.register_reminded(db, webinar, folk[FAR_TEACHER], offsets=[60])
    await db.commit()
    for row in (webinar, registration, folk[FAR_TEACHER]):
        await db.refresh(row)

    # The organiser moves it a day later: the unsent rows are written again from the new start.
    moved = start + timedelta(days=1, hours=2)
    webinar.starts_at, webinar.ends_at = moved, moved + timedelta(hours=2)
    repo = EventRemindersRepo(db)
    await repo.drop_unsent_of_event(webinar.id)
    await repo.schedule(
        registration_id=registration.id,
        event_id=webinar.id,
        person_id=folk[FAR_TEACHER].id,
        starts_at=moved,
        offsets_minutes=[60],
        now=start - timedelta(days=2),
    )
    await db.commit()

    assert await run(job_context(harness), start - timedelta(minutes=59)) == 0
    assert await run(job_context(harness), moved - timedelta(minutes=59)) == 1
    await harness.deliver()
    text = harness.last_text(FAR_TEACHER)
    assert moved.astimezone(TZ_FAR).strftime("%d.%m.%Y %H:%M") in text
    assert start.astimezone(TZ_FAR).strftime("%d.%m.%Y %H:%M") not in text


async def test_two_sweeps_at_once_queue_each_reminder_once(
    harness: Harness, db: AsyncSession
) -> None:
    """Two bot processes sweeping at the same moment (two sessions, on PostgreSQL truly at
    once): more reminders than a batch, each queued exactly once."""
    folk = await people(db)
    start = hour(datetime.now(UTC) + timedelta(days=3))
    webinar = await ev.webinar(db, folk[COORDINATOR], start)
    mun = await db.get(Municipality, folk[COORDINATOR].municipality_id)
    assert mun is not None
    for n in range(620):
        teacher = await seed.person(
            db, name=f"Учитель {n}", roles=[Role.TEACHER], municipality=mun,
            telegram_id=800_000 + n,
        )  # fmt: skip
        await ev.register_reminded(db, webinar, teacher, offsets=[60])
    await db.commit()

    moment = start - timedelta(minutes=59)
    first, second = await asyncio.gather(
        run(job_context(harness), moment), run(job_context(harness), moment)
    )
    assert first + second == 620
    queued = await reminders_queued(db)
    assert len(queued) == 620
    assert len({d.person_id for d in queued}) == 620
    assert await pending(db) == 0


# --- held, and feedback through the survey runner -----------------------------------------------


async def test_a_held_event_asks_its_attendees_once_and_answers_link_to_the_event(
    harness: Harness, db: AsyncSession
) -> None:
    folk = await people(db)
    start = hour(datetime.now(UTC) - timedelta(hours=5))
    webinar = await ev.webinar(db, folk[COORDINATOR], start)
    for teacher in (MOSCOW_TEACHER, FAR_TEACHER):
        await ev.register_reminded(db, webinar, folk[teacher])
    # Only one of the two registrants came.
    db.add(
        EventAttendance(
            event_id=webinar.id,
            person_id=folk[FAR_TEACHER].id,
            municipality_id=folk[FAR_TEACHER].municipality_id,
            method=AttendanceMethod.CODE,
            checked_in_at=start + timedelta(minutes=5),
        )
    )
    webinar_id, far_id = webinar.id, folk[FAR_TEACHER].id
    await db.commit()

    now = datetime.now(UTC)
    await run(job_context(harness), now)
    await run(job_context(harness), now + timedelta(minutes=1))
    db.expire_all()
    held = await db.get(Event, webinar_id)
    assert held is not None and held.status == EventStatus.HELD
    assert held.feedback_sent_at is not None
    surveys = list((await db.scalars(select(Survey).where(Survey.event_id == webinar_id))).all())
    assert len(surveys) == 1 and surveys[0].scenario_id == "event_feedback"
    survey_id = surveys[0].id
    invited = await db.scalars(
        select(SurveyInvitee.person_id).where(SurveyInvitee.survey_id == survey_id)
    )
    assert list(invited.all()) == [far_id]

    await harness.deliver()
    assert harness.texts_to(MOSCOW_TEACHER) == []
    invitation = harness.last_text(FAR_TEACHER)
    assert "Отзыв о мероприятии" in invitation and "ОГЭ &amp; ВПР" in invitation

    # Answering from the invitation, through the dispatcher and the survey runner.
    await harness.press(FAR_TEACHER, "Ответить")
    assert "Оцените мероприятие" in harness.last_text(FAR_TEACHER)
    await harness.press(FAR_TEACHER, "4 ·")
    await harness.press(FAR_TEACHER, "Обмен опытом")
    await harness.press(FAR_TEACHER, "Готово")
    await harness.send(FAR_TEACHER, "Больше практики")
    await harness.press(FAR_TEACHER, "Да")
    await harness.press(FAR_TEACHER, "Отправить")

    db.expire_all()
    response = await db.scalar(select(Response).where(Response.survey_id == survey_id))
    assert response is not None and response.status == ResponseStatus.SUBMITTED
    numbers = await event_numbers(db, await person_of(db, COORDINATOR), webinar_id)
    assert (numbers.responses, numbers.average_rating, numbers.comments) == (
        1,
        4.0,
        ("Больше практики",),
    )
    # The invitation's button again: answered surveys of this scenario may be answered again
    # (the scenario is repeatable), but no second survey or invitation appears.
    await run(job_context(harness), now + timedelta(hours=1))
    assert (await db.scalar(select(func.count()).where(Survey.event_id == webinar_id))) == 1
    assert SurveyCb(action="answer", survey_id=survey_id).pack() == harness.button_data(
        FAR_TEACHER, "Ответить"
    )


async def test_someone_ticked_in_after_the_survey_went_out_is_invited_to_it(
    harness: Harness, db: AsyncSession
) -> None:
    """The organiser ticks in a registrant the day after the feedback survey went out: the next
    sweep invites that person to the same survey, and nobody else a second time."""
    folk = await people(db)
    start = hour(datetime.now(UTC) - timedelta(hours=5))
    webinar = await ev.webinar(db, folk[COORDINATOR], start)
    for teacher in (MOSCOW_TEACHER, FAR_TEACHER):
        await ev.register_reminded(db, webinar, folk[teacher])
    await ev.came(db, webinar, folk[FAR_TEACHER])
    webinar_id, late = webinar.id, folk[MOSCOW_TEACHER]
    await db.commit()
    now = datetime.now(UTC)
    await run(job_context(harness), now)
    await harness.deliver()
    assert len(harness.texts_to(FAR_TEACHER)) == 1 and harness.texts_to(MOSCOW_TEACHER) == []

    await event_attendance.toggle(
        db, folk[COORDINATOR], webinar_id, 0, late.id, now + timedelta(days=1)
    )
    await db.commit()
    await run(job_context(harness), now + timedelta(days=1, minutes=1))
    await run(job_context(harness), now + timedelta(days=1, minutes=2))
    await harness.deliver()
    survey_id = await db.scalar(select(Survey.id).where(Survey.event_id == webinar_id))
    invited = await db.scalars(
        select(SurveyInvitee.person_id).where(SurveyInvitee.survey_id == survey_id)
    )
    assert sorted(invited.all()) == sorted([folk[FAR_TEACHER].id, late.id])
    assert "ОГЭ &amp; ВПР" in harness.last_text(MOSCOW_TEACHER)  # in their language (en)
    assert len(harness.texts_to(MOSCOW_TEACHER)) == 1
    assert len(harness.texts_to(FAR_TEACHER)) == 1
    assert await db.scalar(select(func.count()).where(Survey.event_id == webinar_id)) == 1


async def test_nobody_attended_no_survey(harness: Harness, db: AsyncSession) -> None:
    folk = await people(db)
    start = hour(datetime.now(UTC) - timedelta(hours=5))
    webinar = await ev.webinar(db, folk[COORDINATOR], start)
    await ev.register_reminded(db, webinar, folk[FAR_TEACHER])
    webinar_id = webinar.id
    await db.commit()

    now = datetime.now(UTC)
    await run(job_context(harness), now)
    db.expire_all()
    held = await db.get(Event, webinar_id)
    assert held is not None and held.status == EventStatus.HELD
    # The organiser may still tick people in for a while; past that, settled with no survey.
    assert held.feedback_sent_at is None
    await run(job_context(harness), now + timedelta(days=3))
    db.expire_all()
    held = await db.get(Event, webinar_id)
    assert held is not None and held.feedback_sent_at is not None
    assert await db.scalar(select(func.count()).select_from(Survey)) == 0
    numbers = await event_numbers(db, await person_of(db, COORDINATOR), webinar_id)
    assert (numbers.responses, numbers.average_rating, numbers.attended) == (0, None, 0)
    await harness.deliver()
    assert harness.texts_to(FAR_TEACHER) == []


async def test_a_draft_or_future_event_is_not_held(harness: Harness, db: AsyncSession) -> None:
    folk = await people(db)
    past = hour(datetime.now(UTC) - timedelta(hours=5))
    draft = await ev.webinar(db, folk[COORDINATOR], past, status=EventStatus.DRAFT)
    future = await ev.webinar(db, folk[COORDINATOR], past + timedelta(days=2))
    ids = [draft.id, future.id]
    await db.commit()
    await run(job_context(harness), datetime.now(UTC))
    statuses = await db.execute(select(Event.id, Event.status).where(Event.id.in_(ids)))
    assert dict(statuses.all()) == {ids[0]: EventStatus.DRAFT, ids[1]: EventStatus.PUBLISHED}
