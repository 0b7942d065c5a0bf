"""Participants and events, end to end through the dispatcher and the outbox: the list and the
card, one tap to register (with the .ics), double taps, refusals (deadline, cancelled, begun,
outside the audience), the waiting list in exact order, withdrawing and the offer to the first
in line (confirmed, declined, lapsed), «Не смогу», «Мои мероприятия», a «десант» session with
its own seats, the registrants segment of broadcasts, and the last seat taken by two people at
once (exactly one gets it, on SQLite and on PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram.methods import AnswerCallbackQuery, SendDocument
from aiogram.types import BufferedInputFile
from icalendar import Calendar
from sqlalchemy import func, select, update
from sqlalchemy.event import listen, remove
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.callbacks import EventCb
from bot.services import audience as audiences
from bot.services import event_calendar
from bot.services import event_registration as registration
from bot.services.scope import scope_of
from config.settings import Settings
from storage.models import (
    Delivery,
    Event,
    EventForm,
    EventRegistration,
    EventReminder,
    EventScope,
    EventSession,
    EventStatus,
    Municipality,
    Person,
    RegistrationStatus,
    Role,
    SessionKind,
)
from tests import seed
from tests.factories import make_callback, make_message, update_with
from tests.harness import Harness
from tests.recording_session import BOT_USER

COORDINATOR = 9301
TEACHERS = tuple(range(9400, 9406))
TUTOR = 9450
FOREIGN_TEACHER = 9499
RUNS = 5


# --- arranging ---------------------------------------------------------------------------------


async def arrange(db: AsyncSession) -> dict[str, Any]:
    mun, low, leader = await seed.place(db)
    coordinator = await seed.person(
        db, name="Координатор Ольга", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=COORDINATOR,
    )  # fmt: skip
    for number, telegram_id in enumerate(TEACHERS):
        await seed.person(
            db,
            name=f"Учитель{'а' * number} Анна",
            roles=[Role.TEACHER],
            municipality=mun,
            school=low,
            telegram_id=telegram_id,
        )
    await seed.person(
        db, name="Тьютор Мария", roles=[Role.TUTOR], municipality=mun, school=leader,
        telegram_id=TUTOR,
    )  # fmt: skip
    other, other_school, _ = await seed.place(db, municipality="Кировский городской округ")
    await seed.person(
        db, name="Чужой Учитель", roles=[Role.TEACHER], municipality=other, school=other_school,
        telegram_id=FOREIGN_TEACHER,
    )  # fmt: skip
    await db.commit()
    return {"mun": mun.id, "school": low.id, "coordinator": coordinator.id}


async def add_event(db: AsyncSession, world: dict[str, Any], **changes: Any) -> int:
    """A published webinar three days ahead (with `changes`): its id."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    values: dict[str, Any] = {
        "type": "webinar",
        "scope": EventScope.MUNICIPAL,
        "form": EventForm.ONLINE,
        "title": "Вебинар о функциональной грамотности",
        "description": "Разбор заданий PISA",
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "timezone": "Europe/Moscow",
        "duration_hours": 2.0,
        "online_url": "https://meet.example.org/room-42",
        "capacity": None,
        "audience": {"roles": ["teacher"]},
        "status": EventStatus.PUBLISHED,
        "municipality_id": world["mun"],
        "author_id": world["coordinator"],
        "published_at": datetime.now(UTC),
    }
    values.update(changes)
    event = Event(**values)
    db.add(event)
    await db.flush()
    event_id = event.id
    await db.commit()
    return event_id


def tapped(harness: Harness) -> list[str]:
    return [r.text or "" for r in harness.requests if isinstance(r, AnswerCallbackQuery)]


def documents(harness: Harness, chat_id: int) -> list[SendDocument]:
    return [r for r in harness.sent_to(chat_id) if isinstance(r, SendDocument)]


async def tap(harness: Harness, user_id: int, action: str, event_id: int, **more: int) -> None:
    await harness.callback(user_id, EventCb(action=action, event_id=event_id, **more).pack())


