"""The questions sweep: remind the tutor, alert the coordinators, close quiet answered threads.

It reads only the database (waiting_since, reminded_at, escalated_at, last_activity_at), so a
restart loses nothing: the next sweep finds what is due. What is due, and the closing itself,
are the services' (`bot.services.question_deadlines`, which closes through the same
`question_threads.close` as the teacher's button); each step is recorded on the thread and its
notice queued with a dedup key, so running the sweep twice never sends anything twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.scheduler import JobContext
from bot.services import question_deadlines
from bot.transport import questions as relay


async def sweep(context: JobContext) -> None:
    now = datetime.now(UTC)
    async with context.session_pool.begin() as session:
        with context.texts.context():
            notices = await question_deadlines.take_due_steps(session, context.settings, now)
            await relay.post_notices(session, context.settings, notices)
