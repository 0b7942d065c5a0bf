"""Questions (обращения) through the real dispatcher: ask, answer, follow up, close, rate,
routing to coordinators and substitutes, privacy and bad input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import CopyMessage, DeleteMessage, EditMessageText, SendMessage
from aiogram.types import (
    Audio,
    Document,
    Location,
    Message,
    MessageId,
    PhotoSize,
    Sticker,
    Voice,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import QuestionCb
from storage.models import (
    MessageDirection,
    Municipality,
    Person,
    PersonStatus,
    Role,
    School,
    Thread,
    ThreadMessage,
    ThreadStatus,
    TutorSubstitute,
)
from tests import seed
from tests.factories import make_message, private_chat, update_with
from tests.harness import Harness
from tests.recording_session import BOT_USER

TEACHER = 3001
OTHER_TEACHER = 3002
TUTOR = 4001
OTHER_TUTOR = 4002
COORDINATOR = 5001
FOREIGN_COORDINATOR = 5002


@pytest.fixture
def relay(harness: Harness) -> Harness:
    """The harness, named for what these tests do with it."""
    return harness


@dataclass
class World:
    mun: Municipality
    school: School
    leader: School
    teacher: Person
    tutor: Person
    coordinator: Person | None


async def arrange(
    db: AsyncSession,
    *,
    with_tutor: bool = True,
    with_coordinator: bool = True,
    subjects: list[str] | None = None,
) -> World:
    mun, school, leader = await seed.place(db)
    teacher = await seed.person(
        db,
        name="Иванова Мария Петровна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=TEACHER,
        subjects=subjects or ["математика"],
    )
    tutor = await seed.person(
        db,
        name="Петрова Анна Ивановна",
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=TUTOR,
    )
    coordinator = None
    if with_coordinator:
        coordinator = await seed.person(
            db,
            name="Сидорова Ольга Викторовна",
            roles=[Role.COORDINATOR],
            municipality=mun,
            telegram_id=COORDINATOR,
        )
    if with_tutor:
        await seed.assign_tutor(db, tutor, teacher)
    await db.commit()
    return World(mun, school, leader, teacher, tutor, coordinator)


async def send(harness: Harness, user_id: int, text: str | None = None, **fields: Any) -> Message:
    message = make_message(harness.user(user_id), text, **fields)
    await harness.send_message(message)
    return message


async def reply(harness: Harness, user_id: int, to_message_id: int, text: str) -> Message:
    user = harness.user(user_id)
    replied = Message(
        message_id=to_message_id,
        date=datetime.now(UTC),
        chat=private_chat(user),
        from_user=BOT_USER,
        text="…",
    )
    return await send(harness, user_id, text, reply_to_message=replied)


def copies_to(harness: Harness, chat_id: int) -> list[CopyMessage]:
    return [r for r in harness.sent_to(chat_id) if isinstance(r, CopyMessage)]


def copy_id(harness: Harness, request: CopyMessage) -> int:
    answer = harness.api.answers[id(request)]
    assert isinstance(answer, MessageId)
    return answer.message_id


async def threads(db: AsyncSession) -> list[Thread]:
    db.expire_all()
    return list((await db.scalars(select(Thread).order_by(Thread.id))).all())


async def content_records(db: AsyncSession, thread_id: int) -> list[ThreadMessage]:
    db.expire_all()
    rows = await db.scalars(
        select(ThreadMessage)
        .where(ThreadMessage.thread_id == thread_id, ThreadMessage.content_kind != "card")
        .order_by(ThreadMessage.id)
    )
    return list(rows.all())


# --- the whole cycle --------------------------------------------------------------------------


async def test_ask_answer_follow_up_close_and_rate(relay: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await relay.send(TEACHER, "/ask")
    assert "Напишите вопрос наставнику" in relay.last_text(TEACHER)

    question = await send(relay, TEACHER, "Как подготовить учеников к ВПР по математике?")

    [thread] = await threads(db)
    thread_id = thread.id
    assert thread.status == ThreadStatus.OPEN and thread.waiting_since is not None
    card = relay.texts_to(TUTOR)[0]
    assert f"Обращение № {thread.id}" in card
    assert "Иванова М.П., СОШ № 2, математика" in card
    assert "🗒 Оформить как консультацию" in relay.buttons(TUTOR)
    [copied] = copies_to(relay, TUTOR)
    assert (copied.from_chat_id, copied.message_id) == (TEACHER, question.message_id)
    assert "передано. Наставник: Петрова А.И.\n" in relay.last_text(TEACHER)
    [record] = await content_records(db, thread.id)
    assert (record.source_chat_id, record.source_message_id) == (TEACHER, question.message_id)
    assert (record.relayed_chat_id, record.relayed_message_id) == (TUTOR, copy_id(relay, copied))

    # The tutor answers by replying to the relayed copy.
    answer = await reply(
        relay, TUTOR, copy_id(relay, copied), "Начните с разбора заданий 2025 года."
    )
    header = f"Ответ на обращение № {thread_id}. Наставник: Петрова А.И.\n"
    assert header in relay.texts_to(TEACHER)[-1]
    [to_teacher] = copies_to(relay, TEACHER)
    assert (to_teacher.from_chat_id, to_teacher.message_id) == (TUTOR, answer.message_id)
    assert "передан педагогу" in relay.last_text(TUTOR)
    [thread] = await threads(db)
    assert thread.status == ThreadStatus.ANSWERED and thread.first_answer_at is not None
    assert thread.waiting_since is None

    # A follow-up (still in question mode) goes to the same thread.
    relay.clear()
    await send(relay, TEACHER, "А какие задания самые трудные?")
    assert f"Продолжение обращения № {thread_id}" in relay.texts_to(TUTOR)[0]
    assert len(copies_to(relay, TUTOR)) == 1
    [thread] = await threads(db)
    assert thread.status == ThreadStatus.OPEN

    # The tutor answers with the «Ответить» button this time.
    await relay.press(TUTOR, "Ответить")
    assert "следующим сообщением" in relay.last_text(TUTOR)
    await send(relay, TUTOR, "Задания 10 и 12.")
    assert len(copies_to(relay, TEACHER)) == 1
    assert len(await content_records(db, thread_id)) == 4

    # The teacher closes and rates.
    await relay.press(TEACHER, "Вопрос решён")
    assert "Оцените" in relay.last_text(TEACHER)
    await relay.press(TEACHER, "⭐⭐⭐⭐")
    await send(relay, TEACHER, "Очень помогло, спасибо!")
    assert "Спасибо за оценку" in relay.last_text(TEACHER)
    [thread] = await threads(db)
    assert thread.status == ThreadStatus.CLOSED and not thread.closed_automatically
    assert (thread.rating, thread.rating_comment) == (4, "Очень помогло, спасибо!")
    await relay.deliver()
    assert any("отмечено как решённое. Педагог: " in text for text in relay.texts_to(TUTOR))


async def test_media_documents_voice_and_albums_are_relayed(
    relay: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await relay.send(TEACHER, "/ask")
    photo = [PhotoSize(file_id="p1", file_unique_id="p1", width=10, height=10)]
    await send(relay, TEACHER, photo=photo, caption="План урока")
    await send(
        relay,
        TEACHER,
        document=Document(file_id="d1", file_unique_id="d1", file_name="план.docx"),
    )
    await send(relay, TEACHER, voice=Voice(file_id="v1", file_unique_id="v1", duration=3))
    await send(relay, TEACHER, audio=Audio(file_id="a1", file_unique_id="a1", duration=3))
    for _ in range(2):
        await send(relay, TEACHER, photo=photo, media_group_id="album-1")

    [thread] = await threads(db)
    records = await content_records(db, thread.id)
    assert [r.content_kind for r in records] == [
        "photo",
        "document",
        "voice",
        "audio",
        "photo",
        "photo",
    ]
    assert all(r.relayed_chat_id == TUTOR for r in records)
    assert len(copies_to(relay, TUTOR)) == 6
    # One card for the whole burst.
    assert sum("Обращение №" in text for text in relay.texts_to(TUTOR)) == 1


async def test_edit_of_a_question_is_carried_to_the_copy(relay: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await relay.send(TEACHER, "/ask")
    question = await send(relay, TEACHER, "Как оцениватъ диктант?")
    [copied] = copies_to(relay, TUTOR)

    edited = question.model_copy(
        update={"text": "Как оценивать диктант?", "edit_date": int(datetime.now(UTC).timestamp())}
    )
    await relay.feed(update_with(edited_message=edited))

    [edit] = [r for r in relay.sent_to(TUTOR) if isinstance(r, EditMessageText)]
    assert edit.message_id == copy_id(relay, copied)
    assert edit.text == "Как оценивать диктант?"
    assert edit.parse_mode is None
    [thread] = await threads(db)
    [record] = await content_records(db, thread.id)
    assert record.edited_at is not None


# --- routing ----------------------------------------------------------------------------------


async def test_without_tutor_the_coordinator_assigns_and_history_moves(
    relay: Harness, db: AsyncSession
) -> None:
    await arrange(db, with_tutor=False)
    await relay.send(TEACHER, "/ask")
    first = await send(relay, TEACHER, "Кто мой наставник?")
    second = await send(relay, TEACHER, "И ещё вопрос про ОГЭ.")
    assert "координатор" in relay.texts_to(TEACHER)[-1] or "координатор" in "".join(
        relay.texts_to(TEACHER)
    )
    assert copies_to(relay, TUTOR) == []
    [thread] = await threads(db)
    assert thread.tutor_id is None

    await relay.deliver()
    assert "ждёт наставника" in relay.last_text(COORDINATOR)
    await relay.press(COORDINATOR, "Назначить наставника")
    assert "Кому передать" in relay.last_text(COORDINATOR)
    await relay.press(COORDINATOR, "Петрова Анна Ивановна")

    assert "Наставник: Петрова А.И." in relay.last_text(COORDINATOR)
    # The history follows as a background job, about a message a second in the tutor's chat.
    assert copies_to(relay, TUTOR) == []
    assert await relay.run_jobs() == 1
    assert "сообщений — 2" in relay.last_text(COORDINATOR)
    copies = copies_to(relay, TUTOR)
    assert [(c.from_chat_id, c.message_id) for c in copies] == [
        (TEACHER, first.message_id),
        (TEACHER, second.message_id),
    ]
    [thread] = await threads(db)
    assert thread.tutor_id is not None
    await relay.deliver()
    assert "передано наставнику" in relay.last_text(TEACHER)

    # The new tutor answers by replying to a relayed copy from the history.
    await reply(relay, TUTOR, copy_id(relay, copies[1]), "Я ваш наставник, отвечаю.")
    assert len(copies_to(relay, TEACHER)) == 1


async def test_substitute_gets_questions_while_the_tutor_is_away(
    relay: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    substitute = await seed.person(
        db,
        name="Орлова Елена Сергеевна",
        roles=[Role.TUTOR],
        municipality=world.mun,
        school=world.leader,
        telegram_id=OTHER_TUTOR,
    )
    await db.commit()
    tutor_id, substitute_id = world.tutor.id, substitute.id

    await relay.send(TUTOR, "/questions")
    await relay.press(TUTOR, "Я в отпуске")
    await relay.press(TUTOR, "Орлова Елена Сергеевна")
    await relay.send(TUTOR, "31.02.2026")
    assert "Не понял дату" in relay.last_text(TUTOR)
    await relay.send(TUTOR, "01.01.2020")
    assert "не раньше сегодняшней" in relay.last_text(TUTOR)
    until = (datetime.now(UTC) + timedelta(days=10)).strftime("%d.%m.%Y")
    await relay.send(TUTOR, until)
    assert "Орлова Е.С." in relay.last_text(TUTOR)
    db.expire_all()
    assert await db.scalar(select(func.count()).select_from(TutorSubstitute)) == 1

    await relay.send(TEACHER, "/ask")
    await send(relay, TEACHER, "Вопрос во время отпуска")
    assert len(copies_to(relay, OTHER_TUTOR)) == 1
    assert copies_to(relay, TUTOR) == []
    [thread] = await threads(db)
    assert thread.tutor_id == tutor_id  # the thread stays the tutor's own

    await relay.send(OTHER_TUTOR, "/questions")
    assert f"№ {thread.id}" in relay.last_text(OTHER_TUTOR)
    [copied] = copies_to(relay, OTHER_TUTOR)
    await reply(relay, OTHER_TUTOR, copy_id(relay, copied), "Отвечаю вместо коллеги.")
    assert "Орлова Е.С." in relay.texts_to(TEACHER)[-1]
    assert substitute_id != tutor_id

    await relay.send(TUTOR, "/questions")
    await relay.press(TUTOR, "Я вернулся")
    db.expire_all()
    assert await db.scalar(select(func.count()).select_from(TutorSubstitute)) == 0


# --- who sees what ----------------------------------------------------------------------------


async def _one_thread(relay: Harness, db: AsyncSession) -> Thread:
    await relay.send(TEACHER, "/ask")
    await send(relay, TEACHER, "Мой личный вопрос")
    [thread] = await threads(db)
    return thread


async def test_a_teacher_cannot_open_or_close_another_teachers_thread(
    relay: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    await seed.person(
        db,
        name="Козлова Нина",
        roles=[Role.TEACHER],
        municipality=world.mun,
        school=world.school,
        telegram_id=OTHER_TEACHER,
    )
    await db.commit()
    thread = await _one_thread(relay, db)

    for action in ("open", "close", "rate"):
        relay.clear()
        data = QuestionCb(action=action, thread_id=thread.id, value=5).pack()
        await relay.callback(OTHER_TEACHER, data)
        assert "недоступно" in relay.last_text(OTHER_TEACHER)
    [thread] = await threads(db)
    assert thread.status == ThreadStatus.OPEN and thread.rating is None

    await relay.callback(TEACHER, QuestionCb(action="open", thread_id=thread.id).pack())
    assert f"Обращение № {thread.id}" in relay.last_text(TEACHER)
    assert "Иванова М.П.: текст" in relay.last_text(TEACHER)


async def test_a_tutor_sees_only_threads_assigned_to_them(relay: Harness, db: AsyncSession) -> None:
    world = await arrange(db)
    await seed.person(
        db,
        name="Орлова Елена Сергеевна",
        roles=[Role.TUTOR],
        municipality=world.mun,
        school=world.leader,
        telegram_id=OTHER_TUTOR,
    )
    await db.commit()
    thread = await _one_thread(relay, db)

    await relay.send(OTHER_TUTOR, "/questions")
    assert "Открытых обращений нет" in relay.last_text(OTHER_TUTOR)
    for action in ("open", "answer"):
        await relay.callback(OTHER_TUTOR, QuestionCb(action=action, thread_id=thread.id).pack())
        assert "недоступно" in relay.last_text(OTHER_TUTOR) or "другому наставнику" in (
            relay.last_text(OTHER_TUTOR)
        )
    await relay.send(TUTOR, "/questions")
    assert f"№ {thread.id} — Иванова М.П." in relay.last_text(TUTOR)


async def test_a_coordinator_sees_only_their_municipality(relay: Harness, db: AsyncSession) -> None:
    await arrange(db)
    other_mun, _, _ = await seed.place(db, "Кировский городской округ")
    await seed.person(
        db,
        name="Чужой Координатор",
        roles=[Role.COORDINATOR],
        municipality=other_mun,
        telegram_id=FOREIGN_COORDINATOR,
    )
    await db.commit()
    thread = await _one_thread(relay, db)

    for action in ("open", "assign"):
        await relay.callback(
            FOREIGN_COORDINATOR, QuestionCb(action=action, thread_id=thread.id).pack()
        )
        assert "недоступно" in relay.last_text(FOREIGN_COORDINATOR)
    await relay.send(FOREIGN_COORDINATOR, "📨 Обращения педагогов")
    assert "ждут ответа: 0" in relay.last_text(FOREIGN_COORDINATOR)
    await relay.send(COORDINATOR, "📨 Обращения педагогов")
    assert "ждут ответа: 1" in relay.last_text(COORDINATOR)


async def test_replying_to_a_closed_thread_is_refused(relay: Harness, db: AsyncSession) -> None:
    await arrange(db)
    thread = await _one_thread(relay, db)
    [copied] = copies_to(relay, TUTOR)
    await relay.callback(TEACHER, QuestionCb(action="close", thread_id=thread.id).pack())

    relay.clear()
    await reply(relay, TUTOR, copy_id(relay, copied), "Поздний ответ")
    assert "закрыто" in relay.last_text(TUTOR)
    assert copies_to(relay, TEACHER) == []


async def test_a_tutor_replying_to_a_moved_thread_is_refused(
    relay: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    await seed.person(
        db,
        name="Орлова Елена Сергеевна",
        roles=[Role.TUTOR],
        municipality=world.mun,
        school=world.leader,
        telegram_id=OTHER_TUTOR,
    )
    await db.commit()
    thread = await _one_thread(relay, db)
    [copied] = copies_to(relay, TUTOR)
    await relay.callback(COORDINATOR, QuestionCb(action="assign", thread_id=thread.id).pack())
    await relay.press(COORDINATOR, "Орлова Елена Сергеевна")
    await relay.run_jobs()

    relay.clear()
    await reply(relay, TUTOR, copy_id(relay, copied), "Отвечаю по старой памяти")
    assert "другому наставнику" in relay.last_text(TUTOR)
    assert copies_to(relay, TEACHER) == []


# --- bad input and faults ---------------------------------------------------------------------


async def test_a_teacher_with_no_tutor_and_no_coordinator_is_told_clearly(
    relay: Harness, db: AsyncSession
) -> None:
    await arrange(db, with_tutor=False, with_coordinator=False)
    await relay.send(TEACHER, "/ask")
    assert "некому передать" in relay.last_text(TEACHER)
    await relay.send(TEACHER, "Вопрос в пустоту")
    assert await threads(db) == []
    db.expire_all()
    assert await db.scalar(select(func.count()).select_from(ThreadMessage)) == 0


async def test_stickers_and_locations_are_refused_clearly(relay: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await relay.send(TEACHER, "/ask")
    sticker = Sticker(
        file_id="s1",
        file_unique_id="s1",
        type="regular",
        width=512,
        height=512,
        is_animated=False,
        is_video=False,
    )
    await send(relay, TEACHER, sticker=sticker)
    assert "не могу переслать" in relay.last_text(TEACHER)
    await send(relay, TEACHER, location=Location(latitude=45.1, longitude=42.0))
    assert "не могу переслать" in relay.last_text(TEACHER)
    assert await threads(db) == []
    assert copies_to(relay, TUTOR) == []


async def test_a_tutor_who_blocked_the_bot_falls_back_to_the_coordinator(
    relay: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    relay.api.blocked_chats.add(TUTOR)
    await relay.send(TEACHER, "/ask")
    await send(relay, TEACHER, "Срочный вопрос")

    assert "наставник сейчас недоступен" in relay.last_text(TEACHER)
    [thread] = await threads(db)
    assert thread.tutor_id is None
    tutor = await db.scalar(select(Person).where(Person.telegram_id == TUTOR))
    assert tutor is not None and tutor.status == PersonStatus.BLOCKED_BOT
    [record] = await content_records(db, thread.id)
    assert record.relayed_chat_id is None
    await relay.deliver()
    assert "недоступен" in relay.last_text(COORDINATOR)
    assert "👤 Назначить наставника" in relay.buttons(COORDINATOR)


async def test_a_burst_of_messages_is_relayed_once_each(relay: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await relay.send(TEACHER, "/ask")
    # /ask and 19 messages: the whole flood allowance of one window, none of them slowed.
    sent = [await send(relay, TEACHER, f"Сообщение {n}") for n in range(19)]

    [thread] = await threads(db)
    records = await content_records(db, thread.id)
    sources = [r.source_message_id for r in records]
    assert sorted(sources) == sorted(m.message_id for m in sent)
    copied = copies_to(relay, TUTOR)
    assert sorted(c.message_id for c in copied) == sorted(sources)


async def test_a_long_html_looking_message_is_relayed_intact(
    relay: Harness, db: AsyncSession
) -> None:
    await arrange(db, subjects=["<i>математика</i>"])
    text = ("<b>не жирный</b> & <script>alert(1)</script> " * 100)[:4000]
    await relay.send(TEACHER, "/ask")
    question = await send(relay, TEACHER, text)

    [copied] = copies_to(relay, TUTOR)
    assert (copied.from_chat_id, copied.message_id) == (TEACHER, question.message_id)
    card = next(r for r in relay.sent_to(TUTOR) if isinstance(r, SendMessage))
    assert "&lt;i&gt;математика&lt;/i&gt;" in card.text
    assert "<i>" not in card.text
    [thread] = await threads(db)
    assert thread.status == ThreadStatus.OPEN


async def test_rating_comment_is_validated(relay: Harness, db: AsyncSession) -> None:
    await arrange(db)
    thread = await _one_thread(relay, db)
    await relay.callback(TEACHER, QuestionCb(action="rate", thread_id=thread.id, value=5).pack())
    assert "только закрытое" in relay.last_text(TEACHER)
    await relay.callback(TEACHER, QuestionCb(action="close", thread_id=thread.id).pack())
    await relay.callback(TEACHER, QuestionCb(action="rate", thread_id=thread.id, value=9).pack())
    assert "от 1 до 5" in relay.last_text(TEACHER)
    await relay.callback(TEACHER, QuestionCb(action="rate", thread_id=thread.id, value=2).pack())
    await relay.send(TEACHER, "я" * 1001)
    assert "слишком длинный" in relay.last_text(TEACHER)
    await relay.press(TEACHER, "Пропустить")
    await relay.callback(TEACHER, QuestionCb(action="rate", thread_id=thread.id, value=5).pack())
    assert "уже оценили" in relay.last_text(TEACHER)
    [thread] = await threads(db)
    assert (thread.rating, thread.rating_comment) == (2, None)


# --- the coordinator's view -------------------------------------------------------------------


async def test_overview_counts_overdue_median_and_ratings(relay: Harness, db: AsyncSession) -> None:
    world = await arrange(db)
    now = datetime.now(UTC)

    def thread(**fields: Any) -> Thread:
        values: dict[str, Any] = {
            "teacher_id": world.teacher.id,
            "tutor_id": world.tutor.id,
            "municipality_id": world.mun.id,
            "school_id": world.school.id,
            "status": ThreadStatus.CLOSED,
            "created_at": now - timedelta(days=3),
            "last_activity_at": now,
        }
        values.update(fields)
        return Thread(**values)

    db.add_all(
        [
            thread(first_answer_at=now - timedelta(days=3) + timedelta(hours=2), rating=5),
            thread(first_answer_at=now - timedelta(days=3) + timedelta(hours=4), rating=4),
            thread(first_answer_at=now - timedelta(days=3) + timedelta(hours=9)),
            thread(status=ThreadStatus.OPEN, waiting_since=now - timedelta(hours=60)),
            thread(status=ThreadStatus.OPEN, tutor_id=None, waiting_since=now),
        ]
    )
    await db.commit()

    await relay.send(COORDINATOR, "📨 Обращения педагогов")
    text = relay.last_text(COORDINATOR)
    assert "ждут ответа: 2" in text and "закрыты: 3" in text
    assert "без ответа 60.0 ч" in text
    assert "Петрова А.И.: 4.0 ч (ответов: 3); оценка 4.5 из 5 (оценок: 2)" in text
    assert "Назначить №" in " ".join(relay.buttons(COORDINATOR))


async def test_an_edit_that_telegram_refuses_is_skipped_quietly(
    relay: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await relay.send(TEACHER, "/ask")
    question = await send(relay, TEACHER, "Черновик вопроса")
    relay.api.fail_next(
        TelegramBadRequest(method=EditMessageText(text="x"), message="message to edit not found"),
        method=EditMessageText,
    )
    relay.clear()
    edited = question.model_copy(
        update={"text": "Чистовик вопроса", "edit_date": int(datetime.now(UTC).timestamp())}
    )
    await relay.feed(update_with(edited_message=edited))
    assert relay.texts_to(TEACHER) == []  # no apology: nothing went wrong for the teacher


async def test_a_teacher_replying_to_an_answer_of_a_closed_thread_is_told(
    relay: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    thread = await _one_thread(relay, db)
    thread_id = thread.id
    [copied] = copies_to(relay, TUTOR)
    await reply(relay, TUTOR, copy_id(relay, copied), "Ответ наставника")
    [answer_copy] = copies_to(relay, TEACHER)
    await relay.callback(TEACHER, QuestionCb(action="close", thread_id=thread_id).pack())

    relay.clear()
    await reply(relay, TEACHER, copy_id(relay, answer_copy), "А ещё вопрос")
    assert f"Обращение № {thread_id} закрыто" in relay.last_text(TEACHER)
    assert copies_to(relay, TUTOR) == []


async def test_a_sticker_as_an_answer_keeps_the_tutor_in_answer_mode(
    relay: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await _one_thread(relay, db)
    await relay.press(TUTOR, "Ответить")
    sticker = Sticker(
        file_id="s1",
        file_unique_id="s1",
        type="regular",
        width=512,
        height=512,
        is_animated=False,
        is_video=False,
    )
    await send(relay, TUTOR, sticker=sticker)
    assert "не могу переслать" in relay.last_text(TUTOR)
    await send(relay, TUTOR, "Вот ответ текстом.")
    assert len(copies_to(relay, TEACHER)) == 1


async def test_a_menu_button_leaves_question_mode_instead_of_being_relayed(
    relay: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await relay.send(TEACHER, "✍️ Вопрос наставнику")
    assert "Напишите вопрос наставнику" in relay.last_text(TEACHER)
    await relay.send(TEACHER, "❓ Помощь")
    await relay.send(TEACHER, "Это уже не вопрос наставнику")

    assert await threads(db) == []
    assert copies_to(relay, TUTOR) == []
    assert "Не понял сообщение" in relay.last_text(TEACHER)


async def test_a_teacher_with_two_tutors_reaches_the_one_who_can_receive(
    relay: Harness, db: AsyncSession
) -> None:
    """The first assigned tutor has blocked the bot: the question goes to the second assigned
    tutor, not to the coordinators' queue."""
    world = await arrange(db)
    second = await seed.person(
        db,
        name="Орлова Елена Сергеевна",
        roles=[Role.TUTOR],
        municipality=world.mun,
        school=world.leader,
        telegram_id=OTHER_TUTOR,
    )
    await seed.assign_tutor(db, second, world.teacher)
    world.tutor.status = PersonStatus.BLOCKED_BOT
    second_id = second.id
    await db.commit()

    await relay.send(TEACHER, "/ask")
    await send(relay, TEACHER, "Вопрос второму наставнику")

    [thread] = await threads(db)
    assert thread.tutor_id == second_id
    assert len(copies_to(relay, OTHER_TUTOR)) == 1
    assert "Наставник: Орлова Е.С." in relay.last_text(TEACHER)


