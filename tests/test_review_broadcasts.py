"""Review findings in broadcasts: limits counted as Telegram counts them, and who may see what."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.exceptions import TelegramServerError
from aiogram.methods import SendMessage
from aiogram.types import MessageEntity, PhotoSize
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.limiter import LocalRateLimiter
from bot.delivery.sender import Content, OutboxSender
from bot.errors import DomainError
from bot.services import broadcasts
from storage.models import Delivery, DeliveryStatus, Person
from tests.factories import make_message
from tests.harness import Harness
from tests.test_broadcasts import COORDINATOR, TEACHERS, arrange, compose


async def test_caption_of_exactly_1024_with_formatting_is_accepted(
    harness: Harness, db: AsyncSession
) -> None:
    # Telegram counts the caption after its formatting is applied: bold words and "&" do not
    # make a 1024-character caption longer.
    await arrange(db)
    await harness.send(COORDINATOR, "📣 Рассылки")
    await harness.press(COORDINATOR, "Новая рассылка")
    caption = "Семинар & практикум " + "ф" * (1024 - 20)
    assert len(caption) == 1024
    photo = PhotoSize(file_id="p1", file_unique_id="p1", width=1, height=1)
    bold = MessageEntity(type="bold", offset=0, length=7)
    await harness.send_message(
        make_message(
            harness.user(COORDINATOR), photo=[photo], caption=caption, caption_entities=[bold]
        )
    )

    assert "Получателей сейчас" in harness.last_text(COORDINATOR)


async def test_text_of_exactly_4096_with_angle_brackets_is_accepted(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    text = "Баллы: 5 < 7 " + "я" * (4096 - 13)
    assert len(text) == 4096
    await compose(harness, text)

    assert "Получателей сейчас" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Предпросмотр")
    await harness.press(COORDINATOR, "Отправить сейчас")
    await harness.deliver()

    # One whole message each: the escaped "<" does not push it over Telegram's limit.
    to_teacher = [r for r in harness.sent_to(TEACHERS[0]) if isinstance(r, SendMessage)]
    assert [r.text for r in to_teacher] == ["Баллы: 5 &lt; 7 " + "я" * (4096 - 13)]


async def test_stopped_broadcast_row_back_from_a_retry_is_not_sent(
    harness: Harness, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A row in flight when the coordinator stops the broadcast fails with a retryable error
    # and goes back to the queue: the long-running sender must not send it later from its
    # memory of the broadcast as still running.
    await arrange(db)
    await compose(harness)
    await harness.press(COORDINATOR, "Предпросмотр")
    await harness.press(COORDINATOR, "Отправить сейчас")
    sender = OutboxSender(
        harness.bot,
        harness.session_pool,
        harness.dp["settings"],
        LocalRateLimiter(rate_per_second=1_000_000, chat_interval=0),
        batch_size=1,
    )
    assert await sender.run_once() == 1  # the first recipient got it; the broadcast is known

    async def stopped_mid_flight(row: Delivery, content: Content, parts_sent: int) -> int | None:
        async with harness.session_pool.begin() as session:
            coordinator = await session.scalar(
                select(Person).where(Person.telegram_id == COORDINATOR)
            )
            assert coordinator is not None and row.broadcast_id is not None
            await broadcasts.cancel(session, coordinator, row.broadcast_id)
        raise TelegramServerError(SendMessage(chat_id=row.chat_id, text="x"), "Bad Gateway")

    monkeypatch.setattr(sender, "_send", stopped_mid_flight)
    assert await sender.run_once() == 1
    monkeypatch.undo()
    retried = await db.scalar(select(Delivery).where(Delivery.status == DeliveryStatus.PENDING))
    assert retried is not None
    retried.next_attempt_at = datetime.now(UTC) - timedelta(seconds=1)
    await db.commit()
    harness.api.take()

    await sender.run_once()

    assert harness.api.take() == []
    db.expire_all()
    pending = await db.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENT]))
    )
    assert pending == 1  # only the first recipient's SENT


def test_schedule_for_a_passed_29_february_is_refused_not_crashed() -> None:
    # In a leap year after 29.02, "29.02" without a year would be next year's 29.02: no such day.
    tz = ZoneInfo("Europe/Moscow")
    now = datetime(2028, 3, 1, 9, 0, tzinfo=tz)

    with pytest.raises(DomainError) as refusal:
        broadcasts.parse_schedule("29.02 10:00", tz, now)

    assert refusal.value.key == "broadcast.schedule_past"
