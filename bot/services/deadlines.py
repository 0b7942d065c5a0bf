"""A coordinator's own deadline items and the answers to every deadline's tasks.

An item is created from a `Draft` (the editor form keeps one in its data), checked here field
by field and again as a whole; it is fanned out to tasks at once. A responsible person answers
a task: «Выполнено» (with the comment or file the item asks for), or «Нужна помощь», which the
transport sends to the coordinators (to the region's admins for the coordinators' own items).
Removing an item is soft (`removed_at`): its tasks stay for the record, its reminders stop.
"""

from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import PurePosixPath
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import deadline_tasks, program_years
from bot.services.event_dates import Refusal, parse_day
from bot.services.scope import Scope, coordinators_of, scope_of
from storage.models import (
    Deadline,
    DeadlineKind,
    DeadlineTask,
    DoneBy,
    Municipality,
    Person,
    Recurrence,
    Responsible,
    Role,
    TaskStatus,
)
from storage.repositories.deadline_items import DeadlineItemsRepo
from storage.repositories.deadlines import DeadlinesRepo
from storage.repositories.places import PlacesRepo

TITLE_MAX = 300
DESCRIPTION_MAX = 2000
COMMENT_MAX = 1000
DEFAULT_REMINDERS = (14, 7, 1, 0)
REMINDER_MAX_DAYS = 60
REMINDERS_MAX = 6
# Telegram lets a bot download files up to 20 MB: a larger one could never be given back.
FILE_MAX_BYTES = 20 * 1024 * 1024
FILE_TYPES = ("pdf", "doc", "docx", "xls", "xlsx", "odt", "ods", "jpg", "jpeg", "png", "zip")
PAGE_SIZE = 8
PEOPLE_MAX = 40

_E = TypeVar("_E", bound=enum.StrEnum)


# --- the draft and its fields -------------------------------------------------------------------


@dataclass
class Draft:
    municipality_id: int = 0
    title: str = ""
    description: str | None = None
    responsible: str = Responsible.SCHOOL_LEADERS.value
    person_id: int | None = None
    starts_on: str | None = None  # ISO dates: the draft lives in JSON dialog data
    due_on: str | None = None
    reminder_days: list[int] = field(default_factory=lambda: list(DEFAULT_REMINDERS))
    recurrence: str = Recurrence.NONE.value
    done_by: str = DoneBy.CONFIRM.value

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def clean_title(text: str) -> str:
    title = " ".join(text.split())
    if not title:
        raise DomainError("dl.title_empty")
    if len(title) > TITLE_MAX:
        raise DomainError("dl.title_long", max=TITLE_MAX)
    return title


def clean_description(text: str) -> str:
    description = text.strip()
    if len(description) > DESCRIPTION_MAX:
        raise DomainError("dl.description_long", max=DESCRIPTION_MAX)
    return description


def clean_comment(text: str | None) -> str:
    comment = (text or "").strip()
    if not comment:
        raise DomainError("dl.comment_empty")
    if len(comment) > COMMENT_MAX:
        raise DomainError("dl.comment_long", max=COMMENT_MAX)
    return comment


def parse_date(text: str, today: date) -> date:
    found = parse_day(text, today)
    if isinstance(found, Refusal):
        raise DomainError(f"dl.date_{found.reason}")
    return found


def check_start(starts_on: date, today: date) -> date:
    # A start a year back is a typo: an item «from last spring» is not a plan.
    if (today - starts_on).days > 366:
        raise DomainError("dl.start_too_old")
    return starts_on


def check_due(due_on: date, starts_on: date | None, today: date) -> date:
    if due_on < today:
        raise DomainError("dl.due_past")
    if starts_on is not None and due_on < starts_on:
        raise DomainError("dl.due_before_start")
    return due_on


