"""The numbers of event reports: registrations, attendance by district, the feedback answers
(`Survey.event_id` → `Response` → `Answer`), events of a year in a scope, participating schools
and the events hosted at them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Answer,
    Event,
    EventAttendance,
    EventRegistration,
    EventSession,
    EventStatus,
    Municipality,
    RegistrationStatus,
    Response,
    ResponseStatus,
    School,
    Survey,
)

# Statuses an event may be reported in: not a draft, not cancelled.
REPORTED = (EventStatus.PUBLISHED, EventStatus.HELD)


class EventReportsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def registrations(
        self, event_ids: Collection[int]
    ) -> dict[int, dict[RegistrationStatus, set[int]]]:
        """Per event, the people of each registration status (the event's own registration)."""
        found: dict[int, dict[RegistrationStatus, set[int]]] = defaultdict(lambda: defaultdict(set))
        if not event_ids:
            return found
        rows = await self.session.execute(
            select(
                EventRegistration.event_id, EventRegistration.status, EventRegistration.person_id
            ).where(
                EventRegistration.event_id.in_(event_ids), EventRegistration.session_id.is_(None)
            )
        )
        for event_id, status, person_id in rows.all():
            found[event_id][status].add(person_id)
        return found

    async def attendees(
        self, event_ids: Collection[int]
    ) -> dict[int, list[tuple[int, int | None, int | None]]]:
        """Per event, who came: (person, municipality, school) as copied when they came."""
        found: dict[int, list[tuple[int, int | None, int | None]]] = defaultdict(list)
        if not event_ids:
            return found
        rows = await self.session.execute(
            select(
                EventAttendance.event_id,
                EventAttendance.person_id,
                EventAttendance.municipality_id,
                EventAttendance.school_id,
            ).where(EventAttendance.event_id.in_(event_ids), EventAttendance.session_id.is_(None))
        )
        for event_id, person_id, municipality_id, school_id in rows.all():
            found[event_id].append((person_id, municipality_id, school_id))
        return found

    async def sessions(
        self, event_ids: Collection[int]
    ) -> dict[int, list[tuple[EventSession, int]]]:
        """Per event, its «десант» sessions with the number of people who came to each."""
        found: dict[int, list[tuple[EventSession, int]]] = defaultdict(list)
        if not event_ids:
            return found
        came = (
            select(EventAttendance.session_id, func.count().label("n"))
            .where(EventAttendance.session_id.is_not(None))
            .group_by(EventAttendance.session_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(EventSession, func.coalesce(came.c.n, 0))
            .outerjoin(came, came.c.session_id == EventSession.id)
            .where(EventSession.event_id.in_(event_ids))
            .order_by(EventSession.starts_at, EventSession.id)
        )
        for part, count in rows.all():
            found[part.event_id].append((part, int(count)))
        return found

    async def municipality_names(self, ids: Collection[int]) -> dict[int, str]:
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Municipality.id, Municipality.name).where(Municipality.id.in_(ids))
        )
        return dict(rows.all())

    async def school_labels(self, ids: Collection[int]) -> dict[int, str]:
        if not ids:
            return {}
        schools = await self.session.scalars(select(School).where(School.id.in_(ids)))
        return {s.id: s.label for s in schools.all()}

    async def feedback(
        self, event_ids: Collection[int], rating_question: str, comment_question: str
    ) -> dict[int, list[tuple[str, Any]]]:
        """Per event, the submitted answers of its feedback survey to the two questions."""
        found: dict[int, list[tuple[str, Any]]] = defaultdict(list)
        if not event_ids:
            return found
        rows = await self.session.execute(
            select(Survey.event_id, Answer.question_id, Answer.value)
            .join(Response, Response.survey_id == Survey.id)
            .join(Answer, Answer.response_id == Response.id)
            .where(
                Survey.event_id.in_(event_ids),
                Response.status == ResponseStatus.SUBMITTED,
                Answer.question_id.in_([rating_question, comment_question]),
            )
            .order_by(Response.submitted_at, Response.id)
        )
        for event_id, question_id, value in rows.all():
            if event_id is not None:
                found[event_id].append((question_id, value))
        return found

    async def feedback_responses(self, event_ids: Collection[int]) -> dict[int, int]:
        if not event_ids:
            return {}
        rows = await self.session.execute(
            select(Survey.event_id, func.count(Response.id))
            .join(Response, Response.survey_id == Survey.id)
            .where(Survey.event_id.in_(event_ids), Response.status == ResponseStatus.SUBMITTED)
            .group_by(Survey.event_id)
        )
        return {event_id: int(n) for event_id, n in rows.all() if event_id is not None}

    async def events_of_scope(
        self,
        author_id: int,
        municipality_ids: Collection[int],
        region_ids: Collection[int],
        starts_from: datetime,
        starts_until: datetime,
    ) -> Sequence[Event]:
        """Published and held events of the scope starting in the period, by start."""
        rows = await self.session.scalars(
            select(Event)
            .where(
                Event.status.in_(REPORTED),
                Event.starts_at >= starts_from,
                Event.starts_at < starts_until,
                or_(
                    Event.author_id == author_id,
                    Event.municipality_id.in_(municipality_ids),
                    Event.region_id.in_(region_ids),
                ),
            )
            .order_by(Event.starts_at, Event.id)
        )
        return rows.all()

    async def participating_schools(self, municipality_ids: Collection[int]) -> Sequence[School]:
        """Schools of the program: marked low results or unfavourable conditions."""
        if not municipality_ids:
            return []
        rows = await self.session.scalars(
            select(School)
            .where(
                School.municipality_id.in_(municipality_ids),
                or_(School.low_results.is_(True), School.unfavourable_conditions.is_(True)),
            )
            .order_by(School.municipality_id, School.name, School.id)
        )
        return rows.all()

    async def hosted(
        self, school_ids: Collection[int], starts_from: datetime, starts_until: datetime
    ) -> Sequence[Event]:
        """Events hosted at the schools starting in the period (anyone's: a regional event at
        a school counts for it)."""
        if not school_ids:
            return []
        rows = await self.session.scalars(
            select(Event).where(
                Event.status.in_(REPORTED),
                Event.host_school_id.in_(school_ids),
                Event.starts_at >= starts_from,
                Event.starts_at < starts_until,
            )
        )
        return rows.all()
