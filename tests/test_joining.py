from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import AnswerCallbackQuery
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JoinRequest, JoinRequestStatus, Person, Role
from tests import seed
from tests.harness import Harness

TEACHER_ID = 1001
COORDINATOR_ID = 2001


async def count_people(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(Person)) or 0)


async def test_start_asks_consent_and_stores_nothing(harness: Harness, db: AsyncSession) -> None:
    await harness.send(TEACHER_ID, "/start")

    assert "персональных данных" in harness.last_text(TEACHER_ID)
    assert harness.buttons(TEACHER_ID) == ["✅ Согласен(на)", "Не согласен(на)"]
    assert await count_people(db) == 0


async def test_declining_consent_stores_nothing(harness: Harness, db: AsyncSession) -> None:
    await harness.send(TEACHER_ID, "/start")
    await harness.press(TEACHER_ID, "Не согласен")

    assert "ничего о вас не сохранили" in harness.last_text(TEACHER_ID)
    assert await count_people(db) == 0


async def test_own_phone_matches_roster_and_shows_teacher_menu(
    harness: Harness, db: AsyncSession
) -> None:
    mun, school, _ = await seed.place(db)
    await seed.person(
        db,
        name="Петрова Анна Ивановна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        phone="+79181234567",
    )
    await db.commit()

    await harness.send(TEACHER_ID, "/start")
    await harness.press(TEACHER_ID, "Согласен")
    assert "номер телефона" in harness.last_text(TEACHER_ID)
    await harness.share_contact(TEACHER_ID, "8 (918) 123-45-67")

    assert "Петрова Анна Ивановна" in harness.last_text(TEACHER_ID)
    assert "🧑‍🏫 Мой наставник" in harness.buttons(TEACHER_ID)
    db.expire_all()
    person = await db.scalar(select(Person).where(Person.telegram_id == TEACHER_ID))
    assert person is not None and person.consent_at is not None
    assert await count_people(db) == 1


async def test_someone_elses_contact_is_refused(harness: Harness, db: AsyncSession) -> None:
    mun, school, _ = await seed.place(db)
    await seed.person(
        db,
        name="Петрова Анна Ивановна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        phone="+79181234567",
    )
    await db.commit()
    await harness.send(TEACHER_ID, "/start")
    await harness.press(TEACHER_ID, "Согласен")

    await harness.share_contact(TEACHER_ID, "+79181234567", owner_id=555)

    assert "чужой контакт" in harness.last_text(TEACHER_ID)
    db.expire_all()
    roster = await db.scalar(select(Person).where(Person.phone == "+79181234567"))
    assert roster is not None and roster.telegram_id is None


async def test_request_to_join_is_approved_by_coordinator(
    harness: Harness, db: AsyncSession
) -> None:
    mun, _, _ = await seed.place(db)
    await seed.person(
        db,
        name="Координатор Ольга Сергеевна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR_ID,
    )
    await db.commit()

    await harness.send(TEACHER_ID, "/start")
    await harness.press(TEACHER_ID, "Согласен")
    await harness.send(TEACHER_ID, "📝 Подать заявку")
    await harness.send(TEACHER_ID, "Грачёвский")  # text where a button is expected
    assert "кнопкой" in harness.last_text(TEACHER_ID)
    await harness.press(TEACHER_ID, "Грачёвский муниципальный округ")
    await harness.press(TEACHER_ID, "СОШ № 2")
    await harness.send(TEACHER_ID, "математика")
    await harness.send(TEACHER_ID, "<b>Сидоров</b>")
    assert "фамилию и имя" in harness.last_text(TEACHER_ID)
    await harness.send(TEACHER_ID, "Сидоров Пётр Ильич")
    assert "Заявка отправлена" in harness.last_text(TEACHER_ID)
    assert await harness.deliver() == 1

    card = harness.last_text(COORDINATOR_ID)
    assert "Сидоров Пётр Ильич" in card and "Математика" in card
    await harness.press(COORDINATOR_ID, "Принять")
    assert await harness.deliver() == 1

    db.expire_all()
    request = await db.scalar(select(JoinRequest))
    assert request is not None and request.status == JoinRequestStatus.APPROVED
    assert "Добро пожаловать" in "\n".join(harness.texts_to(TEACHER_ID))
    assert "🤝 Сообщества" in harness.buttons(TEACHER_ID)

    # A second press on the old button changes nothing.
    await harness.press(COORDINATOR_ID, "Принять")
    assert "уже принято" in harness.last_text(COORDINATOR_ID)


