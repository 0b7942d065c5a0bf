"""Events: «Педагогический десант», webinars, seminars, courses; their sessions, registrations
with a waiting list, reminders, attendance and check-in attempts.

Seats are counted on the event (and on a session with its own capacity) in `seats_taken`, which
a registration raises with one conditional UPDATE: two people taking the last seat at once meet
there and exactly one gets it, on SQLite and on PostgreSQL alike. The same row hands out the
waiting list's numbers (`next_queue_no`), so the list keeps the exact order people asked in.

Reminders are rows, not timers: a restart neither skips nor repeats one.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, _enum


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"
    HELD = "held"


class EventScope(enum.StrEnum):
    """The scope ladder of the seeds (seeds-extract §4.2)."""

    SCHOOL = "school"  # школьный
    MUNICIPAL = "municipal"  # муниципальный (районный)
    INTERMUNICIPAL = "intermunicipal"  # межмуниципальный
    REGIONAL = "regional"  # региональный
    INTERREGIONAL = "interregional"  # межрегиональный
    NATIONAL = "national"  # всероссийский


class EventForm(enum.StrEnum):
    IN_PERSON = "in_person"  # очная
    BLENDED = "blended"  # очно-заочная
    ONLINE = "online"  # дистанционная


class SessionKind(enum.StrEnum):
    """Parts of a «десант» program."""

    MASTER_CLASS = "master_class"
    OPEN_LESSON = "open_lesson"
    CONSULTATION = "consultation"
    TALK = "talk"  # a showcase of a school's experience, a panel, anything else


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITING = "waiting"
    # Promoted from the waiting list: the seat is held until `offer_expires_at`; the person
    # confirms or declines, and silence passes the seat to the next in line.
    OFFERED = "offered"
    # «Не смогу»: said before registering, or a registration withdrawn.
    DECLINED = "declined"
    # An offer nobody took up in time.
    EXPIRED = "expired"


# Statuses that hold a seat (counted in `seats_taken`).
SEAT_HOLDING = (RegistrationStatus.REGISTERED, RegistrationStatus.OFFERED)


class AttendanceMethod(enum.StrEnum):
    CODE = "code"  # the person typed the code shown at the venue
    MARKED = "marked"  # the coordinator ticked them in the registrant list


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("ix_events_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # An id from `config/event_types.yaml` (bot/services/event_types.py).
    type: Mapped[str] = mapped_column(String(40))
    scope: Mapped[EventScope] = mapped_column(_enum(EventScope))
    form: Mapped[EventForm] = mapped_column(_enum(EventForm))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    # Competence blocks it serves: ids of the self-check's sections (subject, methodical, ...);
    # a teacher's individual route lists upcoming events of their deficit blocks.
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # The zone the organiser scheduled it in (their municipality's); times are shown to each
    # recipient in their own zone.
    timezone: Mapped[str] = mapped_column(String(64))
    # Academic hours as the program counts them (≥ 4 for a short event, ≥ 32 for a course).
    duration_hours: Mapped[float] = mapped_column(Float)
    host_school_id: Mapped[int | None] = mapped_column(
        ForeignKey("schools.id", ondelete="SET NULL"), index=True
    )
    address: Mapped[str | None] = mapped_column(String(300))
    online_url: Mapped[str | None] = mapped_column(String(500))
    organiser: Mapped[str | None] = mapped_column(String(200))
    # None: no limit.
    capacity: Mapped[int | None] = mapped_column(Integer)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    next_queue_no: Mapped[int] = mapped_column(Integer, default=1)
    registration_deadline: Mapped[datetime | None]
    # The broadcast composer's audience (bot/services/audience.Audience as a dict).
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Minutes before the start; None: the deployment's default (a day and an hour).
    reminder_offsets: Mapped[list[int] | None] = mapped_column(JSON)
    status: Mapped[EventStatus] = mapped_column(_enum(EventStatus), default=EventStatus.DRAFT)
    # The organiser's scope, as for surveys: a coordinator's municipality or an admin's region.
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="SET NULL"))
    # Six digits shown at the venue; accepted only within the event's time window.
    checkin_code: Mapped[str | None] = mapped_column(String(8))
    # Raised on every change people are told about: the .ics SEQUENCE.
    version: Mapped[int] = mapped_column(Integer, default=0)
    # One per creation form: a second tap on «Опубликовать» finds this event, not a twin.
    create_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # When attendees were asked for feedback (the event-feedback survey, `Survey.event_id`).
    feedback_sent_at: Mapped[datetime | None]


class EventSession(Base):
    """One part of a «десант» program: a master-class, an open lesson, a consultation."""

    __tablename__ = "event_sessions"
    __table_args__ = (
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SessionKind] = mapped_column(_enum(SessionKind))
    title: Mapped[str] = mapped_column(String(200))
    presenter: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    place: Mapped[str | None] = mapped_column(String(200))
    # None: everyone registered for the event may come; a number: its own registration.
    capacity: Mapped[int | None] = mapped_column(Integer)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    next_queue_no: Mapped[int] = mapped_column(Integer, default=1)
    checkin_code: Mapped[str | None] = mapped_column(String(8))


class EventRegistration(Base):
    """A person's place for an event (session_id None) or for one session with its own
    registration."""

    __tablename__ = "event_registrations"
    __table_args__ = (
        Index(
            "uq_event_registrations_event_person",
            "event_id",
            "person_id",
            unique=True,
            sqlite_where=text("session_id IS NULL"),
            postgresql_where=text("session_id IS NULL"),
        ),
        Index(
            "uq_event_registrations_session_person",
            "session_id",
            "person_id",
            unique=True,
            sqlite_where=text("session_id IS NOT NULL"),
            postgresql_where=text("session_id IS NOT NULL"),
        ),
        Index("ix_event_registrations_queue", "event_id", "session_id", "status", "queue_no"),
        Index("ix_event_registrations_offers", "status", "offer_expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_sessions.id", ondelete="CASCADE")
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(_enum(RegistrationStatus))
    # The place in the waiting list (from the event's or session's `next_queue_no`).
    queue_no: Mapped[int | None] = mapped_column(Integer)
    offer_expires_at: Mapped[datetime | None]
    # Where the person worked when they registered (districts of attendees, host schools).
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="SET NULL")
    )
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime | None]


class EventAttendance(Base):
    """Who came: to the event (session_id None) or to one session of a «десант»."""

    __tablename__ = "event_attendance"
    __table_args__ = (
        Index(
            "uq_event_attendance_event_person",
            "event_id",
            "person_id",
            unique=True,
            sqlite_where=text("session_id IS NULL"),
            postgresql_where=text("session_id IS NULL"),
        ),
        Index(
            "uq_event_attendance_session_person",
            "session_id",
            "person_id",
            unique=True,
            sqlite_where=text("session_id IS NOT NULL"),
            postgresql_where=text("session_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_sessions.id", ondelete="CASCADE")
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="SET NULL")
    )
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="SET NULL"))
    method: Mapped[AttendanceMethod] = mapped_column(_enum(AttendanceMethod))
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    checked_in_at: Mapped[datetime]


class EventReminder(Base):
    """One reminder to one registrant, due `offset_minutes` before the start."""

    __tablename__ = "event_reminders"
    __table_args__ = (
        Index(
            "uq_event_reminders_registration_offset",
            "registration_id",
            "offset_minutes",
            unique=True,
        ),
        Index("ix_event_reminders_pending", "sent_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("event_registrations.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    offset_minutes: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime]
    # Set in the transaction that queues the message: sent once, across restarts.
    sent_at: Mapped[datetime | None]
    # Not sent because the event had begun (an outage) or the registration ended.
    skipped_at: Mapped[datetime | None]


class CheckinAttempt(Base):
    """Wrong check-in codes a person typed recently: guessing is rate-limited."""

    __tablename__ = "event_checkin_attempts"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    window_started_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(Integer, default=0)
