"""Consultations a tutor held, as the municipal report counts them."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, _enum


class ConsultationFormat(enum.StrEnum):
    IN_PERSON = "in_person"  # очно
    ONLINE = "online"  # онлайн
    VIDEO = "video"  # видеосвязь
    PHONE = "phone"  # телефон


class CompetenceBlock(enum.StrEnum):
    """The four blocks of professional competence named in the seeds."""

    SUBJECT = "subject"  # предметные
    METHODICAL = "methodical"  # методические
    PSYCHOLOGICAL = "psychological"  # психолого-педагогические
    COMMUNICATIVE = "communicative"  # коммуникативные


class Consultation(Base):
    """A consultation as the municipal report counts it."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    tutor_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    held_on: Mapped[date] = mapped_column(Date, index=True)
    format: Mapped[ConsultationFormat] = mapped_column(_enum(ConsultationFormat))
    block: Mapped[CompetenceBlock] = mapped_column(_enum(CompetenceBlock))
    topic: Mapped[str] = mapped_column(String(300))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(Text)
    # With the whole school team rather than named teachers.
    whole_school: Mapped[bool] = mapped_column(Boolean, default=False)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("threads.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ConsultationTeacher(Base):
    __tablename__ = "consultation_teachers"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), primary_key=True
    )
    teacher_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
