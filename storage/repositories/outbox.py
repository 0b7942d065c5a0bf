"""Queries of the delivery outbox. Claiming uses FOR UPDATE SKIP LOCKED on PostgreSQL, so
several bot processes never take the same row; SQLite serves one process and ignores it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus


class OutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
        rows = await self.session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.broadcast_id == broadcast_id)
            .group_by(Delivery.status)
        )
        return {status: int(count) for status, count in rows.all()}

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

    async def failures(self, broadcast_id: int) -> Sequence[Delivery]:
        return (
            await self.session.scalars(
                select(Delivery)
                .where(
                    Delivery.broadcast_id == broadcast_id,
                    Delivery.status.in_(
                        [DeliveryStatus.BLOCKED, DeliveryStatus.FAILED, DeliveryStatus.UNKNOWN]
                    ),
                )
                .order_by(Delivery.id)
            )
        ).all()
