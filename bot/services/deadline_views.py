"""What the coordinator sees of deadlines: the year's items of a municipality (overdue first,
paged) and an item's card (done of total, who asked for help, comments, evidence)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import program_years
from bot.services.deadlines import PAGE_SIZE, managed_deadline, managed_municipalities
from bot.services.scope import scope_of
from storage.models import Deadline, DoneBy, Person, TaskStatus
from storage.repositories.deadline_items import DeadlineItemsRepo
from storage.repositories.deadlines import DeadlinesRepo
from storage.repositories.places import PlacesRepo


@dataclass(frozen=True)
class ItemLine:
    deadline_id: int
    title: str
    due_on: date
    done: int
    total: int
    overdue: bool


@dataclass(frozen=True)
class ItemPage:
    municipality_id: int
    municipality: str
    year: int
    lines: list[ItemLine]
    page: int
    pages: int
    # Other municipalities the person manages (id, name), to switch to.
    others: list[tuple[int, str]]


async def item_page(
    session: AsyncSession, person: Person, municipality_id: int, page: int, today: date
) -> ItemPage:
    """The program year's live items of a municipality (its first one when 0 is asked)."""
    managed = await managed_municipalities(session, person)
    if not managed:
        raise DomainError("dl.no_municipality")
    found = next((m for m in managed if m.id == municipality_id), None)
    if municipality_id and found is None:
        raise DomainError("dl.not_found")
    municipality = found or managed[0]
    year = program_years.year_of(program_years.kind_of(municipality), today)
    repo = DeadlinesRepo(session)
    deadlines = await repo.live_deadlines(municipality_ids=[municipality.id], year=year)
    tasks = await repo.tasks_of(d.id for d in deadlines)
    counts: dict[int, list[int]] = {}
    for task in tasks:
        done_total = counts.setdefault(task.deadline_id, [0, 0])
        done_total[0] += task.status == TaskStatus.DONE
        done_total[1] += 1
    lines = []
    for deadline in deadlines:
        done, total = counts.get(deadline.id, [0, 0])
        lines.append(
            ItemLine(
                deadline.id, deadline.title, deadline.due_on, done, total,
                deadline.due_on < today and done < total,
            )
        )  # fmt: skip
    lines.sort(key=lambda line: (not line.overdue, line.due_on, line.deadline_id))
    pages = max(1, -(-len(lines) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    return ItemPage(
        municipality.id,
        municipality.name,
        year,
        lines[page * PAGE_SIZE : (page + 1) * PAGE_SIZE],
        page,
        pages,
        [(m.id, m.name) for m in managed if m.id != municipality.id],
    )


@dataclass(frozen=True)
class TaskLine:
    task_id: int
    who: str
    done: bool
    comment: str | None
    evidence: str | None
    help_requested: bool


@dataclass(frozen=True)
class ItemCard:
    deadline_id: int
    municipality_id: int
    title: str
    description: str | None
    responsible: str
    starts_on: date
    due_on: date
    reminder_days: list[int]
    recurrence: str
    done_by: str
    done: int
    total: int
    overdue: bool
    tasks: list[TaskLine]

    @property
    def helpers_asked(self) -> list[str]:
        return [t.who for t in self.tasks if t.help_requested and not t.done]


async def item_card(
    session: AsyncSession, person: Person, deadline_id: int, today: date
) -> ItemCard:
    deadline = await managed_deadline(session, person, deadline_id)
    if deadline.removed_at is not None:
        raise DomainError("dl.removed")
    return await _card(session, deadline, today)


async def _card(session: AsyncSession, deadline: Deadline, today: date) -> ItemCard:
    tasks = await DeadlinesRepo(session).tasks_of([deadline.id])
    repo = DeadlineItemsRepo(session)
    schools = await repo.school_names(t.school_id for t in tasks if t.school_id)
    people = await repo.person_names(t.person_id for t in tasks if t.person_id)
    lines = [
        TaskLine(
            task.id,
            schools.get(task.school_id or 0) or people.get(task.person_id or 0) or "—",
            task.status == TaskStatus.DONE,
            task.comment,
            task.evidence_name if task.evidence_file_id else None,
            task.help_requested_at is not None,
        )
        for task in tasks
    ]
    done = sum(line.done for line in lines)
    return ItemCard(
        deadline.id,
        deadline.municipality_id or 0,
        deadline.title,
        deadline.description,
        deadline.responsible.value,
        deadline.starts_on,
        deadline.due_on,
        list(deadline.reminder_days),
        deadline.recurrence.value,
        deadline.done_by.value,
        done,
        len(lines),
        deadline.due_on < today and done < len(lines),
        lines,
    )


@dataclass(frozen=True)
class EvidenceFile:
    file_id: str
    name: str
    who: str


async def evidence(session: AsyncSession, person: Person, task_id: int) -> EvidenceFile:
    """A task's evidence, for the coordinators of its municipality and the admins of its
    region only."""
    repo = DeadlinesRepo(session)
    task = await repo.task(task_id)
    deadline = await repo.deadline(task.deadline_id) if task is not None else None
    scope = await scope_of(session, person)
    visible = deadline is not None and (
        scope.covers_municipality(deadline.municipality_id)
        or (deadline.region_id is not None and deadline.region_id in scope.region_ids)
    )
    if task is None or not visible or not task.evidence_file_id:
        raise DomainError("dl.not_found")
    names = DeadlineItemsRepo(session)
    who = (
        (await names.school_names([task.school_id])).get(task.school_id)
        if task.school_id
        else (await names.person_names([task.person_id or 0])).get(task.person_id or 0, "—")
    )
    return EvidenceFile(task.evidence_file_id, task.evidence_name or "file", who or "—")


def needs(done_by: DoneBy) -> str | None:
    """What «Выполнено» asks for before it is taken: "comment", "file" or nothing."""
    if done_by in (DoneBy.COMMENT, DoneBy.FILE):
        return done_by.value
    return None


async def municipality_name(session: AsyncSession, municipality_id: int) -> str:
    found = await PlacesRepo(session).municipality(municipality_id)
    return found.name if found else "—"
