"""Questions (обращения): the teacher asks, the tutor answers, the coordinator assigns and watches.

A reply (in Telegram) to any relayed message or card finds its thread, so this router sits
before the other features' routers; the asking mode ends with any main-menu button or command.
A relay is prepared by a service, sent by `bot.transport.questions`, then settled by the service.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import QuestionCb
from bot.errors import DomainError
from bot.filters import HasRole, MenuButton
from bot.keyboards.menus import COMMON_MENU, MENU_BY_ROLE
from bot.keyboards.questions import (
    queue_keyboard,
    rating_keyboard,
    skip_comment_keyboard,
    substitutes_keyboard,
    tutor_list_keyboard,
    tutors_keyboard,
)
from bot.services import (
    question_assignment,
    question_overview,
    question_routing,
    question_threads,
)
from bot.services.question_messages import short_name
from bot.states import QuestionFlow
from bot.texts import Templates, all_translations, t
from bot.transport import questions as relay
from bot.ui import send_long
from config.settings import Settings
from storage.models import MessageDirection, Person, Role, Thread, ThreadMessage, ThreadStatus


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.filter(HasRole())
    router.edited_message.filter(HasRole())
    router.callback_query.filter(HasRole())

    # The teacher asks
    router.message.register(cmd_ask, Command("ask"), HasRole(Role.TEACHER))
    router.message.register(cmd_ask, MenuButton("menu.ask_tutor"), HasRole(Role.TEACHER))
    router.message.register(on_reply_to_relayed, RelayedReply())
    router.message.register(on_question, QuestionFlow.asking, HasRole(Role.TEACHER))

    # The tutor answers
    router.message.register(on_answer, QuestionFlow.answering)
    router.callback_query.register(cb_answer, QuestionCb.filter(F.action == "answer"))
    router.edited_message.register(on_edited)

    # Closing and rating
    router.callback_query.register(cb_close, QuestionCb.filter(F.action == "close"))
    router.callback_query.register(cb_rate, QuestionCb.filter(F.action == "rate"))
    router.callback_query.register(cb_skip_comment, QuestionCb.filter(F.action == "skip_comment"))
    router.message.register(on_comment, QuestionFlow.rating_comment)

    # Looking at threads
    router.callback_query.register(cb_open, QuestionCb.filter(F.action == "open"))
    router.message.register(cmd_tutor_questions, Command("questions"), HasRole(Role.TUTOR))
    router.message.register(
        cmd_tutor_questions, MenuButton("menu.tutor_questions"), HasRole(Role.TUTOR)
    )
    router.message.register(cmd_overview, Command("questions"), HasRole(Role.COORDINATOR))
    router.message.register(
        cmd_overview, MenuButton("menu.questions_overview"), HasRole(Role.COORDINATOR)
    )

    # The coordinator assigns
    router.callback_query.register(cb_assign, QuestionCb.filter(F.action == "assign"))
    router.callback_query.register(cb_assign_to, QuestionCb.filter(F.action == "assign_to"))

    # The tutor goes away
    router.callback_query.register(
        cb_away, QuestionCb.filter(F.action == "away"), HasRole(Role.TUTOR)
    )
    router.callback_query.register(
        cb_substitute, QuestionCb.filter(F.action == "substitute"), HasRole(Role.TUTOR)
    )
    router.message.register(on_away_until, QuestionFlow.away_until, HasRole(Role.TUTOR))
    router.callback_query.register(
        cb_back, QuestionCb.filter(F.action == "back"), HasRole(Role.TUTOR)
    )
    return router


def _leaves_dialog(message: Message) -> bool:
    """A command or a main-menu button: the person wants something else, not to relay it."""
    text = message.text or ""
    if text.startswith("/"):
        return True
    keys = {key for keys in MENU_BY_ROLE.values() for key in keys} | set(COMMON_MENU)
    return any(text in all_translations(key) for key in keys)


async def _step_aside(message: Message, state: FSMContext) -> None:
    if _leaves_dialog(message):
        await state.clear()
        raise SkipHandler()


class RelayedReply(Filter):
    """A reply to a relayed copy, card or answer header of a thread in this chat."""

    async def __call__(
        self, message: Message, session: AsyncSession, **_: Any
    ) -> bool | dict[str, Any]:
        replied = message.reply_to_message
        if replied is None:
            return False
        record = await question_routing.relayed_message_at(
            session, message.chat.id, replied.message_id
        )
        return {"relayed": record} if record is not None else False


# --- the teacher asks -------------------------------------------------------------------------


async def cmd_ask(
    message: Message, person: Person, session: AsyncSession, state: FSMContext
) -> None:
    thread = await question_routing.thread_to_continue(session, person)
    await state.set_state(QuestionFlow.asking)
    if thread is None:
        await message.answer(t("questions.ask_prompt"))
    else:
        await message.answer(t("questions.ask_prompt_open", number=thread.id))


async def on_reply_to_relayed(
    message: Message,
    relayed: ThreadMessage,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    if relayed.direction == MessageDirection.FROM_TEACHER:
        # The copy sits in a tutor's chat: this is an answer.
        await _answer(message, person, session, bot, settings, relayed.thread_id)
        return
    thread = await question_routing.thread_of_teacher(session, person, relayed.thread_id)
    if thread.status == ThreadStatus.CLOSED:
        await message.answer(t("questions.thread_closed", number=thread.id))
        return
    await _ask(message, person, session, bot, settings, thread)


async def _ask(
    message: Message,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    thread: Thread | None = None,
) -> None:
    plan = await question_threads.prepare_question(
        session, person, relay.incoming_message(message), thread
    )
    relayed = await relay.send_question(bot, settings, plan)
    outcome = await question_threads.settle_question(session, plan, relayed)
    await relay.post_notices(session, settings, outcome.notices)
    await _confirm_asked(message, outcome)


async def _confirm_asked(message: Message, outcome: question_threads.AskOutcome) -> None:
    number = outcome.thread.id
    if outcome.tutor_unreachable:
        await message.answer(t("questions.sent_to_coordinator_tutor_unreachable", number=number))
    elif outcome.delivered_to is None:
        if outcome.is_new:
            await message.answer(t("questions.sent_to_coordinator", number=number))
    elif outcome.is_new:
        await message.answer(
            t(
                "questions.sent_new",
                number=number,
                tutor=short_name(outcome.delivered_to.full_name),
            )
        )


async def on_question(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    await _step_aside(message, state)
    await _ask(message, person, session, bot, settings)


# --- the tutor answers ------------------------------------------------------------------------


async def _answer(
    message: Message,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    thread_id: int,
) -> None:
    plan = await question_threads.prepare_answer(
        session, person, thread_id, relay.incoming_message(message)
    )
    teacher = await question_threads.settle_answer(
        session, plan, await relay.send_answer(bot, settings, plan)
    )
    if teacher is None:
        await message.answer(t("questions.teacher_blocked", number=thread_id))
    else:
        await message.answer(t("questions.answer_sent", number=thread_id))


async def on_answer(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    await _step_aside(message, state)
    if relay.incoming_message(message).content_kind is None:
        # Stay in the answering mode: the tutor can send a text or a file instead.
        await message.answer(t("questions.cannot_relay"))
        return
    thread_id = int((await state.get_data()).get("thread_id", 0))
    await state.clear()
    await _answer(message, person, session, bot, settings, thread_id)


async def cb_answer(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    thread = await question_routing.thread_of_tutor(session, person, callback_data.thread_id)
    if thread.status == ThreadStatus.CLOSED:
        raise DomainError("questions.thread_closed", number=thread.id)
    await callback.answer()
    await state.set_state(QuestionFlow.answering)
    await state.update_data(thread_id=thread.id)
    await bot.send_message(callback.from_user.id, t("questions.answer_prompt", number=thread.id))


async def on_edited(message: Message, session: AsyncSession, bot: Bot) -> None:
    copies = await question_threads.copies_to_edit(session, message.chat.id, message.message_id)
    for record in await relay.carry_edit(bot, message, copies):
        question_threads.mark_edited(record)


# --- closing and rating -----------------------------------------------------------------------


async def cb_close(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    closed = await question_threads.close_by_teacher(session, person, callback_data.thread_id)
    await relay.post_notices(session, settings, closed.notices)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    if await state.get_state() == QuestionFlow.asking.state:
        await state.clear()
    await bot.send_message(
        callback.from_user.id,
        t("questions.closed_rate", number=closed.thread.id),
        reply_markup=rating_keyboard(closed.thread.id),
    )


async def cb_rate(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    thread = await question_threads.rate(
        session, person, callback_data.thread_id, callback_data.value
    )
    await callback.answer()
    await state.set_state(QuestionFlow.rating_comment)
    await state.update_data(thread_id=thread.id)
    await bot.send_message(
        callback.from_user.id,
        t("questions.ask_comment", limit=question_threads.COMMENT_MAX),
        reply_markup=skip_comment_keyboard(thread.id),
    )


async def cb_skip_comment(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    await question_routing.thread_of_teacher(session, person, callback_data.thread_id)
    await callback.answer()
    await state.clear()
    await bot.send_message(callback.from_user.id, t("questions.thanks"))


async def on_comment(
    message: Message, person: Person, session: AsyncSession, state: FSMContext
) -> None:
    await _step_aside(message, state)
    if not message.text:
        await message.answer(t("questions.comment_text_only", limit=question_threads.COMMENT_MAX))
        return
    thread_id = int((await state.get_data()).get("thread_id", 0))
    await question_threads.comment(session, person, thread_id, message.text)
    await state.clear()
    await message.answer(t("questions.thanks"))


# --- looking at threads -----------------------------------------------------------------------


async def cb_open(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    thread = await question_routing.thread_for_viewer(session, person, callback_data.thread_id)
    lines = await question_overview.history(session, thread)
    await callback.answer()
    await send_long(
        bot,
        callback.from_user.id,
        templates.render(
            "question_history.html",
            i18n.current_locale,
            thread=thread,
            lines=lines,
            tz=settings.tz,
        ),
    )


async def cmd_tutor_questions(
    message: Message,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    lines = await question_overview.tutor_threads(session, person)
    away = await question_routing.current_substitute(session, person)
    await send_long(
        bot,
        message.chat.id,
        templates.render(
            "question_tutor_list.html",
            i18n.current_locale,
            lines=lines,
            away=away,
            tz=settings.tz,
        ),
        tutor_list_keyboard([line.thread.id for line in lines], away=away is not None),
    )


async def cmd_overview(
    message: Message,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    overview = await question_overview.coordinator_overview(session, settings, person)
    await send_long(
        bot,
        message.chat.id,
        templates.render("question_overview.html", i18n.current_locale, overview=overview),
        queue_keyboard([line.thread.id for line in overview.unassigned]),
    )


# --- the coordinator assigns ------------------------------------------------------------------


async def cb_assign(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    thread, tutors = await question_assignment.tutors_to_assign(
        session, person, callback_data.thread_id
    )
    await callback.answer()
    await bot.send_message(
        callback.from_user.id,
        t("questions.pick_tutor", number=thread.id),
        reply_markup=tutors_keyboard(thread.id, tutors),
    )


async def cb_assign_to(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    i18n: I18n,
) -> None:
    plan = await question_assignment.prepare_assignment(
        session, person, callback_data.thread_id, callback_data.value
    )
    assigned = await question_assignment.settle_assignment(
        session,
        plan,
        await relay.send_assignment_card(bot, settings, plan),
        chat_id=callback.from_user.id,
        locale=i18n.current_locale,
    )
    await relay.post_notices(session, settings, assigned.notices)
    await callback.answer()
    await bot.send_message(
        callback.from_user.id,
        t(
            "questions.assigned",
            number=assigned.thread.id,
            tutor=short_name(assigned.tutor.full_name),
        ),
    )


# --- the tutor goes away ----------------------------------------------------------------------


async def cb_away(callback: CallbackQuery, person: Person, session: AsyncSession, bot: Bot) -> None:
    candidates = await question_routing.substitute_candidates(session, person)
    if not candidates:
        raise DomainError("questions.no_substitutes")
    await callback.answer()
    await bot.send_message(
        callback.from_user.id,
        t("questions.pick_substitute"),
        reply_markup=substitutes_keyboard(candidates),
    )


async def cb_substitute(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    await question_routing.chosen_substitute(session, person, callback_data.value)
    await callback.answer()
    await state.set_state(QuestionFlow.away_until)
    await state.update_data(substitute_id=callback_data.value)
    await bot.send_message(callback.from_user.id, t("questions.ask_away_until"))


async def on_away_until(
    message: Message, person: Person, session: AsyncSession, state: FSMContext
) -> None:
    await _step_aside(message, state)
    ends_on = question_routing.parse_end_date(message.text or "", question_routing.today())
    substitute_id = int((await state.get_data()).get("substitute_id", 0))
    substitute = await question_routing.set_away(session, person, substitute_id, ends_on)
    await state.clear()
    await message.answer(
        t(
            "questions.away_set",
            name=short_name(substitute.full_name),
            date=ends_on.strftime("%d.%m.%Y"),
        )
    )


async def cb_back(callback: CallbackQuery, person: Person, session: AsyncSession, bot: Bot) -> None:
    ended = await question_routing.end_away(session, person)
    await callback.answer()
    await bot.send_message(
        callback.from_user.id, t("questions.away_ended" if ended else "questions.not_away")
    )
