"""Review findings in joining: odd /start payloads."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.invites import create_invite
from storage.models import JoinRequest, Person, Role
from tests import seed
from tests.harness import Harness

NEWCOMER_ID = 5101


async def test_start_with_longest_allowed_payload_still_asks_consent(
    harness: Harness, db: AsyncSession
) -> None:
    # Telegram allows 64 characters in a /start payload; the consent button must still fit
    # its 64-byte callback data.
    await harness.send(NEWCOMER_ID, "/start " + "A" * 64)

    assert "персональных данных" in harness.last_text(NEWCOMER_ID)
    await harness.press(NEWCOMER_ID, "Согласен")
    assert await db.scalar(select(func.count()).select_from(Person)) == 1


async def test_registered_person_cannot_request_to_join_elsewhere(
    harness: Harness, db: AsyncSession
) -> None:
    # Approving such a request would move a working teacher to another municipality's school.
    home, home_school, _ = await seed.place(db)
    await seed.place(db, municipality="Кировский городской округ")
    await seed.person(
        db,
        name="Петрова Анна Ивановна",
        roles=[Role.TEACHER],
        municipality=home,
        school=home_school,
        telegram_id=NEWCOMER_ID,
    )
    await db.commit()

    await harness.send(NEWCOMER_ID, "📝 Подать заявку")

    assert "уже подключены" in harness.last_text(NEWCOMER_ID)
    assert await db.scalar(select(func.count()).select_from(JoinRequest)) == 0


async def test_joining_by_invite_withdraws_a_pending_request_to_join(
    harness: Harness, db: AsyncSession
) -> None:
    mun, school, _ = await seed.place(db)
    await db.commit()
    await harness.send(5101, "/start")
    await harness.press(5101, "Согласен")
    await harness.send(5101, "📝 Подать заявку")
    await harness.press(5101, "Грачёвский")
    await harness.press(5101, "СОШ № 2")
    await harness.press(5101, "Пропустить")
    await harness.send(5101, "Зайцева Мария Олеговна")
    assert await db.scalar(select(func.count()).select_from(JoinRequest)) == 1
    invite = await create_invite(
        db,
        created_by=None,
        role=Role.TEACHER,
        municipality_id=mun.id,
        school=school,
        ttl=timedelta(days=1),
    )
    await db.commit()

    await harness.send(5101, f"/start {invite.code}")

    db.expire_all()
    assert await db.scalar(select(func.count()).select_from(JoinRequest)) == 0
