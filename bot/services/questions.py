"""Questions (обращения): a teacher asks, their tutor answers, both in their own chats.

The bot copies each message across (`copy_message` keeps media and captions exactly as sent)
and keeps the pair (source message, relayed copy) in `ThreadMessage`, so a reply to a copy
finds its thread and an edit of the source finds its copy.

Routing: the teacher's assigned tutor (their own, else their school's), answered by that
tutor's substitute while the tutor is away; without a tutor, the municipality's coordinators,
who assign one. A thread is open while it waits for an answer, answered after the tutor
replies, closed by the teacher or automatically after days without activity.

Relaying is done with direct Bot API calls, not the outbox: the teacher (or tutor) has just
written, and the relayed message id must be known at once to record the pair. The history a
newly assigned tutor gets is copied by a background job (`bot.jobs.history`), at the pace
Telegram allows in one chat.
"""

from __future__ import annotations

import contextlib
import logging
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import Message, MessageId
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Priority, enqueue_message
from bot.errors import DomainError
from bot.keyboards.questions import (
    assign_keyboard,
    close_keyboard,
    tutor_card_keyboard,
)
from bot.services import assignments, jobs, onboarding
from bot.services.sla import daytime_hours_between
from bot.texts import t
from config.settings import Settings
from storage.models import (
    MessageDirection,
    Municipality,
    Person,
    PersonStatus,
    Role,
    Thread,
    ThreadMessage,
    ThreadStatus,
    TutorSubstitute,
)
from storage.repositories.people import PeopleRepo
from storage.repositories.places import PlacesRepo
from storage.repositories.threads import ThreadsRepo

log = logging.getLogger(__name__)

# What the relay carries; anything else (stickers, locations, polls…) is refused with a message.
CARRIED_KINDS = ("text", "photo", "document", "voice", "video", "audio")
# Cards and answer headers are recorded too (a reply to them threads correctly) but they are
# the bot's words, not the thread's content.
CARD_KIND = "card"
COMMENT_MAX = 1000
SUBSTITUTE_MAX_DAYS = 180


def content_kind(message: Message) -> str | None:
    for kind in CARRIED_KINDS:
        if getattr(message, kind, None):
            return kind
    return None


def short_name(full_name: str | None) -> str:
    """«Петрова Анна Ивановна» → «Петрова А.И.»."""
    parts = (full_name or "").split()
    if not parts:
        return "—"
    return parts[0] + (" " + "".join(f"{p[0]}." for p in parts[1:3]) if parts[1:] else "")


def locale_of(person: Person, settings: Settings) -> str:
    return person.locale or settings.default_locale


def today() -> date:
    return datetime.now(UTC).date()


def _can_receive(person: Person | None) -> bool:
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
    repo = ThreadsRepo(session)
    substitute = await repo.active_substitute_of(tutor_id, day or today())
    people = PeopleRepo(session)
    if substitute is not None:
        found = await people.get(substitute.substitute_id)
        if found is not None:
            return found
    return await people.get(tutor_id)


async def _first_reachable_tutor(session: AsyncSession, tutors: Sequence[Person]) -> int | None:
    """The first assigned tutor whose messages arrive (they or their substitute); the first
    one anyway when none does, so the teacher is told their tutor is unreachable."""
    for tutor in tutors:
        if _can_receive(await acting_tutor(session, tutor.id)):
            return tutor.id
    return tutors[0].id if tutors else None


async def coordinators_of(session: AsyncSession, municipality_id: int | None) -> Sequence[Person]:
    if municipality_id is None:
        return []
    return await PeopleRepo(session).with_role(Role.COORDINATOR, municipality_id=municipality_id)


async def ensure_someone_answers(session: AsyncSession, teacher: Person) -> None:
    """Refuse before anything is stored when the teacher has neither tutor nor coordinator."""
    if await ThreadsRepo(session).unclosed_of_teacher(teacher.id) is not None:
        return
    if await assignments.tutors_of(session, teacher):
        return
    if await coordinators_of(session, teacher.municipality_id):
        return
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
    if thread is None or thread.tutor_id not in await tutor_ids_answered_by(session, tutor):
        raise DomainError("questions.not_yours")
    return thread


