"""The coordinator's «🧭 Самодиагностика: итоги» over one municipality of their scope: who has
and has not taken the check this program year, the reminder to those who have not, the
school × block map, and the shares the programme reports (seed 001: teachers who passed the
diagnostics, against 100 %, Russian language and mathematics called out; teachers with
positive dynamics, against 70 %).

Every figure is one grouped query over the municipality (`storage.repositories.self_checks`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import scope
from bot.services.charts import HEAT_MAP_MAX_ROWS
from bot.services.self_check import SCENARIO_ID, block_titles, scenario
from bot.services.survey_runner import program_year
from storage.models import Municipality, Person
from storage.repositories.places import PlacesRepo
from storage.repositories.self_checks import SelfChecksRepo, TeacherRow

PASSED_TARGET = 100.0
DYNAMICS_TARGET = 70.0
# Subjects the programme's indicator names (seed 001 L450–453), matched case-blind.
CALLED_OUT_SUBJECTS = ("русский язык", "математика")
REMINDER_KIND = "self_check_reminder"
REMINDER_INTERVAL = timedelta(hours=24)
PAGE_SIZE = 30
# Schools in one heat-map picture: the most the chart draws legibly.
HEAT_MAP_ROWS = HEAT_MAP_MAX_ROWS


def share(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


async def municipalities(session: AsyncSession, person: Person) -> list[Municipality]:
    """The municipalities of the person's scope, by name."""
    reach = await scope.scope_of(session, person)
    if reach.is_empty:
        return []
    found = await PlacesRepo(session).municipalities_with_ids(list(reach.municipality_ids))
    return sorted(found, key=lambda m: m.name)


async def municipality_of(
    session: AsyncSession, person: Person, municipality_id: int
) -> Municipality:
    reach = await scope.scope_of(session, person)
    municipality = (
        await PlacesRepo(session).municipality(municipality_id)
        if reach.covers_municipality(municipality_id)
        else None
    )
    if municipality is None:
        raise DomainError("self_check.not_your_municipality")
    return municipality


def this_year(now: datetime | None = None) -> int:
    return program_year((now or datetime.now(UTC)).date())


@dataclass(frozen=True)
class SubjectShare:
    subject: str
    teachers: int
    passed: int
    percent: float
    called_out: bool


@dataclass(frozen=True)
class Summary:
    municipality: Municipality
    program_year: int
    teachers: int
    passed: int
    passed_percent: float
    subjects: list[SubjectShare]
    rechecked: int  # teachers with an entry and a final check this year
    positive: int
    positive_percent: float
    dynamics_blocks: list[str]
    passed_target: float = PASSED_TARGET
    dynamics_target: float = DYNAMICS_TARGET

    @property
    def not_passed(self) -> int:
        return self.teachers - self.passed

    @property
    def called_out(self) -> list[SubjectShare]:
        return [s for s in self.subjects if s.called_out]


async def summary(
    session: AsyncSession, person: Person, municipality_id: int, locale: str
) -> Summary:
    municipality = await municipality_of(session, person, municipality_id)
    year = this_year()
    repo = SelfChecksRepo(session)
    teachers, passed = await repo.passed_counts(municipality.id, SCENARIO_ID, year)
    subjects = [
        SubjectShare(
            subject,
            count,
            done,
            share(done, count),
            subject.casefold().strip() in CALLED_OUT_SUBJECTS,
        )
        for subject, count, done in await repo.passed_by_subject(municipality.id, SCENARIO_ID, year)
    ]
    subjects.sort(key=lambda s: (not s.called_out, s.subject))
    rule = scenario().dynamics
    sections = list(rule.sections) if rule else []
    rechecked, positive = (
        await repo.dynamics_counts(municipality.id, SCENARIO_ID, year, sections)
        if sections
        else (0, 0)
    )
    titles = block_titles(locale)
    return Summary(
        municipality=municipality,
        program_year=year,
        teachers=teachers,
        passed=passed,
        passed_percent=share(passed, teachers),
        subjects=subjects,
        rechecked=rechecked,
        positive=positive,
        positive_percent=share(positive, rechecked),
        dynamics_blocks=[titles.get(s, s) for s in sections],
    )


