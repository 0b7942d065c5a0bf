"""Deadlines of questions: remind the tutor, alert the coordinators, close quiet answered
threads.

Hours count only daytime in the municipality's time zone (quiet hours do not); each
municipality may set its own hours and days, else the settings' defaults apply. Each step is
recorded on the thread (reminded_at, escalated_at, the closing) and its notice carries a dedup
key, so running a check twice never sends anything twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.question_messages import Notice, NoticeKind, short_name
from bot.services.question_routing import acting_tutor
from bot.services.question_threads import Closing, close
from bot.services.scope import coordinators_of
from bot.services.sla import daytime_hours_between
from config.settings import Settings
from storage.models import Municipality, PersonStatus, Thread, ThreadStatus
from storage.repositories.people import PeopleRepo
from storage.repositories.places import PlacesRepo
from storage.repositories.threads import ThreadsRepo


def _zone(municipality: Municipality | None, settings: Settings) -> ZoneInfo:
    return ZoneInfo((municipality.timezone if municipality else None) or settings.timezone)


def escalate_hours(municipality: Municipality | None, settings: Settings) -> int:
    return (
        municipality.sla_escalate_hours if municipality else None
    ) or settings.sla_escalate_hours


def remind_hours(municipality: Municipality | None, settings: Settings) -> int:
    return (municipality.sla_remind_hours if municipality else None) or settings.sla_remind_hours


def autoclose_days(municipality: Municipality | None, settings: Settings) -> int:
    return (
        municipality.thread_autoclose_days if municipality else None
    ) or settings.thread_autoclose_days


def waited_hours(
    thread: Thread, municipality: Municipality | None, settings: Settings, now: datetime
) -> float:
    if thread.waiting_since is None:
        return 0.0
    return daytime_hours_between(
        thread.waiting_since,
        now,
        _zone(municipality, settings),
        settings.quiet_hours_start,
        settings.quiet_hours_end,
    )


async def take_due_steps(session: AsyncSession, settings: Settings, now: datetime) -> list[Notice]:
    """Take the steps due on every unclosed thread; the notices they call for."""
    places = PlacesRepo(session)
    municipalities: dict[int, Municipality | None] = {}
    notices: list[Notice] = []
    for thread in await ThreadsRepo(session).unclosed():
        mid = thread.municipality_id or 0
        if mid not in municipalities:
            municipalities[mid] = await places.municipality(mid) if mid else None
        notices += await _steps_due_on(session, settings, thread, municipalities[mid], now)
    return notices


async def _steps_due_on(
    session: AsyncSession,
    settings: Settings,
    thread: Thread,
    municipality: Municipality | None,
    now: datetime,
) -> list[Notice]:
    teacher = await PeopleRepo(session).get(thread.teacher_id) if thread.teacher_id else None
    if teacher is None or teacher.status == PersonStatus.FORGOTTEN:
        # Nobody can answer a teacher who was forgotten: chasing the tutor and the
        # coordinators about it would never end. The thread stays as an anonymous count.
        return await close(session, thread, Closing.TEACHER_GONE)
    if thread.status == ThreadStatus.ANSWERED:
        days = autoclose_days(municipality, settings)
        if thread.last_activity_at <= now - timedelta(days=days):
            return await close(session, thread, Closing.AFTER_QUIET_DAYS, quiet_days=days)
        return []
    if thread.waiting_since is None:
        return []
    notices: list[Notice] = []
    waited = waited_hours(thread, municipality, settings, now)
    who = short_name(teacher.full_name)
    if (
        thread.reminded_at is None
        and thread.tutor_id is not None
        and waited >= remind_hours(municipality, settings)
    ):
        notices += await _reminder(session, thread, who, waited)
        thread.reminded_at = now
    if thread.escalated_at is None and waited >= escalate_hours(municipality, settings):
        notices += await _alerts(session, thread, who, waited)
        thread.escalated_at = now
    return notices


def _stamp(thread: Thread) -> str:
    # One reminder per wait: a follow-up after an answer starts a new wait with its own key.
    return f"{int(thread.waiting_since.timestamp())}" if thread.waiting_since else "0"


async def _reminder(session: AsyncSession, thread: Thread, who: str, waited: float) -> list[Notice]:
    assert thread.tutor_id is not None
    tutor = await acting_tutor(session, thread.tutor_id)
    if tutor is None:
        return []
    return [
        Notice(
            kind=NoticeKind.REMINDER,
            recipient=tutor,
            thread_id=thread.id,
            text_key="questions.remind_tutor",
            params={"who": who, "hours": round(waited)},
            dedup_key=f"thread_remind:{thread.id}:{_stamp(thread)}",
        )
    ]


async def _alerts(session: AsyncSession, thread: Thread, who: str, waited: float) -> list[Notice]:
    tutor = await PeopleRepo(session).get(thread.tutor_id) if thread.tutor_id else None
    tutor_name = short_name(tutor.full_name) if tutor else "—"
    return [
        Notice(
            kind=NoticeKind.ESCALATION,
            recipient=coordinator,
            thread_id=thread.id,
            text_key="questions.escalate",
            params={"who": who, "tutor": tutor_name, "hours": round(waited)},
            dedup_key=f"thread_escalate:{thread.id}:{coordinator.id}:{_stamp(thread)}",
        )
        for coordinator in await coordinators_of(session, thread.municipality_id)
    ]
