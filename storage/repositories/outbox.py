"""Queries of the delivery outbox. Claiming uses FOR UPDATE SKIP LOCKED on PostgreSQL, so
several bot processes never take the same row; SQLite serves one process and ignores it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Broadcast,
    BroadcastStatus,
    Delivery,
    DeliveryStatus,
    Municipality,
    Person,
    School,
)

# A recipient a broadcast did not reach: name, school, status, error.
Failure = tuple[str | None, str | None, DeliveryStatus, str | None]


class OutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def to_others_of_kinds(
        self, kinds: Collection[str], person_id: int
    ) -> Sequence[Delivery]:
        """Messages of these kinds to anyone but the person, queued or sent, oldest first."""
        found = await self.session.scalars(
            select(Delivery)
            .where(
                Delivery.kind.in_(kinds),
                or_(Delivery.person_id.is_(None), Delivery.person_id != person_id),
            )
            .order_by(Delivery.id)
        )
        return found.all()

    async def claim_due(
        self, *, worker: str, now: datetime, lease: timedelta, limit: int
    ) -> Sequence[Delivery]:
        due = (
            select(Delivery.id)
            .where(
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at <= now,
                (Delivery.lease_until.is_(None)) | (Delivery.lease_until < now),
            )
            .order_by(Delivery.priority, Delivery.next_attempt_at, Delivery.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await self.session.scalars(due)).all())
        if not ids:
            return []
        await self.session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids))
            .values(claimed_by=worker, lease_until=now + lease)
        )
        rows = await self.session.scalars(
            select(Delivery)
            .where(Delivery.id.in_(ids))
            .order_by(Delivery.priority, Delivery.next_attempt_at, Delivery.id)
            .execution_options(populate_existing=True)
        )
        return rows.all()

    async def start_sending(self, delivery_id: int, worker: str, lease_until: datetime) -> bool:
        """The last step before the request goes out; False if someone else has the row or it
        was cancelled meanwhile."""
        result = await self.session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.claimed_by == worker,
            )
            .values(
                status=DeliveryStatus.SENDING,
                attempts=Delivery.attempts + 1,
                lease_until=lease_until,
            )
        )
        return bool(getattr(result, "rowcount", 0))

    async def finish(self, delivery_id: int, **values: Any) -> None:
        await self.session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(claimed_by=None, lease_until=None, **values)
        )

    async def mark_interrupted(self, now: datetime) -> int:
        """Rows left SENDING by a crashed process (their lease ran out): the request may have
        arrived, so they are never resent."""
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until < now)
            .values(
                status=DeliveryStatus.UNKNOWN,
                error="interrupted while sending",
                claimed_by=None,
                lease_until=None,
            )
        )
        return int(getattr(result, "rowcount", 0))

    async def counts_by_status(self, broadcast_id: int) -> dict[DeliveryStatus, int]:
        return (await self.counts_by_status_of([broadcast_id]))[broadcast_id]

    async def counts_by_status_of(
        self, broadcast_ids: Sequence[int]
    ) -> dict[int, dict[DeliveryStatus, int]]:
        """Deliveries of each broadcast by status, for several broadcasts in one query."""
        counts: dict[int, dict[DeliveryStatus, int]] = {i: {} for i in broadcast_ids}
        if not broadcast_ids:
            return counts
        rows = await self.session.execute(
            select(Delivery.broadcast_id, Delivery.status, func.count())
            .where(Delivery.broadcast_id.in_(broadcast_ids))
            .group_by(Delivery.broadcast_id, Delivery.status)
        )
        for broadcast_id, status, count in rows.all():
            if broadcast_id is not None:
                counts[broadcast_id][status] = int(count)
        return counts

    async def recent_broadcasts(
        self, author_id: int, municipality_ids: Sequence[int], limit: int
    ) -> Sequence[Broadcast]:
        """The newest broadcasts this person sent or that went to these municipalities."""
        rows = await self.session.scalars(
            select(Broadcast)
            .where(
                (Broadcast.author_id == author_id)
                | (Broadcast.municipality_id.in_(municipality_ids))
            )
            .order_by(Broadcast.created_at.desc(), Broadcast.id.desc())
            .limit(limit)
        )
        return rows.all()

    async def cancel_pending(self, broadcast_id: int) -> int:
        result = await self.session.execute(
            update(Delivery)
            .where(Delivery.broadcast_id == broadcast_id, Delivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.CANCELLED)
        )
        return int(getattr(result, "rowcount", 0))

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        return await self.session.get(Broadcast, broadcast_id)

    async def broadcasts_in_progress(self, now: datetime) -> Sequence[Broadcast]:
        """Broadcasts whose progress moves: sending, scheduled and due, or stopped while sending
        with their report not yet sent (the author still gets what went out before the stop)."""
        return (
            await self.session.scalars(
                select(Broadcast)
                .where(
                    (Broadcast.status == BroadcastStatus.SENDING)
                    | (
                        (Broadcast.status == BroadcastStatus.SCHEDULED)
                        & (Broadcast.scheduled_at <= now)
                    )
                    | (
                        (Broadcast.status == BroadcastStatus.CANCELLED)
                        & Broadcast.started_at.is_not(None)
                        & Broadcast.report_sent.is_(False)
                    )
                )
                # With several processes each broadcast is advanced by one of them at a time,
                # so a scheduled one gets one progress message and one report.
                .with_for_update(skip_locked=True)
            )
        ).all()

    async def failures(
        self, broadcast_id: int
    ) -> Sequence[tuple[str | None, str | None, DeliveryStatus, str | None]]:
        """Who the broadcast did not reach: (name, school, status, error), by school and name."""
        rows = await self.session.execute(
            select(Person.full_name, School.name, Delivery.status, Delivery.error)
            .select_from(Delivery)
            .outerjoin(Person, Person.id == Delivery.person_id)
            .outerjoin(School, School.id == Person.school_id)
            .where(
                Delivery.broadcast_id == broadcast_id,
                Delivery.status.in_(
                    [DeliveryStatus.BLOCKED, DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN]
                ),
            )
            .order_by(School.name, Person.full_name)
        )
        return [(name, school, status, error) for name, school, status, error in rows.all()]

    async def draft_was_sent(self, draft_key: str) -> bool:
        found = await self.session.scalar(
            select(Broadcast.id).where(Broadcast.draft_key == draft_key)
        )
        return found is not None

    async def region_of(self, municipality_id: int) -> int | None:
        return await self.session.scalar(
            select(Municipality.region_id).where(Municipality.id == municipality_id)
        )
