"""The KPI report's queries: each is one statement over a set of municipalities, grouped in SQL
by school, municipality or event, so a region of 600 schools and 25,000 teachers is read in a
handful of statements (never one per school).

The service (`bot.services.kpi`) turns these per-school and per-municipality figures into the
lines of a municipality, of the region, and of each municipality for the admin's sheet.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, func, or_, select, text, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Select

from storage.models import (
    Answer,
    CheckStage,
    Community,
    CommunityMembership,
    Consultation,
    ConsultationTeacher,
    Deadline,
    DeadlineKind,
    DeadlineTask,
    Event,
    EventAttendance,
    EventStatus,
    Person,
    PersonRole,
    PersonStatus,
    PersonSubject,
    Response,
    ResponseStatus,
    Role,
    School,
    SchoolParticipation,
    Survey,
    TaskStatus,
)
from storage.repositories.self_checks import with_section_rises

REPORTED = (EventStatus.PUBLISHED, EventStatus.HELD)


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    type: str
    scope: str
    status: EventStatus
    starts_at: datetime
    ends_at: datetime
    timezone: str
    hours: float
    host_school_id: int | None
    municipality_id: int | None  # the event's own, or its host school's


@dataclass(frozen=True, slots=True)
class TeacherCounts:
    """Teachers of one participating school (people with the teacher role working there)."""

    teachers: int = 0
    checked: int = 0  # a submitted self-check in the window
    subject_teachers: int = 0  # teaching one of the called-out subjects
    subject_checked: int = 0
    in_communities: int = 0  # member of an active community
    reached: int = 0  # any of: self-check, community, consultation, attended event


@dataclass(frozen=True, slots=True)
class TaskCounts:
    due: int = 0
    done: int = 0


@dataclass(frozen=True, slots=True)
class SurveyShare:
    survey_id: int
    municipality_id: int | None
    created_at: datetime
    answers: int
    satisfied: int


class KpiRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def plan_each_statement(self) -> None:
        """PostgreSQL: plan this transaction's statements for their actual values. asyncpg
        keeps statements prepared, and after five runs PostgreSQL may switch one to a generic
        plan; for these few large aggregates over a region that plan was 3× slower (the sixth
        report of a session took 1.4 s instead of 0.5). Planning them anew costs little."""
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

    async def subjects(self) -> Sequence[str]:
        """Every subject spelling in the roster (a few dozen): matched case-blind in Python,
        where SQLite's lower() would miss Cyrillic."""
        return (await self.session.scalars(select(PersonSubject.subject).distinct())).all()

    # --- events -----------------------------------------------------------------------------

    async def events(
        self,
        municipality_ids: Collection[int],
        region_id: int | None,
        starts_from: datetime,
        starts_until: datetime,
    ) -> list[EventRow]:
        """Published and held events starting in the period: the municipalities' own, those
        hosted at their schools, and (with `region_id`) the region's."""
        host_municipality = select(School.municipality_id).where(School.id == Event.host_school_id)
        owner = func.coalesce(Event.municipality_id, host_municipality.scalar_subquery())
        scoped: list[ColumnElement[bool]] = [
            Event.municipality_id.in_(municipality_ids),
            Event.host_school_id.in_(
                select(School.id).where(School.municipality_id.in_(municipality_ids))
            ),
        ]
        if region_id is not None:
            scoped.append(Event.region_id == region_id)
        rows = await self.session.execute(
            select(
                Event.id,
                Event.type,
                Event.scope,
                Event.status,
                Event.starts_at,
                Event.ends_at,
                Event.timezone,
                Event.duration_hours,
                Event.host_school_id,
                owner,
            ).where(
                Event.status.in_(REPORTED),
                Event.starts_at >= starts_from,
                Event.starts_at < starts_until,
                or_(*scoped),
            )
        )
        return [
            EventRow(r[0], r[1], str(r[2]), r[3], r[4], r[5], r[6], float(r[7]), r[8], r[9])
            for r in rows.all()
        ]

    async def attendance(self, event_ids: Collection[int]) -> dict[int, tuple[int, int]]:
        """Per event: (people who came, districts they came from)."""
        if not event_ids:
            return {}
        rows = await self.session.execute(
            select(
                EventAttendance.event_id,
                func.count(func.distinct(EventAttendance.person_id)),
                func.count(func.distinct(EventAttendance.municipality_id)),
            )
            .where(EventAttendance.event_id.in_(event_ids), EventAttendance.session_id.is_(None))
            .group_by(EventAttendance.event_id)
        )
        return {r[0]: (int(r[1]), int(r[2])) for r in rows.all()}

    # --- consultations ----------------------------------------------------------------------

    async def last_consultations(
        self, municipality_ids: Collection[int], first: date, last: date
    ) -> dict[int, date]:
        """Per school, its last consultation in the window (a school that joined mid-year
        counts if this falls on or after the day it joined)."""
        rows = await self.session.execute(
            select(Consultation.school_id, func.max(Consultation.held_on))
            .where(
                Consultation.municipality_id.in_(municipality_ids),
                Consultation.held_on >= first,
                Consultation.held_on <= last,
            )
            .group_by(Consultation.school_id)
        )
        return {r[0]: r[1] for r in rows.all() if r[1] is not None}

    # --- teachers ---------------------------------------------------------------------------

    @staticmethod
    def _teachers(municipality_ids: Collection[int], year: int) -> Select[int, int | None]:
        """(person, school) of the teachers of the year's participating schools."""
        teacher_ids = select(PersonRole.person_id).where(PersonRole.role == Role.TEACHER)
        schools = select(SchoolParticipation.school_id).where(
            SchoolParticipation.year == year,
            SchoolParticipation.municipality_id.in_(municipality_ids),
        )
        # Membership tests, not a join: people have no index on their school, and a join from
        # the participations read all 25,000 people once per school on SQLite.
        return select(Person.id.label("person_id"), Person.school_id.label("school_id")).where(
            Person.school_id.in_(schools),
            Person.status != PersonStatus.FORGOTTEN,
            Person.id.in_(teacher_ids),
        )

    @staticmethod
    def _checked(
        municipality_ids: Collection[int], scenario_id: str, since: datetime, until: datetime
    ) -> Select[Any]:
        """People with a check submitted in the window, in the municipalities (a check keeps
        the municipality its author was in: the index narrows a municipality's report)."""
        return select(Response.person_id).where(
            Response.scenario_id == scenario_id,
            Response.status == ResponseStatus.SUBMITTED,
            Response.municipality_id.in_(municipality_ids),
            Response.submitted_at >= since,
            Response.submitted_at < until,
            Response.person_id.is_not(None),
        )

    async def teacher_counts(
        self,
        municipality_ids: Collection[int],
        year: int,
        *,
        scenario_id: str,
        subjects: Collection[str],
        since: datetime,
        until: datetime,
    ) -> dict[int, TeacherCounts]:
        """Per participating school, its teachers and how many of them did what in the window."""
        base = self._teachers(municipality_ids, year).subquery()
        checked = self._checked(municipality_ids, scenario_id, since, until).distinct()
        subject = select(PersonSubject.person_id).where(PersonSubject.subject.in_(subjects))
        members = (
            select(CommunityMembership.person_id)
            .join(Community, Community.id == CommunityMembership.community_id)
            .where(
                Community.is_active.is_(True),
                Community.municipality_id.in_(municipality_ids),
                CommunityMembership.joined_at < until,
            )
        )
        consulted = (
            select(ConsultationTeacher.teacher_id)
            .join(Consultation, Consultation.id == ConsultationTeacher.consultation_id)
            .where(
                Consultation.municipality_id.in_(municipality_ids),
                Consultation.held_on >= since.date(),
                Consultation.held_on < until.date(),
            )
        )
        attended = (
            select(EventAttendance.person_id)
            .join(Event, Event.id == EventAttendance.event_id)
            .where(Event.status.in_(REPORTED), Event.starts_at >= since, Event.starts_at < until)
        )
        reached = union(checked, members, consulted, attended)
        # One grouped statement; each set of people is read once (SQLite keeps an IN list as
        # an indexed temporary table), the teachers once.
        is_checked = base.c.person_id.in_(checked)
        is_subject = base.c.person_id.in_(subject)

        def count(condition: Any) -> Any:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        rows = await self.session.execute(
            select(
                base.c.school_id,
                func.count(),
                count(is_checked),
                count(is_subject),
                count(and_(is_subject, is_checked)),
                count(base.c.person_id.in_(members)),
                count(base.c.person_id.in_(reached)),
            )
            .where(base.c.school_id.is_not(None))
            .group_by(base.c.school_id)
        )
        return {r[0]: TeacherCounts(*(int(v) for v in r[1:])) for r in rows.all()}

    async def dynamics(
        self,
        municipality_ids: Collection[int],
        year: int,
        *,
        scenario_id: str,
        sections: Sequence[str],
        since: datetime,
        until: datetime,
    ) -> dict[int, tuple[int, int]]:
        """Per participating school: (teachers with an entry and a final check in the window,
        of them whose percent rose in every one of `sections`) — the rule the coordinator's
        self-check summary uses (`SelfChecksRepo.dynamics_counts`), over the year's schools."""
        base = self._teachers(municipality_ids, year).subquery()
        # One pass over the window's checks: each person's first entry and last final check.
        checks = (
            select(
                Response.person_id.label("person_id"),
                func.min(case((Response.stage == CheckStage.ENTRY, Response.id))).label("entry"),
                func.max(case((Response.stage == CheckStage.FINAL, Response.id))).label("final"),
            )
            .where(
                Response.scenario_id == scenario_id,
                Response.status == ResponseStatus.SUBMITTED,
                Response.municipality_id.in_(municipality_ids),
                Response.submitted_at >= since,
                Response.submitted_at < until,
                Response.person_id.is_not(None),
            )
            .group_by(Response.person_id)
            .subquery()
        )
        per_person = (
            with_section_rises(
                select(base.c.school_id, base.c.person_id).join(
                    checks, checks.c.person_id == base.c.person_id
                ),
                checks.c.entry,
                checks.c.final,
                sections,
            )
            .where(checks.c.entry.is_not(None), checks.c.final.is_not(None))
            .group_by(base.c.school_id, base.c.person_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(
                per_person.c.school_id,
                func.count(),
                func.coalesce(func.sum(case((per_person.c.rose >= len(sections), 1), else_=0)), 0),
            ).group_by(per_person.c.school_id)
        )
        return {r[0]: (int(r[1]), int(r[2])) for r in rows.all()}

    # --- communities ------------------------------------------------------------------------

    async def communities(
        self, municipality_ids: Collection[int], until: datetime
    ) -> dict[int, tuple[int, int]]:
        """Per municipality: (communities with a member who joined before `until`, of them
        active «горизонтальное обучение» ones). A community has no date of its own: its first
        member dates it, so a past year does not count today's communities."""
        dated = (
            select(CommunityMembership.community_id)
            .where(CommunityMembership.joined_at < until)
            .distinct()
            .subquery()
        )
        counted = and_(Community.is_active.is_(True), Community.horizontal_learning.is_(True))
        rows = await self.session.execute(
            select(
                Community.municipality_id,
                func.count(),
                func.coalesce(func.sum(case((counted, 1), else_=0)), 0),
            )
            .join(dated, dated.c.community_id == Community.id)
            .where(Community.municipality_id.in_(municipality_ids))
            .group_by(Community.municipality_id)
        )
        return {r[0]: (int(r[1]), int(r[2])) for r in rows.all()}

    # --- deadlines --------------------------------------------------------------------------

    async def tasks(
        self, municipality_ids: Collection[int], year: int, kind: DeadlineKind, due_by: date
    ) -> dict[int, TaskCounts]:
        """Per municipality, the tasks of the year's deadlines of `kind` due by `due_by`: how
        many, and how many done — on time (by the due day) for plan items, at all for the
        monitoring stages (a late report still submits the stage)."""
        if kind == DeadlineKind.PLAN:
            done = and_(
                DeadlineTask.status == TaskStatus.DONE,
                func.date(DeadlineTask.done_at) <= Deadline.due_on,
            )
        else:
            done = DeadlineTask.status == TaskStatus.DONE
        rows = await self.session.execute(
            select(
                Deadline.municipality_id,
                func.count(DeadlineTask.id),
                func.coalesce(func.sum(case((done, 1), else_=0)), 0),
            )
            .join(DeadlineTask, DeadlineTask.deadline_id == Deadline.id)
            .where(
                Deadline.municipality_id.in_(municipality_ids),
                Deadline.year == year,
                Deadline.kind == kind,
                Deadline.removed_at.is_(None),
                Deadline.due_on <= due_by,
            )
            .group_by(Deadline.municipality_id)
        )
        return {r[0]: TaskCounts(int(r[1]), int(r[2])) for r in rows.all() if r[0] is not None}

    # --- surveys ----------------------------------------------------------------------------

    async def survey_shares(
        self,
        municipality_ids: Collection[int],
        region_id: int | None,
        *,
        scenario_id: str,
        questions: Collection[str],
        satisfied: Collection[int],
        since: datetime,
        until: datetime,
    ) -> list[SurveyShare]:
        """Per survey of the scenario launched in the window: the submitted answers to the
        scale questions, and how many of them are in `satisfied` (grouped by the answer's
        text: a JSON value has no equality in PostgreSQL)."""
        scoped: list[ColumnElement[bool]] = [Survey.municipality_id.in_(municipality_ids)]
        if region_id is not None:
            scoped.append(and_(Survey.region_id == region_id, Survey.municipality_id.is_(None)))
        value = cast(Answer.value, String)
        rows = await self.session.execute(
            select(Survey.id, Survey.municipality_id, Survey.created_at, value, func.count())
            .join(Response, Response.survey_id == Survey.id)
            .join(Answer, Answer.response_id == Response.id)
            .where(
                Survey.scenario_id == scenario_id,
                Survey.created_at >= since,
                Survey.created_at < until,
                or_(*scoped),
                Response.status == ResponseStatus.SUBMITTED,
                Answer.question_id.in_(questions),
            )
            .group_by(Survey.id, Survey.municipality_id, Survey.created_at, value)
        )
        wanted = {str(v) for v in satisfied}
        found: dict[int, list[Any]] = {}
        for survey_id, municipality_id, created_at, answer, n in rows.all():
            entry = found.setdefault(survey_id, [municipality_id, created_at, 0, 0])
            entry[2] += int(n)
            if str(answer).strip().strip('"') in wanted:
                entry[3] += int(n)
        return [
            SurveyShare(survey_id, m, created, total, good)
            for survey_id, (m, created, total, good) in found.items()
        ]
