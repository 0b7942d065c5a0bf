"""Who came to an event (or to one session of a «десант»): the registrant list to tick, the
attendance rows, the events a check-in code may name, and the wrong-code counter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import (
    SEAT_HOLDING,
    AttendanceMethod,
    CheckinAttempt,
    Event,
    EventAttendance,
    EventRegistration,
    EventSession,
    EventStatus,
    Person,
)

# Events a check-in code may name: published, or marked held by the sweep after their end.
CHECKIN_STATUSES = (EventStatus.PUBLISHED, EventStatus.HELD)


@dataclass(frozen=True)
class ListedPerson:
    person_id: int
    name: str
    registered: bool  # False: came without registering (a walk-in)
    attended: bool


def _part(column: InstrumentedAttribute[int | None], session_id: int | None) -> ColumnElement[bool]:
    """The event's own rows (None) or one session's."""
    return column.is_(None) if session_id is None else column == session_id


class AttendanceRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def event_session(self, session_id: int) -> EventSession | None:
        return await self.session.get(EventSession, session_id)

    async def listed(
        self, event_id: int, session_id: int | None, registration_of: int | None
    ) -> list[ListedPerson]:
        """The registrants (registered or offered a seat) of the event, or of the session
        `registration_of` when it has its own registration, and everyone who came to the
        event (`session_id` None) or the session; by name."""
        registered = select(EventRegistration.person_id).where(
            EventRegistration.event_id == event_id,
            EventRegistration.status.in_(SEAT_HOLDING),
            _part(EventRegistration.session_id, registration_of),
        )
        came = select(EventAttendance.person_id).where(
            EventAttendance.event_id == event_id,
            _part(EventAttendance.session_id, session_id),
        )
        registered_ids = set((await self.session.scalars(registered)).all())
        came_ids = set((await self.session.scalars(came)).all())
        ids = registered_ids | came_ids
        if not ids:
            return []
        rows = await self.session.execute(
            select(Person.id, Person.full_name).where(Person.id.in_(ids))
        )
        found = [
            ListedPerson(pid, name or "—", pid in registered_ids, pid in came_ids)
            for pid, name in rows.all()
        ]
        return sorted(found, key=lambda p: (p.name.casefold(), p.person_id))

    async def attendance(
        self, event_id: int, session_id: int | None, person_id: int
    ) -> EventAttendance | None:
        return await self.session.scalar(
            select(EventAttendance).where(
                EventAttendance.event_id == event_id,
                EventAttendance.person_id == person_id,
                _part(EventAttendance.session_id, session_id),
            )
        )

    async def add(
        self,
        event_id: int,
        session_id: int | None,
        person: Person,
        method: AttendanceMethod,
        at: datetime,
        marked_by_id: int | None = None,
    ) -> bool:
        """One attendance row with the person's municipality and school; False when there
        was one already (a second check-in, a tap racing another)."""
        if await self.attendance(event_id, session_id, person.id) is not None:
            return False
        try:
            async with self.session.begin_nested():
                self.session.add(
                    EventAttendance(
                        event_id=event_id,
                        session_id=session_id,
                        person_id=person.id,
                        municipality_id=person.municipality_id,
                        school_id=person.school_id,
                        method=method,
                        marked_by_id=marked_by_id,
                        checked_in_at=at,
                    )
                )
        except IntegrityError:
            return False
        return True

    async def remove(self, event_id: int, session_id: int | None, person_id: int) -> bool:
        result = await self.session.execute(
            delete(EventAttendance).where(
                EventAttendance.event_id == event_id,
                EventAttendance.person_id == person_id,
                _part(EventAttendance.session_id, session_id),
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def count(self, event_id: int, session_id: int | None) -> int:
        rows = await self.session.scalars(
            select(EventAttendance.id).where(
                EventAttendance.event_id == event_id,
                _part(EventAttendance.session_id, session_id),
            )
        )
        return len(rows.all())

    # --- check-in codes -------------------------------------------------------------------

    async def code_taken(self, code: str, since: datetime, until: datetime) -> bool:
        """A code already given to an event or session running in the period (a new code
        should not collide with one in use around the same time)."""
        event = await self.session.scalar(
            select(Event.id)
            .where(
                Event.checkin_code == code,
                Event.starts_at <= until,
                Event.ends_at >= since,
            )
            .limit(1)
        )
        if event is not None:
            return True
        part = await self.session.scalar(
            select(EventSession.id)
            .where(
                EventSession.checkin_code == code,
                EventSession.starts_at <= until,
                EventSession.ends_at >= since,
            )
            .limit(1)
        )
        return part is not None

    async def set_code(self, event_id: int, session_id: int | None, code: str) -> None:
        if session_id is None:
            await self.session.execute(
                update(Event).where(Event.id == event_id).values(checkin_code=code)
            )
        else:
            await self.session.execute(
                update(EventSession)
                .where(EventSession.id == session_id, EventSession.event_id == event_id)
                .values(checkin_code=code)
            )

    async def by_code(
        self,
        code: str,
        since: datetime,
        until: datetime,
        municipality_id: int | None,
        region_id: int | None,
    ) -> list[tuple[Event, EventSession | None]]:
        """Events (and sessions) with this code running at some time in the period, of the
        person's municipality or region."""
        home = or_(
            Event.municipality_id == municipality_id,
            Event.region_id == region_id,
        )
        events = await self.session.scalars(
            select(Event).where(
                Event.checkin_code == code,
                Event.status.in_(CHECKIN_STATUSES),
                Event.starts_at <= until,
                Event.ends_at >= since,
                home,
            )
        )
        found: list[tuple[Event, EventSession | None]] = [(e, None) for e in events.all()]
        parts = await self.session.execute(
            select(Event, EventSession)
            .join(EventSession, EventSession.event_id == Event.id)
            .where(
                EventSession.checkin_code == code,
                Event.status.in_(CHECKIN_STATUSES),
                EventSession.starts_at <= until,
                EventSession.ends_at >= since,
                home,
            )
        )
        found.extend((event, part) for event, part in parts.all())
        return found

    # --- wrong codes ----------------------------------------------------------------------

    async def attempts(self, person_id: int) -> CheckinAttempt | None:
        return await self.session.get(CheckinAttempt, person_id)

    async def record_failure(
        self, person_id: int, now: datetime, window_start_before: datetime
    ) -> int:
        """Counts a wrong code; a window older than `window_start_before` starts anew. The
        failures of the current window."""
        row = await self.session.get(CheckinAttempt, person_id, with_for_update=True)
        if row is None:
            try:
                async with self.session.begin_nested():
                    self.session.add(
                        CheckinAttempt(person_id=person_id, window_started_at=now, failures=1)
                    )
                return 1
            except IntegrityError:
                row = await self.session.get(CheckinAttempt, person_id, with_for_update=True)
                assert row is not None
        started = row.window_started_at
        if started.tzinfo is None:
            started = started.replace(tzinfo=now.tzinfo)
        if started < window_start_before:
            row.window_started_at, row.failures = now, 1
        else:
            row.failures += 1
        await self.session.flush()
        return row.failures

    async def clear_failures(self, person_id: int) -> None:
        await self.session.execute(
            delete(CheckinAttempt).where(CheckinAttempt.person_id == person_id)
        )

    async def upcoming_near(
        self, municipality_id: int | None, region_id: int | None, now: datetime, limit: int
    ) -> Sequence[Event]:
        """Published events of the municipality or region not yet begun, soonest first."""
        rows = await self.session.scalars(
            select(Event)
            .where(
                Event.status == EventStatus.PUBLISHED,
                Event.starts_at > now,
                or_(Event.municipality_id == municipality_id, Event.region_id == region_id),
            )
            .order_by(Event.starts_at, Event.id)
            .limit(limit)
        )
        return rows.all()

    async def of_person(self, person_id: int) -> list[tuple[EventAttendance, str, str | None]]:
        """The person's attendance rows with the event's and the session's titles."""
        rows = await self.session.execute(
            select(EventAttendance, Event.title, EventSession.title)
            .join(Event, Event.id == EventAttendance.event_id)
            .outerjoin(EventSession, EventSession.id == EventAttendance.session_id)
            .where(EventAttendance.person_id == person_id)
            .order_by(EventAttendance.checked_in_at, EventAttendance.id)
        )
        return [(row, title, part) for row, title, part in rows.all()]
