"""The relay of questions (обращения): everything that talks to Telegram for them.

A teacher's question and a tutor's answer are copied across with `copy_message` (it keeps
media and captions exactly as sent), under a card or answer header that names the thread;
when Telegram refuses the copy itself the header is taken back, so no half relay is left
behind. Edits of a relayed message are carried to its copies. Notices the services decide on
become outbox messages here, in the recipient's language and with their buttons.

Relaying is done with direct Bot API calls, not the outbox: the teacher (or tutor) has just
written, and the relayed message id must be known at once to record the pair. Each call first
commits the update's writes (`bot.updates.requests`). The history a newly assigned tutor gets
is copied by a background job (`bot.jobs.history`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.outbox import Priority, enqueue_message
from bot.keyboards.questions import (
    assign_keyboard,
    close_keyboard,
    rating_keyboard,
    tutor_card_keyboard,
)
from bot.services.question_assignment import AssignmentPlan
from bot.services.question_messages import (
    CARRIED_KINDS,
    CardFacts,
    IncomingMessage,
    Notice,
    NoticeKind,
    Relayed,
    RelayOutcome,
    short_name,
)
from bot.services.question_threads import AnswerPlan, QuestionPlan
from bot.texts import t
from config.settings import Settings
from storage.models import Person, ThreadMessage

log = logging.getLogger(__name__)


def incoming_message(message: Message) -> IncomingMessage:
    return IncomingMessage(
        chat_id=message.chat.id,
        message_id=message.message_id,
        content_kind=next((kind for kind in CARRIED_KINDS if getattr(message, kind, None)), None),
    )


def locale_of(person: Person, settings: Settings) -> str:
    return person.locale or settings.default_locale


def _card_text(card: CardFacts, locale: str) -> str:
    key = "questions.card_new" if card.is_new else "questions.card_more"
    return t(key, locale=locale, number=card.thread_id, who=card.who)


# --- relaying ---------------------------------------------------------------------------------


async def send_question(bot: Bot, settings: Settings, plan: QuestionPlan) -> Relayed | None:
    """The teacher's message to the tutor, under the thread's card when it starts a wait; None
    when there is nobody to send it to."""
    receiver = plan.receiver
    if receiver is None:
        return None
    assert receiver.telegram_id is not None
    locale = locale_of(receiver, settings)
    header = (
        (_card_text(plan.card, locale), tutor_card_keyboard(plan.thread.id, locale))
        if plan.card is not None
        else None
    )
    return await _relay(bot, receiver.telegram_id, plan.incoming, header)


async def send_answer(bot: Bot, settings: Settings, plan: AnswerPlan) -> Relayed:
    """The tutor's answer to the teacher, under a header with the button that closes it."""
    locale = locale_of(plan.teacher, settings)
    header = t(
        "questions.answer_header",
        locale=locale,
        tutor=short_name(plan.tutor.full_name),
        number=plan.thread.id,
    )
    return await _relay(
        bot, plan.teacher_chat_id, plan.incoming, (header, close_keyboard(plan.thread.id, locale))
    )


async def send_assignment_card(bot: Bot, settings: Settings, plan: AssignmentPlan) -> int | None:
    """The card of a newly assigned thread; its message id, None when the reader blocked the
    bot."""
    locale = locale_of(plan.receiver, settings)
    try:
        card = await bot.send_message(
            plan.receiver_chat_id,
            _card_text(plan.card, locale),
            reply_markup=tutor_card_keyboard(plan.thread.id, locale),
        )
    except TelegramForbiddenError:
        return None
    return card.message_id


async def _relay(
    bot: Bot,
    chat_id: int,
    incoming: IncomingMessage,
    header: tuple[str, InlineKeyboardMarkup] | None,
) -> Relayed:
    """Send `header`, then copy the message into `chat_id`. When Telegram refuses the copy
    itself (e.g. the reader does not accept voice messages) the header is taken back, so the
    reader is not left with half a relay; the sender is then told plainly."""
    header_id: int | None = None
    try:
        if header is not None:
            text, markup = header
            header_id = (await bot.send_message(chat_id, text, reply_markup=markup)).message_id
        try:
            copied = await bot.copy_message(
                chat_id=chat_id, from_chat_id=incoming.chat_id, message_id=incoming.message_id
            )
        except TelegramBadRequest:
            log.info("copy of message %s into chat %s refused", incoming.message_id, chat_id)
            if header_id is not None:
                with contextlib.suppress(TelegramBadRequest, TelegramForbiddenError):
                    await bot.delete_message(chat_id=chat_id, message_id=header_id)
            return Relayed(RelayOutcome.REFUSED)
    except TelegramForbiddenError:
        return Relayed(RelayOutcome.UNREACHABLE, header_message_id=header_id)
    return Relayed(
        RelayOutcome.DELIVERED, header_message_id=header_id, copy_message_id=copied.message_id
    )


async def carry_edit(
    bot: Bot, message: Message, copies: Sequence[ThreadMessage]
) -> list[ThreadMessage]:
    """Edit the relayed copies of an edited message; the copies edited.

    Text and captions are carried; a replaced photo or file is not (Telegram's copy cannot be
    re-pointed at new media without sending it again), the new caption is."""
    edited: list[ThreadMessage] = []
    for record in copies:
        assert record.relayed_chat_id is not None and record.relayed_message_id is not None
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
        edited.append(record)
    return edited


# --- notices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Delivery:
    priority: Priority
    # False: waits for the recipient's daytime (a reminder is no reason to wake anyone).
    urgent: bool = True
    buttons: Callable[[int, str], InlineKeyboardMarkup] | None = None


_DELIVERIES = {
    NoticeKind.QUEUED: _Delivery(Priority.URGENT, buttons=assign_keyboard),
    NoticeKind.CLOSED_BY_TEACHER: _Delivery(Priority.ROUTINE),
    NoticeKind.ASSIGNED: _Delivery(Priority.INTERACTIVE),
    NoticeKind.REMINDER: _Delivery(Priority.ROUTINE, urgent=False, buttons=tutor_card_keyboard),
    NoticeKind.ESCALATION: _Delivery(Priority.URGENT, urgent=False, buttons=assign_keyboard),
    NoticeKind.CLOSED_AUTOMATICALLY: _Delivery(
        Priority.ROUTINE, urgent=False, buttons=rating_keyboard
    ),
}


async def post_notices(
    session: AsyncSession, settings: Settings, notices: Sequence[Notice]
) -> None:
    """Queue the notices in the outbox (in the caller's transaction): their recipients did not
    just write to the bot."""
    for notice in notices:
        delivery = _DELIVERIES[notice.kind]
        locale = locale_of(notice.recipient, settings)
        await enqueue_message(
            session,
            settings,
            notice.recipient,
            t(notice.text_key, locale=locale, number=notice.thread_id, **notice.params),
            kind=notice.kind.value,
            priority=delivery.priority,
            urgent=delivery.urgent,
            reply_markup=(
                delivery.buttons(notice.thread_id, locale) if delivery.buttons is not None else None
            ),
            dedup_key=notice.dedup_key,
        )
