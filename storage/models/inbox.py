"""The inbox: updates from Telegram, stored before they are handled."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, func
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, _enum


class InboxStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    # Handling crashed the process again and again: kept for the operator, not retried.
    FAILED = "failed"
    # Part of a flood of hundreds a minute: stored, never handled, and the person was told.
    REFUSED = "refused"


class InboxUpdate(Base):
    """Every update Telegram delivered, stored before Telegram is told it arrived.

    A pending row is work not finished yet: after a crash it is handled again, once. A done row
    keeps only its id (the payload is dropped) so a second delivery of the same update is
    recognised and ignored; housekeeping deletes done rows after a few days.
    """

    __tablename__ = "inbox_updates"
    __table_args__ = (Index("ix_inbox_updates_status_person", "status", "person_key"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Whose updates must be handled in order: the sender's Telegram id (else the chat's).
    person_key: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[InboxStatus] = mapped_column(_enum(InboxStatus), default=InboxStatus.PENDING)
    # Restarts that found this update unfinished; past a few it is a poison update.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)
    finished_at: Mapped[datetime | None]
