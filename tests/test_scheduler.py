"""Scheduler wiring: started and stopped with the dispatcher; sweeps read only the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import Scheduler
from storage.models import (
    FsmRecord,
    InboxStatus,
    InboxUpdate,
    Response,
    ResponseStatus,
    RosterUpload,
    Survey,
    SurveyStatus,
)
from tests import seed
from tests.harness import Harness


async def test_scheduler_and_outbox_start_and_stop_with_the_dispatcher(harness: Harness) -> None:
    scheduler: Scheduler = harness.dp["scheduler"]
    assert set(scheduler.jobs) >= {
        "bot.scheduler.housekeeping:purge",
        "bot.delivery.progress:tick",
        "bot.scheduler.questions:sweep",
    }

    await harness.dp.emit_startup(bot=harness.bot)
    assert scheduler._aps.running
    assert {job.id for job in scheduler._aps.get_jobs()} == set(scheduler.jobs)

    await harness.dp.emit_shutdown(bot=harness.bot)
    assert not scheduler._aps.running


async def test_housekeeping_removes_only_what_is_old(harness: Harness, db: AsyncSession) -> None:
    mun, _, _ = await seed.place(db)
    long_ago = datetime.now(UTC) - timedelta(days=10)
    db.add_all(
        [
            InboxUpdate(update_id=1, person_key=7, status=InboxStatus.DONE, received_at=long_ago),
            InboxUpdate(update_id=2, person_key=7, status=InboxStatus.DONE),
            # Old but never finished: still work to do, kept.
            InboxUpdate(update_id=3, person_key=7, payload={"update_id": 3}, received_at=long_ago),
            RosterUpload(
                municipality_id=mun.id, filename="old.xlsx", content=b"x", created_at=long_ago
            ),
            RosterUpload(municipality_id=mun.id, filename="new.xlsx", content=b"x"),
        ]
    )
    await db.commit()

    await harness.run_job("bot.scheduler.housekeeping:purge")

    db.expire_all()
    kept = await db.scalars(select(InboxUpdate.update_id).order_by(InboxUpdate.update_id))
    assert list(kept.all()) == [2, 3]
    assert await db.scalar(select(func.count()).select_from(RosterUpload)) == 1


async def test_housekeeping_removes_what_a_guest_left_half_way(
    harness: Harness, db: AsyncSession
) -> None:
    """A public survey opened by link and never sent: the answers without a person and the
    dialog state of someone the bot has no record of go after two weeks or when it closes."""
    mun, _, _ = await seed.place(db)
    await seed.person(
        db, name="Известная Анна Ивановна", roles=[], municipality=mun, telegram_id=11
    )
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=15)
    open_survey = Survey(scenario_id="x", municipality_id=mun.id, deadline=now + timedelta(days=3))
    closed = Survey(
        scenario_id="x",
        municipality_id=mun.id,
        deadline=now - timedelta(days=1),
        status=SurveyStatus.CLOSED,
    )
    db.add_all([open_survey, closed])
    await db.flush()
    open_id = open_survey.id

    def draft(survey: Survey, updated_at: datetime, **fields: object) -> Response:
        return Response(
            scenario_id="x",
            scenario_version="v",
            survey_id=survey.id,
            updated_at=updated_at,
            **fields,
        )

    db.add_all(
        [
            draft(open_survey, long_ago),  # abandoned: goes
            draft(open_survey, now),  # still being answered: kept
            draft(closed, now),  # its survey closed: goes
            draft(open_survey, long_ago, status=ResponseStatus.SUBMITTED),  # sent: kept
            FsmRecord(key="guest", user_id=99, data={}, updated_at=long_ago),  # goes
            FsmRecord(key="guest-now", user_id=98, data={}, updated_at=now),
            FsmRecord(key="known", user_id=11, data={}, updated_at=long_ago),
            # Anyone's dialog untouched for a month is over.
            FsmRecord(key="known-old", user_id=11, data={}, updated_at=now - timedelta(days=31)),
        ]
    )
    await db.commit()

    await harness.run_job("bot.scheduler.housekeeping:purge")

    db.expire_all()
    left = (await db.execute(select(Response.survey_id, Response.status))).all()
    assert sorted((s, str(st)) for s, st in left) == [
        (open_id, "in_progress"),
        (open_id, "submitted"),
    ]
    keys = await db.scalars(select(FsmRecord.key).order_by(FsmRecord.key))
    assert list(keys.all()) == ["guest-now", "known"]
