"""`nastavnik demo-data`: the Grachevka demo, created once, with working invite commands."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.demo import create_demo_data, load_scenario
from bot.texts import LOCALES_DIR, Texts
from config.settings import Settings
from storage.models import (
    Base,
    Community,
    CommunityMembership,
    Invite,
    Municipality,
    Person,
    Region,
    Role,
    School,
    TutorAssignment,
)
from tests.harness import Harness

START_LINE = re.compile(r"• (.+?), (\S+): /start ([A-Za-z0-9_-]+)")


@pytest.fixture
def russian() -> Iterator[None]:
    """The CLI runs with the deployment's locale; so does this test."""
    texts = Texts(path=LOCALES_DIR, default_locale="ru")
    with texts.context(), texts.use_locale("ru"):
        yield


async def count(db: AsyncSession, model: type[Base]) -> int:
    return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def test_demo_data_is_created_once(
    db: AsyncSession, settings: Settings, russian: None
) -> None:
    summary = await create_demo_data(db, settings)
    await db.commit()

    assert "Демо-данные созданы: Грачёвский муниципальный округ (Ставропольский край)" in summary
    assert "школ — 7, участников — 16" in summary
    links = START_LINE.findall(summary)
    assert [(name, role) for name, role, _ in links] == [
        ("Белова Ирина Викторовна", "координатор"),
        ("Захарова Елена Николаевна", "наставник"),
        ("Мельников Андрей Петрович", "наставник"),
        ("Соколова Татьяна Алексеевна", "наставник"),
    ]
    counts = {
        model.__name__: await count(db, model)
        for model in (
            Region,
            Municipality,
            School,
            Person,
            TutorAssignment,
            Community,
            CommunityMembership,
            Invite,
        )
    }
    assert counts == {
        "Region": 1,
        "Municipality": 1,
        "School": 7,
        "Person": 16,
        "TutorAssignment": 12,
        "Community": 3,
        # Инфомир 2, Матрица 3, Соцветие естественников 4 (by the teachers' subjects).
        "CommunityMembership": 9,
        "Invite": 4,
    }
    leaders = (await db.scalars(select(School.name).where(School.is_leader))).all()
    assert sorted(leaders) == sorted(
        s["name"] for s in load_scenario()["schools"] if s.get("is_leader")
    )
    teachers = (await db.scalars(select(Person).where(Person.phone.like("+799900000__")))).all()
    assert all(p.phone and p.phone.startswith("+7999000") for p in teachers)
    assert sum(Role.TEACHER in p.role_set for p in teachers) == 12
    assert sum(Role.TUTOR in p.role_set for p in teachers) == 3
    assert sum(Role.COORDINATOR in p.role_set for p in teachers) == 1

    again = await create_demo_data(db, settings)
    await db.commit()

    assert "Ничего не изменено" in again and "/start" not in again
    assert {
        model.__name__: await count(db, model)
        for model in (
            Region,
            Municipality,
            School,
            Person,
            TutorAssignment,
            Community,
            CommunityMembership,
            Invite,
        )
    } == counts


async def test_demo_coordinator_joins_with_the_printed_command(
    harness: Harness, db: AsyncSession, settings: Settings, russian: None
) -> None:
    summary = await create_demo_data(db, settings)
    await db.commit()
    code = START_LINE.findall(summary)[0][2]

    await harness.send(5001, f"/start {code}")
    await harness.press(5001, "Согласен")

    assert "Белова Ирина Викторовна" in harness.last_text(5001)
    assert "🔗 Приглашения" in harness.buttons(5001)
    await harness.send(5001, "/invite")
    await harness.press(5001, "Человека из списка")
    await harness.send(5001, "захар")
    assert harness.buttons(5001) == ["Захарова Елена Николаевна"]
