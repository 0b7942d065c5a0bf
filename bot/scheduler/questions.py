"""The questions sweep: remind the tutor, alert the coordinators, close quiet answered threads.

It reads only the database (waiting_since, reminded_at, escalated_at, last_activity_at), so a
restart loses nothing: the next sweep finds what is due. Each step is recorded on the thread
and queued with a dedup key, so running the sweep twice never sends anything twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Priority, enqueue_message
from bot.keyboards.questions import assign_keyboard, rating_keyboard, tutor_card_keyboard
from bot.scheduler import JobContext
from bot.services import questions
from bot.texts import t
from config.settings import Settings
from storage.models import Municipality, Person, PersonStatus, Thread, ThreadStatus
from storage.repositories.people import PeopleRepo
from storage.repositories.places import PlacesRepo
from storage.repositories.threads import ThreadsRepo


async def sweep(context: JobContext) -> None:
    now = datetime.now(UTC)
    async with context.session_pool.begin() as session:
        with context.texts.context():
            await _sweep(session, context.settings, now)


async def _sweep(session: AsyncSession, settings: Settings, now: datetime) -> None:
    places = PlacesRepo(session)
    municipalities: dict[int, Municipality | None] = {}
    for thread in await ThreadsRepo(session).unclosed():
        mid = thread.municipality_id or 0
        if mid not in municipalities:
            municipalities[mid] = await places.municipality(mid) if mid else None
        await _check(session, settings, thread, municipalities[mid], now)


async def _check(
    session: AsyncSession,
    settings: Settings,
    thread: Thread,
    municipality: Municipality | None,
    now: datetime,
) -> None:
    if await _teacher_is_gone(session, thread):
        # Nobody can answer a teacher who was forgotten: chasing the tutor and the
        # coordinators about it would never end. The thread stays as an anonymous count.
        questions.close_quietly(thread)
        return
    if thread.status == ThreadStatus.ANSWERED:
        days = questions.autoclose_days(municipality, settings)
        if thread.last_activity_at <= now - timedelta(days=days):
            await _close_quiet(session, settings, thread, days)
        return
    if thread.waiting_since is None:
        return
    waited = questions.waited_hours(thread, municipality, settings, now)
    if (
        thread.reminded_at is None
        and thread.tutor_id is not None
        and waited >= questions.remind_hours(municipality, settings)
    ):
        await _remind_tutor(session, settings, thread, waited)
        thread.reminded_at = now
    if thread.escalated_at is None and waited >= questions.escalate_hours(municipality, settings):
        await _alert_coordinators(session, settings, thread, waited)
        thread.escalated_at = now


async def _teacher_is_gone(session: AsyncSession, thread: Thread) -> bool:
    teacher = await PeopleRepo(session).get(thread.teacher_id) if thread.teacher_id else None
    return teacher is None or teacher.status == PersonStatus.FORGOTTEN


def _stamp(thread: Thread) -> str:
    # One reminder per wait: a follow-up after an answer starts a new wait with its own key.
    return f"{int(thread.waiting_since.timestamp())}" if thread.waiting_since else "0"


async def _teacher_name(session: AsyncSession, thread: Thread) -> str:
    teacher = await PeopleRepo(session).get(thread.teacher_id) if thread.teacher_id else None
    return questions.short_name(teacher.full_name if teacher else None)


async def _remind_tutor(
    session: AsyncSession, settings: Settings, thread: Thread, waited: float
) -> None:
    assert thread.tutor_id is not None
    tutor = await questions.acting_tutor(session, thread.tutor_id)
    if tutor is None:
        return
    locale = questions.locale_of(tutor, settings)
    await enqueue_message(
        session,
        settings,
        tutor,
        t(
            "questions.remind_tutor",
            locale=locale,
            number=thread.id,
            who=await _teacher_name(session, thread),
            hours=round(waited),
        ),
        kind="thread_remind",
        priority=Priority.ROUTINE,
        urgent=False,
        reply_markup=tutor_card_keyboard(thread.id, locale),
        dedup_key=f"thread_remind:{thread.id}:{_stamp(thread)}",
    )


async def _alert_coordinators(
    session: AsyncSession, settings: Settings, thread: Thread, waited: float
) -> None:
    tutor: Person | None = (
        await PeopleRepo(session).get(thread.tutor_id) if thread.tutor_id else None
    )
    who = await _teacher_name(session, thread)
    for coordinator in await questions.coordinators_of(session, thread.municipality_id):
        locale = questions.locale_of(coordinator, settings)
        await enqueue_message(
            session,
            settings,
            coordinator,
            t(
                "questions.escalate",
                locale=locale,
                number=thread.id,
                who=who,
                tutor=questions.short_name(tutor.full_name) if tutor else "—",
                hours=round(waited),
            ),
            kind="thread_escalate",
            priority=Priority.URGENT,
            urgent=False,
            reply_markup=assign_keyboard(thread.id, locale),
            dedup_key=f"thread_escalate:{thread.id}:{coordinator.id}:{_stamp(thread)}",
        )


async def _close_quiet(
    session: AsyncSession, settings: Settings, thread: Thread, days: int
) -> None:
    thread.status = ThreadStatus.CLOSED
    thread.closed_at = datetime.now(UTC)
    thread.closed_automatically = True
    teacher = await PeopleRepo(session).get(thread.teacher_id) if thread.teacher_id else None
    if teacher is None:
        return
    locale = questions.locale_of(teacher, settings)
    await enqueue_message(
        session,
        settings,
        teacher,
        t("questions.closed_automatically", locale=locale, number=thread.id, days=days),
        kind="thread_autoclose",
        priority=Priority.ROUTINE,
        urgent=False,
        reply_markup=rating_keyboard(thread.id, locale),
        dedup_key=f"thread_autoclose:{thread.id}",
    )
