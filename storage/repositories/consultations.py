"""The consultation log: `Consultation` rows and the teachers each was held with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import raiseload

from storage.models import (
    Consultation,
    ConsultationTeacher,
    Person,
    PersonRole,
    PersonStatus,
    Role,
    School,
    Thread,
)


@dataclass(frozen=True)
class LogFilter:
    """Which part of a municipality's log to read; None means «any»."""

    municipality_id: int
    since: date | None = None
    until: date | None = None
    school_id: int | None = None
    tutor_id: int | None = None


class ConsultationsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, consultation: Consultation, teacher_ids: Sequence[int]) -> Consultation:
        self.session.add(consultation)
        await self.session.flush()
        self.session.add_all(
            ConsultationTeacher(consultation_id=consultation.id, teacher_id=teacher_id)
            for teacher_id in dict.fromkeys(teacher_ids)
        )
        await self.session.flush()
        return consultation

    async def get(self, consultation_id: int) -> Consultation | None:
        return await self.session.get(Consultation, consultation_id)

    async def remove(self, consultation: Consultation) -> None:
        await self.session.execute(
            delete(ConsultationTeacher).where(
                ConsultationTeacher.consultation_id == consultation.id
            )
        )
        await self.session.delete(consultation)
        await self.session.flush()

    async def teachers_of(self, consultation_ids: Sequence[int]) -> dict[int, list[Person]]:
        """The named teachers of each consultation (whole-school entries have none), shown by
        name: their roles and subjects are not loaded."""
        result: dict[int, list[Person]] = {i: [] for i in consultation_ids}
        if not consultation_ids:
            return result
        rows = await self.session.execute(
            select(ConsultationTeacher.consultation_id, Person)
            .join(Person, Person.id == ConsultationTeacher.teacher_id)
            .where(ConsultationTeacher.consultation_id.in_(consultation_ids))
            .options(raiseload(Person.roles), raiseload(Person.subjects))
            .order_by(Person.full_name, Person.id)
        )
        for consultation_id, teacher in rows:
            result[consultation_id].append(teacher)
        return result

    async def of_tutor(
        self, tutor_id: int, since: date, until: date, limit: int
    ) -> Sequence[Consultation]:
        return (
            await self.session.scalars(
                select(Consultation)
                .where(
                    Consultation.tutor_id == tutor_id,
                    Consultation.held_on >= since,
                    Consultation.held_on <= until,
                )
                .order_by(Consultation.held_on.desc(), Consultation.id.desc())
                .limit(limit)
            )
        ).all()

    async def with_teacher(
        self, teacher_id: int, school_id: int | None, limit: int
    ) -> Sequence[Consultation]:
        """Held with the teacher by name, or with the whole team of the teacher's school."""
        named = select(ConsultationTeacher.consultation_id).where(
            ConsultationTeacher.teacher_id == teacher_id
        )
        conditions: list[ColumnElement[bool]] = [Consultation.id.in_(named)]
        if school_id is not None:
            conditions.append(
                Consultation.whole_school.is_(True) & (Consultation.school_id == school_id)
            )
        return (
            await self.session.scalars(
                select(Consultation)
                .where(or_(*conditions))
                .order_by(Consultation.held_on.desc(), Consultation.id.desc())
                .limit(limit)
            )
        ).all()

    async def in_log(self, log: LogFilter) -> Sequence[Consultation]:
        query = select(Consultation).where(Consultation.municipality_id == log.municipality_id)
        if log.since is not None:
            query = query.where(Consultation.held_on >= log.since)
        if log.until is not None:
            query = query.where(Consultation.held_on <= log.until)
        if log.school_id is not None:
            query = query.where(Consultation.school_id == log.school_id)
        if log.tutor_id is not None:
            query = query.where(Consultation.tutor_id == log.tutor_id)
        return (
            await self.session.scalars(query.order_by(Consultation.held_on, Consultation.id))
        ).all()

    async def school_ids_with_consultations(
        self, municipality_id: int, since: date, until: date
    ) -> set[int]:
        rows = await self.session.scalars(
            select(Consultation.school_id)
            .where(
                Consultation.municipality_id == municipality_id,
                Consultation.held_on >= since,
                Consultation.held_on <= until,
            )
            .distinct()
        )
        return set(rows)

    async def tutors_of_municipality(self, municipality_id: int) -> Sequence[Person]:
        """Tutors who work in the municipality or have logged consultations in it."""
        logged = select(Consultation.tutor_id).where(
            Consultation.municipality_id == municipality_id
        )
        tutors = select(PersonRole.person_id).where(PersonRole.role == Role.TUTOR)
        return (
            await self.session.scalars(
                select(Person)
                .where(
                    Person.id.in_(tutors),
                    or_(Person.municipality_id == municipality_id, Person.id.in_(logged)),
                    Person.status != PersonStatus.FORGOTTEN,
                )
                .order_by(Person.full_name, Person.id)
            )
        ).all()

    async def people(self, person_ids: Sequence[int]) -> dict[int, Person]:
        """People shown by name: their roles and subjects are not loaded."""
        if not person_ids:
            return {}
        found = await self.session.scalars(
            select(Person)
            .where(Person.id.in_(person_ids))
            .options(raiseload(Person.roles), raiseload(Person.subjects))
        )
        return {p.id: p for p in found}

    async def schools(self, school_ids: Sequence[int]) -> dict[int, School]:
        if not school_ids:
            return {}
        found = await self.session.scalars(select(School).where(School.id.in_(school_ids)))
        return {s.id: s for s in found}

    async def thread(self, thread_id: int) -> Thread | None:
        return await self.session.get(Thread, thread_id)
