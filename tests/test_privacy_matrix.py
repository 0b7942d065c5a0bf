"""The privacy matrix: outsiders press every kind of button with ids that belong to others, and
type every command; nothing of the others is shown to them and nothing of the others changes.

Generated from the code: the button classes are those of `bot/callbacks.py` and their actions
those the handlers' filters take (`tests.callback_classes`, which fails on a class or action it
does not list); the commands are every role's command list (`bot.keyboards.menus`). Each class
gets here the others' ids its fields can carry (`FOREIGN_IDS`); a class without an entry fails.

The victims live in one municipality, with marker names, phones and texts: a teacher who asked a
question, their tutor, a coordinator with a roster upload, a broadcast, a join request, an
invite, a community and a consultation. The outsiders: a person of each role of another
municipality (another region's admin), and a teacher of the same municipality who is none of
the above. After the presses the background jobs run and the outbox is delivered, so what they
would be sent later is checked too; the victims' rows are compared before and after.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram.methods import AnswerCallbackQuery, CopyMessage, SendDocument, TelegramMethod
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, ReplyKeyboardMarkup
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import (
    AdminCb,
    AttendanceCb,
    BoardCb,
    BroadcastCb,
    CommunityCb,
    ConsentCb,
    ConsultationCb,
    DeadlineAdminCb,
    EventAdminCb,
    EventCb,
    EventReportCb,
    InviteCb,
    JoinDecisionCb,
    JoinPickCb,
    KpiCb,
    LanguageCb,
    MunicipalitySettingsCb,
    PrivacyCb,
    ProgramCb,
    QuestionCb,
    RosterCb,
    SelfCheckCb,
    SurveyCb,
    TaskCb,
)
from bot.keyboards.menus import COMMANDS_BY_ROLE, COMMON_COMMANDS, GUEST_COMMANDS
from bot.services import monitoring, program_years
from config.settings import Settings
from storage.models import (
    AttendanceMethod,
    Base,
    Broadcast,
    BroadcastStatus,
    Community,
    CommunityMembership,
    CompetenceBlock,
    Consultation,
    ConsultationFormat,
    ConsultationTeacher,
    Deadline,
    DeadlineTask,
    DoneBy,
    Event,
    EventAttendance,
    EventForm,
    EventRegistration,
    EventScope,
    EventSession,
    EventStatus,
    Municipality,
    Person,
    PlanTemplate,
    ProgramLevel,
    RegistrationStatus,
    Responsible,
    Role,
    SessionKind,
    Survey,
    SurveyInvitee,
    Thread,
)
from tests import seed
from tests.callback_classes import VALUES, callback_classes, uncovered
from tests.harness import Harness, chat_of

# --- the victims' municipality, with markers that must never reach an outsider -----------------

TEACHER_NAME = "Тайнова Виолетта Маркеровна"
TEACHER_PHONE = "+79187770001"
TUTOR_NAME = "Скрытова Тамара Львовна"
TUTOR_PHONE = "+79187770002"
COORDINATOR_NAME = "Секретова Ксения Олеговна"
APPLICANT_NAME = "Заявкина Зоя Маркеровна"
ROSTER_NAME = "Спискова Стелла Маркеровна"
ROSTER_PHONE = "+79187770009"
UNJOINED_NAME = "Незванова Нина Маркеровна"
QUESTION = "ВОПРОС-МАРКЕР-7731 про ВПР"
BROADCAST_TEXT = "РАССЫЛКА-МАРКЕР-4410"
TOPIC = "ТЕМА-МАРКЕР-9917 смысловое чтение"
COMMUNITY = "Клуб-Маркер-5521"
EVENT = "МЕРОПРИЯТИЕ-МАРКЕР-3310 семинар"
MUNICIPALITY = "Маркерский муниципальный округ"
SCHOOL = "Школа-Маркер № 1 с. Тайное"
LEADER_SCHOOL = "Школа-Маркер № 2 с. Скрытое"
EVENT_TITLE = "МЕРОПРИЯТИЕ-МАРКЕР-3318 десант"
EVENT_CODE = "731904"
PLAN_TEMPLATE = "ШАБЛОН-МАРКЕР-6620"
DEADLINE = "СРОК-МАРКЕР-6620 отчёт"
DEADLINE_COMMENT = "КОММЕНТАРИЙ-МАРКЕР-6621"
EVIDENCE = "ФАЙЛ-МАРКЕР-6622.pdf"

TEACHER_ID = 6101
TUTOR_ID = 6201
COORDINATOR_ID = 6301
APPLICANT_ID = 6401

# Everything of the victims; a teacher of the same municipality may see the municipality's
# own public things (its name, schools, communities, coordinators), the rest never.
EVENT_LINK = "https://meet.example.org/secret-room"
PRIVATE_MARKERS = (
    TEACHER_NAME,
    TEACHER_PHONE,
    TUTOR_NAME,
    TUTOR_PHONE,
    APPLICANT_NAME,
    ROSTER_NAME,
    ROSTER_PHONE,
    UNJOINED_NAME,
    QUESTION,
    BROADCAST_TEXT,
    TOPIC,
    EVENT,
    EVENT_CODE,
    EVENT_LINK,
    DEADLINE,
    DEADLINE_COMMENT,
    EVIDENCE,
)
MUNICIPAL_MARKERS = (
    COORDINATOR_NAME,
    COMMUNITY,
    MUNICIPALITY,
    SCHOOL,
    LEADER_SCHOOL,
    EVENT_TITLE,
    PLAN_TEMPLATE,
)

# --- the outsiders ----------------------------------------------------------------------------

OUTSIDER_ROLES = [Role.TEACHER, Role.SCHOOL_LEADER, Role.TUTOR, Role.COORDINATOR, Role.ADMIN]
NEIGHBOUR = "same-municipality teacher"
ACTORS = [*[role.value for role in OUTSIDER_ROLES], NEIGHBOUR]
ACTOR_IDS = {name: 7100 + n for n, name in enumerate(ACTORS)}


@dataclass(frozen=True)
class Victims:
    municipality: int
    school: int
    leader: int
    teacher: int
    tutor: int
    coordinator: int
    unjoined: int
    thread: int
    consultation: int
    community: int
    join_request: int
    upload: int
    broadcast: int
    survey: int
    invite_code: str
    outsiders_municipality: int
    event: int = 0
    event_session: int = 0
    draft_event: int = 0
    webinar: int = 0
    stage_deadline: int = 0  # a monitoring stage of the victims' municipality
    stage_task: int = 0  # its task for the victims' school
    plan_template: int = 0
    deadline: int = 0
    deadline_task: int = 0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Each outsider presses hundreds of buttons: no flood pacing for them."""
    return settings.model_copy(update={"flood_messages": 10_000, "flood_abuse_per_minute": 100_000})


