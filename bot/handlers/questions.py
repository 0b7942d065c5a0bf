"""Questions (обращения): the teacher asks, the tutor answers, the coordinator assigns and watches.

A reply (in Telegram) to any relayed message or card finds its thread, so this router sits
before the other features' routers; the asking mode ends with any main-menu button or command.
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
from bot.services import questions
from bot.states import QuestionFlow
from bot.texts import Templates, all_translations, t
from bot.ui import send_long
from config.settings import Settings
from storage.models import MessageDirection, Person, Role, ThreadMessage, ThreadStatus
from storage.repositories.threads import ThreadsRepo

router = Router(name=__name__)
router.message.filter(HasRole())
router.edited_message.filter(HasRole())
router.callback_query.filter(HasRole())


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
        record = await ThreadsRepo(session).by_relayed(message.chat.id, replied.message_id)
        return {"relayed": record} if record is not None else False


# Telegram's limit for one message; long lists are sent in several.


# --- the teacher asks -------------------------------------------------------------------------


@router.message(Command("ask"), HasRole(Role.TEACHER))
@router.message(MenuButton("menu.ask_tutor"), HasRole(Role.TEACHER))
async def cmd_ask(
    message: Message, person: Person, session: AsyncSession, state: FSMContext
) -> None:
    await questions.ensure_someone_answers(session, person)
    await state.set_state(QuestionFlow.asking)
    thread = await ThreadsRepo(session).unclosed_of_teacher(person.id)
    if thread is None:
        await message.answer(t("questions.ask_prompt"))
    else:
        await message.answer(t("questions.ask_prompt_open", number=thread.id))


@router.message(RelayedReply())
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
    thread = await questions.thread_of_teacher(session, person, relayed.thread_id)
    if thread.status == ThreadStatus.CLOSED:
        await message.answer(t("questions.thread_closed", number=thread.id))
        return
    outcome = await questions.ask(session, bot, settings, person, message, thread)
    await _confirm_asked(message, outcome)


async def _confirm_asked(message: Message, outcome: questions.AskOutcome) -> None:
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
                tutor=questions.short_name(outcome.delivered_to.full_name),
            )
        )


@router.message(QuestionFlow.asking, HasRole(Role.TEACHER))
async def on_question(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    await _step_aside(message, state)
    outcome = await questions.ask(session, bot, settings, person, message)
    await _confirm_asked(message, outcome)


# --- the tutor answers ------------------------------------------------------------------------


async def _answer(
    message: Message,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    thread_id: int,
) -> None:
    teacher = await questions.answer(session, bot, settings, person, thread_id, message)
    if teacher is None:
        await message.answer(t("questions.teacher_blocked", number=thread_id))
    else:
        await message.answer(t("questions.answer_sent", number=thread_id))


@router.message(QuestionFlow.answering)
async def on_answer(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    await _step_aside(message, state)
    if questions.content_kind(message) is None:
        # Stay in the answering mode: the tutor can send a text or a file instead.
        await message.answer(t("questions.cannot_relay"))
        return
    thread_id = int((await state.get_data()).get("thread_id", 0))
    await state.clear()
    await _answer(message, person, session, bot, settings, thread_id)


@router.callback_query(QuestionCb.filter(F.action == "answer"))
async def cb_answer(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    thread = await questions.thread_of_tutor(session, person, callback_data.thread_id)
    if thread.status == ThreadStatus.CLOSED:
        raise DomainError("questions.thread_closed", number=thread.id)
    await callback.answer()
    await state.set_state(QuestionFlow.answering)
    await state.update_data(thread_id=thread.id)
    await bot.send_message(callback.from_user.id, t("questions.answer_prompt", number=thread.id))


@router.edited_message()
async def on_edited(message: Message, session: AsyncSession, bot: Bot) -> None:
    await questions.carry_edit(session, bot, message)


# --- closing and rating -----------------------------------------------------------------------


@router.callback_query(QuestionCb.filter(F.action == "close"))
async def cb_close(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    thread = await questions.close_by_teacher(session, settings, person, callback_data.thread_id)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    if await state.get_state() == QuestionFlow.asking.state:
        await state.clear()
    await bot.send_message(
        callback.from_user.id,
        t("questions.closed_rate", number=thread.id),
        reply_markup=rating_keyboard(thread.id),
    )


@router.callback_query(QuestionCb.filter(F.action == "rate"))
async def cb_rate(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    thread = await questions.rate(session, person, callback_data.thread_id, callback_data.value)
    await callback.answer()
    await state.set_state(QuestionFlow.rating_comment)
    await state.update_data(thread_id=thread.id)
    await bot.send_message(
        callback.from_user.id,
        t("questions.ask_comment", limit=questions.COMMENT_MAX),
        reply_markup=skip_comment_keyboard(thread.id),
    )


@router.callback_query(QuestionCb.filter(F.action == "skip_comment"))
async def cb_skip_comment(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    await questions.thread_of_teacher(session, person, callback_data.thread_id)
    await callback.answer()
    await state.clear()
    await bot.send_message(callback.from_user.id, t("questions.thanks"))


@router.message(QuestionFlow.rating_comment)
async def on_comment(
    message: Message, person: Person, session: AsyncSession, state: FSMContext
) -> None:
    await _step_aside(message, state)
    if not message.text:
        await message.answer(t("questions.comment_text_only", limit=questions.COMMENT_MAX))
        return
    thread_id = int((await state.get_data()).get("thread_id", 0))
    await questions.comment(session, person, thread_id, message.text)
    await state.clear()
    await message.answer(t("questions.thanks"))


# --- looking at threads -----------------------------------------------------------------------


@router.callback_query(QuestionCb.filter(F.action == "open"))
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
    thread = await questions.thread_for_viewer(session, person, callback_data.thread_id)
    lines = await questions.history(session, thread)
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


@router.message(Command("questions"), HasRole(Role.TUTOR))
@router.message(MenuButton("menu.tutor_questions"), HasRole(Role.TUTOR))
async def cmd_tutor_questions(
    message: Message,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    lines = await questions.tutor_threads(session, person)
    away = await questions.current_substitute(session, person)
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


@router.message(Command("questions"), HasRole(Role.COORDINATOR))
@router.message(MenuButton("menu.questions_overview"), HasRole(Role.COORDINATOR))
async def cmd_overview(
    message: Message,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    overview = await questions.coordinator_overview(session, settings, person)
    await send_long(
        bot,
        message.chat.id,
        templates.render("question_overview.html", i18n.current_locale, overview=overview),
        queue_keyboard([line.thread.id for line in overview.unassigned]),
    )


# --- the coordinator assigns ------------------------------------------------------------------


@router.callback_query(QuestionCb.filter(F.action == "assign"))
async def cb_assign(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    thread, tutors = await questions.tutors_to_assign(session, person, callback_data.thread_id)
    await callback.answer()
    await bot.send_message(
        callback.from_user.id,
        t("questions.pick_tutor", number=thread.id),
        reply_markup=tutors_keyboard(thread.id, tutors),
    )


@router.callback_query(QuestionCb.filter(F.action == "assign_to"))
async def cb_assign_to(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    i18n: I18n,
) -> None:
    thread, tutor = await questions.assign(
        session,
        bot,
        settings,
        person,
        callback_data.thread_id,
        callback_data.value,
        chat_id=callback.from_user.id,
        locale=i18n.current_locale,
    )
    await callback.answer()
    await bot.send_message(
        callback.from_user.id,
        t("questions.assigned", number=thread.id, tutor=questions.short_name(tutor.full_name)),
    )


# --- the tutor goes away ----------------------------------------------------------------------


@router.callback_query(QuestionCb.filter(F.action == "away"), HasRole(Role.TUTOR))
async def cb_away(callback: CallbackQuery, person: Person, session: AsyncSession, bot: Bot) -> None:
    candidates = await questions.substitute_candidates(session, person)
    if not candidates:
        raise DomainError("questions.no_substitutes")
    await callback.answer()
    await bot.send_message(
        callback.from_user.id,
        t("questions.pick_substitute"),
        reply_markup=substitutes_keyboard(candidates),
    )


@router.callback_query(QuestionCb.filter(F.action == "substitute"), HasRole(Role.TUTOR))
async def cb_substitute(
    callback: CallbackQuery,
    callback_data: QuestionCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    candidates = await questions.substitute_candidates(session, person)
    if callback_data.value not in {p.id for p in candidates}:
        raise DomainError("questions.substitute_invalid")
    await callback.answer()
    await state.set_state(QuestionFlow.away_until)
    await state.update_data(substitute_id=callback_data.value)
    await bot.send_message(callback.from_user.id, t("questions.ask_away_until"))


@router.message(QuestionFlow.away_until, HasRole(Role.TUTOR))
async def on_away_until(
    message: Message, person: Person, session: AsyncSession, state: FSMContext
) -> None:
    await _step_aside(message, state)
    ends_on = questions.parse_end_date(message.text or "", questions.today())
    substitute_id = int((await state.get_data()).get("substitute_id", 0))
    substitute = await questions.set_away(session, person, substitute_id, ends_on)
    await state.clear()
    await message.answer(
        t(
            "questions.away_set",
            name=questions.short_name(substitute.full_name),
            date=ends_on.strftime("%d.%m.%Y"),
        )
    )


@router.callback_query(QuestionCb.filter(F.action == "back"), HasRole(Role.TUTOR))
async def cb_back(callback: CallbackQuery, person: Person, session: AsyncSession, bot: Bot) -> None:
    ended = await questions.end_away(session, person)
    await callback.answer()
    await bot.send_message(
        callback.from_user.id, t("questions.away_ended" if ended else "questions.not_away")
    )
