"""Responses being answered: the runner's reads and writes (one response, its answers)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.models import (
    Answer,
    Response,
    ResponseStatus,
    SectionScore,
    Survey,
    SurveyInvitee,
)


class ResponsesRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, response_id: int) -> Response | None:
        return await self.session.get(Response, response_id)

    async def get_for_update(self, response_id: int) -> Response | None:
        """The response, locked on PostgreSQL until the update's commit: two devices of one
        person answer one after the other, never over each other."""
        return (
            await self.session.execute(
                select(Response).where(Response.id == response_id).with_for_update()
            )
        ).scalar_one_or_none()

    async def unfinished(
        self, person_id: int, scenario_id: str, survey_id: int | None
    ) -> Response | None:
        query = select(Response).where(
            Response.person_id == person_id,
            Response.scenario_id == scenario_id,
            Response.status == ResponseStatus.IN_PROGRESS,
            Response.survey_id.is_(None) if survey_id is None else Response.survey_id == survey_id,
        )
        return (await self.session.execute(query.order_by(Response.id.desc()).limit(1))).scalar()

    async def submitted_count(self, person_id: int, scenario_id: str, survey_id: int | None) -> int:
        query = select(Response.id).where(
            Response.person_id == person_id,
            Response.scenario_id == scenario_id,
            Response.status == ResponseStatus.SUBMITTED,
            Response.survey_id.is_(None) if survey_id is None else Response.survey_id == survey_id,
        )
        return len((await self.session.execute(query.limit(1))).all())

    async def add(self, response: Response) -> Response:
        self.session.add(response)
        await self.session.flush()
        return response

    async def answers(self, response_id: int) -> dict[str, Any]:
        rows = await self.session.execute(
            select(Answer.question_id, Answer.value).where(Answer.response_id == response_id)
        )
        return {question_id: value for question_id, value in rows.all()}

    async def put_answer(
        self, response_id: int, question_id: str, value: Any, at: datetime, *, exists: bool
    ) -> None:
        """Stores an answer; `exists` says whether one was given before (the runner knows)."""
        if exists:
            await self.session.execute(
                update(Answer)
                .where(Answer.response_id == response_id, Answer.question_id == question_id)
                .values(value=value, answered_at=at)
            )
            return
        self.session.add(
            Answer(response_id=response_id, question_id=question_id, value=value, answered_at=at)
        )
        await self.session.flush()

    async def drop_answers(self, response_id: int, question_ids: Sequence[str]) -> None:
        if question_ids:
            await self.session.execute(
                delete(Answer).where(
                    Answer.response_id == response_id, Answer.question_id.in_(question_ids)
                )
            )

    async def put_scores(self, response_id: int, scores: Sequence[Mapping[str, Any]]) -> None:
        await self.session.execute(
            delete(SectionScore).where(SectionScore.response_id == response_id)
        )
        self.session.add_all(SectionScore(response_id=response_id, **score) for score in scores)
        await self.session.flush()

    async def earlier_submitted_in_year(
        self, person_id: int, scenario_id: str, program_year: int
    ) -> int:
        rows = await self.session.execute(
            select(Response.id)
            .where(
                Response.person_id == person_id,
                Response.scenario_id == scenario_id,
                Response.status == ResponseStatus.SUBMITTED,
                Response.program_year == program_year,
            )
            .limit(1)
        )
        return len(rows.all())

    # --- surveys, as the runner sees them ------------------------------------------------------

    async def survey(self, survey_id: int) -> Survey | None:
        return await self.session.get(Survey, survey_id)

    async def invitee(self, survey_id: int, person_id: int) -> SurveyInvitee | None:
        return await self.session.get(SurveyInvitee, (survey_id, person_id))

    async def invite_self(self, survey_id: int, person_id: int) -> None:
        """A person of the survey's audience who joined after its launch answers it too."""
        await self.session.execute(
            insert_ignoring_conflicts(self.session, SurveyInvitee).values(
                survey_id=survey_id, person_id=person_id
            )
        )
