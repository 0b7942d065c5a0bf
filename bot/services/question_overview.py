"""What the tutor and the coordinator see of questions: the tutor's open threads, a thread's
history, and the coordinator's overview (counts, overdue and unassigned threads, each
tutor's median time to a first answer and ratings)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import scope
from bot.services.question_deadlines import escalate_hours, waited_hours
from bot.services.question_messages import CARD_KIND, short_name
from bot.services.question_routing import tutor_ids_answered_by
from config.settings import Settings
from storage.models import (
    MessageDirection,
    Person,
    PersonStatus,
    Thread,
    ThreadMessage,
    ThreadStatus,
)
from storage.repositories.people import PeopleRepo
from storage.repositories.places import PlacesRepo
from storage.repositories.threads import ThreadsRepo


@dataclass(frozen=True)
class ThreadLine:
    thread: Thread
    teacher_name: str
    tutor_name: str | None = None
    waited_hours: float | None = None


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    return {
        person.id: short_name(person.full_name)
        for person in await PeopleRepo(session).many(ids)
        if person.status != PersonStatus.FORGOTTEN
    }


async def tutor_threads(session: AsyncSession, tutor: Person) -> list[ThreadLine]:
    threads = await ThreadsRepo(session).unclosed_for_tutors(
        await tutor_ids_answered_by(session, tutor)
    )
    names = await _names(session, {t.teacher_id for t in threads if t.teacher_id})
    return [
        ThreadLine(thread=th, teacher_name=names.get(th.teacher_id or 0, "—")) for th in threads
    ]


@dataclass(frozen=True)
class HistoryLine:
    author: str
    at: datetime
    kind: str
    from_teacher: bool


async def history(session: AsyncSession, thread: Thread) -> list[HistoryLine]:
    records: list[ThreadMessage] = []
    seen: set[tuple[int, int]] = set()
    for record in await ThreadsRepo(session).messages(thread.id):
        source = (record.source_chat_id, record.source_message_id)
        if record.content_kind == CARD_KIND or source in seen:
            continue  # the bot's own cards, and second copies made when a thread moved
        seen.add(source)
        records.append(record)
    names = await _names(session, {r.author_id for r in records if r.author_id})
    return [
        HistoryLine(
            author=names.get(r.author_id or 0, "—"),
            at=r.created_at,
            kind=r.content_kind,
            from_teacher=r.direction == MessageDirection.FROM_TEACHER,
        )
        for r in records
    ]


@dataclass(frozen=True)
class TutorStats:
    name: str
    answered: int
    median_first_answer_hours: float | None
    rating_average: float | None
    ratings: int


@dataclass
class Overview:
    counts: dict[ThreadStatus, int] = field(default_factory=dict)
    overdue: list[ThreadLine] = field(default_factory=list)
    unassigned: list[ThreadLine] = field(default_factory=list)
    tutors: list[TutorStats] = field(default_factory=list)


async def coordinator_overview(
    session: AsyncSession, settings: Settings, coordinator: Person
) -> Overview:
    municipality_ids = scope.coordinated_municipalities(coordinator)
    threads = await ThreadsRepo(session).of_municipalities(municipality_ids)
    places = PlacesRepo(session)
    municipalities = {mid: await places.municipality(mid) for mid in municipality_ids}
    people_ids = {th.teacher_id for th in threads if th.teacher_id} | {
        th.tutor_id for th in threads if th.tutor_id
    }
    names = await _names(session, people_ids)
    overview = Overview(counts={status: 0 for status in ThreadStatus})
    now = datetime.now(UTC)
    first_answers: defaultdict[int, list[float]] = defaultdict(list)
    ratings: defaultdict[int, list[int]] = defaultdict(list)
    for thread in threads:
        overview.counts[thread.status] += 1
        teacher_name = names.get(thread.teacher_id or 0, "—")
        tutor_name = names.get(thread.tutor_id) if thread.tutor_id else None
        if thread.status != ThreadStatus.CLOSED:
            municipality = municipalities.get(thread.municipality_id or 0)
            waited = waited_hours(thread, municipality, settings, now)
            line = ThreadLine(thread, teacher_name, tutor_name, round(waited, 1))
            if thread.tutor_id is None:
                overview.unassigned.append(line)
            elif thread.waiting_since is not None and (
                thread.escalated_at is not None or waited >= escalate_hours(municipality, settings)
            ):
                overview.overdue.append(line)
        if thread.tutor_id is None:
            continue
        if thread.first_answer_at is not None:
            hours = (thread.first_answer_at - thread.created_at).total_seconds() / 3600
            first_answers[thread.tutor_id].append(max(hours, 0.0))
        if thread.rating is not None:
            ratings[thread.tutor_id].append(thread.rating)
    for tutor_id in sorted(set(first_answers) | set(ratings), key=lambda i: names.get(i, "")):
        answered = first_answers.get(tutor_id, [])
        scores = ratings.get(tutor_id, [])
        overview.tutors.append(
            TutorStats(
                name=names.get(tutor_id, "—"),
                answered=len(answered),
                median_first_answer_hours=round(statistics.median(answered), 1)
                if answered
                else None,
                rating_average=round(statistics.fmean(scores), 1) if scores else None,
                ratings=len(scores),
            )
        )
    return overview
