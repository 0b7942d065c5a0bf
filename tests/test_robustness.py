"""Faults every update may meet: duplicates, floods, Telegram errors, restarts, old buttons."""

from __future__ import annotations

import asyncio
import logging

import pytest
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import AnswerCallbackQuery, SendMessage
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import create_bot, create_dispatcher
from storage.models import JoinRequest, Person, PersonStatus, Role
from tests import seed
from tests.factories import make_message, update_with
from tests.harness import Harness
from tests.recording_session import RecordingSession

USER_ID = 3001
COORDINATOR_ID = 3002


async def registered_teacher(db: AsyncSession) -> Person:
    mun, school, _ = await seed.place(db)
    teacher = await seed.person(
        db,
        name="Орлова Вера Павловна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=USER_ID,
    )
    await db.commit()
    return teacher


async def test_the_same_update_twice_has_one_effect(harness: Harness) -> None:
    update = update_with(message=make_message(harness.user(USER_ID), "/start"))
    await harness.feed(update)
    await harness.feed(update)

    assert len([r for r in harness.sent_to(USER_ID) if isinstance(r, SendMessage)]) == 1


async def test_network_error_while_answering_is_retried_and_the_answer_arrives(
    harness: Harness,
) -> None:
    harness.api.fail_next(
        TelegramNetworkError(method=SendMessage(chat_id=USER_ID, text="x"), message="timeout"),
        method=SendMessage,
    )
    await harness.send(USER_ID, "/start")

    assert "персональных данных" in harness.last_text(USER_ID)


async def test_unexpected_error_is_logged_with_update_id(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    harness.api.fail_next(RuntimeError("boom"), method=SendMessage)
    with caplog.at_level(logging.ERROR):
        await harness.send(USER_ID, "/start")
    assert any("failed" in r.getMessage() and "update" in r.getMessage() for r in caplog.records)
    assert "что-то пошло не так" in harness.last_text(USER_ID)


async def test_blocked_coordinator_is_marked_and_applicant_is_not_hurt(
    harness: Harness, db: AsyncSession
) -> None:
    mun, _, _ = await seed.place(db)
    await seed.person(
        db,
        name="Координатор Ирина Олеговна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR_ID,
    )
    await db.commit()
    await harness.send(USER_ID, "/start")
    await harness.press(USER_ID, "Согласен")
    await harness.send(USER_ID, "📝 Подать заявку")
    await harness.press(USER_ID, "Грачёвский")
    await harness.press(USER_ID, "СОШ № 2")
    await harness.press(USER_ID, "Пропустить")
    harness.api.blocked_chats.add(COORDINATOR_ID)
    await harness.send(USER_ID, "Кузнецова Дарья Андреевна")
    await harness.deliver()

    assert "Заявка отправлена" in harness.last_text(USER_ID)
    db.expire_all()
    coordinator = await db.scalar(select(Person).where(Person.telegram_id == COORDINATOR_ID))
    assert coordinator is not None and coordinator.status == PersonStatus.BLOCKED_BOT
    assert await db.scalar(select(func.count()).select_from(JoinRequest)) == 1

    # Writing to the bot again means they unblocked it.
    harness.api.blocked_chats.clear()
    await harness.send(COORDINATOR_ID, "/menu")
    db.expire_all()
    coordinator = await db.scalar(select(Person).where(Person.telegram_id == COORDINATOR_ID))
    assert coordinator is not None and coordinator.status == PersonStatus.ACTIVE


async def test_dialog_resumes_after_restart(harness: Harness, db: AsyncSession) -> None:
    await seed.place(db)
    await db.commit()
    await harness.send(USER_ID, "/start")
    await harness.press(USER_ID, "Согласен")
    await harness.send(USER_ID, "📝 Подать заявку")
    await harness.press(USER_ID, "Грачёвский")

    # The process restarts: a new dispatcher and bot over the same database (and Redis).
    api = RecordingSession()
    restarted = Harness(
        dp=create_dispatcher(
            harness.dp["settings"], harness.session_pool, redis=harness.dp["redis"]
        ),
        bot=create_bot(harness.dp["settings"], session=api),
        api=api,
        session_pool=harness.session_pool,
    )
    restarted.api.requests.extend(harness.requests)
    restarted.api.answers.update(harness.api.answers)
    await restarted.press(USER_ID, "СОШ № 2")

    assert "Какой предмет" in restarted.last_text(USER_ID)


async def test_old_button_gets_a_polite_alert(harness: Harness, db: AsyncSession) -> None:
    await registered_teacher(db)
    await harness.callback(USER_ID, "jp:school:5")
    await harness.callback(USER_ID, "zz:whatever")

    answers = [r for r in harness.requests if isinstance(r, AnswerCallbackQuery)]
    assert len(answers) == 2
    assert all("устарела" in (a.text or "") for a in answers)


async def test_concurrent_messages_of_one_person_do_not_race(
    harness: Harness, db: AsyncSession
) -> None:
    await seed.place(db)
    await db.commit()
    await harness.send(USER_ID, "/start")
    await harness.press(USER_ID, "Согласен")
    await harness.send(USER_ID, "📝 Подать заявку")
    await harness.press(USER_ID, "Грачёвский")
    await harness.press(USER_ID, "СОШ № 2")
    await harness.press(USER_ID, "Пропустить")

    await asyncio.gather(
        harness.send(USER_ID, "Кузнецова Дарья Андреевна"),
        harness.send(USER_ID, "Кузнецова Дарья Андреевна"),
    )

    db.expire_all()
    assert await db.scalar(select(func.count()).select_from(JoinRequest)) == 1


async def test_group_chats_are_ignored(harness: Harness, db: AsyncSession) -> None:
    from aiogram.types import Chat

    await registered_teacher(db)
    user = harness.user(USER_ID)
    group = Chat(id=-100500, type="supergroup", title="Учительская")
    message = make_message(user, "/mydata").model_copy(update={"chat": group})

    await harness.send_message(message)

    assert harness.requests == []


async def test_a_button_with_a_huge_number_is_an_old_button(
    harness: Harness, db: AsyncSession
) -> None:
    await registered_teacher(db)

    await harness.callback(USER_ID, f"cm:join:{10**20}")

    [answer] = [r for r in harness.requests if isinstance(r, AnswerCallbackQuery)]
    assert "устарела" in (answer.text or "")