async def arrange(harness: Harness, db: AsyncSession) -> Victims:
    mun, school, leader = await seed.place(db, municipality=MUNICIPALITY)
    school.name, leader.name = SCHOOL, LEADER_SCHOOL
    school.short_name = leader.short_name = None
    teacher = await seed.person(
        db,
        name=TEACHER_NAME,
        roles=[Role.TEACHER],
        municipality=mun,
        school=school,
        telegram_id=TEACHER_ID,
        phone=TEACHER_PHONE,
    )
    tutor = await seed.person(
        db,
        name=TUTOR_NAME,
        roles=[Role.TUTOR],
        municipality=mun,
        school=leader,
        telegram_id=TUTOR_ID,
        phone=TUTOR_PHONE,
    )
    coordinator = await seed.person(
        db,
        name=COORDINATOR_NAME,
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=COORDINATOR_ID,
    )
    unjoined = await seed.person(
        db, name=UNJOINED_NAME, roles=[Role.TEACHER], municipality=mun, school=school
    )
    await seed.assign_tutor(db, tutor, teacher)
    community = Community(municipality_id=mun.id, name=COMMUNITY, description="Для своих")
    db.add(community)
    await db.flush()
    db.add(CommunityMembership(community_id=community.id, person_id=teacher.id))
    consultation = Consultation(
        tutor_id=tutor.id,
        school_id=school.id,
        municipality_id=mun.id,
        held_on=datetime.now(UTC).date(),
        format=ConsultationFormat.IN_PERSON,
        block=CompetenceBlock.SUBJECT,
        topic=TOPIC,
        duration_minutes=45,
    )
    db.add(consultation)
    await db.flush()
    db.add(ConsultationTeacher(consultation_id=consultation.id, teacher_id=teacher.id))
    broadcast = Broadcast(
        author_id=coordinator.id,
        municipality_id=mun.id,
        text=BROADCAST_TEXT,
        audience={},
        recipients=1,
        status=BroadcastStatus.SCHEDULED,
        scheduled_at=datetime.now(UTC) + timedelta(days=3),
    )
    db.add(broadcast)
    survey = Survey(
        scenario_id="needs_assessment",
        author_id=coordinator.id,
        municipality_id=mun.id,
        audience={},
        deadline=datetime.now(UTC) + timedelta(days=3),
        invited=1,
    )
    db.add(survey)
    await db.flush()
    db.add(SurveyInvitee(survey_id=survey.id, person_id=teacher.id))
    # An event under way with its code, the teacher registered and come to it and its session.
    started = datetime.now(UTC) - timedelta(hours=1)
    event = Event(
        type="desant", scope=EventScope.MUNICIPAL, form=EventForm.IN_PERSON,
        title=EVENT_TITLE, topics=[], starts_at=started, ends_at=started + timedelta(hours=6),
        timezone="Europe/Moscow", duration_hours=6, audience={}, status=EventStatus.PUBLISHED,
        municipality_id=mun.id, author_id=coordinator.id, checkin_code=EVENT_CODE,
    )  # fmt: skip
    db.add(event)
    await db.flush()
    event_session = EventSession(
        event_id=event.id, kind=SessionKind.MASTER_CLASS, title=EVENT_TITLE, starts_at=started,
        ends_at=started + timedelta(hours=1), checkin_code=EVENT_CODE,
    )  # fmt: skip
    db.add(event_session)
    await db.flush()
    db.add(
        EventRegistration(
            event_id=event.id, person_id=teacher.id, status=RegistrationStatus.REGISTERED,
            municipality_id=mun.id, school_id=school.id,
        )
    )  # fmt: skip
    db.add(
        EventAttendance(
            event_id=event.id, person_id=teacher.id, municipality_id=mun.id,
            school_id=school.id, method=AttendanceMethod.MARKED,
            checked_in_at=datetime.now(UTC),
        )
    )  # fmt: skip
    draft_event = Event(
        type="seminar",
        scope="municipal",
        form="in_person",
        title=EVENT,
        starts_at=datetime.now(UTC) + timedelta(days=5),
        ends_at=datetime.now(UTC) + timedelta(days=5, hours=4),
        timezone="Europe/Moscow",
        duration_hours=4,
        address=EVENT,
        audience={},
        status=EventStatus.DRAFT,
        municipality_id=mun.id,
        author_id=coordinator.id,
        seats_taken=0,
        next_queue_no=1,
        version=0,
    )
    db.add(draft_event)
    await db.flush()
    # An event for the victim teacher's school only, with the teacher registered.
    starts = datetime.now(UTC) + timedelta(days=5)
    webinar = Event(
        type="webinar",
        scope=EventScope.MUNICIPAL,
        form=EventForm.ONLINE,
        title="Вебинар",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        timezone="Europe/Moscow",
        duration_hours=2.0,
        online_url=EVENT_LINK,
        capacity=1,
        seats_taken=1,
        audience={"school_ids": [school.id]},
        status=EventStatus.PUBLISHED,
        municipality_id=mun.id,
        author_id=coordinator.id,
    )
    db.add(webinar)
    await db.flush()
    db.add(
        EventRegistration(
            event_id=webinar.id,
            person_id=teacher.id,
            status=RegistrationStatus.REGISTERED,
            municipality_id=mun.id,
            school_id=school.id,
        )
    )
    # A deadline item of the municipality, its school's task done with a comment and a file.
    deadline = Deadline(
        municipality_id=mun.id, year=datetime.now(UTC).year, title=DEADLINE,
        responsible=Responsible.SCHOOL_LEADERS, starts_on=datetime.now(UTC).date(),
        due_on=datetime.now(UTC).date() + timedelta(days=10), done_by=DoneBy.FILE,
        author_id=coordinator.id,
    )  # fmt: skip
    db.add(deadline)
    await db.flush()
    deadline_task = DeadlineTask(
        deadline_id=deadline.id, target_key=f"s{school.id}", school_id=school.id,
        comment=DEADLINE_COMMENT, evidence_file_id="evidence-file", evidence_name=EVIDENCE,
        evidence_size=100,
    )  # fmt: skip
    db.add(deadline_task)
    await db.flush()

    outsiders, their_school, _ = await seed.place(db, municipality="Чужой городской округ")
    for role in OUTSIDER_ROLES:
        await seed.person(
            db,
            name=f"Посторонний {role.value}",
            roles=[role],
            municipality=outsiders,
            school=their_school,
            telegram_id=ACTOR_IDS[role.value],
        )
    await seed.person(
        db,
        name="Соседова Анна Ивановна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=leader,
        telegram_id=ACTOR_IDS[NEIGHBOUR],
    )
    # A monitoring stage of this year with its task for the victims' school.
    this_year = datetime.now(UTC).year
    await program_years.set_participation(
        db, school, this_year, low_results=True, unfavourable_conditions=False,
        level=ProgramLevel.REGIONAL,
    )  # fmt: skip
    await monitoring.ensure_stages(db, mun.id, this_year)
    stage = await db.scalar(select(Deadline).where(Deadline.municipality_id == mun.id))
    assert stage is not None
    stage_task = await db.scalar(
        select(DeadlineTask.id).where(DeadlineTask.deadline_id == stage.id)
    )
    assert stage_task is not None
    await db.commit()

    # What the victims do themselves, as they would.
    await harness.send(TEACHER_ID, "/ask")
    await harness.send(TEACHER_ID, QUESTION)
    await harness.send(TEACHER_ID, "/menu")
    await harness.send(APPLICANT_ID, "/start")
    await harness.press(APPLICANT_ID, "Согласен")
    await harness.send(APPLICANT_ID, "📝 Подать заявку")
    await harness.press(APPLICANT_ID, MUNICIPALITY[:8])
    await harness.press(APPLICANT_ID, SCHOOL[:10])
    await harness.press(APPLICANT_ID, "Пропустить")
    await harness.send(APPLICANT_ID, APPLICANT_NAME)
    roster = f"ФИО;Телефон;Школа;Роль\r\n{ROSTER_NAME};{ROSTER_PHONE};{SCHOOL};учитель\r\n"
    await harness.upload(COORDINATOR_ID, "список.csv", roster.encode())
    await harness.run_jobs()
    await harness.send(COORDINATOR_ID, "/invite")
    await harness.press(COORDINATOR_ID, "Человека из списка")
    await harness.send(COORDINATOR_ID, "Незванова")
    await harness.press(COORDINATOR_ID, "Незванова")
    link = next(t for t in reversed(harness.texts_to(COORDINATOR_ID)) if "start=" in t)
    code = re.search(r"start=([\w-]+)", link)
    assert code is not None
    await harness.deliver()

    async with harness.session_pool() as session:
        thread = await session.scalar(select(Thread.id))
        request = await session.scalar(text("SELECT id FROM join_requests"))
        upload = await session.scalar(text("SELECT id FROM roster_uploads"))
        # The region's own plan-graph template, which only its admins may download.
        plan = PlanTemplate(
            region_id=await session.scalar(
                select(Municipality.region_id).where(Municipality.name == MUNICIPALITY)
            ),
            code="marker",
            title=PLAN_TEMPLATE,
            body=f"code: marker\ntitle: {PLAN_TEMPLATE}\nitems:\n  - code: '1'\n    part: 1\n"
            f"    title: {PLAN_TEMPLATE}\n    period: {{month: 3}}\n    responsible: tutors\n",
        )
        session.add(plan)
        await session.commit()
        plan_template = plan.id
    assert thread and request and upload, "the victims' own steps did not make their rows"
    harness.clear()
    return Victims(
        municipality=mun.id,
        school=school.id,
        leader=leader.id,
        teacher=teacher.id,
        tutor=tutor.id,
        coordinator=coordinator.id,
        unjoined=unjoined.id,
        thread=thread,
        consultation=consultation.id,
        community=community.id,
        join_request=request,
        upload=upload,
        broadcast=broadcast.id,
        survey=survey.id,
        invite_code=code.group(1),
        outsiders_municipality=outsiders.id,
        event=event.id,
        event_session=event_session.id,
        draft_event=draft_event.id,
        webinar=webinar.id,
        stage_deadline=stage.id,
        stage_task=stage_task,
        plan_template=plan_template,
        deadline=deadline.id,
        deadline_task=deadline_task.id,
    )


