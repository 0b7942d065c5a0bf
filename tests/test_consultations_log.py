"""The tutor's consultation log: the dialog, its refusals, changing and deleting entries, and
turning a question thread into a consultation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import create_dispatcher
from bot.callbacks import ConsultationCb
from bot.services.consultations import parse_duration, program_year
from config.settings import Settings
from storage.models import (
    CompetenceBlock,
    Consultation,
    ConsultationFormat,
    ConsultationTeacher,
    Role,
    Thread,
    ThreadStatus,
    TutorAssignment,
)
from tests import seed
from tests.harness import Harness

TUTOR_ID = 3001
OTHER_TUTOR_ID = 3002
TEACHER_ID = 1001


@dataclass(frozen=True)
class World:
    """Ids only: arranged rows expire on commit and may not be read outside a query."""

    mun: int
    school: int
    leader: int
    tutor: int
    other_tutor: int
    teacher: int
    colleague: int
    stranger: int


def moscow_today() -> date:
    return datetime.now(ZoneInfo("Europe/Moscow")).date()


async def arrange(db: AsyncSession) -> World:
    """A tutor of the leader school assigned to two teachers of the low-results school; a
    third teacher there is not theirs; another tutor exists too."""
    mun, school, leader = await seed.place(db)
    tutor = await seed.person(
        db,
        name="Смирнова Ольга Петровна",
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=TUTOR_ID,
    )
    other_tutor = await seed.person(
        db,
        name="Кузнецов Игорь Львович",
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=OTHER_TUTOR_ID,
    )
    teacher = await seed.person(
        db,
        name="Петрова Анна Ивановна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=TEACHER_ID,
    )
    colleague = await seed.person(
        db, name="Иванов Пётр Сергеевич", roles=[Role.TEACHER], municipality=mun, school=school
    )
    stranger = await seed.person(
        db, name="Чужова Мария Олеговна", roles=[Role.TEACHER], municipality=mun, school=school
    )
    await seed.assign_tutor(db, tutor, teacher)
    await seed.assign_tutor(db, tutor, colleague)
    await seed.assign_tutor(db, other_tutor, stranger)
    world = World(
        mun.id,
        school.id,
        leader.id,
        tutor.id,
        other_tutor.id,
        teacher.id,
        colleague.id,
        stranger.id,
    )
    await db.commit()
    return world


async def add_consultation(
    db: AsyncSession,
    world: World,
    *,
    tutor: int,
    teachers: list[int],
    held_on: date,
    school: int | None = None,
    topic: str = "Формирующее оценивание",
    whole_school: bool = False,
    created_at: datetime | None = None,
    duration: int = 45,
    outcome: str = "Договорились о взаимопосещении",
) -> int:
    consultation = Consultation(
        tutor_id=tutor,
        school_id=school or world.school,
        municipality_id=world.mun,
        held_on=held_on,
        format=ConsultationFormat.IN_PERSON,
        block=CompetenceBlock.METHODICAL,
        topic=topic,
        duration_minutes=duration,
        outcome=outcome,
        whole_school=whole_school,
        created_at=created_at or datetime.now(UTC),
    )
    db.add(consultation)
    await db.flush()
    consultation_id = consultation.id
    db.add_all(ConsultationTeacher(consultation_id=consultation_id, teacher_id=t) for t in teachers)
    await db.commit()
    return consultation_id


async def consultations_of(db: AsyncSession, tutor: int) -> list[Consultation]:
    db.expire_all()
    return list(
        (await db.scalars(select(Consultation).where(Consultation.tutor_id == tutor))).all()
    )


async def to_date_step(harness: Harness) -> None:
    await harness.send(TUTOR_ID, "📝 Консультации")
    await harness.press(TUTOR_ID, "Записать консультацию")
    await harness.press(TUTOR_ID, "СОШ № 2")
    await harness.press(TUTOR_ID, "Петрова")
    await harness.press(TUTOR_ID, "Дальше")


async def to_duration_step(harness: Harness) -> None:
    await to_date_step(harness)
    await harness.press(TUTOR_ID, "Сегодня")
    await harness.press(TUTOR_ID, "Очно")
    await harness.press(TUTOR_ID, "Предметные")
    await harness.send(TUTOR_ID, "Подготовка к ВПР по математике")


# --- the dialog ----------------------------------------------------------------------------


async def test_whole_dialog_saves_the_consultation(harness: Harness, db: AsyncSession) -> None:
    world = await arrange(db)

    await harness.send(TUTOR_ID, "📝 Консультации")
    await harness.press(TUTOR_ID, "Записать консультацию")
    assert harness.buttons(TUTOR_ID)[:1] == ["СОШ № 2"]
    await harness.press(TUTOR_ID, "СОШ № 2")
    teacher_buttons = harness.buttons(TUTOR_ID)
    assert any("Петрова" in b for b in teacher_buttons)
    assert any("Иванов" in b for b in teacher_buttons)
    assert not any("Чужова" in b for b in teacher_buttons), "not this tutor's teacher"
    await harness.press(TUTOR_ID, "Петрова")
    await harness.press(TUTOR_ID, "Иванов")
    assert "✅ Петрова Анна Ивановна" in harness.buttons(TUTOR_ID)
    await harness.press(TUTOR_ID, "Дальше")
    await harness.press(TUTOR_ID, "Вчера")
    await harness.send(TUTOR_ID, "очно, наверное")  # a typed answer where a button is expected
    assert "кнопкой" in harness.last_text(TUTOR_ID)
    await harness.press(TUTOR_ID, "Видеосвязь")
    await harness.press(TUTOR_ID, "Методические")
    await harness.send(TUTOR_ID, "Формирующее <b>оценивание</b> на уроках")
    await harness.send(TUTOR_ID, "1,5 ч")
    await harness.send(TUTOR_ID, "Договорились о пробном уроке")
    summary = harness.last_text(TUTOR_ID)
    assert "Петрова Анна Ивановна, Иванов Пётр Сергеевич" in summary
    assert "&lt;b&gt;оценивание" in summary  # the tutor's text is shown, never interpreted
    assert "90 мин" in summary
    await harness.press(TUTOR_ID, "Сохранить")

    assert "Консультация записана" in harness.texts_to(TUTOR_ID)[-1]
    (saved,) = await consultations_of(db, world.tutor)
    assert saved.school_id == world.school
    assert saved.municipality_id == world.mun
    assert saved.held_on == moscow_today() - timedelta(days=1)
    assert saved.format == ConsultationFormat.VIDEO
    assert saved.block == CompetenceBlock.METHODICAL
    assert saved.topic == "Формирующее <b>оценивание</b> на уроках"
    assert saved.duration_minutes == 90
    assert saved.outcome == "Договорились о пробном уроке"
    assert saved.whole_school is False
    teachers = set(
        await db.scalars(
            select(ConsultationTeacher.teacher_id).where(
                ConsultationTeacher.consultation_id == saved.id
            )
        )
    )
    assert teachers == {world.teacher, world.colleague}


async def test_whole_school_team_and_skipped_outcome(harness: Harness, db: AsyncSession) -> None:
    world = await arrange(db)
    db.add(
        TutorAssignment(tutor_id=world.tutor, school_id=world.school, starts_on=date(2026, 9, 1))
    )
    await db.commit()

    await harness.send(TUTOR_ID, "/consult")
    await harness.press(TUTOR_ID, "Записать консультацию")
    await harness.press(TUTOR_ID, "СОШ № 2")
    await harness.press(TUTOR_ID, "Дальше")
    assert "хотя бы одного педагога" in harness.last_text(TUTOR_ID)
    await harness.press(TUTOR_ID, "Вся команда школы")
    await harness.press(TUTOR_ID, "Дальше")
    await harness.press(TUTOR_ID, "Сегодня")
    await harness.press(TUTOR_ID, "Очно")
    await harness.press(TUTOR_ID, "Коммуникативные")
    await harness.send(TUTOR_ID, "Педсовет: работа с родителями")
    await harness.press(TUTOR_ID, "60 мин")
    await harness.press(TUTOR_ID, "Пропустить")
    assert "вся команда школы" in harness.last_text(TUTOR_ID)
    await harness.press(TUTOR_ID, "Сохранить")

    (saved,) = await consultations_of(db, world.tutor)
    assert saved.whole_school is True
    assert saved.outcome is None
    assert saved.duration_minutes == 60
    assert saved.held_on == moscow_today()
    assert list(await db.scalars(select(ConsultationTeacher))) == []


async def test_dates_in_the_future_and_two_years_ago_are_refused(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    await to_date_step(harness)
    await harness.press(TUTOR_ID, "Другая дата")
    today = moscow_today()

    await harness.send(TUTOR_ID, (today + timedelta(days=1)).strftime("%d.%m.%Y"))
    assert "ещё не наступила" in harness.last_text(TUTOR_ID)
    await harness.send(TUTOR_ID, (today - timedelta(days=730)).strftime("%d.%m.%Y"))
    assert "не позднее чем через год" in harness.last_text(TUTOR_ID)
    await harness.send(TUTOR_ID, "31.02")
    assert "Не получилось прочитать дату" in harness.last_text(TUTOR_ID)

    earlier = today - timedelta(days=20)
    await harness.send(TUTOR_ID, earlier.strftime("%d.%m.%Y"))
    assert "В каком формате" in harness.last_text(TUTOR_ID)
    await harness.press(TUTOR_ID, "Телефон")
    await harness.press(TUTOR_ID, "Предметные")
    await harness.send(TUTOR_ID, "Разбор контрольной работы")
    await harness.press(TUTOR_ID, "30 мин")
    await harness.press(TUTOR_ID, "Пропустить")
    await harness.press(TUTOR_ID, "Сохранить")
    (saved,) = await consultations_of(db, world.tutor)
    assert saved.held_on == earlier


async def test_duration_zero_and_a_thousand_hours_are_refused(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    await to_duration_step(harness)

    await harness.send(TUTOR_ID, "0")
    assert "больше нуля" in harness.last_text(TUTOR_ID)
    await harness.send(TUTOR_ID, "1 000 часов")
    assert "не больше 8 ч" in harness.last_text(TUTOR_ID)
    await harness.send(TUTOR_ID, "долго")
    assert "Не получилось прочитать длительность" in harness.last_text(TUTOR_ID)
    assert await consultations_of(db, world.tutor) == []

    await harness.send(TUTOR_ID, "40 мин")
    assert "результат" in harness.last_text(TUTOR_ID)


async def test_short_topic_and_photo_get_a_clear_answer(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await to_date_step(harness)
    await harness.press(TUTOR_ID, "Сегодня")
    await harness.press(TUTOR_ID, "Онлайн")
    await harness.press(TUTOR_ID, "Предметные")

    await harness.send(TUTOR_ID, "ок")
    assert "от 3 до 300 символов" in harness.last_text(TUTOR_ID)
    await harness.send(TUTOR_ID, "х" * 301)
    assert "от 3 до 300 символов" in harness.last_text(TUTOR_ID)


def test_duration_parsing_and_program_year() -> None:
    assert parse_duration("45") == 45
    assert parse_duration("1,5 ч") == 90
    assert parse_duration("2 часа") == 120
    assert parse_duration("8 ч") == 480
    assert program_year(date(2026, 8, 31)) == (date(2025, 9, 1), date(2026, 8, 31))
    assert program_year(date(2026, 9, 1)) == (date(2026, 9, 1), date(2027, 8, 31))


async def test_foreign_school_by_crafted_button_is_refused(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    await harness.send(TUTOR_ID, "📝 Консультации")
    await harness.press(TUTOR_ID, "Записать консультацию")

    # The form's own buttons, with another school's and another tutor's teacher's id in them.
    school_button = harness.button_data(TUTOR_ID, "СОШ № 2")
    await harness.callback(TUTOR_ID, crafted(school_button, world.leader))
    assert "не закреплена за вами" in harness.last_text(TUTOR_ID)
    await harness.press(TUTOR_ID, "СОШ № 2")
    teacher_button = harness.button_data(TUTOR_ID, "Петрова")
    await harness.callback(TUTOR_ID, crafted(teacher_button, world.stranger))
    assert "не закреплён за вами" in harness.last_text(TUTOR_ID)


def crafted(button_data: str, other_id: int) -> str:
    """A form button's data with the item id replaced."""
    return button_data.rsplit(":", 1)[0] + f":{other_id}"


