"""Who is whose tutor.

A tutor is assigned either to a teacher personally or to a whole school (then to each of its
teachers). An assignment counts while `starts_on <= today` and it has not ended. A personal
assignment wins over the school's: a teacher with their own tutor is not also sent to the
school's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, School, TutorAssignment
from storage.repositories.assignments import AssignmentsRepo


@dataclass(frozen=True)
class TutorOfTeacher:
    """A tutor as their teacher sees them: a name and a school, never a phone."""

    tutor: Person
    school: School | None


@dataclass(frozen=True)
class AssignedPeople:
    """Everyone a tutor looks after: teachers assigned personally and whole schools."""

    direct_teachers: list[Person] = field(default_factory=list)
    schools: list[School] = field(default_factory=list)
    school_teachers: dict[int, list[Person]] = field(default_factory=dict)
    # Every school named on the screen (assigned ones and the direct teachers'), by id.
    school_by_id: dict[int, School] = field(default_factory=dict)

    @property
    def teachers(self) -> list[Person]:
        """Every teacher once, the personally assigned first."""
        seen: set[int] = set()
        result: list[Person] = []
        for teacher in [*self.direct_teachers, *self._school_teachers_in_order()]:
            if teacher.id not in seen:
                seen.add(teacher.id)
                result.append(teacher)
        return result

    def _school_teachers_in_order(self) -> list[Person]:
        return [t for school in self.schools for t in self.school_teachers.get(school.id, [])]


def _today(today: date | None) -> date:
    return today or date.today()


async def active_assignments_of(
    session: AsyncSession, teacher: Person, today: date | None = None
) -> list[TutorAssignment]:
    """The teacher's own assignments, else those of the teacher's school."""
    repo = AssignmentsRepo(session)
    day = _today(today)
    own = await repo.active_for_teacher(teacher.id, day)
    if own:
        return list(own)
    if teacher.school_id is None:
        return []
    return list(await repo.active_for_school(teacher.school_id, day))


async def tutors_of(
    session: AsyncSession, teacher: Person, today: date | None = None
) -> list[TutorOfTeacher]:
    assignments = await active_assignments_of(session, teacher, today)
    tutor_ids = list(dict.fromkeys(a.tutor_id for a in assignments))
    repo = AssignmentsRepo(session)
    tutors = {p.id: p for p in await repo.people(tutor_ids)}
    schools = {
        school.id: school
        for school in await repo.schools([t.school_id for t in tutors.values() if t.school_id])
    }
    return [
        TutorOfTeacher(
            tutor=tutors[tutor_id],
            school=schools.get(tutors[tutor_id].school_id or 0),
        )
        for tutor_id in tutor_ids
        if tutor_id in tutors
    ]


async def assigned_to(
    session: AsyncSession, tutor: Person, today: date | None = None
) -> AssignedPeople:
    repo = AssignmentsRepo(session)
    assignments = await repo.active_of_tutor(tutor.id, _today(today))
    teacher_ids = list(dict.fromkeys(a.teacher_id for a in assignments if a.teacher_id))
    school_ids = list(dict.fromkeys(a.school_id for a in assignments if a.school_id))
    everyone = await repo.teachers(teacher_ids, school_ids)
    shown_school_ids = set(school_ids) | {t.school_id for t in everyone if t.school_id}
    school_by_id = {school.id: school for school in await repo.schools(list(shown_school_ids))}
    schools = sorted(
        (school_by_id[i] for i in school_ids if i in school_by_id), key=lambda s: s.name
    )
    school_teachers: dict[int, list[Person]] = {school.id: [] for school in schools}
    direct = set(teacher_ids)
    for teacher in everyone:
        # Personally assigned people are teachers too, so they count in their school's list.
        if teacher.school_id in school_teachers:
            school_teachers[teacher.school_id].append(teacher)
    return AssignedPeople(
        direct_teachers=[t for t in everyone if t.id in direct],
        schools=schools,
        school_teachers=school_teachers,
        school_by_id=school_by_id,
    )
