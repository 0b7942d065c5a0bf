"""After an event: published events that have ended become held; their attendees are asked for
feedback once (a survey of the event-feedback scenario, `Survey.event_id`); the answers read
back for the event's report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Event,
    EventAttendance,
    EventStatus,
    Survey,
    SurveyInvitee,
    SurveyStatus,
)


class EventFeedbackRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def mark_held(self, now: datetime) -> list[int]:
        """Published events that have ended become held; their ids."""
        return list(
            await self.session.scalars(
                update(Event)
                .where(Event.status == EventStatus.PUBLISHED, Event.ends_at <= now)
                .values(status=EventStatus.HELD, updated_at=now)
                .returning(Event.id)
                .execution_options(synchronize_session=False)
            )
        )

    async def awaiting_feedback(self) -> list[tuple[int, datetime]]:
        """(id, end) of held events whose attendees have not been asked for feedback yet."""
        rows = await self.session.execute(
            select(Event.id, Event.ends_at)
            .where(Event.status == EventStatus.HELD, Event.feedback_sent_at.is_(None))
            .order_by(Event.ends_at, Event.id)
        )
        return [(r[0], r[1]) for r in rows.all()]

    async def claim_feedback(self, event_id: int, now: datetime) -> Event | None:
        """Marks the event's feedback as sent; None when another process did it first."""
        result = await self.session.execute(
            update(Event)
            .where(Event.id == event_id, Event.feedback_sent_at.is_(None))
            .values(feedback_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(result, "rowcount", 0):
            return None
        return await self.session.get(Event, event_id, populate_existing=True)

    @staticmethod
    def attendee_ids(event_id: int) -> Select[Any]:
        """Who came: to the event or to any of its sessions (a person may repeat: the caller
        takes them distinct)."""
        return select(EventAttendance.person_id).where(EventAttendance.event_id == event_id)

    async def open_feedback(self, now: datetime) -> list[tuple[int, int]]:
        """(survey id, event id) of the feedback surveys still open for answers."""
        rows = await self.session.execute(
            select(Survey.id, Survey.event_id).where(
                Survey.event_id.is_not(None),
                Survey.status == SurveyStatus.OPEN,
                Survey.deadline > now,
            )
        )
        return [(r[0], r[1]) for r in rows.all() if r[1] is not None]

    @staticmethod
    def uninvited_attendees(survey_id: int, event_id: int) -> Select[Any]:
        """Who came but is not invited to the survey yet (ticked in after it went out)."""
        invited = exists().where(
            SurveyInvitee.survey_id == survey_id,
            SurveyInvitee.person_id == EventAttendance.person_id,
        )
        return (
            select(EventAttendance.person_id)
            .where(EventAttendance.event_id == event_id, ~invited)
            .distinct()
        )

    async def attended_count(self, event_id: int) -> int:
        query = select(func.count(func.distinct(EventAttendance.person_id))).where(
            EventAttendance.event_id == event_id
        )
        return int(await self.session.scalar(query) or 0)

    async def survey_of(self, event_id: int) -> Survey | None:
        rows = await self.session.scalars(select(Survey).where(Survey.event_id == event_id))
        return rows.first()
