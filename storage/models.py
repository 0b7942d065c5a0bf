"""The tables of «Наставник».

People and their places: region → municipality → school → person. A person's roles are grants
(`PersonRole`) that carry their own scope: a coordinator's municipality, an admin's region.
Teachers and tutors take their scope from their school.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases (SQLite would otherwise hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime, dict[str, Any]: JSON}


def _enum(cls: type[enum.Enum]) -> Enum:
    # Stored as plain strings with a CHECK, so adding a member is a small migration on both DBs.
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Role(enum.StrEnum):
    TEACHER = "teacher"
    SCHOOL_LEADER = "school_leader"
    TUTOR = "tutor"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class PersonStatus(enum.StrEnum):
    ACTIVE = "active"
    # The person stopped the bot (Telegram answered 403); nothing is sent until they return.
    BLOCKED_BOT = "blocked_bot"
    # /forget was used: the row stays for anonymous aggregates, with nothing identifying left.
    FORGOTTEN = "forgotten"


class InviteKind(enum.StrEnum):
    PERSON = "person"
    SCHOOL = "school"


class JoinRequestStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class Region(Base):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Municipality(Base):
    __tablename__ = "municipalities"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # None means the deployment's TIMEZONE.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Questions to tutors: None means the deployment's default (settings).
    sla_remind_hours: Mapped[int | None] = mapped_column(Integer)
    sla_escalate_hours: Mapped[int | None] = mapped_column(Integer)
    thread_autoclose_days: Mapped[int | None] = mapped_column(Integer)

    region: Mapped[Region] = relationship(lazy="raise")


class School(Base):
    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    short_name: Mapped[str | None] = mapped_column(String(120))
    low_results: Mapped[bool] = mapped_column(Boolean, default=False)
    unfavourable_conditions: Mapped[bool] = mapped_column(Boolean, default=False)
    is_leader: Mapped[bool] = mapped_column(Boolean, default=False)

    municipality: Mapped[Municipality] = relationship(lazy="raise")

    @property
    def label(self) -> str:
        return self.short_name or self.name


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    # E.164 (+79991234567); never logged.
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="SET NULL"), index=True
    )
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("schools.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str | None] = mapped_column(String(8))
    consent_at: Mapped[datetime | None]
    status: Mapped[PersonStatus] = mapped_column(_enum(PersonStatus), default=PersonStatus.ACTIVE)
    # The language and roles of the command list last set for the chat: set it again only
    # when they change (not on every /menu).
    commands_key: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    roles: Mapped[list[PersonRole]] = relationship(
        back_populates="person", lazy="selectin", cascade="all, delete-orphan"
    )
    subjects: Mapped[list[PersonSubject]] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )
    # Read with the sender on the hot path (their time zone and deadlines); elsewhere loaded
    # on purpose, never by accident.
    municipality: Mapped[Municipality | None] = relationship(lazy="raise")

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.roles)

    @property
    def subject_names(self) -> list[str]:
        return sorted(s.subject for s in self.subjects)

    @property
    def is_registered(self) -> bool:
        return bool(self.roles)


class PersonRole(Base):
    __tablename__ = "person_roles"
    __table_args__ = (
        UniqueConstraint("person_id", "role", "municipality_id", "region_id"),
        Index("ix_person_roles_role_municipality", "role", "municipality_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role))
    # Coordinators: the municipality they run. Admins: their region. Others: neither.
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE")
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))

    person: Mapped[Person] = relationship(back_populates="roles", lazy="raise")


class PersonSubject(Base):
    __tablename__ = "person_subjects"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(80), primary_key=True, index=True)


class TutorAssignment(Base):
    __tablename__ = "tutor_assignments"
    __table_args__ = (
        CheckConstraint("(teacher_id IS NULL) <> (school_id IS NULL)", name="teacher_or_school"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tutor_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    teacher_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("schools.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)


class Community(Base):
    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("municipality_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class CommunityMembership(Base):
    __tablename__ = "community_memberships"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    joined_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Invite(Base):
    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    # sha256 of the code; the code itself exists only in the link handed to the person.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[InviteKind] = mapped_column(_enum(InviteKind))
    role: Mapped[Role] = mapped_column(_enum(Role))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE")
    )
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class JoinRequest(Base):
    __tablename__ = "join_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    full_name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[JoinRequestStatus] = mapped_column(
        _enum(JoinRequestStatus), default=JoinRequestStatus.PENDING
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]


class RosterUpload(Base):
    """A roster file between its dry run and its application (kept so "apply" needs no re-send)."""

    __tablename__ = "roster_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE")
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    applied_at: Mapped[datetime | None]


class FsmRecord(Base):
    """aiogram FSM state and data, so an interrupted dialog resumes after a restart."""

    __tablename__ = "fsm_records"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    # Who the record belongs to, so /forget can find every record of a person.
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    state: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


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


class ThreadStatus(enum.StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class MessageDirection(enum.StrEnum):
    FROM_TEACHER = "from_teacher"
    FROM_TUTOR = "from_tutor"


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


__all__ = [
    "BackgroundJob",
    "Base",
    "Broadcast",
    "BroadcastStatus",
    "Community",
    "CommunityMembership",
    "CompetenceBlock",
    "Consultation",
    "ConsultationFormat",
    "ConsultationTeacher",
    "Delivery",
    "DeliveryStatus",
    "FsmRecord",
    "InboxStatus",
    "InboxUpdate",
    "Invite",
    "InviteKind",
    "JobStatus",
    "JoinRequest",
    "JoinRequestStatus",
    "MessageDirection",
    "Municipality",
    "Person",
    "PersonRole",
    "PersonStatus",
    "PersonSubject",
    "Region",
    "Role",
    "RosterUpload",
    "School",
    "Thread",
    "ThreadMessage",
    "ThreadStatus",
    "TutorAssignment",
    "TutorSubstitute",
]
