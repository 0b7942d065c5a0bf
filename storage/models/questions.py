"""Teachers' questions to tutors: threads, the messages relayed in them, and substitutes."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, _enum


class ThreadStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class MessageDirection(enum.StrEnum):
    FROM_TEACHER = "from_teacher"
    FROM_TUTOR = "from_tutor"


class Thread(Base):
    """A teacher's question (обращение) and everything said in it."""

    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_status_activity", "status", "last_activity_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    # Who answers: the tutor (or their substitute); None means the coordinators' queue.
    tutor_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="SET NULL"))
    status: Mapped[ThreadStatus] = mapped_column(_enum(ThreadStatus))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_activity_at: Mapped[datetime]
    # When the teacher's latest unanswered message came in (SLA clocks run from here).
    waiting_since: Mapped[datetime | None]
    first_answer_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_automatically: Mapped[bool] = mapped_column(Boolean, default=False)
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)


class ThreadMessage(Base):
    """One relayed message: where it was written and where its copy went, so replies and
    edits find their way across."""

    __tablename__ = "thread_messages"
    __table_args__ = (
        Index("ix_thread_messages_relayed", "relayed_chat_id", "relayed_message_id"),
        Index("ix_thread_messages_source", "source_chat_id", "source_message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    direction: Mapped[MessageDirection] = mapped_column(_enum(MessageDirection))
    content_kind: Mapped[str] = mapped_column(String(16))
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int] = mapped_column(BigInteger)
    relayed_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    relayed_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    edited_at: Mapped[datetime | None]


class TutorSubstitute(Base):
    """A tutor who is away names a colleague who answers for them meanwhile."""

    __tablename__ = "tutor_substitutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    tutor_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    substitute_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
