"""Program years: how a municipality counts them, their bounds, and the schools that take part.

A year is named by the year it starts in: calendar 2027 is 2027-01-01…2027-12-31, school year
2027 is 2027-09-01…2028-08-31 (Ivanovo's «сентябрь 2020 – август 2021» is school year 2020).
Every KPI, deadline and board of a year reads that year's participating schools, never the
schools' current flags: the plan selects schools anew each year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from storage.models import Municipality, ProgramLevel, School, SchoolParticipation, YearKind
from storage.repositories.deadlines import DeadlinesRepo

EARLIEST_YEAR, LATEST_YEAR = 2015, 2100


def kind_of(municipality: Municipality | None) -> YearKind:
    if municipality is None:
        return YearKind.CALENDAR
    try:
        return YearKind(municipality.year_kind)
    except ValueError:
        return YearKind.CALENDAR


def bounds(kind: YearKind, year: int) -> tuple[date, date]:
    """First and last day of a program year."""
    if kind == YearKind.SCHOOL:
        return date(year, 9, 1), date(year + 1, 8, 31)
    return date(year, 1, 1), date(year, 12, 31)


def year_of(kind: YearKind, day: date) -> int:
    if kind == YearKind.SCHOOL:
        return day.year if day.month >= 9 else day.year - 1
    return day.year


def check_year(year: int) -> int:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise DomainError("program.bad_year", first=EARLIEST_YEAR, last=LATEST_YEAR)
    return year


def calendar_year_of_month(kind: YearKind, year: int, month: int) -> int:
    """The calendar year a month of program year `year` falls in (March of school year 2027
    is March 2028)."""
    if kind == YearKind.SCHOOL and month < 9:
        return year + 1
    return year


@dataclass(frozen=True, slots=True)
class Participant:
    school_id: int
    municipality_id: int
    low_results: bool
    unfavourable_conditions: bool
    level: ProgramLevel
    joined_on: date | None

    def takes_part_on(self, day: date) -> bool:
        return self.joined_on is None or self.joined_on <= day


def _participant(row: SchoolParticipation) -> Participant:
    return Participant(
        row.school_id,
        row.municipality_id,
        row.low_results,
        row.unfavourable_conditions,
        row.level,
        row.joined_on,
    )


async def participants(
    session: AsyncSession,
    year: int,
    *,
    municipality_id: int | None = None,
    region_id: int | None = None,
) -> list[Participant]:
    """The schools of a program year, in a municipality or in a whole region."""
    repo = DeadlinesRepo(session)
    if municipality_id is not None:
        ids: Sequence[int] = [municipality_id]
    elif region_id is not None:
        ids = await repo.municipality_ids_of_region(region_id)
    else:
        raise ValueError("participants need a municipality or a region")
    return [_participant(row) for row in await repo.participations(year, ids)]


async def set_participation(
    session: AsyncSession,
    school: School,
    year: int,
    *,
    low_results: bool,
    unfavourable_conditions: bool,
    level: ProgramLevel,
    joined_on: date | None = None,
) -> Participant:
    """Adds a school to a year, or updates its categories there (idempotent)."""
    check_year(year)
    if not (low_results or unfavourable_conditions):
        raise DomainError("program.no_category")
    repo = DeadlinesRepo(session)
    row = await repo.participation(school.id, year)
    if row is None:
        row = SchoolParticipation(
            school_id=school.id, municipality_id=school.municipality_id, year=year
        )
        session.add(row)
    row.low_results, row.unfavourable_conditions = low_results, unfavourable_conditions
    row.level, row.joined_on = level, joined_on
    await session.flush()
    return _participant(row)
