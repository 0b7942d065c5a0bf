"""The region's admin: municipalities, schools, and coordinators who join by invite."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import AdminCb
from storage.models import Invite, Municipality, Person, PersonRole, Region, Role, School
from tests import seed
from tests.conftest import ADMIN_ID
from tests.harness import Harness

COORDINATOR_ID = 4001
MUNICIPALITY = "Грачёвский муниципальный округ"


def link_code(text: str) -> str:
    match = re.search(r"https://t\.me/nastavnik_test_bot\?start=([A-Za-z0-9_-]+)", text)
    assert match, text
    return match.group(1)


async def become_admin(harness: Harness) -> None:
    await harness.send(ADMIN_ID, "/start")
    await harness.press(ADMIN_ID, "Согласен")
    await harness.send(ADMIN_ID, "Админова Алла Андреевна")


async def add_municipality(harness: Harness, name: str) -> None:
    await harness.send(ADMIN_ID, "/municipalities")
    await harness.press(ADMIN_ID, "Добавить муниципалитет")
    await harness.send(ADMIN_ID, name)


async def test_admin_adds_municipality_and_its_coordinator_joins(
    harness: Harness, db: AsyncSession
) -> None:
    await become_admin(harness)
    await harness.send(ADMIN_ID, "🏛 Муниципалитеты")
    assert "Пока нет ни одного муниципалитета" in harness.last_text(ADMIN_ID)

    await harness.press(ADMIN_ID, "Добавить муниципалитет")
    await harness.send(ADMIN_ID, "Г")
    assert "от 2 до 200 символов" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, MUNICIPALITY)
    assert f"«{MUNICIPALITY}» добавлен" in harness.last_text(ADMIN_ID)
    await add_municipality(harness, "грачёвский МУНИЦИПАЛЬНЫЙ   округ")
    assert "уже есть в вашем регионе" in harness.last_text(ADMIN_ID)

    await harness.send(ADMIN_ID, "/municipalities")
    await harness.press(ADMIN_ID, "Пригласить координатора")
    await harness.press(ADMIN_ID, MUNICIPALITY)
    await harness.send(ADMIN_ID, "Белова 1")
    assert "фамилию и имя полностью" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "Белова Ирина Викторовна")
    card = harness.last_text(ADMIN_ID)
    assert "Белова Ирина Викторовна · координатор" in card
    code = link_code(card)

    await harness.send(COORDINATOR_ID, f"/start {code}")
    await harness.press(COORDINATOR_ID, "Согласен")
    assert "Белова Ирина Викторовна" in harness.last_text(COORDINATOR_ID)
    assert {"📋 Список участников", "🔗 Приглашения"} <= set(harness.buttons(COORDINATOR_ID))

    db.expire_all()
    region = await db.scalar(select(Region))
    municipality = await db.scalar(select(Municipality))
    assert region is not None and region.name == "Ставропольский край"
    assert municipality is not None and municipality.region_id == region.id
    assert int(await db.scalar(select(func.count()).select_from(Municipality)) or 0) == 1
    coordinator = await db.scalar(select(Person).where(Person.telegram_id == COORDINATOR_ID))
    assert coordinator is not None and coordinator.full_name == "Белова Ирина Викторовна"
    grants = (
        await db.scalars(select(PersonRole).where(PersonRole.person_id == coordinator.id))
    ).all()
    assert [(g.role, g.municipality_id) for g in grants] == [(Role.COORDINATOR, municipality.id)]

    await harness.send(ADMIN_ID, "/municipalities")
    assert f"{MUNICIPALITY} — школ: 0, участников: 1" in harness.last_text(ADMIN_ID)


async def test_admin_adds_a_school_with_flags(harness: Harness, db: AsyncSession) -> None:
    await become_admin(harness)
    await add_municipality(harness, MUNICIPALITY)

    await harness.send(ADMIN_ID, "/municipalities")
    await harness.press(ADMIN_ID, "Добавить школу")
    await harness.press(ADMIN_ID, MUNICIPALITY)
    await harness.send(ADMIN_ID, "<b>")
    assert "без угловых" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "МКОУ СОШ № 9")
    await harness.press(ADMIN_ID, "Школа-лидер")
    await harness.press(ADMIN_ID, "Неблагоприятные")
    await harness.press(ADMIN_ID, "Школа-лидер")
    assert "✅ Неблагоприятные социальные условия (ШНСУ)" in harness.buttons(ADMIN_ID)
    await harness.send(ADMIN_ID, "сохранить")
    assert "кнопками" in harness.last_text(ADMIN_ID)
    await harness.press(ADMIN_ID, "Сохранить")
    assert "«МКОУ СОШ № 9» добавлена" in harness.last_text(ADMIN_ID)

    db.expire_all()
    school = await db.scalar(select(School))
    assert school is not None and school.name == "МКОУ СОШ № 9"
    assert (school.low_results, school.unfavourable_conditions, school.is_leader) == (
        False,
        True,
        False,
    )
    await harness.send(ADMIN_ID, "/municipalities")
    assert "школ: 1" in harness.last_text(ADMIN_ID)

    # The same name again is refused before the flags.
    await harness.press(ADMIN_ID, "Добавить школу")
    await harness.press(ADMIN_ID, MUNICIPALITY)
    await harness.send(ADMIN_ID, "мкоу сош № 9")
    assert "уже есть в этом муниципалитете" in harness.last_text(ADMIN_ID)


async def test_municipality_of_another_region_is_refused(
    harness: Harness, db: AsyncSession
) -> None:
    foreign, _, _ = await seed.place(db, "Кировский городской округ")
    foreign_id = foreign.id
    await db.commit()
    await become_admin(harness)

    await harness.callback(ADMIN_ID, AdminCb(action="coord_mun", value=foreign_id).pack())
    assert "не найден в вашем регионе" in harness.last_text(ADMIN_ID)
    await harness.send(ADMIN_ID, "/municipalities")
    assert "Кировский" not in harness.last_text(ADMIN_ID)
    db.expire_all()
    assert int(await db.scalar(select(func.count()).select_from(Invite)) or 0) == 0


async def test_coordinator_cannot_manage_municipalities(harness: Harness, db: AsyncSession) -> None:
    mun, _, _ = await seed.place(db)
    await seed.person(
        db, name="Координатор Ольга", roles=[Role.COORDINATOR], municipality=mun, telegram_id=2001
    )
    await db.commit()

    await harness.send(2001, "/municipalities")
    await harness.callback(2001, AdminCb(action="add_mun").pack())

    assert "Не понял" in harness.texts_to(2001)[0]
    assert "устарела" in str(harness.requests[-1])