# --- the others' ids each kind of button can carry --------------------------------------------

Fields = dict[str, Any]

FOREIGN_IDS: dict[type, Callable[[Victims], list[Fields]]] = {
    ConsentCb: lambda v: [{"code": ""}, {"code": v.invite_code}],
    LanguageCb: lambda v: [{}],
    JoinPickCb: lambda v: [{"value": v.municipality}, {"value": v.school}],
    JoinDecisionCb: lambda v: [{"request_id": v.join_request}],
    RosterCb: lambda v: [
        {"upload_id": v.upload, "municipality_id": v.municipality},
        {"upload_id": v.upload, "municipality_id": v.outsiders_municipality},
    ],
    InviteCb: lambda v: [
        {"value": v.unjoined, "extra": "teacher"},
        {"value": v.school, "extra": "teacher"},
        {"value": v.teacher, "extra": "tutor"},
    ],
    AdminCb: lambda v: [{"value": v.municipality}],
    CommunityCb: lambda v: [{"community_id": v.community}, {"community_id": v.municipality}],
    PrivacyCb: lambda v: [{}],
    BroadcastCb: lambda v: [{"value": v.broadcast}],
    QuestionCb: lambda v: [
        {"thread_id": v.thread, "value": 5},
        {"thread_id": v.thread, "value": v.tutor},
        {"thread_id": 0, "value": v.tutor},
    ],
    ConsultationCb: lambda v: [
        {"value": v.consultation, "extra": "topic"},
        {"value": v.thread},
        {"value": v.municipality, "extra": f"year.{v.school}.{v.tutor}"},
        {"value": v.municipality, "extra": "all.0.0"},
    ],
    SurveyCb: lambda v: [{"survey_id": v.survey}, {"survey_id": v.survey, "code": "A" * 16}],
    MunicipalitySettingsCb: lambda v: [
        {"municipality_id": v.municipality, "value": "remind"},
        {"municipality_id": v.municipality, "value": "Asia/Yekaterinburg"},
        {"municipality_id": v.municipality, "value": "school"},
    ],
    SelfCheckCb: lambda v: [{"value": v.teacher}, {"value": v.municipality}],
    EventAdminCb: lambda v: [
        {"event_id": v.draft_event, "value": "title"},
        {"event_id": v.draft_event, "value": "upcoming"},
        {"event_id": v.draft_event, "value": "drafts"},
        {"event_id": v.event, "value": "title"},
    ],
    AttendanceCb: lambda v: [
        {"event_id": v.event, "person_id": v.teacher},
        {"event_id": v.event, "session_id": v.event_session, "person_id": v.teacher},
    ],
    EventReportCb: lambda v: [{"event_id": v.event}, {"year": datetime.now(UTC).year}],
    # A school of the victims' municipality marked, its year's list, last year copied.
    ProgramCb: lambda v: [
        {"school_id": v.school, "year": datetime.now(UTC).year, "value": "part"},
        {"school_id": v.leader, "year": datetime.now(UTC).year, "value": "nro"},
        {"year": datetime.now(UTC).year, "value": str(v.municipality)},
    ],
    BoardCb: lambda v: [
        {"municipality_id": v.municipality},
        {"municipality_id": v.municipality, "value": "overdue"},
        {"municipality_id": 0},
    ],
    DeadlineAdminCb: lambda v: [
        {"deadline_id": v.stage_deadline},
        {"value": str(v.municipality)},
        {"task_id": v.stage_task, "deadline_id": v.stage_deadline},
        # A template is applied to the presser's own municipality (none is carried): a foreign
        # one is reachable only as the region's template to download; a year out of range is
        # refused.
        {"page": v.plan_template},
        {"value": "grachevka", "year": 1999, "page": 2},
        {"value": "marker", "year": 1999, "page": 1},
        {"deadline_id": v.deadline, "task_id": v.deadline_task, "value": str(v.municipality)},
        {"deadline_id": v.deadline, "page": 1},
    ],
    TaskCb: lambda v: [{"task_id": v.stage_task}, {"task_id": v.deadline_task}],
    KpiCb: lambda v: [
        {"municipality_id": v.municipality, "year": datetime.now(UTC).year},
        {"municipality_id": 0, "year": datetime.now(UTC).year},
    ],
    EventCb: lambda v: [
        {"event_id": v.webinar},
        {"event_id": v.webinar, "session_id": v.event_session},
        {"event_id": v.event, "session_id": v.event_session},
        {"event_id": v.draft_event},
    ],
}

