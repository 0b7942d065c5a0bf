"""Queries of the update inbox: store a batch once, find unfinished work, mark work finished."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxStatus, InboxUpdate


@dataclass(frozen=True)
class IncomingUpdate:
    update_id: int
    person_key: int
    payload: dict[str, Any]
    refused: bool = False


class InboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_new(self, incoming: Sequence[IncomingUpdate]) -> set[int]:
        """Store the updates not stored before; return the ids of those that were new."""
        if not incoming:
            return set()
        dialect = self.session.bind.dialect.name if self.session.bind is not None else ""
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = (
            insert(InboxUpdate)
            .values(
                [
                    {
                        "update_id": item.update_id,
                        "person_key": item.person_key,
                        "payload": None if item.refused else item.payload,
                        "status": InboxStatus.REFUSED if item.refused else InboxStatus.PENDING,
                        "attempts": 0,
                    }
                    for item in incoming
                ]
            )
            .on_conflict_do_nothing(index_elements=[InboxUpdate.update_id])
            .returning(InboxUpdate.update_id)
        )
        return set((await self.session.scalars(statement)).all())

    async def finish(self, update_ids: Iterable[int], status: InboxStatus) -> None:
        """Done (or failed): the payload, which holds what the person wrote, is dropped."""
        ids = list(update_ids)
        if ids:
            await self.session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.update_id.in_(ids))
                .values(status=status, payload=None, finished_at=datetime.now(UTC))
            )

    async def pending(self, *, received_before: datetime | None = None) -> Sequence[InboxUpdate]:
        query = select(InboxUpdate).where(InboxUpdate.status == InboxStatus.PENDING)
        if received_before is not None:
            query = query.where(InboxUpdate.received_at < received_before)
        return (await self.session.scalars(query.order_by(InboxUpdate.update_id))).all()

    async def pending_of(self, person_key: int, *, up_to: int) -> Sequence[InboxUpdate]:
        """A person's unfinished updates up to `up_to`, oldest first (any process stored them)."""
        return (
            await self.session.scalars(
                select(InboxUpdate)
                .where(
                    InboxUpdate.status == InboxStatus.PENDING,
                    InboxUpdate.person_key == person_key,
                    InboxUpdate.update_id <= up_to,
                )
                .order_by(InboxUpdate.update_id)
            )
        ).all()

    async def count_restart(
        self, max_attempts: int, *, received_before: datetime | None = None
    ) -> list[int]:
        """A restart found these unfinished: count it; give up on those past `max_attempts`.

        Returns the ids given up on (poison updates, kept as failed for the operator).
        """
        unfinished = InboxUpdate.status == InboxStatus.PENDING
        if received_before is not None:
            unfinished = unfinished & (InboxUpdate.received_at < received_before)
        await self.session.execute(
            update(InboxUpdate).where(unfinished).values(attempts=InboxUpdate.attempts + 1)
        )
        poisoned = list(
            (
                await self.session.scalars(
                    select(InboxUpdate.update_id).where(
                        unfinished, InboxUpdate.attempts > max_attempts
                    )
                )
            ).all()
        )
        await self.finish(poisoned, InboxStatus.FAILED)
        return poisoned

    async def forget_person(self, person_key: int) -> None:
        """/forget: nothing the person sent stays in the inbox (ids of handled ones may)."""
        await self.session.execute(
            update(InboxUpdate)
            .where(InboxUpdate.person_key == person_key)
            .values(payload=None, person_key=0)
        )
