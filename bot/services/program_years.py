"""Program years: how a municipality counts them, their bounds, and the schools that take part.

A year is named by the year it starts in: calendar 2027 is 2027-01-01…2027-12-31, school year
2027 is 2027-09-01…2028-08-31 (Ivanovo's «сентябрь 2020 – август 2021» is school year 2020).
Every KPI, deadline and board of a year reads that year's participating schools, never the
schools' current flags: the plan selects schools anew each year.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import deadline_tasks
from bot.services.scope import scope_of
from storage.models import (
    Municipality,
    Person,
    ProgramLevel,
    School,
    SchoolParticipation,
    YearKind,
)
from storage.repositories.deadlines import DeadlinesRepo
from storage.repositories.places import PlacesRepo

EARLIEST_YEAR, LATEST_YEAR = 2015, 2100
# A municipality's day when it sets no zone, for rules that run without the settings (the
# deployment's TIMEZONE defaults to the same).
DEFAULT_ZONE = "Europe/Moscow"


def zone_named(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (ValueError, KeyError):
        return ZoneInfo(DEFAULT_ZONE)


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


# --- the coordinator's «Школы программы» -------------------------------------------------------


class Mark(StrEnum):
    """What a button of the schools screen switches."""

    PART = "part"  # takes part in the year
    LOW_RESULTS = "nro"  # НРО
    CONDITIONS = "nsu"  # НСУ
    LEVEL = "level"  # regional ↔ municipal program


@dataclass(frozen=True, slots=True)
class SchoolMark:
    school_id: int
    name: str
    takes_part: bool
    low_results: bool
    unfavourable_conditions: bool
    level: ProgramLevel
    joined_on: date | None


@dataclass(frozen=True, slots=True)
class YearSchools:
    municipality_id: int
    municipality_name: str
    kind: YearKind
    year: int
    current_year: int
    starts_on: date
    ends_on: date
    schools: list[SchoolMark]

    @property
    def taking_part(self) -> int:
        return sum(1 for school in self.schools if school.takes_part)

    @property
    def years(self) -> tuple[int, int, int]:
        """The years the screen offers: the previous, the current and the next."""
        return self.current_year - 1, self.current_year, self.current_year + 1


def local_today(municipality: Municipality, default_zone: str, now: datetime | None = None) -> date:
    """Today in the municipality's zone: a year starts at its local midnight."""
    moment = now or datetime.now(UTC)
    return moment.astimezone(ZoneInfo(municipality.timezone or default_zone)).date()


async def managed_municipalities(session: AsyncSession, person: Person) -> list[Municipality]:
    """The municipalities whose schools `person` may mark: a coordinator's own, an admin's
    region's; by name."""
    scope = await scope_of(session, person)
    found = await PlacesRepo(session).municipalities_with_ids(scope.municipality_ids)
    if not found:
        raise DomainError("program.no_municipalities")
    return sorted(found, key=lambda m: m.name)


async def managed_municipality(
    session: AsyncSession, person: Person, municipality_id: int
) -> Municipality:
    """The municipality if it is `person`'s to manage; a foreign or stale id is refused."""
    scope = await scope_of(session, person)
    municipality = await PlacesRepo(session).municipality(municipality_id)
    if municipality is None or not scope.covers_municipality(municipality.id):
        raise DomainError("program.not_yours")
    return municipality


async def year_schools(
    session: AsyncSession, person: Person, municipality_id: int, year: int | None, today: date
) -> YearSchools:
    """The municipality's schools with their marks in `year` (None: the current year)."""
    municipality = await managed_municipality(session, person, municipality_id)
    kind = kind_of(municipality)
    current = year_of(kind, today)
    chosen = check_year(year) if year else current
    rows = await DeadlinesRepo(session).participations(chosen, [municipality.id])
    taking = {row.school_id: row for row in rows}
    marks = []
    for school in await PlacesRepo(session).schools(municipality.id):
        row = taking.get(school.id)
        marks.append(
            SchoolMark(
                school_id=school.id,
                name=school.short_name or school.name,
                takes_part=row is not None,
                low_results=row.low_results if row else school.low_results,
                unfavourable_conditions=(
                    row.unfavourable_conditions if row else school.unfavourable_conditions
                ),
                level=row.level if row else ProgramLevel.REGIONAL,
                joined_on=row.joined_on if row else None,
            )
        )
    starts_on, ends_on = bounds(kind, chosen)
    return YearSchools(
        municipality.id, municipality.name, kind, chosen, current, starts_on, ends_on, marks
    )


