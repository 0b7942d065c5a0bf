"""After /forget nothing in the database or in Redis identifies the person.

The person leaves traces everywhere a teacher can: they asked to join (the coordinator got the
card), were added by two roster files (one applied, one only checked), asked questions that a
tutor answered, closed one (the tutor got the notice) and left another notice queued, were
written up in a consultation, received a broadcast, hold an invite, a community membership, a
background job, a half-finished dialog and an update not yet handled. Then /forget, and every
column of every table and every Redis key and value is searched for their Telegram id, their
phone in every form and their name forms.

What may stay (README, «Персональные данные» names the same list): anonymous rows that count
(the person row without name, phone or Telegram id; roles, school, memberships, assignments,
threads with their times and ratings), and third-party free text: what a tutor wrote in a
consultation and what a coordinator wrote in a broadcast is theirs, in their own words, and may
name the person.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
from aiogram.methods import CopyMessage
from aiogram.types import Message, MessageId
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    BackgroundJob,
    Base,
    Broadcast,
    BroadcastStatus,
    Community,
    CommunityMembership,
    CompetenceBlock,
    Consultation,
    ConsultationFormat,
    ConsultationTeacher,
    Delivery,
    DeliveryStatus,
    InboxStatus,
    InboxUpdate,
    Invite,
    InviteKind,
    JobStatus,
    Person,
    PersonStatus,
    Role,
)
from tests import seed
from tests.factories import make_message, private_chat
from tests.harness import Harness
from tests.recording_session import BOT_USER

PERSON_TG = 700_123_457
COORDINATOR_TG = 5001
TUTOR_TG = 4001
FULL_NAME = "Петрова Анна Ивановна"
SHORT_NAME = "Петрова А.И."
SURNAME = "Петрова"
FIRST_NAME = "Анна"
PHONE = "+79181112233"
TUTOR_NAME = "Орлов Игорь Петрович"

# Third-party free text: the author's own words, which may name the person (README says so).
FREE_TEXT_OF_OTHERS = frozenset(
    {("consultations", "topic"), ("consultations", "outcome"), ("broadcasts", "text")}
)

_NAME_FORMS = [FULL_NAME, SHORT_NAME, SURNAME, FIRST_NAME]
_NAMES = re.compile(
    "|".join(rf"(?<!\w){re.escape(form)}(?!\w)" for form in _NAME_FORMS), re.IGNORECASE
)
# +79181112233, 79181112233, 89181112233, 9181112233 and the id, with separators removed.
_NUMBERS = re.compile(r"(?<!\d)(?:[78]?9181112233|" + str(PERSON_TG) + r")(?!\d)")
_SEPARATORS = re.compile(r"[\s\-()+.]")


def _findings(text: str, *, names_allowed: bool = False) -> list[str]:
    found = [m.group(0) for m in _NUMBERS.finditer(_SEPARATORS.sub("", text))]
    found += [m.group(0) for m in _NUMBERS.finditer(text)]
    if not names_allowed:
        found += [m.group(0) for m in _NAMES.finditer(text)]
    return found


def _texts_of_blob(blob: bytes) -> str:
    """A stored file as text: every member of a zip (.xlsx), else the bytes decoded."""
    if zipfile.is_zipfile(io.BytesIO(blob)):
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    return blob.decode("utf-8", "replace") + "\n" + blob.decode("cp1251", "replace")


def _leaks_in_value(value: Any, *, names_allowed: bool) -> list[str]:
    if value is None or isinstance(value, bool | datetime | date):
        return []
    if isinstance(value, int):
        return [str(value)] if value == PERSON_TG else []
    if isinstance(value, bytes | memoryview):
        return _findings(_texts_of_blob(bytes(value)), names_allowed=names_allowed)
    if isinstance(value, dict):
        return [
            leak
            for item in value.items()
            for part in item
            for leak in _leaks_in_value(part, names_allowed=names_allowed)
        ]
    if isinstance(value, list):
        return [
            leak for item in value for leak in _leaks_in_value(item, names_allowed=names_allowed)
        ]
    return _findings(str(value), names_allowed=names_allowed)


async def leaks_in_tables(db: AsyncSession) -> list[str]:
    leaks: list[str] = []
    for table in Base.metadata.sorted_tables:
        for row in (await db.execute(select(table))).mappings():
            for column, value in row.items():
                allowed = (table.name, column.name if hasattr(column, "name") else column)
                found = _leaks_in_value(value, names_allowed=allowed in FREE_TEXT_OF_OTHERS)
                if found:
                    leaks.append(f"{table.name}.{column}: {found} in {str(value)[:300]!r}")
    return leaks


async def leaks_in_redis(redis: Redis) -> list[str]:
    leaks: list[str] = []
    async for raw_key in redis.scan_iter():
        key = raw_key.decode() if isinstance(raw_key, bytes) else str(raw_key)
        kind = (await redis.type(raw_key)).decode()
        values: list[Any]
        if kind == "string":
            values = [await redis.get(raw_key)]
        elif kind == "hash":
            values = [*(await redis.hgetall(raw_key)).items()]
        elif kind == "list":
            values = await redis.lrange(raw_key, 0, -1)
        elif kind == "set":
            values = list(await redis.smembers(raw_key))
        elif kind == "zset":
            values = await redis.zrange(raw_key, 0, -1)
        else:
            values = []
        flat = [part for v in values for part in (v if isinstance(v, tuple) else (v,))]
        decoded = "\n".join(
            v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in flat
        )
        found = _findings(key + "\n" + decoded)
        if found:
            leaks.append(f"redis {key}: {found}")
    return leaks


def roster_xlsx(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Участники"
    sheet.append(["ФИО", "Телефон", "Школа", "Роль", "Предметы", "Наставник"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def reply_to(harness: Harness, user_id: int, to_message_id: int, text: str) -> None:
    user = harness.user(user_id)
    replied = Message(
        message_id=to_message_id,
        date=datetime.now(UTC),
        chat=private_chat(user),
        from_user=BOT_USER,
        text="…",
    )
    await harness.send_message(make_message(user, text, reply_to_message=replied))


def last_copy_id(harness: Harness, chat_id: int) -> int:
    copies = [r for r in harness.sent_to(chat_id) if isinstance(r, CopyMessage)]
    answer = harness.api.answers[id(copies[-1])]
    assert isinstance(answer, MessageId)
    return answer.message_id


async def ask_and_get_an_answer(harness: Harness, question: str) -> None:
    await harness.send(PERSON_TG, "/ask")
    await harness.send(PERSON_TG, question)
    await reply_to(harness, TUTOR_TG, last_copy_id(harness, TUTOR_TG), "Начните с заданий 2025.")


async def live_a_whole_life(harness: Harness, db: AsyncSession) -> Person:
    """Everything a teacher leaves behind, through the bot where the bot does it."""
    mun, low, leader = await seed.place(db)
    await seed.person(
        db,
        name="Сидорова Ольга Павловна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR_TG,
    )
    await seed.person(
        db,
        name=TUTOR_NAME,
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=TUTOR_TG,
        phone="+79184445566",
    )
    mun_id, low_id = mun.id, low.id
    await db.commit()
    harness.user(PERSON_TG, FIRST_NAME)
    harness.user(COORDINATOR_TG, "Ольга")
    harness.user(TUTOR_TG, "Игорь")

    # A request to join: the coordinator gets the card with the name as typed, and accepts.
    await harness.send(PERSON_TG, "/start")
    await harness.press(PERSON_TG, "Согласен")
    await harness.send(PERSON_TG, "📝 Подать заявку")
    await harness.press(PERSON_TG, "Грачёвский муниципальный округ")
    await harness.press(PERSON_TG, "СОШ № 2")
    await harness.send(PERSON_TG, "математика")
    await harness.send(PERSON_TG, FULL_NAME)
    await harness.deliver()
    assert FULL_NAME in harness.last_text(COORDINATOR_TG)
    await harness.press(COORDINATOR_TG, "Принять")
    await harness.deliver()

    # The roster: one file applied (it brings the phone and the tutor), one only checked.
    first = [[FULL_NAME, "8 918 111-22-33", "СОШ № 2", "учитель", "Математика", TUTOR_NAME]]
    await harness.upload(COORDINATOR_TG, "список.xlsx", roster_xlsx(first))
    await harness.run_jobs()
    await harness.press(COORDINATOR_TG, "Применить")
    await harness.run_jobs()
    assert "Список участников загружен" in harness.last_text(COORDINATOR_TG)
    second = "ФИО;Телефон;Школа;Роль;Предметы;Наставник\n" + (
        f"{FULL_NAME};+7 (918) 111-22-33;СОШ № 2;учитель;Математика, Физика;{TUTOR_NAME}\n"
    )
    await harness.upload(COORDINATOR_TG, "список2.csv", second.encode("utf-8"))
    await harness.run_jobs()
    assert "Применить" in " ".join(harness.buttons(COORDINATOR_TG))

    db.expire_all()
    person = await db.scalar(select(Person).where(Person.telegram_id == PERSON_TG))
    assert person is not None and person.phone == PHONE and person.full_name == FULL_NAME

    # Questions: one answered and closed (the tutor gets «обращение закрыто»), one answered
    # and closed with the notice still queued.
    await ask_and_get_an_answer(harness, "Как готовить к ВПР?")
    await harness.press(PERSON_TG, "Вопрос решён")
    await harness.press(PERSON_TG, "⭐⭐⭐⭐⭐")
    await harness.send(PERSON_TG, f"Спасибо! {FULL_NAME}")
    await harness.deliver()
    assert any("отмечено как решённое" in text for text in harness.texts_to(TUTOR_TG))
    await ask_and_get_an_answer(harness, "А как с заданием 12?")
    await harness.press(PERSON_TG, "Вопрос решён")

    assert person.municipality_id is not None and person.school_id is not None
    community = Community(municipality_id=mun_id, name="Соцветие естественников")
    db.add(community)
    broadcast = Broadcast(
        municipality_id=mun_id,
        text=f"Поздравляем {SHORT_NAME} с победой в конкурсе!",
        status=BroadcastStatus.DONE,
        recipients=1,
        audience={"roles": ["teacher"]},
    )
    db.add(broadcast)
    consultation = Consultation(
        tutor_id=(await db.scalar(select(Person.id).where(Person.telegram_id == TUTOR_TG))),
        school_id=low_id,
        municipality_id=mun_id,
        held_on=date(2026, 10, 5),
        format=ConsultationFormat.ONLINE,
        block=CompetenceBlock.METHODICAL,
        topic="Подготовка к ВПР",
        duration_minutes=45,
        outcome=f"{SHORT_NAME} разобрала с классом задания 10 и 12.",
    )
    db.add(consultation)
    await db.flush()
    db.add_all(
        [
            CommunityMembership(community_id=community.id, person_id=person.id),
            ConsultationTeacher(consultation_id=consultation.id, teacher_id=person.id),
            Delivery(
                person_id=person.id,
                chat_id=PERSON_TG,
                kind="broadcast",
                priority=3,
                urgent=False,
                timezone="Europe/Moscow",
                broadcast_id=broadcast.id,
                payload={},
                status=DeliveryStatus.SENT,
                attempts=1,
                next_attempt_at=datetime.now(UTC),
                telegram_message_id=77,
                sent_at=datetime.now(UTC),
            ),
            Invite(
                code_hash="e" * 64,
                kind=InviteKind.PERSON,
                role=Role.TEACHER,
                person_id=person.id,
                municipality_id=mun_id,
                expires_at=datetime.now(UTC) + timedelta(days=3),
            ),
            BackgroundJob(
                kind="bot.jobs.history:send",
                payload={"thread_id": 1},
                person_id=person.id,
                chat_id=PERSON_TG,
                locale="ru",
                status=JobStatus.PENDING,
                run_after=datetime.now(UTC) + timedelta(hours=1),
            ),
            # An update that came in and is not handled yet: it carries the name and the id.
            InboxUpdate(
                update_id=990_001,
                person_key=PERSON_TG,
                payload={
                    "update_id": 990_001,
                    "message": {
                        "message_id": 9,
                        "date": 0,
                        "chat": {"id": PERSON_TG, "type": "private", "first_name": FIRST_NAME},
                        "from": {"id": PERSON_TG, "is_bot": False, "first_name": FIRST_NAME},
                        "text": f"Я {FULL_NAME}, мой номер {PHONE}",
                    },
                },
                status=InboxStatus.PENDING,
            ),
        ]
    )
    await db.commit()
    # A dialog left half-way: question mode, waiting for the text.
    await harness.send(PERSON_TG, "/ask")
    return person


async def test_after_forget_nothing_identifies_the_person(
    harness: Harness, db: AsyncSession, redis: Redis | None
) -> None:
    person = await live_a_whole_life(harness, db)
    person_id = person.id
    db.expire_all()
    assert await leaks_in_tables(db), "the scan must see the person before /forget"

    await harness.send(PERSON_TG, "/forget")
    await harness.press(PERSON_TG, "Да, удалить")

    db.expire_all()
    leaks = await leaks_in_tables(db)
    assert leaks == [], "\n".join(leaks)
    if redis is not None:
        assert await leaks_in_redis(redis) == []
    # The anonymous aggregates are still there to count.
    forgotten = await db.get(Person, person_id)
    assert forgotten is not None and forgotten.status == PersonStatus.FORGOTTEN
    assert forgotten.role_set == {Role.TEACHER} and forgotten.school_id is not None
    assert await db.scalar(select(ConsultationTeacher.teacher_id)) == person_id
    # The queued «обращение закрыто» still reaches the tutor, without the name.
    harness.clear()
    await harness.deliver()
    [notice] = [text for text in harness.texts_to(TUTOR_TG) if "отмечено как решённое" in text]
    assert SHORT_NAME not in notice and "имя удалено" in notice
