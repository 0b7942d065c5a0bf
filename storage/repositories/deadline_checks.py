"""What the record-checked deadline rules read: events held, consultations logged, community
members and submitted self-evaluations. One query per deadline, whatever its number of tasks."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import Row, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Community,
    CommunityMembership,
    Consultation,
    Event,
    EventScope,
    EventStatus,
    Municipality,
    Person,
    Response,
    ResponseStatus,
    School,
)

# Published events count once over (the event reports' «held»); drafts and cancelled never.
COUNTED = (EventStatus.PUBLISHED, EventStatus.HELD)


class DeadlineChecksRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def zone_name(self, municipality_id: int) -> str | None:
        return await self.session.scalar(
            select(Municipality.timezone).where(Municipality.id == municipality_id)
        )

    async def events(
        self,
        municipality_id: int,
        starts_from: datetime,
        starts_until: datetime,
        *,
        types: Collection[str],
        scopes: Collection[EventScope],
        hours_min: float | None,
    ) -> Sequence[Row[int, EventStatus, datetime, int | None]]:
        """Published and held events of the municipality (organised by it or hosted at one of
        its schools) starting in the window: id, status, end, host school."""
        schools = select(School.id).where(School.municipality_id == municipality_id)
        query = select(Event.id, Event.status, Event.ends_at, Event.host_school_id).where(
            Event.status.in_(COUNTED),
            Event.starts_at >= starts_from,
            Event.starts_at < starts_until,
            or_(Event.municipality_id == municipality_id, Event.host_school_id.in_(schools)),
        )
        if types:
            query = query.where(Event.type.in_(list(types)))
        if scopes:
            query = query.where(Event.scope.in_(list(scopes)))
        if hours_min is not None:
            query = query.where(Event.duration_hours >= hours_min)
        return (await self.session.execute(query.order_by(Event.ends_at, Event.id))).all()

    async def consultations(
        self, municipality_id: int, day_from: date, day_until: date, topic: str | None
    ) -> Sequence[Row[int, date]]:
        """Consultations of the municipality's schools held in the window: school, day."""
        query = select(Consultation.school_id, Consultation.held_on).where(
            Consultation.municipality_id == municipality_id,
            Consultation.held_on >= day_from,
            Consultation.held_on <= day_until,
        )
        if topic:
            query = query.where(Consultation.topic.ilike(f"%{topic}%"))
        return (await self.session.execute(query.order_by(Consultation.held_on))).all()

    async def community_members(
        self, municipality_id: int
    ) -> Sequence[Row[int, int, int | None, datetime]]:
        """Members of active communities: community, its municipality, the member's school,
        joined — for the
        municipality's communities and for any community its schools' teachers are in."""
        schools = select(School.id).where(School.municipality_id == municipality_id)
        query = (
            select(
                Community.id,
                Community.municipality_id,
                Person.school_id,
                CommunityMembership.joined_at,
            )
            .join(CommunityMembership, CommunityMembership.community_id == Community.id)
            .join(Person, Person.id == CommunityMembership.person_id)
            .where(
                Community.is_active.is_(True),
                or_(Community.municipality_id == municipality_id, Person.school_id.in_(schools)),
            )
            .order_by(CommunityMembership.joined_at)
        )
        return (await self.session.execute(query)).all()

    async def submitted_responses(
        self, scenario_id: str, school_ids: Collection[int], since: datetime, until: datetime
    ) -> Sequence[Row[int | None, datetime | None]]:
        """Submitted responses of a scenario for the schools in [since, until): school, when."""
        if not school_ids:
            return []
        query = (
            select(Response.school_id, Response.submitted_at)
            .where(
                Response.scenario_id == scenario_id,
                Response.status == ResponseStatus.SUBMITTED,
                Response.school_id.in_(list(school_ids)),
                Response.submitted_at >= since,
                Response.submitted_at < until,
            )
            .order_by(Response.submitted_at)
        )
        return (await self.session.execute(query)).all()
