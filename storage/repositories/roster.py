"""Roster import queries: a municipality's people loaded in a few set queries, bulk writes.

A region's roster is tens of thousands of rows, so nothing here runs a query per person.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.models import (
    Person,
    PersonRole,
    PersonStatus,
    PersonSubject,
    Role,
    RosterUpload,
    School,
    TutorAssignment,
)

# Core tables for the bulk inserts: the ORM's per-row bookkeeping costs more than the insert.
people_table = cast(Table, Person.__table__)
grants_table = cast(Table, PersonRole.__table__)
subjects_table = cast(Table, PersonSubject.__table__)
assignments_table = cast(Table, TutorAssignment.__table__)


@dataclass
class KnownPerson:
    id: int
    full_name: str
    phone: str | None
    school_id: int | None
    municipality_id: int | None
    grants: set[tuple[Role, int | None]] = field(default_factory=set)
    subjects: set[str] = field(default_factory=set)


class RosterRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- uploads ----------------------------------------------------------------------------
    async def add_upload(self, upload: RosterUpload) -> RosterUpload:
        self.session.add(upload)
        await self.session.flush()
        return upload

    async def upload(self, upload_id: int) -> RosterUpload | None:
        return await self.session.get(RosterUpload, upload_id)

    async def delete_upload(self, upload: RosterUpload) -> None:
        await self.session.delete(upload)
        await self.session.flush()

    async def mark_applied(self, upload_id: int, moment: datetime) -> bool:
        """False when the upload is gone or was applied already (by a concurrent apply).

        The file's content (names and phones) is dropped here: once applied, the people are in
        their tables and the file is not needed again. The row stays a while, so a second press
        on «Применить» is told the file was applied."""
        result = await self.session.execute(
            update(RosterUpload)
            .where(RosterUpload.id == upload_id, RosterUpload.applied_at.is_(None))
            .values(applied_at=moment, content=b"")
        )
        return bool(getattr(result, "rowcount", 0))

    async def unapplied_uploads(self) -> Sequence[RosterUpload]:
        """Files checked and not applied (housekeeping drops them within days)."""
        result = await self.session.scalars(
            select(RosterUpload).where(RosterUpload.applied_at.is_(None)).order_by(RosterUpload.id)
        )
        return result.all()

    # --- what the municipality already has --------------------------------------------------
    async def schools(self, municipality_id: int) -> Sequence[School]:
        result = await self.session.scalars(
            select(School).where(School.municipality_id == municipality_id).order_by(School.id)
        )
        return result.all()

    async def people(self, municipality_id: int) -> dict[int, KnownPerson]:
        """Everyone living in the municipality or coordinating it (forgotten people excluded)."""
        coordinators = select(PersonRole.person_id).where(
            PersonRole.role == Role.COORDINATOR, PersonRole.municipality_id == municipality_id
        )
        scope = or_(Person.municipality_id == municipality_id, Person.id.in_(coordinators))
        live = Person.status != PersonStatus.FORGOTTEN
        rows = await self.session.execute(
            select(
                Person.id,
                Person.full_name,
                Person.phone,
                Person.school_id,
                Person.municipality_id,
            )
            .where(scope, live)
            .order_by(Person.id)
        )
        people = {
            row.id: KnownPerson(
                id=row.id,
                full_name=row.full_name or "",
                phone=row.phone,
                school_id=row.school_id,
                municipality_id=row.municipality_id,
            )
            for row in rows
        }
        grants = await self.session.execute(
            select(PersonRole.person_id, PersonRole.role, PersonRole.municipality_id)
            .join(Person, Person.id == PersonRole.person_id)
            .where(scope, live)
        )
        for person_id, role, grant_municipality in grants:
            people[person_id].grants.add((role, grant_municipality))
        subjects = await self.session.execute(
            select(PersonSubject.person_id, PersonSubject.subject)
            .join(Person, Person.id == PersonSubject.person_id)
            .where(scope, live)
        )
        for person_id, subject in subjects:
            people[person_id].subjects.add(subject)
        return people

    async def active_assignments(self, municipality_id: int, today: date) -> set[tuple[int, int]]:
        """(tutor, teacher) pairs in force today for teachers of the municipality."""
        rows = await self.session.execute(
            select(TutorAssignment.tutor_id, TutorAssignment.teacher_id)
            .join(Person, Person.id == TutorAssignment.teacher_id)
            .where(
                Person.municipality_id == municipality_id,
                or_(TutorAssignment.ends_on.is_(None), TutorAssignment.ends_on >= today),
            )
        )
        return {(tutor_id, teacher_id) for tutor_id, teacher_id in rows if teacher_id}

    # --- bulk writes ------------------------------------------------------------------------
    async def insert_schools(self, rows: list[dict[str, Any]]) -> None:
        """A school of the same name written meanwhile by a concurrent apply is kept, not
        written again (the caller reads the schools back for their ids)."""
        if rows:
            ordered = sorted(rows, key=lambda row: str(row["name"]))
            await self.session.execute(insert_ignoring_conflicts(self.session, School), ordered)

    async def update_schools(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(update(School), rows)

    async def insert_people(self, rows: list[dict[str, Any]]) -> list[int]:
        """New people's ids, in the order of `rows`.

        A person whose phone the municipality already has is not written again, and their id is
        the one given: a roster applied at the same moment may have written them since this
        apply's plan was made (the unique index on municipality and phone decides, not a read).
        People with a phone go in the order of their phones, so two applies writing the same
        people wait on each other in one order and never deadlock.
        """
        if not rows:
            return []
        phoned = sorted((r for r in rows if r["phone"]), key=lambda r: str(r["phone"]))
        ids_by_phone: dict[tuple[Any, Any], int] = {}
        if phoned:
            await self.session.execute(
                insert_ignoring_conflicts(self.session, people_table), phoned
            )
            found = await self.session.execute(
                select(Person.id, Person.municipality_id, Person.phone).where(
                    Person.municipality_id.in_({r["municipality_id"] for r in phoned}),
                    Person.phone.in_([r["phone"] for r in phoned]),
                )
            )
            ids_by_phone = {(row.municipality_id, row.phone): row.id for row in found}
        unphoned_ids = iter(await self._insert_unphoned([r for r in rows if not r["phone"]]))
        return [
            ids_by_phone[(r["municipality_id"], r["phone"])] if r["phone"] else next(unphoned_ids)
            for r in rows
        ]

    async def _insert_unphoned(self, rows: list[dict[str, Any]]) -> list[int]:
        """A plain executemany, then the new rows read back: an INSERT ... RETURNING that keeps
        the order of its rows runs one statement per row on SQLite, 20 times slower."""
        if not rows:
            return []
        before = await self.session.scalar(select(func.max(Person.id))) or 0
        await self.session.execute(insert(people_table), rows)
        inserted = await self.session.execute(
            select(
                Person.id, Person.full_name, Person.phone, Person.school_id, Person.municipality_id
            )
            .where(Person.id > before, Person.phone.is_(None))
            .order_by(Person.id)
        )
        ids: dict[tuple[Any, ...], deque[int]] = {}
        for row in inserted:
            key = (row.full_name, row.school_id, row.municipality_id)
            ids.setdefault(key, deque()).append(row.id)
        return [ids[(r["full_name"], r["school_id"], r["municipality_id"])].popleft() for r in rows]

    async def update_people(self, rows: list[dict[str, Any]]) -> None:
        """Updates by id, except people who used /forget since the plan was made: their name
        and phone must not come back."""
        if rows:
            # (No Person objects of this session are kept up to date: the apply reads none.)
            await self.session.execute(
                update(Person)
                .where(Person.status != PersonStatus.FORGOTTEN)
                .execution_options(synchronize_session=None),
                rows,
            )

    # Grants, subjects and assignments another apply wrote at the same moment are there
    # already: the unique indexes refuse the copy, and it is skipped.
    async def insert_grants(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert_ignoring_conflicts(self.session, grants_table), rows)

    async def insert_subjects(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(
                insert_ignoring_conflicts(self.session, subjects_table), rows
            )

    async def insert_assignments(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(
                insert_ignoring_conflicts(self.session, assignments_table), rows
            )