async def thread_of_coordinator(
    session: AsyncSession, coordinator: Person, thread_id: int
) -> Thread:
    thread = await ThreadsRepo(session).get(thread_id)
    if thread is None or thread.municipality_id not in onboarding.coordinated_municipalities(
        coordinator
    ):
        raise DomainError("questions.not_found")
    return thread


async def thread_for_viewer(session: AsyncSession, viewer: Person, thread_id: int) -> Thread:
    """The thread if `viewer` is its teacher, its (acting) tutor or its coordinator."""
    thread = await ThreadsRepo(session).get(thread_id)
    if thread is not None:
        if thread.teacher_id == viewer.id:
            return thread
        if thread.tutor_id is not None and thread.tutor_id in await tutor_ids_answered_by(
            session, viewer
        ):
            return thread
        if thread.municipality_id in onboarding.coordinated_municipalities(viewer):
            return thread
    raise DomainError("questions.not_found")


# --- asking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AskOutcome:
    thread: Thread
    is_new: bool
    # The tutor who got it; None means it waits in the coordinators' queue.
    delivered_to: Person | None
    # The tutor could not be reached (blocked the bot), so the coordinators got it instead.
    tutor_unreachable: bool = False


async def _card_text(
    session: AsyncSession, thread: Thread, teacher: Person, locale: str, *, is_new: bool
) -> str:
    school = await PlacesRepo(session).school(teacher.school_id) if teacher.school_id else None
    parts = [short_name(teacher.full_name)]
    if school is not None:
        parts.append(school.label)
    parts.extend(teacher.subject_names)
    key = "questions.card_new" if is_new else "questions.card_more"
    return t(key, locale=locale, number=thread.id, who=", ".join(parts))


async def ask(
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    teacher: Person,
    message: Message,
    thread: Thread | None = None,
) -> AskOutcome:
    """Relay the teacher's message into their unclosed thread, opening one if there is none."""
    kind = content_kind(message)
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
            tutor_id=await _first_reachable_tutor(session, [found.tutor for found in tutors]),
            municipality_id=teacher.municipality_id,
            school_id=teacher.school_id,
            status=ThreadStatus.OPEN,
            last_activity_at=now,
            waiting_since=now,
        )
        await repo.add(thread)
        starts_burst = True
    else:
        if thread.status == ThreadStatus.CLOSED:
            raise DomainError("questions.thread_closed", number=thread.id)
        starts_burst = thread.waiting_since is None
        thread.status = ThreadStatus.OPEN
        thread.last_activity_at = now
        thread.waiting_since = thread.waiting_since or now
    record = ThreadMessage(
        thread_id=thread.id,
        author_id=teacher.id,
        direction=MessageDirection.FROM_TEACHER,
        content_kind=kind,
        source_chat_id=message.chat.id,
        source_message_id=message.message_id,
    )
    tutor_unreachable = False
    if thread.tutor_id is not None:
        tutor = await acting_tutor(session, thread.tutor_id)
        if tutor is not None and _can_receive(tutor):
            try:
                await _relay_to_tutor(
                    session,
                    bot,
                    settings,
                    thread,
                    teacher,
                    tutor,
                    message,
                    record,
                    card=starts_burst,
                    is_new=is_new,
                )
                return AskOutcome(thread=thread, is_new=is_new, delivered_to=tutor)
            except TelegramForbiddenError:
                tutor.status = PersonStatus.BLOCKED_BOT
        tutor_unreachable = True
        thread.tutor_id = None
    await repo.add(record)
    coordinators = await coordinators_of(session, thread.municipality_id)
    if not coordinators:
        raise DomainError("questions.nobody_to_ask")
    if is_new or tutor_unreachable:
        reason = (
            "questions.queue_card_tutor_unreachable"
            if tutor_unreachable
            else "questions.queue_card"
        )
        await notify_coordinators_of_queue(
            session, settings, thread, teacher, coordinators, reason=reason
        )
    return AskOutcome(
        thread=thread, is_new=is_new, delivered_to=None, tutor_unreachable=tutor_unreachable
    )


