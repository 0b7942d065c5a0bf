"""The status board's queries: a year's live deadlines of some municipalities with their tasks
counted by state, per deadline, per school or person, and per municipality — each one query
with GROUP BY, never a query per cell — and the grid's cells for the picture.

A task is «done» when marked done on or before its due day, «late» when marked done after,
«overdue» when still pending after its due day and «pending» otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Deadline,
    DeadlineKind,
    DeadlineTask,
    Municipality,
    Person,
    School,
    TaskStatus,
)


@dataclass(frozen=True, slots=True)
class Counts:
    done: int = 0
    late: int = 0
    overdue: int = 0
    pending: int = 0

    @property
    def total(self) -> int:
        return self.done + self.late + self.overdue + self.pending

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.done + other.done,
            self.late + other.late,
            self.overdue + other.overdue,
            self.pending + other.pending,
        )


@dataclass(frozen=True, slots=True)
class DeadlineCounts:
    deadline_id: int
    municipality_id: int | None
    title: str
    item_code: str | None
    kind: DeadlineKind
    due_on: date
    counts: Counts


@dataclass(frozen=True, slots=True)
class TargetCounts:
    target_key: str
    school_id: int | None
    person_id: int | None
    counts: Counts


@dataclass(frozen=True, slots=True)
class Cell:
    deadline_id: int
    target_key: str
    state: str  # done / late / overdue / pending


def _states(today: date) -> tuple[ColumnElement[int], ...]:
    is_done = DeadlineTask.status == TaskStatus.DONE
    on_time = func.date(DeadlineTask.done_at) <= func.date(Deadline.due_on)
    pending = DeadlineTask.status == TaskStatus.PENDING
    return (
        func.sum(case((and_(is_done, on_time), 1), else_=0)),
        func.sum(case((and_(is_done, ~on_time), 1), else_=0)),
        func.sum(case((and_(pending, Deadline.due_on < today), 1), else_=0)),
        func.sum(case((and_(pending, Deadline.due_on >= today), 1), else_=0)),
    )


def _counts(row: Sequence[int | None]) -> Counts:
    done, late, overdue, pending = (int(value or 0) for value in row)
    return Counts(done, late, overdue, pending)


class StatusBoardRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _scoped(
        municipality_ids: Iterable[int], year: int, kind: DeadlineKind | None
    ) -> list[ColumnElement[bool]]:
        """The deadlines a board reads: live, of the year, in the municipalities."""
        conditions = [
            Deadline.municipality_id.in_(list(municipality_ids)),
            Deadline.year == year,
            Deadline.removed_at.is_(None),
        ]
        if kind is not None:
            conditions.append(Deadline.kind == kind)
        return conditions

    async def by_deadline(
        self, municipality_ids: Iterable[int], year: int, today: date, kind: DeadlineKind | None
    ) -> list[DeadlineCounts]:
        query = (
            select(
                Deadline.id,
                Deadline.municipality_id,
                Deadline.title,
                Deadline.item_code,
                Deadline.kind,
                Deadline.due_on,
                *_states(today),
            )
            .select_from(Deadline)
            .outerjoin(DeadlineTask, DeadlineTask.deadline_id == Deadline.id)
            .group_by(
                Deadline.id,
                Deadline.municipality_id,
                Deadline.title,
                Deadline.item_code,
                Deadline.kind,
                Deadline.due_on,
            )
            .order_by(Deadline.due_on, Deadline.id)
        )
        rows = (
            await self.session.execute(query.where(*self._scoped(municipality_ids, year, kind)))
        ).all()
        return [
            DeadlineCounts(row[0], row[1], row[2], row[3], row[4], row[5], _counts(row[6:]))
            for row in rows
        ]

    async def by_target(
        self, municipality_ids: Iterable[int], year: int, today: date, kind: DeadlineKind | None
    ) -> list[TargetCounts]:
        query = (
            select(
                DeadlineTask.target_key,
                DeadlineTask.school_id,
                DeadlineTask.person_id,
                *_states(today),
            )
            .select_from(DeadlineTask)
            .join(Deadline, Deadline.id == DeadlineTask.deadline_id)
            .group_by(DeadlineTask.target_key, DeadlineTask.school_id, DeadlineTask.person_id)
        )
        rows = (
            await self.session.execute(query.where(*self._scoped(municipality_ids, year, kind)))
        ).all()
        return [TargetCounts(row[0], row[1], row[2], _counts(row[3:])) for row in rows]

    async def by_municipality(
        self, municipality_ids: Iterable[int], year: int, today: date
    ) -> dict[int, Counts]:
        query = (
            select(Deadline.municipality_id, *_states(today))
            .select_from(DeadlineTask)
            .join(Deadline, Deadline.id == DeadlineTask.deadline_id)
            .group_by(Deadline.municipality_id)
        )
        rows = (
            await self.session.execute(query.where(*self._scoped(municipality_ids, year, None)))
        ).all()
        return {row[0]: _counts(row[1:]) for row in rows if row[0] is not None}

    async def cells(
        self, municipality_ids: Iterable[int], year: int, today: date, kind: DeadlineKind | None
    ) -> list[Cell]:
        """Every task's state (the picture's grid): one row per task, states worked out in SQL."""
        is_done = DeadlineTask.status == TaskStatus.DONE
        on_time = func.date(DeadlineTask.done_at) <= func.date(Deadline.due_on)
        state = case(
            (and_(is_done, on_time), "done"),
            (is_done, "late"),
            (Deadline.due_on < today, "overdue"),
            else_="pending",
        )
        query = (
            select(DeadlineTask.deadline_id, DeadlineTask.target_key, state)
            .select_from(DeadlineTask)
            .join(Deadline, Deadline.id == DeadlineTask.deadline_id)
        )
        rows = (
            await self.session.execute(query.where(*self._scoped(municipality_ids, year, kind)))
        ).all()
        return [Cell(row[0], row[1], row[2]) for row in rows]

    async def school_names(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = list(ids)
        if not wanted:
            return {}
        query = select(School.id, School.short_name, School.name).where(School.id.in_(wanted))
        return {i: short or name for i, short, name in (await self.session.execute(query)).all()}

    async def person_names(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = list(ids)
        if not wanted:
            return {}
        query = select(Person.id, Person.full_name).where(Person.id.in_(wanted))
        return {i: name or "" for i, name in (await self.session.execute(query)).all()}

    async def municipality_names(self, ids: Iterable[int]) -> dict[int, str]:
        wanted = list(ids)
        if not wanted:
            return {}
        query = select(Municipality.id, Municipality.name).where(Municipality.id.in_(wanted))
        return {i: name for i, name in (await self.session.execute(query)).all()}

    async def overdue_targets(
        self, deadline_ids: Iterable[int], today: date
    ) -> list[tuple[int, str, int | None, int | None]]:
        """(deadline, target key, school, person) of the overdue tasks of some deadlines."""
        wanted = list(deadline_ids)
        if not wanted:
            return []
        query = (
            select(
                DeadlineTask.deadline_id,
                DeadlineTask.target_key,
                DeadlineTask.school_id,
                DeadlineTask.person_id,
            )
            .join(Deadline, Deadline.id == DeadlineTask.deadline_id)
            .where(
                DeadlineTask.deadline_id.in_(wanted),
                DeadlineTask.status == TaskStatus.PENDING,
                Deadline.due_on < today,
            )
            .order_by(DeadlineTask.deadline_id, DeadlineTask.id)
        )
        return [(r[0], r[1], r[2], r[3]) for r in (await self.session.execute(query)).all()]
