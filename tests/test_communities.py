"""Network communities: teachers join/leave in their municipality; coordinators manage theirs."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import CommunityCb
from storage.models import Community, CommunityMembership, Municipality, Person, Role
from tests import seed
from tests.harness import Harness
from tests.telegram_limits import parse_html

TEACHER_ID = 4001
COORDINATOR_ID = 4002
FOREIGN_COORDINATOR_ID = 4003


async def arrange(db: AsyncSession) -> tuple[Municipality, Municipality, Person]:
    mun, school, _ = await seed.place(db)
    other_mun, _, _ = await seed.place(db, "Кировский городской округ")
    teacher = await seed.person(
        db,
        name="Иванова Елена Андреевна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=TEACHER_ID,
    )
    await seed.person(
        db,
        name="Орлова Наталья Петровна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR_ID,
    )
    await seed.person(
        db,
        name="Белов Андрей Ильич",
        roles=[Role.COORDINATOR],
        municipality=other_mun,
        telegram_id=FOREIGN_COORDINATOR_ID,
    )
    return mun, other_mun, teacher


async def community(
    db: AsyncSession, mun: Municipality, name: str, *, active: bool = True
) -> Community:
    item = Community(municipality_id=mun.id, name=name, is_active=active)
    db.add(item)
    await db.flush()
    return item


async def membership(db: AsyncSession, community_id: int, person_id: int) -> bool:
    db.expire_all()
    return await db.get(CommunityMembership, (community_id, person_id)) is not None


async def test_teacher_sees_active_communities_of_own_municipality_with_counts(
    harness: Harness, db: AsyncSession
) -> None:
    mun, other_mun, teacher = await arrange(db)
    infomir = await community(db, mun, "Инфомир")
    await community(db, mun, "Матрица", active=False)
    await community(db, other_mun, "Соцветие естественников")
    db.add(CommunityMembership(community_id=infomir.id, person_id=teacher.id))
    await db.commit()

    await harness.send(TEACHER_ID, "🤝 Сообщества")

    text = harness.last_text(TEACHER_ID)
    assert "Инфомир" in text and "участников: 1" in text and "вы участник" in text
    assert "Матрица" not in text and "Соцветие естественников" not in text
    assert harness.buttons(TEACHER_ID) == ["➖ Выйти: Инфомир"]


async def test_teacher_joins_and_leaves(harness: Harness, db: AsyncSession) -> None:
    mun, _, teacher = await arrange(db)
    matrix = await community(db, mun, "Матрица")
    await db.commit()
    matrix_id, teacher_id = matrix.id, teacher.id

    await harness.send(TEACHER_ID, "/communities")
    await harness.press(TEACHER_ID, "Вступить: Матрица")

    assert await membership(db, matrix_id, teacher_id)
    assert "участников: 1" in harness.last_text(TEACHER_ID)
    assert harness.buttons(TEACHER_ID) == ["➖ Выйти: Матрица"]

    await harness.press(TEACHER_ID, "Выйти: Матрица")

    assert not await membership(db, matrix_id, teacher_id)
    assert harness.buttons(TEACHER_ID) == ["➕ Вступить: Матрица"]


async def test_joining_a_foreign_community_by_crafted_callback_is_refused(
    harness: Harness, db: AsyncSession
) -> None:
    _, other_mun, teacher = await arrange(db)
    foreign = await community(db, other_mun, "Соцветие естественников")
    await db.commit()
    foreign_id, teacher_id = foreign.id, teacher.id

    await harness.callback(TEACHER_ID, CommunityCb(action="join", community_id=foreign_id).pack())

    assert "Вступить в это сообщество нельзя" in harness.last_text(TEACHER_ID)
    assert not await membership(db, foreign_id, teacher_id)


async def test_joining_a_switched_off_or_missing_community_is_refused(
    harness: Harness, db: AsyncSession
) -> None:
    mun, _, teacher = await arrange(db)
    closed = await community(db, mun, "Матрица", active=False)
    await db.commit()
    closed_id, teacher_id = closed.id, teacher.id

    await harness.callback(TEACHER_ID, CommunityCb(action="join", community_id=closed_id).pack())
    assert "Вступить в это сообщество нельзя" in harness.last_text(TEACHER_ID)
    await harness.callback(TEACHER_ID, CommunityCb(action="join", community_id=9999).pack())
    assert "Вступить в это сообщество нельзя" in harness.last_text(TEACHER_ID)
    assert not await membership(db, closed_id, teacher_id)


async def test_coordinator_adds_a_community_with_description(
    harness: Harness, db: AsyncSession
) -> None:
    mun, _, _ = await arrange(db)
    await db.commit()
    mun_id = mun.id

    await harness.send(COORDINATOR_ID, "🤝 Сообщества (управление)")
    assert "Сообществ пока нет" in harness.last_text(COORDINATOR_ID)
    await harness.press(COORDINATOR_ID, "Добавить сообщество")
    assert "Инфомир" in harness.last_text(COORDINATOR_ID)
    await harness.send(COORDINATOR_ID, "  Инфомир  ")
    await harness.send(COORDINATOR_ID, "Учителя информатики: олимпиады и цифровые инструменты")

    assert "Сообщество «Инфомир» создано" in "\n".join(harness.texts_to(COORDINATOR_ID))
    assert "⏸ Отключить: Инфомир" in harness.buttons(COORDINATOR_ID)
    db.expire_all()
    created = await db.scalar(select(Community).where(Community.municipality_id == mun_id))
    assert created is not None and created.name == "Инфомир" and created.is_active
    assert created.description == "Учителя информатики: олимпиады и цифровые инструменты"


async def test_coordinator_can_skip_the_description(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await db.commit()

    await harness.send(COORDINATOR_ID, "🤝 Сообщества (управление)")
    await harness.press(COORDINATOR_ID, "Добавить сообщество")
    await harness.send(COORDINATOR_ID, "Матрица")
    await harness.press(COORDINATOR_ID, "Без описания")

    db.expire_all()
    created = await db.scalar(select(Community).where(Community.name == "Матрица"))
    assert created is not None and created.description is None


async def test_bad_community_names_get_clear_messages(harness: Harness, db: AsyncSession) -> None:
    mun, _, _ = await arrange(db)
    await community(db, mun, "Инфомир")
    await db.commit()
    await harness.send(COORDINATOR_ID, "🤝 Сообщества (управление)")
    await harness.press(COORDINATOR_ID, "Добавить сообщество")

    await harness.send(COORDINATOR_ID, "инфомир")
    assert "уже есть" in harness.last_text(COORDINATOR_ID)
    await harness.send(COORDINATOR_ID, "Я" * 121)
    assert "Слишком длинное название: 121" in harness.last_text(COORDINATOR_ID)
    await harness.send(COORDINATOR_ID, "   ")
    assert "не может быть пустым" in harness.last_text(COORDINATOR_ID)
    await harness.send(COORDINATOR_ID, "Я")
    assert "Слишком короткое" in harness.last_text(COORDINATOR_ID)
    await harness.send(COORDINATOR_ID, "<b>Матрица</b>")
    # The refusal itself reaches the coordinator (a bare «<» in it made Telegram refuse it).
    assert "знаки < и >" in parse_html(harness.last_text(COORDINATOR_ID))

    # Still in the dialog: a good name goes through.
    await harness.send(COORDINATOR_ID, "Соцветие естественников")
    await harness.press(COORDINATOR_ID, "Без описания")
    db.expire_all()
    names = set((await db.scalars(select(Community.name))).all())
    assert names == {"Инфомир", "Соцветие естественников"}


async def test_cancel_leaves_the_add_dialog(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await db.commit()
    await harness.send(COORDINATOR_ID, "🤝 Сообщества (управление)")
    await harness.press(COORDINATOR_ID, "Добавить сообщество")

    await harness.send(COORDINATOR_ID, "/cancel")
    await harness.send(COORDINATOR_ID, "Матрица")

    assert await db.scalar(select(Community)) is None


async def test_coordinator_switches_a_community_off_and_on(
    harness: Harness, db: AsyncSession
) -> None:
    mun, _, _ = await arrange(db)
    infomir = await community(db, mun, "Инфомир")
    await db.commit()
    infomir_id = infomir.id

    await harness.send(COORDINATOR_ID, "🤝 Сообщества (управление)")
    await harness.press(COORDINATOR_ID, "Отключить: Инфомир")
    db.expire_all()
    switched = await db.get(Community, infomir_id)
    assert switched is not None and not switched.is_active
    assert "отключено" in harness.last_text(COORDINATOR_ID)

    await harness.press(COORDINATOR_ID, "Включить: Инфомир")
    db.expire_all()
    switched = await db.get(Community, infomir_id)
    assert switched is not None and switched.is_active


async def test_coordinator_cannot_touch_another_municipality(
    harness: Harness, db: AsyncSession
) -> None:
    mun, _, _ = await arrange(db)
    infomir = await community(db, mun, "Инфомир")
    await db.commit()
    infomir_id, mun_id = infomir.id, mun.id

    await harness.send(FOREIGN_COORDINATOR_ID, "🤝 Сообщества (управление)")
    assert "<b>Инфомир</b>" not in harness.last_text(FOREIGN_COORDINATOR_ID)
    await harness.callback(
        FOREIGN_COORDINATOR_ID, CommunityCb(action="deactivate", community_id=infomir_id).pack()
    )
    assert "нет в вашем муниципалитете" in harness.last_text(FOREIGN_COORDINATOR_ID)
    await harness.callback(
        FOREIGN_COORDINATOR_ID, CommunityCb(action="add", community_id=mun_id).pack()
    )
    assert "только в своём муниципалитете" in harness.last_text(FOREIGN_COORDINATOR_ID)

    db.expire_all()
    unchanged = await db.get(Community, infomir_id)
    assert unchanged is not None and unchanged.is_active


async def test_teacher_cannot_use_coordinator_buttons(harness: Harness, db: AsyncSession) -> None:
    mun, _, _ = await arrange(db)
    infomir = await community(db, mun, "Инфомир")
    await db.commit()
    infomir_id = infomir.id

    await harness.callback(
        TEACHER_ID, CommunityCb(action="deactivate", community_id=infomir_id).pack()
    )

    db.expire_all()
    unchanged = await db.get(Community, infomir_id)
    assert unchanged is not None and unchanged.is_active


async def test_a_name_with_an_ampersand_reads_as_typed_everywhere(
    harness: Harness, db: AsyncSession
) -> None:
    """Messages are HTML (the name escaped in them); buttons and the answer to a tap are plain
    text, where an escaped name would read «Физика &amp; Лирика»."""
    mun, _, _ = await arrange(db)
    await community(db, mun, "Физика & Лирика")
    await db.commit()

    await harness.send(TEACHER_ID, "🤝 Сообщества")
    assert "<b>Физика &amp; Лирика</b>" in harness.last_text(TEACHER_ID)
    assert harness.buttons(TEACHER_ID) == ["➕ Вступить: Физика & Лирика"]
    await harness.press(TEACHER_ID, "Вступить")
    toasts = [r.text for r in harness.requests if isinstance(r, AnswerCallbackQuery) and r.text]
    assert toasts == ["Вы вступили в сообщество «Физика & Лирика»."]
    assert harness.buttons(TEACHER_ID) == ["➖ Выйти: Физика & Лирика"]


async def test_a_list_longer_than_one_message_is_shown_whole(
    harness: Harness, db: AsyncSession
) -> None:
    """Twelve communities with descriptions of 500 characters: ≈ 6,500 characters, once never
    shown (Telegram takes 4,096). Sent as several messages, and after a join the list is
    shown again whole."""
    mun, _, _ = await arrange(db)
    for n in range(12):
        item = await community(db, mun, f"Сообщество {n:02}")
        item.description = f"Описание {n:02} " + "слово " * 80
    await db.commit()

    await harness.send(TEACHER_ID, "🤝 Сообщества")
    shown = "\n".join(parse_html(text) for text in harness.texts_to(TEACHER_ID))
    assert all(f"Описание {n:02}" in shown for n in range(12))
    assert len(harness.texts_to(TEACHER_ID)) >= 2

    before = len(harness.texts_to(TEACHER_ID))
    await harness.press(TEACHER_ID, "Вступить: Сообщество 00")
    shown = "\n".join(parse_html(text) for text in harness.texts_to(TEACHER_ID)[before:])
    assert all(f"Описание {n:02}" in shown for n in range(12))
    assert "вы участник" in shown
