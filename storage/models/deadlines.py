"""Program years, the schools that take part in a year, and deadlines: monitoring stages,
plan-graph items and a coordinator's own items, fanned out as tasks to the people responsible.

A deadline is what the coordinator sees as one line of the plan; a task is one school's or one
person's share of it («руководители школ — участниц» becomes one task per participating school).
Reminders are rows keyed by what they are («за 7 дней», «просрочено 2027-03-02»), so a restart
neither skips nor repeats one.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, _enum


class YearKind(enum.StrEnum):
    """How a municipality's program counts its years (seeds-extract §9.3)."""

    CALENDAR = "calendar"  # январь–декабрь (Грачёвка, Ставрополь); year 2027 = 2027-01-01…12-31
    SCHOOL = "school"  # сентябрь–август (Иваново); year 2027 = 2027-09-01…2028-08-31


class ProgramLevel(enum.StrEnum):
    """Which program a school takes part in: the seeds set targets for each separately."""

    REGIONAL = "regional"  # вошедшие в региональную программу
    MUNICIPAL = "municipal"  # вошедшие в муниципальную программу


class SchoolParticipation(Base):
    """A school selected for a program year (the plan selects schools each year)."""

    __tablename__ = "school_participations"
    __table_args__ = (UniqueConstraint("school_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer, index=True)
    low_results: Mapped[bool] = mapped_column(Boolean, default=False)  # НРО
    unfavourable_conditions: Mapped[bool] = mapped_column(Boolean, default=False)  # НСУ
    level: Mapped[ProgramLevel] = mapped_column(_enum(ProgramLevel), default=ProgramLevel.REGIONAL)
    # A school that joins mid-year: per-school targets count from this day, and no task falls
    # due for it before.
    joined_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class DeadlineKind(enum.StrEnum):
    OWN = "own"  # added by a coordinator (or an admin, for coordinators)
    PLAN = "plan"  # from a plan-graph template
    MONITORING = "monitoring"  # a monitoring stage


class Responsible(enum.StrEnum):
    COORDINATORS = "coordinators"  # the municipality's coordinators
    SCHOOL_LEADERS = "school_leaders"  # one task per participating school, for its leaders
    TUTORS = "tutors"  # the municipality's tutors, one task each
    PERSON = "person"  # a named person


class DoneBy(enum.StrEnum):
    """What «Выполнено» needs."""

    CONFIRM = "confirm"
    COMMENT = "comment"
    FILE = "file"  # evidence, kept and downloadable by the coordinator
    RECORDS = "records"  # checked off from what the bot records (events, consultations, …)


class Recurrence(enum.StrEnum):
    NONE = "none"
    YEARLY = "yearly"


class MonitoringStage(enum.StrEnum):
    ENTRY = "entry"  # входной (март)
    INTERIM = "interim"  # промежуточный (сентябрь)
    FINAL = "final"  # итоговый (ноябрь)


class Deadline(Base):
    __tablename__ = "deadlines"
    __table_args__ = (Index("ix_deadlines_scope_year", "municipality_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE")
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)  # the program year (see YearKind)
    kind: Mapped[DeadlineKind] = mapped_column(_enum(DeadlineKind), default=DeadlineKind.OWN)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    responsible: Mapped[Responsible] = mapped_column(_enum(Responsible))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    starts_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    # Days before the due date (0 = on the day).
    reminder_days: Mapped[list[int]] = mapped_column(JSON, default=lambda: [14, 7, 1, 0])
    recurrence: Mapped[Recurrence] = mapped_column(_enum(Recurrence), default=Recurrence.NONE)
    done_by: Mapped[DoneBy] = mapped_column(_enum(DoneBy), default=DoneBy.CONFIRM)
    # For DoneBy.RECORDS: what counts, e.g. {"records": "events", "types": ["desant"], "min": 1}.
    check: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    stage: Mapped[MonitoringStage | None] = mapped_column(_enum(MonitoringStage))
    template_code: Mapped[str | None] = mapped_column(String(60))
    item_code: Mapped[str | None] = mapped_column(String(20))
    # Makes applying a template (or creating the year's stages) twice a no-op:
    # "<municipality>:<template>:<item>:<year>:<n>".
    origin_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    removed_at: Mapped[datetime | None]


class TaskStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"


class DeadlineTask(Base):
    """One school's or one person's share of a deadline."""

    __tablename__ = "deadline_tasks"
    __table_args__ = (UniqueConstraint("deadline_id", "target_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deadline_id: Mapped[int] = mapped_column(
        ForeignKey("deadlines.id", ondelete="CASCADE"), index=True
    )
    # "s<school id>" or "p<person id>": one task per target, whatever the fan-out ran twice.
    target_key: Mapped[str] = mapped_column(String(24))
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("schools.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus), default=TaskStatus.PENDING)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    comment: Mapped[str | None] = mapped_column(Text)
    evidence_file_id: Mapped[str | None] = mapped_column(String(200))
    evidence_name: Mapped[str | None] = mapped_column(String(200))
    evidence_size: Mapped[int | None] = mapped_column(Integer)
    help_requested_at: Mapped[datetime | None]


class DeadlineReminder(Base):
    """A reminder or alert queued for a task: its key says which («d7», «overdue:2027-03-02»,
    «alert»), so the sweep queues each exactly once."""

    __tablename__ = "deadline_reminders"

    task_id: Mapped[int] = mapped_column(
        ForeignKey("deadline_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    queued_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PlanTemplate(Base):
    """A region's plan-graph template (YAML, the same shape as config/plan_templates/)."""

    __tablename__ = "plan_templates"
    __table_args__ = (UniqueConstraint("region_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class DigestSent(Base):
    """A coordinator's weekly digest, once per ISO week whatever the restarts."""

    __tablename__ = "digests_sent"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[str] = mapped_column(String(10), primary_key=True)  # "2027-W10"
    queued_at: Mapped[datetime] = mapped_column(server_default=func.now())