async def _relay_to_tutor(
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    thread: Thread,
    teacher: Person,
    tutor: Person,
    message: Message,
    record: ThreadMessage,
    *,
    card: bool,
    is_new: bool,
) -> None:
    assert tutor.telegram_id is not None
    repo = ThreadsRepo(session)
    locale = locale_of(tutor, settings)
    sent: Message | None = None
    if card:
        sent = await bot.send_message(
            tutor.telegram_id,
            await _card_text(session, thread, teacher, locale, is_new=is_new),
            reply_markup=tutor_card_keyboard(thread.id, locale),
        )
        await repo.add(
            ThreadMessage(
                thread_id=thread.id,
                author_id=teacher.id,
                direction=MessageDirection.FROM_TEACHER,
                content_kind=CARD_KIND,
                source_chat_id=message.chat.id,
                source_message_id=0,
                relayed_chat_id=tutor.telegram_id,
                relayed_message_id=sent.message_id,
            )
        )
    try:
        copied = await _copy_or_take_back(
            bot, tutor.telegram_id, message, sent.message_id if sent is not None else None
        )
    except DomainError as refused:
        if not is_new:
            raise
        # The new thread was committed before its card went out: a question that never
        # reached anyone leaves no thread behind.
        await session.delete(thread)
        raise DomainError(refused.key, keep_writes=True, **refused.params) from None
    record.relayed_chat_id = tutor.telegram_id
    record.relayed_message_id = copied.message_id
    await repo.add(record)


async def _copy_or_take_back(
    bot: Bot, chat_id: int, message: Message, header_id: int | None
) -> MessageId:
    """Copy `message` into `chat_id`; when Telegram refuses the copy itself (e.g. the reader
    does not accept voice messages) take back the header sent just before it and tell the
    sender plainly, instead of leaving half a relay behind."""
    try:
        return await bot.copy_message(
            chat_id=chat_id, from_chat_id=message.chat.id, message_id=message.message_id
        )
    except TelegramBadRequest:
        log.info("copy of message %s into chat %s refused", message.message_id, chat_id)
        if header_id is not None:
            with contextlib.suppress(TelegramBadRequest, TelegramForbiddenError):
                await bot.delete_message(chat_id=chat_id, message_id=header_id)
        raise DomainError("questions.relay_refused") from None


async def notify_coordinators_of_queue(
    session: AsyncSession,
    settings: Settings,
    thread: Thread,
    teacher: Person | None,
    coordinators: Sequence[Person],
    *,
    reason: str = "questions.queue_card",
) -> None:
    """Tell the coordinators a thread waits for them to assign a tutor (outbox: they did not
    just write to the bot)."""
    for coordinator in coordinators:
        locale = locale_of(coordinator, settings)
        who = short_name(teacher.full_name if teacher else None)
        await enqueue_message(
            session,
            settings,
            coordinator,
            t(reason, locale=locale, number=thread.id, who=who),
            kind="thread_queue",
            priority=Priority.URGENT,
            reply_markup=assign_keyboard(thread.id, locale),
            dedup_key=f"{reason}:{thread.id}:{coordinator.id}:{thread.last_activity_at:%Y%m%d%H%M%S}",
        )


# --- answering --------------------------------------------------------------------------------


