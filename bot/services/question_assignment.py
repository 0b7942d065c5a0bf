"""A coordinator assigns a tutor to a thread, and the thread's history follows.

The card goes at once to whoever answers for the chosen tutor (the transport sends it between
`prepare_assignment` and `settle_assignment`); the teacher's earlier messages follow through a
background job (`bot.jobs.history`), at the pace Telegram allows in one chat, reporting to the
coordinator who assigned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import jobs
from bot.services.question_messages import CARD_KIND, CardFacts, Notice, NoticeKind, short_name
from bot.services.question_routing import acting_tutor, can_receive, thread_of_coordinator
from bot.services.question_threads import card_facts
from storage.models import MessageDirection, Person, Role, Thread, ThreadMessage, ThreadStatus
from storage.repositories.people import PeopleRepo
from storage.repositories.threads import ThreadsRepo


async def tutors_to_assign(
    session: AsyncSession, coordinator: Person, thread_id: int
) -> tuple[Thread, Sequence[Person]]:
    thread = await thread_of_coordinator(session, coordinator, thread_id)
    if thread.status == ThreadStatus.CLOSED:
        raise DomainError("questions.already_closed", number=thread.id)
    assert thread.municipality_id is not None
    tutors = await PeopleRepo(session).with_role(Role.TUTOR, municipality_id=thread.municipality_id)
    if not tutors:
        raise DomainError("questions.no_tutors_to_assign")
    return thread, tutors


@dataclass(frozen=True)
class TutorChoice:
    """A tutor the coordinator may pick, and whether a question would reach them now (they,
    or their substitute while they are away, joined the bot and did not block it)."""

    tutor: Person
    reachable: bool


async def tutor_choices(
    session: AsyncSession, coordinator: Person, thread_id: int
) -> tuple[Thread, list[TutorChoice]]:
    """The municipality's tutors for «Назначить», those a question reaches first: the others
    stay listed (the coordinator sees who has yet to join) but marked."""
    thread, tutors = await tutors_to_assign(session, coordinator, thread_id)
    found = [
        TutorChoice(tutor, can_receive(await acting_tutor(session, tutor.id) or tutor))
        for tutor in tutors
    ]
    return thread, sorted(found, key=lambda choice: not choice.reachable)


@dataclass(frozen=True)
class AssignmentPlan:
    """A thread about to move to `tutor`: its card goes to `receiver` (the tutor or their
    substitute) first."""

    thread: Thread
    coordinator: Person
    tutor: Person
    receiver: Person
    receiver_chat_id: int
    teacher: Person | None
    card: CardFacts


@dataclass(frozen=True)
class Assigned:
    thread: Thread
    tutor: Person
    notices: Sequence[Notice]


async def prepare_assignment(
    session: AsyncSession, coordinator: Person, thread_id: int, tutor_id: int
) -> AssignmentPlan:
    thread, tutors = await tutors_to_assign(session, coordinator, thread_id)
    chosen = next((p for p in tutors if p.id == tutor_id), None)
    if chosen is None:
        raise DomainError("questions.not_found")
    receiver = await acting_tutor(session, chosen.id) or chosen
    if not can_receive(receiver) or receiver.telegram_id is None:
        raise DomainError("questions.tutor_unreachable", name=short_name(receiver.full_name))
    teacher = await PeopleRepo(session).get(thread.teacher_id) if thread.teacher_id else None
    return AssignmentPlan(
        thread=thread,
        coordinator=coordinator,
        tutor=chosen,
        receiver=receiver,
        receiver_chat_id=receiver.telegram_id,
        teacher=teacher,
        card=await card_facts(session, thread, teacher, is_new=True),
    )


async def settle_assignment(
    session: AsyncSession,
    plan: AssignmentPlan,
    card_message_id: int | None,
    *,
    chat_id: int,
    locale: str,
) -> Assigned:
    """Move the thread to the tutor once their card went out (`card_message_id` is None when
    they blocked the bot), and queue the copy of its history: a background job that reports
    to the coordinator in `chat_id`."""
    if card_message_id is None:
        raise DomainError("questions.tutor_unreachable", name=short_name(plan.receiver.full_name))
    thread, teacher, chosen = plan.thread, plan.teacher, plan.tutor
    repo = ThreadsRepo(session)
    history = _teachers_messages(await repo.messages(thread.id))
    await repo.add(
        ThreadMessage(
            thread_id=thread.id,
            author_id=thread.teacher_id,
            direction=MessageDirection.FROM_TEACHER,
            content_kind=CARD_KIND,
            source_chat_id=(teacher.telegram_id or 0) if teacher else 0,
            source_message_id=0,
            relayed_chat_id=plan.receiver_chat_id,
            relayed_message_id=card_message_id,
        )
    )
    if history:
        await jobs.enqueue(
            session,
            jobs.HISTORY_COPY,
            {
                "thread_id": thread.id,
                "tutor_id": chosen.id,
                "receiver_id": plan.receiver.id,
                # Messages after this one are relayed to the new tutor as they come.
                "up_to": history[-1].id,
            },
            person=plan.coordinator,
            chat_id=chat_id,
            locale=locale,
        )
    thread.tutor_id = chosen.id
    thread.reminded_at = None
    thread.escalated_at = None
    if thread.waiting_since is not None:
        # The new tutor's clock starts now; the reminder and alert dedup keys hang on this
        # moment, so keeping the old one would silently swallow both for the new tutor.
        thread.waiting_since = datetime.now(UTC)
    notices = []
    if teacher is not None:
        notices.append(
            Notice(
                kind=NoticeKind.ASSIGNED,
                recipient=teacher,
                thread_id=thread.id,
                text_key="questions.assigned_to_teacher",
                params={"tutor": short_name(chosen.full_name)},
                dedup_key=f"thread_assigned:{thread.id}:{chosen.id}:{len(history)}",
            )
        )
    return Assigned(thread, chosen, notices)


def _teachers_messages(records: Sequence[ThreadMessage]) -> list[ThreadMessage]:
    """What a new tutor gets of a thread's history: the teacher's own messages, each once (a
    message relayed to several tutors has a record per copy), oldest first."""
    seen: set[tuple[int, int]] = set()
    kept: list[ThreadMessage] = []
    for record in records:
        source = (record.source_chat_id, record.source_message_id)
        if (
            record.direction == MessageDirection.FROM_TEACHER
            and record.content_kind != CARD_KIND
            and source not in seen
        ):
            seen.add(source)
            kept.append(record)
    return kept


# --- the history job --------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryCopy:
    """What is left of a thread's history to copy to its new tutor's chat."""

    thread_id: int
    tutor_name: str
    chat_id: int
    total: int
    left: list[ThreadMessage]


async def history_to_copy(
    session: AsyncSession, thread_id: int, tutor_id: int, receiver_id: int, up_to: int
) -> HistoryCopy | None:
    """None when the thread has moved on (closed records aside, reassigned again: the newer
    assignment copies its own history). A resumed copy skips what already went."""
    thread = await ThreadsRepo(session).get(thread_id)
    if thread is None or thread.tutor_id != tutor_id:
        return None
    people = PeopleRepo(session)
    receiver = await people.get(receiver_id)
    if receiver is None or not can_receive(receiver) or receiver.telegram_id is None:
        raise DomainError(
            "questions.tutor_unreachable", name=short_name(receiver.full_name if receiver else None)
        )
    tutor = await people.get(tutor_id)
    records = await ThreadsRepo(session).messages(thread_id)
    wanted = _teachers_messages([r for r in records if r.id <= up_to])
    gone = {
        (r.source_chat_id, r.source_message_id)
        for r in records
        if r.id > up_to and r.relayed_chat_id == receiver.telegram_id
    }
    return HistoryCopy(
        thread_id=thread.id,
        tutor_name=short_name(tutor.full_name if tutor else None),
        chat_id=receiver.telegram_id,
        total=len(wanted),
        left=[r for r in wanted if (r.source_chat_id, r.source_message_id) not in gone],
    )


async def history_copy_wanted(
    session: AsyncSession, thread_id: int, tutor_id: int, record_id: int
) -> bool:
    """Asked before each copy: the thread is still this tutor's and the message still there
    (the teacher may have used /forget)."""
    thread = await ThreadsRepo(session).get(thread_id)
    return (
        thread is not None
        and thread.tutor_id == tutor_id
        and await session.get(ThreadMessage, record_id) is not None
    )


async def record_history_copy(
    session: AsyncSession, record: ThreadMessage, chat_id: int, copied_id: int
) -> bool:
    """The pair (teacher's message, its copy in the new tutor's chat), beside the old ones: a
    reply to the previous tutor's copy still finds the thread (and is refused as no longer
    theirs), an edit reaches both copies. Written first and then checked, so a /forget that
    removed the source meanwhile leaves no pair behind."""
    pair = ThreadMessage(
        thread_id=record.thread_id,
        author_id=record.author_id,
        direction=record.direction,
        content_kind=record.content_kind,
        source_chat_id=record.source_chat_id,
        source_message_id=record.source_message_id,
        relayed_chat_id=chat_id,
        relayed_message_id=copied_id,
        created_at=record.created_at,
    )
    await ThreadsRepo(session).add(pair)
    if await session.scalar(select(ThreadMessage.id).where(ThreadMessage.id == record.id)):
        return True
    await session.delete(pair)
    await session.flush()
    return False
