"""Background jobs: slow work done off the update."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, _enum


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BackgroundJob(Base):
    """Slow work someone asked for (a roster check, a history copy, an export), done off the
    update by `bot.jobs.JobRunner` and reported in one progress message edited in place.

    The payload holds ids and small values only, never file contents or phones. A running job
    holds a lease its runner renews; a job whose lease ran out (its process died) is resumed,
    and after a few such starts it is failed and the person is told.
    """

    __tablename__ = "background_jobs"
    __table_args__ = (Index("ix_background_jobs_due", "status", "run_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The job function's import path: "bot.jobs.roster:check".
    kind: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Who asked: the result, the progress and any failure go to them, and /forget or deleting
    # the person removes the job.
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    locale: Mapped[str] = mapped_column(String(8))
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus), default=JobStatus.PENDING)
    # Starts so far: a job that keeps killing its process is failed after a few.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    run_after: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))
