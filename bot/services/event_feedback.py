"""Feedback after an event, through the survey runner.

When an event is held (the sweep turns a published event past its end into «held»), the people
who came (`EventAttendance`) are invited to one survey of the `event_feedback` scenario tied to
the event (`Survey.event_id`): person by person, not the event's whole audience. It happens
once (`Event.feedback_sent_at`). Attendance is usually recorded during the event (codes at the
venue); the organiser may tick people in later, so an event with no attendance yet waits
`ATTENDANCE_GRACE` before it is settled with no survey at all, and people ticked in after the
survey went out are invited to it while it is open (`invite_late`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import scenarios
from bot.services.surveys import end_of_day
from storage.models import Event, Survey, SurveyStatus
from storage.repositories.event_feedback import EventFeedbackRepo
from storage.repositories.surveys import InviteeRow, SurveysRepo

SCENARIO = "event_feedback"
ANSWER_DAYS = 7
ATTENDANCE_GRACE = timedelta(days=2)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class FeedbackLaunch:
    """A feedback survey just created: whom to invite, with what."""

    survey_id: int
    event_id: int
    event_title: str
    held_on: date  # the event's day in its own zone
    deadline: datetime
    invitees: list[InviteeRow]


async def hold_and_launch(session: AsyncSession, now: datetime) -> list[FeedbackLaunch]:
    """Ended events become held; each held event with attendance gets its feedback survey,
    once. The caller sends the invitations in this transaction."""
    repo = EventFeedbackRepo(session)
    await repo.mark_held(now)
    launched = []
    for event_id, ends_at in await repo.awaiting_feedback():
        attended = await repo.attended_count(event_id)
        if attended == 0 and _aware(ends_at) + ATTENDANCE_GRACE > now:
            continue  # the organiser may still tick people in
        event = await repo.claim_feedback(event_id, now)
        if event is None or attended == 0:
            continue
        launched.append(await _launch(session, event, now))
    return launched


async def _launch(session: AsyncSession, event: Event, now: datetime) -> FeedbackLaunch:
    scenario = scenarios.get(SCENARIO).scenario
    zone = ZoneInfo(event.timezone)
    deadline = end_of_day(now.astimezone(zone).date() + timedelta(days=ANSWER_DAYS), zone)
    surveys = SurveysRepo(session)
    survey = await surveys.add(
        Survey(
            scenario_id=scenario.id,
            author_id=event.author_id,
            municipality_id=event.municipality_id,
            region_id=event.region_id,
            audience={},
            anonymous=scenario.anonymous,
            deadline=deadline,
            status=SurveyStatus.OPEN,
            event_id=event.id,
            created_at=now,
        )
    )
    feedback = EventFeedbackRepo(session)
    survey.invited = await surveys.invite(survey.id, feedback.attendee_ids(event.id))
    return FeedbackLaunch(
        survey.id,
        event.id,
        event.title,
        _aware(event.starts_at).astimezone(zone).date(),
        deadline,
        await surveys.reachable_invitees(survey.id),
    )


async def invite_late(session: AsyncSession, now: datetime) -> list[FeedbackLaunch]:
    """People ticked in after their event's feedback survey went out, invited to it while it is
    still open; one `FeedbackLaunch` per survey, naming only the newcomers."""
    repo = EventFeedbackRepo(session)
    surveys = SurveysRepo(session)
    launched = []
    for survey_id, event_id in await repo.open_feedback(now):
        newcomers = list(await session.scalars(repo.uninvited_attendees(survey_id, event_id)))
        if not newcomers:
            continue
        survey = await session.get(Survey, survey_id)
        event = await session.get(Event, event_id)
        if survey is None or event is None:
            continue
        survey.invited = await surveys.invite(
            survey_id, repo.uninvited_attendees(survey_id, event_id)
        )
        zone = ZoneInfo(event.timezone)
        launched.append(
            FeedbackLaunch(
                survey_id,
                event_id,
                event.title,
                _aware(event.starts_at).astimezone(zone).date(),
                survey.deadline,
                await surveys.reachable_of(newcomers),
            )
        )
    return launched
