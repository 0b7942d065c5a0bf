"""The organiser's queries on events: their lists, the form's key, the people to tell of a
change, locks for edits, the schools a host may be chosen from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Event,
    EventRegistration,
    EventSession,
    EventStatus,
    Person,
    PersonStatus,
    RegistrationStatus,
    School,
)

# Who hears of a change: those holding a seat and those waiting for one.
TOLD_OF_CHANGES = (
    RegistrationStatus.REGISTERED,
    RegistrationStatus.OFFERED,
    RegistrationStatus.WAITING,
)


@dataclass(frozen=True)
class Listener:
    """Someone to tell of a change: a registrant or someone on the waiting list."""

    person_id: int
    chat_id: int
    municipality_id: int | None
    locale: str | None


class EventAdminRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_for_update(self, event_id: int) -> Event | None:
        return await self.session.scalar(
            select(Event).where(Event.id == event_id).with_for_update()
        )

    async def by_create_key(self, create_key: str) -> Event | None:
        return await self.session.scalar(select(Event).where(Event.create_key == create_key))

    async def page(
        self,
        *,
        author_id: int,
        municipality_ids: Sequence[int],
        region_ids: Sequence[int],
        shelf: str,
        now: datetime,
        offset: int,
        limit: int,
    ) -> tuple[Sequence[Event], int]:
        """One page of a shelf: drafts (newest first), upcoming (soonest first), past (latest
        first: held, cancelled, ended); and how many the shelf holds."""
        visible = or_(
            Event.author_id == author_id,
            Event.municipality_id.in_(municipality_ids),
            Event.region_id.in_(region_ids),
        )
        order: list[Any]
        if shelf == "drafts":
            rule = and_(visible, Event.status == EventStatus.DRAFT)
            order = [Event.id.desc()]
        elif shelf == "upcoming":
            rule = and_(visible, Event.status == EventStatus.PUBLISHED, Event.ends_at > now)
            order = [Event.starts_at, Event.id]
        else:
            rule = and_(
                visible,
                or_(
                    Event.status.in_([EventStatus.HELD, EventStatus.CANCELLED]),
                    and_(Event.status == EventStatus.PUBLISHED, Event.ends_at <= now),
                ),
            )
            order = [Event.starts_at.desc(), Event.id.desc()]
        total = int(await self.session.scalar(select(func.count()).where(rule)) or 0)
        rows = await self.session.scalars(
            select(Event).where(rule).order_by(*order).offset(offset).limit(limit)
        )
        return rows.all(), total

    async def listeners(self, event_id: int) -> list[Listener]:
        """Each person registered (for the event or a session) or waiting, once."""
        rows = await self.session.execute(
            select(Person.id, Person.telegram_id, Person.municipality_id, Person.locale)
            .where(
                Person.id.in_(
                    select(EventRegistration.person_id).where(
                        EventRegistration.event_id == event_id,
                        EventRegistration.status.in_(TOLD_OF_CHANGES),
                    )
                ),
                Person.telegram_id.is_not(None),
                Person.status == PersonStatus.ACTIVE,
            )
            .order_by(Person.id)
        )
        return [Listener(pid, int(chat or 0), mun, loc) for pid, chat, mun, loc in rows.all()]

    async def seat_holders(self, event_id: int) -> Sequence[EventRegistration]:
        rows = await self.session.scalars(
            select(EventRegistration)
            .where(
                EventRegistration.event_id == event_id,
                EventRegistration.status.in_(
                    [RegistrationStatus.REGISTERED, RegistrationStatus.OFFERED]
                ),
            )
            .order_by(EventRegistration.id)
        )
        return rows.all()

    async def session_registrations(self, session_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    EventRegistration.session_id == session_id,
                    EventRegistration.status.in_(TOLD_OF_CHANGES),
                )
            )
            or 0
        )

    async def locales_of(self, person_ids: Sequence[int]) -> dict[int, str | None]:
        if not person_ids:
            return {}
        rows = await self.session.execute(
            select(Person.id, Person.locale).where(Person.id.in_(person_ids))
        )
        return {pid: loc for pid, loc in rows.all()}

    async def schools_in(self, municipality_ids: Sequence[int]) -> Sequence[School]:
        rows = await self.session.scalars(
            select(School).where(School.municipality_id.in_(municipality_ids)).order_by(School.name)
        )
        return rows.all()

    async def school(self, school_id: int) -> School | None:
        return await self.session.get(School, school_id)

    async def replace_sessions(self, event_id: int, parts: Sequence[dict[str, Any]]) -> None:
        """The program as given: parts with the id of one of the event's are updated, others
        added, the rest removed (the caller has made sure nobody is registered for those)."""
        current = {
            part.id: part
            for part in await self.session.scalars(
                select(EventSession).where(EventSession.event_id == event_id)
            )
        }
        kept = {int(part.get("id") or 0) for part in parts}
        for part_id, part in current.items():
            if part_id not in kept:
                await self.session.delete(part)
        for values in parts:
            fields = {k: v for k, v in values.items() if k != "id"}
            existing = current.get(int(values.get("id") or 0))
            if existing is not None:
                for name, value in fields.items():
                    setattr(existing, name, value)
            else:
                self.session.add(EventSession(event_id=event_id, **fields))
        await self.session.flush()
