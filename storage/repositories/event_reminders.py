"""Reminder rows of event registrants: written when a seat is taken, dropped when it is given
up. When the start moves, the unsent rows are dropped and written again from the new start (a
reminder already sent is not repeated: registration × offset is unique). The sweep
(bot/scheduler/events.py) sends the due ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, func, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.models import (
    SEAT_HOLDING,
    Event,
    EventRegistration,
    EventReminder,
    EventSession,
    EventStatus,
    Person,
    PersonStatus,
)


@dataclass(frozen=True)
class ClaimedReminder:
    """A reminder taken for sending, with what its message needs."""

    id: int
    event_id: int
    session_id: int | None
    offset_minutes: int
    person_id: int
    chat_id: int
    municipality_id: int | None
    locale: str | None


class EventRemindersRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def schedule(
        self,
        *,
        registration_id: int,
        event_id: int,
        person_id: int,
        starts_at: datetime,
        offsets_minutes: Sequence[int],
        now: datetime,
    ) -> None:
        """One row per offset still ahead; a second call for the same seat adds nothing."""
        rows = [
            {
                "registration_id": registration_id,
                "event_id": event_id,
                "person_id": person_id,
                "offset_minutes": minutes,
                "due_at": starts_at - timedelta(minutes=minutes),
            }
            for minutes in sorted(set(offsets_minutes), reverse=True)
            if starts_at - timedelta(minutes=minutes) > now
        ]
        if rows:
            await self.session.execute(insert_ignoring_conflicts(self.session, EventReminder), rows)

    async def drop_unsent(self, registration_id: int) -> None:
        await self.session.execute(
            delete(EventReminder).where(
                EventReminder.registration_id == registration_id,
                EventReminder.sent_at.is_(None),
            )
        )

    async def drop_unsent_of_event(self, event_id: int) -> None:
        await self.session.execute(
            delete(EventReminder).where(
                EventReminder.event_id == event_id, EventReminder.sent_at.is_(None)
            )
        )

    # --- the sweep ---------------------------------------------------------------------------

    @staticmethod
    def _due(now: datetime) -> ColumnElement[bool]:
        return and_(
            EventReminder.sent_at.is_(None),
            EventReminder.skipped_at.is_(None),
            EventReminder.due_at <= now,
        )

    @staticmethod
    def _sendable(now: datetime) -> ColumnElement[bool]:
        """The seat is still held, the event published and its part not begun, and the person
        can receive messages."""
        return and_(
            EventRegistration.status.in_(SEAT_HOLDING),
            Event.status == EventStatus.PUBLISHED,
            func.coalesce(EventSession.starts_at, Event.starts_at) > now,
            Person.telegram_id.is_not(None),
            Person.status == PersonStatus.ACTIVE,
        )

    @staticmethod
    def _joined(*columns: Any) -> Select[Any]:
        return (
            select(*columns)
            .select_from(EventReminder)
            .join(EventRegistration, EventRegistration.id == EventReminder.registration_id)
            .join(Event, Event.id == EventReminder.event_id)
            .outerjoin(EventSession, EventSession.id == EventRegistration.session_id)
            .join(Person, Person.id == EventReminder.person_id)
        )

    async def skip_due_unsendable(self, now: datetime, limit: int) -> int:
        """Marks skipped up to `limit` due reminders that must not go: the registration ended,
        the event was cancelled or has begun (an outage past its start), the person left."""
        ids = (
            self._joined(EventReminder.id)
            .where(self._due(now), not_(self._sendable(now)))
            .order_by(EventReminder.due_at, EventReminder.id)
            .limit(limit)
        )
        result = await self.session.execute(
            update(EventReminder)
            .where(EventReminder.id.in_(ids.scalar_subquery()), self._due(now))
            .values(skipped_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def claim_due(self, now: datetime, limit: int) -> list[ClaimedReminder]:
        """Takes up to `limit` due reminders to send, the earliest first, by setting `sent_at`
        in one UPDATE that re-checks `sent_at IS NULL`: a second process running the same
        statement at once (PostgreSQL waits on the row, then sees it taken) gets none of them.
        The caller queues their messages in the same transaction."""
        ids = (
            self._joined(EventReminder.id)
            .where(self._due(now), self._sendable(now))
            .order_by(EventReminder.due_at, EventReminder.id)
            .limit(limit)
        )
        claimed = list(
            await self.session.scalars(
                update(EventReminder)
                .where(EventReminder.id.in_(ids.scalar_subquery()), self._due(now))
                .values(sent_at=now)
                .returning(EventReminder.id)
                .execution_options(synchronize_session=False)
            )
        )
        if not claimed:
            return []
        rows = await self.session.execute(
            self._joined(
                EventReminder.id,
                EventReminder.event_id,
                EventRegistration.session_id,
                EventReminder.offset_minutes,
                Person.id,
                Person.telegram_id,
                Person.municipality_id,
                Person.locale,
            )
            .where(EventReminder.id.in_(claimed))
            .order_by(EventReminder.due_at, EventReminder.id)
        )
        return [
            ClaimedReminder(r[0], r[1], r[2], r[3], r[4], int(r[5] or 0), r[6], r[7])
            for r in rows.all()
        ]