# Pressed last: an outsider forgetting themselves ends their part of the matrix.
LAST = {(PrivacyCb, "forget_yes")}


def presses(victims: Victims) -> list[str]:
    """Every action of every class, with every set of the others' ids it can carry."""
    first: list[str] = []
    last: list[str] = []
    for cls in callback_classes():
        field, actions = VALUES[cls]
        for action in actions:
            value: Any = action == "1" if cls in (ConsentCb, JoinDecisionCb) else action
            for ids in FOREIGN_IDS[cls](victims):
                data = cls(**{**ids, field: value}).pack()
                (last if (cls, action) in LAST else first).append(data)
    return first + last


def commands(victims: Victims) -> list[str]:
    names = {*GUEST_COMMANDS, *COMMON_COMMANDS}
    for role_commands in COMMANDS_BY_ROLE.values():
        names.update(role_commands)
    names.discard("forget")  # asks first; the button it offers is pressed among the others
    return [f"/{name}" for name in sorted(names)] + [f"/start {victims.invite_code}"]


# --- what the outsider saw, and what changed ----------------------------------------------------


def _document_text(request: SendDocument) -> str:
    document = request.document
    if not isinstance(document, BufferedInputFile):
        return ""
    content = document.data
    if zipfile.is_zipfile(io.BytesIO(content)):
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return " ".join(book.read(name).decode(errors="replace") for name in book.namelist())
    return content.decode(errors="replace")


