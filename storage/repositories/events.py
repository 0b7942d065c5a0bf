"""Events and their «десант» sessions as rows."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Event, EventRegistration, EventSession, RegistrationStatus, School


class EventsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, event_id: int) -> Event | None:
        return await self.session.get(Event, event_id)

    async def fresh(self, event_id: int) -> Event | None:
        """The event as the database has it now, in one query: the seat counts are changed by
        conditional UPDATEs that do not touch the copy this session may hold."""
        return await self.session.get(Event, event_id, populate_existing=True)

    async def sessions_of(self, event_id: int) -> Sequence[EventSession]:
        rows = await self.session.scalars(
            select(EventSession)
            .where(EventSession.event_id == event_id)
            .order_by(EventSession.starts_at, EventSession.id)
        )
        return rows.all()

    async def school_label(self, school_id: int | None) -> str | None:
        if school_id is None:
            return None
        school = await self.session.get(School, school_id)
        return school.label if school is not None else None

    async def waiting_count(self, event_id: int, session_id: int | None = None) -> int:
        query = select(func.count()).where(
            EventRegistration.event_id == event_id,
            EventRegistration.status == RegistrationStatus.WAITING,
        )
        query = query.where(
            EventRegistration.session_id.is_(None)
            if session_id is None
            else EventRegistration.session_id == session_id
        )
        return int(await self.session.scalar(query) or 0)
