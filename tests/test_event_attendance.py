"""Who came, through the dispatcher: the organiser ticks people in the registrant list (paged,
searchable, per event and per session of a «десант»); participants check in with the code shown
at the venue (/checkin), only within the event's window, with code guessing rate-limited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram.methods import AnswerCallbackQuery
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import AttendanceCb, EventCb
from bot.services import event_attendance
from storage.models import (
    AttendanceMethod,
    CheckinAttempt,
    Event,
    EventAttendance,
    EventScope,
    RegistrationStatus,
    Role,
)
from tests import event_world as ev
from tests import seed
from tests.event_world import person_of
from tests.harness import Harness

COORDINATOR = 8301
FOREIGN_COORDINATOR = 8302
TEACHERS = list(range(8400, 8413))  # 13 people: two pages of ten
WALK_IN = 8450
FOREIGN_TEACHER = 8499
CODE = "482915"


def tapped(harness: Harness) -> list[str]:
    return [r.text or "" for r in harness.requests if isinstance(r, AnswerCallbackQuery)]


async def arrange(db: AsyncSession) -> dict[str, int]:
    mun, low, leader = await seed.place(db)
    coordinator = await seed.person(
        db, name="Координатор Елена", roles=[Role.COORDINATOR], municipality=mun,
        telegram_id=COORDINATOR,
    )  # fmt: skip
    for n, telegram_id in enumerate(TEACHERS):
        await seed.person(
            db, name=f"Учитель {chr(ord('А') + n)}{n:02d}", roles=[Role.TEACHER], municipality=mun,
            school=low if n % 2 else leader, telegram_id=telegram_id,
        )  # fmt: skip
    await seed.person(
        db, name="Зашедшая Без Записи", roles=[Role.TEACHER], municipality=mun, school=low,
        telegram_id=WALK_IN,
    )  # fmt: skip
    other, other_school, _ = await seed.place(db, municipality="Кировский городской округ")
    await seed.person(
        db, name="Чужой Координатор", roles=[Role.COORDINATOR], municipality=other,
        telegram_id=FOREIGN_COORDINATOR,
    )  # fmt: skip
    await seed.person(
        db, name="Чужой Учитель", roles=[Role.TEACHER], municipality=other, school=other_school,
        telegram_id=FOREIGN_TEACHER,
    )  # fmt: skip
    await db.commit()
    return {"mun": mun.id, "coordinator": coordinator.id, "school": low.id}


async def running_event(
    db: AsyncSession, ids: dict[str, int], *, code: str | None = CODE, **changes: object
) -> Event:
    """An event under way (began an hour ago, ends in three), with every teacher registered
    but the walk-in (the last one offered a seat from the waiting list)."""
    values: dict[str, object] = {
        "municipality_id": ids["mun"],
        "author_id": ids["coordinator"],
        "starts_at": datetime.now(UTC) - timedelta(hours=1),
        "code": code,
    }
    event = await ev.event(db, **(values | changes))  # type: ignore[arg-type]
    for n, telegram_id in enumerate(TEACHERS):
        status = (
            RegistrationStatus.OFFERED if n == len(TEACHERS) - 1 else RegistrationStatus.REGISTERED
        )
        await ev.register(db, event, await person_of(db, telegram_id), status)
    await db.commit()
    await db.refresh(event)
    return event


async def attendance(
    db: AsyncSession, event_id: int, session_id: int | None = None
) -> list[EventAttendance]:
    query = (
        select(EventAttendance)
        .where(EventAttendance.event_id == event_id)
        .execution_options(populate_existing=True)
    )
    query = query.where(
        EventAttendance.session_id.is_(None)
        if session_id is None
        else EventAttendance.session_id == session_id
    )
    return list((await db.scalars(query)).all())


# --- the organiser marks ----------------------------------------------------------------------


async def test_the_organiser_marks_with_paging_and_search(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    event = await running_event(db, ids)

    await harness.callback(COORDINATOR, AttendanceCb(action="list", event_id=event.id).pack())
    first = harness.last_text(COORDINATOR)
    assert "Кто пришёл" in first and "Отмечено пришедших: 0" in first
    assert "Страница 1 из 2" in first
    names = [b for b in harness.buttons(COORDINATOR) if "Учитель" in b]
    assert len(names) == 10 and all(b.startswith("▫️") for b in names)

    await harness.press(COORDINATOR, "Учитель А00")
    assert "✅ Учитель А00" in harness.buttons(COORDINATOR)
    assert "Отмечено пришедших: 1" in harness.last_text(COORDINATOR)
    rows = await attendance(db, event.id)
    teacher = await person_of(db, TEACHERS[0])
    assert [(r.person_id, r.method, r.municipality_id, r.school_id) for r in rows] == [
        (teacher.id, AttendanceMethod.MARKED, teacher.municipality_id, teacher.school_id)
    ]
    assert rows[0].marked_by_id == ids["coordinator"]

    # The second page has the last three, the one offered a seat among them.
    await harness.press(COORDINATOR, "▶")
    assert "Страница 2 из 2" in harness.last_text(COORDINATOR)
    second = [b for b in harness.buttons(COORDINATOR) if "Учитель" in b]
    assert len(second) == 3 and any("Учитель М12" in b for b in second)

    # Search by a part of the name (any case); ticking keeps the search.
    await harness.press(COORDINATOR, "Найти")
    await harness.send(COORDINATOR, "учитель в")
    assert "Поиск «учитель в»: найдено 1" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Учитель В02")
    assert [b for b in harness.buttons(COORDINATOR) if "Учитель" in b] == ["✅ Учитель В02"]
    await harness.send(COORDINATOR, "нет такого")
    assert "Никого не нашлось" in harness.last_text(COORDINATOR)
    await harness.send(COORDINATOR, "я")  # too short
    assert "хотя бы 2 буквы" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Показать всех")
    assert "Страница 1 из 2" in harness.last_text(COORDINATOR)

    # A second tap takes the mark away.
    await harness.press(COORDINATOR, "✅ Учитель А00")
    assert [r.person_id for r in await attendance(db, event.id)] != [teacher.id]
    assert len(await attendance(db, event.id)) == 1  # В02 only


async def test_someone_not_on_the_list_cannot_be_ticked(harness: Harness, db: AsyncSession) -> None:
    ids = await arrange(db)
    event = await running_event(db, ids)
    walk_in = await person_of(db, WALK_IN)
    await harness.callback(
        COORDINATOR, AttendanceCb(action="toggle", event_id=event.id, person_id=walk_in.id).pack()
    )
    assert "нет в списке" in harness.last_text(COORDINATOR)
    assert await attendance(db, event.id) == []


async def test_a_foreign_coordinator_neither_sees_nor_marks(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    event = await running_event(db, ids)
    teacher = await person_of(db, TEACHERS[0])
    for action in ("list", "toggle", "code", "regen", "search"):
        harness.clear()
        await harness.callback(
            FOREIGN_COORDINATOR,
            AttendanceCb(action=action, event_id=event.id, person_id=teacher.id).pack(),
        )
        shown = " ".join(harness.texts_to(FOREIGN_COORDINATOR))
        assert "не найдено" in shown, action
        assert "Учитель" not in shown and CODE not in shown
    assert await attendance(db, event.id) == []
    fresh = await db.get(Event, event.id, populate_existing=True)
    assert fresh is not None and fresh.checkin_code == CODE
    # A teacher is not an organiser: the button does nothing for them.
    harness.clear()
    await harness.callback(TEACHERS[0], AttendanceCb(action="list", event_id=event.id).pack())
    assert "Учитель" not in " ".join(harness.texts_to(TEACHERS[0]))


async def test_the_code_is_shown_made_and_renewed(harness: Harness, db: AsyncSession) -> None:
    ids = await arrange(db)
    event = await running_event(db, ids, code=None)
    await harness.callback(COORDINATOR, AttendanceCb(action="code", event_id=event.id).pack())
    made = (await db.get(Event, event.id, populate_existing=True)).checkin_code  # type: ignore[union-attr]
    assert made is not None and len(made) == 6 and made.isdigit()
    assert made in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Новый код")
    renewed = (await db.get(Event, event.id, populate_existing=True)).checkin_code  # type: ignore[union-attr]
    assert renewed is not None and renewed != made and renewed in harness.last_text(COORDINATOR)
    assert "больше не действует" in harness.last_text(COORDINATOR)
    # The old code no longer checks anyone in; the new one does.
    await harness.send(TEACHERS[0], "/checkin")
    await harness.send(TEACHERS[0], made)
    assert "Такого кода сейчас нет" in harness.last_text(TEACHERS[0])
    await harness.send(TEACHERS[0], renewed)
    assert "✅ Вы отмечены" in harness.last_text(TEACHERS[0])


# --- people check in --------------------------------------------------------------------------


async def test_check_in_with_the_right_code_within_the_window(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    event = await running_event(db, ids)
    await harness.send(TEACHERS[0], "/checkin")
    assert "шестизначный код" in harness.last_text(TEACHERS[0])
    await harness.send(TEACHERS[0], "48 29 15")
    assert "✅ Вы отмечены: Семинар по смысловому чтению" in harness.last_text(TEACHERS[0])
    rows = await attendance(db, event.id)
    teacher = await person_of(db, TEACHERS[0])
    assert [(r.person_id, r.method, r.municipality_id, r.school_id) for r in rows] == [
        (teacher.id, AttendanceMethod.CODE, teacher.municipality_id, teacher.school_id)
    ]
    # Once is enough: a second check-in says so and adds nothing.
    await harness.send(TEACHERS[0], "/checkin")
    await harness.send(TEACHERS[0], CODE)
    assert "Вы уже отмечены" in harness.last_text(TEACHERS[0])
    assert len(await attendance(db, event.id)) == 1


async def test_the_card_offers_i_am_here_only_while_the_code_is_accepted(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    event = await running_event(db, ids)
    await harness.callback(TEACHERS[0], EventCb(action="card", event_id=event.id).pack())
    assert "✅ Я на месте" in harness.buttons(TEACHERS[0])
    await harness.press(TEACHERS[0], "✅ Я на месте")
    assert "шестизначный код" in harness.last_text(TEACHERS[0])
    await harness.send(TEACHERS[0], CODE)
    assert "✅ Вы отмечены" in harness.last_text(TEACHERS[0])
    # A day before the start the card has no such button.
    await db.execute(
        update(Event)
        .where(Event.id == event.id)
        .values(
            starts_at=datetime.now(UTC) + timedelta(days=1),
            ends_at=datetime.now(UTC) + timedelta(days=1, hours=4),
        )
    )
    await db.commit()
    await harness.callback(TEACHERS[0], EventCb(action="card", event_id=event.id).pack())
    assert "✅ Я на месте" not in harness.buttons(TEACHERS[0])


async def test_a_walk_in_counts_as_attended(harness: Harness, db: AsyncSession) -> None:
    ids = await arrange(db)
    event = await running_event(db, ids)
    await harness.send(WALK_IN, "/checkin")
    await harness.send(WALK_IN, CODE)
    assert "не записывались заранее" in harness.last_text(WALK_IN)
    walk_in = await person_of(db, WALK_IN)
    assert [r.person_id for r in await attendance(db, event.id)] == [walk_in.id]
    # The organiser's list shows them, marked with an asterisk.
    await harness.callback(COORDINATOR, AttendanceCb(action="list", event_id=event.id).pack())
    assert "✅ Зашедшая Без Записи *" in harness.buttons(COORDINATOR)


async def test_the_code_is_refused_before_and_after_the_window(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    soon = datetime.now(UTC) + timedelta(hours=2)
    await running_event(db, ids, starts_at=soon)
    await harness.send(TEACHERS[0], "/checkin")
    await harness.send(TEACHERS[0], CODE)
    early = harness.last_text(TEACHERS[0])
    opens = (soon - timedelta(minutes=30)).astimezone(event_attendance.ZoneInfo("Europe/Moscow"))
    assert f"Отметиться можно будет с {opens:%d.%m %H:%M}" in early

    ended = datetime.now(UTC) - timedelta(hours=6)
    await running_event(db, ids, starts_at=ended, code="111222")
    await harness.send(TEACHERS[0], "111222")  # still in the code mode after a refusal
    assert "уже закончилось" in harness.last_text(TEACHERS[0])
    # Neither counts as a guess.
    assert await db.scalar(select(func.count()).select_from(CheckinAttempt)) == 0


async def test_a_malformed_code_is_explained_and_not_counted(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    await running_event(db, ids)
    await harness.send(TEACHERS[0], "/checkin")
    for typed in ("12ab56", "１２３４５６", "1234567"):
        await harness.send(TEACHERS[0], typed)
        assert "6 цифр подряд" in harness.last_text(TEACHERS[0])
    assert await db.scalar(select(func.count()).select_from(CheckinAttempt)) == 0


async def test_guessing_is_locked_after_n_failures_and_unlocked_after_the_window(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    event = await running_event(db, ids)
    settings = harness.dp["settings"]
    limit = settings.checkin_max_failures
    await harness.send(TEACHERS[1], "/checkin")
    for n in range(1, limit):
        await harness.send(TEACHERS[1], f"{100000 + n}")
        assert f"осталось попыток: {limit - n}" in harness.last_text(TEACHERS[1])
    await harness.send(TEACHERS[1], "999999")
    assert "Слишком много неверных кодов" in harness.last_text(TEACHERS[1])
    # Locked: even the right code waits.
    await harness.send(TEACHERS[1], CODE)
    assert "Попробуйте снова после" in harness.last_text(TEACHERS[1])
    assert await attendance(db, event.id) == []

    # The window passes (the clock driven: the wait began a window ago).
    teacher = await person_of(db, TEACHERS[1])
    past = datetime.now(UTC) - timedelta(minutes=settings.checkin_window_minutes, seconds=1)
    await db.execute(
        update(CheckinAttempt)
        .where(CheckinAttempt.person_id == teacher.id)
        .values(window_started_at=past)
    )
    await db.commit()
    await harness.send(TEACHERS[1], CODE)
    assert "✅ Вы отмечены" in harness.last_text(TEACHERS[1])
    # Another person's failures are their own.
    await harness.send(TEACHERS[2], "/checkin")
    await harness.send(TEACHERS[2], "000001")
    assert f"осталось попыток: {limit - 1}" in harness.last_text(TEACHERS[2])


async def test_only_the_audience_may_check_in(harness: Harness, db: AsyncSession) -> None:
    ids = await arrange(db)
    event = await running_event(db, ids, audience={"roles": ["tutor"]})
    await harness.send(TEACHERS[0], "/checkin")
    await harness.send(TEACHERS[0], CODE)
    assert "Такого кода сейчас нет" in harness.last_text(TEACHERS[0])
    await harness.send(FOREIGN_TEACHER, "/checkin")
    await harness.send(FOREIGN_TEACHER, CODE)
    assert "Такого кода сейчас нет" in harness.last_text(FOREIGN_TEACHER)
    assert await attendance(db, event.id) == []


async def test_two_events_with_one_code_at_once_ask_which(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    first = await running_event(db, ids, title="Вебинар первый")
    second = await ev.event(
        db, municipality_id=ids["mun"], title="Семинар второй", code=CODE,
        starts_at=datetime.now(UTC) - timedelta(minutes=10),
    )  # fmt: skip
    await db.commit()
    await db.refresh(second)
    await harness.send(TEACHERS[0], "/checkin")
    await harness.send(TEACHERS[0], CODE)
    assert "Где вы?" in harness.last_text(TEACHERS[0])
    await harness.press(TEACHERS[0], "Семинар второй")
    assert "✅ Вы отмечены: Семинар второй" in harness.last_text(TEACHERS[0])
    assert len(await attendance(db, second.id)) == 1
    assert await attendance(db, first.id) == []
    # The choice was used: the old buttons do nothing more.
    await harness.press(TEACHERS[0], "Вебинар первый")
    assert "кнопка устарела" in harness.last_text(TEACHERS[0])


async def test_the_code_mode_survives_a_look_up_and_ends_with_a_menu_command(
    harness: Harness, db: AsyncSession
) -> None:
    ids = await arrange(db)
    event = await running_event(db, ids)
    await harness.send(TEACHERS[0], "/checkin")
    await harness.send(TEACHERS[0], "/help")  # looks something up, keeps the mode
    await harness.send(TEACHERS[0], CODE)
    assert "✅ Вы отмечены" in harness.last_text(TEACHERS[0])
    await harness.send(TEACHERS[3], "/checkin")
    await harness.send(TEACHERS[3], "/menu")  # leaves it
    await harness.send(TEACHERS[3], CODE)
    assert "Вы отмечены" not in harness.last_text(TEACHERS[3])
    assert len(await attendance(db, event.id)) == 1


# --- a «десант»: per session ------------------------------------------------------------------


async def test_attendance_per_session_of_a_desant(harness: Harness, db: AsyncSession) -> None:
    ids = await arrange(db)
    start = datetime.now(UTC) - timedelta(hours=2)
    desant = await running_event(
        db, ids, code="700001", type_id="desant", title="Десант в Кугульту", starts_at=start,
        length=timedelta(hours=6), hours=6.0, scope=EventScope.MUNICIPAL,
    )  # fmt: skip
    morning = await ev.part(db, desant, title="Мастер-класс утром", starts_at=start, code="700002")
    now_on = await ev.part(
        db, desant, title="Открытый урок", starts_at=datetime.now(UTC) - timedelta(minutes=20),
        code="700003",
    )  # fmt: skip
    await db.commit()
    for row in (desant, morning, now_on):
        await db.refresh(row)

    # The morning session is over: its code is refused; the one under way is accepted.
    await harness.send(TEACHERS[0], "/checkin")
    await harness.send(TEACHERS[0], "700002")
    assert "уже закончилось" in harness.last_text(TEACHERS[0])
    await harness.send(TEACHERS[0], "700003")
    assert "✅ Вы отмечены: Десант в Кугульту · Открытый урок" in harness.last_text(TEACHERS[0])
    teacher = await person_of(db, TEACHERS[0])
    assert [r.person_id for r in await attendance(db, desant.id, now_on.id)] == [teacher.id]
    # Coming to a part is coming to the event.
    assert [r.person_id for r in await attendance(db, desant.id)] == [teacher.id]

    # The organiser marks the morning session from its own list.
    await harness.callback(COORDINATOR, AttendanceCb(action="list", event_id=desant.id).pack())
    await harness.press(COORDINATOR, "Мастер-класс утром")
    assert "Десант в Кугульту · Мастер-класс утром" in harness.last_text(COORDINATOR)
    await harness.press(COORDINATOR, "Учитель Б01")
    second = await person_of(db, TEACHERS[1])
    assert [r.person_id for r in await attendance(db, desant.id, morning.id)] == [second.id]
    assert {r.person_id for r in await attendance(db, desant.id)} == {teacher.id, second.id}
    # A session of another event is refused.
    other = await ev.event(db, municipality_id=ids["mun"], title="Другое")
    await db.commit()
    await db.refresh(other)
    await harness.callback(
        COORDINATOR, AttendanceCb(action="list", event_id=other.id, session_id=morning.id).pack()
    )
    assert "не найдено" in harness.last_text(COORDINATOR)
