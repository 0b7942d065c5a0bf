"""Sweeps that keep the database small and personal data short-lived."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, update

from bot.scheduler import JobContext
from storage.models import (
    FsmRecord,
    InboxStatus,
    InboxUpdate,
    Invite,
    Person,
    Response,
    ResponseStatus,
    RosterUpload,
    Survey,
    SurveyStatus,
)

# Handled updates are remembered (by id only) so a late second delivery is recognised.
HANDLED_UPDATES_KEPT = timedelta(days=3)
# An uploaded roster holds names and phones: its content lives only between the dry run and
# "apply" (applying drops it, so does «Отмена»). A file checked and never applied is abandoned
# after this; an applied one's row (no content) is kept as long, so a late second «Применить»
# hears that it was applied.
ROSTER_UPLOADS_KEPT = timedelta(days=2)
EXPIRED_INVITES_KEPT = timedelta(days=30)
# Someone who opened a public survey by link and never sent it: their unfinished answers (no
# person) and their dialog state (kept by Telegram id, though the bot has no record of them) go
# after this, or when the survey closes.
GUEST_DRAFTS_KEPT = timedelta(days=14)
# A dialog untouched this long is over (forms that matter resume from the database: a survey
# from its response); Redis keys get the same lifetime (`bot.app`).
DIALOG_STATE_KEPT = timedelta(days=30)


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
        await session.execute(
            delete(Response).where(
                Response.person_id.is_(None),
                Response.status == ResponseStatus.IN_PROGRESS,
                or_(
                    Response.updated_at < now - GUEST_DRAFTS_KEPT,
                    Response.survey_id.in_(
                        select(Survey.id).where(Survey.status == SurveyStatus.CLOSED)
                    ),
                ),
            )
        )
        known = select(Person.telegram_id).where(Person.telegram_id.is_not(None))
        await session.execute(
            delete(FsmRecord).where(
                or_(
                    FsmRecord.updated_at < now - DIALOG_STATE_KEPT,
                    FsmRecord.user_id.not_in(known)
                    & (FsmRecord.updated_at < now - GUEST_DRAFTS_KEPT),
                )
            )
        )
