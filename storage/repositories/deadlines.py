"""Program years, participating schools, deadlines and their tasks: the queries every part of
the deadlines feature shares (reminders, the board, the KPI report, templates)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Deadline,
    DeadlineTask,
    Municipality,
    Person,
    PersonRole,
    PersonStatus,
    Responsible,
    Role,
    SchoolParticipation,
    TaskStatus,
)


class DeadlinesRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- participation ---------------------------------------------------------------------

    async def participations(
        self, year: int, municipality_ids: Iterable[int]
    ) -> Sequence[SchoolParticipation]:
        ids = list(municipality_ids)
        if not ids:
            return []
        query = (
            select(SchoolParticipation)
            .where(SchoolParticipation.year == year)
            .where(SchoolParticipation.municipality_id.in_(ids))
            .order_by(SchoolParticipation.school_id)
        )
        return (await self.session.scalars(query)).all()

    async def participation(self, school_id: int, year: int) -> SchoolParticipation | None:
        return await self.session.scalar(
            select(SchoolParticipation).where(
                SchoolParticipation.school_id == school_id, SchoolParticipation.year == year
            )
        )

    async def municipality_ids_of_region(self, region_id: int) -> Sequence[int]:
        query = select(Municipality.id).where(Municipality.region_id == region_id)
        return (await self.session.scalars(query)).all()

    # --- people a deadline addresses -------------------------------------------------------

    async def role_holders(self, role: Role, municipality_id: int) -> Sequence[int]:
        """Active people holding a municipality-scoped role (coordinators) or working in the
        municipality with it (tutors)."""
        query = (
            select(Person.id)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(PersonRole.role == role, Person.status == PersonStatus.ACTIVE)
        )
        if role == Role.COORDINATOR:
            query = query.where(PersonRole.municipality_id == municipality_id)
        else:
            query = query.where(Person.municipality_id == municipality_id)
        return (await self.session.scalars(query.order_by(Person.id).distinct())).all()

    async def leaders_of(self, school_ids: Iterable[int]) -> dict[int, list[int]]:
        """School id → its active leaders (the people a school's task reminds)."""
        ids = list(school_ids)
        if not ids:
            return {}
        query = (
            select(Person.school_id, Person.id)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(
                PersonRole.role == Role.SCHOOL_LEADER,
                Person.status == PersonStatus.ACTIVE,
                Person.school_id.in_(ids),
            )
            .order_by(Person.id)
        )
        found: dict[int, list[int]] = {}
        for school_id, person_id in (await self.session.execute(query)).all():
            if school_id is not None and person_id not in found.setdefault(school_id, []):
                found[school_id].append(person_id)
        return found

    # --- deadlines and tasks ---------------------------------------------------------------

    async def deadline(self, deadline_id: int) -> Deadline | None:
        return await self.session.get(Deadline, deadline_id)

    async def task(self, task_id: int, *, lock: bool = False) -> DeadlineTask | None:
        query = select(DeadlineTask).where(DeadlineTask.id == task_id)
        if lock:
            query = query.with_for_update()
        return await self.session.scalar(query)

    async def target_keys(self, deadline_id: int) -> set[str]:
        query = select(DeadlineTask.target_key).where(DeadlineTask.deadline_id == deadline_id)
        return set((await self.session.scalars(query)).all())

    async def add_tasks(self, tasks: Sequence[DeadlineTask]) -> None:
        self.session.add_all(tasks)
        await self.session.flush()

    async def deadline_by_origin(self, origin_key: str) -> Deadline | None:
        return await self.session.scalar(select(Deadline).where(Deadline.origin_key == origin_key))

    async def live_deadlines(
        self,
        *,
        municipality_ids: Iterable[int] | None = None,
        year: int | None = None,
        due_from: date | None = None,
        due_until: date | None = None,
    ) -> Sequence[Deadline]:
        query = select(Deadline).where(Deadline.removed_at.is_(None))
        if municipality_ids is not None:
            query = query.where(Deadline.municipality_id.in_(list(municipality_ids)))
        if year is not None:
            query = query.where(Deadline.year == year)
        if due_from is not None:
            query = query.where(Deadline.due_on >= due_from)
        if due_until is not None:
            query = query.where(Deadline.due_on <= due_until)
        return (await self.session.scalars(query.order_by(Deadline.due_on, Deadline.id))).all()

    async def tasks_of(
        self, deadline_ids: Iterable[int], *, pending_only: bool = False
    ) -> Sequence[DeadlineTask]:
        ids = list(deadline_ids)
        if not ids:
            return []
        query = (
            select(DeadlineTask)
            .where(DeadlineTask.deadline_id.in_(ids))
            .order_by(DeadlineTask.deadline_id, DeadlineTask.id)
        )
        if pending_only:
            query = query.where(DeadlineTask.status == TaskStatus.PENDING)
        return (await self.session.scalars(query)).all()

    # --- the program's schools screen (added with «Школы программы») ---------------------------

    async def remove_participation(self, school_id: int, year: int) -> bool:
        """Takes a school out of a year, with its pending tasks of that year's items (nothing is
        due from it any more, and the year's shares must not count it); what it did stays."""
        row = await self.participation(school_id, year)
        if row is None:
            return False
        year_items = select(Deadline.id).where(
            Deadline.year == year, Deadline.municipality_id == row.municipality_id
        )
        await self.session.execute(
            delete(DeadlineTask).where(
                DeadlineTask.school_id == school_id,
                DeadlineTask.status == TaskStatus.PENDING,
                DeadlineTask.deadline_id.in_(year_items),
            )
        )
        await self.session.delete(row)
        await self.session.flush()
        return True

    async def school_leader_deadlines(self, municipality_id: int, year: int) -> Sequence[Deadline]:
        """The year's live deadlines of a municipality that fan out to its schools' leaders."""
        query = (
            select(Deadline)
            .where(
                Deadline.removed_at.is_(None),
                Deadline.municipality_id == municipality_id,
                Deadline.year == year,
                Deadline.responsible == Responsible.SCHOOL_LEADERS,
            )
            .order_by(Deadline.id)
        )
        return (await self.session.scalars(query)).all()
