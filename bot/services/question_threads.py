"""The life of a thread (обращение): the teacher's message opens or continues it, the tutor's
answer answers it, the teacher closes and rates it, or it closes by itself.

A thread is open while it waits for an answer, answered after the tutor replies, closed by the
teacher or automatically after days without activity (`bot.services.question_deadlines`).

A relay has two halves around the transport's sends (`bot.transport.questions`): `prepare_*`
checks and makes the change the send depends on; the transport copies the message across and
says what came of it; `settle_*` records the pair (source message, relayed copy) in
`ThreadMessage`, so a reply to a copy finds its thread and an edit of the source finds its
copies, or undoes the change. Every send commits what was written before it
(`bot.updates.requests`), so a settle that refuses after a send undoes its own writes and
raises with `keep_writes=True`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import assignments
from bot.services.question_messages import (
    CARD_KIND,
    CardFacts,
    IncomingMessage,
    Notice,
    NoticeKind,
    Relayed,
    RelayOutcome,
    short_name,
)
from bot.services.question_routing import (
    acting_tutor,
    can_receive,
    first_reachable_tutor,
    thread_of_teacher,
    thread_of_tutor,
)
from bot.services.scope import coordinators_of
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

COMMENT_MAX = 1000


async def card_facts(
    session: AsyncSession, thread: Thread, teacher: Person | None, *, is_new: bool
) -> CardFacts:
    if teacher is None:
        return CardFacts(thread_id=thread.id, who="—", is_new=is_new)
    school = await PlacesRepo(session).school(teacher.school_id) if teacher.school_id else None
    parts = [short_name(teacher.full_name)]
    if school is not None:
        parts.append(school.label)
    parts.extend(teacher.subject_names)
    return CardFacts(thread_id=thread.id, who=", ".join(parts), is_new=is_new)


# --- asking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionPlan:
    """A teacher's message, its thread opened or reopened, about to go to the tutor."""

    thread: Thread
    is_new: bool
    teacher: Person
    incoming: IncomingMessage
    # The pair to record once the relay is settled.
    record: ThreadMessage
    # The tutor (or their substitute) it goes to; None: nobody reachable, the coordinators.
    receiver: Person | None
    # Sent before the message when it starts a wait, so the tutor sees whose it is.
    card: CardFacts | None


@dataclass(frozen=True)
class AskOutcome:
    thread: Thread
    is_new: bool
    # The tutor who got it; None means it waits in the coordinators' queue.
    delivered_to: Person | None
    # The tutor could not be reached (blocked the bot), so the coordinators got it instead.
    tutor_unreachable: bool = False
    notices: Sequence[Notice] = field(default_factory=tuple)


async def prepare_question(
    session: AsyncSession,
    teacher: Person,
    incoming: IncomingMessage,
    thread: Thread | None = None,
) -> QuestionPlan:
    """Open a thread for the teacher's message, or reopen `thread` (by default their unclosed
    one). The thread is written before the send, which commits it."""
    kind = incoming.content_kind
    if kind is None:
        raise DomainError("questions.cannot_relay")
    repo = ThreadsRepo(session)
    now = datetime.now(UTC)
    thread = thread or await repo.unclosed_of_teacher(teacher.id)
    is_new = thread is None
    if thread is None:
        tutors = await assignments.tutors_of(session, teacher)
        if not tutors and not await coordinators_of(session, teacher.municipality_id):
            raise DomainError("questions.nobody_to_ask")
        thread = Thread(
            teacher_id=teacher.id,
            tutor_id=await first_reachable_tutor(session, [found.tutor for found in tutors]),
            municipality_id=teacher.municipality_id,
            school_id=teacher.school_id,
            status=ThreadStatus.OPEN,
            last_activity_at=now,
            waiting_since=now,
        )
        await repo.add(thread)
        starts_wait = True
    else:
        if thread.status == ThreadStatus.CLOSED:
            raise DomainError("questions.thread_closed", number=thread.id)
        starts_wait = thread.waiting_since is None
        thread.status = ThreadStatus.OPEN
        thread.last_activity_at = now
        thread.waiting_since = thread.waiting_since or now
    record = ThreadMessage(
        thread_id=thread.id,
        author_id=teacher.id,
        direction=MessageDirection.FROM_TEACHER,
        content_kind=kind,
        source_chat_id=incoming.chat_id,
        source_message_id=incoming.message_id,
    )
    tutor = await acting_tutor(session, thread.tutor_id) if thread.tutor_id is not None else None
    receiver = tutor if can_receive(tutor) else None
    card = (
        await card_facts(session, thread, teacher, is_new=is_new)
        if receiver is not None and starts_wait
        else None
    )
    return QuestionPlan(thread, is_new, teacher, incoming, record, receiver, card)