async def answer(
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    tutor: Person,
    thread_id: int,
    message: Message,
) -> Person | None:
    """Relay the tutor's answer to the teacher; the teacher, or None if they blocked the bot."""
    thread = await thread_of_tutor(session, tutor, thread_id)
    if thread.status == ThreadStatus.CLOSED:
        raise DomainError("questions.thread_closed", number=thread.id)
    kind = content_kind(message)
    if kind is None:
        raise DomainError("questions.cannot_relay")
    teacher = await PeopleRepo(session).get(thread.teacher_id) if thread.teacher_id else None
    if teacher is None or teacher.telegram_id is None or teacher.status == PersonStatus.FORGOTTEN:
        raise DomainError("questions.teacher_gone")
    locale = locale_of(teacher, settings)
    try:
        header = await bot.send_message(
            teacher.telegram_id,
            t(
                "questions.answer_header",
                locale=locale,
                tutor=short_name(tutor.full_name),
                number=thread.id,
            ),
            reply_markup=close_keyboard(thread.id, locale),
        )
        copied = await _copy_or_take_back(bot, teacher.telegram_id, message, header.message_id)
    except TelegramForbiddenError:
        teacher.status = PersonStatus.BLOCKED_BOT
        return None
    repo = ThreadsRepo(session)
    for kind_, source_id, relayed_id in (
        (CARD_KIND, 0, header.message_id),
        (kind, message.message_id, copied.message_id),
    ):
        await repo.add(
            ThreadMessage(
                thread_id=thread.id,
                author_id=tutor.id,
                direction=MessageDirection.FROM_TUTOR,
                content_kind=kind_,
                source_chat_id=message.chat.id,
                source_message_id=source_id,
                relayed_chat_id=teacher.telegram_id,
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
    return teacher


# --- edits ------------------------------------------------------------------------------------


async def carry_edit(session: AsyncSession, bot: Bot, message: Message) -> int:
    """Edit the relayed copies of an edited message; how many were edited.

    Text and captions are carried; a replaced photo or file is not (Telegram's copy cannot be
    re-pointed at new media without sending it again), the new caption is."""
    edited = 0
    for record in await ThreadsRepo(session).by_source(message.chat.id, message.message_id):
        if record.relayed_chat_id is None or record.relayed_message_id is None:
            continue
        thread = await ThreadsRepo(session).get(record.thread_id)
        if thread is None or thread.status == ThreadStatus.CLOSED:
            continue
        try:
            if message.text is not None:
                await bot.edit_message_text(
                    chat_id=record.relayed_chat_id,
                    message_id=record.relayed_message_id,
                    text=message.text,
                    entities=message.entities,
                    parse_mode=None,
                )
            elif message.caption is not None:
                await bot.edit_message_caption(
                    chat_id=record.relayed_chat_id,
                    message_id=record.relayed_message_id,
                    caption=message.caption,
                    caption_entities=message.caption_entities,
                    parse_mode=None,
                )
            else:
                continue
        except (TelegramBadRequest, TelegramForbiddenError):
            # The copy was deleted, is too old to edit, or its reader blocked the bot: the
            # edit cannot be carried and the sender does not need to hear about it.
            log.info("edit of thread message %s not carried", record.id)
            continue
        record.edited_at = datetime.now(UTC)
        edited += 1
    return edited


# --- closing and rating -----------------------------------------------------------------------


def close_quietly(thread: Thread) -> None:
    """Close without telling anyone (the teacher is gone; nobody can answer them)."""
    _close(thread, automatically=True)


def _close(thread: Thread, *, automatically: bool) -> None:
    now = datetime.now(UTC)
    thread.status = ThreadStatus.CLOSED
    thread.closed_at = now
    thread.closed_automatically = automatically
    thread.waiting_since = None
    thread.last_activity_at = now


async def close_by_teacher(
    session: AsyncSession, settings: Settings, teacher: Person, thread_id: int
) -> Thread:
    thread = await thread_of_teacher(session, teacher, thread_id)
    if thread.status == ThreadStatus.CLOSED:
        raise DomainError("questions.already_closed", number=thread.id)
    _close(thread, automatically=False)
    if thread.tutor_id is not None:
        tutor = await acting_tutor(session, thread.tutor_id)
        if tutor is not None:
            await enqueue_message(
                session,
                settings,
                tutor,
                t(
                    "questions.closed_by_teacher",
                    locale=locale_of(tutor, settings),
                    number=thread.id,
                    who=short_name(teacher.full_name),
                ),
                kind="thread_closed",
                priority=Priority.ROUTINE,
                dedup_key=f"thread_closed:{thread.id}",
            )
    return thread


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


# --- assigning --------------------------------------------------------------------------------


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


async def assign(
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    coordinator: Person,
    thread_id: int,
    tutor_id: int,
    *,
    chat_id: int,
    locale: str,
) -> tuple[Thread, Person]:
    """Move the thread to `tutor_id`, send its card to whoever answers for them, and queue the
    copy of its history (about a message a second: a background job that reports to the
    coordinator in `chat_id`)."""
    thread, tutors = await tutors_to_assign(session, coordinator, thread_id)
    chosen = next((p for p in tutors if p.id == tutor_id), None)
    if chosen is None:
        raise DomainError("questions.not_found")
    receiver = await acting_tutor(session, chosen.id) or chosen
    if not _can_receive(receiver):
        raise DomainError("questions.tutor_unreachable", name=short_name(receiver.full_name))
    assert receiver.telegram_id is not None
    teacher = await PeopleRepo(session).get(thread.teacher_id) if thread.teacher_id else None
    repo = ThreadsRepo(session)
    receiver_locale = locale_of(receiver, settings)
    try:
        card = await bot.send_message(
            receiver.telegram_id,
            await _card_text(session, thread, teacher, receiver_locale, is_new=True)
            if teacher is not None
            else t("questions.card_new", locale=receiver_locale, number=thread.id, who="—"),
            reply_markup=tutor_card_keyboard(thread.id, receiver_locale),
        )
    except TelegramForbiddenError:
        raise DomainError(
            "questions.tutor_unreachable", name=short_name(receiver.full_name)
        ) from None
    history = _teachers_messages(await repo.messages(thread.id))
    await repo.add(
        ThreadMessage(
            thread_id=thread.id,
            author_id=thread.teacher_id,
            direction=MessageDirection.FROM_TEACHER,
            content_kind=CARD_KIND,
            source_chat_id=(teacher.telegram_id or 0) if teacher else 0,
            source_message_id=0,
            relayed_chat_id=receiver.telegram_id,
            relayed_message_id=card.message_id,
        )
    )
    if history:
        await jobs.enqueue(
            session,
            jobs.HISTORY_COPY,
            {
                "thread_id": thread.id,
                "tutor_id": chosen.id,
                "receiver_id": receiver.id,
                # Messages after this one are relayed to the new tutor as they come.
                "up_to": history[-1].id,
            },
            person=coordinator,
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
    if teacher is not None:
        await enqueue_message(
            session,
            settings,
            teacher,
            t(
                "questions.assigned_to_teacher",
                locale=locale_of(teacher, settings),
                number=thread.id,
                tutor=short_name(chosen.full_name),
            ),
            kind="thread_assigned",
            dedup_key=f"thread_assigned:{thread.id}:{chosen.id}:{len(history)}",
        )
    return thread, chosen


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
    if receiver is None or not _can_receive(receiver):
        raise DomainError(
            "questions.tutor_unreachable", name=short_name(receiver.full_name if receiver else None)
        )
    assert receiver.telegram_id is not None
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


async def set_away(
    session: AsyncSession, tutor: Person, substitute_id: int, ends_on: date
) -> Person:
    candidates = {p.id: p for p in await substitute_candidates(session, tutor)}
    substitute = candidates.get(substitute_id)
    if substitute is None:
        raise DomainError("questions.substitute_invalid")
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


# --- views ------------------------------------------------------------------------------------


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


async def coordinator_overview(
    session: AsyncSession, settings: Settings, coordinator: Person
) -> Overview:
    municipality_ids = onboarding.coordinated_municipalities(coordinator)
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
