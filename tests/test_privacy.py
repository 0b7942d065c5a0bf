"""Personal data: /privacy for anyone, the profile, /mydata (own data only) and /forget."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram.methods import CopyMessage, SendDocument, SendMessage
from aiogram.types import BufferedInputFile, Message, MessageId, ReplyKeyboardRemove
from redis.asyncio import Redis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.privacy import is_fsm_key_of
from storage.models import (
    Base,
    Community,
    CommunityMembership,
    Delivery,
    DeliveryStatus,
    FsmRecord,
    Invite,
    InviteKind,
    JoinRequest,
    MessageDirection,
    Person,
    PersonRole,
    PersonStatus,
    Role,
    RosterUpload,
    Thread,
    ThreadMessage,
    ThreadStatus,
)
from tests import seed
from tests.factories import make_message, private_chat
from tests.harness import Harness
from tests.recording_session import BOT_USER

TEACHER_ID = 3001
OTHER_ID = 3002
TUTOR_ID = 3003
TEACHER_NAME = "Сидорова Мария Петровна"
TEACHER_PHONE = "+79185550101"
OTHER_NAME = "Кузнецов Олег Викторович"
OTHER_PHONE = "+79185550202"


async def arrange_teacher(db: AsyncSession) -> tuple[Person, Person, Community]:
    mun, school, leader = await seed.place(db)
    teacher = await seed.person(
        db,
        name=TEACHER_NAME,
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=TEACHER_ID,
        phone=TEACHER_PHONE,
        subjects=["Химия"],
    )
    await seed.person(
        db,
        name=OTHER_NAME,
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=OTHER_ID,
        phone=OTHER_PHONE,
        subjects=["Физика"],
    )
    tutor = await seed.person(
        db,
        name="Волкова Ирина Сергеевна",
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=TUTOR_ID,
        phone="+79185550303",
    )
    await seed.assign_tutor(db, tutor, teacher)
    community = Community(municipality_id=mun.id, name="Соцветие естественников")
    db.add(community)
    await db.flush()
    db.add(CommunityMembership(community_id=community.id, person_id=teacher.id))
    await db.flush()
    return teacher, tutor, community


def exported(harness: Harness, chat_id: int) -> dict[str, Any]:
    documents = [r for r in harness.sent_to(chat_id) if isinstance(r, SendDocument)]
    assert documents, "no file was sent"
    document = documents[-1].document
    assert isinstance(document, BufferedInputFile)
    data: dict[str, Any] = json.loads(document.data.decode("utf-8"))
    return data


async def test_privacy_works_before_consent_and_stores_nothing(
    harness: Harness, db: AsyncSession
) -> None:
    await harness.send(TEACHER_ID, "/privacy")

    text = harness.last_text(TEACHER_ID)
    assert "Что хранится" in text and "/forget" in text and "/mydata" in text
    assert "https://example.org/privacy" in text
    assert await db.scalar(select(func.count()).select_from(Person)) == 0


async def test_privacy_answers_mid_dialog_and_keeps_the_dialog(
    harness: Harness, db: AsyncSession
) -> None:
    await seed.place(db)
    await db.commit()
    await harness.send(TEACHER_ID, "/start")
    await harness.press(TEACHER_ID, "Согласен")
    await harness.send(TEACHER_ID, "📝 Подать заявку")
    context = harness.dp.fsm.get_context(harness.bot, TEACHER_ID, TEACHER_ID)
    state_before = await context.get_state()

    await harness.send(TEACHER_ID, "/privacy")

    assert "Что хранится" in harness.last_text(TEACHER_ID)
    assert state_before is not None and await context.get_state() == state_before


async def test_mydata_before_consent_says_nothing_is_stored(harness: Harness) -> None:
    await harness.send(TEACHER_ID, "/mydata")

    assert "ничего не хранится" in harness.last_text(TEACHER_ID)
    assert not [r for r in harness.sent_to(TEACHER_ID) if isinstance(r, SendDocument)]


async def test_profile_button_shows_own_data_without_tutor_phone(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange_teacher(db)
    await db.commit()

    await harness.send(TEACHER_ID, "👤 Мои данные")

    text = harness.last_text(TEACHER_ID)
    assert "\n<b>Наставник:</b> Волкова Ирина Сергеевна (СОШ № 1)\n<b>Сетевые" in text
    assert TEACHER_NAME in text
    assert "МКОУ СОШ № 2 с. Кугульта" in text and "Грачёвский муниципальный округ" in text
    assert "педагог" in text and "Химия" in text
    assert "Волкова Ирина Сергеевна" in text and "Соцветие естественников" in text
    assert "+79185550303" not in text and OTHER_NAME not in text
    assert harness.buttons(TEACHER_ID) == [
        "📄 Скачать всё (файл)",
        "🗑 Удалить мои данные",
        "🌐 Язык",
    ]


async def test_profile_language_button_offers_languages(harness: Harness, db: AsyncSession) -> None:
    await arrange_teacher(db)
    await db.commit()
    await harness.send(TEACHER_ID, "👤 Мои данные")

    await harness.press(TEACHER_ID, "Язык")

    assert harness.last_text(TEACHER_ID) == "Выберите язык:"
    assert harness.buttons(TEACHER_ID) == ["English", "Русский"]


async def test_mydata_holds_everything_about_the_person_and_nobody_else(
    harness: Harness, db: AsyncSession
) -> None:
    teacher, tutor, community = await arrange_teacher(db)
    db.add(
        JoinRequest(
            person_id=teacher.id,
            municipality_id=teacher.municipality_id,
            school_id=teacher.school_id,
            full_name=TEACHER_NAME,
        )
    )
    await db.commit()

    await harness.send(TEACHER_ID, "/mydata")

    data = exported(harness, TEACHER_ID)
    assert data["person"]["full_name"] == TEACHER_NAME
    assert data["person"]["phone"] == TEACHER_PHONE
    assert data["person"]["telegram_id"] == TEACHER_ID
    assert data["school"] == "МКОУ СОШ № 2 с. Кугульта"
    assert data["municipality"] == "Грачёвский муниципальный округ"
    assert [r["role"] for r in data["roles"]] == ["teacher"]
    assert data["subjects"] == ["Химия"]
    assert data["tutor_assignments"][0]["tutor_id"] == tutor.id
    assert data["tutor_assignments"][0]["as"] == "teacher"
    assert data["community_memberships"][0]["community"] == community.name
    assert data["join_requests"][0]["full_name"] == TEACHER_NAME
    assert "dialog_state" in data
    raw = json.dumps(data, ensure_ascii=False)
    assert OTHER_NAME not in raw and OTHER_PHONE not in raw and "+79185550303" not in raw


async def test_download_button_sends_the_same_file(harness: Harness, db: AsyncSession) -> None:
    await arrange_teacher(db)
    await db.commit()
    await harness.send(TEACHER_ID, "👤 Мои данные")

    await harness.press(TEACHER_ID, "Скачать всё")

    data = exported(harness, TEACHER_ID)
    assert data["person"]["full_name"] == TEACHER_NAME
    *_, document = [r for r in harness.sent_to(TEACHER_ID) if isinstance(r, SendDocument)]
    assert isinstance(document.document, BufferedInputFile)
    assert (document.document.filename or "").endswith(".json")
    assert "Сидорова" in document.document.data.decode("utf-8")  # UTF-8, not \u escapes


async def test_forget_cancel_changes_nothing(harness: Harness, db: AsyncSession) -> None:
    await arrange_teacher(db)
    await db.commit()

    await harness.send(TEACHER_ID, "/forget")
    assert "Удалить ваши персональные данные?" in harness.last_text(TEACHER_ID)
    await harness.press(TEACHER_ID, "Нет, оставить")

    assert "ничего не удалено" in harness.last_text(TEACHER_ID)
    db.expire_all()
    person = await db.scalar(select(Person).where(Person.telegram_id == TEACHER_ID))
    assert person is not None
    assert person.full_name == TEACHER_NAME and person.phone == TEACHER_PHONE
    assert person.status == PersonStatus.ACTIVE and person.consent_at is not None
    assert person.subject_names == ["Химия"]


async def _all_values(db: AsyncSession) -> list[str]:
    values: list[str] = []
    for table in Base.metadata.sorted_tables:
        for row in (await db.execute(select(table))).all():
            values.extend(json.dumps(v, ensure_ascii=False, default=str) for v in row)
    return values


async def test_forget_confirm_anonymizes_everywhere(
    harness: Harness, db: AsyncSession, redis: Redis | None
) -> None:
    teacher, _, community = await arrange_teacher(db)
    db.add(
        JoinRequest(
            person_id=teacher.id,
            municipality_id=teacher.municipality_id,
            school_id=teacher.school_id,
            full_name=TEACHER_NAME,
        )
    )
    assert teacher.municipality_id is not None
    db.add(
        Invite(
            code_hash="f" * 64,
            kind=InviteKind.PERSON,
            role=Role.TEACHER,
            person_id=teacher.id,
            municipality_id=teacher.municipality_id,
            expires_at=datetime.now(UTC) + timedelta(days=3),
        )
    )
    thread = Thread(
        teacher_id=teacher.id,
        municipality_id=teacher.municipality_id,
        status=ThreadStatus.CLOSED,
        last_activity_at=datetime.now(UTC),
        rating=5,
        rating_comment=f"Спасибо! {TEACHER_NAME}",
    )
    db.add(thread)
    await db.flush()
    db.add(
        ThreadMessage(
            thread_id=thread.id,
            author_id=teacher.id,
            direction=MessageDirection.FROM_TEACHER,
            content_kind="text",
            source_chat_id=TEACHER_ID,
            source_message_id=1,
            relayed_chat_id=4242,
            relayed_message_id=2,
        )
    )
    for status in (DeliveryStatus.SENT, DeliveryStatus.PENDING):
        db.add(
            Delivery(
                person_id=teacher.id,
                chat_id=TEACHER_ID,
                kind="test",
                priority=0,
                urgent=True,
                timezone="Europe/Moscow",
                payload={"text": f"Здравствуйте, {TEACHER_NAME}"},
                status=status,
                attempts=0,
                next_attempt_at=datetime.now(UTC),
            )
        )
    await db.commit()
    teacher_id, community_id = teacher.id, community.id
    # A dialog left half-way, in whichever storage the bot runs on.
    await harness.send(TEACHER_ID, "/start")
    if redis is None:
        db.add(FsmRecord(key=f"fsm:-100:{TEACHER_ID}:default", user_id=TEACHER_ID, state="x"))
        db.add(FsmRecord(key=f"fsm:{OTHER_ID}:{OTHER_ID}:default", user_id=OTHER_ID, state="y"))
        await db.commit()
    else:
        await redis.set(f"fsm:-100:{TEACHER_ID}:default:state", "x")
        await redis.set(f"fsm:-100:{TEACHER_ID}:default:data", "{}")
        await redis.set(f"fsm:{OTHER_ID}:{OTHER_ID}:default:state", "y")

    await harness.send(TEACHER_ID, "/forget")
    await harness.press(TEACHER_ID, "Да, удалить")

    goodbye = next(
        r
        for r in harness.sent_to(TEACHER_ID)
        if isinstance(r, SendMessage) and "данные удалены" in r.text
    )
    assert isinstance(goodbye.reply_markup, ReplyKeyboardRemove)
    db.expire_all()
    values = "\n".join(await _all_values(db))
    assert TEACHER_NAME not in values
    assert TEACHER_PHONE not in values
    assert str(TEACHER_ID) not in values
    forgotten = await db.get(Person, teacher_id)
    assert forgotten is not None and forgotten.status == PersonStatus.FORGOTTEN
    assert forgotten.consent_at is None and forgotten.locale is None
    assert forgotten.subject_names == [] and forgotten.role_set == {Role.TEACHER}
    assert await db.scalar(select(func.count()).select_from(JoinRequest)) == 0
    assert await db.scalar(select(func.count()).select_from(Invite)) == 0
    # The question stays as an anonymous count with its rating; what routed it is gone.
    kept = await db.scalar(select(Thread))
    assert kept is not None and kept.rating == 5 and kept.rating_comment is None
    # The copy in the tutor's chat keeps its place there, not where it came from.
    [copy] = (await db.scalars(select(ThreadMessage))).all()
    assert (copy.source_chat_id, copy.source_message_id) == (0, 0)
    assert (copy.relayed_chat_id, copy.relayed_message_id) == (4242, 2)
    assert await db.scalar(select(func.count()).select_from(Delivery)) == 1
    # Memberships stay as anonymous counts.
    assert await db.get(CommunityMembership, (community_id, teacher_id)) is not None
    # Someone else's dialog is untouched.
    if redis is None:
        assert await db.scalar(select(FsmRecord).where(FsmRecord.user_id == TEACHER_ID)) is None
        assert await db.scalar(select(FsmRecord).where(FsmRecord.user_id == OTHER_ID)) is not None
    else:
        # (The flood counter's key expires within seconds and is not FSM state.)
        assert [k async for k in redis.scan_iter(match=f"fsm:*{TEACHER_ID}*")] == []
        assert await redis.get(f"fsm:{OTHER_ID}:{OTHER_ID}:default:state") == b"y"


async def test_after_forget_start_asks_consent_and_does_not_relink(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange_teacher(db)
    await db.commit()
    await harness.send(TEACHER_ID, "/forget")
    await harness.press(TEACHER_ID, "Да, удалить")

    await harness.send(TEACHER_ID, "/start")
    assert "персональных данных" in harness.last_text(TEACHER_ID)
    assert harness.buttons(TEACHER_ID) == ["✅ Согласен(на)", "Не согласен(на)"]
    await harness.press(TEACHER_ID, "Согласен")
    await harness.share_contact(TEACHER_ID, TEACHER_PHONE)

    db.expire_all()
    person = await db.scalar(select(Person).where(Person.telegram_id == TEACHER_ID))
    assert person is not None and not person.is_registered and person.full_name is None
    # Nothing links the phone back, so the answer says why it may be missing, and what next.
    answer = harness.last_text(TEACHER_ID)
    assert TEACHER_NAME not in answer
    assert "нет в списке" in answer and "/forget" in answer and "по вашей просьбе" in answer
    assert "Координатор может добавить вас снова" in answer
    assert "📝 Подать заявку" in harness.buttons(TEACHER_ID)
    await harness.send(TEACHER_ID, "📝 Подать заявку")
    assert "Грачёвский муниципальный округ" in harness.buttons(TEACHER_ID)


async def test_forget_before_consent_says_nothing_is_stored(
    harness: Harness, db: AsyncSession
) -> None:
    await harness.send(TEACHER_ID, "/forget")

    assert "ничего не хранится" in harness.last_text(TEACHER_ID)
    assert await db.scalar(select(func.count()).select_from(Person)) == 0


def test_redis_key_match_is_exact_on_the_user_segment() -> None:
    assert is_fsm_key_of("fsm:3001:3001:default:state", 3001)
    assert is_fsm_key_of("fsm:-100123:77:3001:default:data", 3001)  # a forum thread
    assert not is_fsm_key_of("fsm:3001:13001:default:state", 3001)
    assert not is_fsm_key_of("fsm:3001:30011:default:state", 3001)
    assert not is_fsm_key_of("fsm:3001:42:default:state", 3001)  # their chat, another user
    assert not is_fsm_key_of("fsm:3001:3001:default:lock", 3001)


async def _question_answered_then_forgotten(harness: Harness, db: AsyncSession) -> int:
    """The teacher asks, the tutor has the copy (and a «Ответить» button), the teacher leaves;
    the id of the tutor's copy of the question."""
    await arrange_teacher(db)
    await db.commit()
    await harness.send(TEACHER_ID, "/ask")
    await harness.send(TEACHER_ID, "Как готовить к ВПР?")
    [copy] = [r for r in harness.sent_to(TUTOR_ID) if isinstance(r, CopyMessage)]
    answer = harness.api.answers[id(copy)]
    assert isinstance(answer, MessageId)
    await harness.send(TEACHER_ID, "/forget")
    await harness.press(TEACHER_ID, "Да, удалить")
    return answer.message_id


