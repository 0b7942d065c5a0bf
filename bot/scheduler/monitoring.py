"""The daily monitoring sweep: the current program year's stages made ready for every
municipality with participating schools, and the stages' tasks for schools added since.

Runs once a day and right after start-up; everything it does is idempotent (the stages are
keyed by municipality, stage and year; tasks by school), so a restart repeats nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.scheduler import JobContext
from bot.services import monitoring
from bot.services.monitoring_config import config

MONITORING_SWEEP_INTERVAL = timedelta(days=1)


async def sweep(context: JobContext) -> None:
    await run(context, datetime.now(UTC).date())


async def run(context: JobContext, today: date) -> monitoring.Ensured:
    config()  # a broken file stops here with its reason, not on a coordinator's screen
    async with context.session_pool.begin() as session:
        return await monitoring.ensure_current(session, today)
