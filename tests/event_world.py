"""The world the event tests share: events, «десант» sessions, registrations (with their
reminders), attendance and feedback arranged directly in the database, as the creation form,
registration and the feedback survey would leave them; and the scheduler's context for sweeps
driven with a chosen clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import JobContext
from storage.models import (
    Answer,
    AttendanceMethod,
    Event,
    EventAttendance,
    EventForm,
    EventRegistration,
    EventScope,
    EventSession,
    EventStatus,
    Person,
    RegistrationStatus,
    Response,
    ResponseStatus,
    SessionKind,
    Survey,
    SurveyStatus,
)
from storage.repositories.event_reminders import EventRemindersRepo
from tests.harness import Harness

WEBINAR_URL = "https://webinar.example.org/room/42"


async def event(
    db: AsyncSession,
    *,
    municipality_id: int | None,
    region_id: int | None = None,
    author_id: int | None = None,
    title: str = "Семинар по смысловому чтению",
    type_id: str = "seminar",
    scope: EventScope = EventScope.MUNICIPAL,
    starts_at: datetime | None = None,
    hours: float = 4.0,
    length: timedelta = timedelta(hours=4),
    status: EventStatus = EventStatus.PUBLISHED,
    code: str | None = None,
    audience: dict[str, Any] | None = None,
    topics: list[str] | None = None,
    host_school_id: int | None = None,
    timezone: str = "Europe/Moscow",
    capacity: int | None = None,
    form: EventForm = EventForm.IN_PERSON,
    online_url: str | None = None,
    address: str | None = None,
    published: bool = True,
) -> Event:
    starts = starts_at or datetime.now(UTC) + timedelta(days=3)
    row = Event(
        type=type_id,
        scope=scope,
        form=form,
        title=title,
        topics=topics or [],
        starts_at=starts,
        ends_at=starts + length,
        timezone=timezone,
        duration_hours=hours,
        host_school_id=host_school_id,
        online_url=online_url,
        address=address,
        capacity=capacity,
        audience=audience or {},
        status=status,
        municipality_id=municipality_id,
        region_id=region_id,
        author_id=author_id,
        checkin_code=code,
        published_at=datetime.now(UTC) if published else None,
    )
    db.add(row)
    await db.flush()
    return row


async def webinar(
    db: AsyncSession,
    author: Person,
    starts_at: datetime,
    *,
    form: EventForm = EventForm.ONLINE,
    status: EventStatus = EventStatus.PUBLISHED,
    hours: int = 2,
) -> Event:
    """A webinar of the author's municipality (its link online, an address in person), as the
    reminder tests have it."""
    return await event(
        db,
        municipality_id=author.municipality_id,
        author_id=author.id,
        title="Разбор заданий ОГЭ & ВПР",
        type_id="webinar",
        starts_at=starts_at,
        hours=hours,
        length=timedelta(hours=hours),
        status=status,
        form=form,
        online_url=WEBINAR_URL if form != EventForm.IN_PERSON else None,
        address="ул. Ленина, 1, каб. 12" if form != EventForm.ONLINE else None,
        published=False,
    )


async def part(
    db: AsyncSession,
    ev: Event,
    *,
    title: str,
    starts_at: datetime,
    length: timedelta = timedelta(hours=1),
    code: str | None = None,
    capacity: int | None = None,
) -> EventSession:
    row = EventSession(
        event_id=ev.id,
        kind=SessionKind.MASTER_CLASS,
        title=title,
        presenter="Мастер Наставникова",
        starts_at=starts_at,
        ends_at=starts_at + length,
        capacity=capacity,
        checkin_code=code,
    )
    db.add(row)
    await db.flush()
    return row


async def register(
    db: AsyncSession,
    ev: Event,
    person: Person,
    status: RegistrationStatus = RegistrationStatus.REGISTERED,
    session_id: int | None = None,
    queue_no: int | None = None,
) -> EventRegistration:
    row = EventRegistration(
        event_id=ev.id,
        session_id=session_id,
        person_id=person.id,
        status=status,
        queue_no=queue_no,
        municipality_id=person.municipality_id,
        school_id=person.school_id,
    )
    db.add(row)
    await db.flush()
    return row


async def register_reminded(
    db: AsyncSession,
    ev: Event,
    person: Person,
    *,
    offsets: list[int] | None = None,
    scheduled_at: datetime | None = None,
) -> EventRegistration:
    """A seat with its reminders (a day and an hour before, unless `offsets` say otherwise)."""
    registration = await register(db, ev, person)
    await EventRemindersRepo(db).schedule(
        registration_id=registration.id,
        event_id=ev.id,
        person_id=person.id,
        starts_at=ev.starts_at,
        offsets_minutes=offsets or [1440, 60],
        # Registered a week ahead (the rows are written while every offset is still ahead).
        now=scheduled_at or ev.starts_at - timedelta(days=7),
    )
    return registration


async def came(db: AsyncSession, ev: Event, person: Person) -> None:
    db.add(
        EventAttendance(
            event_id=ev.id,
            person_id=person.id,
            municipality_id=person.municipality_id,
            school_id=person.school_id,
            method=AttendanceMethod.MARKED,
            checked_in_at=datetime.now(UTC),
        )
    )
    await db.flush()


async def feedback(
    db: AsyncSession, ev: Event, answers: list[tuple[Person, int, str | None]]
) -> None:
    """The event's feedback survey with submitted answers: (person, rating, comment)."""
    survey = Survey(
        scenario_id="event_feedback",
        municipality_id=ev.municipality_id,
        audience={},
        deadline=datetime.now(UTC) + timedelta(days=7),
        status=SurveyStatus.OPEN,
        event_id=ev.id,
    )
    db.add(survey)
    await db.flush()
    now = datetime.now(UTC)
    for person, rating, comment in answers:
        response = Response(
            scenario_id="event_feedback",
            scenario_version="x",
            survey_id=survey.id,
            person_id=person.id,
            school_id=person.school_id,
            municipality_id=person.municipality_id,
            status=ResponseStatus.SUBMITTED,
            submitted_at=now,
        )
        db.add(response)
        await db.flush()
        db.add(Answer(response_id=response.id, question_id="rating", value=rating, answered_at=now))
        if comment is not None:
            db.add(
                Answer(
                    response_id=response.id, question_id="improve", value=comment, answered_at=now
                )
            )
    await db.flush()


async def person_of(db: AsyncSession, telegram_id: int) -> Person:
    found = await db.scalar(select(Person).where(Person.telegram_id == telegram_id))
    assert found is not None
    return found


def job_context(harness: Harness) -> JobContext:
    """The scheduler's context, for a sweep run with a chosen clock."""
    return JobContext(
        bot=harness.bot,
        session_pool=harness.session_pool,
        settings=harness.dp["settings"],
        texts=harness.dp["texts"],
        templates=harness.dp["templates"],
    )