async def test_an_answer_telegram_refuses_to_copy_is_reported_to_the_tutor(
    relay: Harness, db: AsyncSession
) -> None:
    """A teacher who forbids voice messages: the copy of a voice answer is refused. The tutor
    is told plainly, the half-sent header is taken back and the thread still waits."""
    await arrange(db)
    await relay.send(TEACHER, "/ask")
    await send(relay, TEACHER, "Вопрос")
    [copied] = copies_to(relay, TUTOR)
    relay.api.fail_next(
        TelegramBadRequest(
            method=CopyMessage(chat_id=0, from_chat_id=0, message_id=0),
            message="Bad Request: VOICE_MESSAGES_FORBIDDEN",
        ),
        method=CopyMessage,
    )
    relay.clear()
    user = relay.user(TUTOR)
    replied = Message(
        message_id=copy_id(relay, copied),
        date=datetime.now(UTC),
        chat=private_chat(user),
        from_user=BOT_USER,
        text="…",
    )
    await send(
        relay,
        TUTOR,
        voice=Voice(file_id="v9", file_unique_id="v9", duration=5),
        reply_to_message=replied,
    )

    assert "не позволил передать" in relay.last_text(TUTOR)
    assert any(isinstance(r, DeleteMessage) for r in relay.sent_to(TEACHER))
    [thread] = await threads(db)
    assert thread.status == ThreadStatus.OPEN
    assert [r.content_kind for r in await content_records(db, thread.id)] == ["text"]