def parse_reminders(text: str) -> list[int]:
    """«14 7 1 0», «14, 7, 1»: days before the due date; «-» or «нет» for none."""
    raw = text.strip().lower()
    if raw in ("-", "нет", "no", "none"):
        return []
    parts = [p for p in re.split(r"[\s,;]+", raw) if p]
    if not parts or not all(p.isascii() and p.isdigit() for p in parts):
        raise DomainError("dl.reminders_unreadable")
    days = sorted({int(p) for p in parts}, reverse=True)
    if any(d > REMINDER_MAX_DAYS for d in days):
        raise DomainError("dl.reminders_range", max=REMINDER_MAX_DAYS)
    if len(days) > REMINDERS_MAX:
        raise DomainError("dl.reminders_many", max=REMINDERS_MAX)
    return days


def parse_choice(kind: type[_E], raw: str) -> _E:
    try:
        return kind(raw)
    except ValueError:
        raise DomainError("error.stale_button") from None


# --- who may manage a municipality's items ------------------------------------------------------


async def managed_municipalities(session: AsyncSession, person: Person) -> list[Municipality]:
    scope = await scope_of(session, person)
    places = PlacesRepo(session)
    found = [await places.municipality(mid) for mid in scope.municipality_ids]
    return [m for m in found if m is not None]


async def _managed(session: AsyncSession, person: Person, municipality_id: int) -> Municipality:
    scope = await scope_of(session, person)
    municipality = await PlacesRepo(session).municipality(municipality_id)
    if municipality is None or not scope.covers_municipality(municipality_id):
        raise DomainError("dl.not_found")
    return municipality


def _visible(scope: Scope, deadline: Deadline | None) -> bool:
    if deadline is None:
        return False
    if deadline.municipality_id is not None:
        return scope.covers_municipality(deadline.municipality_id)
    return deadline.region_id is not None and deadline.region_id in scope.region_ids


async def managed_deadline(session: AsyncSession, person: Person, deadline_id: int) -> Deadline:
    """A deadline the person manages (a coordinator of its municipality, an admin of its
    region); someone else's is «not found», whether it exists or not."""
    deadline = await DeadlinesRepo(session).deadline(deadline_id)
    if not _visible(await scope_of(session, person), deadline):
        raise DomainError("dl.not_found")
    assert deadline is not None
    return deadline


async def people_to_name(
    session: AsyncSession, person: Person, municipality_id: int
) -> list[tuple[int, str]]:
    await _managed(session, person, municipality_id)
    return list(await DeadlineItemsRepo(session).people_in(municipality_id, PEOPLE_MAX))


# --- creating and removing ----------------------------------------------------------------------


async def create(session: AsyncSession, person: Person, draft: Draft, today: date) -> Deadline:
    """Checks the whole draft again (the form may be old) and saves the item with its tasks."""
    municipality = await _managed(session, person, draft.municipality_id)
    title = clean_title(draft.title)
    description = clean_description(draft.description) if draft.description else None
    responsible = parse_choice(Responsible, draft.responsible)
    person_id = None
    if responsible == Responsible.PERSON:
        names = dict(await DeadlineItemsRepo(session).people_in(municipality.id, 10_000))
        if draft.person_id is None or draft.person_id not in names:
            raise DomainError("dl.person_unknown")
        person_id = draft.person_id
    if draft.starts_on is None or draft.due_on is None:
        raise DomainError("dl.dates_missing")
    starts_on = check_start(date.fromisoformat(draft.starts_on), today)
    due_on = check_due(date.fromisoformat(draft.due_on), starts_on, today)
    days = parse_reminders(" ".join(str(d) for d in draft.reminder_days) or "-")
    recurrence = parse_choice(Recurrence, draft.recurrence)
    done_by = parse_choice(DoneBy, draft.done_by)
    if done_by == DoneBy.RECORDS:
        raise DomainError("error.stale_button")  # only templates check items off from records
    kind = program_years.kind_of(municipality)
    deadline = Deadline(
        municipality_id=municipality.id,
        year=program_years.year_of(kind, due_on),
        kind=DeadlineKind.OWN,
        title=title,
        description=description,
        responsible=responsible,
        person_id=person_id,
        starts_on=starts_on,
        due_on=due_on,
        reminder_days=days,
        recurrence=recurrence,
        done_by=done_by,
        author_id=person.id,
    )
    session.add(deadline)
    await session.flush()
    await deadline_tasks.fan_out(session, deadline)
    return deadline