@dataclass(frozen=True)
class NotPassedPage:
    municipality: Municipality
    page: int
    pages: int
    total: int
    rows: list[TeacherRow]
    schools: dict[int, str]


async def not_passed(
    session: AsyncSession, person: Person, municipality_id: int, page: int
) -> NotPassedPage:
    municipality = await municipality_of(session, person, municipality_id)
    repo = SelfChecksRepo(session)
    year = this_year()
    teachers, passed = await repo.passed_counts(municipality.id, SCENARIO_ID, year)
    rows = await repo.not_passed(
        municipality.id, SCENARIO_ID, year, offset=page * PAGE_SIZE, limit=PAGE_SIZE + 1
    )
    schools = {s.id: s.label for s in await PlacesRepo(session).schools(municipality.id)}
    shown = rows[:PAGE_SIZE]
    more = len(rows) > PAGE_SIZE
    return NotPassedPage(
        municipality,
        page,
        page + 2 if more else page + 1,
        teachers - passed,
        shown,
        schools,
    )


@dataclass(frozen=True)
class Reminder:
    """Who is reminded; the recipients are queued by the caller (the outbox needs the texts)."""

    municipality: Municipality
    recipients: Sequence[Person]


async def reminder(
    session: AsyncSession, person: Person, municipality_id: int, now: datetime | None = None
) -> Reminder:
    """The teachers of the municipality the bot can reach who have no check this program year;
    refused within 24 hours of the last reminder to the municipality."""
    municipality = await municipality_of(session, person, municipality_id)
    now = now or datetime.now(UTC)
    repo = SelfChecksRepo(session)
    last = await repo.last_reminder_at(municipality.id, REMINDER_KIND)
    if last is not None:
        last = last if last.tzinfo else last.replace(tzinfo=UTC)
        if now - last < REMINDER_INTERVAL:
            raise DomainError(
                "self_check.reminded_recently",
                hours=max(1, int((REMINDER_INTERVAL - (now - last)).total_seconds() // 3600) + 1),
            )
    recipients = await repo.not_passed_people(municipality.id, SCENARIO_ID, this_year(now))
    return Reminder(municipality, recipients)


@dataclass(frozen=True)
class HeatMapPage:
    """The schools one picture holds: `first`–`last` (from 1) of `total`."""

    first: int
    last: int
    total: int
    schools: list[str]
    values: list[list[float | None]]


@dataclass(frozen=True)
class HeatMap:
    municipality: Municipality
    schools: list[str]  # every school with a check, by name
    blocks: list[str]
    values: list[list[float | None]]

    def pages(self, size: int = HEAT_MAP_ROWS) -> list[HeatMapPage]:
        """The schools in pictures of at most `size` rows, in order; none dropped."""
        total = len(self.schools)
        return [
            HeatMapPage(
                start + 1,
                min(start + size, total),
                total,
                self.schools[start : start + size],
                self.values[start : start + size],
            )
            for start in range(0, total, size)
        ]


async def heat_map(
    session: AsyncSession, person: Person, municipality_id: int, locale: str
) -> HeatMap:
    """Mean percent of each school's latest checks per block, for every school with a check
    (a big city has more than one picture holds: the caller pages them with `pages()`)."""
    municipality = await municipality_of(session, person, municipality_id)
    titles = block_titles(locale)
    order = list(titles)
    rows = await SelfChecksRepo(session).school_means(municipality.id, SCENARIO_ID)
    names: dict[int, str] = {}
    values: dict[int, list[float | None]] = {}
    for school_id, name, section_id, mean, _count in rows:
        names.setdefault(school_id, name)
        cells = values.setdefault(school_id, [None] * len(order))
        if section_id in titles:
            cells[order.index(section_id)] = round(mean, 1)
    return HeatMap(
        municipality,
        list(names.values()),
        [titles[s] for s in order],
        [values[i] for i in names],
    )
