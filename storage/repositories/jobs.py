"""Queries of the background jobs. Claiming locks the due rows with FOR UPDATE SKIP LOCKED on
PostgreSQL (several processes never take the same job) and then takes each with a conditional
`UPDATE ... WHERE status = 'pending'`, which is what keeps SQLite's one process honest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BackgroundJob, JobStatus


class JobsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, job: BackgroundJob) -> BackgroundJob:
        self.session.add(job)
        await self.session.flush()
        return job

    async def get(self, job_id: int) -> BackgroundJob | None:
        return await self.session.get(BackgroundJob, job_id)

    async def claim_due(
        self,
        *,
        worker: str,
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> list[BackgroundJob]:
        """Up to `limit` due jobs, at most one per person and none for a person who already
        has one running: one person's jobs run one after another, in the order asked."""
        running = select(BackgroundJob.person_id).where(BackgroundJob.status == JobStatus.RUNNING)
        due = (
            select(BackgroundJob.id, BackgroundJob.person_id)
            .where(
                BackgroundJob.status == JobStatus.PENDING,
                BackgroundJob.run_after <= now,
                BackgroundJob.person_id.not_in(running),
            )
            .order_by(BackgroundJob.run_after, BackgroundJob.id)
            .limit(limit * 4)
            .with_for_update(skip_locked=True)
        )
        taken_people: set[int] = set()
        ids: list[int] = []
        for job_id, person_id in (await self.session.execute(due)).all():
            if person_id in taken_people or len(ids) >= limit:
                continue
            claimed = await self.session.execute(
                update(BackgroundJob)
                .where(BackgroundJob.id == job_id, BackgroundJob.status == JobStatus.PENDING)
                .values(
                    status=JobStatus.RUNNING,
                    attempts=BackgroundJob.attempts + 1,
                    claimed_by=worker,
                    lease_until=now + lease,
                    started_at=now,
                )
            )
            if getattr(claimed, "rowcount", 0):
                taken_people.add(person_id)
                ids.append(job_id)
        if not ids:
            return []
        rows = await self.session.scalars(
            select(BackgroundJob)
            .where(BackgroundJob.id.in_(ids))
            .order_by(BackgroundJob.id)
            .execution_options(populate_existing=True)
        )
        return list(rows.all())

    async def renew(self, job_id: int, worker: str, lease_until: datetime) -> bool:
        """Extends a running job's lease; False when the job is gone (the person used /forget)
        or no longer this worker's."""
        result = await self.session.execute(
            update(BackgroundJob)
            .where(
                BackgroundJob.id == job_id,
                BackgroundJob.status == JobStatus.RUNNING,
                BackgroundJob.claimed_by == worker,
            )
            .values(lease_until=lease_until)
        )
        return bool(getattr(result, "rowcount", 0))

    async def update(self, job_id: int, **values: Any) -> bool:
        result = await self.session.execute(
            update(BackgroundJob).where(BackgroundJob.id == job_id).values(**values)
        )
        return bool(getattr(result, "rowcount", 0))

    async def finish(self, job_id: int, **values: Any) -> bool:
        return await self.update(job_id, claimed_by=None, lease_until=None, **values)

    async def interrupted(
        self, now: datetime, *, whatever_lease: bool = False
    ) -> Sequence[BackgroundJob]:
        """Jobs left running by a process that died: their lease ran out, or (`whatever_lease`,
        a single process starting) every running job."""
        expired = (BackgroundJob.lease_until.is_(None)) | (BackgroundJob.lease_until < now)
        rows = await self.session.scalars(
            select(BackgroundJob)
            .where(BackgroundJob.status == JobStatus.RUNNING, true() if whatever_lease else expired)
            .order_by(BackgroundJob.id)
            .with_for_update(skip_locked=True)
        )
        return rows.all()

    async def of_person(self, person_id: int) -> Sequence[BackgroundJob]:
        rows = await self.session.scalars(
            select(BackgroundJob)
            .where(BackgroundJob.person_id == person_id)
            .order_by(BackgroundJob.id)
        )
        return rows.all()

    async def delete_of_person(self, person_id: int) -> int:
        result = await self.session.execute(
            delete(BackgroundJob).where(BackgroundJob.person_id == person_id)
        )
        return int(getattr(result, "rowcount", 0))

    async def delete_finished_before(self, moment: datetime) -> int:
        result = await self.session.execute(
            delete(BackgroundJob).where(
                BackgroundJob.status.in_([JobStatus.DONE, JobStatus.FAILED]),
                BackgroundJob.finished_at < moment,
            )
        )
        return int(getattr(result, "rowcount", 0))
