"""Check-then-act races: two people (or two jobs) doing the same thing at the same moment.

Each test runs the two actions concurrently over separate sessions (as two updates or two jobs
would run), several times, and checks what is stored. They matter most on PostgreSQL, where
the two transactions really overlap; on SQLite writers take turns, and the tests still hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.callbacks import JoinDecisionCb
from bot.errors import DomainError
from bot.services import invites, onboarding, privacy, roster, roster_apply
from bot.services.jobs import ROSTER_APPLY
from config.settings import Settings
from storage.models import (
    BackgroundJob,
    Invite,
    JobStatus,
    JoinRequest,
    JoinRequestStatus,
    Person,
    PersonRole,
    PersonStatus,
    PersonSubject,
    Role,
    School,
    TutorAssignment,
)
from storage.repositories.people import PeopleRepo
from tests import seed
from tests.factories import make_callback, make_message, update_with
from tests.harness import Harness
from tests.recording_session import BOT_USER

T = TypeVar("T")
RUNS = 5
FIRST_COORDINATOR_ID, SECOND_COORDINATOR_ID = 7101, 7102


async def in_own_session(
    pool: async_sessionmaker[AsyncSession], work: Callable[[AsyncSession], Awaitable[T]]
) -> T | DomainError:
    """One update's transaction: committed if the service agreed, rolled back if it refused."""
    async with pool() as session:
        try:
            result = await work(session)
        except DomainError as refusal:
            await session.rollback()
            return refusal
        await session.commit()
        return result


