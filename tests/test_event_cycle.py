"""The whole cycle of issue 11 through the dispatcher, as people live it: the coordinator
creates and publishes a webinar → the announcement reaches the teachers → one registers, the
next waits → the first withdraws and the next is offered the seat and confirms → reminders →
check-in with the venue's code → the event is held and its attendee asked for feedback → the
organiser's report counts it all. Runs on SQLite and on PostgreSQL + Redis like every test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram.methods import SendDocument
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import EventCb, EventReportCb
from bot.scheduler.events import run
from storage.models import Event, EventRegistration, EventStatus, RegistrationStatus, Survey
from tests.event_world import job_context as context
from tests.harness import Harness
from tests.test_events_admin import COORDINATOR, TEACHERS, arrange, webinar_to_preview

FIRST, SECOND = TEACHERS[1], TEACHERS[2]


async def status_of(db: AsyncSession, event_id: int, telegram_id: int) -> RegistrationStatus:
    from storage.models import Person

    row = await db.scalar(
        select(EventRegistration.status)
        .join(Person, Person.id == EventRegistration.person_id)
        .where(EventRegistration.event_id == event_id, Person.telegram_id == telegram_id)
    )
    assert row is not None
    return row


async def test_create_announce_register_wait_remind_check_in_feedback_report(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    start = await webinar_to_preview(harness, seats="1")
    await harness.press(COORDINATOR, "Опубликовать")
    event = await db.scalar(select(Event))
    assert event is not None and event.status is EventStatus.PUBLISHED
    event_id, code = event.id, event.checkin_code
    assert code is not None

    # The announcement arrives; one tap registers, with the calendar file.
    await harness.deliver()
    assert "Смысловое чтение на уроках" in harness.last_text(FIRST)
    await harness.press(FIRST, "Записаться")
    assert await status_of(db, event_id, FIRST) is RegistrationStatus.REGISTERED
    assert any(isinstance(call, SendDocument) for call in harness.sent_to(FIRST))
    # The only seat is taken: the next teacher waits, first in line.
    await harness.press(SECOND, "Записаться")
    assert await status_of(db, event_id, SECOND) is RegistrationStatus.WAITING
    assert "листе ожидания, место 1" in harness.last_text(SECOND)

    # The first withdraws; the seat is offered to the second, who confirms.
    await harness.callback(FIRST, EventCb(action="card", event_id=event_id).pack())
    await harness.press(FIRST, "Отменить запись")
    db.expire_all()
    assert await status_of(db, event_id, SECOND) is RegistrationStatus.OFFERED
    await harness.deliver()
    await harness.press(SECOND, "Подтверждаю")
    db.expire_all()
    assert await status_of(db, event_id, SECOND) is RegistrationStatus.REGISTERED

    # A day before: the reminder with the webinar's link, to the registrant only.
    queued = await run(context(harness), start.astimezone(UTC) - timedelta(hours=23))
    assert queued == 1
    await harness.deliver()
    assert "meet.example.org/room-1" in harness.last_text(SECOND)

    # The day comes (the event's times are moved to now): the code shown at the venue.
    now = datetime.now(UTC)
    await db.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(minutes=110))
    )
    await db.commit()
    await harness.send(SECOND, "/checkin")
    await harness.send(SECOND, code)
    assert "Вы отмечены" in harness.last_text(SECOND)

    # It ends: held, and its attendee is asked for feedback through the survey runner.
    await db.execute(
        update(Event)
        .where(Event.id == event_id)
        .values(starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1))
    )
    await db.commit()
    await run(context(harness), datetime.now(UTC))
    db.expire_all()
    held = await db.get(Event, event_id)
    assert held is not None and held.status is EventStatus.HELD
    survey = await db.scalar(select(Survey).where(Survey.event_id == event_id))
    assert survey is not None
    await harness.deliver()
    await harness.press(SECOND, "Ответить")
    await harness.press(SECOND, "5 ·")
    await harness.press(SECOND, "Обмен опытом")
    await harness.press(SECOND, "Готово")
    await harness.send(SECOND, "Больше примеров")
    await harness.press(SECOND, "Да")
    await harness.press(SECOND, "Отправить")

    # The organiser's report counts it: one registered, one came, rated 5.
    await harness.callback(COORDINATOR, EventReportCb(action="event", event_id=event_id).pack())
    report = harness.last_text(COORDINATOR)
    assert "Смысловое чтение на уроках" in report
    assert "5" in report and "Больше примеров" in report