async def test_a_tutor_replying_to_a_forgotten_teachers_copy_is_told_they_left(
    harness: Harness, db: AsyncSession
) -> None:
    copy_id = await _question_answered_then_forgotten(harness, db)
    tutor = harness.user(TUTOR_ID)
    replied = Message(
        message_id=copy_id, date=datetime.now(UTC), chat=private_chat(tutor), from_user=BOT_USER
    )

    await harness.send_message(make_message(tutor, "Начните с заданий", reply_to_message=replied))

    assert "больше не пользуется ботом" in harness.last_text(TUTOR_ID)
    assert not [r for r in harness.sent_to(TEACHER_ID) if isinstance(r, CopyMessage)]


async def test_the_answer_button_of_a_forgotten_teachers_thread_says_so_at_once(
    harness: Harness, db: AsyncSession
) -> None:
    await _question_answered_then_forgotten(harness, db)

    await harness.press(TUTOR_ID, "Ответить")

    assert "больше не пользуется ботом" in harness.last_text(TUTOR_ID)
    assert not any("следующим сообщением" in text for text in harness.texts_to(TUTOR_ID))


async def test_an_uploaded_roster_keeps_its_content_only_until_applied(
    harness: Harness, db: AsyncSession
) -> None:
    mun, _, _ = await seed.place(db)
    mun_id = mun.id
    await seed.person(
        db, name=OTHER_NAME, roles=[Role.COORDINATOR], municipality=mun, telegram_id=OTHER_ID
    )
    await db.commit()
    content = "ФИО;Телефон;Школа;Роль\n" + f"{TEACHER_NAME};{TEACHER_PHONE};СОШ № 2;учитель\n"
    await harness.upload(OTHER_ID, "список.csv", content.encode("utf-8"))
    await harness.run_jobs()
    upload = await db.scalar(select(RosterUpload))
    assert upload is not None and upload.content == content.encode("utf-8")

    await harness.press(OTHER_ID, "Применить")
    await harness.run_jobs()

    db.expire_all()
    applied = await db.scalar(select(RosterUpload))
    assert applied is not None and applied.applied_at is not None and applied.content == b""
    # A file applied before this rule is emptied by housekeeping; an abandoned one goes.
    db.add_all(
        [
            RosterUpload(
                municipality_id=mun_id,
                filename="old.csv",
                content=b"x",
                applied_at=datetime.now(UTC),
            ),
            RosterUpload(
                municipality_id=mun_id,
                filename="abandoned.csv",
                content=b"x",
                created_at=datetime.now(UTC) - timedelta(days=3),
            ),
        ]
    )
    await db.commit()
    await harness.run_job("bot.scheduler.housekeeping:purge")
    db.expire_all()
    left = (await db.scalars(select(RosterUpload).order_by(RosterUpload.id))).all()
    assert [(u.filename, u.content) for u in left] == [("список.csv", b""), ("old.csv", b"")]


