"""Scheduler wiring: started and stopped with the dispatcher; sweeps read only the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduler import Scheduler
from storage.models import InboxStatus, InboxUpdate, RosterUpload
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
