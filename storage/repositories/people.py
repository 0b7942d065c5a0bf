from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date

from sqlalchemy import Row, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, raiseload

from storage.db import insert_ignoring_conflicts
from storage.models import FsmRecord, Person, PersonRole, PersonStatus, Role, TutorSubstitute


class PeopleRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def acting_for(self, tutor_id: int, day: date) -> Person | None:
        """Who answers for the tutor on `day`: their newest substitute while they are away,
        else the tutor; with roles and subjects, in one query."""
        substitute = (
            select(TutorSubstitute.substitute_id)
            .where(
                TutorSubstitute.tutor_id == tutor_id,
                TutorSubstitute.starts_on <= day,
                TutorSubstitute.ends_on >= day,
            )
            .order_by(TutorSubstitute.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        result = await self.session.scalars(
            select(Person)
            .where(Person.id == func.coalesce(substitute, tutor_id))
            .options(joinedload(Person.roles), joinedload(Person.subjects))
        )
        return result.unique().one_or_none()

    async def many(self, person_ids: Collection[int]) -> Sequence[Person]:
        """People shown by name in lists: their roles and subjects are not loaded (reading them
        raises, so a new use is noticed and loads them on purpose)."""
        if not person_ids:
            return []
        return (
            await self.session.scalars(
                select(Person)
                .where(Person.id.in_(person_ids))
                .options(raiseload(Person.roles), raiseload(Person.subjects))
            )
        ).all()

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        """The person with their roles and subjects, in one query."""
        result = await self.session.scalars(
            select(Person)
            .where(Person.telegram_id == telegram_id)
            .options(
                joinedload(Person.roles),
                joinedload(Person.subjects),
                # Their municipality's time zone and settings then cost no query of their own.
                joinedload(Person.municipality),
            )
        )
        return result.unique().one_or_none()

    async def sender_with_dialogs(
        self, telegram_id: int
    ) -> tuple[Person | None, Sequence[FsmRecord]]:
        """The person who sent an update, their roles, subjects, municipality and every dialog
        record of theirs (the plain state and the forms' stack and steps): one query for the
        hot path. (A guest with no person row: (None, []).)"""
        result = await self.session.execute(
            select(Person, FsmRecord)
            .outerjoin(FsmRecord, FsmRecord.user_id == Person.telegram_id)
            .where(Person.telegram_id == telegram_id)
            .options(
                joinedload(Person.roles),
                joinedload(Person.subjects),
                # Their municipality's time zone and settings then cost no query of their own.
                joinedload(Person.municipality),
            )
        )
        rows = result.unique().all()
        if not rows:
            return None, []
        records = {row[1].key: row[1] for row in rows if row[1] is not None}
        return rows[0][0], list(records.values())

    async def unjoined_by_phone(self, phone: str) -> Sequence[Person]:
        """Roster people with this phone who have not linked a Telegram account yet."""
        result = await self.session.scalars(
            select(Person).where(
                Person.phone == phone,
                Person.telegram_id.is_(None),
                Person.status != PersonStatus.FORGOTTEN,
            )
        )
        return result.all()

    async def with_role(self, role: Role, *, municipality_id: int) -> Sequence[Person]:
        """People holding `role` in a municipality: by grant scope (coordinators) or by home."""
        scoped = select(PersonRole.person_id).where(
            PersonRole.role == role, PersonRole.municipality_id == municipality_id
        )
        homed = (
            select(PersonRole.person_id)
            .join(Person, Person.id == PersonRole.person_id)
            .where(PersonRole.role == role, Person.municipality_id == municipality_id)
        )
        result = await self.session.scalars(
            select(Person)
            .where(Person.id.in_(scoped.union(homed)), Person.status == PersonStatus.ACTIVE)
            .order_by(Person.full_name)
        )
        return result.all()

    async def reachability(self, person_id: int | None) -> Row[int | None, PersonStatus] | None:
        """Whether a message can still reach the person: their Telegram id and status, read
        without loading the person (a button's statement budget counts this one)."""
        if person_id is None:
            return None
        result = await self.session.execute(
            select(Person.telegram_id, Person.status).where(Person.id == person_id)
        )
        return result.first()

    async def locales_of(self, person_ids: Collection[int]) -> dict[int, str | None]:
        """Each person's chosen language (None: never chosen)."""
        if not person_ids:
            return {}
        result = await self.session.execute(
            select(Person.id, Person.locale).where(Person.id.in_(person_ids))
        )
        return {row.id: row.locale for row in result}

    async def add(self, person: Person) -> Person:
        self.session.add(person)
        await self.session.flush()
        return person

    async def grant(
        self,
        person: Person,
        role: Role,
        *,
        municipality_id: int | None = None,
        region_id: int | None = None,
    ) -> None:
        for existing in person.roles:
            if (existing.role, existing.municipality_id, existing.region_id) == (
                role,
                municipality_id,
                region_id,
            ):
                return
        # Someone else may grant the same role at this moment (a roster apply, another
        # coordinator): the unique indexes keep one grant, and this one then adds nothing.
        await self.session.flush()
        await self.session.execute(
            insert_ignoring_conflicts(self.session, PersonRole).values(
                person_id=person.id,
                role=role,
                municipality_id=municipality_id,
                region_id=region_id,
            )
        )
        await self.session.refresh(person, ["roles"])

    async def unjoined_matching(
        self, municipality_ids: Sequence[int], needle: str, *, limit: int
    ) -> tuple[Sequence[Person], int]:
        """Roster people of these municipalities without a Telegram account whose name contains
        `needle`: the first `limit` by name, and how many there are in all.

        SQLite folds case only for ASCII, so the usual spellings of a Cyrillic surname
        (as typed, lower case, capitalised, upper case) are each looked for."""
        if not municipality_ids:
            return [], 0
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        spellings = {escaped, escaped.lower(), escaped.capitalize(), escaped.upper()}
        condition = (
            Person.municipality_id.in_(municipality_ids),
            Person.telegram_id.is_(None),
            Person.status != PersonStatus.FORGOTTEN,
            or_(*(Person.full_name.like(f"%{s}%", escape="\\") for s in spellings)),
        )
        total = await self.session.scalar(
            select(func.count()).select_from(Person).where(*condition)
        )
        found = await self.session.scalars(
            select(Person).where(*condition).order_by(Person.full_name, Person.id).limit(limit)
        )
        return found.all(), int(total or 0)

    async def by_phone(self, phone: str) -> Person | None:
        """The first person with this phone (phones of made-up demo people are unique)."""
        return await self.session.scalar(
            select(Person).where(Person.phone == phone).order_by(Person.id).limit(1)
        )

    async def counts_by_municipality(self, municipality_ids: Sequence[int]) -> dict[int, int]:
        """How many people (forgotten ones aside) each municipality has."""
        if not municipality_ids:
            return {}
        rows = await self.session.execute(
            select(Person.municipality_id, func.count())
            .where(
                Person.municipality_id.in_(municipality_ids),
                Person.status != PersonStatus.FORGOTTEN,
            )
            .group_by(Person.municipality_id)
        )
        return {int(mid): int(count) for mid, count in rows if mid is not None}
