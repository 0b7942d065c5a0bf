"""A coordinator's own deadline items and the answers to them: who may be named responsible,
whose tasks are whose, the names a card shows, and who is told of a help request."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Deadline,
    DeadlineTask,
    Person,
    PersonRole,
    PersonStatus,
    Role,
    School,
    TaskStatus,
)


class DeadlineItemsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def people_in(self, municipality_id: int, limit: int) -> Sequence[tuple[int, str]]:
        """People of a municipality who can be sent a reminder, by name."""
        query = (
            select(Person.id, Person.full_name)
            .where(
                Person.municipality_id == municipality_id,
                Person.status == PersonStatus.ACTIVE,
                Person.telegram_id.is_not(None),
                Person.full_name.is_not(None),
            )
            .order_by(Person.full_name, Person.id)
            .limit(limit)
        )
        return [(pid, name or "") for pid, name in (await self.session.execute(query)).all()]

    async def is_school_leader(self, person_id: int, school_id: int) -> bool:
        query = (
            select(Person.id)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(
                Person.id == person_id,
                Person.school_id == school_id,
                Person.status == PersonStatus.ACTIVE,
                PersonRole.role == Role.SCHOOL_LEADER,
            )
        )
        return (await self.session.scalar(query.limit(1))) is not None

    async def admins_of_region(self, region_id: int) -> Sequence[Person]:
        query = (
            select(Person)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(
                PersonRole.role == Role.ADMIN,
                PersonRole.region_id == region_id,
                Person.status == PersonStatus.ACTIVE,
            )
            .order_by(Person.id)
            .distinct()
        )
        return (await self.session.scalars(query)).all()

    async def school_names(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        query = select(School.id, School.short_name, School.name).where(School.id.in_(wanted))
        return {sid: short or name for sid, short, name in (await self.session.execute(query))}

    async def person_names(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        query = select(Person.id, Person.full_name).where(Person.id.in_(wanted))
        return {pid: name or "—" for pid, name in (await self.session.execute(query))}

    async def pending_tasks_of(
        self, person_id: int, school_id: int | None
    ) -> Sequence[tuple[DeadlineTask, Deadline]]:
        """The person's own pending tasks and their school's, of live deadlines, by due date."""
        mine = DeadlineTask.person_id == person_id
        whose = or_(mine, DeadlineTask.school_id == school_id) if school_id is not None else mine
        query = (
            select(DeadlineTask, Deadline)
            .join(Deadline, Deadline.id == DeadlineTask.deadline_id)
            .where(
                whose,
                DeadlineTask.status == TaskStatus.PENDING,
                Deadline.removed_at.is_(None),
            )
            .order_by(Deadline.due_on, Deadline.id)
            .limit(200)
        )
        return [(task, deadline) for task, deadline in (await self.session.execute(query)).all()]