async def settle_question(
    session: AsyncSession, plan: QuestionPlan, relayed: Relayed | None
) -> AskOutcome:
    """Record the relay to the tutor, or put the thread in the coordinators' queue when it did
    not reach them (`relayed` is None when there was nobody to send it to)."""
    thread, record = plan.thread, plan.record
    repo = ThreadsRepo(session)
    if relayed is not None:
        receiver = plan.receiver
        assert receiver is not None and receiver.telegram_id is not None
        if relayed.header_message_id is not None:
            await repo.add(
                ThreadMessage(
                    thread_id=thread.id,
                    author_id=plan.teacher.id,
                    direction=MessageDirection.FROM_TEACHER,
                    content_kind=CARD_KIND,
                    source_chat_id=record.source_chat_id,
                    source_message_id=0,
                    relayed_chat_id=receiver.telegram_id,
                    relayed_message_id=relayed.header_message_id,
                )
            )
        if relayed.outcome is RelayOutcome.DELIVERED:
            record.relayed_chat_id = receiver.telegram_id
            record.relayed_message_id = relayed.copy_message_id
            await repo.add(record)
            return AskOutcome(thread=thread, is_new=plan.is_new, delivered_to=receiver)
        if relayed.outcome is RelayOutcome.REFUSED:
            if not plan.is_new:
                raise DomainError("questions.relay_refused")
            # The new thread was committed before its card went out: a question that never
            # reached anyone leaves no thread behind.
            await session.delete(thread)
            raise DomainError("questions.relay_refused", keep_writes=True)
        receiver.status = PersonStatus.BLOCKED_BOT
    tutor_unreachable = thread.tutor_id is not None
    thread.tutor_id = None
    await repo.add(record)
    coordinators = await coordinators_of(session, thread.municipality_id)
    if not coordinators:
        raise DomainError("questions.nobody_to_ask")
    notices: list[Notice] = []
    if plan.is_new or tutor_unreachable:
        notices = _queue_notices(
            thread, plan.teacher, coordinators, tutor_unreachable=tutor_unreachable
        )
    return AskOutcome(
        thread=thread,
        is_new=plan.is_new,
        delivered_to=None,
        tutor_unreachable=tutor_unreachable,
        notices=notices,
    )


def _queue_notices(
    thread: Thread,
    teacher: Person,
    coordinators: Sequence[Person],
    *,
    tutor_unreachable: bool,
) -> list[Notice]:
    """The coordinators are told a thread waits for them to assign a tutor."""
    reason = (
        "questions.queue_card_tutor_unreachable" if tutor_unreachable else "questions.queue_card"
    )
    who = short_name(teacher.full_name)
    return [
        Notice(
            kind=NoticeKind.QUEUED,
            recipient=coordinator,
            thread_id=thread.id,
            text_key=reason,
            params={"who": who},
            dedup_key=(
                f"{reason}:{thread.id}:{coordinator.id}:{thread.last_activity_at:%Y%m%d%H%M%S}"
            ),
        )
        for coordinator in coordinators
    ]


# --- answering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerPlan:
    """A tutor's answer about to go to the teacher, under a header that names the thread."""

    thread: Thread
    tutor: Person
    teacher: Person
    teacher_chat_id: int
    incoming: IncomingMessage


async def answerable_thread(session: AsyncSession, tutor: Person, thread_id: int) -> Thread:
    """The tutor's thread, if an answer can go to its teacher. Asked before the tutor writes
    (the «Ответить» button) and again when they have: a teacher who used /forget is said to
    have left first, whatever became of the thread. (One light query: the button's budget.)"""
    thread = await thread_of_tutor(session, tutor, thread_id)
    teacher = await PeopleRepo(session).reachability(thread.teacher_id)
    if teacher is None or teacher.telegram_id is None or teacher.status == PersonStatus.FORGOTTEN:
        raise DomainError("questions.teacher_gone")
    if thread.status == ThreadStatus.CLOSED:
        raise DomainError("questions.thread_closed", number=thread.id)
    return thread


async def prepare_answer(
    session: AsyncSession, tutor: Person, thread_id: int, incoming: IncomingMessage
) -> AnswerPlan:
    thread = await answerable_thread(session, tutor, thread_id)
    if incoming.content_kind is None:
        raise DomainError("questions.cannot_relay")
    teacher = await PeopleRepo(session).get(thread.teacher_id) if thread.teacher_id else None
    if teacher is None or teacher.telegram_id is None:
        raise DomainError("questions.teacher_gone")
    return AnswerPlan(thread, tutor, teacher, teacher.telegram_id, incoming)


