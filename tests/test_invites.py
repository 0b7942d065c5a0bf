"""Coordinators create invites; invited people join through /start <code>."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import InviteCb
from bot.services.invites import create_invite, hash_code
from storage.models import Invite, InviteKind, Municipality, Person, Role, School
from tests import seed
from tests.harness import Harness

COORDINATOR_ID = 2001
INVITEE_ID = 3001
STRANGER_ID = 3002
LINK = re.compile(r"https://t\.me/nastavnik_test_bot\?start=([A-Za-z0-9_-]+)")


def link_code(text: str) -> str:
    match = LINK.search(text)
    assert match, text
    return match.group(1)


async def arrange(db: AsyncSession) -> tuple[Municipality, School, Person]:
    mun, low, _ = await seed.place(db)
    await seed.person(
        db,
        name="Координатор Ольга Сергеевна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR_ID,
    )
    petrova = await seed.person(
        db,
        name="Петрова Анна Ивановна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=low,
    )
    await db.commit()
    return mun, low, petrova


async def personal_link(harness: Harness, surname: str, name: str) -> str:
    await harness.send(COORDINATOR_ID, "🔗 Приглашения")
    await harness.press(COORDINATOR_ID, "Человека из списка")
    await harness.send(COORDINATOR_ID, surname)
    await harness.press(COORDINATOR_ID, name)
    return link_code(harness.last_text(COORDINATOR_ID))


async def invites_count(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(Invite)) or 0)


async def test_personal_invite_links_the_roster_person(harness: Harness, db: AsyncSession) -> None:
    _, low, petrova = await arrange(db)
    petrova_id, low_id = petrova.id, low.id

    code = await personal_link(harness, "петр", "Петрова Анна Ивановна")
    card = harness.last_text(COORDINATOR_ID)
    # The date as the coordinator reads it: in the municipality's zone (Moscow by default).
    expires = (datetime.now(ZoneInfo("Europe/Moscow")) + timedelta(days=14)).strftime("%d.%m.%Y")
    assert "Петрова Анна Ивановна · педагог" in card and expires in card

    db.expire_all()
    invite = await db.scalar(select(Invite))
    assert invite is not None and invite.code_hash == hash_code(code)
    assert (invite.kind, invite.person_id, invite.role) == (
        InviteKind.PERSON,
        petrova_id,
        Role.TEACHER,
    )

    await harness.send(INVITEE_ID, f"/start {code}")
    assert "персональных данных" in harness.last_text(INVITEE_ID)
    await harness.press(INVITEE_ID, "Согласен")

    assert "Петрова Анна Ивановна" in harness.last_text(INVITEE_ID)
    assert "🧑‍🏫 Мой наставник" in harness.buttons(INVITEE_ID)
    db.expire_all()
    joined = await db.scalar(select(Person).where(Person.telegram_id == INVITEE_ID))
    assert joined is not None and joined.id == petrova_id and joined.school_id == low_id
    assert joined.role_set == {Role.TEACHER} and joined.consent_at is not None
    used = await db.scalar(select(Invite))
    assert used is not None and used.used_by_id == petrova_id and used.used_at is not None
    assert int(await db.scalar(select(func.count()).select_from(Person)) or 0) == 2

    # The same code a second time, by somebody else.
    await harness.send(STRANGER_ID, f"/start {code}")
    await harness.press(STRANGER_ID, "Согласен")
    assert "уже использовано" in harness.texts_to(STRANGER_ID)[-2]
    db.expire_all()
    stranger = await db.scalar(select(Person).where(Person.telegram_id == STRANGER_ID))
    # They consented, so they are a guest now, with no role and nobody else's data.
    assert stranger is not None and stranger.roles == [] and stranger.full_name is None


async def test_expired_invite_is_refused(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    code = await personal_link(harness, "Петрова", "Петрова Анна Ивановна")
    await db.execute(update(Invite).values(expires_at=datetime.now(UTC) - timedelta(minutes=1)))
    await db.commit()

    await harness.send(INVITEE_ID, f"/start {code}")
    await harness.press(INVITEE_ID, "Согласен")

    # The refusal, then the other ways to join: the consent just given is kept.
    assert "истёк" in harness.texts_to(INVITEE_ID)[-2]
    assert "номер телефона" in harness.last_text(INVITEE_ID)
    db.expire_all()
    petrova = await db.scalar(select(Person).where(Person.full_name == "Петрова Анна Ивановна"))
    assert petrova is not None and petrova.telegram_id is None


async def test_unknown_code_is_refused(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)

    await harness.send(INVITEE_ID, f"/start {secrets.token_urlsafe(24)}")
    await harness.press(INVITEE_ID, "Согласен")

    assert "Такого приглашения нет" in harness.texts_to(INVITEE_ID)[-2]


@pytest.mark.parametrize("code", ["a" * 65, "абв", "a b"])
async def test_malformed_code_is_reported_and_consent_still_asked(
    harness: Harness, db: AsyncSession, code: str
) -> None:
    await harness.send(INVITEE_ID, f"/start {code}")

    texts = harness.texts_to(INVITEE_ID)
    assert "повреждена" in texts[0]
    assert "персональных данных" in texts[-1]
    await harness.press(INVITEE_ID, "Согласен")
    assert "номер телефона" in harness.last_text(INVITEE_ID)
    db.expire_all()
    guest = await db.scalar(select(Person).where(Person.telegram_id == INVITEE_ID))
    assert guest is not None and not guest.roles


async def test_school_invite_joins_a_new_teacher(harness: Harness, db: AsyncSession) -> None:
    mun, low, _ = await arrange(db)
    place_ids = (mun.id, low.id)

    await harness.send(COORDINATOR_ID, "/invite")
    await harness.press(COORDINATOR_ID, "Нового участника школы")
    assert set(harness.buttons(COORDINATOR_ID)) == {"СОШ № 1", "СОШ № 2"}
    await harness.press(COORDINATOR_ID, "СОШ № 2")
    assert harness.buttons(COORDINATOR_ID) == ["педагог", "наставник", "руководитель школы"]
    await harness.press(COORDINATOR_ID, "педагог")
    code = link_code(harness.last_text(COORDINATOR_ID))

    await harness.send(INVITEE_ID, f"/start {code}")
    await harness.press(INVITEE_ID, "Согласен")
    assert "фамилию, имя и отчество" in harness.last_text(INVITEE_ID)
    await harness.send(INVITEE_ID, "Сидоров 7")
    assert "фамилию и имя полностью" in harness.last_text(INVITEE_ID)
    await harness.send(INVITEE_ID, "Сидоров Пётр Ильич")

    assert "Сидоров Пётр Ильич" in harness.last_text(INVITEE_ID)
    assert "🧑‍🏫 Мой наставник" in harness.buttons(INVITEE_ID)
    db.expire_all()
    joined = await db.scalar(select(Person).where(Person.telegram_id == INVITEE_ID))
    assert joined is not None and joined.full_name == "Сидоров Пётр Ильич"
    assert (joined.municipality_id, joined.school_id) == place_ids
    assert joined.role_set == {Role.TEACHER}


async def test_search_is_validated_and_capped(harness: Harness, db: AsyncSession) -> None:
    mun, _, _ = await arrange(db)
    for number in range(12):
        await seed.person(
            db, name=f"Иванова Мария {number:02d}", roles=[Role.TEACHER], municipality=mun
        )
    await db.commit()

    await harness.send(COORDINATOR_ID, "/invite")
    await harness.press(COORDINATOR_ID, "Человека из списка")
    await harness.send(COORDINATOR_ID, "И")
    assert "от 2 до 100" in harness.last_text(COORDINATOR_ID)
    await harness.send(COORDINATOR_ID, "Сидоров")
    assert "никого" in harness.last_text(COORDINATOR_ID)
    await harness.send(COORDINATOR_ID, "ИВАНОВА")
    assert "первые 10 из 12" in harness.last_text(COORDINATOR_ID)
    assert len(harness.buttons(COORDINATOR_ID)) == 10
    # Still searching: a longer part of the name narrows the list.
    await harness.send(COORDINATOR_ID, "Иванова Мария 11")
    assert harness.buttons(COORDINATOR_ID) == ["Иванова Мария 11"]


async def test_several_roles_are_asked(harness: Harness, db: AsyncSession) -> None:
    mun, low, _ = await arrange(db)
    await seed.person(
        db,
        name="Орлова Вера Павловна",
        roles=[Role.TEACHER, Role.SCHOOL_LEADER],
        municipality=mun,
        school=low,
    )
    await db.commit()

    await harness.send(COORDINATOR_ID, "/invite")
    await harness.press(COORDINATOR_ID, "Человека из списка")
    await harness.send(COORDINATOR_ID, "Орлова")
    await harness.press(COORDINATOR_ID, "Орлова Вера Павловна")
    assert harness.buttons(COORDINATOR_ID) == ["педагог", "руководитель школы"]
    await harness.press(COORDINATOR_ID, "руководитель школы")

    assert "руководитель школы" in harness.last_text(COORDINATOR_ID)
    db.expire_all()
    invite = await db.scalar(select(Invite))
    assert invite is not None and invite.role == Role.SCHOOL_LEADER


async def test_coordinator_sees_and_invites_only_their_municipality(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    other_mun, other_school, _ = await seed.place(db, "Кировский городской округ")
    foreigner = await seed.person(
        db, name="Петрова Нина Олеговна", roles=[Role.TEACHER], municipality=other_mun
    )
    await db.commit()

    await harness.send(COORDINATOR_ID, "/invite")
    await harness.press(COORDINATOR_ID, "Человека из списка")
    await harness.send(COORDINATOR_ID, "Петрова")
    assert harness.buttons(COORDINATOR_ID) == ["Петрова Анна Ивановна"]

    await harness.callback(COORDINATOR_ID, InviteCb(action="pick", value=foreigner.id).pack())
    assert "нет среди участников вашего муниципалитета" in harness.last_text(COORDINATOR_ID)
    await harness.callback(
        COORDINATOR_ID, InviteCb(action="prole", value=foreigner.id, extra="teacher").pack()
    )
    assert "нет среди участников" in harness.last_text(COORDINATOR_ID)
    await harness.callback(COORDINATOR_ID, InviteCb(action="sch", value=other_school.id).pack())
    assert "школа недоступна" in harness.last_text(COORDINATOR_ID)
    await harness.callback(
        COORDINATOR_ID, InviteCb(action="srole", value=other_school.id, extra="teacher").pack()
    )
    assert "школа недоступна" in harness.last_text(COORDINATOR_ID)
    await harness.callback(COORDINATOR_ID, InviteCb(action="srole", value=1, extra="admin").pack())
    assert "В этой роли пригласить нельзя" in harness.last_text(COORDINATOR_ID)
    assert await invites_count(db) == 0


async def test_joined_person_gets_no_invite(harness: Harness, db: AsyncSession) -> None:
    mun, low, _ = await arrange(db)
    joined = await seed.person(
        db,
        name="Смирнова Елена Павловна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=low,
        telegram_id=5005,
    )
    await db.commit()

    await harness.callback(COORDINATOR_ID, InviteCb(action="pick", value=joined.id).pack())

    assert "уже подключен(а)" in harness.last_text(COORDINATOR_ID)
    assert await invites_count(db) == 0


async def test_teacher_cannot_create_invites(harness: Harness, db: AsyncSession) -> None:
    mun, _, petrova = await arrange(db)
    await seed.person(
        db, name="Учитель Павел Петрович", roles=[Role.TEACHER], municipality=mun, telegram_id=7007
    )
    await db.commit()

    await harness.send(7007, "/invite")
    await harness.callback(7007, InviteCb(action="pick", value=petrova.id).pack())

    assert "Не понял" in harness.texts_to(7007)[0]
    assert await invites_count(db) == 0


async def test_registered_person_cannot_take_over_another_invite(
    harness: Harness, db: AsyncSession
) -> None:
    mun, _, petrova = await arrange(db)
    new = await create_invite(
        db,
        created_by=None,
        role=Role.TEACHER,
        municipality_id=mun.id,
        ttl=timedelta(days=1),
        person=petrova,
    )
    petrova_id = petrova.id
    await db.commit()

    await harness.send(COORDINATOR_ID, f"/start {new.code}")

    assert "уже подключены" in harness.last_text(COORDINATOR_ID)
    db.expire_all()
    invite = await db.scalar(select(Invite))
    assert invite is not None and invite.used_at is None
    still = await db.get(Person, petrova_id)
    assert still is not None and still.telegram_id is None


async def test_a_new_personal_link_replaces_the_old_one(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    first = await personal_link(harness, "Петрова", "Петрова Анна Ивановна")
    second = await personal_link(harness, "Петрова", "Петрова Анна Ивановна")

    await harness.send(INVITEE_ID, f"/start {first}")
    await harness.press(INVITEE_ID, "Согласен")
    assert "истёк" in harness.texts_to(INVITEE_ID)[-2]
    # Consent is already given, so the second link works straight from /start.
    await harness.send(INVITEE_ID, f"/start {second}")
    assert "Петрова Анна Ивановна" in harness.last_text(INVITEE_ID)
