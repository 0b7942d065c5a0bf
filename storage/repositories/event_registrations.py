"""Registrations for events and for «десант» sessions with their own capacity: seats, the
waiting list, offers.

A seat is taken with one conditional UPDATE of the event's (or session's) `seats_taken`; the
waiting list's numbers come from `next_queue_no`, raised by an UPDATE … RETURNING on the same
row. Two people after the last seat meet on that row and exactly one gets it, on SQLite and on
PostgreSQL alike. A registration changes status only by a conditional UPDATE too (`move`), so
two sweeps or a sweep and a tap cannot both act on one offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    SEAT_HOLDING,
    Event,
    EventRegistration,
    EventSession,
    EventStatus,
    Municipality,
    Person,
    RegistrationStatus,
)

# Statuses of a place in the event: a seat or a place in line.
ACTIVE = (*SEAT_HOLDING, RegistrationStatus.WAITING)


def _of(session_id: int | None) -> Any:
    return (
        EventRegistration.session_id.is_(None)
        if session_id is None
        else EventRegistration.session_id == session_id
    )


def registrants(event_id: int) -> Select[int]:
    """The people holding a seat of the event (registered or offered): a broadcast segment."""
    return select(EventRegistration.person_id).where(
        EventRegistration.event_id == event_id,
        EventRegistration.session_id.is_(None),
        EventRegistration.status.in_(SEAT_HOLDING),
    )


class EventRegistrationsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- seats and places in line ----------------------------------------------------------------
    async def take_seat(self, event_id: int, session_id: int | None = None) -> bool:
        """One seat of the event (or of its session), if one is free."""
        table: type[Event] | type[EventSession] = Event if session_id is None else EventSession
        row_id = event_id if session_id is None else session_id
        result = await self.session.execute(
            update(table)
            .where(
                table.id == row_id,
                or_(table.capacity.is_(None), table.seats_taken < table.capacity),
            )
            .values(seats_taken=table.seats_taken + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def free_seat(self, event_id: int, session_id: int | None = None) -> None:
        table: type[Event] | type[EventSession] = Event if session_id is None else EventSession
        row_id = event_id if session_id is None else session_id
        await self.session.execute(
            update(table)
            .where(table.id == row_id, table.seats_taken > 0)
            .values(seats_taken=table.seats_taken - 1)
            .execution_options(synchronize_session=False)
        )

    async def next_queue_no(self, event_id: int, session_id: int | None = None) -> int:
        """The next number of the waiting list, handed out once."""
        table: type[Event] | type[EventSession] = Event if session_id is None else EventSession
        row_id = event_id if session_id is None else session_id
        raised = await self.session.scalar(
            update(table)
            .where(table.id == row_id)
            .values(next_queue_no=table.next_queue_no + 1)
            .returning(table.next_queue_no)
            .execution_options(synchronize_session=False)
        )
        return int(raised or 1) - 1

    async def place_in_line(self, registration: EventRegistration) -> int:
        """1 for the first waiting, and so on."""
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    EventRegistration.event_id == registration.event_id,
                    _of(registration.session_id),
                    EventRegistration.status == RegistrationStatus.WAITING,
                    EventRegistration.queue_no <= (registration.queue_no or 0),
                )
            )
            or 0
        )

    async def seats_free(self, event_id: int, session_id: int | None = None) -> bool:
        table: type[Event] | type[EventSession] = Event if session_id is None else EventSession
        row_id = event_id if session_id is None else session_id
        row = (
            await self.session.execute(
                select(table.capacity, table.seats_taken).where(table.id == row_id)
            )
        ).first()
        return row is not None and (row[0] is None or row[1] < row[0])

    # --- registrations ---------------------------------------------------------------------------
    async def get(self, registration_id: int) -> EventRegistration | None:
        return await self.session.get(EventRegistration, registration_id)

    async def of_person(
        self, event_id: int, person_id: int, session_id: int | None = None
    ) -> EventRegistration | None:
        return await self.session.scalar(
            select(EventRegistration).where(
                EventRegistration.event_id == event_id,
                EventRegistration.person_id == person_id,
                _of(session_id),
            )
        )

    async def sessions_of_person(self, event_id: int, person_id: int) -> list[EventRegistration]:
        rows = await self.session.scalars(
            select(EventRegistration).where(
                EventRegistration.event_id == event_id,
                EventRegistration.person_id == person_id,
                EventRegistration.session_id.is_not(None),
            )
        )
        return list(rows.all())

    async def active_of_person(self, person_id: int, now: datetime) -> list[EventRegistration]:
        """The person's seats, offers and places in line of events not begun."""
        rows = await self.session.scalars(
            select(EventRegistration)
            .join(Event, Event.id == EventRegistration.event_id)
            .where(
                EventRegistration.person_id == person_id,
                EventRegistration.status.in_(ACTIVE),
                Event.starts_at > now,
            )
        )
        return list(rows.all())

    async def add(self, registration: EventRegistration) -> EventRegistration:
        self.session.add(registration)
        await self.session.flush()
        return registration

    async def move(
        self,
        registration_id: int,
        from_statuses: Sequence[RegistrationStatus],
        to_status: RegistrationStatus,
        now: datetime,
        **values: Any,
    ) -> bool:
        """The registration from one of `from_statuses` to `to_status`, if it still is in one
        of them (another update may have moved it first)."""
        result = await self.session.execute(
            update(EventRegistration)
            .where(
                EventRegistration.id == registration_id,
                EventRegistration.status.in_(list(from_statuses)),
            )
            .values(status=to_status, updated_at=now, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def first_waiting(
        self, event_id: int, session_id: int | None, limit: int = 5
    ) -> Sequence[EventRegistration]:
        rows = await self.session.scalars(
            select(EventRegistration)
            .where(
                EventRegistration.event_id == event_id,
                _of(session_id),
                EventRegistration.status == RegistrationStatus.WAITING,
            )
            .order_by(EventRegistration.queue_no, EventRegistration.id)
            .limit(limit)
        )
        return rows.all()

    async def expired_offers(self, now: datetime, limit: int = 500) -> Sequence[EventRegistration]:
        rows = await self.session.scalars(
            select(EventRegistration)
            .where(
                EventRegistration.status == RegistrationStatus.OFFERED,
                EventRegistration.offer_expires_at <= now,
            )
            .order_by(EventRegistration.offer_expires_at, EventRegistration.id)
            .limit(limit)
        )
        return rows.all()

    async def lines_with_free_seats(self, now: datetime) -> list[tuple[int, int | None]]:
        """(event, session) of published events not begun that have someone waiting and a
        seat free: a seat given up while someone was joining the line is offered on."""
        waiting = (
            select(EventRegistration.event_id, EventRegistration.session_id)
            .join(Event, Event.id == EventRegistration.event_id)
            .outerjoin(EventSession, EventSession.id == EventRegistration.session_id)
            .where(
                EventRegistration.status == RegistrationStatus.WAITING,
                Event.status == EventStatus.PUBLISHED,
                Event.starts_at > now,
                or_(
                    EventRegistration.session_id.is_(None)
                    & (Event.capacity.is_(None) | (Event.seats_taken < Event.capacity)),
                    EventRegistration.session_id.is_not(None)
                    & (
                        EventSession.capacity.is_(None)
                        | (EventSession.seats_taken < EventSession.capacity)
                    ),
                ),
            )
            .distinct()
        )
        return [(row[0], row[1]) for row in (await self.session.execute(waiting)).all()]

    async def person(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    # --- what people see -------------------------------------------------------------------------
    async def includes(
        self, people: Select[int], person_id: int, region_id: int | None = None
    ) -> bool:
        """Whether `person_id` is among the ids `people` selects (and, with `region_id`, lives
        in a municipality of that region), in one query."""
        query = people.where(Person.id == person_id)
        if region_id is not None:
            query = query.where(
                Person.municipality_id.in_(
                    select(Municipality.id).where(Municipality.region_id == region_id)
                )
            )
        found = await self.session.scalar(query.limit(1))
        return found is not None

    async def published_since(
        self, since: datetime, municipality_id: int | None, region_id: int | None
    ) -> Sequence[Event]:
        """Published (and held) events not ended before `since` whose organiser's scope is the
        person's municipality or region (their audience is checked by the caller)."""
        home = [Event.municipality_id == municipality_id]
        if region_id is not None:
            home.append(Event.region_id == region_id)
        rows = await self.session.scalars(
            select(Event)
            .where(
                Event.status.in_([EventStatus.PUBLISHED, EventStatus.HELD]),
                Event.ends_at >= since,
                or_(*home),
            )
            .order_by(Event.starts_at, Event.id)
            .limit(200)
        )
        return rows.all()

    async def mine(
        self, person_id: int, since: datetime
    ) -> Sequence[tuple[EventRegistration, Event]]:
        """The person's places in events not ended before `since`, soonest first."""
        rows = await self.session.execute(
            select(EventRegistration, Event)
            .join(Event, Event.id == EventRegistration.event_id)
            .where(
                EventRegistration.person_id == person_id,
                EventRegistration.session_id.is_(None),
                EventRegistration.status.in_(ACTIVE),
                Event.status != EventStatus.DRAFT,
                Event.ends_at >= since,
            )
            .order_by(Event.starts_at, Event.id)
            .limit(100)
        )
        return [(row[0], row[1]) for row in rows.all()]

    async def in_scope(
        self,
        municipality_ids: Sequence[int],
        region_ids: Sequence[int],
        author_id: int | None,
        since: datetime,
        limit: int = 20,
    ) -> Sequence[Event]:
        """Published or held events of a coordinator's scope not ended before `since`, newest
        first (the registrants segment of the broadcast composer)."""
        rows = await self.session.scalars(
            select(Event)
            .where(
                Event.status.in_([EventStatus.PUBLISHED, EventStatus.HELD]),
                Event.ends_at >= since,
                or_(
                    Event.author_id == author_id,
                    Event.municipality_id.in_(list(municipality_ids)),
                    Event.region_id.in_(list(region_ids)),
                ),
            )
            .order_by(Event.starts_at.desc(), Event.id.desc())
            .limit(limit)
        )
        return rows.all()
