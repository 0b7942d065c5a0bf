"""A coordinator's own deadline items and the answers to them: who may be named responsible,
whose tasks are whose, the names a card shows, and who is told of a help request."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Deadline,
    DeadlineReminder,
    DeadlineTask,
    DigestSent,
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

    # --- the person's own traces (/mydata, /forget) -----------------------------------------

    async def answered_by(self, person_id: int) -> Sequence[tuple[DeadlineTask, Deadline]]:
        """Tasks the person answered, asked help on, or holds by name."""
        query = (
            select(DeadlineTask, Deadline)
            .join(Deadline, Deadline.id == DeadlineTask.deadline_id)
            .where(or_(DeadlineTask.done_by_id == person_id, DeadlineTask.person_id == person_id))
            .order_by(Deadline.due_on, DeadlineTask.id)
        )
        return [(task, deadline) for task, deadline in (await self.session.execute(query)).all()]

    async def forget_answers(self, person_id: int) -> None:
        """The person's own words go (a comment; the evidence file's name, which often carries
        a name); the answer itself stays, unattributed: the item is the school's, and the
        coordinator's record that it was done (with the file) must not vanish. Tasks held by
        the person by name and not done are dropped: nobody is left to do them."""
        await self.session.execute(
            update(DeadlineTask)
            .where(DeadlineTask.done_by_id == person_id)
            .values(
                done_by_id=None,
                comment=None,
                evidence_name=case(
                    (DeadlineTask.evidence_file_id.is_not(None), "evidence"), else_=None
                ),
            )
        )
        await self.session.execute(
            delete(DeadlineTask).where(
                DeadlineTask.person_id == person_id, DeadlineTask.status == TaskStatus.PENDING
            )
        )
        await self.session.execute(
            delete(DeadlineReminder).where(DeadlineReminder.person_id == person_id)
        )
        await self.session.execute(delete(DigestSent).where(DigestSent.person_id == person_id))
