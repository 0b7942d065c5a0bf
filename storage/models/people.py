"""People, their roles and subjects, and which tutor looks after whom.

People and their places: region → municipality → school → person. A person's roles are grants
(`PersonRole`) that carry their own scope: a coordinator's municipality, an admin's region.
Teachers and tutors take their scope from their school.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base, _enum
from storage.models.places import Municipality


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


class Person(Base):
    __tablename__ = "people"
    __table_args__ = (
        # One person per phone in a municipality: a roster is matched by phone, and two
        # applies at once must meet here rather than each create the person.
        Index(
            "uq_people_municipality_phone",
            "municipality_id",
            "phone",
            unique=True,
            sqlite_where=text("phone IS NOT NULL"),
            postgresql_where=text("phone IS NOT NULL"),
        ),
    )

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


_UNSCOPED = text("municipality_id IS NULL AND region_id IS NULL")
_MUNICIPALITY_SCOPED = text("municipality_id IS NOT NULL AND region_id IS NULL")
_REGION_SCOPED = text("region_id IS NOT NULL AND municipality_id IS NULL")


class PersonRole(Base):
    __tablename__ = "person_roles"
    __table_args__ = (
        UniqueConstraint("person_id", "role", "municipality_id", "region_id"),
        # The constraint above lets a grant repeat when its scope has a NULL (a teacher's has
        # two): NULLs differ from each other. These count a missing scope as a value.
        Index(
            "uq_person_roles_unscoped",
            "person_id",
            "role",
            unique=True,
            sqlite_where=_UNSCOPED,
            postgresql_where=_UNSCOPED,
        ),
        Index(
            "uq_person_roles_municipality",
            "person_id",
            "role",
            "municipality_id",
            unique=True,
            sqlite_where=_MUNICIPALITY_SCOPED,
            postgresql_where=_MUNICIPALITY_SCOPED,
        ),
        Index(
            "uq_person_roles_region",
            "person_id",
            "role",
            "region_id",
            unique=True,
            sqlite_where=_REGION_SCOPED,
            postgresql_where=_REGION_SCOPED,
        ),
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
        # The same tutor for the same teacher from the same day is one assignment, however
        # many roster applies write it.
        Index(
            "uq_tutor_assignments_teacher_start",
            "tutor_id",
            "teacher_id",
            "starts_on",
            unique=True,
        ),
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
