"""Surveys and self-checks: who was asked, the answers as they are given, the scores, and the
individual route (ИОМ) a self-check leads to.

The scenario itself is a file (`bot/scenarios/*.yaml`); rows name it by `scenario_id` and keep
the `scenario_version` (the file's hash) they were answered on.

Anonymous surveys keep who answered (`SurveyInvitee.answered_at`, for reminders and counts)
apart from what was answered (`Response` without a person): no row links the two.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, _enum


class SurveyStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ResponseStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class CheckStage(enum.StrEnum):
    """Self-checks of a program year: the first is the entry check, a later one the final."""

    ENTRY = "entry"  # входная
    FINAL = "final"  # итоговая


class RouteItemKind(enum.StrEnum):
    EVENT = "event"
    COMMUNITY = "community"
    MATERIAL = "material"
    TUTOR_TOPIC = "tutor_topic"  # a topic to take to the tutor
    TUTOR_NOTE = "tutor_note"  # added by the tutor


class Survey(Base):
    """A scenario launched by a coordinator to an audience until a deadline."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(40))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="CASCADE"), index=True
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    deadline: Mapped[datetime]
    status: Mapped[SurveyStatus] = mapped_column(_enum(SurveyStatus), default=SurveyStatus.OPEN)
    # sha256 of the public link's code (`?start=s_<code>`); None: only invited people answer.
    public_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invited: Mapped[int] = mapped_column(Integer, default=0)
    reminded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    closed_at: Mapped[datetime | None]
    # One per launch form: a second tap on «Запустить» finds this survey instead of a twin.
    launch_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    # The event whose attendees this survey asks for feedback (the event-feedback scenario).
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), unique=True
    )


class SurveyInvitee(Base):
    """One person asked to answer a survey; `answered_at` says they have (never which answers
    are theirs when the survey is anonymous)."""

    __tablename__ = "survey_invitees"
    __table_args__ = (Index("ix_survey_invitees_unanswered", "survey_id", "answered_at"),)

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    answered_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    # An anonymous survey's unfinished answers, so the person can come back to them; cleared
    # when they are sent, after which nothing tells whose they are.
    draft_response_id: Mapped[int | None] = mapped_column(
        ForeignKey("responses.id", ondelete="SET NULL")
    )


class Response(Base):
    """One pass through a scenario: answers are stored as they are given, so it resumes."""

    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_person_scenario", "person_id", "scenario_id", "status"),
        Index("ix_responses_survey_status", "survey_id", "status"),
        Index("ix_responses_scenario_submitted", "scenario_id", "status", "municipality_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[str] = mapped_column(String(40))
    scenario_version: Mapped[str] = mapped_column(String(16))
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    # None for an anonymous survey's answers and for answers given by public link.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    # Where the person worked when they submitted (self-check views and the heat map);
    # None for anonymous answers.
    school_id: Mapped[int | None] = mapped_column(
        ForeignKey("schools.id", ondelete="SET NULL"), index=True
    )
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id", ondelete="SET NULL")
    )
    status: Mapped[ResponseStatus] = mapped_column(
        _enum(ResponseStatus), default=ResponseStatus.IN_PROGRESS
    )
    # The question on screen: where the person comes back to.
    current_question: Mapped[str | None] = mapped_column(String(40))
    # Self-checks: the program year (its September) and the stage within it.
    program_year: Mapped[int | None] = mapped_column(Integer)
    stage: Mapped[CheckStage | None] = mapped_column(_enum(CheckStage))
    started_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]


class Answer(Base):
    """One answer: an option id, a list of them, a number, a text or an ISO date (JSON)."""

    __tablename__ = "answers"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    answered_at: Mapped[datetime]


class SectionScore(Base):
    """A scored section of a submitted response (a self-check block)."""

    __tablename__ = "section_scores"

    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    section_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    percent: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(16))


class RouteItem(Base):
    """One step of a teacher's individual route (ИОМ)."""

    __tablename__ = "route_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id", ondelete="SET NULL"))
    section_id: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[RouteItemKind] = mapped_column(_enum(RouteItemKind))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(500))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    done_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(Text)
