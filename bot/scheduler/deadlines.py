"""The deadlines sweep: tasks checked off from records, next year's copies of yearly items,
then the reminders, overdue alerts and «no leader» notices due now, in one transaction with
their rows (bot.services.deadline_reminders), so each goes exactly once across restarts.

Runs every `DEADLINE_SWEEP_INTERVAL` and once right after start-up. Once a day (`daily`) the
open items are fanned out again, for the people who took up a role since they were created."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.scheduler import JobContext
from bot.services import deadline_reminders, deadline_tasks
from bot.transport.deadlines import send_due

DEADLINE_SWEEP_INTERVAL = timedelta(minutes=10)
DEADLINE_DAILY_INTERVAL = timedelta(days=1)


async def sweep(context: JobContext) -> None:
    await run(context, datetime.now(UTC))


async def run(context: JobContext, now: datetime) -> int:
    """One pass at the moment `now`; the number of messages queued."""
    async with context.session_pool.begin() as session:
        due = await deadline_reminders.take_due(session, now, context.settings.timezone)
        if not (due.reminders or due.notices):
            return 0
        with context.texts.context():
            return await send_due(session, context.settings, context.templates, due, now)


async def daily(context: JobContext) -> None:
    async with context.session_pool.begin() as session:
        await deadline_tasks.refresh_open(session, datetime.now(UTC).date())
