"""The weekly digest's queries: who gets one, whether this week's went out, and the
municipality's upcoming events and new questions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.models import (
    DigestSent,
    Event,
    EventStatus,
    Municipality,
    Person,
    PersonRole,
    PersonStatus,
    Role,
    Thread,
)


@dataclass(frozen=True, slots=True)
class CoordinatorRow:
    person_id: int
    chat_id: int
    locale: str | None
    municipality_id: int
    region_id: int
    name: str
    timezone: str | None


class WeeklyDigestRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def coordinators(self) -> list[CoordinatorRow]:
        """Active coordinators who can be written to, one row per municipality they run, in
        the order of their grants."""
        query = (
            select(
                Person.id,
                Person.telegram_id,
                Person.locale,
                Municipality.id,
                Municipality.region_id,
                Municipality.name,
                Municipality.timezone,
            )
            .join(PersonRole, PersonRole.person_id == Person.id)
            .join(Municipality, Municipality.id == PersonRole.municipality_id)
            .where(
                PersonRole.role == Role.COORDINATOR,
                Person.status == PersonStatus.ACTIVE,
                Person.telegram_id.is_not(None),
            )
            .order_by(Person.id, PersonRole.id)
        )
        rows = (await self.session.execute(query)).all()
        return [
            CoordinatorRow(pid, chat, locale, mid, rid, name, zone)
            for pid, chat, locale, mid, rid, name, zone in rows
            if chat is not None
        ]

    async def already_sent(self, week: str) -> set[int]:
        query = select(DigestSent.person_id).where(DigestSent.week == week)
        return set((await self.session.scalars(query)).all())

    async def claim(self, person_id: int, week: str) -> bool:
        """Marks this week's digest as sent; False when it already was (by another pass or
        process: the row's key decides, committed together with the queued message)."""
        result = await self.session.execute(
            insert_ignoring_conflicts(self.session, DigestSent).values(
                person_id=person_id, week=week
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def new_threads(self, municipality_ids: Sequence[int], since: datetime) -> int:
        query = select(func.count()).where(
            Thread.municipality_id.in_(list(municipality_ids)), Thread.created_at >= since
        )
        return int(await self.session.scalar(query) or 0)

    async def upcoming_events(
        self,
        municipality_ids: Sequence[int],
        region_ids: Sequence[int],
        start: datetime,
        end: datetime,
    ) -> Sequence[Event]:
        """Published events starting in [start, end) of the municipalities, and the regions'
        own (regional) events."""
        query = (
            select(Event)
            .where(
                Event.status == EventStatus.PUBLISHED,
                Event.starts_at >= start,
                Event.starts_at < end,
                or_(
                    Event.municipality_id.in_(list(municipality_ids)),
                    Event.municipality_id.is_(None) & Event.region_id.in_(list(region_ids)),
                ),
            )
            .order_by(Event.starts_at, Event.id)
        )
        return (await self.session.scalars(query)).all()
