"""The surveys sweep: a day before a survey's deadline its non-responders are reminded once;
past the deadline the survey closes and its author is told the final count.

It reads only the database (`Survey.reminded_at`, `SurveyInvitee.reminded_at`, the status), so
a restart loses nothing, and every message has a dedup key: running it twice sends nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.scheduler import JobContext
from bot.services import surveys
from bot.transport.surveys import send_reminders, tell_author_closed


async def sweep(context: JobContext) -> None:
    now = datetime.now(UTC)
    async with context.session_pool.begin() as session:
        with context.texts.context():
            for due in await surveys.due_reminders(session, context.settings.default_locale, now):
                await send_reminders(
                    session,
                    context.settings,
                    context.templates,
                    survey_id=due.survey_id,
                    title=due.title,
                    deadline=due.deadline,
                    rows=due.invitees,
                    now=now,
                )
            for closed in await surveys.close_due(session, now):
                await tell_author_closed(session, context.settings, closed)