async def test_dialog_resumes_after_a_restart(
    harness: Harness, db: AsyncSession, settings: Settings
) -> None:
    world = await arrange(db)
    await to_duration_step(harness)

    # A new dispatcher on the same database: the answers so far were kept in the FSM data.
    restarted = Harness(
        dp=create_dispatcher(settings, harness.session_pool, redis=harness.dp["redis"]),
        bot=harness.bot,
        api=harness.api,
        session_pool=harness.session_pool,
    )
    await restarted.send(TUTOR_ID, "45")
    await restarted.press(TUTOR_ID, "Пропустить")
    await restarted.press(TUTOR_ID, "Сохранить")
    await restarted.dp.storage.close()

    (saved,) = await consultations_of(db, world.tutor)
    assert (saved.topic, saved.duration_minutes) == ("Подготовка к ВПР по математике", 45)


async def test_menu_button_leaves_the_dialog_step(harness: Harness, db: AsyncSession) -> None:
    await arrange(db)
    await to_date_step(harness)
    await harness.press(TUTOR_ID, "Сегодня")
    await harness.press(TUTOR_ID, "Онлайн")
    await harness.press(TUTOR_ID, "Предметные")

    await harness.send(TUTOR_ID, "📝 Консультации")
    assert "Запишите проведённую консультацию" in harness.last_text(TUTOR_ID)


