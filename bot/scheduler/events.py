"""The events sweep: due reminders to registrants, ended events turned «held», and the
feedback survey to those who came.

It runs every `EVENT_SWEEP_INTERVAL` and once right after start-up (in the background, so
start-up never waits for a backlog): reminders that came due while the bot was down go out
then, unless their event has begun. Reminders are taken `BATCH` at a time, each batch its own
short transaction in which the rows are marked sent and their messages queued together.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import DBAPIError

from bot.scheduler import JobContext
from bot.services import event_feedback, event_reminders
from bot.transport.event_reminders import send_feedback_invitations, send_reminders

# A reminder is queued at most this long (plus one batch's work) after it is due.
EVENT_SWEEP_INTERVAL = timedelta(seconds=20)
DEADLOCK = "40P01"


async def sweep(context: JobContext) -> None:
    await run(context, datetime.now(UTC))


async def run(context: JobContext, now: datetime) -> int:
    """One pass at the moment `now`; the number of reminders queued."""
    queued = await send_due_reminders(context, now)
    async with context.session_pool.begin() as session:
        with context.texts.context():
            launches = await event_feedback.hold_and_launch(session, now)
            launches += await event_feedback.invite_late(session, now)
            for launch in launches:
                await send_feedback_invitations(
                    session, context.settings, context.templates, launch
                )
    return queued


async def send_due_reminders(context: JobContext, now: datetime) -> int:
    queued = 0
    retries = 0
    while True:
        try:
            async with context.session_pool.begin() as session:
                batch = await event_reminders.take_due(session, now)
                if batch.due:
                    with context.texts.context():
                        await send_reminders(
                            session, context.settings, context.templates, batch.due
                        )
        except DBAPIError as error:
            # Two processes claiming at once wait on each other's rows; should PostgreSQL
            # ever pick one of them as a deadlock's victim, its batch is simply taken again.
            if getattr(error.orig, "sqlstate", None) != DEADLOCK or retries >= 3:
                raise
            retries += 1
            continue
        queued += len(batch.due)
        if not batch.full:
            return queued
