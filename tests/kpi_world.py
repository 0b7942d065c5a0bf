"""The KPI test data set: one region, the Grachevka municipality (calendar years) with three
participating schools in YEAR and a neighbour municipality with one. The hand computation of
every figure is in `tests/test_kpi.py`'s docstring; keep the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import program_years
from storage.models import (
    Answer,
    CheckStage,
    Community,
    CommunityMembership,
    CompetenceBlock,
    Consultation,
    ConsultationFormat,
    ConsultationTeacher,
    Deadline,
    DeadlineKind,
    DeadlineTask,
    EventScope,
    EventStatus,
    Municipality,
    Person,
    ProgramLevel,
    Region,
    Response,
    ResponseStatus,
    Responsible,
    Role,
    School,
    SectionScore,
    Survey,
    TaskStatus,
)
from tests import event_world as ev
from tests import seed

YEAR = 2025
TODAY = date(2026, 1, 20)  # the year is over
COORDINATOR = 9301
FOREIGN_COORDINATOR = 9302
ADMIN = 9303


def at(month: int, day: int = 10, year: int = YEAR) -> datetime:
    return datetime(year, month, day, 7, 0, tzinfo=UTC)


@dataclass
class World:
    region: int
    mun: int
    other: int
    schools: dict[str, int]
    teachers: dict[str, int]


async def _teacher(
    db: AsyncSession, name: str, mun: Municipality, school: School, subjects: list[str]
) -> Person:
    return await seed.person(
        db, name=name, roles=[Role.TEACHER], municipality=mun, school=school, subjects=subjects
    )


async def _check(
    db: AsyncSession,
    person: Person,
    when: datetime,
    stage: CheckStage,
    scores: dict[str, float] | None = None,
) -> None:
    response = Response(
        scenario_id="self_check_teacher",
        scenario_version="1",
        person_id=person.id,
        school_id=person.school_id,
        municipality_id=person.municipality_id,
        status=ResponseStatus.SUBMITTED,
        program_year=when.year,
        stage=stage,
        submitted_at=when,
    )
    db.add(response)
    await db.flush()
    for section, percent in (scores or {"subject": 50.0, "methodical": 50.0}).items():
        db.add(
            SectionScore(
                response_id=response.id,
                section_id=section,
                score=percent,
                max_score=100.0,
                percent=percent,
                level="mid",
            )
        )
    await db.flush()


async def _parents_survey(
    db: AsyncSession, mun: Municipality, created: datetime, values: list[int]
) -> None:
    survey = Survey(
        scenario_id="parents_satisfaction",
        municipality_id=mun.id,
        audience={},
        anonymous=True,
        deadline=created + timedelta(days=14),
        created_at=created,
    )
    db.add(survey)
    await db.flush()
    for value in values:
        response = Response(
            scenario_id="parents_satisfaction",
            scenario_version="1",
            survey_id=survey.id,
            status=ResponseStatus.SUBMITTED,
            submitted_at=created + timedelta(days=1),
        )
        db.add(response)
        await db.flush()
        db.add(
            Answer(
                response_id=response.id,
                question_id="overall",
                value=value,
                answered_at=created + timedelta(days=1),
            )
        )
        # Not a scale question: not counted.
        db.add(
            Answer(
                response_id=response.id,
                question_id="grade_band",
                value="primary",
                answered_at=created + timedelta(days=1),
            )
        )
    await db.flush()


async def _deadline(
    db: AsyncSession,
    mun: Municipality,
    kind: DeadlineKind,
    due: date,
    tasks: list[tuple[School, datetime | None]],
) -> None:
    deadline = Deadline(
        municipality_id=mun.id,
        year=YEAR,
        kind=kind,
        title=f"{kind.value} {due}",
        responsible=Responsible.SCHOOL_LEADERS,
        starts_on=due - timedelta(days=30),
        due_on=due,
    )
    db.add(deadline)
    await db.flush()
    for school, done_at in tasks:
        db.add(
            DeadlineTask(
                deadline_id=deadline.id,
                target_key=f"s{school.id}",
                school_id=school.id,
                status=TaskStatus.DONE if done_at else TaskStatus.PENDING,
                done_at=done_at,
            )
        )
    await db.flush()


async def build(db: AsyncSession) -> World:
    mun, a, d = await seed.place(db)  # a: low results; d: the leader school, not taking part
    region = await db.get(Region, mun.region_id)
    assert region is not None
    other = Municipality(region_id=mun.region_id, name="Кировский городской округ")
    db.add(other)
    await db.flush()
    b = School(municipality_id=mun.id, name="МКОУ ООШ № 9", unfavourable_conditions=True)
    c = School(municipality_id=mun.id, name="МКОУ СОШ № 5", low_results=True)
    e = School(municipality_id=other.id, name="МБОУ СОШ № 33", low_results=True)
    db.add_all([b, c, e])
    await db.flush()
    for school, joined in ((a, None), (b, None), (c, date(YEAR, 7, 1)), (e, None)):
        await program_years.set_participation(
            db,
            school,
            YEAR,
            low_results=school is not b,
            unfavourable_conditions=school is b,
            level=ProgramLevel.MUNICIPAL,
            joined_on=joined,
        )

    await seed.person(
        db, name="Координатор", roles=[Role.COORDINATOR], municipality=mun, telegram_id=COORDINATOR
    )
    await seed.person(
        db,
        name="Чужой координатор",
        roles=[Role.COORDINATOR],
        municipality=other,
        telegram_id=FOREIGN_COORDINATOR,
    )
    await seed.person(db, name="Админ", roles=[Role.ADMIN], municipality=mun, telegram_id=ADMIN)

    t1 = await _teacher(db, "Т1", mun, a, ["русский язык"])
    t2 = await _teacher(db, "Т2", mun, a, ["математика"])
    t3 = await _teacher(db, "Т3", mun, a, ["история"])
    t4 = await _teacher(db, "Т4", mun, b, ["Математика"])
    t5 = await _teacher(db, "Т5", mun, b, ["физика"])
    t6 = await _teacher(db, "Т6", mun, c, ["русский язык"])
    t7 = await _teacher(db, "Т7", mun, d, ["русский язык"])  # school not taking part
    await _teacher(db, "Т8", other, e, ["русский язык"])

    # Self-checks.
    await _check(db, t1, at(2), CheckStage.ENTRY, {"subject": 40.0, "methodical": 40.0})
    await _check(db, t1, at(11), CheckStage.FINAL, {"subject": 60.0, "methodical": 55.0})
    await _check(db, t2, at(2), CheckStage.ENTRY, {"subject": 40.0, "methodical": 60.0})
    await _check(db, t2, at(11), CheckStage.FINAL, {"subject": 70.0, "methodical": 50.0})
    await _check(db, t4, at(3), CheckStage.ENTRY)
    await _check(db, t5, at(4), CheckStage.ENTRY)
    await _check(db, t7, at(4), CheckStage.ENTRY)
    await _check(db, t3, at(4, year=YEAR - 1), CheckStage.ENTRY)  # the year before

    # Communities (dated by their members' joining).
    k1 = Community(municipality_id=mun.id, name="Словесники", horizontal_learning=True)
    k2 = Community(
        municipality_id=mun.id, name="Закрытое", horizontal_learning=True, is_active=False
    )
    k3 = Community(municipality_id=mun.id, name="Физики", horizontal_learning=False)
    db.add_all([k1, k2, k3])
    await db.flush()
    for community, person in ((k1, t1), (k1, t4), (k2, t6), (k3, t5)):
        db.add(
            CommunityMembership(community_id=community.id, person_id=person.id, joined_at=at(1, 15))
        )

    # Consultations.
    for school, day, teacher in (
        (a, date(YEAR, 5, 5), t3),
        (c, date(YEAR, 3, 1), None),  # before C joined
        (d, date(YEAR, 5, 5), None),  # not taking part
        (b, date(YEAR - 1, 12, 1), None),  # the year before
    ):
        consultation = Consultation(
            school_id=school.id,
            municipality_id=school.municipality_id,
            held_on=day,
            format=ConsultationFormat.IN_PERSON,
            block=CompetenceBlock.SUBJECT,
            topic="Смысловое чтение",
            duration_minutes=60,
        )
        db.add(consultation)
        await db.flush()
        if teacher is not None:
            db.add(ConsultationTeacher(consultation_id=consultation.id, teacher_id=teacher.id))

    # Events.
    base = {"municipality_id": mun.id, "status": EventStatus.HELD}
    for month in (2, 4, 5):
        await ev.event(
            db, **base, type_id="desant", starts_at=at(month), hours=6,
            length=timedelta(hours=6), host_school_id=a.id,
        )  # fmt: skip
    await ev.event(
        db, municipality_id=mun.id, type_id="desant", starts_at=at(6),
        status=EventStatus.CANCELLED,
    )  # fmt: skip
    await ev.event(db, municipality_id=mun.id, type_id="desant", starts_at=at(7),
                   status=EventStatus.DRAFT)  # fmt: skip
    await ev.event(db, **base, type_id="desant", starts_at=at(1, 10, YEAR + 1))
    await ev.event(db, **base, type_id="seminar", starts_at=at(3), host_school_id=c.id)
    await ev.event(db, **base, type_id="seminar", starts_at=at(9), host_school_id=b.id)
    for month in (3, 4, 10):
        await ev.event(db, **base, type_id="seminar", starts_at=at(month, 20), hours=2,
                       length=timedelta(hours=2))  # fmt: skip
    for month in (2, 5):
        await ev.event(db, **base, type_id="experience_exchange", scope=EventScope.SCHOOL,
                       starts_at=at(month, 25), hours=2, length=timedelta(hours=2))  # fmt: skip
    for month in (3, 6):
        await ev.event(db, **base, type_id="webinar", scope=EventScope.REGIONAL,
                       starts_at=at(month, 15), hours=1, length=timedelta(hours=1))  # fmt: skip
    await ev.event(
        db, municipality_id=None, region_id=region.id, status=EventStatus.HELD,
        type_id="webinar", scope=EventScope.REGIONAL, starts_at=at(8, 15), hours=1,
        length=timedelta(hours=1),
    )  # fmt: skip
    # Intermunicipal seminars: 40 people from 2 districts (counted), 39 (not).
    guests = [
        await seed.person(db, name=f"Гость {n}", roles=[], municipality=mun if n % 2 else other)
        for n in range(40)
    ]
    full = await ev.event(db, **base, type_id="seminar", scope=EventScope.INTERMUNICIPAL,
                          starts_at=at(10, 5))  # fmt: skip
    short = await ev.event(db, **base, type_id="seminar", scope=EventScope.INTERMUNICIPAL,
                           starts_at=at(10, 6))  # fmt: skip
    for guest in guests:
        await ev.came(db, full, guest)
    for guest in guests[:39]:
        await ev.came(db, short, guest)

    # Deadlines: plan-graph items and monitoring stages.
    await _deadline(db, mun, DeadlineKind.PLAN, date(YEAR, 3, 31),
                    [(a, at(3, 20)), (b, at(4, 5))])  # fmt: skip
    await _deadline(db, mun, DeadlineKind.PLAN, date(YEAR, 6, 30), [(a, None)])
    await _deadline(db, mun, DeadlineKind.PLAN, date(YEAR + 1, 2, 15), [(a, None)])
    await _deadline(db, mun, DeadlineKind.MONITORING, date(YEAR, 3, 31),
                    [(a, at(3, 30)), (b, at(4, 20))])  # fmt: skip
    await _deadline(db, mun, DeadlineKind.MONITORING, date(YEAR, 11, 30), [(c, None)])

    # Parents' surveys: 2 of 4 satisfied, then 3 of 4.
    await _parents_survey(db, mun, at(2, 1), [5, 4, 2, 1])
    await _parents_survey(db, mun, at(11, 1), [5, 4, 4, 2])
    await db.commit()
    return World(
        region=region.id,
        mun=mun.id,
        other=other.id,
        schools={"a": a.id, "b": b.id, "c": c.id, "d": d.id, "e": e.id},
        teachers={
            n: p.id
            for n, p in (("t1", t1), ("t2", t2), ("t3", t3), ("t4", t4), ("t5", t5), ("t6", t6))
        },
    )
