"""Reminder rows of event registrants: written when a seat is taken, dropped when it is given
up. When the start moves, the unsent rows are dropped and written again from the new start (a
reminder already sent is not repeated: registration × offset is unique). The sweep
(bot/scheduler/events.py) sends the due ones."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.models import EventReminder


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
