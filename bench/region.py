"""A region-sized database for the update-path benchmark, bulk-inserted with SQLAlchemy core.

Defaults are a Stavropol-sized region: 600 schools in 33 municipalities, 25,000 teachers with
1,000 tutors (every teacher assigned one in their municipality), a coordinator per
municipality, three communities each, 30,000 threads with two messages each and 20,000
consultations. Ids are given explicitly, so the benchmark knows whose thread is whose without
asking; on PostgreSQL the id sequences are moved past them afterwards.

Who is who is returned as `RegionPeople`: the benchmark builds its updates from it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.models import (
    Base,
    Community,
    CommunityMembership,
    CompetenceBlock,
    Consultation,
    ConsultationFormat,
    ConsultationTeacher,
    MessageDirection,
    Municipality,
    Person,
    PersonRole,
    PersonStatus,
    PersonSubject,
    Region,
    Role,
    School,
    Thread,
    ThreadMessage,
    ThreadStatus,
    TutorAssignment,
)

TEACHER_TG = 100_000_000
TUTOR_TG = 200_000_000
COORDINATOR_TG = 300_000_000
# Message ids of the seeded history live far below those the benchmark's updates use.
HISTORY_MESSAGE_ID = 1_000_000
ROWS_PER_STATEMENT = 2_000

SURNAMES = (
    "Иванова",
    "Петрова",
    "Смирнова",
    "Кузнецова",
    "Попова",
    "Васильева",
    "Соколова",
    "Михайлова",
    "Новикова",
    "Фёдорова",
    "Морозова",
    "Волкова",
    "Алексеева",
    "Лебедева",
)
NAMES = ("Анна", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Мария")
PATRONYMICS = ("Ивановна", "Петровна", "Сергеевна", "Николаевна", "Викторовна", "Юрьевна")
SUBJECTS = (
    "Русский язык",
    "Математика",
    "Физика",
    "Химия",
    "Биология",
    "История",
    "География",
    "Английский язык",
    "Информатика",
    "Начальные классы",
)
COMMUNITY_NAMES = ("Инфомир", "Матрица", "Открытый урок")


@dataclass(frozen=True)
class RegionSize:
    municipalities: int = 33
    schools: int = 600
    teachers: int = 25_000
    tutors: int = 1_000
    consultations: int = 20_000
    threads: int = 30_000
    # Of the threads, this share is still open or answered (one per teacher at most).
    unclosed_share: float = 0.2

    def scaled(self, factor: float) -> RegionSize:
        return RegionSize(
            municipalities=max(3, round(self.municipalities * factor)),
            schools=max(10, round(self.schools * factor)),
            teachers=max(100, round(self.teachers * factor)),
            tutors=max(10, round(self.tutors * factor)),
            consultations=max(50, round(self.consultations * factor)),
            threads=max(100, round(self.threads * factor)),
            unclosed_share=self.unclosed_share,
        )


@dataclass
class Teacher:
    person_id: int
    telegram_id: int
    municipality_id: int
    tutor_person_id: int
    tutor_telegram_id: int
    # Threads of this teacher (newest last) and the unclosed one, if any.
    threads: list[int] = field(default_factory=list)
    unclosed_thread: int | None = None
    communities: list[int] = field(default_factory=list)
    member_of: set[int] = field(default_factory=set)


@dataclass
class Tutor:
    person_id: int
    telegram_id: int
    municipality_id: int
    teachers: list[int] = field(default_factory=list)  # person ids
    threads: list[int] = field(default_factory=list)


@dataclass
class Coordinator:
    person_id: int
    telegram_id: int
    municipality_id: int


@dataclass
class RegionPeople:
    size: RegionSize
    region_id: int
    teachers: list[Teacher]
    tutors: list[Tutor]
    coordinators: list[Coordinator]
    rows: int = 0

    def tutor(self, person_id: int) -> Tutor:
        return self.tutors[person_id - 1]


def _name(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(NAMES)} {rng.choice(PATRONYMICS)}"


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        yield rows[start : start + ROWS_PER_STATEMENT]


async def _insert(connection: AsyncConnection, table: Any, rows: Sequence[dict[str, Any]]) -> int:
    target: Table = table.__table__
    for chunk in _chunks(rows):
        await connection.execute(insert(target), list(chunk))
    return len(rows)


async def build_region(
    engine: AsyncEngine, size: RegionSize, *, create_schema: bool, seed: int = 2025
) -> RegionPeople:
    """Fill an empty database (SQLite: creating its tables first) with a region."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    consent = now - timedelta(days=200)
    starts_on = date(now.year - 1, 9, 1)
    if create_schema:
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)

    municipality_ids = list(range(1, size.municipalities + 1))
    schools: list[dict[str, Any]] = [
        {
            "id": number,
            "municipality_id": municipality_ids[(number - 1) % size.municipalities],
            "name": f"МКОУ СОШ № {number}",
            "short_name": f"СОШ № {number}",
            "low_results": number % 3 == 0,
            "unfavourable_conditions": number % 4 == 0,
            "is_leader": number % 25 == 0,
        }
        for number in range(1, size.schools + 1)
    ]
    schools_of: dict[int, list[int]] = {m: [] for m in municipality_ids}
    for school in schools:
        schools_of[school["municipality_id"]].append(school["id"])

    people: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    subjects: list[dict[str, Any]] = []
    tutors: list[Tutor] = []
    teachers: list[Teacher] = []
    coordinators: list[Coordinator] = []
    phone = iter(range(10_000_000))

    def add_person(person_id: int, telegram_id: int, municipality_id: int, school_id: int) -> None:
        people.append(
            {
                "id": person_id,
                "telegram_id": telegram_id,
                "full_name": _name(rng),
                "phone": f"+7999{next(phone):07d}",
                "municipality_id": municipality_id,
                "school_id": school_id,
                "locale": "ru",
                "consent_at": consent,
                "status": PersonStatus.ACTIVE,
            }
        )

    # Tutors first (ids 1..tutors), spread over the municipalities.
    tutors_of: dict[int, list[Tutor]] = {m: [] for m in municipality_ids}
    for index in range(size.tutors):
        person_id = index + 1
        municipality_id = municipality_ids[index % size.municipalities]
        tutor = Tutor(person_id, TUTOR_TG + person_id, municipality_id)
        tutors.append(tutor)
        tutors_of[municipality_id].append(tutor)
        add_person(
            person_id, tutor.telegram_id, municipality_id, rng.choice(schools_of[municipality_id])
        )
        roles.append({"person_id": person_id, "role": Role.TUTOR})
    # Teachers: school by school, each with a tutor of their municipality.
    assignments: list[dict[str, Any]] = []
    for index in range(size.teachers):
        person_id = size.tutors + index + 1
        school = schools[index % size.schools]
        municipality_id = school["municipality_id"]
        tutor = rng.choice(tutors_of[municipality_id])
        teacher = Teacher(
            person_id,
            TEACHER_TG + index + 1,
            municipality_id,
            tutor.person_id,
            tutor.telegram_id,
        )
        teachers.append(teacher)
        tutor.teachers.append(person_id)
        add_person(person_id, teacher.telegram_id, municipality_id, school["id"])
        roles.append({"person_id": person_id, "role": Role.TEACHER})
        if index < size.schools:  # the first teacher of every school leads it
            roles.append({"person_id": person_id, "role": Role.SCHOOL_LEADER})
        subjects.append({"person_id": person_id, "subject": rng.choice(SUBJECTS)})
        assignments.append(
            {"tutor_id": tutor.person_id, "teacher_id": person_id, "starts_on": starts_on}
        )
    first_coordinator = size.tutors + size.teachers + 1
    for index, municipality_id in enumerate(municipality_ids):
        person_id = first_coordinator + index
        coordinator = Coordinator(person_id, COORDINATOR_TG + index + 1, municipality_id)
        coordinators.append(coordinator)
        add_person(
            person_id, coordinator.telegram_id, municipality_id, schools_of[municipality_id][0]
        )
        roles.append(
            {"person_id": person_id, "role": Role.COORDINATOR, "municipality_id": municipality_id}
        )
    for number, row in enumerate(roles, start=1):
        row["id"] = number
        row.setdefault("municipality_id", None)
        row.setdefault("region_id", None)

    communities: list[dict[str, Any]] = []
    communities_of: dict[int, list[int]] = {m: [] for m in municipality_ids}
    for municipality_id in municipality_ids:
        for name in COMMUNITY_NAMES:
            community_id = len(communities) + 1
            communities.append(
                {
                    "id": community_id,
                    "municipality_id": municipality_id,
                    "name": name,
                    "description": f"Сетевое сообщество «{name}»",
                    "is_active": True,
                }
            )
            communities_of[municipality_id].append(community_id)
    memberships: list[dict[str, Any]] = []
    for teacher in teachers:
        teacher.communities = communities_of[teacher.municipality_id]
        if rng.random() < 0.3:
            community_id = rng.choice(teacher.communities)
            teacher.member_of.add(community_id)
            memberships.append({"community_id": community_id, "person_id": teacher.person_id})

    threads: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    unclosed_wanted = min(int(size.threads * size.unclosed_share), len(teachers))
    # One unclosed thread per teacher at most, as the bot keeps it.
    unclosed_teachers = rng.sample(range(len(teachers)), unclosed_wanted)
    message_id = HISTORY_MESSAGE_ID
    for index in range(size.threads):
        thread_id = index + 1
        if index < unclosed_wanted:
            teacher = teachers[unclosed_teachers[index]]
            status = ThreadStatus.OPEN if index % 2 else ThreadStatus.ANSWERED
        else:
            teacher = rng.choice(teachers)
            status = ThreadStatus.CLOSED
        started = now - timedelta(days=rng.randint(2, 330), minutes=rng.randint(0, 600))
        answered = started + timedelta(hours=rng.randint(1, 30))
        last = started if status == ThreadStatus.OPEN else answered
        threads.append(
            {
                "id": thread_id,
                "teacher_id": teacher.person_id,
                "tutor_id": teacher.tutor_person_id,
                "municipality_id": teacher.municipality_id,
                "school_id": people[teacher.person_id - 1]["school_id"],
                "status": status,
                "created_at": started,
                "last_activity_at": last,
                "waiting_since": started if status == ThreadStatus.OPEN else None,
                "first_answer_at": None if status == ThreadStatus.OPEN else answered,
                "closed_at": answered + timedelta(days=1)
                if status == ThreadStatus.CLOSED
                else None,
                "closed_automatically": False,
                "rating": rng.randint(3, 5) if status == ThreadStatus.CLOSED else None,
            }
        )
        teacher.threads.append(thread_id)
        if status != ThreadStatus.CLOSED:
            teacher.unclosed_thread = thread_id
        tutors[teacher.tutor_person_id - 1].threads.append(thread_id)
        exchange = [
            (
                MessageDirection.FROM_TEACHER,
                teacher.person_id,
                teacher.telegram_id,
                teacher.tutor_telegram_id,
                started,
            )
        ]
        if status != ThreadStatus.OPEN:
            exchange.append(
                (
                    MessageDirection.FROM_TUTOR,
                    teacher.tutor_person_id,
                    teacher.tutor_telegram_id,
                    teacher.telegram_id,
                    answered,
                )
            )
        for direction, author, source_chat, relayed_chat, moment in exchange:
            message_id += 2
            messages.append(
                {
                    "id": len(messages) + 1,
                    "thread_id": thread_id,
                    "author_id": author,
                    "direction": direction,
                    "content_kind": "text",
                    "source_chat_id": source_chat,
                    "source_message_id": message_id,
                    "relayed_chat_id": relayed_chat,
                    "relayed_message_id": message_id + 1,
                    "created_at": moment,
                }
            )

    consultations: list[dict[str, Any]] = []
    consultation_teachers: list[dict[str, Any]] = []
    formats = list(ConsultationFormat)
    blocks = list(CompetenceBlock)
    for index in range(size.consultations):
        tutor = tutors[index % len(tutors)]
        if not tutor.teachers:
            continue
        chosen = rng.sample(tutor.teachers, min(len(tutor.teachers), rng.choice((1, 1, 2))))
        first = people[chosen[0] - 1]
        consultation_id = len(consultations) + 1
        consultations.append(
            {
                "id": consultation_id,
                "tutor_id": tutor.person_id,
                "school_id": first["school_id"],
                "municipality_id": first["municipality_id"],
                "held_on": (now - timedelta(days=rng.randint(1, 300))).date(),
                "format": rng.choice(formats),
                "block": rng.choice(blocks),
                "topic": "Разбор урока: формирующее оценивание",
                "duration_minutes": rng.choice((30, 45, 60, 90)),
                "outcome": None,
                "whole_school": False,
                "thread_id": None,
            }
        )
        consultation_teachers += [
            {"consultation_id": consultation_id, "teacher_id": teacher_id} for teacher_id in chosen
        ]

    rows = 0
    async with engine.begin() as connection:
        rows += await _insert(connection, Region, [{"id": 1, "name": "Ставропольский край"}])
        rows += await _insert(
            connection,
            Municipality,
            [
                {"id": m, "region_id": 1, "name": f"Муниципальный округ № {m}"}
                for m in municipality_ids
            ],
        )
        rows += await _insert(connection, School, schools)
        rows += await _insert(connection, Person, people)
        rows += await _insert(connection, PersonRole, roles)
        rows += await _insert(connection, PersonSubject, subjects)
        rows += await _insert(connection, TutorAssignment, assignments)
        rows += await _insert(connection, Community, communities)
        rows += await _insert(connection, CommunityMembership, memberships)
        rows += await _insert(connection, Thread, threads)
        rows += await _insert(connection, ThreadMessage, messages)
        rows += await _insert(connection, Consultation, consultations)
        rows += await _insert(connection, ConsultationTeacher, consultation_teachers)
        if connection.dialect.name == "postgresql":
            await _advance_sequences(connection)
    return RegionPeople(size, 1, teachers, tutors, coordinators, rows=rows)


async def _advance_sequences(connection: AsyncConnection) -> None:
    """Explicit ids leave PostgreSQL's sequences at 1: move each past its table's ids."""
    for table in Base.metadata.sorted_tables:
        column = table.columns.get("id")
        if column is None or not column.autoincrement or not column.primary_key:
            continue
        await connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
            )
        )