async def test_a_200_character_name_is_approved_and_the_applicant_told(
    harness: Harness, db: AsyncSession
) -> None:
    """The answer to the coordinator's tap once held the name: 217 characters, which Telegram
    refuses (its limit is 200), and the approval never reached the applicant."""
    mun, _, _ = await seed.place(db)
    await seed.person(
        db,
        name="Координатор Ольга",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR_ID,
    )
    await db.commit()
    long_name = "Иванова " + "Я" * 192
    assert len(long_name) == 200
    await harness.send(TEACHER_ID, "/start")
    await harness.press(TEACHER_ID, "Согласен")
    await harness.send(TEACHER_ID, "📝 Подать заявку")
    await harness.press(TEACHER_ID, "Грачёвский муниципальный округ")
    await harness.press(TEACHER_ID, "СОШ № 2")
    await harness.send(TEACHER_ID, "математика")
    await harness.send(TEACHER_ID, long_name)
    assert await harness.deliver() == 1

    await harness.press(COORDINATOR_ID, "Принять")
    assert await harness.deliver() == 1

    db.expire_all()
    request = await db.scalar(select(JoinRequest))
    assert request is not None and request.status == JoinRequestStatus.APPROVED
    assert "Добро пожаловать" in "\n".join(harness.texts_to(TEACHER_ID))
    # The coordinator reads whom they accepted in full, in the chat.
    assert f"Заявка принята: {long_name}" in harness.last_text(COORDINATOR_ID)
    answers = [r for r in harness.requests if isinstance(r, AnswerCallbackQuery)]
    assert answers and all(len(a.text or "") <= 200 for a in answers)


async def test_a_refused_answer_to_the_tap_does_not_undo_the_approval(
    harness: Harness, db: AsyncSession
) -> None:
    """Answering the tap is a courtesy: Telegram refusing it (a query too old to answer) must
    not cost the decision already made, nor the applicant's news of it."""
    mun, _, _ = await seed.place(db)
    await seed.person(
        db,
        name="Координатор Ольга",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR_ID,
    )
    await db.commit()
    await harness.send(TEACHER_ID, "/start")
    await harness.press(TEACHER_ID, "Согласен")
    await harness.send(TEACHER_ID, "📝 Подать заявку")
    await harness.press(TEACHER_ID, "Грачёвский муниципальный округ")
    await harness.press(TEACHER_ID, "СОШ № 2")
    await harness.send(TEACHER_ID, "математика")
    await harness.send(TEACHER_ID, "Сидоров Пётр Ильич")
    assert await harness.deliver() == 1

    harness.api.fail_next(
        TelegramBadRequest(
            method=AnswerCallbackQuery(callback_query_id="1"),
            message="Bad Request: query is too old and response timeout expired or query ID is "
            "invalid",
        ),
        method=AnswerCallbackQuery,
    )
    await harness.press(COORDINATOR_ID, "Принять")
    assert await harness.deliver() == 1

    db.expire_all()
    request = await db.scalar(select(JoinRequest))
    assert request is not None and request.status == JoinRequestStatus.APPROVED
    teacher = await db.scalar(select(Person).where(Person.telegram_id == TEACHER_ID))
    assert teacher is not None and Role.TEACHER in teacher.role_set
    assert "Добро пожаловать" in "\n".join(harness.texts_to(TEACHER_ID))
    assert "Заявка принята: Сидоров Пётр Ильич" in harness.last_text(COORDINATOR_ID)