def _shown(request: TelegramMethod[Any]) -> str:
    parts = [str(getattr(request, name, None) or "") for name in ("text", "caption")]
    markup = getattr(request, "reply_markup", None)
    if isinstance(markup, InlineKeyboardMarkup):
        parts += [b.text for row in markup.inline_keyboard for b in row]
    if isinstance(markup, ReplyKeyboardMarkup):
        parts += [b.text for row in markup.keyboard for b in row]
    if isinstance(request, SendDocument):
        parts.append(_document_text(request))
    return "\n".join(parts)


def leaks(
    requests: list[TelegramMethod[Any]], actor_id: int, markers: tuple[str, ...]
) -> list[str]:
    found = []
    for request in requests:
        copied_from = int(request.from_chat_id) if isinstance(request, CopyMessage) else None
        if chat_of(request) == actor_id and copied_from in (TEACHER_ID, TUTOR_ID, COORDINATOR_ID):
            found.append(f"a copy of a victim's message: {request!r}")
        if chat_of(request) != actor_id and not isinstance(request, AnswerCallbackQuery):
            continue
        shown = _shown(request)
        found += [
            f"{marker!r} in {type(request).__name__}" for marker in markers if marker in shown
        ]
    return found


# Rows the outsiders' own steps write, and columns that change by themselves.
TECHNICAL_TABLES = {"inbox_updates", "fsm_records"}
VOLATILE_COLUMNS = {"updated_at", "lease_until", "claimed_by"}