# --- own entries: change and delete -------------------------------------------------------


async def test_change_within_seven_days_and_refusal_after(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    entry = await add_consultation(
        db, world, tutor=world.tutor, teachers=[world.teacher], held_on=moscow_today()
    )

    await harness.send(TUTOR_ID, "📝 Консультации")
    await harness.press(TUTOR_ID, "Мои консультации за месяц")
    assert "Формирующее оценивание" in harness.last_text(TUTOR_ID)
    await harness.press(TUTOR_ID, "Изменить №1")
    await harness.press(TUTOR_ID, "Длительность")
    await harness.send(TUTOR_ID, "0")
    assert "больше нуля" in harness.last_text(TUTOR_ID)
    await harness.send(TUTOR_ID, "60")
    assert "Запись изменена" in harness.last_text(TUTOR_ID)
    await harness.press(TUTOR_ID, "Изменить №1")
    await harness.press(TUTOR_ID, "Тема")
    await harness.send(TUTOR_ID, "Смысловое чтение")
    db.expire_all()
    changed = await db.get(Consultation, entry)
    assert changed is not None
    assert (changed.duration_minutes, changed.topic) == (60, "Смысловое чтение")

    await db.execute(
        update(Consultation)
        .where(Consultation.id == entry)
        .values(created_at=datetime.now(UTC) - timedelta(days=8))
    )
    await db.commit()
    await harness.press(TUTOR_ID, "Изменить №1")
    assert "больше 7 дней назад" in harness.last_text(TUTOR_ID)
    await harness.callback(
        TUTOR_ID, ConsultationCb(action="edit_field", value=entry, extra="topic").pack()
    )
    assert "больше 7 дней назад" in harness.last_text(TUTOR_ID)
    await harness.callback(TUTOR_ID, ConsultationCb(action="delete_yes", value=entry).pack())
    assert "больше 7 дней назад" in harness.last_text(TUTOR_ID)
    db.expire_all()
    kept = await db.get(Consultation, entry)
    assert kept is not None and kept.topic == "Смысловое чтение"


async def test_delete_asks_for_confirmation(harness: Harness, db: AsyncSession) -> None:
    world = await arrange(db)
    entry = await add_consultation(
        db, world, tutor=world.tutor, teachers=[world.teacher], held_on=moscow_today()
    )
    await harness.send(TUTOR_ID, "/consult")
    await harness.press(TUTOR_ID, "Мои консультации за месяц")

    await harness.press(TUTOR_ID, "Удалить №1")
    assert "Удалить эту запись" in harness.last_text(TUTOR_ID)
    await harness.press(TUTOR_ID, "Нет, оставить")
    assert len(await consultations_of(db, world.tutor)) == 1

    await harness.press(TUTOR_ID, "Удалить №1")
    await harness.press(TUTOR_ID, "Да, удалить")
    assert "удалена" in harness.last_text(TUTOR_ID)
    assert await consultations_of(db, world.tutor) == []
    links = list(
        await db.scalars(
            select(ConsultationTeacher).where(ConsultationTeacher.consultation_id == entry)
        )
    )
    assert links == []


async def test_another_tutors_entry_cannot_be_changed_or_deleted(
    harness: Harness, db: AsyncSession
) -> None:
    world = await arrange(db)
    foreign = await add_consultation(
        db,
        world,
        tutor=world.other_tutor,
        teachers=[world.stranger],
        held_on=moscow_today(),
        topic="Чужая консультация",
    )
    await harness.send(TUTOR_ID, "/consult")
    await harness.press(TUTOR_ID, "Мои консультации за месяц")
    assert "Чужая консультация" not in harness.last_text(TUTOR_ID)

    for action in ("edit", "delete", "delete_yes"):
        await harness.callback(TUTOR_ID, ConsultationCb(action=action, value=foreign).pack())
        assert "нет среди ваших консультаций" in harness.last_text(TUTOR_ID)
    db.expire_all()
    assert await db.get(Consultation, foreign) is not None


# --- from a question thread ----------------------------------------------------------------


async def test_thread_becomes_a_consultation_prefilled(harness: Harness, db: AsyncSession) -> None:
    world = await arrange(db)
    now = datetime.now(UTC)
    thread = Thread(
        teacher_id=world.teacher,
        tutor_id=world.tutor,
        municipality_id=world.mun,
        school_id=world.school,
        status=ThreadStatus.ANSWERED,
        last_activity_at=now,
    )
    db.add(thread)
    await db.flush()
    thread_id = thread.id
    await db.commit()
    button = ConsultationCb(action="from_thread", value=thread_id).pack()

    await harness.callback(OTHER_TUTOR_ID, button)
    assert "обращение не у вас" in harness.last_text(OTHER_TUTOR_ID)

    await harness.callback(TUTOR_ID, button)
    texts = harness.texts_to(TUTOR_ID)
    assert "МКОУ СОШ № 2 с. Кугульта" in texts[-2]
    assert "Петрова Анна Ивановна" in texts[-2]
    assert "блоку компетенций" in texts[-1]
    await harness.press(TUTOR_ID, "Психолого-педагогические")
    await harness.send(TUTOR_ID, "Адаптация пятиклассников")
    await harness.press(TUTOR_ID, "45 мин")
    await harness.press(TUTOR_ID, "Пропустить")
    await harness.press(TUTOR_ID, "Сохранить")

    (saved,) = await consultations_of(db, world.tutor)
    assert saved.thread_id == thread_id
    assert saved.school_id == world.school
    assert saved.held_on == moscow_today()
    assert saved.format == ConsultationFormat.ONLINE
    assert saved.block == CompetenceBlock.PSYCHOLOGICAL
    assert list(await db.scalars(select(ConsultationTeacher.teacher_id))) == [world.teacher]
