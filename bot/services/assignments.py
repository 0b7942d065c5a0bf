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
from storage.repositories.places import PlacesRepo


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
    tutors = {p.id: p for p in await AssignmentsRepo(session).people(tutor_ids)}
    places = PlacesRepo(session)
    result: list[TutorOfTeacher] = []
    for tutor_id in tutor_ids:
        tutor = tutors.get(tutor_id)
        if tutor is None:
            continue
        school = await places.school(tutor.school_id) if tutor.school_id else None
        result.append(TutorOfTeacher(tutor=tutor, school=school))
    return result


async def assigned_to(
    session: AsyncSession, tutor: Person, today: date | None = None
) -> AssignedPeople:
    repo = AssignmentsRepo(session)
    assignments = await repo.active_of_tutor(tutor.id, _today(today))
    teacher_ids = list(dict.fromkeys(a.teacher_id for a in assignments if a.teacher_id))
    school_ids = list(dict.fromkeys(a.school_id for a in assignments if a.school_id))
    schools = list(await repo.schools(school_ids))
    school_teachers: dict[int, list[Person]] = {school.id: [] for school in schools}
    for teacher in await repo.teachers_of_schools(school_ids):
        if teacher.school_id is not None:
            school_teachers[teacher.school_id].append(teacher)
    return AssignedPeople(
        direct_teachers=list(await repo.people(teacher_ids)),
        schools=schools,
        school_teachers=school_teachers,
    )


async def schools_by_id(session: AsyncSession, school_ids: set[int]) -> dict[int, School]:
    return {
        school.id: school for school in await AssignmentsRepo(session).schools(list(school_ids))
    }