async def rows(harness: Harness) -> dict[str, dict[Any, tuple[Any, ...]]]:
    snapshot: dict[str, dict[Any, tuple[Any, ...]]] = {}
    async with harness.session_pool() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in TECHNICAL_TABLES:
                continue
            columns = [c for c in table.columns if c.name not in VOLATILE_COLUMNS]
            result = await session.execute(select(*columns))
            keys = [c.name for c in table.primary_key.columns]
            snapshot[table.name] = {
                tuple(row._mapping[k] for k in keys): tuple(row) for row in result
            }
    return snapshot


def _actors_own(
    table: str, row: tuple[Any, ...], names: list[str], actor_person: int, actor_chat: int
) -> bool:
    values = dict(zip(names, row, strict=True))
    if table == "people":
        return values["id"] == actor_person
    if table in ("person_roles", "person_subjects", "community_memberships", "background_jobs"):
        return values.get("person_id") == actor_person
    if table == "deliveries":
        return values["chat_id"] == actor_chat
    return False


async def changed_rows(
    harness: Harness,
    before: dict[str, dict[Any, tuple[Any, ...]]],
    after: dict[str, dict[Any, tuple[Any, ...]]],
    actor_person: int,
    actor_chat: int,
) -> list[str]:
    changes = []
    for table in Base.metadata.sorted_tables:
        if table.name not in before:
            continue
        names = [c.name for c in table.columns if c.name not in VOLATILE_COLUMNS]
        old, new = before[table.name], after[table.name]
        for key in old.keys() | new.keys():
            if old.get(key) == new.get(key):
                continue
            row = new.get(key) or old[key]
            if _actors_own(table.name, row, names, actor_person, actor_chat):
                continue
            changes.append(f"{table.name} {key}: {old.get(key)} → {new.get(key)}")
    return changes


