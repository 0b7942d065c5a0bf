"""A person's scope: the municipalities they coordinate and every one of the region they
administer; nothing for anyone else."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.scope import scope_of
from storage.models import Municipality, PersonRole, Role
from tests import seed


async def test_a_scope_covers_the_coordinated_municipality_and_the_administered_region(
    db: AsyncSession,
) -> None:
    coordinated, _, _ = await seed.place(db, "Грачёвский муниципальный округ")
    administered, _, _ = await seed.place(db, "Шпаковский муниципальный округ")
    neighbour = Municipality(region_id=administered.region_id, name="Кировский муниципальный округ")
    foreign = Municipality(region_id=coordinated.region_id, name="Изобильненский округ")
    db.add_all([neighbour, foreign])
    await db.flush()
    person = await seed.person(
        db, name="Сидорова Ольга Викторовна", roles=[Role.COORDINATOR], municipality=coordinated
    )
    person.roles.append(PersonRole(role=Role.ADMIN, region_id=administered.region_id))
    teacher = await seed.person(
        db, name="Иванова Мария Петровна", roles=[Role.TEACHER], municipality=coordinated
    )
    await db.flush()

    scope = await scope_of(db, person)

    assert scope.municipality_ids == tuple(sorted([coordinated.id, administered.id, neighbour.id]))
    assert scope.region_ids == (administered.region_id,)
    assert scope.covers_municipality(neighbour.id)
    assert not scope.covers_municipality(foreign.id)
    assert not scope.covers_municipality(None)
    assert (await scope_of(db, teacher)).is_empty
