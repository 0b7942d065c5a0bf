from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person, PersonRole, PersonStatus, Role


class PeopleRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def by_telegram_id(self, telegram_id: int) -> Person | None:
        return await self.session.scalar(select(Person).where(Person.telegram_id == telegram_id))

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
        person.roles.append(
            PersonRole(role=role, municipality_id=municipality_id, region_id=region_id)
        )
        await self.session.flush()