async def remove(session: AsyncSession, person: Person, deadline_id: int) -> Deadline:
    deadline = await managed_deadline(session, person, deadline_id)
    if deadline.removed_at is None:
        deadline.removed_at = datetime.now(UTC)
        await session.flush()
    return deadline


def _add_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


async def renew_yearly(session: AsyncSession, deadline: Deadline) -> Deadline | None:
    """Next year's copy of a yearly item whose due date has passed, made once: its origin key
    names the item it continues."""
    key = f"next:{deadline.id}"
    repo = DeadlinesRepo(session)
    if await repo.deadline_by_origin(key) is not None:
        return None
    copy = Deadline(
        municipality_id=deadline.municipality_id,
        region_id=deadline.region_id,
        year=deadline.year + 1,
        kind=deadline.kind,
        title=deadline.title,
        description=deadline.description,
        responsible=deadline.responsible,
        person_id=deadline.person_id,
        starts_on=_add_year(deadline.starts_on),
        due_on=_add_year(deadline.due_on),
        reminder_days=list(deadline.reminder_days),
        recurrence=deadline.recurrence,
        done_by=deadline.done_by,
        check=deadline.check,
        stage=deadline.stage,
        template_code=deadline.template_code,
        item_code=deadline.item_code,
        origin_key=key,
        author_id=deadline.author_id,
    )
    session.add(copy)
    await session.flush()
    await deadline_tasks.fan_out(session, copy)
    return copy


# --- answering a task ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    file_id: str
    name: str
    size: int


