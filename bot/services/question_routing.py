"""Who gets a question and who may see or answer a thread.

Routing: the teacher's assigned tutor (their own, else their school's), answered by that
tutor's substitute while the tutor is away; without a tutor, the municipality's coordinators,
who assign one. A tutor answers their own threads and those of every tutor they substitute
for today; a coordinator sees the threads of the municipalities they coordinate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import assignments, scope
from storage.models import Person, PersonStatus, Role, Thread, ThreadMessage, TutorSubstitute
from storage.repositories.people import PeopleRepo
from storage.repositories.threads import ThreadsRepo

SUBSTITUTE_MAX_DAYS = 180


def today() -> date:
    return datetime.now(UTC).date()


def can_receive(person: Person | None) -> bool:
    return (
        person is not None
        and person.telegram_id is not None
        and person.status == PersonStatus.ACTIVE
    )


# --- routing ---------------------------------------------------------------------------------


async def acting_tutor(
    session: AsyncSession, tutor_id: int, day: date | None = None
) -> Person | None:
    """Who answers for `tutor_id` today: their substitute while they are away, else they."""
    return await PeopleRepo(session).acting_for(tutor_id, day or today())


async def first_reachable_tutor(session: AsyncSession, tutors: Sequence[Person]) -> int | None:
    """The first assigned tutor whose messages arrive (they or their substitute); the first
    one anyway when none does, so the teacher is told their tutor is unreachable."""
    for tutor in tutors:
        if can_receive(await acting_tutor(session, tutor.id)):
            return tutor.id
    return tutors[0].id if tutors else None


async def thread_to_continue(session: AsyncSession, teacher: Person) -> Thread | None:
    """The teacher's unclosed thread, which their next message continues; None when it will
    open a new one. Refuses before anything is stored when nobody would answer a new one."""
    thread = await ThreadsRepo(session).unclosed_of_teacher(teacher.id)
    if thread is not None:
        return thread
    if await assignments.tutors_of(session, teacher):
        return None
    if await scope.coordinators_of(session, teacher.municipality_id):
        return None
    raise DomainError("questions.nobody_to_ask")


# --- access -----------------------------------------------------------------------------------


async def tutor_ids_answered_by(session: AsyncSession, tutor: Person) -> list[int]:
    """The tutor themself and every tutor they substitute for today."""
    return [tutor.id, *await ThreadsRepo(session).substituted_by(tutor.id, today())]


async def thread_of_teacher(session: AsyncSession, teacher: Person, thread_id: int) -> Thread:
    thread = await ThreadsRepo(session).get(thread_id)
    if thread is None or thread.teacher_id != teacher.id:
        raise DomainError("questions.not_found")
    return thread


async def thread_of_tutor(session: AsyncSession, tutor: Person, thread_id: int) -> Thread:
    thread = await ThreadsRepo(session).get(thread_id)
    if thread is None:
        raise DomainError("questions.not_yours")
    # Their own thread needs no look at whom they substitute for (one query fewer).
    if thread.tutor_id != tutor.id and thread.tutor_id not in await tutor_ids_answered_by(
        session, tutor
    ):
        raise DomainError("questions.not_yours")
    return thread


async def thread_of_coordinator(
    session: AsyncSession, coordinator: Person, thread_id: int
) -> Thread:
    thread = await ThreadsRepo(session).get(thread_id)
    if thread is None or thread.municipality_id not in scope.coordinated_municipalities(
        coordinator
    ):
        raise DomainError("questions.not_found")
    return thread


async def thread_for_viewer(session: AsyncSession, viewer: Person, thread_id: int) -> Thread:
    """The thread if `viewer` is its teacher, its (acting) tutor or its coordinator."""
    thread = await ThreadsRepo(session).get(thread_id)
    if thread is not None:
        if thread.teacher_id == viewer.id or thread.tutor_id == viewer.id:
            return thread
        if thread.tutor_id is not None and thread.tutor_id in await tutor_ids_answered_by(
            session, viewer
        ):
            return thread
        if thread.municipality_id in scope.coordinated_municipalities(viewer):
            return thread
    raise DomainError("questions.not_found")


async def relayed_message_at(
    session: AsyncSession, chat_id: int, message_id: int
) -> ThreadMessage | None:
    """The relayed copy, card or answer header that sits in `chat_id` as `message_id`: a reply
    to it belongs to its thread."""
    return await ThreadsRepo(session).by_relayed(chat_id, message_id)


# --- substitutes ------------------------------------------------------------------------------


async def substitute_candidates(session: AsyncSession, tutor: Person) -> Sequence[Person]:
    if tutor.municipality_id is None:
        return []
    tutors = await PeopleRepo(session).with_role(Role.TUTOR, municipality_id=tutor.municipality_id)
    return [p for p in tutors if p.id != tutor.id]


def parse_end_date(text: str, first_day: date) -> date:
    try:
        day = datetime.strptime(text.strip(), "%d.%m.%Y").date()
    except ValueError:
        raise DomainError("questions.away_date_invalid") from None
    if day < first_day or (day - first_day).days > SUBSTITUTE_MAX_DAYS:
        raise DomainError("questions.away_date_out_of_range", days=SUBSTITUTE_MAX_DAYS)
    return day


async def chosen_substitute(session: AsyncSession, tutor: Person, substitute_id: int) -> Person:
    """The colleague the tutor picked, if they may stand in for them."""
    candidates = {p.id: p for p in await substitute_candidates(session, tutor)}
    substitute = candidates.get(substitute_id)
    if substitute is None:
        raise DomainError("questions.substitute_invalid")
    return substitute


async def set_away(
    session: AsyncSession, tutor: Person, substitute_id: int, ends_on: date
) -> Person:
    substitute = await chosen_substitute(session, tutor, substitute_id)
    repo = ThreadsRepo(session)
    day = today()
    for existing in await repo.substitutions_of(tutor.id, day):
        await repo.delete(existing)
    await repo.add(
        TutorSubstitute(
            tutor_id=tutor.id, substitute_id=substitute.id, starts_on=day, ends_on=ends_on
        )
    )
    return substitute


async def end_away(session: AsyncSession, tutor: Person) -> bool:
    repo = ThreadsRepo(session)
    removed = False
    for existing in await repo.substitutions_of(tutor.id, today()):
        await repo.delete(existing)
        removed = True
    return removed


async def current_substitute(session: AsyncSession, tutor: Person) -> tuple[Person, date] | None:
    record = await ThreadsRepo(session).active_substitute_of(tutor.id, today())
    if record is None:
        return None
    substitute = await PeopleRepo(session).get(record.substitute_id)
    return (substitute, record.ends_on) if substitute is not None else None
