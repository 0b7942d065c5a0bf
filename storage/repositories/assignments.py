"""Who tutors whom: `TutorAssignment` rows, to one teacher or to a whole school."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, raiseload

from storage.models import Person, PersonRole, PersonStatus, Role, School, TutorAssignment


def _active_on(day: date) -> ColumnElement[bool]:
    return (TutorAssignment.starts_on <= day) & or_(
        TutorAssignment.ends_on.is_(None), TutorAssignment.ends_on >= day
    )


class AssignmentsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active_for_teacher(self, teacher_id: int, day: date) -> Sequence[TutorAssignment]:
        """Assignments made to this teacher personally."""
        return (
            await self.session.scalars(
                select(TutorAssignment)
                .where(TutorAssignment.teacher_id == teacher_id, _active_on(day))
                .order_by(TutorAssignment.starts_on, TutorAssignment.id)
            )
        ).all()

    async def active_for_school(self, school_id: int, day: date) -> Sequence[TutorAssignment]:
        """Assignments made to a whole school."""
        return (
            await self.session.scalars(
                select(TutorAssignment)
                .where(TutorAssignment.school_id == school_id, _active_on(day))
                .order_by(TutorAssignment.starts_on, TutorAssignment.id)
            )
        ).all()

    async def active_of_tutor(self, tutor_id: int, day: date) -> Sequence[TutorAssignment]:
        return (
            await self.session.scalars(
                select(TutorAssignment)
                .where(TutorAssignment.tutor_id == tutor_id, _active_on(day))
                .order_by(TutorAssignment.id)
            )
        ).all()

    async def involving(self, person_id: int) -> Sequence[TutorAssignment]:
        """Every assignment, past or present, where the person is the tutor or the teacher."""
        return (
            await self.session.scalars(
                select(TutorAssignment)
                .where(
                    or_(
                        TutorAssignment.tutor_id == person_id,
                        TutorAssignment.teacher_id == person_id,
                    )
                )
                .order_by(TutorAssignment.id)
            )
        ).all()

    async def people(self, person_ids: Sequence[int]) -> Sequence[Person]:
        """People by id, leaving out anyone who used /forget (nothing to show of them).

        Shown by name and school only: their roles and subjects are not loaded (reading them
        raises, so a new use of them is noticed and loads them on purpose)."""
        if not person_ids:
            return []
        return (
            await self.session.scalars(
                select(Person)
                .where(Person.id.in_(person_ids), Person.status != PersonStatus.FORGOTTEN)
                .options(raiseload(Person.roles), raiseload(Person.subjects))
                .order_by(Person.full_name, Person.id)
            )
        ).all()

    async def teachers(
        self, person_ids: Sequence[int], school_ids: Sequence[int]
    ) -> Sequence[Person]:
        """These people and the teachers of these schools, with subjects, in one query."""
        if not person_ids and not school_ids:
            return []
        is_teacher = select(PersonRole.person_id).where(PersonRole.role == Role.TEACHER)
        result = await self.session.scalars(
            select(Person)
            .where(
                or_(
                    Person.id.in_(person_ids),
                    and_(Person.school_id.in_(school_ids), Person.id.in_(is_teacher)),
                ),
                Person.status != PersonStatus.FORGOTTEN,
            )
            .options(raiseload(Person.roles), joinedload(Person.subjects))
            .order_by(Person.full_name, Person.id)
        )
        return result.unique().all()

    async def schools(self, school_ids: Sequence[int]) -> Sequence[School]:
        if not school_ids:
            return []
        return (
            await self.session.scalars(
                select(School).where(School.id.in_(school_ids)).order_by(School.name)
            )
        ).all()

    async def schools_of_tutor(self, tutor_id: int, day: date) -> Sequence[School]:
        """Schools assigned to the tutor as a whole (first), then the schools of teachers
        assigned to them personally, in one query."""
        active = (
            select(TutorAssignment.school_id, TutorAssignment.teacher_id)
            .where(TutorAssignment.tutor_id == tutor_id, _active_on(day))
            .subquery()
        )
        whole = select(active.c.school_id).where(active.c.school_id.is_not(None))
        of_teachers = (
            select(Person.school_id)
            .join(active, active.c.teacher_id == Person.id)
            .where(Person.status != PersonStatus.FORGOTTEN)
        )
        assigned_whole = School.id.in_(whole)
        return (
            await self.session.scalars(
                select(School)
                .where(or_(assigned_whole, School.id.in_(of_teachers)))
                .order_by(assigned_whole.desc(), School.name, School.id)
            )
        ).all()

    async def teachers_of_schools(self, school_ids: Sequence[int]) -> Sequence[Person]:
        """Teachers working at these schools, forgotten people left out."""
        if not school_ids:
            return []
        teachers = select(PersonRole.person_id).where(PersonRole.role == Role.TEACHER)
        return (
            await self.session.scalars(
                select(Person)
                .where(
                    Person.school_id.in_(school_ids),
                    Person.id.in_(teachers),
                    Person.status != PersonStatus.FORGOTTEN,
                )
                .order_by(Person.full_name, Person.id)
            )
        ).all()
