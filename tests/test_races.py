"""Check-then-act races: two people (or two jobs) doing the same thing at the same moment.

Each test runs the two actions concurrently over separate sessions (as two updates or two jobs
would run), several times, and checks what is stored. They matter most on PostgreSQL, where
the two transactions really overlap; on SQLite writers take turns, and the tests still hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.callbacks import JoinDecisionCb
from bot.errors import DomainError
from bot.services import onboarding
from storage.models import JoinRequest, JoinRequestStatus, Person, PersonRole, Role
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
