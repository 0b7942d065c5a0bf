"""The delivery outbox: exactly-once sending and Telegram's error classes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.limiter import LocalRateLimiter
from bot.delivery.outbox import Priority, enqueue_message
from bot.delivery.quiet_hours import is_quiet, next_daytime
from bot.delivery.sender import OutboxSender
from bot.delivery.split import split_text
from config.settings import Settings
from storage.models import Delivery, DeliveryStatus, Person, PersonStatus, Role
from tests import seed
from tests.harness import Harness

MSK = ZoneInfo("Europe/Moscow")


async def teacher(
    db: AsyncSession, telegram_id: int = 5001, name: str = "Лебедева Нина Юрьевна"
) -> Person:
    mun, school, _ = await seed.place(db, municipality=f"Округ {telegram_id}")
    return await seed.person(
        db,
        name=name,
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=telegram_id,
    )


async def queue(
    db: AsyncSession, settings: Settings, person: Person, text: str = "Привет", **kw: object
) -> None:
    assert await enqueue_message(db, settings, person, text, kind="test", **kw)  # type: ignore[arg-type]
    await db.commit()


async def rows(db: AsyncSession) -> list[Delivery]:
    db.expire_all()
    return list((await db.scalars(select(Delivery).order_by(Delivery.id))).all())


def api_error(cls: type[Exception], **kw: object) -> Exception:
    return cls(method=SendMessage(chat_id=1, text="x"), message="error", **kw)  # type: ignore[call-arg]


async def test_sent_once_and_never_again(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    person = await teacher(db)
    await queue(db, settings, person, "Объявление")

    assert await harness.deliver() == 1
    assert await harness.deliver() == 0

    [row] = await rows(db)
    assert row.status == DeliveryStatus.SENT and row.telegram_message_id is not None
    assert harness.texts_to(5001) == ["Объявление"]


async def test_dedup_key_queues_once(db: AsyncSession, settings: Settings) -> None:
    person = await teacher(db)
    assert await enqueue_message(db, settings, person, "a", kind="t", dedup_key="k:1")
    assert not await enqueue_message(db, settings, person, "a", kind="t", dedup_key="k:1")
    await db.commit()
    assert len(await rows(db)) == 1


async def test_429_pauses_everyone_and_keeps_the_turn(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    person = await teacher(db)
    await queue(db, settings, person)
    harness.api.fail_next(api_error(TelegramRetryAfter, retry_after=30), method=SendMessage)
    limiter = LocalRateLimiter(1_000_000, 0)
    sender = OutboxSender(harness.bot, harness.session_pool, settings, limiter)

    await sender.run_once()

    [row] = await rows(db)
    assert row.status == DeliveryStatus.PENDING and row.attempts == 0
    assert row.next_attempt_at > datetime.now(UTC) + timedelta(seconds=25)
    assert limiter._paused_until > asyncio.get_running_loop().time() - 1  # paused ~30 s
    assert await sender.run_once() == 0  # not due yet: nothing is hammered


async def test_403_marks_the_person_and_is_never_retried(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    person = await teacher(db)
    person_id = person.id
    await queue(db, settings, person)
    harness.api.blocked_chats.add(5001)

    await harness.deliver()

    [row] = await rows(db)
    assert row.status == DeliveryStatus.BLOCKED
    refreshed = await db.scalar(select(Person).where(Person.id == person_id))
    assert refreshed is not None and refreshed.status == PersonStatus.BLOCKED_BOT
    assert not await enqueue_message(db, settings, refreshed, "снова", kind="test")


async def test_400_fails_the_row_with_the_reason(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    person = await teacher(db)
    await queue(db, settings, person)
    harness.api.fail_next(api_error(TelegramBadRequest), method=SendMessage)

    await harness.deliver()

    [row] = await rows(db)
    assert row.status == DeliveryStatus.FAILED and "TelegramBadRequest" in (row.error or "")


async def test_5xx_is_retried_with_backoff(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    person = await teacher(db)
    await queue(db, settings, person)
    harness.api.fail_next(api_error(TelegramServerError), method=SendMessage)

    await harness.deliver()

    [row] = await rows(db)
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert row.next_attempt_at > datetime.now(UTC)


async def test_timeout_after_sending_is_unknown_not_resent(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    person = await teacher(db)
    await queue(db, settings, person)
    timeout = api_error(TelegramNetworkError)
    timeout.__cause__ = TimeoutError()
    harness.api.fail_next(timeout, method=SendMessage)

    await harness.deliver()
    await harness.deliver()

    [row] = await rows(db)
    assert row.status == DeliveryStatus.UNKNOWN
    assert len(harness.sent_to(5001)) == 1


async def test_connection_error_is_retried(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    person = await teacher(db)
    await queue(db, settings, person)
    harness.api.fail_next(api_error(TelegramNetworkError), method=SendMessage)

    await harness.deliver()

    [row] = await rows(db)
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1


async def test_long_text_is_split_and_the_buttons_go_last(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    person = await teacher(db)
    text = "\n".join(f"Строка {i} " + "х" * 80 for i in range(100))
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Ок", callback_data="x")]]
    )
    await queue(db, settings, person, text, reply_markup=markup)

    await harness.deliver()

    sent = [r for r in harness.sent_to(5001) if isinstance(r, SendMessage)]
    assert len(sent) == 3
    assert all(len(r.text) <= 4096 for r in sent)
    assert [r.reply_markup is not None for r in sent] == [False, False, True]
    assert "\n".join(r.text for r in sent) == text


async def test_crash_mid_send_leaves_unknown_and_the_rest_resumes(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    person = await teacher(db)
    other = await teacher(db, 5002, "Смирнова Алла Викторовна")
    await queue(db, settings, person)
    await queue(db, settings, other)
    first, _ = await rows(db)
    first.status = DeliveryStatus.SENDING
    first.lease_until = datetime.now(UTC) - timedelta(seconds=1)
    await db.commit()

    sender = OutboxSender(harness.bot, harness.session_pool, settings, LocalRateLimiter(1e6, 0))
    assert await sender.recover() == 1
    await sender.drain()

    first, second = await rows(db)
    assert first.status == DeliveryStatus.UNKNOWN
    assert second.status == DeliveryStatus.SENT
    assert harness.sent_to(5001) == []


async def test_two_senders_never_send_a_row_twice(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    mun, school, _ = await seed.place(db)
    for i in range(40):
        p = await seed.person(
            db,
            name=f"Педагог Номер {i}",
            roles=[Role.TEACHER],
            municipality=mun,
            school=school,
            telegram_id=7000 + i,
        )
        assert await enqueue_message(
            db, settings, p, "Всем", kind="test", priority=Priority.BROADCAST
        )
    await db.commit()

    senders = [
        OutboxSender(
            harness.bot,
            harness.session_pool,
            settings,
            LocalRateLimiter(1e6, 0),
            worker_id=f"w{i}",
            batch_size=7,
        )
        for i in range(2)
    ]
    await asyncio.gather(*(s.drain() for s in senders))

    chats = [int(r.chat_id) for r in harness.requests if isinstance(r, SendMessage)]
    assert sorted(chats) == list(range(7000, 7040))
    assert {r.status for r in await rows(db)} == {DeliveryStatus.SENT}


async def test_non_urgent_waits_for_daytime(db: AsyncSession, settings: Settings) -> None:
    settings = settings.model_copy(
        update={"quiet_hours_start": time(21), "quiet_hours_end": time(8)}
    )
    person = await teacher(db)
    late_evening = datetime(2026, 11, 25, 22, 30, tzinfo=MSK)
    assert await enqueue_message(
        db,
        settings,
        person,
        "Напоминание",
        kind="reminder",
        urgent=False,
        priority=Priority.ROUTINE,
        not_before=late_evening,
    )
    await db.commit()
    [row] = await rows(db)
    assert row.next_attempt_at == datetime(2026, 11, 26, 8, 0, tzinfo=MSK)


@pytest.mark.parametrize(
    ("local", "quiet"),
    [
        (time(7, 59), True),
        (time(8, 0), False),
        (time(20, 59), False),
        (time(21, 0), True),
        (time(0, 0), True),
    ],
)
def test_quiet_hours_window(local: time, quiet: bool) -> None:
    moment = datetime(2026, 3, 1, local.hour, local.minute, tzinfo=MSK)
    assert is_quiet(moment, MSK, time(21, 0), time(8, 0)) is quiet


def test_next_daytime_after_midnight_is_same_morning() -> None:
    moment = datetime(2026, 3, 1, 2, 0, tzinfo=MSK)
    assert next_daytime(moment, MSK, time(21, 0), time(8, 0)) == datetime(
        2026, 3, 1, 8, 0, tzinfo=MSK
    )


def test_split_text_prefers_line_breaks() -> None:
    text = ("а" * 3000 + "\n") * 3
    parts = split_text(text)
    assert all(len(p) <= 4096 for p in parts)
    assert [set(p.strip()) for p in parts] == [{"а"}] * 3
    assert split_text("") == [""]
    assert split_text("x" * 5000) == ["x" * 4096, "x" * 904]


async def test_429_storm_sends_everything_once(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    mun, school, _ = await seed.place(db)
    for i in range(6):
        p = await seed.person(
            db,
            name=f"Педагог Буря {i}",
            roles=[Role.TEACHER],
            municipality=mun,
            school=school,
            telegram_id=7500 + i,
        )
        assert await enqueue_message(db, settings, p, "Шторм", kind="test")
    await db.commit()
    for _ in range(3):
        harness.api.fail_next(api_error(TelegramRetryAfter, retry_after=1), method=SendMessage)
    limiter = LocalRateLimiter(1_000_000, 0)
    sender = OutboxSender(harness.bot, harness.session_pool, settings, limiter)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while loop.time() < deadline:
        await sender.run_once()
        if {r.status for r in await rows(db)} == {DeliveryStatus.SENT}:
            break
        await asyncio.sleep(0.2)

    delivered = [int(r.chat_id) for r in harness.requests if isinstance(r, SendMessage)]
    accepted = delivered[3:]  # the first three were answered 429
    assert sorted(accepted) == list(range(7500, 7506))
    assert {r.status for r in await rows(db)} == {DeliveryStatus.SENT}
    assert all(r.attempts == 1 for r in await rows(db))


async def test_running_sender_marks_a_crashed_peers_row_unknown_when_its_lease_ends(
    harness: Harness, db: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.delivery.sender as sender_module

    monkeypatch.setattr(sender_module, "RECOVERY_INTERVAL_SECONDS", 0.05)
    person = await teacher(db)
    await queue(db, settings, person)
    [row] = await rows(db)
    # A process that restarted quickly: its peer's in-flight row is still leased for a moment.
    row.status = DeliveryStatus.SENDING
    row.lease_until = datetime.now(UTC) + timedelta(seconds=0.3)
    await db.commit()
    sender = OutboxSender(
        harness.bot, harness.session_pool, settings, LocalRateLimiter(1e6, 0), idle_seconds=0.05
    )

    task = asyncio.create_task(sender.run())
    # The lease ends after 0.3 s; a loaded machine (CI runs two suites at once) may take longer
    # to get there, so wait for the recovery rather than a fixed time.
    loop = asyncio.get_running_loop()
    give_up = loop.time() + 15
    while loop.time() < give_up:
        await asyncio.sleep(0.1)
        [row] = await rows(db)
        if row.status != DeliveryStatus.SENDING:
            break
    sender.stop()
    await task

    [row] = await rows(db)
    assert row.status == DeliveryStatus.UNKNOWN
    assert harness.sent_to(5001) == []
