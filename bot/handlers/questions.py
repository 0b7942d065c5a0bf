"""Questions (обращения): the teacher asks, the tutor answers, the coordinator assigns and watches.

A reply (in Telegram) to any relayed message or card finds its thread, so this router sits
before the other features' routers; the asking mode ends with any main-menu button or command.
A relay is prepared by a service, sent by `bot.transport.questions`, then settled by the service.
"""

from __future__ import annotations

from typing import Any

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import QuestionCb
from bot.dialogs.leaving import is_leaving
from bot.errors import DomainError
from bot.filters import HasRole, MenuButton
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
from bot.texts import t
from bot.transport import questions as relay
from bot.ui import set_buttons
from bot.update_context import UpdateContext
from storage.models import MessageDirection, Role, Thread, ThreadMessage, ThreadStatus


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


async def _step_aside(message: Message) -> None:
    """A way out (a look-up like /help, since other ways out ended the mode already) is
    handled by its own router; the mode waits."""
    if is_leaving(message):
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


async def cmd_ask(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    thread = await question_routing.thread_to_continue(ctx.session, ctx.me)
    await state.set_state(QuestionFlow.asking)
    if thread is None:
        await ctx.reply(t("questions.ask_prompt"))
    else:
        await ctx.reply(t("questions.ask_prompt_open", number=thread.id))


async def on_reply_to_relayed(message: Message, relayed: ThreadMessage, ctx: UpdateContext) -> None:
    if relayed.direction == MessageDirection.FROM_TEACHER:
        # The copy sits in a tutor's chat: this is an answer.
        await _answer(message, ctx, relayed.thread_id)
        return
    thread = await question_routing.thread_of_teacher(ctx.session, ctx.me, relayed.thread_id)
    if thread.status == ThreadStatus.CLOSED:
        await ctx.reply(t("questions.thread_closed", number=thread.id))
        return
    await _ask(message, ctx, thread)


async def _ask(message: Message, ctx: UpdateContext, thread: Thread | None = None) -> None:
    plan = await question_threads.prepare_question(
        ctx.session, ctx.me, relay.incoming_message(message), thread
    )
    relayed = await relay.send_question(ctx.bot, ctx.settings, plan)
    outcome = await question_threads.settle_question(ctx.session, plan, relayed)
    await relay.post_notices(ctx.session, ctx.settings, outcome.notices)
    await _confirm_asked(ctx, outcome)


async def _confirm_asked(ctx: UpdateContext, outcome: question_threads.AskOutcome) -> None:
    number = outcome.thread.id
    if outcome.tutor_unreachable:
        await ctx.reply(t("questions.sent_to_coordinator_tutor_unreachable", number=number))
    elif outcome.delivered_to is None:
        if outcome.is_new:
            await ctx.reply(t("questions.sent_to_coordinator", number=number))
    elif outcome.is_new:
        tutor = short_name(outcome.delivered_to.full_name)
        await ctx.reply(t("questions.sent_new", number=number, tutor=tutor))


async def on_question(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    await _step_aside(message)
    await _ask(message, ctx)


# --- the tutor answers ------------------------------------------------------------------------


async def _answer(message: Message, ctx: UpdateContext, thread_id: int) -> None:
    plan = await question_threads.prepare_answer(
        ctx.session, ctx.me, thread_id, relay.incoming_message(message)
    )
    teacher = await question_threads.settle_answer(
        ctx.session, plan, await relay.send_answer(ctx.bot, ctx.settings, plan)
    )
    if teacher is None:
        await ctx.reply(t("questions.teacher_blocked", number=thread_id))
    else:
        await ctx.reply(t("questions.answer_sent", number=thread_id))


async def on_answer(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    await _step_aside(message)
    if relay.incoming_message(message).content_kind is None:
        # Stay in the answering mode: the tutor can send a text or a file instead.
        await ctx.reply(t("questions.cannot_relay"))
        return
    thread_id = int((await state.get_data()).get("thread_id", 0))
    await state.clear()
    await _answer(message, ctx, thread_id)


async def cb_answer(
    callback: CallbackQuery, callback_data: QuestionCb, state: FSMContext, ctx: UpdateContext
) -> None:
    thread = await question_threads.answerable_thread(ctx.session, ctx.me, callback_data.thread_id)
    await callback.answer()
    await state.set_state(QuestionFlow.answering)
    await state.update_data(thread_id=thread.id)
    await ctx.reply(t("questions.answer_prompt", number=thread.id))


async def on_edited(message: Message, ctx: UpdateContext) -> None:
    copies = await question_threads.copies_to_edit(ctx.session, message.chat.id, message.message_id)
    for record in await relay.carry_edit(ctx.bot, message, copies):
        question_threads.mark_edited(record)


# --- closing and rating -----------------------------------------------------------------------


async def cb_close(
    callback: CallbackQuery, callback_data: QuestionCb, state: FSMContext, ctx: UpdateContext
) -> None:
    closed = await question_threads.close_by_teacher(ctx.session, ctx.me, callback_data.thread_id)
    await relay.post_notices(ctx.session, ctx.settings, closed.notices)
    await callback.answer()
    await set_buttons(callback, None)
    if await state.get_state() == QuestionFlow.asking.state:
        await state.clear()
    await ctx.reply(
        t("questions.closed_rate", number=closed.thread.id), rating_keyboard(closed.thread.id)
    )


async def cb_rate(
    callback: CallbackQuery, callback_data: QuestionCb, state: FSMContext, ctx: UpdateContext
) -> None:
    thread = await question_threads.rate(
        ctx.session, ctx.me, callback_data.thread_id, callback_data.value
    )
    await callback.answer()
    await state.set_state(QuestionFlow.rating_comment)
    await state.update_data(thread_id=thread.id)
    await ctx.reply(
        t("questions.ask_comment", limit=question_threads.COMMENT_MAX),
        skip_comment_keyboard(thread.id),
    )


async def cb_skip_comment(
    callback: CallbackQuery, callback_data: QuestionCb, state: FSMContext, ctx: UpdateContext
) -> None:
    await question_routing.thread_of_teacher(ctx.session, ctx.me, callback_data.thread_id)
    await callback.answer()
    await state.clear()
    await ctx.reply(t("questions.thanks"))


async def on_comment(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    await _step_aside(message)
    if not message.text:
        await ctx.reply(t("questions.comment_text_only", limit=question_threads.COMMENT_MAX))
        return
    thread_id = int((await state.get_data()).get("thread_id", 0))
    await question_threads.comment(ctx.session, ctx.me, thread_id, message.text)
    await state.clear()
    await ctx.reply(t("questions.thanks"))


# --- looking at threads -----------------------------------------------------------------------


async def cb_open(callback: CallbackQuery, callback_data: QuestionCb, ctx: UpdateContext) -> None:
    thread = await question_routing.thread_for_viewer(ctx.session, ctx.me, callback_data.thread_id)
    lines = await question_overview.history(ctx.session, thread)
    await callback.answer()
    await ctx.reply(
        ctx.render("question_history.html", thread=thread, lines=lines, tz=ctx.settings.tz)
    )


async def cmd_tutor_questions(message: Message, ctx: UpdateContext) -> None:
    lines = await question_overview.tutor_threads(ctx.session, ctx.me)
    away = await question_routing.current_substitute(ctx.session, ctx.me)
    await ctx.reply(
        ctx.render("question_tutor_list.html", lines=lines, away=away, tz=ctx.settings.tz),
        tutor_list_keyboard([line.thread.id for line in lines], away=away is not None),
    )


async def cmd_overview(message: Message, ctx: UpdateContext) -> None:
    overview = await question_overview.coordinator_overview(ctx.session, ctx.settings, ctx.me)
    await ctx.reply(
        ctx.render("question_overview.html", overview=overview),
        queue_keyboard([line.thread.id for line in overview.unassigned]),
    )


# --- the coordinator assigns ------------------------------------------------------------------


async def cb_assign(callback: CallbackQuery, callback_data: QuestionCb, ctx: UpdateContext) -> None:
    thread, choices = await question_assignment.tutor_choices(
        ctx.session, ctx.me, callback_data.thread_id
    )
    await callback.answer()
    text = t("questions.pick_tutor", number=thread.id)
    if not all(choice.reachable for choice in choices):
        text += "\n" + t("questions.pick_tutor_unreachable")
    await ctx.reply(text, tutors_keyboard(thread.id, choices))


async def cb_assign_to(
    callback: CallbackQuery, callback_data: QuestionCb, ctx: UpdateContext
) -> None:
    plan = await question_assignment.prepare_assignment(
        ctx.session, ctx.me, callback_data.thread_id, callback_data.value
    )
    assigned = await question_assignment.settle_assignment(
        ctx.session,
        plan,
        await relay.send_assignment_card(ctx.bot, ctx.settings, plan),
        chat_id=callback.from_user.id,
        locale=ctx.locale,
    )
    await relay.post_notices(ctx.session, ctx.settings, assigned.notices)
    await callback.answer()
    tutor = short_name(assigned.tutor.full_name)
    await ctx.reply(t("questions.assigned", number=assigned.thread.id, tutor=tutor))


# --- the tutor goes away ----------------------------------------------------------------------


async def cb_away(callback: CallbackQuery, ctx: UpdateContext) -> None:
    candidates = await question_routing.substitute_candidates(ctx.session, ctx.me)
    if not candidates:
        raise DomainError("questions.no_substitutes")
    await callback.answer()
    await ctx.reply(t("questions.pick_substitute"), substitutes_keyboard(candidates))


async def cb_substitute(
    callback: CallbackQuery, callback_data: QuestionCb, state: FSMContext, ctx: UpdateContext
) -> None:
    await question_routing.chosen_substitute(ctx.session, ctx.me, callback_data.value)
    await callback.answer()
    await state.set_state(QuestionFlow.away_until)
    await state.update_data(substitute_id=callback_data.value)
    await ctx.reply(t("questions.ask_away_until"))


async def on_away_until(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    await _step_aside(message)
    ends_on = question_routing.parse_end_date(message.text or "", question_routing.today())
    substitute_id = int((await state.get_data()).get("substitute_id", 0))
    substitute = await question_routing.set_away(ctx.session, ctx.me, substitute_id, ends_on)
    await state.clear()
    await ctx.reply(
        t(
            "questions.away_set",
            name=short_name(substitute.full_name),
            date=ends_on.strftime("%d.%m.%Y"),
        )
    )


async def cb_back(callback: CallbackQuery, ctx: UpdateContext) -> None:
    ended = await question_routing.end_away(ctx.session, ctx.me)
    await callback.answer()
    await ctx.reply(t("questions.away_ended" if ended else "questions.not_away"))
