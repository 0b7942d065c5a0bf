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
from bot.services import event_fields
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


async def webinar_to_preview(harness: Harness, seats: str = "100") -> datetime:
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
    await harness.send(COORDINATOR, seats)
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


async def test_a_desant_with_two_sessions_is_typed_and_published(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    day, _start = next_weekday_text()
    await harness.send(COORDINATOR, "🗓 Мероприятия (организатор)")
    await harness.press(COORDINATOR, "Новое мероприятие")
    await harness.press(COORDINATOR, "Педагогический десант")
    await harness.send(COORDINATOR, "Десант в СОШ № 2")
    await harness.send(COORDINATOR, f"{day} в 9")
    await harness.press(COORDINATOR, "Верно")
    await harness.send(COORDINATOR, "15:00")
    await harness.press(COORDINATOR, "Верно")
    await harness.press(COORDINATOR, "6 ч")
    await harness.press(COORDINATOR, "очно")
    await harness.press(COORDINATOR, "межмуниципальный")
    await harness.press(COORDINATOR, "Далее")  # no place yet: refused
    assert "школу-базу или адрес" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Школа-база")
    await harness.press(COORDINATOR, "СОШ № 2")
    await harness.press(COORDINATOR, "Далее")
    await harness.press(COORDINATOR, "Без ограничений")
    await harness.press(COORDINATOR, "До начала")
    await harness.press(COORDINATOR, "Далее")
    for title, when, seats in (
        ("Мастер-класс по смысловому чтению", "10:00–11:30", "15"),
        ("Открытый урок химии", "12:00-12:45", None),
    ):
        await harness.press(COORDINATOR, "Добавить часть")
        await harness.press(COORDINATOR, "Мастер-класс" if seats else "Открытый урок")
        await harness.send(COORDINATOR, title)
        await harness.send(COORDINATOR, "Иванова И. И., СОШ № 1")
        await harness.send(COORDINATOR, "18:00-19:00")  # after the end: refused
        assert "во время мероприятия" in harness.last_text(COORDINATOR)
        await harness.send(COORDINATOR, when)
        if seats:
            await harness.send(COORDINATOR, seats)
        else:
            await harness.press(COORDINATOR, "Без отдельной записи")
        await harness.press(COORDINATOR, "Пропустить")
    program = harness.last_text(COORDINATOR)
    assert "Мастер-класс по смысловому чтению" in program and "12:00–12:45" in program
    await harness.press(COORDINATOR, "Далее")
    await harness.press(COORDINATOR, "Без описания")
    await harness.send(COORDINATOR, "Отдел образования")
    await harness.press(COORDINATOR, "Далее")
    preview = harness.last_text(COORDINATOR)
    assert "Программа" in preview and "Открытый урок химии" in preview
    await harness.press(COORDINATOR, "Опубликовать")
    # A second tap on the same button makes no twin and no second announcement.
    await harness.press(COORDINATOR, "Опубликовать")

    assert await db.scalar(select(func.count()).select_from(Event)) == 1
    event = await db.scalar(select(Event))
    assert event is not None and event.capacity is None and event.host_school_id is not None
    parts = (await db.scalars(select(EventSession).order_by(EventSession.starts_at))).all()
    assert [p.capacity for p in parts] == [15, None]
    assert all(p.checkin_code and len(p.checkin_code) == 6 for p in parts)
    assert parts[0].starts_at.replace(tzinfo=UTC).astimezone(TZ).strftime("%H:%M") == "10:00"
    count = await db.scalar(select(func.count()).where(Delivery.kind == "event_announcement"))
    assert count == len(TEACHERS)


async def published(
    db: AsyncSession, *, starts_in: timedelta = timedelta(days=3), capacity: int | None = 10
) -> Event:
    """A webinar published directly, with two registrants and one on the waiting list."""
    coordinator = await db.scalar(select(Person).where(Person.telegram_id == COORDINATOR))
    assert coordinator is not None
    start = datetime.now(UTC) + starts_in
    event = Event(
        type="webinar", scope="municipal", form="online", title="Вебинар о ВПР",
        starts_at=start, ends_at=start + timedelta(hours=2), timezone="Europe/Moscow",
        duration_hours=2, online_url="https://meet.example.org/a", capacity=capacity,
        seats_taken=2, next_queue_no=2, audience={}, status=EventStatus.PUBLISHED,
        municipality_id=coordinator.municipality_id, author_id=coordinator.id,
        checkin_code="123456", version=0, published_at=datetime.now(UTC),
    )  # fmt: skip
    db.add(event)
    await db.flush()
    teachers = (
        await db.scalars(
            select(Person).where(Person.telegram_id.in_(list(TEACHERS))).order_by(Person.id)
        )
    ).all()
    for n, teacher in enumerate(teachers[:3]):
        waiting = n == 2
        db.add(
            EventRegistration(
                event_id=event.id, person_id=teacher.id,
                status=RegistrationStatus.WAITING if waiting else RegistrationStatus.REGISTERED,
                queue_no=1 if waiting else None, municipality_id=teacher.municipality_id,
            )
        )  # fmt: skip
    await db.commit()
    return event


async def published_with_a_reminder(db: AsyncSession) -> Event:
    """`published`, and an unsent reminder an hour before for its first registration."""
    event = await published(db)
    registration = await db.scalar(select(EventRegistration.id).limit(1))
    assert registration is not None
    db.add(
        EventReminder(
            registration_id=registration, event_id=event.id, person_id=1, offset_minutes=60,
            due_at=event.starts_at - timedelta(minutes=60),
        )
    )  # fmt: skip
    await db.commit()
    return event


async def test_an_edit_tells_each_registrant_once_with_a_new_calendar_file(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    event = await published_with_a_reminder(db)
    await harness.callback(COORDINATOR, EventAdminCb(action="card", event_id=event.id).pack())
    await harness.press(COORDINATOR, "Изменить")
    await harness.press(COORDINATOR, "Дата и время")
    new_day = (datetime.now(TZ) + timedelta(days=5)).date()
    await harness.send(COORDINATOR, f"{new_day:%d.%m.%Y} 16:30")
    confirm = harness.last_text(COORDINATOR)
    assert (
        f"{new_day.day}" in confirm
        and "16:30" in confirm
        and "Верно" in str(harness.buttons(COORDINATOR))
    )
    await harness.press(COORDINATOR, "Верно")
    await harness.send(COORDINATOR, "18:00")
    await harness.press(COORDINATOR, "Верно")
    assert "сообщение об изменениях получат: 3" in harness.last_text(COORDINATOR)

    await db.refresh(event)
    assert event.version == 1
    assert event.starts_at.replace(tzinfo=UTC).astimezone(TZ).strftime("%H:%M") == "16:30"
    changes = (await db.scalars(select(Delivery).where(Delivery.kind == "event_change"))).all()
    assert len(changes) == 3  # two registrants and the one waiting, once each
    english = next(d for d in changes if d.chat_id == TEACHERS[0]).payload["text"]
    assert "Start:" in english and "16:30" in english
    text = next(d for d in changes if d.chat_id == TEACHERS[1]).payload["text"]
    assert "Начало" in text and "Окончание" in text and "16:30" in text and "→" in text
    # The reminders of the old start are gone; the new ones follow the new start.
    reminders = (await db.scalars(select(EventReminder))).all()
    assert reminders and all(
        r.due_at.replace(tzinfo=UTC) < event.starts_at.replace(tzinfo=UTC) for r in reminders
    )
    assert {r.offset_minutes for r in reminders} == {1440, 60}

    harness.clear()
    await harness.deliver()
    files = [r for r in harness.requests if isinstance(r, SendDocument)]
    assert len(files) == 3
    document = files[0].document
    assert isinstance(document, BufferedInputFile)
    ics = document.data.decode()
    assert "SEQUENCE:1" in ics and f"event-{event.id}@" in ics
    assert all("16:30" in (f.caption or "") for f in files)


async def test_reminders_are_changed_from_the_card_and_rescheduled_without_a_notice(
    harness: Harness, db: AsyncSession
) -> None:
    """«✏️ Изменить → Напоминания»: typed times replace the deployment's (a day and an hour
    before) for this event, its unsent reminders follow, and nobody is told (the card did not
    change); bad input is refused in words; «Как обычно» goes back to the usual ones."""
    await arrange(db)
    event = await published_with_a_reminder(db)
    await harness.callback(COORDINATOR, EventAdminCb(action="card", event_id=event.id).pack())
    await harness.press(COORDINATOR, "Изменить")
    await harness.press(COORDINATOR, "Напоминания")
    assert "Сейчас: за 1 день, за 1 час" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "завтра")
    assert "Не получилось прочитать" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "5 минут")
    assert "не позже чем за 10 минут" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "за 20 часов и за 2 часа")

    await db.refresh(event)
    assert event.reminder_offsets == [20 * 60, 120] and event.version == 0
    reminders = (await db.scalars(select(EventReminder))).all()
    assert {r.offset_minutes for r in reminders} == {20 * 60, 120}
    assert not (await db.scalars(select(Delivery).where(Delivery.kind == "event_change"))).all()

    await harness.press(COORDINATOR, "Изменить")
    await harness.press(COORDINATOR, "Напоминания")
    assert "Сейчас: за 20 часов, за 2 часа" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Как обычно")
    db.expire_all()  # the rescheduled reminders may reuse the old rows' ids
    await db.refresh(event)
    assert event.reminder_offsets is None
    reminders = (await db.scalars(select(EventReminder))).all()
    assert {r.offset_minutes for r in reminders} == {1440, 60}


