"""Events, registrations, attendance and feedback arranged directly in the database, as the
creation form, registration and the feedback survey would leave them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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
) -> Event:
    starts = starts_at or datetime.now(UTC) + timedelta(days=3)
    row = Event(
        type=type_id,
        scope=scope,
        form=EventForm.IN_PERSON,
        title=title,
        topics=topics or [],
        starts_at=starts,
        ends_at=starts + length,
        timezone=timezone,
        duration_hours=hours,
        host_school_id=host_school_id,
        capacity=capacity,
        audience=audience or {},
        status=status,
        municipality_id=municipality_id,
        region_id=region_id,
        author_id=author_id,
        checkin_code=code,
        published_at=datetime.now(UTC),
    )
    db.add(row)
    await db.flush()
    return row


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
