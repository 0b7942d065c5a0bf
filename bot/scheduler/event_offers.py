"""The offers sweep: a seat offered from the waiting list and not confirmed in time passes to
the next in line, who is told; a seat left free while someone waits is offered too.

It reads only the database (statuses, `offer_expires_at`), so a restart loses nothing, and each
offer message has a dedup key: running it twice sends nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.scheduler import JobContext
from bot.services import event_registration
from bot.transport.events import tell_expired, tell_promoted


async def sweep(context: JobContext) -> None:
    now = datetime.now(UTC)
    async with context.session_pool.begin() as session:
        with context.texts.context():
            swept = await event_registration.expire_offers(session, now, settings=context.settings)
            await tell_expired(session, context.settings, swept.expired)
            await tell_promoted(session, context.settings, swept.promoted)
