"""Sweeps that keep the database small and personal data short-lived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update

from bot.scheduler import JobContext
from storage.models import InboxStatus, InboxUpdate, Invite, RosterUpload

# Handled updates are remembered (by id only) so a late second delivery is recognised.
HANDLED_UPDATES_KEPT = timedelta(days=3)
# An uploaded roster holds names and phones: its content lives only between the dry run and
# "apply" (applying drops it, so does «Отмена»). A file checked and never applied is abandoned
# after this; an applied one's row (no content) is kept as long, so a late second «Применить»
# hears that it was applied.
ROSTER_UPLOADS_KEPT = timedelta(days=2)
EXPIRED_INVITES_KEPT = timedelta(days=30)


async def purge(context: JobContext) -> None:
    now = datetime.now(UTC)
    async with context.session_pool.begin() as session:
        await session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.status != InboxStatus.PENDING,
                InboxUpdate.received_at < now - HANDLED_UPDATES_KEPT,
            )
        )
        await session.execute(
            delete(RosterUpload).where(RosterUpload.created_at < now - ROSTER_UPLOADS_KEPT)
        )
        # Files applied before applying dropped the content.
        await session.execute(
            update(RosterUpload)
            .where(RosterUpload.applied_at.is_not(None), RosterUpload.content != b"")
            .values(content=b"")
        )
        await session.execute(
            delete(Invite).where(
                Invite.used_at.is_(None), Invite.expires_at < now - EXPIRED_INVITES_KEPT
            )
        )
