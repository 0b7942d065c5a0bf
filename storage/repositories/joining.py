"""Requests to join: deciding one, once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JoinRequest, JoinRequestStatus


class JoinRequestsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def decide(
        self, request: JoinRequest, status: JoinRequestStatus, *, by_id: int, at: datetime
    ) -> bool:
        """Records the decision if the request is still pending; False when another coordinator
        decided it first. The condition is checked by the database as it writes: two decisions
        at once cannot both see «pending» (a read, then a write, would let the later one
        overwrite the first while the first one's grant stays)."""
        result = await self.session.execute(
            update(JoinRequest)
            .where(JoinRequest.id == request.id, JoinRequest.status == JoinRequestStatus.PENDING)
            .values(status=status, decided_by_id=by_id, decided_at=at)
            .execution_options(synchronize_session=False)
        )
        if not getattr(result, "rowcount", 0):
            # The winner's decision, as committed.
            await self.session.refresh(request)
            return False
        request.status, request.decided_by_id, request.decided_at = status, by_id, at
        return True

    async def names_typed_by(self, person_id: int) -> Sequence[str]:
        """The names the person typed in their join requests (they may differ from the
        roster's spelling, and cards to coordinators carry them)."""
        found = await self.session.scalars(
            select(JoinRequest.full_name).where(JoinRequest.person_id == person_id)
        )
        return found.all()
