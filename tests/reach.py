"""Bring a person into each dialog state by the presses and messages they would make.

`all_states()` lists every state the bot has, read from the code: the StatesGroups of
`bot/states.py` and the state groups of the aiogram-dialog forms of `bot/dialogs/`. `REACH`
says, for each state, who gets there and how; `missing_ways()` names the states it does not
cover, so a new state without a way in fails the tests that use this table (tests/test_fuzz.py).

`arrange_world` seeds one municipality with a person of each role (and a second, foreign one);
every way in starts from that world and uses only the harness, as the person would.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from aiogram_dialog import Dialog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import bot.states
from bot.callbacks import AttendanceCb, ConsultationCb, QuestionCb, TaskCb
from bot.dialogs import build_router as build_forms_router
from bot.services import survey_runner, surveys
from bot.texts import t
from storage.models import (
    CompetenceBlock,
    Consultation,
    ConsultationFormat,
    ConsultationTeacher,
    Deadline,
    DeadlineTask,
    DoneBy,
    Event,
    EventForm,
    EventScope,
    EventStatus,
    Person,
    Responsible,
    Role,
    Thread,
)
from tests import seed
from tests.harness import Harness

NEWCOMER = 5001  # consented, not on any roster: asks to join
NAMELESS = 5002  # on the roster by phone only: gives their name after sharing their contact
NAMELESS_PHONE = "+79180000002"
TEACHER = 5101
COLLEAGUE = 5102
TUTOR = 5201
SUBSTITUTE = 5202
COORDINATOR = 5301
ADMIN = 5401
FOREIGN_COORDINATOR = 5901
FOREIGN_TEACHER = 5902

# Everyone the fuzz test may write as; the foreign ones are other people's ids to mangle in.
PEOPLE = (NEWCOMER, NAMELESS, TEACHER, COLLEAGUE, TUTOR, SUBSTITUTE, COORDINATOR, ADMIN)


@dataclass(frozen=True)
class World:
    """Ids of what was arranged (rows expire on commit and are read by query only)."""

    municipality: int
    school: int
    leader: int
    foreign_municipality: int
    foreign_school: int
    consultation: int
    person_ids: dict[int, int]  # telegram id → people.id


async def arrange_world(db: AsyncSession) -> World:
    mun, low, leader = await seed.place(db)
    teacher = await seed.person(
        db,
        name="Орлова Вера Павловна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=low,
        telegram_id=TEACHER,
        phone="+79180000101",
        subjects=["Химия"],
    )
    colleague = await seed.person(
        db,
        name="Петрова Анна Ивановна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=low,
        telegram_id=COLLEAGUE,
    )
    tutor = await seed.person(
        db,
        name="Смирнова Ольга Петровна",
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=TUTOR,
    )
    await seed.person(
        db,
        name="Кузнецов Игорь Львович",
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=SUBSTITUTE,
    )
    await seed.person(
        db,
        name="Координатор Елена Викторовна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR,
    )
    await seed.person(
        db, name="Админ Региона Петрович", roles=[Role.ADMIN], municipality=mun, telegram_id=ADMIN
    )
    # On the roster but not in the bot: found by the invite search.
    await seed.person(
        db, name="Иванов Иван Иванович", roles=[Role.TEACHER], municipality=mun, school=low
    )
    # On the roster by phone, without a name: asked for it after sharing the contact.
    nameless = Person(
        phone=NAMELESS_PHONE, municipality_id=mun.id, school_id=low.id, full_name=None
    )
    db.add(nameless)
    await seed.assign_tutor(db, tutor, teacher)
    await seed.assign_tutor(db, tutor, colleague)
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()
    consultation = Consultation(
        tutor_id=tutor.id,
        school_id=low.id,
        municipality_id=mun.id,
        held_on=today,
        format=ConsultationFormat.ONLINE,
        block=CompetenceBlock.SUBJECT,
        topic="Подготовка к ВПР по химии",
        duration_minutes=45,
    )
    db.add(consultation)
    await db.flush()
    db.add(ConsultationTeacher(consultation_id=consultation.id, teacher_id=teacher.id))

    foreign, foreign_school, _ = await seed.place(db, municipality="Ипатовский городской округ")
    await seed.person(
        db,
        name="Чужой Координатор Ипатово",
        roles=[Role.COORDINATOR],
        municipality=foreign,
        telegram_id=FOREIGN_COORDINATOR,
    )
    await seed.person(
        db,
        name="Чужой Учитель Ипатово",
        roles=[Role.TEACHER],
        municipality=foreign,
        school=foreign_school,
        telegram_id=FOREIGN_TEACHER,
    )
    await db.commit()
    people = {
        p.telegram_id: p.id
        for p in await db.scalars(select(Person).where(Person.telegram_id.is_not(None)))
        if p.telegram_id is not None
    }
    return World(
        municipality=mun.id,
        school=low.id,
        leader=leader.id,
        foreign_municipality=foreign.id,
        foreign_school=foreign_school.id,
        consultation=consultation.id,
        person_ids=people,
    )


# --- every state, from the code ---------------------------------------------------------------


def _state_groups_of_forms() -> list[type[StatesGroup]]:
    groups: list[type[StatesGroup]] = []

    def visit(router: Router) -> None:
        if isinstance(router, Dialog):
            groups.append(router.states_group())
        for child in router.sub_routers:
            visit(child)

    visit(build_forms_router())
    return groups


def all_states() -> list[str]:
    """Every state of `bot/states.py` and of the forms, each once, in a stable order."""
    groups = [
        group
        for _, group in inspect.getmembers(bot.states, inspect.isclass)
        if issubclass(group, StatesGroup) and group is not StatesGroup
    ]
    states: list[str] = []
    for group in [*groups, *_state_groups_of_forms()]:
        for state in group.__all_states__:
            assert isinstance(state, State) and state.state is not None
            if state.state not in states:
                states.append(state.state)
    return states


# --- the ways in ------------------------------------------------------------------------------

Way = Callable[[Harness, World], Awaitable[None]]


@dataclass(frozen=True)
class Reach:
    """Who gets to a state, and the steps that take them there."""

    actor: int
    way: Way


def label(harness: Harness, key: str, **params: object) -> str:
    with harness.dp["texts"].context():
        return t(key, locale="ru", **params)


async def press_key(harness: Harness, user_id: int, key: str, **params: object) -> None:
    await harness.press(user_id, label(harness, key, **params))


async def send_key(harness: Harness, user_id: int, key: str) -> None:
    await harness.send(user_id, label(harness, key))


def steps(*ways: Way) -> Way:
    async def way(harness: Harness, world: World) -> None:
        for one in ways:
            await one(harness, world)

    return way


def send(user_id: int, text: str) -> Way:
    async def way(harness: Harness, world: World) -> None:
        await harness.send(user_id, text)

    return way


def press(user_id: int, text: str) -> Way:
    async def way(harness: Harness, world: World) -> None:
        await harness.press(user_id, text)

    return way


def press_k(user_id: int, key: str) -> Way:
    async def way(harness: Harness, world: World) -> None:
        await press_key(harness, user_id, key)

    return way


def menu(user_id: int, key: str) -> Way:
    async def way(harness: Harness, world: World) -> None:
        await send_key(harness, user_id, key)

    return way


# Joining
_consented = steps(send(NEWCOMER, "/start"), press(NEWCOMER, "Согласен"))
_to_municipality = steps(_consented, menu(NEWCOMER, "join.request_button"))
_to_school = steps(_to_municipality, press(NEWCOMER, "Грачёвский"))
_to_subject = steps(_to_school, press(NEWCOMER, "СОШ № 2"))
_to_request_name = steps(_to_subject, press(NEWCOMER, "Пропустить"))


async def _share_roster_phone(harness: Harness, world: World) -> None:
    await harness.send(NAMELESS, "/start")
    await harness.press(NAMELESS, "Согласен")
    await harness.share_contact(NAMELESS, NAMELESS_PHONE)


# Questions
async def _teachers_question(harness: Harness, world: World) -> None:
    await send_key(harness, TEACHER, "menu.ask_tutor")
    await harness.send(TEACHER, "Как готовить к ВПР по химии?")
    await send_key(harness, TEACHER, "menu.help")  # leaves the asking mode


async def _thread_id(harness: Harness) -> int:
    async with harness.session_pool() as session:
        thread_id = await session.scalar(select(Thread.id).order_by(Thread.id.desc()).limit(1))
    assert thread_id is not None, "the teacher's question made no thread"
    return thread_id


async def _tutor_answers(harness: Harness, world: World) -> None:
    await _teachers_question(harness, world)
    await harness.press(TUTOR, label(harness, "questions.button_answer"))


async def _teacher_rates(harness: Harness, world: World) -> None:
    await _teachers_question(harness, world)
    thread_id = await _thread_id(harness)
    await harness.callback(TEACHER, QuestionCb(action="close", thread_id=thread_id).pack())
    await harness.press(TEACHER, "⭐⭐⭐⭐⭐")


async def _tutor_goes_away(harness: Harness, world: World) -> None:
    await harness.callback(TUTOR, QuestionCb(action="away").pack())
    await harness.press(TUTOR, "Кузнецов")


# Consultations
async def _edit_topic(harness: Harness, world: World) -> None:
    await menu(TUTOR, "menu.tutor_consultations")(harness, world)
    await press_key(harness, TUTOR, "consultations.button_mine")
    await harness.callback(
        TUTOR,
        ConsultationCb(action="edit_field", value=world.consultation, extra="topic").pack(),
    )


_open_log = steps(
    menu(TUTOR, "menu.tutor_consultations"), press_k(TUTOR, "consultations.button_new")
)
_log_teachers = steps(_open_log, press(TUTOR, "СОШ № 2"))
_log_held_on = steps(_log_teachers, press(TUTOR, "Петрова"), press(TUTOR, "Дальше"))
_log_format = steps(_log_held_on, press(TUTOR, "Сегодня"))
_log_block = steps(_log_format, press(TUTOR, "Очно"))
_log_topic = steps(_log_block, press(TUTOR, "Предметные"))
_log_duration = steps(_log_topic, send(TUTOR, "Подготовка к ВПР"))
_log_outcome = steps(_log_duration, press(TUTOR, "45 мин"))
_log_confirm = steps(_log_outcome, press(TUTOR, "Пропустить"))


# Surveys: the launch form, with the first of the shipped scenarios it offers
async def _first_scenario(harness: Harness, world: World) -> None:
    await harness.press(COORDINATOR, surveys.launchable("ru")[0].title)


_launch = steps(menu(COORDINATOR, "menu.surveys"), press(COORDINATOR, "Новый опрос"))
_launch_audience = steps(_launch, _first_scenario)
_launch_choices = steps(_launch_audience, press(COORDINATOR, "Школы"))
_launch_deadline = steps(_launch_audience, press(COORDINATOR, "Далее: срок ответа"))
_launch_confirm = steps(_launch_deadline, press(COORDINATOR, "+7"))

# Broadcasts
_compose = steps(menu(COORDINATOR, "menu.broadcasts"), press(COORDINATOR, "Новая рассылка"))
_audience = steps(_compose, send(COORDINATOR, "Семинар в пятницу"))
_choices = steps(_audience, press(COORDINATOR, "Школы"))
_preview = steps(
    _choices,
    press(COORDINATOR, "СОШ № 2"),
    press(COORDINATOR, "Назад"),
    press(COORDINATOR, "Предпросмотр"),
)
_schedule = steps(_preview, press(COORDINATOR, "Запланировать"))


# Events: the organiser's form, a «десант» with its program
async def _event_day(harness: Harness, world: World) -> None:
    day = datetime.now(ZoneInfo("Europe/Moscow")).date() + timedelta(days=14)
    await harness.send(COORDINATOR, f"{day:%d.%m.%Y} 09:00")


_event = steps(menu(COORDINATOR, "menu.events_admin"), press(COORDINATOR, "Новое мероприятие"))
_event_title = steps(_event, press(COORDINATOR, "Педагогический десант"))
_event_start = steps(_event_title, send(COORDINATOR, "Десант в СОШ № 2"))
_event_confirm = steps(_event_start, _event_day)
_event_end = steps(_event_confirm, press(COORDINATOR, "Верно"))
_event_hours = steps(_event_end, send(COORDINATOR, "15:00"), press(COORDINATOR, "Верно"))
_event_form = steps(_event_hours, press(COORDINATOR, "6 ч"))
_event_scope = steps(_event_form, press(COORDINATOR, "очно"))
_event_place = steps(_event_scope, press(COORDINATOR, "муниципальный"))
_event_capacity = steps(
    _event_place,
    press(COORDINATOR, "Школа-база"),
    press(COORDINATOR, "СОШ № 2"),
    press(COORDINATOR, "Далее"),
)
_event_deadline = steps(_event_capacity, send(COORDINATOR, "30"))
_event_audience = steps(_event_deadline, press(COORDINATOR, "До начала"))
_event_program = steps(_event_audience, press(COORDINATOR, "Далее"))
_event_part = steps(_event_program, press(COORDINATOR, "Добавить часть"))
_event_part_title = steps(_event_part, press(COORDINATOR, "Мастер-класс"))
_event_part_presenter = steps(_event_part_title, send(COORDINATOR, "Смысловое чтение"))
_event_part_time = steps(_event_part_presenter, press(COORDINATOR, "Пропустить"))
_event_part_capacity = steps(_event_part_time, send(COORDINATOR, "10:00–11:00"))
_event_part_place = steps(_event_part_capacity, press(COORDINATOR, "Без отдельной записи"))
_event_description = steps(_event_program, press(COORDINATOR, "Далее"))
_event_organiser = steps(_event_description, press(COORDINATOR, "Без описания"))
_event_topics = steps(_event_organiser, press(COORDINATOR, "Не указывать"))
_event_preview = steps(_event_topics, press(COORDINATOR, "Далее"))
# Reminders are changed from the saved event's card («✏️ Изменить»), not in the first pass.
_event_reminders = steps(
    _event_preview,
    press(COORDINATOR, "Сохранить черновик"),
    press(COORDINATOR, "Изменить"),
    press(COORDINATOR, "Напоминания"),
)

# Surveys and the self-check
_self_check = send(TEACHER, "/selfcheck")


async def _self_check_answered(harness: Harness, world: World) -> None:
    """Every question of the teacher's self-check answered (through the runner's service, as the
    form would), then the form opened again: it shows the summary."""
    async with harness.session_pool() as session:
        person = await session.get(Person, world.person_ids[TEACHER])
        assert person is not None
        response = await survey_runner.begin(session, person, person.role_set, "self_check_teacher")
        await answer_everything(session, person, response)
        await session.commit()
    await harness.send(TEACHER, "/selfcheck")


async def answer_everything(session: AsyncSession, person: Person | None, response: int) -> None:
    """Answers each question the runner shows with its first choice or a valid typed value."""
    typed = {"number": None, "text": "Ответ", "date": "01.09.2020"}
    while (screen := await survey_runner.screen(session, person, response, "ru")) is not None:
        if screen.type in typed:
            value = typed[screen.type] or str(screen.low or 0)
            await survey_runner.answer_typed(session, person, response, value)
            continue
        await survey_runner.answer_choice(session, person, response, screen.choices[0].id)
        if screen.type == "multi":
            await survey_runner.finish_multi(session, person, response, screen.token)


# Deadlines
_deadlines = send(COORDINATOR, "/deadlines")

# Admin
_admin = send(ADMIN, "/municipalities")


# Events: the organiser searches an event's registrant list; a participant types the code
async def _attendance_search(harness: Harness, world: World) -> None:
    starts = datetime.now(ZoneInfo("UTC"))
    async with harness.session_pool() as session:
        event = Event(
            type="seminar",
            scope=EventScope.MUNICIPAL,
            form=EventForm.IN_PERSON,
            title="Семинар по смысловому чтению",
            topics=[],
            starts_at=starts,
            ends_at=starts + timedelta(hours=4),
            timezone="Europe/Moscow",
            duration_hours=4,
            audience={},
            status=EventStatus.PUBLISHED,
            municipality_id=world.municipality,
        )
        session.add(event)
        await session.commit()
        event_id = event.id
    await harness.callback(COORDINATOR, AttendanceCb(action="search", event_id=event_id).pack())


# Communities
_manage = menu(COORDINATOR, "menu.manage_communities")
_community_name = steps(_manage, press_k(COORDINATOR, "communities.button_add"))


# Deadlines: the coordinator's editor form, and a task of theirs answered with a comment or file
_dl = steps(send(COORDINATOR, "/duedates"), press_k(COORDINATOR, "dl.button_add"))
_dl_description = steps(_dl, send(COORDINATOR, "Провести педсовет"))
_dl_responsible = steps(_dl_description, press_k(COORDINATOR, "dl.button_skip"))
_dl_start = steps(_dl_responsible, press_k(COORDINATOR, "dl.responsible_school_leaders"))


async def _dl_due_day(harness: Harness, world: World) -> None:
    await harness.send(COORDINATOR, f"{today() + timedelta(days=20):%d.%m.%Y}")


_dl_due = steps(_dl_start, press_k(COORDINATOR, "dl.button_today"))
_dl_reminders = steps(_dl_due, _dl_due_day)
_dl_recurrence = steps(_dl_reminders, press_k(COORDINATOR, "dl.button_keep"))
_dl_done_by = steps(_dl_recurrence, press_k(COORDINATOR, "dl.recurrence_none"))
_dl_confirm = steps(_dl_done_by, press_k(COORDINATOR, "dl.done_by_confirm"))


def _task_answer(done_by: DoneBy) -> Way:
    async def way(harness: Harness, world: World) -> None:
        me = world.person_ids[COORDINATOR]
        async with harness.session_pool.begin() as session:
            deadline = Deadline(
                municipality_id=world.municipality, year=today().year, title="Отчёт",
                responsible=Responsible.PERSON, person_id=me, starts_on=today(),
                due_on=today() + timedelta(days=10), reminder_days=[1], done_by=done_by,
            )  # fmt: skip
            session.add(deadline)
            await session.flush()
            task = DeadlineTask(deadline_id=deadline.id, target_key=f"p{me}", person_id=me)
            session.add(task)
            await session.flush()
            task_id = task.id
        await harness.callback(COORDINATOR, TaskCb(action="done", task_id=task_id).pack())

    return way


REACH: dict[str, Reach] = {
    bot.states.Joining.identify.state: Reach(NEWCOMER, _consented),
    bot.states.Joining.name.state: Reach(NAMELESS, _share_roster_phone),
    bot.states.Joining.municipality.state: Reach(NEWCOMER, _to_municipality),
    bot.states.Joining.school.state: Reach(NEWCOMER, _to_school),
    bot.states.Joining.subject.state: Reach(NEWCOMER, _to_subject),
    bot.states.Joining.request_name.state: Reach(NEWCOMER, _to_request_name),
    bot.states.Broadcasting.compose.state: Reach(COORDINATOR, _compose),
    bot.states.Broadcasting.audience.state: Reach(COORDINATOR, _audience),
    bot.states.Broadcasting.choices.state: Reach(COORDINATOR, _choices),
    bot.states.Broadcasting.preview.state: Reach(COORDINATOR, _preview),
    bot.states.Broadcasting.schedule.state: Reach(COORDINATOR, _schedule),
    bot.states.LaunchSurvey.scenario.state: Reach(COORDINATOR, _launch),
    bot.states.LaunchSurvey.audience.state: Reach(COORDINATOR, _launch_audience),
    bot.states.LaunchSurvey.choices.state: Reach(COORDINATOR, _launch_choices),
    bot.states.LaunchSurvey.deadline.state: Reach(COORDINATOR, _launch_deadline),
    bot.states.LaunchSurvey.confirm.state: Reach(COORDINATOR, _launch_confirm),
    bot.states.EventEditor.kind.state: Reach(COORDINATOR, _event),
    bot.states.EventEditor.title.state: Reach(COORDINATOR, _event_title),
    bot.states.EventEditor.start.state: Reach(COORDINATOR, _event_start),
    bot.states.EventEditor.confirm_moment.state: Reach(COORDINATOR, _event_confirm),
    bot.states.EventEditor.end.state: Reach(COORDINATOR, _event_end),
    bot.states.EventEditor.hours.state: Reach(COORDINATOR, _event_hours),
    bot.states.EventEditor.form.state: Reach(COORDINATOR, _event_form),
    bot.states.EventEditor.scope.state: Reach(COORDINATOR, _event_scope),
    bot.states.EventEditor.place.state: Reach(COORDINATOR, _event_place),
    bot.states.EventEditor.school.state: Reach(
        COORDINATOR, steps(_event_place, press(COORDINATOR, "Школа-база"))
    ),
    bot.states.EventEditor.address.state: Reach(
        COORDINATOR, steps(_event_place, press(COORDINATOR, "📍 Адрес"))
    ),
    bot.states.EventEditor.url.state: Reach(
        COORDINATOR, steps(_event_place, press(COORDINATOR, "Ссылка для подключения"))
    ),
    bot.states.EventEditor.capacity.state: Reach(COORDINATOR, _event_capacity),
    bot.states.EventEditor.deadline.state: Reach(COORDINATOR, _event_deadline),
    bot.states.EventEditor.reminders.state: Reach(COORDINATOR, _event_reminders),
    bot.states.EventEditor.audience.state: Reach(COORDINATOR, _event_audience),
    bot.states.EventEditor.choices.state: Reach(
        COORDINATOR, steps(_event_audience, press(COORDINATOR, "Школы"))
    ),
    bot.states.EventEditor.program.state: Reach(COORDINATOR, _event_program),
    bot.states.EventEditor.session_kind.state: Reach(COORDINATOR, _event_part),
    bot.states.EventEditor.session_title.state: Reach(COORDINATOR, _event_part_title),
    bot.states.EventEditor.session_presenter.state: Reach(COORDINATOR, _event_part_presenter),
    bot.states.EventEditor.session_time.state: Reach(COORDINATOR, _event_part_time),
    bot.states.EventEditor.session_capacity.state: Reach(COORDINATOR, _event_part_capacity),
    bot.states.EventEditor.session_place.state: Reach(COORDINATOR, _event_part_place),
    bot.states.EventEditor.description.state: Reach(COORDINATOR, _event_description),
    bot.states.EventEditor.organiser.state: Reach(COORDINATOR, _event_organiser),
    bot.states.EventEditor.topics.state: Reach(COORDINATOR, _event_topics),
    bot.states.EventEditor.preview.state: Reach(COORDINATOR, _event_preview),
    bot.states.Communities.name.state: Reach(COORDINATOR, _community_name),
    bot.states.Communities.description.state: Reach(
        COORDINATOR, steps(_community_name, send(COORDINATOR, "Клуб химиков"))
    ),
    bot.states.LogConsultation.school.state: Reach(TUTOR, _open_log),
    bot.states.LogConsultation.teachers.state: Reach(TUTOR, _log_teachers),
    bot.states.LogConsultation.held_on.state: Reach(TUTOR, _log_held_on),
    bot.states.LogConsultation.format.state: Reach(TUTOR, _log_format),
    bot.states.LogConsultation.block.state: Reach(TUTOR, _log_block),
    bot.states.LogConsultation.topic.state: Reach(TUTOR, _log_topic),
    bot.states.LogConsultation.duration.state: Reach(TUTOR, _log_duration),
    bot.states.LogConsultation.outcome.state: Reach(TUTOR, _log_outcome),
    bot.states.LogConsultation.confirm.state: Reach(TUTOR, _log_confirm),
    bot.states.EditConsultation.value.state: Reach(TUTOR, _edit_topic),
    bot.states.InviteFlow.search.state: Reach(
        COORDINATOR,
        steps(menu(COORDINATOR, "menu.invites"), press_k(COORDINATOR, "invites.personal_button")),
    ),
    bot.states.AdminFlow.municipality_name.state: Reach(
        ADMIN, steps(_admin, press_k(ADMIN, "admin.add_municipality_button"))
    ),
    bot.states.AdminFlow.coordinator_name.state: Reach(
        ADMIN,
        steps(
            _admin, press_k(ADMIN, "admin.invite_coordinator_button"), press(ADMIN, "Грачёвский")
        ),
    ),
    bot.states.AdminFlow.school_name.state: Reach(
        ADMIN, steps(_admin, press_k(ADMIN, "admin.add_school_button"), press(ADMIN, "Грачёвский"))
    ),
    bot.states.AdminFlow.school_flags.state: Reach(
        ADMIN,
        steps(
            _admin,
            press_k(ADMIN, "admin.add_school_button"),
            press(ADMIN, "Грачёвский"),
            send(ADMIN, "МБОУ СОШ № 7 с. Бешпагир"),
        ),
    ),
    bot.states.DeadlinesFlow.number.state: Reach(
        COORDINATOR, steps(_deadlines, press_k(COORDINATOR, "deadlines.remind_button"))
    ),
    bot.states.DeadlinesFlow.zone.state: Reach(
        COORDINATOR, steps(_deadlines, press_k(COORDINATOR, "deadlines.timezone_button"))
    ),
    bot.states.DeadlineEditor.title.state: Reach(COORDINATOR, _dl),
    bot.states.DeadlineEditor.description.state: Reach(COORDINATOR, _dl_description),
    bot.states.DeadlineEditor.responsible.state: Reach(COORDINATOR, _dl_responsible),
    bot.states.DeadlineEditor.person.state: Reach(
        COORDINATOR, steps(_dl_responsible, press_k(COORDINATOR, "dl.responsible_person"))
    ),
    bot.states.DeadlineEditor.start.state: Reach(COORDINATOR, _dl_start),
    bot.states.DeadlineEditor.due.state: Reach(COORDINATOR, _dl_due),
    bot.states.DeadlineEditor.reminders.state: Reach(COORDINATOR, _dl_reminders),
    bot.states.DeadlineEditor.recurrence.state: Reach(COORDINATOR, _dl_recurrence),
    bot.states.DeadlineEditor.done_by.state: Reach(COORDINATOR, _dl_done_by),
    bot.states.DeadlineEditor.confirm.state: Reach(COORDINATOR, _dl_confirm),
    bot.states.TaskFlow.comment.state: Reach(COORDINATOR, _task_answer(DoneBy.COMMENT)),
    bot.states.TaskFlow.file.state: Reach(COORDINATOR, _task_answer(DoneBy.FILE)),
    bot.states.QuestionFlow.asking.state: Reach(TEACHER, menu(TEACHER, "menu.ask_tutor")),
    bot.states.TakeSurvey.question.state: Reach(TEACHER, _self_check),
    bot.states.TakeSurvey.summary.state: Reach(TEACHER, _self_check_answered),
    bot.states.QuestionFlow.answering.state: Reach(TUTOR, _tutor_answers),
    bot.states.QuestionFlow.rating_comment.state: Reach(TEACHER, _teacher_rates),
    bot.states.QuestionFlow.away_until.state: Reach(TUTOR, _tutor_goes_away),
    bot.states.AttendanceFlow.search.state: Reach(COORDINATOR, _attendance_search),
    bot.states.AttendanceFlow.code.state: Reach(TEACHER, send(TEACHER, "/checkin")),
    bot.states.PlanTemplateFlow.upload.state: Reach(
        ADMIN, steps(send(ADMIN, "/plan"), press_k(ADMIN, "plan.button_upload"))
    ),
    bot.states.SelfCheckFlow.tutor_note.state: Reach(
        TUTOR,
        steps(
            menu(TUTOR, "menu.teacher_profiles"),
            press(TUTOR, "Орлова"),
            press_k(TUTOR, "self_check.button_add_note"),
        ),
    ),
}


def missing_ways() -> list[str]:
    """States of the code that `REACH` has no way into."""
    return [state for state in all_states() if state not in REACH]


async def current_state(harness: Harness, user_id: int) -> str | None:
    """The state the person is in: an open form's window (if not left), else the FSM state."""
    storage = harness.dp.storage
    bot_id = harness.bot.id
    stack = await storage.get_data(
        StorageKey(bot_id=bot_id, chat_id=user_id, user_id=user_id, destiny="aiogd:stack:")
    )
    intents = stack.get("intents") or []
    if intents:
        context = await storage.get_data(
            StorageKey(
                bot_id=bot_id,
                chat_id=user_id,
                user_id=user_id,
                destiny=f"aiogd:context:{intents[-1]}",
            )
        )
        if context and not (context.get("dialog_data") or {}).get("_left"):
            return str(context.get("state"))
    return await storage.get_state(StorageKey(bot_id=bot_id, chat_id=user_id, user_id=user_id))


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Moscow")).date()


