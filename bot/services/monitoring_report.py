"""One analytical report per monitoring stage for the municipality (seed 002 L363: «Сформирован
1 аналитический отчет по каждому этапу»): how many schools submitted the self-evaluation, who
has not, the four objects' average percents over the submitted ones, and the change since the
previous stage when there is one. A school's self-evaluation for a stage is its latest one
submitted in the stage's window (`monitoring.window`); its percents are the scenario's scoring
of its answers, the same the leader sees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import monitoring, scenarios, scoring
from bot.services.monitoring_config import config
from bot.services.scope import scope_of
from storage.models import Deadline, Person
from storage.repositories.deadlines import DeadlinesRepo
from storage.repositories.monitoring import MonitoringRepo


@dataclass(frozen=True, slots=True)
class StageRef:
    deadline_id: int
    year: int
    stage: str
    title: str
    starts_on: date
    due_on: date


@dataclass(frozen=True, slots=True)
class SchoolRow:
    school_id: int
    name: str
    submitted_at: datetime | None
    percents: tuple[float | None, ...]  # per object, in the config's order, rounded
    # Unrounded, for the averages (the mean of 0 and 66.7 is 33.3, not 33.4).
    exact: tuple[float | None, ...] = ()


@dataclass(frozen=True, slots=True)
class ObjectAverage:
    title: str
    average: float | None  # None: no submitted self-evaluation scores this object
    previous: float | None

    @property
    def change(self) -> float | None:
        if self.average is None or self.previous is None:
            return None
        return round(self.average - self.previous, 1)


@dataclass(frozen=True, slots=True)
class StageReport:
    municipality: str
    stage: StageRef
    previous: StageRef | None
    total: int
    submitted: int
    objects: tuple[ObjectAverage, ...]
    schools: tuple[SchoolRow, ...]  # every school of the stage, by name

    @property
    def missing(self) -> list[str]:
        return [row.name for row in self.schools if row.submitted_at is None]

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.submitted / self.total, 1) if self.total else None


def _ref(deadline: Deadline, locale: str) -> StageRef:
    title = deadline.title
    if deadline.stage is not None:
        title = config().stage(deadline.stage).title.get(locale)
    return StageRef(
        deadline.id,
        deadline.year,
        deadline.stage.value if deadline.stage else "",
        title,
        deadline.starts_on,
        deadline.due_on,
    )


async def allowed_stage(session: AsyncSession, viewer: Person, deadline_id: int) -> Deadline:
    deadline = await monitoring.stage_deadline(session, deadline_id)
    scope = await scope_of(session, viewer)
    if not scope.covers_municipality(deadline.municipality_id):
        raise DomainError("monitoring.not_allowed")
    return deadline


async def _rows(session: AsyncSession, deadline: Deadline) -> list[SchoolRow]:
    repo = MonitoringRepo(session)
    tasks = await DeadlinesRepo(session).tasks_of([deadline.id])
    school_ids = sorted({task.school_id for task in tasks if task.school_id is not None})
    since, until = await monitoring.window(session, deadline)
    latest: dict[int, tuple[int, datetime]] = {}
    for found in await repo.submissions(config().scenario, school_ids, since, until):
        latest.setdefault(found.school_id, (found.response_id, found.submitted_at))
    answers = await repo.answers_of(response_id for response_id, _ in latest.values())
    scenario = scenarios.get(config().scenario).scenario
    sections = {section.id: section for section in scenario.sections}
    names = await repo.school_names(school_ids)
    rows = []
    for school_id in school_ids:
        submitted = latest.get(school_id)
        percents: tuple[float | None, ...] = tuple(None for _ in config().objects)
        exact = percents
        if submitted is not None:
            given = answers.get(submitted[0], {})
            results = [
                scoring.score_section(scenario, sections[o.section], given)
                for o in config().objects
            ]
            percents = tuple(r.percent if r is not None else None for r in results)
            exact = tuple(100.0 * r.score / r.max_score if r is not None else None for r in results)
        rows.append(
            SchoolRow(
                school_id,
                names.get(school_id, str(school_id)),
                submitted[1] if submitted else None,
                percents,
                exact,
            )
        )
    return sorted(rows, key=lambda row: row.name)


def _averages(rows: Sequence[SchoolRow]) -> list[float | None]:
    found: list[float | None] = []
    for index in range(len(config().objects)):
        values = [v for row in rows if (v := row.exact[index]) is not None]
        found.append(round(sum(values) / len(values), 1) if values else None)
    return found


async def _previous(session: AsyncSession, deadline: Deadline) -> Deadline | None:
    """The municipality's stage before this one (the year before's last for an entry stage)."""
    if deadline.municipality_id is None:
        return None
    earlier = [
        other
        for other in await MonitoringRepo(session).stage_deadlines(deadline.municipality_id)
        if other.starts_on < deadline.starts_on
    ]
    return earlier[-1] if earlier else None


async def stage_report(
    session: AsyncSession, viewer: Person, deadline_id: int, locale: str
) -> StageReport:
    deadline = await allowed_stage(session, viewer, deadline_id)
    rows = await _rows(session, deadline)
    submitted = [row for row in rows if row.submitted_at is not None]
    averages = _averages(submitted)
    previous = await _previous(session, deadline)
    before: list[float | None] = [None] * len(averages)
    if previous is not None:
        before = _averages([row for row in await _rows(session, previous) if row.submitted_at])
    municipality = await MonitoringRepo(session).municipality(deadline.municipality_id or 0)
    objects = tuple(
        ObjectAverage(o.title.get(locale), average, earlier)
        for o, average, earlier in zip(config().objects, averages, before, strict=True)
    )
    return StageReport(
        municipality.name if municipality else "",
        _ref(deadline, locale),
        _ref(previous, locale) if previous is not None else None,
        len(rows),
        len(submitted),
        objects,
        tuple(rows),
    )


@dataclass(frozen=True, slots=True)
class YearStages:
    municipality_id: int
    municipality: str
    year: int
    stages: tuple[StageRef, ...]


async def year_stages(
    session: AsyncSession, viewer: Person, municipality_id: int, year: int, locale: str
) -> YearStages:
    scope = await scope_of(session, viewer)
    if not scope.covers_municipality(municipality_id):
        raise DomainError("monitoring.not_allowed")
    repo = MonitoringRepo(session)
    municipality = await repo.municipality(municipality_id)
    stages = await repo.stage_deadlines(municipality_id, year)
    return YearStages(
        municipality_id,
        municipality.name if municipality else "",
        year,
        tuple(_ref(deadline, locale) for deadline in stages),
    )


async def stage_years(session: AsyncSession, viewer: Person, municipality_id: int) -> list[int]:
    scope = await scope_of(session, viewer)
    if not scope.covers_municipality(municipality_id):
        raise DomainError("monitoring.not_allowed")
    return list(await MonitoringRepo(session).stage_years([municipality_id]))
