"""Asking for slow work: a handler adds a background job in its update's transaction (so the job
exists exactly when what asked for it is committed) and answers at once; `bot.jobs.JobRunner`
does the work and reports in one progress message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BackgroundJob, JobStatus, Person
from storage.repositories.jobs import JobsRepo

# The job functions, by import path (each takes the runner's context and the job row).
ROSTER_CHECK = "bot.jobs.roster:check"
ROSTER_APPLY = "bot.jobs.roster:apply"
HISTORY_COPY = "bot.jobs.history:copy"
CONSULTATION_EXPORT = "bot.jobs.exports:consultations"
SURVEY_EXPORT = "bot.jobs.exports:survey"
EVENT_YEAR_EXPORT = "bot.jobs.event_reports:year_xlsx"
KINDS = (
    ROSTER_CHECK,
    ROSTER_APPLY,
    HISTORY_COPY,
    CONSULTATION_EXPORT,
    SURVEY_EXPORT,
    EVENT_YEAR_EXPORT,
)

# A payload carries ids and short values only: never a file, a phone or a message.
PAYLOAD_VALUE_MAX = 64


def _check_payload(payload: dict[str, Any]) -> None:
    for name, value in payload.items():
        if not isinstance(value, int | str | None) or (
            isinstance(value, str) and len(value) > PAYLOAD_VALUE_MAX
        ):
            raise ValueError(f"job payload {name!r} must be an id or a short value")


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    person: Person,
    chat_id: int,
    locale: str,
    progress_message_id: int | None = None,
) -> BackgroundJob:
    """Adds the job in the caller's transaction; it runs once that commits."""
    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    _check_payload(payload)
    return await JobsRepo(session).add(
        BackgroundJob(
            kind=kind,
            payload=payload,
            person_id=person.id,
            chat_id=chat_id,
            locale=locale,
            progress_message_id=progress_message_id,
            status=JobStatus.PENDING,
            attempts=0,
            run_after=datetime.now(UTC),
        )
    )