# --- putting a person back into the state ------------------------------------------------------


@dataclass
class Snapshot:
    """What the storage holds about a person's place in the dialogs: the FSM state and data,
    and an open form's stack and contexts. Restored before each fuzz example, so each starts in
    the state under test whatever the one before did."""

    user_id: int
    records: dict[str, tuple[str | None, dict[str, object]]]

    @staticmethod
    def _key(harness: Harness, user_id: int, destiny: str) -> StorageKey:
        return StorageKey(bot_id=harness.bot.id, chat_id=user_id, user_id=user_id, destiny=destiny)

    @classmethod
    async def take(cls, harness: Harness, user_id: int) -> Snapshot:
        storage = harness.dp.storage
        destinies = ["default", "aiogd:stack:"]
        stack = await storage.get_data(cls._key(harness, user_id, "aiogd:stack:"))
        destinies += [f"aiogd:context:{intent}" for intent in stack.get("intents") or []]
        records = {}
        for destiny in destinies:
            key = cls._key(harness, user_id, destiny)
            records[destiny] = (await storage.get_state(key), await storage.get_data(key))
        return cls(user_id, records)

    async def restore(self, harness: Harness) -> None:
        storage = harness.dp.storage
        stack = await storage.get_data(self._key(harness, self.user_id, "aiogd:stack:"))
        for intent in stack.get("intents") or []:
            destiny = f"aiogd:context:{intent}"
            if destiny not in self.records:
                await storage.set_data(self._key(harness, self.user_id, destiny), {})
        for destiny, (state, data) in self.records.items():
            key = self._key(harness, self.user_id, destiny)
            await storage.set_state(key, state)
            await storage.set_data(key, data)