async def registrations(db: AsyncSession, event_id: int) -> list[tuple[int, str, int | None]]:
    """(telegram id, status, queue number) by registration id."""
    await db.commit()  # a fresh snapshot
    rows = await db.execute(
        select(Person.telegram_id, EventRegistration.status, EventRegistration.queue_no)
        .join(Person, Person.id == EventRegistration.person_id)
        .where(EventRegistration.event_id == event_id, EventRegistration.session_id.is_(None))
        .order_by(EventRegistration.id)
    )
    return [(int(tg or 0), status.value, queue) for tg, status, queue in rows.all()]


async def seats_taken(db: AsyncSession, event_id: int) -> int:
    await db.commit()  # a fresh snapshot
    return int(await db.scalar(select(Event.seats_taken).where(Event.id == event_id)) or 0)


# --- the list, the card, registering -----------------------------------------------------------


async def test_a_teacher_finds_the_event_registers_in_one_tap_and_gets_the_ics(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    event = await add_event(db, world, capacity=30)
    teacher = TEACHERS[0]

    await harness.send(teacher, "📅 Мероприятия")
    assert "Вебинар о функциональной грамотности" in harness.last_text(teacher)
    await harness.press(teacher, "Вебинар о функциональной")
    card = harness.last_text(teacher)
    assert "Свободных мест: 30 из 30" in card
    assert "meet.example.org" not in card, "the link is for registrants only"
    assert "Записаться" in " ".join(harness.buttons(teacher))

    await harness.press(teacher, "Записаться")
    sent = documents(harness, teacher)
    assert len(sent) == 1
    assert "Вы записаны" in (sent[0].caption or "")
    assert "meet.example.org/room-42" in (sent[0].caption or "")
    document = sent[0].document
    assert isinstance(document, BufferedInputFile) and document.filename == "event.ics"
    calendar = Calendar.from_ical(document.data)
    item = next(iter(calendar.walk("VEVENT")))
    assert str(item["uid"]) == f"event-{event}@{event_calendar.ICS_DOMAIN}"
    assert await registrations(db, event) == [(teacher, "registered", None)]
    assert await seats_taken(db, event) == 1
    reminders = await db.scalars(select(EventReminder.offset_minutes).order_by(EventReminder.id))
    assert sorted(reminders.all()) == [60, 24 * 60]

    # A second tap on the same (stale) announcement button: still one registration.
    await tap(harness, teacher, "register", event)
    assert "уже записаны" in tapped(harness)[-1]
    assert await registrations(db, event) == [(teacher, "registered", None)]
    assert await seats_taken(db, event) == 1

    # The .ics again from the card: the same UID, so calendars update instead of duplicating.
    await tap(harness, teacher, "ics", event)
    again = documents(harness, teacher)[-1].document
    assert isinstance(again, BufferedInputFile)
    assert f"event-{event}@".encode() in again.data

    # The card now shows the link, and «Мои мероприятия» the seat.
    await tap(harness, teacher, "card", event)
    assert "meet.example.org/room-42" in harness.last_text(teacher)
    await harness.press(teacher, "Мои мероприятия")
    mine = harness.last_text(teacher)
    assert "Вебинар о функциональной грамотности" in mine and "Вы записаны" in mine


async def test_refusals_are_plain_answers_and_write_nothing(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    now = datetime.now(UTC)
    past_deadline = await add_event(db, world, registration_deadline=now - timedelta(hours=1))
    cancelled = await add_event(db, world, status=EventStatus.CANCELLED, cancelled_at=now)
    held = await add_event(
        db, world, status=EventStatus.HELD, starts_at=now - timedelta(days=2),
        ends_at=now - timedelta(days=2) + timedelta(hours=2),
    )  # fmt: skip
    begun = await add_event(
        db, world, starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(hours=1)
    )
    draft = await add_event(db, world, status=EventStatus.DRAFT)
    for_tutors = await add_event(db, world, audience={"roles": ["tutor"]})
    open_one = await add_event(db, world)
    teacher = TEACHERS[0]

    expected = {
        past_deadline: "Запись на это мероприятие уже закончилась",
        cancelled: "Мероприятие отменено",
        held: "Мероприятие уже прошло",
        begun: "Мероприятие уже началось",
        draft: "ещё не опубликовано",
        for_tutors: "для других участников",
        987654: "больше нет",
    }
    for event_id, words in expected.items():
        await tap(harness, teacher, "register", event_id)
        assert words in tapped(harness)[-1], (event_id, tapped(harness)[-1])
    # Outside the event's municipality: the same refusal, also for «Подробнее».
    await tap(harness, FOREIGN_TEACHER, "register", open_one)
    assert "для других участников" in tapped(harness)[-1]
    await tap(harness, FOREIGN_TEACHER, "card", open_one)
    assert "Вебинар" not in harness.last_text(FOREIGN_TEACHER)
    assert int(await db.scalar(select(func.count()).select_from(EventRegistration)) or 0) == 0

    # The tutor is in the tutors' event's audience and registers.
    await tap(harness, TUTOR, "register", for_tutors)
    assert await registrations(db, for_tutors) == [(TUTOR, "registered", None)]
    # The list shows only what is open to the person: no draft, no foreign audience.
    await harness.send(teacher, "/events")
    listing = harness.last_text(teacher)
    assert listing.count("Вебинар о функциональной грамотности") == 4  # deadline, begun, open, held
    await harness.send(FOREIGN_TEACHER, "/events")
    assert "Пока нет мероприятий" in harness.last_text(FOREIGN_TEACHER)


async def test_a_full_event_keeps_the_waiting_list_in_exact_order_and_offers_seats(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    event = await add_event(db, world, capacity=2)
    for teacher in TEACHERS[:5]:
        await tap(harness, teacher, "register", event)
    assert "место 1" in harness.last_text(TEACHERS[2])
    assert "место 3" in harness.last_text(TEACHERS[4])
    assert await registrations(db, event) == [
        (TEACHERS[0], "registered", None),
        (TEACHERS[1], "registered", None),
        (TEACHERS[2], "waiting", 1),
        (TEACHERS[3], "waiting", 2),
        (TEACHERS[4], "waiting", 3),
    ]
    await tap(harness, TEACHERS[3], "card", event)
    assert "в листе ожидания, место 2" in harness.last_text(TEACHERS[3])

    # The first registrant withdraws: the first in line is offered the seat.
    await tap(harness, TEACHERS[0], "decline", event)
    assert "Запись отменена" in harness.last_text(TEACHERS[0])
    await harness.deliver()
    offer = harness.last_text(TEACHERS[2])
    assert "освободилось место" in offer and "Подтвердите участие до" in offer
    assert await seats_taken(db, event) == 2
    reminders_before = await db.scalar(select(func.count()).select_from(EventReminder))

    await harness.press(TEACHERS[2], "Подтверждаю")
    assert "Вы записаны" in (documents(harness, TEACHERS[2])[-1].caption or "")
    assert (await registrations(db, event))[2] == (TEACHERS[2], "registered", 1)
    reminders_after = await db.scalar(select(func.count()).select_from(EventReminder))
    assert (reminders_after or 0) - (reminders_before or 0) == 2
    # The withdrawn registrant's reminders are gone.
    first = await db.scalar(select(Person.id).where(Person.telegram_id == TEACHERS[0]))
    assert (
        await db.scalar(
            select(func.count()).select_from(EventReminder).where(EventReminder.person_id == first)
        )
        == 0
    )

    # The next seat: offered to the next in line, who says «Не смогу» → the one after.
    await tap(harness, TEACHERS[1], "decline", event)
    await harness.deliver()
    assert "освободилось место" in harness.last_text(TEACHERS[3])
    await harness.press(TEACHERS[3], "Не смогу")
    await harness.deliver()
    assert "освободилось место" in harness.last_text(TEACHERS[4])

    # Silence: the offer lapses at its time and nobody else is in line; the seat stays free.
    await db.execute(
        update(EventRegistration)
        .where(EventRegistration.status == RegistrationStatus.OFFERED)
        .values(offer_expires_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    await db.commit()
    await harness.run_job("bot.scheduler.event_offers:sweep")
    await harness.deliver()
    assert any("перешло следующему" in text for text in await lapsed_notices(db, TEACHERS[4]))
    assert [r[1] for r in await registrations(db, event)] == [
        "declined", "declined", "registered", "declined", "expired",
    ]  # fmt: skip
    assert await seats_taken(db, event) == 1

    # Back after «Не смогу»: a new registration (a seat is free now).
    await tap(harness, TEACHERS[0], "register", event)
    assert (await registrations(db, event))[0] == (TEACHERS[0], "registered", None)
    # And one more: the end of the line, with a new number.
    await tap(harness, TEACHERS[1], "register", event)
    await tap(harness, TEACHERS[3], "register", event)
    rows = await registrations(db, event)
    assert rows[1] == (TEACHERS[1], "waiting", 4) and rows[3] == (TEACHERS[3], "waiting", 5)
    assert "место 2" in harness.last_text(TEACHERS[3])


async def lapsed_notices(db: AsyncSession, chat_id: int) -> list[str]:
    """The «your offer lapsed» notices queued for a person. (Read from the outbox, not the
    chat: here the offer and its lapse are queued moments apart, and the sender orders them by
    priority, so the chat's last message may be either.)"""
    payloads = await db.scalars(
        select(Delivery.payload).where(
            Delivery.kind == "event_offer_lapsed", Delivery.chat_id == chat_id
        )
    )
    return [str(payload["text"]) for payload in payloads]


async def test_a_lapsed_offer_passes_the_seat_to_the_next_and_a_late_one_is_refused(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    event = await add_event(db, world, capacity=1)
    for teacher in TEACHERS[:3]:
        await tap(harness, teacher, "register", event)
    await tap(harness, TEACHERS[0], "decline", event)
    await db.execute(
        update(EventRegistration)
        .where(EventRegistration.status == RegistrationStatus.OFFERED)
        .values(offer_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    await db.commit()
    await harness.run_job("bot.scheduler.event_offers:sweep")
    await harness.run_job("bot.scheduler.event_offers:sweep")  # twice: nothing twice
    await harness.deliver()
    assert [("перешло следующему" in text) for text in await lapsed_notices(db, TEACHERS[1])] == [
        True
    ]
    offers = [t for t in harness.texts_to(TEACHERS[2]) if "освободилось место" in t]
    assert len(offers) == 1
    # The late confirmation of the lapsed offer is refused.
    await tap(harness, TEACHERS[1], "confirm", event)
    assert "уже не действует" in tapped(harness)[-1]
    await tap(harness, TEACHERS[2], "confirm", event)
    assert [r[1] for r in await registrations(db, event)] == [
        "declined", "expired", "registered",
    ]  # fmt: skip
    assert await seats_taken(db, event) == 1


async def test_close_to_the_start_the_next_in_line_is_registered_straight_away(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    world = await arrange(db)
    start = datetime.now(UTC) + timedelta(minutes=40)
    event = await add_event(
        db, world, capacity=1, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    await tap(harness, TEACHERS[0], "register", event)
    await tap(harness, TEACHERS[1], "register", event)
    await tap(harness, TEACHERS[0], "decline", event)
    await harness.deliver()
    told = harness.last_text(TEACHERS[1])
    assert "мы вас записали" in told
    assert "Подтверждаю" not in " ".join(harness.buttons(TEACHERS[1]))
    assert (await registrations(db, event))[1] == (TEACHERS[1], "registered", 1)


async def test_cant_come_before_registering_is_remembered(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    event = await add_event(db, world, capacity=5)
    await tap(harness, TEACHERS[0], "decline", event)
    assert "Поняли, вы не сможете" in harness.last_text(TEACHERS[0])
    await tap(harness, TEACHERS[0], "decline", event)
    assert await registrations(db, event) == [(TEACHERS[0], "declined", None)]
    assert await seats_taken(db, event) == 0
    await tap(harness, TEACHERS[0], "card", event)
    assert "не сможете прийти" in harness.last_text(TEACHERS[0])
    await tap(harness, TEACHERS[0], "register", event)
    assert await registrations(db, event) == [(TEACHERS[0], "registered", None)]


async def test_a_stale_announcement_button_gets_what_is_so_now(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    event = await add_event(db, world, capacity=1)
    await tap(harness, TEACHERS[0], "register", event)
    await tap(harness, TEACHERS[1], "register", event)
    assert "вы в листе ожидания, место 1" in harness.last_text(TEACHERS[1])
    await db.execute(update(Event).where(Event.id == event).values(status=EventStatus.CANCELLED))
    await db.commit()
    await tap(harness, TEACHERS[2], "register", event)
    assert "отменено" in tapped(harness)[-1]
    await tap(harness, TEACHERS[0], "decline", event)
    assert "отменено" in tapped(harness)[-1]
    await tap(harness, TEACHERS[0], "card", event)
    assert "Мероприятие отменено" in harness.last_text(TEACHERS[0])
    await tap(harness, TEACHERS[0], "mine", 0)
    assert "Мероприятие отменено" in harness.last_text(TEACHERS[0])


async def test_a_desant_session_with_its_own_seats_needs_the_event_first(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    event = await add_event(
        db, world, starts_at=start, ends_at=start + timedelta(hours=5), type="desant",
        form=EventForm.IN_PERSON, online_url=None, address="с. Кугульта, ул. Школьная, 1",
        capacity=20,
    )  # fmt: skip
    part = EventSession(
        event_id=event,
        kind=SessionKind.MASTER_CLASS,
        title="Мастер-класс по смысловому чтению",
        presenter="Иванова И.И.",
        starts_at=start,
        ends_at=start + timedelta(minutes=45),
        capacity=1,
    )
    db.add(part)
    await db.flush()
    part_id = part.id
    await db.commit()
    await tap(harness, TEACHERS[0], "register", event, session_id=part_id)
    assert "Сначала запишитесь" in tapped(harness)[-1]
    await tap(harness, TEACHERS[0], "register", event)
    await tap(harness, TEACHERS[0], "card", event)
    await harness.press(TEACHERS[0], "Записаться: Мастер-класс")
    assert "на эту часть программы" in harness.last_text(TEACHERS[0])
    await tap(harness, TEACHERS[1], "register", event)
    await tap(harness, TEACHERS[1], "register", event, session_id=part_id)
    assert "место 1" in harness.last_text(TEACHERS[1])
    # Giving up the event gives up its session too; the session's seat goes to the next.
    await tap(harness, TEACHERS[0], "decline", event)
    await harness.deliver()
    assert "Мастер-класс по смысловому чтению" in harness.last_text(TEACHERS[1])
    await db.commit()
    assert await db.scalar(select(EventSession.seats_taken).where(EventSession.id == part_id)) == 1


# --- the segment --------------------------------------------------------------------------------


async def test_registrants_are_a_broadcast_segment(harness: Harness, db: AsyncSession) -> None:
    world = await arrange(db)
    event = await add_event(db, world, capacity=2)
    for teacher in TEACHERS[:3]:
        await tap(harness, teacher, "register", event)
    coordinator = await db.scalar(select(Person).where(Person.telegram_id == COORDINATOR))
    assert coordinator is not None
    scope = await scope_of(db, coordinator)
    chosen = audiences.Audience(segments={registration.EVENT_SEGMENT: event})
    await audiences.validate(db, scope, chosen)
    assert await audiences.count(db, scope, chosen) == 2  # the waiting one is not in it
    offered = await audiences.choices(db, scope, audiences.Audience(), "event")
    assert [c.value for c in offered] == [event]

    # In the composer: «Записались на мероприятие» is a kind of its own.
    await harness.send(COORDINATOR, "📣 Рассылки")
    await harness.press(COORDINATOR, "Новая рассылка")
    await harness.send(COORDINATOR, "Коллеги, ссылка на вебинар изменилась")
    await harness.press(COORDINATOR, "Записались на мероприятие")
    await harness.press(COORDINATOR, "Вебинар о функциональной")
    assert "Получателей сейчас: <b>2</b>" in harness.last_text(COORDINATOR)


# --- the last seat, taken twice at once ----------------------------------------------------------


async def _register_in_own_session(
    pool: async_sessionmaker[AsyncSession], telegram_id: int, event_id: int, settings: Settings
) -> str:
    async with pool() as session:
        person = await session.scalar(select(Person).where(Person.telegram_id == telegram_id))
        assert person is not None
        result = await registration.register(session, person, event_id, settings=settings)
        await session.commit()
        return result.kind


async def test_two_people_taking_the_last_seat_at_once_one_gets_it(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    """Two transactions at once (two updates of two people): exactly one seat, one in line."""
    world = await arrange(db)
    for _ in range(RUNS):
        event = await add_event(db, world, capacity=1)
        kinds = await asyncio.gather(
            _register_in_own_session(harness.session_pool, TEACHERS[0], event, settings),
            _register_in_own_session(harness.session_pool, TEACHERS[1], event, settings),
        )
        assert sorted(kinds) == ["registered", "waiting"]
        assert await seats_taken(db, event) == 1
        statuses = sorted(r[1] for r in await registrations(db, event))
        assert statuses == ["registered", "waiting"]


async def test_the_last_seat_pressed_by_two_at_once_through_the_dispatcher(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    event = await add_event(db, world, capacity=1)
    data = EventCb(action="register", event_id=event).pack()

    def press(telegram_id: int) -> Any:
        user = harness.user(telegram_id)
        message = make_message(user, text="…").model_copy(update={"from_user": BOT_USER})
        return update_with(callback_query=make_callback(user, data, message))

    await harness.feed_many([press(TEACHERS[0]), press(TEACHERS[1]), press(TEACHERS[2])])
    assert await seats_taken(db, event) == 1
    rows = await registrations(db, event)
    assert sorted(r[1] for r in rows) == ["registered", "waiting", "waiting"]
    assert sorted(r[2] for r in rows if r[2] is not None) == [1, 2]


async def test_forget_gives_up_the_seat_and_the_next_in_line_is_offered_it(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    event = await add_event(db, world, capacity=1)
    await tap(harness, TEACHERS[0], "register", event)
    await tap(harness, TEACHERS[1], "register", event)
    await harness.send(TEACHERS[0], "/forget")
    await harness.press(TEACHERS[0], "Да, удалить")
    assert await seats_taken(db, event) == 0
    assert await db.scalar(select(func.count()).select_from(EventReminder)) == 0
    await harness.run_job("bot.scheduler.event_offers:sweep")
    await harness.deliver()
    assert "освободилось место" in harness.last_text(TEACHERS[1])
    assert [r[1] for r in await registrations(db, event)] == ["declined", "offered"]


async def test_a_tap_reads_the_event_once_and_the_audience_in_one_query(
    harness: Harness, db: AsyncSession, engine: AsyncEngine
) -> None:
    """«Записаться» with «Вы записаны» and its .ics: the event is read once and the audience
    checked in one query, for a municipal event and for a regional one (whose audience is
    every municipality of the region: still one query, and someone of another region is out)."""
    world = await arrange(db)
    region_id = await db.scalar(
        select(Municipality.region_id).where(Municipality.id == world["mun"])
    )
    municipal = await add_event(db, world, capacity=30)
    regional = await add_event(
        db, world, capacity=30, scope=EventScope.REGIONAL, municipality_id=None, region_id=region_id
    )
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        for teacher, event in ((TEACHERS[0], municipal), (TEACHERS[1], regional)):
            statements.clear()
            await tap(harness, teacher, "register", event)
            assert "Вы записаны" in (documents(harness, teacher)[-1].caption or "")
            reads = [s for s in statements if s.startswith("SELECT events.")]
            audience = [s for s in statements if s.startswith("SELECT people.id ")]
            assert (len(reads), len(audience)) == (1, 1), statements
            assert not [s for s in statements if s.startswith("SELECT municipalities.id FROM")]
            # Besides the update path's own (the inbox row): the person, the event, their
            # registration, the audience, the seat, the registration, its reminders, the zone.
            ours = [s for s in statements if "inbox_updates" not in s]
            assert len(ours) <= 8, ours
    finally:
        remove(engine.sync_engine, "before_cursor_execute", record)
    await tap(harness, FOREIGN_TEACHER, "register", regional)
    assert "для других участников" in tapped(harness)[-1]
    assert [tg for tg, _status, _queue in await registrations(db, regional)] == [TEACHERS[1]]