def check_evidence(file_id: str, name: str | None, size: int | None) -> Evidence:
    suffix = PurePosixPath(name or "").suffix.lower().lstrip(".")
    if suffix not in FILE_TYPES:
        raise DomainError("dl.file_type", types=", ".join(FILE_TYPES))
    if size is None or size > FILE_MAX_BYTES:
        raise DomainError("dl.file_large", mb=FILE_MAX_BYTES // (1024 * 1024))
    return Evidence(file_id, (name or "file")[:200], size)


class Outcome(enum.StrEnum):
    DONE = "done"
    ALREADY = "already"


@dataclass(frozen=True)
class TaskView:
    task_id: int
    deadline_id: int
    title: str
    description: str | None
    due_on: date
    done_by: DoneBy
    stage: bool
    school: str | None
    done: bool


async def _answerable(
    session: AsyncSession, person: Person, task_id: int, *, lock: bool = False
) -> tuple[DeadlineTask, Deadline]:
    """The task and its deadline, if the person is one it is for: the school's leaders for a
    school's task, the person for a person's."""
    repo = DeadlinesRepo(session)
    task = await repo.task(task_id, lock=lock)
    deadline = await repo.deadline(task.deadline_id) if task is not None else None
    if task is None or deadline is None or not await _is_for(session, person, task):
        raise DomainError("dl.not_found")
    if deadline.removed_at is not None:
        raise DomainError("dl.removed")
    return task, deadline


async def _is_for(session: AsyncSession, person: Person, task: DeadlineTask) -> bool:
    if task.person_id is not None:
        return task.person_id == person.id
    if task.school_id is not None:
        return await DeadlineItemsRepo(session).is_school_leader(person.id, task.school_id)
    return False


async def task_view(session: AsyncSession, person: Person, task_id: int) -> TaskView:
    task, deadline = await _answerable(session, person, task_id)
    names = await DeadlineItemsRepo(session).school_names(
        [task.school_id] if task.school_id else []
    )
    return _task_view(task, deadline, names)


def _task_view(task: DeadlineTask, deadline: Deadline, school_names: dict[int, str]) -> TaskView:
    return TaskView(
        task.id,
        deadline.id,
        deadline.title,
        deadline.description,
        deadline.due_on,
        deadline.done_by,
        deadline.stage is not None,
        school_names.get(task.school_id) if task.school_id else None,
        task.status == TaskStatus.DONE,
    )


async def complete(
    session: AsyncSession,
    person: Person,
    task_id: int,
    *,
    comment: str | None = None,
    file: Evidence | None = None,
) -> Outcome:
    """«Выполнено». Pressed twice: «already done», nothing written again."""
    task, deadline = await _answerable(session, person, task_id, lock=True)
    if task.status == TaskStatus.DONE:
        return Outcome.ALREADY
    if deadline.done_by == DoneBy.RECORDS:
        raise DomainError("dl.from_records")
    if deadline.done_by == DoneBy.COMMENT or comment is not None:
        comment = clean_comment(comment)
    if deadline.done_by == DoneBy.FILE and file is None:
        raise DomainError("dl.file_needed")
    task.status, task.done_at, task.done_by_id = TaskStatus.DONE, datetime.now(UTC), person.id
    task.comment = comment
    if file is not None:
        task.evidence_file_id, task.evidence_name = file.file_id, file.name
        task.evidence_size = file.size
    await session.flush()
    return Outcome.DONE


@dataclass(frozen=True)
class HelpRequest:
    """«Нужна помощь»: who asked about what, and whom to tell."""

    task_id: int
    deadline_id: int
    title: str
    due_on: date
    asker: str
    school: str | None
    recipients: list[Person]


async def request_help(session: AsyncSession, person: Person, task_id: int) -> HelpRequest:
    task, deadline = await _answerable(session, person, task_id)
    task.help_requested_at = datetime.now(UTC)
    await session.flush()
    repo = DeadlineItemsRepo(session)
    school = (
        (await repo.school_names([task.school_id])).get(task.school_id) if task.school_id else None
    )
    return HelpRequest(
        task.id,
        deadline.id,
        deadline.title,
        deadline.due_on,
        person.full_name or "—",
        school,
        await supervisors(session, deadline),
    )


async def supervisors(session: AsyncSession, deadline: Deadline) -> list[Person]:
    """Whom an item's trouble goes to: the municipality's coordinators; the region's admins
    when the item is the coordinators' own (or the region's)."""
    repo = DeadlineItemsRepo(session)
    if deadline.municipality_id is None:
        return list(await repo.admins_of_region(deadline.region_id or 0))
    if deadline.responsible == Responsible.COORDINATORS:
        municipality = await PlacesRepo(session).municipality(deadline.municipality_id)
        return list(await repo.admins_of_region(municipality.region_id if municipality else 0))
    return list(await coordinators_of(session, deadline.municipality_id))


async def my_tasks(session: AsyncSession, person: Person) -> list[TaskView]:
    """The person's pending tasks (and their school's, for a school leader)."""
    school_id = person.school_id if Role.SCHOOL_LEADER in person.role_set else None
    rows = await DeadlineItemsRepo(session).pending_tasks_of(person.id, school_id)
    names = await DeadlineItemsRepo(session).school_names(
        t.school_id for t, _ in rows if t.school_id
    )
    return [_task_view(task, deadline, names) for task, deadline in rows]


async def local_today(
    session: AsyncSession, municipality_id: int | None, default_zone: str, now: datetime
) -> date:
    """Today in the municipality's zone: a date typed there means that day there."""
    municipality = await PlacesRepo(session).municipality(municipality_id or 0)
    zone = (municipality.timezone if municipality else None) or default_zone
    return now.astimezone(ZoneInfo(zone)).date()