async def test_forget_drops_a_queued_join_card_about_the_person(
    harness: Harness, db: AsyncSession
) -> None:
    mun, _, _ = await seed.place(db)
    await seed.person(
        db, name=OTHER_NAME, roles=[Role.COORDINATOR], municipality=mun, telegram_id=OTHER_ID
    )
    await db.commit()
    await harness.send(TEACHER_ID, "/start")
    await harness.press(TEACHER_ID, "Согласен")
    await harness.send(TEACHER_ID, "📝 Подать заявку")
    await harness.press(TEACHER_ID, "Грачёвский муниципальный округ")
    await harness.press(TEACHER_ID, "СОШ № 2")
    await harness.press(TEACHER_ID, "Пропустить")
    await harness.send(TEACHER_ID, TEACHER_NAME)
    assert "Заявка отправлена" in harness.last_text(TEACHER_ID)

    await harness.send(TEACHER_ID, "/forget")
    await harness.press(TEACHER_ID, "Да, удалить")

    harness.clear()
    assert await harness.deliver() == 0
    db.expire_all()
    assert await db.scalar(select(func.count()).select_from(Delivery)) == 0


async def test_forget_drops_an_unapplied_roster_that_lists_the_person(
    harness: Harness, db: AsyncSession
) -> None:
    teacher, _, _ = await arrange_teacher(db)
    assert teacher.municipality_id is not None
    coordinator = await db.scalar(select(Person).where(Person.telegram_id == OTHER_ID))
    assert coordinator is not None
    coordinator.roles.append(
        PersonRole(role=Role.COORDINATOR, municipality_id=teacher.municipality_id)
    )
    await db.commit()
    someone_else = "ФИО;Телефон;Школа;Роль\n" + f"{OTHER_NAME};{OTHER_PHONE};СОШ № 2;учитель\n"
    by_phone = "ФИО;Телефон;Школа;Роль\n" + "Сидорова М.;8 (918) 555-01-01;СОШ № 2;учитель\n"
    by_name = "ФИО;Телефон;Школа;Роль\n" + f"{TEACHER_NAME};;СОШ № 2;учитель\n"
    await harness.upload(OTHER_ID, "другие.csv", someone_else.encode("utf-8"))
    await harness.upload(OTHER_ID, "по_телефону.csv", by_phone.encode("utf-8"))
    await harness.upload(OTHER_ID, "по_имени.csv", by_name.encode("utf-8"))
    await harness.run_jobs()

    await harness.send(TEACHER_ID, "/forget")
    await harness.press(TEACHER_ID, "Да, удалить")

    db.expire_all()
    assert list((await db.scalars(select(RosterUpload.filename))).all()) == ["другие.csv"]