async def managed_municipality_of_school(
    session: AsyncSession, person: Person, school_id: int
) -> Municipality:
    school = await PlacesRepo(session).school(school_id)
    if school is None:
        raise DomainError("program.not_yours")
    return await managed_municipality(session, person, school.municipality_id)


def joined_on_for(kind: YearKind, year: int, today: date) -> date | None:
    """A school added once its year has begun joined mid-year, today; added ahead of the year
    (or to a past year, as a correction) it takes part the whole year."""
    starts_on, ends_on = bounds(kind, year)
    return today if starts_on < today <= ends_on else None


async def _refresh_tasks(session: AsyncSession, municipality_id: int, year: int) -> int:
    """Gives a school added to the year the tasks of the year's items for school leaders."""
    added = 0
    for deadline in await DeadlinesRepo(session).school_leader_deadlines(municipality_id, year):
        added += await deadline_tasks.fan_out(session, deadline)
    return added


async def toggle(
    session: AsyncSession, person: Person, school_id: int, year: int, mark: Mark, today: date
) -> int:
    """Switches one mark of a school in a year; returns the school's municipality id.

    A school enters a year with the categories its roster flags give it (НРО when it has
    neither: the program is first of all for schools with low results) and the regional
    program; one that leaves the year keeps the tasks it already had, done or not, for the
    board's history."""
    check_year(year)
    school = await PlacesRepo(session).school(school_id)
    if school is None:
        raise DomainError("program.not_yours")
    municipality = await managed_municipality(session, person, school.municipality_id)
    repo = DeadlinesRepo(session)
    row = await repo.participation(school.id, year)
    if mark == Mark.PART:
        if row is not None:
            await repo.remove_participation(school.id, year)
            return municipality.id
        low, conditions = school.low_results, school.unfavourable_conditions
        await set_participation(
            session,
            school,
            year,
            low_results=low or not conditions,
            unfavourable_conditions=conditions,
            level=ProgramLevel.REGIONAL,
            joined_on=joined_on_for(kind_of(municipality), year, today),
        )
        await _refresh_tasks(session, municipality.id, year)
        return municipality.id
    if row is None:
        raise DomainError("program.not_taking_part")
    low, conditions, level = row.low_results, row.unfavourable_conditions, row.level
    if mark == Mark.LOW_RESULTS:
        low = not low
    elif mark == Mark.CONDITIONS:
        conditions = not conditions
    else:
        regional = level == ProgramLevel.REGIONAL
        level = ProgramLevel.MUNICIPAL if regional else ProgramLevel.REGIONAL
    await set_participation(
        session,
        school,
        year,
        low_results=low,
        unfavourable_conditions=conditions,
        level=level,
        joined_on=row.joined_on,
    )
    return municipality.id


async def copy_from_previous(
    session: AsyncSession, person: Person, municipality_id: int, year: int
) -> int:
    """Adds last year's schools, with their categories and program, to `year`; a school
    already marked in `year` keeps its marks. They carry on, so none counts as joined
    mid-year. Returns how many were added."""
    municipality = await managed_municipality(session, person, municipality_id)
    check_year(year)
    repo = DeadlinesRepo(session)
    previous = await repo.participations(year - 1, [municipality.id])
    if not previous:
        raise DomainError("program.nothing_to_copy", year=year - 1)
    present = {row.school_id for row in await repo.participations(year, [municipality.id])}
    added = 0
    for row in previous:
        if row.school_id in present:
            continue
        session.add(
            SchoolParticipation(
                school_id=row.school_id,
                municipality_id=row.municipality_id,
                year=year,
                low_results=row.low_results,
                unfavourable_conditions=row.unfavourable_conditions,
                level=row.level,
                joined_on=None,
            )
        )
        added += 1
    await session.flush()
    if added:
        await _refresh_tasks(session, municipality.id, year)
    return added