async def test_a_question_telegram_refuses_to_copy_leaves_no_thread_behind(
    relay: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    await relay.send(TEACHER, "/ask")
    relay.api.fail_next(
        TelegramBadRequest(
            method=CopyMessage(chat_id=0, from_chat_id=0, message_id=0),
            message="Bad Request: VOICE_MESSAGES_FORBIDDEN",
        ),
        method=CopyMessage,
    )
    await send(relay, TEACHER, voice=Voice(file_id="v1", file_unique_id="v1", duration=3))

    assert "не позволил передать" in relay.last_text(TEACHER)
    assert any(isinstance(r, DeleteMessage) for r in relay.sent_to(TUTOR)), "card taken back"
    assert await threads(db) == []


async def test_long_thread_lists_fit_telegrams_limits(relay: Harness, db: AsyncSession) -> None:
    """A busy tutor (or municipality) with many open threads: every message stays within 4,096
    characters and every keyboard within 100 buttons, and no thread is left out of the text."""
    world = await arrange(db)
    long_ago = datetime.now(UTC) - timedelta(hours=80)
    numbers: list[int] = []
    for index in range(70):
        teacher = await seed.person(
            db,
            name=f"Педагогова{index} Мария Петровна",
            roles=[Role.TEACHER],
            municipality=world.mun,
            school=world.school,
        )
        for tutor_id in (world.tutor.id, None):
            thread = Thread(
                teacher_id=teacher.id,
                tutor_id=tutor_id,
                municipality_id=world.mun.id,
                school_id=world.school.id,
                status=ThreadStatus.OPEN,
                last_activity_at=long_ago,
                waiting_since=long_ago,
            )
            db.add(thread)
            await db.flush()
            numbers.append(thread.id)
    await db.commit()

    await relay.send(TUTOR, "/questions")
    await relay.send(COORDINATOR, "/questions")

    for chat_id in (TUTOR, COORDINATOR):
        sent = [r for r in relay.sent_to(chat_id) if isinstance(r, SendMessage)]
        assert sent and all(len(r.text) <= 4096 for r in sent)
        for request in sent:
            markup = request.reply_markup
            if markup is not None and hasattr(markup, "inline_keyboard"):
                assert sum(len(row) for row in markup.inline_keyboard) <= 100
    tutor_text = "\n".join(relay.texts_to(TUTOR))
    assert all(f"№ {n} " in tutor_text for n in numbers[0::2])
    coordinator_text = "\n".join(relay.texts_to(COORDINATOR))
    assert all(f"№ {n} " in coordinator_text for n in numbers)


async def test_a_long_history_is_sent_in_parts(relay: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await relay.send(TEACHER, "/ask")
    await send(relay, TEACHER, "Первый вопрос")
    [thread] = await threads(db)
    teacher_id = thread.teacher_id
    for index in range(150):
        db.add(
            ThreadMessage(
                thread_id=thread.id,
                author_id=teacher_id,
                direction=MessageDirection.FROM_TEACHER,
                content_kind="text",
                source_chat_id=TEACHER,
                source_message_id=10_000 + index,
            )
        )
    await db.commit()
    relay.clear()

    await relay.callback(TUTOR, QuestionCb(action="open", thread_id=thread.id, value=0).pack())

    sent = [r for r in relay.sent_to(TUTOR) if isinstance(r, SendMessage)]
    assert len(sent) > 1 and all(len(r.text) <= 4096 for r in sent)
    assert f"Обращение № {thread.id}" in sent[0].text


async def test_assigning_skips_a_history_message_telegram_cannot_copy(
    relay: Harness, db: AsyncSession
) -> None:
    """The teacher deleted one of their messages before a tutor was assigned: the rest of the
    history still moves and the thread is assigned (not refused forever)."""
    await arrange(db, with_tutor=False)
    await relay.send(TEACHER, "/ask")
    await send(relay, TEACHER, "Удалённый вопрос")
    kept = await send(relay, TEACHER, "Оставшийся вопрос")
    await relay.deliver()
    await relay.press(COORDINATOR, "Назначить наставника")
    relay.api.fail_next(
        TelegramBadRequest(
            method=CopyMessage(chat_id=0, from_chat_id=0, message_id=0),
            message="Bad Request: message to copy not found",
        ),
        method=CopyMessage,
    )
    await relay.press(COORDINATOR, "Петрова Анна Ивановна")
    await relay.run_jobs()

    assert "Наставник: Петрова А.И." in relay.texts_to(COORDINATOR)[-2]
    assert "сообщений — 1" in relay.last_text(COORDINATOR)
    [thread] = await threads(db)
    assert thread.tutor_id is not None
    assert [c.message_id for c in copies_to(relay, TUTOR)][-1] == kept.message_id