def readable(harness: Harness, chat_id: int) -> str:
    documents = [r for r in harness.sent_to(chat_id) if isinstance(r, SendDocument)]
    [html] = [
        d.document
        for d in documents
        if isinstance(d.document, BufferedInputFile)
        and (d.document.filename or "").endswith(".html")
    ]
    assert isinstance(html, BufferedInputFile)
    return html.data.decode("utf-8")


async def test_mydata_is_a_readable_document_in_russian_beside_the_json(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange_teacher(db)
    await db.commit()

    await harness.send(TEACHER_ID, "/mydata")

    text = readable(harness, TEACHER_ID)
    assert "Что «Наставник» хранит о вас" in text and TEACHER_NAME in text
    assert "Профиль" in text and "подключены" in text and "педагог" in text
    assert "Волкова Ирина Сергеевна" in text and "Соцветие естественников" in text
    assert "Обращения к наставнику" in text and "Консультации" in text
    assert "Сообщения вам" in text and "Фоновые задачи" in text
    assert "active" not in text and "teacher" not in text
    assert exported(harness, TEACHER_ID)["person"]["full_name"] == TEACHER_NAME


async def test_mydata_document_speaks_english_to_an_english_person(
    harness: Harness, db: AsyncSession
) -> None:
    teacher, _, _ = await arrange_teacher(db)
    teacher.locale = "en"
    await db.commit()

    await harness.send(TEACHER_ID, "/mydata")

    text = readable(harness, TEACHER_ID)
    assert "What «Наставник» stores about you" in text and TEACHER_NAME in text
    assert "Profile" in text and "connected" in text and "Questions to the tutor" in text
    assert "Messages to you" in text and "Профиль" not in text


async def test_profile_of_someone_who_is_not_a_teacher_has_no_tutor_line(
    harness: Harness, db: AsyncSession
) -> None:
    mun, _, _ = await seed.place(db)
    await seed.person(
        db,
        name="Сидорова Ольга",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=TEACHER_ID,
    )
    await db.commit()

    await harness.send(TEACHER_ID, "👤 Мои данные")

    text = harness.last_text(TEACHER_ID)
    assert "координатор" in text and "Наставник" not in text
    lines = text.split("\n")
    communities = next(i for i, line in enumerate(lines) if line.startswith("<b>Сетевые"))
    assert lines[communities - 1].startswith("<b>Предметы:")