@contextlib.asynccontextmanager
async def in_session_of(db: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Another session on the same database, committed at the end: another person's update."""
    assert db.bind is not None
    async with AsyncSession(db.bind, expire_on_commit=False) as session:
        yield session
        await session.commit()


# --- a join request approved and declined at once --------------------------------------------
async def two_coordinators(db: AsyncSession) -> tuple[Person, Person, int]:
    mun, low, _ = await seed.place(db)
    first = await seed.person(
        db,
        name="Первый Координатор Ольга",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=FIRST_COORDINATOR_ID,
    )
    second = await seed.person(
        db,
        name="Второй Координатор Анна",
        roles=[Role.COORDINATOR],
        municipality=mun,
        telegram_id=SECOND_COORDINATOR_ID,
    )
    await db.commit()
    return first, second, low.id


async def pending_request(db: AsyncSession, school_id: int, number: int) -> JoinRequest:
    applicant = Person(telegram_id=7200 + number, locale="ru", roles=[], subjects=[])
    db.add(applicant)
    await db.flush()
    request = await onboarding.submit_join_request(
        db, applicant, school_id=school_id, full_name=f"Заявитель Номер{'а' * number}", subject=None
    )
    await db.commit()
    return request


async def teacher_grants(db: AsyncSession, person_id: int) -> int:
    return int(
        await db.scalar(
            select(func.count())
            .select_from(PersonRole)
            .where(PersonRole.person_id == person_id, PersonRole.role == Role.TEACHER)
        )
        or 0
    )


async def test_approve_and_decline_at_once_leave_one_consistent_decision(
    session_pool: async_sessionmaker[AsyncSession], db: AsyncSession
) -> None:
    first, second, school_id = await two_coordinators(db)
    first_id, second_id = first.id, second.id
    for number in range(1, RUNS + 1):
        request_id = (await pending_request(db, school_id, number)).id

        async def decide(
            coordinator_id: int, approve: bool, request_id: int = request_id
        ) -> object:
            async def work(session: AsyncSession) -> object:
                me = await session.get(Person, coordinator_id)
                assert me is not None
                return await onboarding.decide_join_request(
                    session, me, request_id, approve=approve
                )

            return await in_own_session(session_pool, work)

        approved, declined = await asyncio.gather(decide(first_id, True), decide(second_id, False))

        refusals = [r for r in (approved, declined) if isinstance(r, DomainError)]
        assert len(refusals) == 1, (approved, declined)
        db.expire_all()
        stored = await db.get(JoinRequest, request_id)
        assert stored is not None
        grants = await teacher_grants(db, stored.person_id)
        if isinstance(declined, DomainError):
            # The approval won: the decliner is told so, and the person is a teacher.
            assert declined.key == "join.request_already_approved"
            assert stored.status == JoinRequestStatus.APPROVED
            assert stored.decided_by_id == first_id
            assert grants == 1
        else:
            assert isinstance(approved, DomainError)
            assert approved.key == "join.request_already_declined"
            assert stored.status == JoinRequestStatus.DECLINED
            assert stored.decided_by_id == second_id
            assert grants == 0


async def test_the_later_coordinator_reads_how_the_request_was_decided(
    harness: Harness, db: AsyncSession
) -> None:
    _, _, school_id = await two_coordinators(db)
    request_id = (await pending_request(db, school_id, 1)).id

    # Both taps arrive in one batch of updates and are handled concurrently.
    taps = []
    for user_id, approve in ((FIRST_COORDINATOR_ID, True), (SECOND_COORDINATOR_ID, False)):
        user = harness.user(user_id)
        card = make_message(user, "…").model_copy(update={"from_user": BOT_USER})
        data = JoinDecisionCb(request_id=request_id, approve=approve).pack()
        taps.append(update_with(callback_query=make_callback(user, data, card)))
    await harness.feed_many(taps)

    db.expire_all()
    stored = await db.get(JoinRequest, request_id)
    assert stored is not None and stored.status != JoinRequestStatus.PENDING
    answers = "\n".join(
        harness.texts_to(FIRST_COORDINATOR_ID) + harness.texts_to(SECOND_COORDINATOR_ID)
    )
    if stored.status == JoinRequestStatus.APPROVED:
        assert "Заявка принята" in answers and "уже принято: заявка принята" in answers
        assert await teacher_grants(db, stored.person_id) == 1
    else:
        assert "Заявка отклонена" in answers and "уже принято: заявка отклонена" in answers
        assert await teacher_grants(db, stored.person_id) == 0


# --- two overlapping rosters applied at once ---------------------------------------------------
ROSTER_PEOPLE = 50
ROSTER_HEADER = ["ФИО", "Телефон", "Школа", "Роль", "Предметы", "Наставник"]
NEW_SCHOOL = "Гимназия № 5"
SCHOOLS = [
    ["Название", "Краткое название", "ШНОР", "ШНСУ", "Школа-лидер"],
    ["МБОУ Гимназия № 5 с. Грачёвка", NEW_SCHOOL, "нет", "да", "нет"],
]
TUTOR = ["Орлов Игорь Петрович", "+7 918 444-55-66", "СОШ № 1", "наставник", "", ""]


def roster_file(rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Участники"
    sheet.append(ROSTER_HEADER)
    for row in rows:
        sheet.append(row)
    schools = workbook.create_sheet("Школы")
    for row in SCHOOLS:
        schools.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def teacher_rows(subject: str, school: str = "СОШ № 2") -> list[list[str]]:
    letters = "абвгдежзиклмнопрстуфхцчшщэюя"
    return [
        [
            f"Учитель{letters[n // 10]}{letters[n % 10]} Иван Петрович",
            f"+7 918 555-{n // 100:02d}-{n % 100:02d}",
            school,
            "учитель",
            subject,
            "Орлов Игорь Петрович",
        ]
        for n in range(ROSTER_PEOPLE)
    ]


async def count_where(db: AsyncSession, model: Any, *conditions: Any) -> int:
    return int(await db.scalar(select(func.count()).select_from(model).where(*conditions)) or 0)


async def test_overlapping_rosters_applied_at_once_make_one_person_per_phone(
    harness: Harness, db: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks: each apply commits many times, and the two interleave between commits.
    monkeypatch.setattr(roster_apply, "CHUNK_ROWS", 7)
    for run in range(3):
        mun, _, _ = await seed.place(db, f"Округ номер {run}")
        mun_id = mun.id
        ids = (7300 + 2 * run, 7301 + 2 * run)
        for user_id in ids:
            await seed.person(
                db,
                name=f"Координатор Номер{'о' * (user_id - 7299)}",
                roles=[Role.COORDINATOR],
                municipality=mun,
                telegram_id=user_id,
            )
        await db.commit()
        # The same people in both files, listed in opposite orders, with different subjects,
        # in a school that is new to the municipality.
        first = roster_file([TUTOR, *teacher_rows("Математика", NEW_SCHOOL)])
        second = roster_file([*reversed(teacher_rows("Физика", NEW_SCHOOL)), TUTOR])
        await harness.upload(ids[0], "первый.xlsx", first)
        await harness.upload(ids[1], "второй.xlsx", second)
        await harness.run_jobs()
        for user_id in ids:
            assert f"Новых участников: {ROSTER_PEOPLE + 1}" in harness.last_text(user_id)
            await harness.press(user_id, "Применить")

        # Both apply jobs are due now; the runner runs them concurrently.
        assert await harness.run_jobs() == 2

        db.expire_all()
        in_roster = (Person.municipality_id == mun_id, Person.phone.is_not(None))
        assert await count_where(db, Person, *in_roster) == ROSTER_PEOPLE + 1
        distinct_phones = await db.scalar(
            select(func.count(func.distinct(Person.phone))).where(*in_roster)
        )
        assert distinct_phones == ROSTER_PEOPLE + 1
        people = select(Person.id).where(*in_roster)
        assert await count_where(db, PersonRole, PersonRole.person_id.in_(people)) == (
            ROSTER_PEOPLE + 1
        )
        # Each teacher has both subjects once, and one tutor assignment.
        assert await count_where(db, PersonSubject, PersonSubject.person_id.in_(people)) == (
            2 * ROSTER_PEOPLE
        )
        assert (
            await count_where(db, TutorAssignment, TutorAssignment.teacher_id.in_(people))
            == ROSTER_PEOPLE
        )
        schools = select(School.id).where(School.municipality_id == mun_id)
        assert await count_where(db, School, School.municipality_id == mun_id) == 3
        # Everyone is in one of the municipality's three schools.
        assert await count_where(db, Person, *in_roster, Person.school_id.not_in(schools)) == 0
        jobs = (
            await db.scalars(select(BackgroundJob).where(BackgroundJob.kind == ROSTER_APPLY))
        ).all()
        assert [job.status for job in jobs[-2:]] == [JobStatus.DONE, JobStatus.DONE]
        for user_id in ids:
            assert "Список участников загружен" in harness.last_text(user_id)


# --- one invite used by two people at once -----------------------------------------------------
async def test_an_invite_used_by_two_people_at_once_admits_one(
    session_pool: async_sessionmaker[AsyncSession], db: AsyncSession
) -> None:
    mun, low, _ = await seed.place(db)
    await db.commit()
    mun_id, school_id = mun.id, low.id
    for number in range(RUNS):
        created = await invites.create_invite(
            db,
            created_by=None,
            role=Role.TEACHER,
            municipality_id=mun_id,
            school=await db.get(School, school_id),
            ttl=timedelta(days=1),
        )
        await db.commit()
        code, invite_id = created.code, created.invite.id
        telegram_ids = (7400 + 2 * number, 7401 + 2 * number)

        def redeem(telegram_id: int, code: str = code) -> Awaitable[Person | DomainError]:
            async def work(session: AsyncSession) -> Person:
                return await invites.redeem(
                    session, code, telegram_id=telegram_id, locale="ru", guest=None
                )

            return in_own_session(session_pool, work)

        outcomes = await asyncio.gather(*(redeem(telegram_id) for telegram_id in telegram_ids))

        refused = [o for o in outcomes if isinstance(o, DomainError)]
        assert [r.key for r in refused] == ["invite.used"]
        joined = await db.scalars(select(Person).where(Person.telegram_id.in_(telegram_ids)))
        assert len(joined.all()) == 1
        db.expire_all()
        invite = await db.get(Invite, invite_id)
        assert invite is not None and invite.used_by_id is not None


# --- /forget while a roster is being applied ---------------------------------------------------
async def test_a_person_forgotten_during_an_apply_stays_forgotten(
    db: AsyncSession, settings: Settings
) -> None:
    """The plan was made while the person was still there; they used /forget before the apply
    wrote its updates. Their name and phone must not come back."""
    mun, low, _ = await seed.place(db)
    anna = await seed.person(
        db,
        name="Петрова Анна",
        roles=[Role.TEACHER],
        municipality=mun,
        school=low,
        phone="+79181112233",
    )
    await db.commit()
    mun_id, anna_id = mun.id, anna.id
    renamed = [["Петрова Анна Ивановна", "+7 918 111-22-33", "СОШ № 2", "учитель", "", ""]]
    parsed = roster.read_file(
        roster_file(renamed), "список.xlsx", max_upload_bytes=settings.roster_max_bytes
    )
    plan = await roster.plan_import(db, mun_id, "Округ", parsed)
    assert plan.report.updated_people == 1

    async with in_session_of(db) as other:
        forgotten = await other.get(Person, anna_id)
        assert forgotten is not None
        await privacy.forget(other, forgotten, telegram_id=0, redis=None, settings=settings)
    await roster.apply_plan(db, plan)
    await db.commit()

    db.expire_all()
    stored = await db.get(Person, anna_id)
    assert stored is not None and stored.status == PersonStatus.FORGOTTEN
    assert (stored.full_name, stored.phone) == (None, None)


async def test_a_role_granted_by_someone_else_meanwhile_is_granted_once(
    session_pool: async_sessionmaker[AsyncSession],
) -> None:
    """A join approval grants «педагог» while a roster apply has just granted it from another
    session: the person's loaded roles do not show it yet, and the unique index must not turn
    the approval into an error."""
    async with session_pool() as session:
        municipality, _, _ = await seed.place(session)
        person = await seed.person(session, name="Орлова Вера", roles=[], municipality=municipality)
        await session.commit()
        person_id = person.id

    async with session_pool() as approving:
        person = await approving.get_one(Person, person_id, options=[selectinload(Person.roles)])
        assert person.roles == []
        async with session_pool() as applying:
            applying.add(PersonRole(person_id=person_id, role=Role.TEACHER))
            await applying.commit()
        await PeopleRepo(approving).grant(person, Role.TEACHER)
        await approving.commit()
        assert [r.role for r in person.roles] == [Role.TEACHER]

    async with session_pool() as check:
        count = await check.scalar(
            select(func.count()).select_from(PersonRole).where(PersonRole.person_id == person_id)
        )
    assert count == 1