async def settle_answer(session: AsyncSession, plan: AnswerPlan, relayed: Relayed) -> Person | None:
    """Record the answer and stop the thread's clock; the teacher, or None if they blocked the
    bot."""
    if relayed.outcome is RelayOutcome.UNREACHABLE:
        plan.teacher.status = PersonStatus.BLOCKED_BOT
        return None
    if relayed.outcome is RelayOutcome.REFUSED:
        raise DomainError("questions.relay_refused")
    thread, incoming = plan.thread, plan.incoming
    assert incoming.content_kind is not None
    repo = ThreadsRepo(session)
    for kind, source_id, relayed_id in (
        (CARD_KIND, 0, relayed.header_message_id),
        (incoming.content_kind, incoming.message_id, relayed.copy_message_id),
    ):
        await repo.add(
            ThreadMessage(
                thread_id=thread.id,
                author_id=plan.tutor.id,
                direction=MessageDirection.FROM_TUTOR,
                content_kind=kind,
                source_chat_id=incoming.chat_id,
                source_message_id=source_id,
                relayed_chat_id=plan.teacher_chat_id,
                relayed_message_id=relayed_id,
            )
        )
    now = datetime.now(UTC)
    thread.status = ThreadStatus.ANSWERED
    thread.first_answer_at = thread.first_answer_at or now
    thread.last_activity_at = now
    thread.waiting_since = None
    thread.reminded_at = None
    thread.escalated_at = None
    return plan.teacher


# --- edits ------------------------------------------------------------------------------------


async def copies_to_edit(
    session: AsyncSession, chat_id: int, message_id: int
) -> list[ThreadMessage]:
    """The relayed copies of an edited message whose threads are still open."""
    repo = ThreadsRepo(session)
    copies: list[ThreadMessage] = []
    for record in await repo.by_source(chat_id, message_id):
        if record.relayed_chat_id is None or record.relayed_message_id is None:
            continue
        thread = await repo.get(record.thread_id)
        if thread is not None and thread.status != ThreadStatus.CLOSED:
            copies.append(record)
    return copies


def mark_edited(record: ThreadMessage) -> None:
    record.edited_at = datetime.now(UTC)


# --- closing and rating -----------------------------------------------------------------------


class Closing(enum.Enum):
    # The teacher says it is solved: the tutor is told.
    BY_TEACHER = "by_teacher"
    # Answered and quiet for the municipality's days: the teacher is told and asked to rate.
    AFTER_QUIET_DAYS = "after_quiet_days"
    # The teacher was forgotten: nobody can answer them, nobody is told.
    TEACHER_GONE = "teacher_gone"


async def close(
    session: AsyncSession, thread: Thread, closing: Closing, *, quiet_days: int = 0
) -> list[Notice]:
    """The one way a thread closes, whoever closes it; the notices the closing calls for."""
    now = datetime.now(UTC)
    thread.status = ThreadStatus.CLOSED
    thread.closed_at = now
    thread.closed_automatically = closing is not Closing.BY_TEACHER
    thread.waiting_since = None
    thread.last_activity_at = now
    if closing is Closing.TEACHER_GONE:
        return []
    teacher = await PeopleRepo(session).get(thread.teacher_id) if thread.teacher_id else None
    if closing is Closing.AFTER_QUIET_DAYS:
        if teacher is None:
            return []
        return [
            Notice(
                kind=NoticeKind.CLOSED_AUTOMATICALLY,
                recipient=teacher,
                thread_id=thread.id,
                text_key="questions.closed_automatically",
                params={"days": quiet_days},
                dedup_key=f"thread_autoclose:{thread.id}",
            )
        ]
    tutor = await acting_tutor(session, thread.tutor_id) if thread.tutor_id is not None else None
    if tutor is None:
        return []
    return [
        Notice(
            kind=NoticeKind.CLOSED_BY_TEACHER,
            recipient=tutor,
            thread_id=thread.id,
            text_key="questions.closed_by_teacher",
            params={"who": short_name(teacher.full_name if teacher else None)},
            dedup_key=f"thread_closed:{thread.id}",
        )
    ]


@dataclass(frozen=True)
class Closed:
    thread: Thread
    notices: Sequence[Notice]


async def close_by_teacher(session: AsyncSession, teacher: Person, thread_id: int) -> Closed:
    thread = await thread_of_teacher(session, teacher, thread_id)
    if thread.status == ThreadStatus.CLOSED:
        raise DomainError("questions.already_closed", number=thread.id)
    return Closed(thread, await close(session, thread, Closing.BY_TEACHER))


async def rate(session: AsyncSession, teacher: Person, thread_id: int, score: int) -> Thread:
    thread = await thread_of_teacher(session, teacher, thread_id)
    if thread.status != ThreadStatus.CLOSED:
        raise DomainError("questions.rate_after_close")
    if not 1 <= score <= 5:
        raise DomainError("questions.rating_invalid")
    if thread.rating is not None:
        raise DomainError("questions.already_rated")
    thread.rating = score
    return thread


async def comment(session: AsyncSession, teacher: Person, thread_id: int, text: str) -> Thread:
    thread = await thread_of_teacher(session, teacher, thread_id)
    cleaned = text.strip()
    if not cleaned:
        raise DomainError("questions.comment_empty")
    if len(cleaned) > COMMENT_MAX:
        raise DomainError("questions.comment_too_long", limit=COMMENT_MAX, length=len(cleaned))
    if thread.rating is None or thread.rating_comment is not None:
        raise DomainError("questions.comment_not_expected")
    thread.rating_comment = cleaned
    return thread