# --- the tests --------------------------------------------------------------------------------


def test_the_matrix_covers_every_button_class_and_action() -> None:
    assert uncovered() == [], "list these in tests/callback_classes.py VALUES"
    missing = [cls.__name__ for cls in callback_classes() if cls not in FOREIGN_IDS]
    assert missing == [], "give these the others' ids in FOREIGN_IDS"


@pytest.mark.parametrize("actor", ACTORS)
async def test_an_outsider_sees_nothing_of_others_and_changes_nothing(
    harness: Harness, db: AsyncSession, actor: str
) -> None:
    victims = await arrange(harness, db)
    actor_id = ACTOR_IDS[actor]
    markers = PRIVATE_MARKERS if actor == NEIGHBOUR else PRIVATE_MARKERS + MUNICIPAL_MARKERS
    async with harness.session_pool() as session:
        actor_person = await session.scalar(select(Person.id).where(Person.telegram_id == actor_id))
    assert actor_person is not None
    before = await rows(harness)

    found: list[str] = []
    updates = [("command", c) for c in commands(victims)] + [("press", p) for p in presses(victims)]
    for kind, payload in updates:
        harness.clear()
        if kind == "command":
            await harness.send(actor_id, payload)
        else:
            await harness.callback(actor_id, payload)
        found += [f"{payload}: {leak}" for leak in leaks(harness.requests, actor_id, markers)]
        # Whatever state a press left the outsider in, the next one starts from none.
        await harness.dp.fsm.get_context(harness.bot, actor_id, actor_id).clear()
    # What the presses queued (exports, checks, messages) is made and sent, then checked too.
    harness.clear()
    await harness.run_jobs()
    await harness.deliver()
    found += [f"queued: {leak}" for leak in leaks(harness.requests, actor_id, markers)]

    assert found == [], "\n".join(found)
    changes = await changed_rows(harness, before, await rows(harness), actor_person, actor_id)
    assert changes == [], "\n".join(changes)
    # The matrix pressed every class: this outsider was really asked all of them.
    assert len(updates) >= len(callback_classes())


def test_the_markers_are_distinct() -> None:
    assert len(set(PRIVATE_MARKERS + MUNICIPAL_MARKERS)) == len(PRIVATE_MARKERS + MUNICIPAL_MARKERS)
