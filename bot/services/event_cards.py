"""An event as people read it: the announcement, «Подробнее», the organiser's preview (exactly
what teachers will see) and the card after a change all render `event_card.html` from one
`EventCard`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import event_types
from storage.models import Event, EventForm, EventScope, EventStatus, SessionKind
from storage.repositories.events import EventsRepo

# People may check in with the venue's code from half an hour before the start to the end.
CHECKIN_OPENS_BEFORE = timedelta(minutes=30)


def checkin_window(starts_at: datetime, ends_at: datetime) -> tuple[datetime, datetime]:
    return starts_at - CHECKIN_OPENS_BEFORE, ends_at


@dataclass(frozen=True)
class SessionLine:
    id: int
    kind: SessionKind
    title: str
    presenter: str | None
    starts_at: datetime
    ends_at: datetime
    place: str | None
    capacity: int | None
    seats_left: int | None


@dataclass(frozen=True)
class EventCard:
    id: int
    type_id: str
    title: str
    description: str | None
    scope: EventScope
    form: EventForm
    starts_at: datetime
    ends_at: datetime
    duration_hours: float
    host_school: str | None
    address: str | None
    online_url: str | None
    organiser: str | None
    capacity: int | None
    seats_left: int | None  # None: no limit
    waiting: int
    registration_deadline: datetime | None
    status: EventStatus
    sessions: tuple[SessionLine, ...]

    def type_title(self, locale: str) -> str:
        return event_types.title(self.type_id, locale)


def _left(capacity: int | None, taken: int) -> int | None:
    return None if capacity is None else max(capacity - taken, 0)


async def card_of(session: AsyncSession, event: Event) -> EventCard:
    repo = EventsRepo(session)
    sessions = tuple(
        SessionLine(
            id=part.id,
            kind=part.kind,
            title=part.title,
            presenter=part.presenter,
            starts_at=part.starts_at,
            ends_at=part.ends_at,
            place=part.place,
            capacity=part.capacity,
            seats_left=_left(part.capacity, part.seats_taken),
        )
        for part in await repo.sessions_of(event.id)
    )
    return EventCard(
        id=event.id,
        type_id=event.type,
        title=event.title,
        description=event.description,
        scope=event.scope,
        form=event.form,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        duration_hours=event.duration_hours,
        host_school=await repo.school_label(event.host_school_id),
        address=event.address,
        online_url=event.online_url,
        organiser=event.organiser,
        capacity=event.capacity,
        seats_left=_left(event.capacity, event.seats_taken),
        waiting=await repo.waiting_count(event.id),
        registration_deadline=event.registration_deadline,
        status=event.status,
        sessions=sessions,
    )
