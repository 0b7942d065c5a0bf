"""Monitoring stages: the municipalities that take part in a year, the stage deadlines of a
municipality, and the school leaders' self-evaluations submitted in a stage's window."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Answer,
    Deadline,
    DeadlineKind,
    Municipality,
    Response,
    ResponseStatus,
    School,
    SchoolParticipation,
)


@dataclass(frozen=True, slots=True)
class Submission:
    response_id: int
    school_id: int
    submitted_at: datetime


class MonitoringRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def municipality(self, municipality_id: int) -> Municipality | None:
        return await self.session.get(Municipality, municipality_id)

    async def municipalities_taking_part(self, years: Iterable[int]) -> Sequence[Municipality]:
        """Municipalities with a participating school in any of the years."""
        wanted = list(years)
        if not wanted:
            return []
        ids = (
            select(SchoolParticipation.municipality_id)
            .where(SchoolParticipation.year.in_(wanted))
            .distinct()
        )
        query = select(Municipality).where(Municipality.id.in_(ids)).order_by(Municipality.id)
        return (await self.session.scalars(query)).all()

    async def municipalities(self, ids: Iterable[int]) -> Sequence[Municipality]:
        wanted = list(ids)
        if not wanted:
            return []
        query = select(Municipality).where(Municipality.id.in_(wanted)).order_by(Municipality.name)
        return (await self.session.scalars(query)).all()

    async def stage_deadlines(
        self, municipality_id: int, year: int | None = None
    ) -> Sequence[Deadline]:
        """The live monitoring stages of a municipality (of a year, or all), in date order."""
        query = select(Deadline).where(
            Deadline.municipality_id == municipality_id,
            Deadline.kind == DeadlineKind.MONITORING,
            Deadline.removed_at.is_(None),
        )
        if year is not None:
            query = query.where(Deadline.year == year)
        return (await self.session.scalars(query.order_by(Deadline.starts_on, Deadline.id))).all()

    async def stage_years(self, municipality_ids: Iterable[int]) -> Sequence[int]:
        ids = list(municipality_ids)
        if not ids:
            return []
        query = (
            select(Deadline.year)
            .where(
                Deadline.municipality_id.in_(ids),
                Deadline.kind == DeadlineKind.MONITORING,
                Deadline.removed_at.is_(None),
            )
            .distinct()
            .order_by(Deadline.year.desc())
        )
        return (await self.session.scalars(query)).all()

    async def submissions(
        self, scenario_id: str, school_ids: Iterable[int], since: datetime, until: datetime
    ) -> list[Submission]:
        """Submitted responses of the scenario from the schools, since ≤ submitted < until,
        the latest of each school first."""
        ids = list(school_ids)
        if not ids:
            return []
        query = (
            select(Response.id, Response.school_id, Response.submitted_at)
            .where(
                Response.scenario_id == scenario_id,
                Response.status == ResponseStatus.SUBMITTED,
                Response.school_id.in_(ids),
                Response.submitted_at >= since,
                Response.submitted_at < until,
            )
            .order_by(Response.submitted_at.desc(), Response.id.desc())
        )
        return [
            Submission(response_id, school_id, submitted_at)
            for response_id, school_id, submitted_at in (await self.session.execute(query)).all()
            if school_id is not None and submitted_at is not None
        ]

    async def answers_of(self, response_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        ids = list(response_ids)
        found: dict[int, dict[str, Any]] = {response_id: {} for response_id in ids}
        if not ids:
            return found
        query = select(Answer.response_id, Answer.question_id, Answer.value).where(
            Answer.response_id.in_(ids)
        )
        for response_id, question_id, value in (await self.session.execute(query)).all():
            found[response_id][question_id] = value
        return found

    async def school_names(self, school_ids: Iterable[int]) -> dict[int, str]:
        ids = list(school_ids)
        if not ids:
            return {}
        query = select(School.id, School.short_name, School.name).where(School.id.in_(ids))
        return {
            school_id: short or name
            for school_id, short, name in (await self.session.execute(query)).all()
        }
