"""Surveys as coordinators run them: launching to an audience, counts, non-responders, the
answers for the summary and the export. (The runner's own reads are `responses.py`.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Answer,
    Municipality,
    Person,
    PersonStatus,
    Response,
    ResponseStatus,
    School,
    Survey,
    SurveyInvitee,
    SurveyStatus,
)

# What a message to an invitee needs: person id, chat id, municipality (its zone), language.
InviteeRow = tuple[int, int, int | None, str | None]


class SurveysRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, survey: Survey) -> Survey:
        self.session.add(survey)
        await self.session.flush()
        return survey

    async def get(self, survey_id: int) -> Survey | None:
        return await self.session.get(Survey, survey_id)

    async def get_for_update(self, survey_id: int) -> Survey | None:
        return (
            await self.session.execute(
                select(Survey).where(Survey.id == survey_id).with_for_update()
            )
        ).scalar_one_or_none()

    async def by_launch_key(self, author_id: int, key: str) -> Survey | None:
        """The survey a launch form already created (a second tap on «Запустить»)."""
        rows = await self.session.scalars(
            select(Survey).where(Survey.author_id == author_id, Survey.launch_key == key)
        )
        return rows.first()

    async def invitee(self, survey_id: int, person_id: int) -> SurveyInvitee | None:
        return await self.session.get(SurveyInvitee, (survey_id, person_id))

    async def by_code_hash(self, code_hash: str) -> Survey | None:
        rows = await self.session.scalars(
            select(Survey).where(Survey.public_code_hash == code_hash)
        )
        return rows.first()

    async def invite(self, survey_id: int, people: Select[Any]) -> int:
        """Everyone `people` (a query of person ids) names becomes an invitee, in one statement."""
        ids = people.subquery()
        column = next(iter(ids.c))
        await self.session.execute(
            insert(SurveyInvitee).from_select(
                ["survey_id", "person_id"],
                select(literal(survey_id), column).distinct(),
            )
        )
        return int(
            await self.session.scalar(
                select(func.count()).where(SurveyInvitee.survey_id == survey_id)
            )
            or 0
        )

    @staticmethod
    def _visible(
        municipality_ids: Sequence[int], region_ids: Sequence[int], viewer_id: int
    ) -> ColumnElement[bool]:
        return or_(
            Survey.author_id == viewer_id,
            Survey.municipality_id.in_(municipality_ids),
            Survey.region_id.in_(region_ids),
        )

    async def visible_to(
        self, viewer_id: int, municipality_ids: Sequence[int], region_ids: Sequence[int]
    ) -> list[tuple[Survey, int]]:
        """The viewer's surveys with their answered counts: open first, the newest first."""
        answered = (
            select(func.count())
            .where(SurveyInvitee.survey_id == Survey.id, SurveyInvitee.answered_at.is_not(None))
            .scalar_subquery()
        )
        rows = await self.session.execute(
            select(Survey, answered)
            .where(self._visible(municipality_ids, region_ids, viewer_id))
            .order_by((Survey.status == SurveyStatus.OPEN).desc(), Survey.id.desc())
            .limit(30)
        )
        return [(survey, int(count)) for survey, count in rows.all()]

    async def answered_count(self, survey_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    SurveyInvitee.survey_id == survey_id, SurveyInvitee.answered_at.is_not(None)
                )
            )
            or 0
        )

    async def submitted_count(self, survey_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count()).where(
                    Response.survey_id == survey_id, Response.status == ResponseStatus.SUBMITTED
                )
            )
            or 0
        )

    def non_responder_ids(self, survey_id: int) -> Select[int]:
        return select(SurveyInvitee.person_id).where(
            SurveyInvitee.survey_id == survey_id, SurveyInvitee.answered_at.is_(None)
        )

    async def take_for_reminder(
        self, survey_id: int, not_since: datetime, now: datetime
    ) -> list[InviteeRow]:
        """Non-responders not reminded since `not_since`, marked reminded now."""
        due = and_(
            SurveyInvitee.survey_id == survey_id,
            SurveyInvitee.answered_at.is_(None),
            or_(SurveyInvitee.reminded_at.is_(None), SurveyInvitee.reminded_at < not_since),
        )
        ids = list(await self.session.scalars(select(SurveyInvitee.person_id).where(due)))
        if not ids:
            return []
        await self.session.execute(
            update(SurveyInvitee)
            .where(due, SurveyInvitee.person_id.in_(ids))
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        )
        return await self._reachable(ids)

    async def reachable_of(self, person_ids: Sequence[int]) -> list[InviteeRow]:
        return await self._reachable(person_ids)

    async def reachable_invitees(self, survey_id: int) -> list[InviteeRow]:
        ids = list(
            await self.session.scalars(
                select(SurveyInvitee.person_id).where(SurveyInvitee.survey_id == survey_id)
            )
        )
        return await self._reachable(ids)

    async def _reachable(self, ids: Sequence[int]) -> list[InviteeRow]:
        found: list[InviteeRow] = []
        for start in range(0, len(ids), 5000):
            rows = await self.session.execute(
                select(Person.id, Person.telegram_id, Person.municipality_id, Person.locale)
                .where(
                    Person.id.in_(ids[start : start + 5000]),
                    Person.telegram_id.is_not(None),
                    Person.consent_at.is_not(None),
                    Person.status == PersonStatus.ACTIVE,
                )
                .order_by(Person.id)
            )
            found += [(r[0], int(r[1] or 0), r[2], r[3]) for r in rows.all()]
        return found

    async def open_for(self, person_id: int, now: datetime) -> list[Survey]:
        """Open surveys the person is invited to and has not answered yet."""
        rows = await self.session.scalars(
            select(Survey)
            .join(SurveyInvitee, SurveyInvitee.survey_id == Survey.id)
            .where(
                SurveyInvitee.person_id == person_id,
                SurveyInvitee.answered_at.is_(None),
                Survey.status == SurveyStatus.OPEN,
                Survey.deadline > now,
            )
            .order_by(Survey.deadline, Survey.id)
            .limit(20)
        )
        return list(rows.all())

    async def open_by_author_scope(
        self, viewer_id: int, municipality_ids: Sequence[int], region_ids: Sequence[int]
    ) -> list[Survey]:
        rows = await self.session.scalars(
            select(Survey)
            .where(
                self._visible(municipality_ids, region_ids, viewer_id),
                Survey.status == SurveyStatus.OPEN,
            )
            .order_by(Survey.id.desc())
            .limit(20)
        )
        return list(rows.all())

    async def due_for_reminder(self, before: datetime, now: datetime) -> list[Survey]:
        rows = await self.session.scalars(
            select(Survey).where(
                Survey.status == SurveyStatus.OPEN,
                Survey.reminded_at.is_(None),
                Survey.deadline <= before,
                Survey.deadline > now,
            )
        )
        return list(rows.all())

    async def past_deadline(self, now: datetime) -> list[Survey]:
        rows = await self.session.scalars(
            select(Survey).where(Survey.status == SurveyStatus.OPEN, Survey.deadline <= now)
        )
        return list(rows.all())

    async def close(self, survey_id: int, now: datetime) -> bool:
        """Closes an open survey; False when it was closed already (by someone else)."""
        result = await self.session.execute(
            update(Survey)
            .where(Survey.id == survey_id, Survey.status == SurveyStatus.OPEN)
            .values(status=SurveyStatus.CLOSED, closed_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def _submitted(self, survey_id: int) -> ColumnElement[bool]:
        return and_(Response.survey_id == survey_id, Response.status == ResponseStatus.SUBMITTED)

    async def answer_counts(
        self, survey_id: int, counted_only: Collection[str]
    ) -> list[tuple[str, str | None, int]]:
        """(question id, a value as JSON text, how many submitted responses gave it): the
        survey's answers grouped, a few hundred rows however many answered. The values of the
        `counted_only` questions (typed texts, every one different) fold into '""' so they are
        counted, not read; a skipped answer stays 'null' (or NULL)."""
        as_text = cast(Answer.value, String)
        folded = case(
            (and_(Answer.question_id.in_(counted_only), as_text != "null"), literal('""')),
            else_=as_text,
        )
        # Grouped outside: PostgreSQL does not match an expression with bound parameters in
        # GROUP BY to the same expression in the select list.
        answers = (
            select(Answer.question_id.label("question_id"), folded.label("value"))
            .join(Response, Response.id == Answer.response_id)
            .where(self._submitted(survey_id))
            .subquery()
        )
        rows = await self.session.execute(
            select(answers.c.question_id, answers.c.value, func.count()).group_by(
                answers.c.question_id, answers.c.value
            )
        )
        return [(r[0], r[1], int(r[2])) for r in rows.all()]

    async def answers(self, survey_id: int) -> AsyncIterator[tuple[int, str, Any]]:
        """(response id, question id, value) of the survey's submitted responses, streamed."""
        rows = await self.session.stream(
            select(Answer.response_id, Answer.question_id, Answer.value)
            .join(Response, Response.id == Answer.response_id)
            .where(self._submitted(survey_id))
            .execution_options(yield_per=2000)
        )
        async for row in rows:
            yield row[0], row[1], row[2]

    async def responses(
        self, survey_id: int
    ) -> list[tuple[int, datetime | None, str | None, str | None, str | None]]:
        """(id, submitted at, person's name, school, municipality) of submitted responses."""
        rows = await self.session.execute(
            select(
                Response.id,
                Response.submitted_at,
                Person.full_name,
                School.name,
                Municipality.name,
            )
            .outerjoin(Person, Person.id == Response.person_id)
            .outerjoin(School, School.id == Response.school_id)
            .outerjoin(Municipality, Municipality.id == Response.municipality_id)
            .where(Response.survey_id == survey_id, Response.status == ResponseStatus.SUBMITTED)
            .order_by(Response.id)
        )
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows.all()]

    async def answered_by_school(self, survey_id: int) -> list[tuple[str | None, int, int]]:
        """(school name, answered, invited) per school of the invitees."""
        answered = func.count(SurveyInvitee.answered_at)
        rows = await self.session.execute(
            select(School.name, answered, func.count())
            .select_from(SurveyInvitee)
            .join(Person, Person.id == SurveyInvitee.person_id)
            .outerjoin(School, School.id == Person.school_id)
            .where(SurveyInvitee.survey_id == survey_id)
            .group_by(School.name)
            .order_by(School.name)
        )
        return [(r[0], int(r[1]), int(r[2])) for r in rows.all()]
