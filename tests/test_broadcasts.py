"""Coordinators' broadcasts end to end, through the dispatcher and the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
)
from aiogram.types import PhotoSize, Sticker
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services.broadcasts import Draft, check_draft
from config.settings import Settings
from storage.models import (
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    Person,
    PersonStatus,
    Role,
)
from tests import seed
from tests.factories import make_message
from tests.harness import Harness
from tests.test_consultations_log import crafted

COORDINATOR = 8001
TEACHERS = range(8100, 8140)


async def arrange(db: AsyncSession) -> None:
    mun, low, leader = await seed.place(db)
    await seed.person(
        db,
        name="Координатор Елена Викторовна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR,
    )
    for n, telegram_id in enumerate(TEACHERS):
        await seed.person(
            db,
            name=f"Учитель Номер {n}",
            roles=[Role.TEACHER],
            municipality=mun,
            school=low if n % 2 == 0 else leader,
            telegram_id=telegram_id,
            subjects=["Математика" if n % 4 == 0 else "Русский язык"],
        )
    other, foreign_school, _ = await seed.place(db, municipality="Кировский городской округ")
    await seed.person(
        db,
        name="Чужой Учитель Иванович",
        roles=[Role.TEACHER],
        municipality=other,
        school=foreign_school,
        telegram_id=8999,
    )
    await db.commit()


async def compose(harness: Harness, text: str = "<b>Семинар</b> в пятницу") -> None:
    await harness.send(COORDINATOR, "📣 Рассылки")
    await harness.press(COORDINATOR, "Новая рассылка")
    await harness.send(COORDINATOR, text)


async def test_broadcast_to_one_school_end_to_end(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await compose(harness)
    assert "Получателей сейчас: <b>40</b>" in harness.last_text(COORDINATOR)

    await harness.press(COORDINATOR, "Школы")
    await harness.press(COORDINATOR, "СОШ № 2")
    await harness.press(COORDINATOR, "Назад")
    assert "Получателей сейчас: <b>20</b>" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Предпросмотр")
    assert "Семинар" in harness.texts_to(COORDINATOR)[-2]
    assert "Получателей: 20" in harness.last_text(COORDINATOR)

    await harness.press(COORDINATOR, "Отправить сейчас")
    assert "Отправлено 0 из 20" in harness.last_text(COORDINATOR)
    assert await harness.deliver() == 20

    got = {
        int(r.chat_id)
        for r in harness.requests
        if isinstance(r, SendMessage) and "Семинар" in r.text and int(r.chat_id) != COORDINATOR
    }
    assert got == {t for n, t in enumerate(TEACHERS) if n % 2 == 0}

    await harness.run_job("bot.delivery.progress:tick")
    edits = [r for r in harness.requests if isinstance(r, EditMessageText)]
    assert edits and "Завершена" in edits[-1].text and "Доставлено: 20" in edits[-1].text
    await harness.deliver()
    assert "Итоги рассылки" in harness.last_text(COORDINATOR)
    db.expire_all()
    broadcast = await db.scalar(select(Broadcast))
    assert broadcast is not None and broadcast.status == BroadcastStatus.DONE


async def test_second_press_on_send_sends_nothing_twice(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await compose(harness)
    await harness.press(COORDINATOR, "Предпросмотр")
    send = harness.button_data(COORDINATOR, "Отправить сейчас")
    await harness.press(COORDINATOR, "Отправить сейчас")
    harness.clear()
    await harness.callback(COORDINATOR, send)

    # The composer is done: its button is an old one now.
    (answer,) = [r for r in harness.requests if isinstance(r, AnswerCallbackQuery)]
    assert "устарела" in (answer.text or "")
    assert await db.scalar(select(func.count()).select_from(Delivery)) == 40
    assert await db.scalar(select(func.count()).select_from(Broadcast)) == 1


async def test_over_long_text_and_caption_are_refused(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await compose(harness, "я" * 4097)
    assert "Слишком длинно: 4097" in harness.last_text(COORDINATOR)

    photo = PhotoSize(file_id="p1", file_unique_id="p1", width=1, height=1)
    await harness.send_message(
        make_message(harness.user(COORDINATOR), photo=[photo], caption="ф" * 1025)
    )
    assert "не больше 1024" in harness.last_text(COORDINATOR)


async def test_unsupported_attachment_is_refused(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await compose(harness, "ignored")  # first draft accepted
    await harness.press(COORDINATOR, "Отменить рассылку")
    await harness.press(COORDINATOR, "Новая рассылка")
    sticker = Sticker(
        file_id="s",
        file_unique_id="s",
        type="regular",
        width=1,
        height=1,
        is_animated=False,
        is_video=False,
    )
    await harness.send_message(make_message(harness.user(COORDINATOR), sticker=sticker))
    assert "нельзя" in harness.last_text(COORDINATOR)


async def test_photo_broadcast_goes_out_as_photo(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await harness.send(COORDINATOR, "📣 Рассылки")
    await harness.press(COORDINATOR, "Новая рассылка")
    photo = PhotoSize(file_id="poster", file_unique_id="poster", width=1, height=1)
    await harness.send_message(
        make_message(harness.user(COORDINATOR), photo=[photo], caption="Афиша")
    )
    await harness.press(COORDINATOR, "Предпросмотр")
    await harness.press(COORDINATOR, "Отправить сейчас")
    await harness.deliver()

    photos = [r for r in harness.requests if isinstance(r, SendPhoto)]
    assert len(photos) == 1 + 40  # the preview, then every teacher
    assert all(p.photo == "poster" and p.caption == "Афиша" for p in photos)


async def test_zero_audience_cannot_be_sent(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await compose(harness)
    await harness.press(COORDINATOR, "Роли")
    await harness.press(COORDINATOR, "наставник")
    await harness.press(COORDINATOR, "Назад")
    await harness.press(COORDINATOR, "Предпросмотр")

    assert "не подходит ни один" in harness.last_text(COORDINATOR)
    assert not any("Отправить" in b for b in harness.buttons(COORDINATOR))


async def test_foreign_school_is_refused(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await compose(harness)
    foreign = await db.scalar(select(Person.school_id).where(Person.telegram_id == 8999))
    await harness.press(COORDINATOR, "Школы")
    assert foreign is not None
    await harness.callback(
        COORDINATOR, crafted(harness.button_data(COORDINATOR, "СОШ № 2"), foreign)
    )

    assert "недоступен" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Назад")
    await harness.press(COORDINATOR, "Предпросмотр")
    await harness.press(COORDINATOR, "Отправить сейчас")
    assert 8999 not in {int(d) for d in (await db.scalars(select(Delivery.chat_id))).all()}


async def test_schedule_in_the_past_then_in_the_future(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await compose(harness)
    await harness.press(COORDINATOR, "Предпросмотр")
    await harness.press(COORDINATOR, "Запланировать")
    await harness.send(COORDINATOR, "32.13 25:00")
    assert "Не понял дату" in harness.last_text(COORDINATOR)
    past = (datetime.now(UTC) - timedelta(days=1)).astimezone(harness.dp["settings"].tz)
    await harness.send(COORDINATOR, past.strftime("%d.%m.%Y %H:%M"))
    assert "уже прошло" in harness.last_text(COORDINATOR)

    future = (datetime.now(UTC) + timedelta(days=2)).astimezone(harness.dp["settings"].tz)
    await harness.send(COORDINATOR, future.strftime("%d.%m.%Y") + " 10:00")
    assert "запланирована" in harness.last_text(COORDINATOR)
    assert await harness.deliver() == 0  # not yet
    db.expire_all()
    broadcast = await db.scalar(select(Broadcast))
    assert broadcast is not None and broadcast.status == BroadcastStatus.SCHEDULED


async def test_stop_mid_way_cancels_the_rest(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await compose(harness)
    await harness.press(COORDINATOR, "Предпросмотр")
    await harness.press(COORDINATOR, "Отправить сейчас")
    await harness.press(COORDINATOR, "Остановить")

    assert await harness.deliver() == 0
    db.expire_all()
    statuses = set((await db.scalars(select(Delivery.status))).all())
    assert statuses == {DeliveryStatus.CANCELLED}

    # The author still gets the final report of what went out before the stop.
    await harness.run_job("bot.delivery.progress:tick")
    await harness.deliver()
    assert "Отменено: 40" in harness.last_text(COORDINATOR)
    db.expire_all()
    broadcast = await db.scalar(select(Broadcast))
    assert broadcast is not None and broadcast.status == BroadcastStatus.CANCELLED


async def test_blocked_recipients_are_reported(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    harness.api.blocked_chats.update({TEACHERS[0], TEACHERS[1]})  # 5% of 40
    await compose(harness)
    await harness.press(COORDINATOR, "Предпросмотр")
    await harness.press(COORDINATOR, "Отправить сейчас")
    await harness.deliver()
    await harness.run_job("bot.delivery.progress:tick")
    await harness.deliver()

    report = harness.last_text(COORDINATOR)
    assert "Доставлено: 38" in report and "Заблокировали бота: 2" in report
    db.expire_all()
    blocked = await db.scalar(
        select(func.count()).select_from(Person).where(Person.status == PersonStatus.BLOCKED_BOT)
    )
    assert blocked == 2

    await harness.press(COORDINATOR, "Кому не доставлено")
    [document] = [r for r in harness.requests if isinstance(r, SendDocument)]
    assert document.document.filename.endswith(".xlsx")  # type: ignore[union-attr]


async def test_teacher_cannot_broadcast(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await harness.send(TEACHERS[0], "/broadcast")
    assert "Рассылки:" not in harness.last_text(TEACHERS[0])


@pytest.mark.parametrize("blank", ["", "   \n  "])
def test_empty_announcement_is_refused(blank: str) -> None:
    with pytest.raises(DomainError) as refusal:
        check_draft(Draft(blank))
    assert refusal.value.key == "broadcast.empty"


def test_attachment_may_go_without_a_caption() -> None:
    assert check_draft(Draft("", "photo", "file-id")).attachment_kind == "photo"


async def test_a_registered_segment_narrows_the_audience(
    db: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services import audience as audiences

    monkeypatch.setattr(audiences, "_SEGMENTS", {})
    await arrange(db)
    coordinator = await db.scalar(select(Person).where(Person.telegram_id == COORDINATOR))
    wanted = await db.scalar(select(Person.id).where(Person.telegram_id == TEACHERS[3]))
    assert coordinator is not None and wanted is not None
    # What a later feature registers, e.g. "registrants of event N".
    audiences.register_segment("test_only", lambda n: select(Person.id).where(Person.id == n))
    scope = await audiences.sender_scope(db, coordinator)
    chosen = audiences.Audience(segments={"test_only": wanted})

    await audiences.validate(db, scope, chosen)
    [recipient] = await audiences.recipients(db, scope, chosen, settings)

    assert recipient.chat_id == TEACHERS[3]
    assert "test_only" in audiences.known_segments()
