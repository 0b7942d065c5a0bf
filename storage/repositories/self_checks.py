"""Self-check results and routes (ИОМ): a teacher's own, a tutor's teachers', and the
coordinator's aggregates over a municipality.

The aggregates are set-based: each is one statement over the municipality's teachers, grouped
in SQL, so a region of 25,000 teachers with three checks each is read without id lists.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Select

from storage.models import (
    Answer,
    CheckStage,
    Delivery,
    Person,
    PersonRole,
    PersonStatus,
    PersonSubject,
    Response,
    ResponseStatus,
    Role,
    RouteItem,
    RouteItemKind,
    School,
    SectionScore,
    SurveyInvitee,
)


@dataclass(frozen=True)
class CheckRow:
    response_id: int
    person_id: int
    stage: CheckStage | None
    program_year: int | None
    submitted_at: datetime | None


@dataclass(frozen=True)
class ScoreRow:
    response_id: int
    section_id: str
    percent: float
    level: str


@dataclass(frozen=True)
class TeacherRow:
    person_id: int
    full_name: str | None
    school_id: int | None


def with_section_rises(
    query: Select[Any],
    entry_id: ColumnElement[int],
    final_id: ColumnElement[int],
    sections: Sequence[str],
) -> Select[Any]:
    """`query` (a person a row once the caller groups it) with a «rose» column: in how many of
    `sections` the final check's percent is above the entry check's. «Positive dynamics» is
    rose in every one; the coordinator's summary and the KPI report count it the same way."""
    entry_score, final_score = SectionScore.__table__.alias(), SectionScore.__table__.alias()
    rose = func.sum(case((final_score.c.percent > entry_score.c.percent, 1), else_=0))
    return (
        query.add_columns(rose.label("rose"))
        .outerjoin(
            entry_score,
            and_(entry_score.c.response_id == entry_id, entry_score.c.section_id.in_(sections)),
        )
        .outerjoin(
            final_score,
            and_(
                final_score.c.response_id == final_id,
                final_score.c.section_id == entry_score.c.section_id,
            ),
        )
    )  # fmt: skip


class SelfChecksRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- one person -------------------------------------------------------------------------

    async def submitted_of(
        self, person_ids: Collection[int], scenario_id: str, *, latest_only: bool = False
    ) -> list[CheckRow]:
        """Submitted checks of the people, newest first (with `latest_only`, one per person)."""
        if not person_ids:
            return []
        query = select(
            Response.id,
            Response.person_id,
            Response.stage,
            Response.program_year,
            Response.submitted_at,
        ).where(
            Response.person_id.in_(person_ids),
            Response.scenario_id == scenario_id,
            Response.status == ResponseStatus.SUBMITTED,
        )
        if latest_only:
            newest = (
                select(func.max(Response.id))
                .where(
                    Response.person_id.in_(person_ids),
                    Response.scenario_id == scenario_id,
                    Response.status == ResponseStatus.SUBMITTED,
                )
                .group_by(Response.person_id)
            )
            query = query.where(Response.id.in_(newest))
        rows = await self.session.execute(query.order_by(Response.id.desc()))
        return [CheckRow(r[0], r[1], r[2], r[3], r[4]) for r in rows.all() if r[1] is not None]

    async def check(self, response_id: int) -> CheckRow | None:
        row = (
            await self.session.execute(
                select(
                    Response.id,
                    Response.person_id,
                    Response.stage,
                    Response.program_year,
                    Response.submitted_at,
                ).where(Response.id == response_id, Response.status == ResponseStatus.SUBMITTED)
            )
        ).first()
        if row is None or row[1] is None:
            return None
        return CheckRow(row[0], row[1], row[2], row[3], row[4])

    async def scores(self, response_ids: Collection[int]) -> dict[int, list[ScoreRow]]:
        if not response_ids:
            return {}
        rows = await self.session.execute(
            select(
                SectionScore.response_id,
                SectionScore.section_id,
                SectionScore.percent,
                SectionScore.level,
            ).where(SectionScore.response_id.in_(response_ids))
        )
        found: dict[int, list[ScoreRow]] = {}
        for r in rows.all():
            found.setdefault(r[0], []).append(ScoreRow(r[0], r[1], r[2], r[3]))
        return found

    # --- the route --------------------------------------------------------------------------

    async def route(self, person_id: int) -> Sequence[RouteItem]:
        return (
            await self.session.scalars(
                select(RouteItem).where(RouteItem.person_id == person_id).order_by(RouteItem.id)
            )
        ).all()

    async def route_item(self, item_id: int) -> RouteItem | None:
        return await self.session.get(RouteItem, item_id)

    async def has_route_of(self, person_id: int, response_id: int) -> bool:
        found = await self.session.execute(
            select(RouteItem.id)
            .where(RouteItem.person_id == person_id, RouteItem.response_id == response_id)
            .limit(1)
        )
        return found.first() is not None

    async def has_open_suggestions(self, person_id: int) -> bool:
        found = await self.session.execute(
            select(RouteItem.id)
            .where(
                RouteItem.person_id == person_id,
                RouteItem.kind != RouteItemKind.TUTOR_NOTE,
                RouteItem.done_at.is_(None),
            )
            .limit(1)
        )
        return found.first() is not None

    async def replace_generated_route(self, person_id: int, items: Sequence[RouteItem]) -> None:
        """The suggestions of a new check take the place of the open suggestions of the last;
        what the tutor added and what the teacher has done stay."""
        await self.session.execute(
            delete(RouteItem).where(
                RouteItem.person_id == person_id,
                RouteItem.kind != RouteItemKind.TUTOR_NOTE,
                RouteItem.done_at.is_(None),
            )
        )
        self.session.add_all(items)
        await self.session.flush()

    async def add_route_item(self, item: RouteItem) -> RouteItem:
        self.session.add(item)
        await self.session.flush()
        return item

    # --- a municipality ---------------------------------------------------------------------

    @staticmethod
    def _teachers(municipality_id: int) -> Select[Any]:
        """The municipality's teachers (people living there with the teacher role)."""
        return (
            select(Person.id)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(Person.municipality_id == municipality_id, PersonRole.role == Role.TEACHER)
        )

    @staticmethod
    def _passed(scenario_id: str, program_year: int) -> Select[Any]:
        """People with a submitted check in the program year."""
        return select(Response.person_id).where(
            Response.scenario_id == scenario_id,
            Response.status == ResponseStatus.SUBMITTED,
            Response.program_year == program_year,
            Response.person_id.is_not(None),
        )

    async def passed_counts(
        self, municipality_id: int, scenario_id: str, program_year: int
    ) -> tuple[int, int]:
        """(teachers, of them with a check this program year)."""
        teachers = self._teachers(municipality_id).subquery()
        passed = self._passed(scenario_id, program_year).subquery()
        row = (
            await self.session.execute(
                select(
                    func.count(func.distinct(teachers.c.id)),
                    func.count(func.distinct(passed.c.person_id)),
                )
                .select_from(teachers)
                .outerjoin(passed, passed.c.person_id == teachers.c.id)
            )
        ).one()
        return int(row[0]), int(row[1])

    async def passed_by_subject(
        self, municipality_id: int, scenario_id: str, program_year: int
    ) -> list[tuple[str, int, int]]:
        """(subject, teachers of it, of them with a check this year), by subject."""
        teachers = self._teachers(municipality_id).subquery()
        passed = self._passed(scenario_id, program_year).subquery()
        rows = await self.session.execute(
            select(
                PersonSubject.subject,
                func.count(func.distinct(teachers.c.id)),
                func.count(func.distinct(passed.c.person_id)),
            )
            .select_from(teachers)
            .join(PersonSubject, PersonSubject.person_id == teachers.c.id)
            .outerjoin(passed, passed.c.person_id == teachers.c.id)
            .group_by(PersonSubject.subject)
            .order_by(PersonSubject.subject)
        )
        return [(r[0], int(r[1]), int(r[2])) for r in rows.all()]

    async def not_passed(
        self,
        municipality_id: int,
        scenario_id: str,
        program_year: int,
        *,
        offset: int = 0,
        limit: int | None = None,
        reachable_only: bool = False,
    ) -> list[TeacherRow]:
        """Teachers without a check this program year (not forgotten), by school and name."""
        passed = self._passed(scenario_id, program_year)
        query = (
            select(Person.id, Person.full_name, Person.school_id)
            .where(
                Person.id.in_(self._teachers(municipality_id)),
                Person.status != PersonStatus.FORGOTTEN,
                ~Person.id.in_(passed),
            )
            .order_by(Person.school_id, Person.full_name, Person.id)
            .offset(offset)
        )
        if reachable_only:
            query = query.where(
                Person.telegram_id.is_not(None), Person.status == PersonStatus.ACTIVE
            )
        if limit is not None:
            query = query.limit(limit)
        rows = await self.session.execute(query)
        return [TeacherRow(r[0], r[1], r[2]) for r in rows.all()]

    async def not_passed_people(
        self, municipality_id: int, scenario_id: str, program_year: int
    ) -> Sequence[Person]:
        """Those of `not_passed` the bot can reach, as rows to queue a message to."""
        return (
            await self.session.scalars(
                select(Person).where(
                    Person.id.in_(self._teachers(municipality_id)),
                    Person.status == PersonStatus.ACTIVE,
                    Person.telegram_id.is_not(None),
                    ~Person.id.in_(self._passed(scenario_id, program_year)),
                )
            )
        ).all()

    async def last_reminder_at(self, municipality_id: int, kind: str) -> datetime | None:
        """When a message of `kind` was last queued for someone of the municipality."""
        return (
            await self.session.execute(
                select(func.max(Delivery.created_at))
                .join(Person, Person.id == Delivery.person_id)
                .where(Delivery.kind == kind, Person.municipality_id == municipality_id)
            )
        ).scalar()

    def _latest_checks(self, municipality_id: int, scenario_id: str) -> Select[Any]:
        """The newest submitted check of each teacher who submitted one in the municipality."""
        return (
            select(func.max(Response.id))
            .where(
                Response.scenario_id == scenario_id,
                Response.status == ResponseStatus.SUBMITTED,
                Response.municipality_id == municipality_id,
                Response.person_id.is_not(None),
            )
            .group_by(Response.person_id)
        )

    async def school_means(
        self, municipality_id: int, scenario_id: str
    ) -> list[tuple[int, str, str, float, int]]:
        """(school id, school name, section id, mean percent, checks) of the latest checks."""
        latest = self._latest_checks(municipality_id, scenario_id).subquery()
        rows = await self.session.execute(
            select(
                School.id,
                func.coalesce(School.short_name, School.name),
                SectionScore.section_id,
                func.avg(SectionScore.percent),
                func.count(SectionScore.response_id),
            )
            .select_from(Response)
            .join(latest, latest.c[0] == Response.id)
            .join(SectionScore, SectionScore.response_id == Response.id)
            .join(School, School.id == Response.school_id)
            .group_by(School.id, School.short_name, School.name, SectionScore.section_id)
            .order_by(School.name)
        )
        return [(r[0], r[1], r[2], float(r[3]), int(r[4])) for r in rows.all()]

    def _stage_checks(
        self, municipality_id: int, scenario_id: str, program_year: int
    ) -> tuple[Any, Any]:
        """Per teacher of the year: the entry check (first) and the final one (last)."""
        base = (
            Response.scenario_id == scenario_id,
            Response.status == ResponseStatus.SUBMITTED,
            Response.program_year == program_year,
            Response.municipality_id == municipality_id,
        )
        entry = (
            select(Response.person_id, func.min(Response.id).label("rid"))
            .where(*base, Response.stage == CheckStage.ENTRY)
            .group_by(Response.person_id)
        )
        final = (
            select(Response.person_id, func.max(Response.id).label("rid"))
            .where(*base, Response.stage == CheckStage.FINAL)
            .group_by(Response.person_id)
        )
        return entry, final

    async def dynamics_counts(
        self, municipality_id: int, scenario_id: str, program_year: int, sections: Sequence[str]
    ) -> tuple[int, int]:
        """(teachers with an entry and a final check this year, of them whose percent rose in
        every one of `sections`)."""
        entry_q, final_q = self._stage_checks(municipality_id, scenario_id, program_year)
        entry, final = entry_q.subquery(), final_q.subquery()
        per_person = (
            with_section_rises(
                select(entry.c.person_id).join(final, final.c.person_id == entry.c.person_id),
                entry.c.rid,
                final.c.rid,
                sections,
            )
            .group_by(entry.c.person_id)
            .subquery()
        )
        row = (
            await self.session.execute(
                select(
                    func.count(),
                    func.coalesce(
                        func.sum(case((per_person.c.rose >= len(sections), 1), else_=0)), 0
                    ),
                ).select_from(per_person)
            )
        ).one()
        return int(row[0]), int(row[1])

    async def export_rows(
        self, municipality_id: int, scenario_id: str, program_year: int
    ) -> tuple[
        list[tuple[int, str | None, str | None]],
        dict[tuple[int, str], dict[str, tuple[float, str]]],
    ]:
        """Teachers of the municipality (id, name, school) and, by (person, stage), the
        percent and level of each section of their entry and final checks this year."""
        teachers = await self.session.execute(
            select(Person.id, Person.full_name, func.coalesce(School.short_name, School.name))
            .outerjoin(School, School.id == Person.school_id)
            .where(Person.id.in_(self._teachers(municipality_id)))
            .order_by(School.name, Person.full_name, Person.id)
        )
        entry_q, final_q = self._stage_checks(municipality_id, scenario_id, program_year)
        scores: dict[tuple[int, str], dict[str, tuple[float, str]]] = {}
        for stage, chosen in ((CheckStage.ENTRY, entry_q), (CheckStage.FINAL, final_q)):
            picked = chosen.subquery()
            rows = await self.session.execute(
                select(
                    picked.c.person_id,
                    SectionScore.section_id,
                    SectionScore.percent,
                    SectionScore.level,
                ).join(SectionScore, SectionScore.response_id == picked.c.rid)
            )
            for person_id, section_id, percent, level in rows.all():
                scores.setdefault((person_id, stage.value), {})[section_id] = (percent, level)
        return [(r[0], r[1], r[2]) for r in teachers.all()], scores

    # --- a person's own, for /mydata and /forget -----------------------------------------------

    async def responses_of(self, person_id: int) -> Sequence[Response]:
        return (
            await self.session.scalars(
                select(Response).where(Response.person_id == person_id).order_by(Response.id)
            )
        ).all()

    async def forget_person(self, person_id: int, text_questions: dict[str, set[str]]) -> None:
        """What the person wrote in their own words and whatever is unfinished goes, with their
        route and their place in surveys; submitted scores stay, as anonymous results.
        `text_questions`: by scenario id, the questions answered in free text (a scenario no
        longer known loses every answer)."""
        drafts = select(SurveyInvitee.draft_response_id).where(
            SurveyInvitee.person_id == person_id, SurveyInvitee.draft_response_id.is_not(None)
        )
        await self.session.execute(
            delete(Response).where(
                Response.status == ResponseStatus.IN_PROGRESS,
                (Response.person_id == person_id) | Response.id.in_(drafts),
            )
        )
        submitted = await self.session.execute(
            select(Response.id, Response.scenario_id).where(Response.person_id == person_id)
        )
        for response_id, scenario_id in submitted.all():
            query = delete(Answer).where(Answer.response_id == response_id)
            known = text_questions.get(scenario_id)
            if known is not None:
                query = query.where(Answer.question_id.in_(known))
            await self.session.execute(query)
        await self.session.execute(delete(RouteItem).where(RouteItem.person_id == person_id))
        await self.session.execute(
            delete(SurveyInvitee).where(SurveyInvitee.person_id == person_id)
        )
