"""The outbox: broadcasts and every message the delivery queue sends."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, _enum


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    # The request is (about to be) on its way; a row left here by a crash becomes UNKNOWN.
    SENDING = "sending"
    SENT = "sent"
    # Telegram said 403: the person blocked the bot or deleted their account.
    BLOCKED = "blocked"
    FAILED = "failed"
    # The request went out but no answer came back: it may have arrived, so it is not resent.
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


class BroadcastStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class Broadcast(Base):
    """A coordinator's announcement: the content once, one Delivery per recipient."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    # "photo" or "document" with Telegram's file_id; None for a text announcement.
    attachment_kind: Mapped[str | None] = mapped_column(String(16))
    attachment_file_id: Mapped[str | None] = mapped_column(String(255))
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[BroadcastStatus] = mapped_column(_enum(BroadcastStatus))
    scheduled_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # The author's progress message, edited as deliveries go out.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None] = mapped_column(BigInteger)
    report_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The composer's draft id: a second press on "send" finds the broadcast it already made.
    draft_key: Mapped[str | None] = mapped_column(String(32), unique=True)


class Delivery(Base):
    """One message to one chat, sent by the outbox sender exactly once (or not at all)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at", "priority"),
        Index("ix_deliveries_broadcast_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    # Lower goes first: answers to people waiting before routine reminders before broadcasts.
    priority: Mapped[int] = mapped_column(Integer)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # The recipient's time zone, for quiet hours (non-urgent rows wait for local daytime).
    timezone: Mapped[str] = mapped_column(String(64))
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE")
    )
    # For messages that are not a broadcast: text, reply_markup.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Makes enqueueing idempotent ("reminder:event:5:person:7" is queued once).
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    sent_at: Mapped[datetime | None]
