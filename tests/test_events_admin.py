"""The organiser's events end to end through the dispatcher and the outbox: the form for a
webinar and a «десант» typed as a person would, the preview, publishing to the audience, an
edit told to the registrants (with a new .ics), cancelling, copying; and what is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import EventAdminCb, EventCb
from bot.errors import DomainError
from bot.services import events
from storage.models import (
    Delivery,
    Event,
    EventRegistration,
    EventReminder,
    EventSession,
    EventStatus,
    Person,
    RegistrationStatus,
    Role,
)
from tests import seed
from tests.harness import Harness

COORDINATOR = 9301
FOREIGN_COORDINATOR = 9302
TEACHERS = range(9310, 9316)
FOREIGN_TEACHER = 9399
TZ = ZoneInfo("Europe/Moscow")


async def arrange(db: AsyncSession) -> None:
    mun, low, leader = await seed.place(db)
    await seed.person(
        db, name="Координатор Елена", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=COORDINATOR,
    )  # fmt: skip
    for n, telegram_id in enumerate(TEACHERS):
        await seed.person(
            db, name=f"Учитель Номер {n}", roles=[Role.TEACHER], municipality=mun,
            school=low if n % 2 else leader, telegram_id=telegram_id,
            locale="en" if n == 0 else None,
        )  # fmt: skip
    other, foreign_school, _ = await seed.place(db, municipality="Кировский городской округ")
    await seed.person(
        db, name="Чужой Координатор", roles=[Role.COORDINATOR], municipality=other,
        telegram_id=FOREIGN_COORDINATOR,
    )  # fmt: skip
    await seed.person(
        db, name="Чужой Учитель", roles=[Role.TEACHER], municipality=other,
        school=foreign_school, telegram_id=FOREIGN_TEACHER,
    )  # fmt: skip
    await db.commit()


def next_weekday_text() -> tuple[str, datetime]:
    """A day two weeks ahead as typed («ДД.ММ»), and its 10:00 in Moscow."""
    day = datetime.now(TZ).date() + timedelta(days=14)
    return f"{day:%d.%m}", datetime(day.year, day.month, day.day, 10, 0, tzinfo=TZ)


async def webinar_to_preview(harness: Harness) -> datetime:
    day, start = next_weekday_text()
    await harness.send(COORDINATOR, "🗓 Мероприятия (организатор)")
    await harness.press(COORDINATOR, "Новое мероприятие")
    await harness.press(COORDINATOR, "Вебинар")
    await harness.send(COORDINATOR, "Смысловое чтение на уроках")
    await harness.send(COORDINATOR, f"{day} 10:00")
    assert "10:00" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Верно")
    await harness.send(COORDINATOR, "2 ч")
    await harness.press(COORDINATOR, "Верно")
    await harness.press(COORDINATOR, "2 ч")  # the type's default hours
    await harness.press(COORDINATOR, "дистанционно")
    await harness.press(COORDINATOR, "муниципальный")
    await harness.press(COORDINATOR, "Ссылка для подключения")
    await harness.send(COORDINATOR, "https://meet.example.org/room-1")
    await harness.press(COORDINATOR, "Далее")
    await harness.send(COORDINATOR, "100")
    await harness.press(COORDINATOR, "До начала")
    await harness.press(COORDINATOR, "Далее")  # the audience: everyone in the scope
    await harness.send(COORDINATOR, "Как читать тексты с учениками")
    await harness.press(COORDINATOR, "Не указывать")
    await harness.press(COORDINATOR, "Методическ")
    await harness.press(COORDINATOR, "Далее")
    return start


async def test_a_webinar_typed_previewed_and_published_reaches_its_audience(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    start = await webinar_to_preview(harness)
    preview = harness.last_text(COORDINATOR)
    assert "Предпросмотр" in preview and "Смысловое чтение на уроках" in preview
    assert "Ссылку на подключение пришлём после записи" in preview
    assert "Анонс получат: <b>6</b>" in preview

    await harness.press(COORDINATOR, "Опубликовать")
    event = await db.scalar(select(Event))
    assert event is not None
    assert event.status == EventStatus.PUBLISHED and event.capacity == 100
    assert event.starts_at.replace(tzinfo=UTC) == start.astimezone(UTC)
    assert event.topics == ["methodical"]
    assert event.checkin_code is not None and len(event.checkin_code) == 6
    assert "Опубликовано" in harness.last_text(COORDINATOR)

    announcements = (
        await db.scalars(select(Delivery).where(Delivery.kind == "event_announcement"))
    ).all()
    assert sorted(d.chat_id for d in announcements) == list(TEACHERS)
    for delivery in announcements:
        markup = str(delivery.payload["markup"])
        assert EventCb(action="register", event_id=event.id).pack() in markup
        assert EventCb(action="card", event_id=event.id).pack() in markup
        assert "meet.example.org" not in delivery.payload["text"]
    english = next(d for d in announcements if d.chat_id == TEACHERS[0])
    assert "Register" in str(english.payload["markup"]) and "Webinar" in english.payload["text"]
