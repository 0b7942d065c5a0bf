"""The coordinator's consultation report: the log of the municipalities they coordinate, by
period, school and tutor, and the participating schools no consultation has reached yet.

A coordinator reads the log of the municipalities they coordinate, nothing else: every
function here checks that again, since the filter travels in a button and may be forged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services.consultations import ConsultationView, local_today, program_year, views_of
from bot.services.scope import coordinated_municipalities, municipalities_coordinated_by
from bot.services.typed_numbers import INT32_MAX, whole_number_or_none
from config.settings import Settings
from storage.models import CompetenceBlock, ConsultationFormat, Municipality, Person, School
from storage.repositories.consultations import ConsultationsRepo, LogFilter
from storage.repositories.places import PlacesRepo

PERIODS = ("month", "year", "all")


def period_bounds(period: str, today: date) -> tuple[date | None, date | None]:
    if period == "month":
        return today.replace(day=1), today
    if period == "year":
        return program_year(today)
    return None, None


@dataclass(frozen=True)
class ReportFilter:
    """What the coordinator looks at; 0 means «all schools» / «all tutors». Travels in the
    buttons as `extra`."""

    municipality_id: int
    period: str = "year"
    school_id: int = 0
    tutor_id: int = 0

    def pack(self) -> str:
        return f"{self.period}.{self.school_id}.{self.tutor_id}"

    @classmethod
    def unpack(cls, municipality_id: int, extra: str) -> ReportFilter:
        parts = extra.split(".")
        if len(parts) != 3 or parts[0] not in PERIODS:
            raise DomainError("consultations.stale_step")
        # The ids are looked up in 32-bit columns: a longer number is an old or forged button.
        school_id = whole_number_or_none(parts[1], 0, INT32_MAX)
        tutor_id = whole_number_or_none(parts[2], 0, INT32_MAX)
        if school_id is None or tutor_id is None:
            raise DomainError("consultations.stale_step")
        return cls(municipality_id, parts[0], school_id, tutor_id)

    def with_(self, **changes: Any) -> ReportFilter:
        return ReportFilter(**{**asdict(self), **changes})


@dataclass(frozen=True)
class Report:
    municipality: Municipality
    filter: ReportFilter
    since: date | None
    until: date | None
    school: School | None
    tutor: Person | None
    views: list[ConsultationView]
    participating: int
    participating_covered: int

    @property
    def count(self) -> int:
        return len(self.views)

    @property
    def hours(self) -> float:
        return round(sum(v.consultation.duration_minutes for v in self.views) / 60, 1)

    @property
    def schools_covered(self) -> int:
        return len({v.consultation.school_id for v in self.views})

    @property
    def teachers_named(self) -> int:
        return len({t.id for v in self.views for t in v.teachers})

    @property
    def whole_school(self) -> int:
        return sum(1 for v in self.views if v.consultation.whole_school)

    @property
    def by_format(self) -> list[tuple[str, int]]:
        counts = Counter(v.consultation.format.value for v in self.views)
        return [(f.value, counts[f.value]) for f in ConsultationFormat if counts[f.value]]

    @property
    def by_block(self) -> list[tuple[str, int]]:
        counts = Counter(v.consultation.block.value for v in self.views)
        return [(b.value, counts[b.value]) for b in CompetenceBlock if counts[b.value]]


@dataclass(frozen=True)
class UncoveredSchools:
    """Participating schools with no consultation in the program year `since`–`until`."""

    schools: list[School]
    since: date
    until: date


async def coordinated_municipality(
    session: AsyncSession, coordinator: Person, municipality_id: int
) -> Municipality:
    if municipality_id not in coordinated_municipalities(coordinator):
        raise DomainError("consultations.municipality_not_yours")
    municipality = await PlacesRepo(session).municipality(municipality_id)
    if municipality is None:
        raise DomainError("consultations.municipality_not_yours")
    return municipality


async def coordinator_municipalities(
    session: AsyncSession, coordinator: Person
) -> list[Municipality]:
    """The municipalities whose report the coordinator may open; none is a refusal."""
    municipalities = await municipalities_coordinated_by(session, coordinator)
    if not municipalities:
        raise DomainError("consultations.municipality_not_yours")
    return municipalities


async def report_schools(
    session: AsyncSession, coordinator: Person, municipality_id: int
) -> list[School]:
    await coordinated_municipality(session, coordinator, municipality_id)
    return list(await PlacesRepo(session).schools(municipality_id))


async def report_tutors(
    session: AsyncSession, coordinator: Person, municipality_id: int
) -> list[Person]:
    await coordinated_municipality(session, coordinator, municipality_id)
    return list(await ConsultationsRepo(session).tutors_of_municipality(municipality_id))


def participating_schools(schools: Sequence[School]) -> list[School]:
    """Schools in the program: those flagged as low results or unfavourable conditions; when
    the roster flags none, every school of the municipality counts."""
    flagged = [s for s in schools if s.low_results or s.unfavourable_conditions]
    return flagged or list(schools)


async def report_scope(
    session: AsyncSession, coordinator: Person, wanted: ReportFilter
) -> tuple[Municipality, School | None, Person | None]:
    """The municipality, school and tutor a report names, each within the coordinator's reach
    (else a DomainError): asked before an export is queued and again when it runs."""
    municipality = await coordinated_municipality(session, coordinator, wanted.municipality_id)
    school: School | None = None
    if wanted.school_id:
        school = await PlacesRepo(session).school(wanted.school_id)
        if school is None or school.municipality_id != municipality.id:
            raise DomainError("consultations.school_not_in_municipality")
    tutor: Person | None = None
    if wanted.tutor_id:
        tutors = await ConsultationsRepo(session).tutors_of_municipality(municipality.id)
        tutor = next((p for p in tutors if p.id == wanted.tutor_id), None)
        if tutor is None:
            raise DomainError("consultations.tutor_not_in_municipality")
    return municipality, school, tutor


async def build_report(
    session: AsyncSession, settings: Settings, coordinator: Person, wanted: ReportFilter
) -> Report:
    municipality, school, tutor = await report_scope(session, coordinator, wanted)
    today = await local_today(session, settings, municipality.id)
    since, until = period_bounds(wanted.period, today)
    repo = ConsultationsRepo(session)
    found = await repo.in_log(
        LogFilter(
            municipality_id=municipality.id,
            since=since,
            until=until,
            school_id=wanted.school_id or None,
            tutor_id=wanted.tutor_id or None,
        )
    )
    without = await schools_without_consultations(session, settings, coordinator, municipality.id)
    participating = participating_schools(await PlacesRepo(session).schools(municipality.id))
    return Report(
        municipality=municipality,
        filter=wanted,
        since=since,
        until=until,
        school=school,
        tutor=tutor,
        views=await views_of(session, found),
        participating=len(participating),
        participating_covered=len(participating) - len(without.schools),
    )


async def schools_without_consultations(
    session: AsyncSession, settings: Settings, coordinator: Person, municipality_id: int
) -> UncoveredSchools:
    """Participating schools with no consultation in this program year."""
    municipality = await coordinated_municipality(session, coordinator, municipality_id)
    today = await local_today(session, settings, municipality.id)
    since, until = program_year(today)
    covered = await ConsultationsRepo(session).school_ids_with_consultations(
        municipality.id, since, until
    )
    schools = participating_schools(await PlacesRepo(session).schools(municipality.id))
    return UncoveredSchools([s for s in schools if s.id not in covered], since, until)
