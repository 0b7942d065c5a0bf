"""Monitoring stages come ready: входной (март), промежуточный (сентябрь), итоговый (ноябрь).

For a municipality with participating schools in a program year, each stage of
`config/monitoring.yaml` becomes one deadline for the leaders of the participating schools
(a task per school), checked off from the records: the stage is done for a school when its
leader has submitted the self-evaluation (`self_eval_leader`) in the stage's window. The
deadline's `origin_key` makes creating the year's stages again a no-op, and the fan-out is run
again each time, so a school added to the year later gets the stages still due for it.

The window of a stage runs from its start day to the start of the municipality's next stage
(the last stage of a year: to the end of the program year), so a late self-evaluation still
counts for the stage it was late for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import deadline_tasks, program_years, survey_runner
from bot.services.monitoring_config import config
from storage.models import (
    Deadline,
    DeadlineKind,
    DoneBy,
    Municipality,
    Person,
    Responsible,
    Role,
)
from storage.repositories.deadlines import DeadlinesRepo
from storage.repositories.monitoring import MonitoringRepo

RECORDS_RULE = "monitoring"


def origin_key(municipality_id: int, stage: str, year: int) -> str:
    return f"{municipality_id}:monitoring:{stage}:{year}:1"


@dataclass(frozen=True, slots=True)
class Ensured:
    created: int  # stage deadlines made now
    tasks: int  # tasks added to new or existing stages


async def ensure_stages(session: AsyncSession, municipality_id: int, year: int) -> Ensured:
    """The year's stages for the municipality, made once; nothing when no school takes part."""
    program_years.check_year(year)
    repo = DeadlinesRepo(session)
    municipality = await MonitoringRepo(session).municipality(municipality_id)
    if municipality is None:
        raise DomainError("monitoring.no_municipality")
    if not await program_years.participants(session, year, municipality_id=municipality_id):
        return Ensured(0, 0)
    kind = program_years.kind_of(municipality)
    created = tasks = 0
    for stage in config().stages:
        key = origin_key(municipality_id, stage.id.value, year)
        deadline = await repo.deadline_by_origin(key)
        if deadline is None:
            starts_on, due_on = stage.dates(kind, year)
            deadline = Deadline(
                municipality_id=municipality_id,
                year=year,
                kind=DeadlineKind.MONITORING,
                title=stage.title.ru,
                description=stage.source,
                responsible=Responsible.SCHOOL_LEADERS,
                starts_on=starts_on,
                due_on=due_on,
                reminder_days=[14, 7, 1, 0],
                done_by=DoneBy.RECORDS,
                check={"records": RECORDS_RULE, "stage": stage.id.value},
                stage=stage.id,
                template_code="monitoring",
                item_code=stage.id.value,
                origin_key=key,
            )
            session.add(deadline)
            await session.flush()
            created += 1
        if deadline.removed_at is not None:
            continue  # the coordinator removed this stage: it is not made again
        tasks += await deadline_tasks.fan_out(session, deadline)
    return Ensured(created, tasks)


async def ensure_current(session: AsyncSession, today: date) -> Ensured:
    """The current program year's stages for every municipality with participants (the daily
    sweep). A municipality's current year depends on its year kind."""
    repo = MonitoringRepo(session)
    created = tasks = 0
    # A school-year municipality's current year may have started the calendar year before.
    for municipality in await repo.municipalities_taking_part([today.year - 1, today.year]):
        year = program_years.year_of(program_years.kind_of(municipality), today)
        done = await ensure_stages(session, municipality.id, year)
        created, tasks = created + done.created, tasks + done.tasks
    return Ensured(created, tasks)


def _start_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


async def window(session: AsyncSession, deadline: Deadline) -> tuple[datetime, datetime]:
    """When a self-evaluation counts for the stage: from its start to the next stage's start,
    days of the municipality's zone."""
    municipality = None
    if deadline.municipality_id is not None:
        municipality = await MonitoringRepo(session).municipality(deadline.municipality_id)
    kind = program_years.kind_of(municipality)
    zone = program_years.zone_named(municipality.timezone if municipality else None)
    _, year_end = program_years.bounds(kind, deadline.year)
    until = _start_of(year_end + timedelta(days=1), zone)
    if deadline.municipality_id is not None:
        for other in await MonitoringRepo(session).stage_deadlines(deadline.municipality_id):
            if other.starts_on > deadline.starts_on:
                until = min(until, _start_of(other.starts_on, zone))
                break
    return _start_of(deadline.starts_on, zone), until


async def stage_deadline(session: AsyncSession, deadline_id: int) -> Deadline:
    deadline = await DeadlinesRepo(session).deadline(deadline_id)
    if deadline is None or deadline.kind != DeadlineKind.MONITORING or deadline.removed_at:
        raise DomainError("monitoring.stage_gone")
    return deadline


async def begin_stage(session: AsyncSession, person: Person, task_id: int) -> int:
    """The leader's self-evaluation for a stage task: the unfinished response or a new one.
    Only a leader of the task's school may."""
    task = await DeadlinesRepo(session).task(task_id)
    if task is None:
        raise DomainError("monitoring.stage_gone")
    deadline = await stage_deadline(session, task.deadline_id)
    if (
        task.school_id is None
        or person.school_id != task.school_id
        or Role.SCHOOL_LEADER not in person.role_set
    ):
        raise DomainError("monitoring.not_your_school")
    if deadline.municipality_id != person.municipality_id:
        raise DomainError("monitoring.not_your_school")
    return await survey_runner.begin(session, person, person.role_set, config().scenario)


def current_year(municipality: Municipality | None, today: date) -> int:
    return program_years.year_of(program_years.kind_of(municipality), today)
