"""The coordinators' weekly digest: every `DIGEST_INTERVAL` the sweep looks for coordinators
for whom it is Monday from `DIGEST_HOUR` on (their municipality's zone) and whose digest of
the week has not gone out, and queues each one's through the outbox (which holds it through
quiet hours). Each coordinator in their own transaction: the `DigestSent` row and the queued
message are committed together, and one coordinator's failure does not hold back the rest."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Outgoing, Priority, Recipient, enqueue_messages
from bot.scheduler import JobContext
from bot.services import weekly_digest
from bot.services.weekly_digest import SECTION_LINES, Due

DIGEST_INTERVAL = timedelta(minutes=15)
log = logging.getLogger(__name__)


async def sweep(context: JobContext) -> None:
    await run(context, datetime.now(UTC))


async def run(context: JobContext, now: datetime) -> int:
    """One pass at the moment `now`; the number of digests queued."""
    async with context.session_pool() as session:
        due = await weekly_digest.due_now(session, context.settings, now)
    queued = 0
    for one in due:
        try:
            async with context.session_pool.begin() as session:
                with context.texts.context():
                    queued += await send_digest(session, context, one, now)
        except Exception:
            # Logged and left for the next pass (the claim was rolled back with the rest).
            log.exception("weekly digest for person %s failed", one.person_id)
    return queued


async def send_digest(session: AsyncSession, context: JobContext, due: Due, now: datetime) -> int:
    if not await weekly_digest.claim(session, due):
        return 0  # another pass or process queued it first
    locale = due.locale or context.settings.default_locale
    digest = await weekly_digest.build(session, context.settings, due, now, locale)
    text = context.templates.render(
        "weekly_digest.html",
        locale,
        d=digest,
        tz=ZoneInfo(due.timezone),
        most=SECTION_LINES,
    )
    message = Outgoing(
        Recipient(due.person_id, due.chat_id, due.timezone),
        text,
        dedup_key=f"digest:{due.person_id}:{due.week}",
    )
    return await enqueue_messages(
        session,
        context.settings,
        [message],
        kind="weekly_digest",
        priority=Priority.ROUTINE,
        not_before=now,
    )