async def test_cancel_asks_then_tells_registrants_with_a_cancelling_calendar_file(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    event = await published(db)
    await harness.callback(COORDINATOR, EventAdminCb(action="card", event_id=event.id).pack())
    await harness.press(COORDINATOR, "Отменить")
    assert "Отменить «Вебинар о ВПР»?" in harness.last_text(COORDINATOR)
    await db.refresh(event)
    assert event.status == EventStatus.PUBLISHED  # asked first
    await harness.press(COORDINATOR, "Да, отменить")
    await db.refresh(event)
    assert event.status == EventStatus.CANCELLED and event.cancelled_at is not None
    notices = (await db.scalars(select(Delivery).where(Delivery.kind == "event_cancelled"))).all()
    assert len(notices) == 3
    harness.clear()
    await harness.deliver()
    ics = [r for r in harness.requests if isinstance(r, SendDocument)]
    assert ics and all(
        isinstance(r.document, BufferedInputFile) and b"STATUS:CANCELLED" in r.document.data
        for r in ics
    )
    # A cancelled event is not changed any more.
    await harness.callback(
        COORDINATOR, EventAdminCb(action="field", event_id=event.id, value="title").pack()
    )
    assert "нельзя" in harness.last_text(COORDINATOR)


async def test_copy_keeps_everything_but_the_dates_and_asks_the_new_start(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    event = await published(db)
    await harness.callback(COORDINATOR, EventAdminCb(action="card", event_id=event.id).pack())
    await harness.press(COORDINATOR, "Копировать")
    assert "Когда начало?" in harness.last_text(COORDINATOR)
    day = (datetime.now(TZ) + timedelta(days=30)).date()
    await harness.send(COORDINATOR, f"{day:%d.%m.%Y} 11:00")
    await harness.press(COORDINATOR, "Верно")
    await harness.press(COORDINATOR, "Как раньше")
    assert "Предпросмотр" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Сохранить черновик")
    copy = await db.scalar(select(Event).where(Event.id != event.id))
    assert copy is not None
    assert copy.status == EventStatus.DRAFT and copy.copied_from_id == event.id
    assert copy.title == event.title and copy.capacity == event.capacity
    assert copy.ends_at - copy.starts_at == timedelta(hours=2)
    assert copy.starts_at.replace(tzinfo=UTC).astimezone(TZ).date() == day
    assert copy.seats_taken == 0


async def test_a_foreign_coordinator_sees_and_presses_nothing_of_the_event(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    event = await published(db)
    await harness.send(FOREIGN_COORDINATOR, "🗓 Мероприятия (организатор)")
    assert "Вебинар о ВПР" not in harness.last_text(FOREIGN_COORDINATOR)
    for action in ("card", "publish", "edit", "cancel", "cancel_yes", "copy"):
        harness.clear()
        await harness.callback(
            FOREIGN_COORDINATOR, EventAdminCb(action=action, event_id=event.id).pack()
        )
        shown = " ".join(harness.texts_to(FOREIGN_COORDINATOR))
        assert "Вебинар о ВПР" not in shown and "не найдено" in shown, action
    await harness.callback(
        FOREIGN_COORDINATOR,
        EventAdminCb(action="field", event_id=event.id, value="title").pack(),
    )
    await db.refresh(event)
    assert event.status == EventStatus.PUBLISHED and event.version == 0
    # A teacher has no organiser's buttons at all.
    harness.clear()
    await harness.callback(TEACHERS[1], EventAdminCb(action="card", event_id=event.id).pack())
    assert "Вебинар о ВПР" not in " ".join(harness.texts_to(TEACHERS[1]))


async def test_an_event_under_way_keeps_its_time_but_takes_a_new_link(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    event = await published(db, starts_in=timedelta(minutes=-30))
    await harness.callback(
        COORDINATOR, EventAdminCb(action="field", event_id=event.id, value="when").pack()
    )
    assert "уже идёт" in harness.last_text(COORDINATOR)
    await harness.callback(
        COORDINATOR, EventAdminCb(action="field", event_id=event.id, value="capacity").pack()
    )
    assert "уже идёт" in harness.last_text(COORDINATOR)
    await harness.callback(
        COORDINATOR, EventAdminCb(action="field", event_id=event.id, value="place").pack()
    )
    await harness.press(COORDINATOR, "Ссылка для подключения")
    await harness.send(COORDINATOR, "https://meet.example.org/new")
    await harness.press(COORDINATOR, "Далее")
    await db.refresh(event)
    assert event.online_url == "https://meet.example.org/new" and event.version == 1
    told = (await db.scalars(select(Delivery).where(Delivery.kind == "event_change"))).all()
    assert len(told) == 3 and "meet.example.org/new" in told[0].payload["text"]


@pytest.mark.parametrize(
    ("typed", "reply"),
    [("0", "от 1 до 10"), ("-1", "целое число"), ("100000", "от 1 до 10"), ("сто", "целое")],
)
async def test_capacity_out_of_bounds_is_refused_with_a_message(
    harness: Harness, db: AsyncSession, typed: str, reply: str
) -> None:
    await arrange(db)
    event = await published(db)
    await harness.callback(
        COORDINATOR, EventAdminCb(action="field", event_id=event.id, value="capacity").pack()
    )
    await harness.send(COORDINATOR, typed)
    assert reply in harness.last_text(COORDINATOR)
    await db.refresh(event)
    assert event.capacity == 10
    # Fewer seats than are taken: refused with the numbers.
    await harness.send(COORDINATOR, "1")
    assert "занято 2" in harness.last_text(COORDINATOR) and "указано 1" in harness.last_text(
        COORDINATOR
    )


async def test_more_seats_move_the_waiting_list_up(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    event = await published(db, capacity=2)
    waiting = await db.scalar(
        select(EventRegistration).where(
            EventRegistration.event_id == event.id,
            EventRegistration.status == RegistrationStatus.WAITING,
        )
    )
    assert waiting is not None
    await harness.callback(
        COORDINATOR, EventAdminCb(action="field", event_id=event.id, value="capacity").pack()
    )
    await harness.send(COORDINATOR, "20")
    await db.refresh(event)
    await db.refresh(waiting)
    assert event.capacity == 20 and event.seats_taken == 3
    assert waiting.status is RegistrationStatus.OFFERED and waiting.offer_expires_at is not None
    offers = await db.scalar(
        select(func.count())
        .select_from(Delivery)
        .where(Delivery.person_id == waiting.person_id, Delivery.kind == "event_offer")
    )
    assert offers == 1


def test_every_field_refuses_bad_input() -> None:
    for bad in ("ab", "x" * 201, "Заголовок\x07"):
        with pytest.raises(DomainError):
            event_fields.check_title(bad)
    with pytest.raises(DomainError):
        event_fields.check_description("я" * 2001)
    for bad_hours in ("0", "-1", "501", "два", "1,555"):
        with pytest.raises(DomainError):
            event_fields.read_hours(bad_hours)
    assert event_fields.read_hours("1,5") == 1.5 and event_fields.read_hours("4") == 4
    for url in ("ftp://x.org", "javascript:alert(1)", "meet.example.org", "https://a b.org"):
        with pytest.raises(DomainError):
            event_fields.check_url(url)
    with pytest.raises(DomainError):
        event_fields.check_type("picnic")
    with pytest.raises(DomainError):
        event_fields.check_scope("galactic")


async def test_a_yekaterinburg_coordinator_types_local_time_and_sees_the_zone(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    coordinator = await db.scalar(select(Person).where(Person.telegram_id == COORDINATOR))
    assert coordinator is not None
    from storage.models import Municipality

    municipality = await db.get(Municipality, coordinator.municipality_id)
    assert municipality is not None
    municipality.timezone = "Asia/Yekaterinburg"
    await db.commit()
    await harness.send(COORDINATOR, "🗓 Мероприятия (организатор)")
    await harness.press(COORDINATOR, "Новое мероприятие")
    await harness.press(COORDINATOR, "Семинар")
    await harness.send(COORDINATOR, "Семинар по ВПР")
    assert "Asia/Yekaterinburg" in harness.last_text(COORDINATOR)
    day = (datetime.now(UTC) + timedelta(days=10)).astimezone(ZoneInfo("Asia/Yekaterinburg"))
    await harness.send(COORDINATOR, f"{day:%d.%m.%Y} 10:00")
    confirm = harness.last_text(COORDINATOR)
    assert "10:00 (Asia/Yekaterinburg)" in confirm
    await harness.press(COORDINATOR, "Верно")
    await harness.send(COORDINATOR, "4 ч")
    await harness.press(COORDINATOR, "Верно")
    await harness.press(COORDINATOR, "4 ч")
    await harness.press(COORDINATOR, "очно")
    await harness.press(COORDINATOR, "муниципальный")
    await harness.press(COORDINATOR, "Адрес")
    await harness.send(COORDINATOR, "с. Грачёвка, ул. Ставропольская, 4")
    await harness.press(COORDINATOR, "Далее")
    await harness.send(COORDINATOR, "40")
    await harness.press(COORDINATOR, "До начала")
    await harness.press(COORDINATOR, "Далее")
    await harness.press(COORDINATOR, "Без описания")
    await harness.press(COORDINATOR, "Не указывать")
    await harness.press(COORDINATOR, "Далее")
    await harness.press(COORDINATOR, "Сохранить черновик")
    event = await db.scalar(select(Event))
    assert event is not None and event.status == EventStatus.DRAFT
    assert event.timezone == "Asia/Yekaterinburg"
    assert event.starts_at.replace(tzinfo=UTC).hour == 5  # 10:00 at UTC+5
    # The draft is published from its card later.
    await harness.press(COORDINATOR, "Опубликовать")
    await db.refresh(event)
    assert event.status == EventStatus.PUBLISHED


async def test_a_small_generated_file_travels_in_the_delivery(
    harness: Harness, db: AsyncSession
) -> None:
    from bot.delivery.outbox import InlineFile, Outgoing, Recipient, enqueue_messages

    await arrange(db)
    people = (await db.scalars(select(Person).where(Person.telegram_id.in_(TEACHERS[:2])))).all()
    settings = harness.dp["settings"]
    short, long = "Коротко", "Длинно. " * 200  # over a caption's 1024 characters
    await enqueue_messages(
        db,
        settings,
        [
            Outgoing(
                Recipient(p.id, p.telegram_id or 0, "Europe/Moscow"),
                text,
                None,
                f"file-test:{p.id}",
                InlineFile("event-1.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
            )
            for p, text in zip(people, (short, long), strict=True)
        ],
        kind="test",
        not_before=datetime.now(UTC) - timedelta(hours=12),
    )
    await db.commit()
    harness.clear()
    await harness.deliver()
    first, second = (harness.sent_to(p.telegram_id or 0) for p in people)
    assert len(first) == 1 and isinstance(first[0], SendDocument) and first[0].caption == short
    assert [type(r).__name__ for r in second][-1] == "SendDocument"
    assert sum(type(r).__name__ == "SendMessage" for r in second) >= 1
    document = second[-1].document  # type: ignore[attr-defined]
    assert isinstance(document, BufferedInputFile) and document.filename == "event-1.ics"
    with pytest.raises(ValueError):
        InlineFile("big.ics", b"x" * (20 * 1024 + 1))
