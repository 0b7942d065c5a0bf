"""The tutor's form «Записать консультацию»: school → teachers → date → format → block → topic
→ duration → outcome → check and save; or, from a question thread, straight to the block.

The answers so far live in the FSM data as a `Draft`, so the form survives a restart; saving
checks every answer again (`consultations.save`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import ConsultationCb
from bot.handlers.consultations.common import (
    ask_for_text,
    audience_router,
    drop_buttons,
    meant_for_form,
    not_text,
    pressed,
    typed_answer,
)
from bot.keyboards.consultations import (
    block_keyboard,
    confirm_keyboard,
    date_keyboard,
    duration_keyboard,
    format_keyboard,
    outcome_keyboard,
    schools_keyboard,
    teachers_keyboard,
    tutor_menu_keyboard,
)
from bot.services import consultations
from bot.services.consultations import Draft
from bot.states import LogConsultation
from bot.texts import Templates, t
from bot.ui import send_long
from config.settings import Settings
from storage.models import Person, Role

# Steps answered with buttons, and steps answered by typing.
BUTTON_STEPS = (
    LogConsultation.school,
    LogConsultation.teachers,
    LogConsultation.format,
    LogConsultation.block,
    LogConsultation.confirm,
)
TYPED_STEPS = (
    LogConsultation.held_on,
    LogConsultation.topic,
    LogConsultation.duration,
    LogConsultation.outcome,
)


def router() -> Router:
    form = audience_router(__name__, Role.TUTOR)
    on_callback, on_message = form.callback_query.register, form.message.register
    # A bare State is a plain function filter, which aiogram would run in a thread.
    at = StateFilter

    on_callback(start_new, pressed("new"))
    on_callback(start_from_thread, pressed("from_thread"))
    on_callback(choose_school, at(LogConsultation.school), pressed("school"))
    on_callback(toggle_teacher, at(LogConsultation.teachers), pressed("teacher"))
    on_callback(toggle_whole_school, at(LogConsultation.teachers), pressed("whole"))
    on_callback(finish_teachers, at(LogConsultation.teachers), pressed("teachers_done"))
    on_callback(choose_date, at(LogConsultation.held_on), pressed("date"))
    on_message(type_date, at(LogConsultation.held_on), typed_answer)
    on_callback(choose_format, at(LogConsultation.format), pressed("format"))
    on_callback(choose_block, at(LogConsultation.block), pressed("block"))
    on_message(type_topic, at(LogConsultation.topic), typed_answer)
    on_callback(choose_duration, at(LogConsultation.duration), pressed("duration"))
    on_message(type_duration, at(LogConsultation.duration), typed_answer)
    on_message(type_outcome, at(LogConsultation.outcome), typed_answer)
    on_callback(skip_outcome, at(LogConsultation.outcome), pressed("skip_outcome"))
    on_callback(save, at(LogConsultation.confirm), pressed("save"))
    on_callback(cancel, pressed("cancel"))
    on_message(use_buttons, at(*BUTTON_STEPS), meant_for_form)
    on_message(ask_for_text, at(*TYPED_STEPS), not_text)
    return form


async def _draft(state: FSMContext) -> Draft:
    return Draft.from_data(await state.get_data())


async def _keep(state: FSMContext, draft: Draft) -> None:
    await state.update_data(**draft.to_data())


async def _record(state: FSMContext, **answers: Any) -> Draft:
    """The draft with these answers in it, kept for the next step."""
    draft = replace(await _draft(state), **answers)
    await _keep(state, draft)
    return draft


async def _summary(
    session: AsyncSession,
    templates: Templates,
    i18n: I18n,
    draft: Draft,
    *,
    from_thread: bool = False,
) -> str:
    summary = await consultations.draft_summary(session, draft)
    return templates.render(
        "consultation_summary.html",
        i18n.current_locale,
        draft=summary.draft,
        school=summary.school,
        teachers=summary.teacher_names,
        from_thread=from_thread,
    )


# --- the start ------------------------------------------------------------------------------


async def start_new(
    callback: CallbackQuery, person: Person, session: AsyncSession, state: FSMContext, bot: Bot
) -> None:
    await callback.answer()
    schools = await consultations.loggable_schools(session, person)
    if not schools:
        await send_long(bot, callback.from_user.id, t("consultations.no_schools"))
        return
    await state.clear()
    await state.set_state(LogConsultation.school)
    await _keep(state, Draft())
    await send_long(
        bot, callback.from_user.id, t("consultations.ask_school"), schools_keyboard(schools)
    )


async def start_from_thread(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    draft = await consultations.draft_from_thread(session, settings, person, callback_data.value)
    await callback.answer()
    await state.clear()
    await state.set_state(LogConsultation.block)
    await _keep(state, draft)
    await send_long(
        bot,
        callback.from_user.id,
        await _summary(session, templates, i18n, draft, from_thread=True),
    )
    await send_long(bot, callback.from_user.id, t("consultations.ask_block"), block_keyboard())


# --- school and teachers ----------------------------------------------------------------------


async def choose_school(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    school = await consultations.school_for_tutor(session, person, callback_data.value)
    await callback.answer()
    draft = await _record(state, school_id=school.id, teacher_ids=[], whole_school=False)
    await state.set_state(LogConsultation.teachers)
    teachers = await consultations.loggable_teachers(session, person, school.id)
    await send_long(
        bot,
        callback.from_user.id,
        t("consultations.ask_teachers", school=school.label),
        teachers_keyboard(teachers, draft.teacher_ids, draft.whole_school),
    )


async def _refresh_teachers(
    callback: CallbackQuery, session: AsyncSession, person: Person, draft: Draft
) -> None:
    assert draft.school_id is not None
    teachers = await consultations.loggable_teachers(session, person, draft.school_id)
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(
            reply_markup=teachers_keyboard(teachers, draft.teacher_ids, draft.whole_school)
        )


async def toggle_teacher(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    draft = await consultations.toggle_teacher(
        session, person, await _draft(state), callback_data.value
    )
    await callback.answer()
    await _keep(state, draft)
    await _refresh_teachers(callback, session, person, draft)


async def toggle_whole_school(
    callback: CallbackQuery, person: Person, session: AsyncSession, state: FSMContext
) -> None:
    await callback.answer()
    draft = await _draft(state)
    draft.whole_school = not draft.whole_school
    draft.teacher_ids = []
    await _keep(state, draft)
    await _refresh_teachers(callback, session, person, draft)


async def finish_teachers(callback: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    consultations.check_teachers_chosen(await _draft(state))
    await callback.answer()
    await state.set_state(LogConsultation.held_on)
    await send_long(bot, callback.from_user.id, t("consultations.ask_date"), date_keyboard())


# --- date and format --------------------------------------------------------------------------


async def _date_chosen(bot: Bot, chat_id: int, state: FSMContext, held_on: date) -> None:
    draft = await _record(state, held_on=held_on.isoformat())
    if draft.format is None:
        await state.set_state(LogConsultation.format)
        await send_long(bot, chat_id, t("consultations.ask_format"), format_keyboard())
    else:
        await state.set_state(LogConsultation.block)
        await send_long(bot, chat_id, t("consultations.ask_block"), block_keyboard())


async def choose_date(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    await callback.answer()
    today = await consultations.draft_today(session, settings, person, await _draft(state))
    if callback_data.extra == "today":
        await _date_chosen(bot, callback.from_user.id, state, today)
    elif callback_data.extra == "yesterday":
        await _date_chosen(bot, callback.from_user.id, state, today - timedelta(days=1))
    else:
        await send_long(bot, callback.from_user.id, t("consultations.ask_date_text"))


async def type_date(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    today = await consultations.draft_today(session, settings, person, await _draft(state))
    held_on = consultations.parse_held_on(message.text or "", today)
    await _date_chosen(bot, message.chat.id, state, held_on)


async def choose_format(
    callback: CallbackQuery, callback_data: ConsultationCb, state: FSMContext, bot: Bot
) -> None:
    chosen = consultations.parse_format(callback_data.extra)
    await callback.answer()
    await _record(state, format=chosen.value)
    await state.set_state(LogConsultation.block)
    await send_long(bot, callback.from_user.id, t("consultations.ask_block"), block_keyboard())


# --- block, topic, duration, outcome ----------------------------------------------------------


async def choose_block(
    callback: CallbackQuery, callback_data: ConsultationCb, state: FSMContext, bot: Bot
) -> None:
    chosen = consultations.parse_block(callback_data.extra)
    await callback.answer()
    await _record(state, block=chosen.value)
    await state.set_state(LogConsultation.topic)
    await send_long(
        bot,
        callback.from_user.id,
        t(
            "consultations.ask_topic",
            block=t(f"consultations.block.{chosen.value}"),
            min=consultations.TOPIC_MIN,
            max=consultations.TOPIC_MAX,
        ),
    )


async def type_topic(message: Message, state: FSMContext) -> None:
    await _record(state, topic=consultations.clean_topic(message.text or ""))
    await state.set_state(LogConsultation.duration)
    await message.answer(
        t("consultations.ask_duration", max_hours=consultations.DURATION_MAX_MINUTES // 60),
        reply_markup=duration_keyboard(),
    )


async def _duration_chosen(bot: Bot, chat_id: int, state: FSMContext, minutes: int) -> None:
    await _record(state, duration=minutes)
    await state.set_state(LogConsultation.outcome)
    await send_long(
        bot,
        chat_id,
        t("consultations.ask_outcome", max=consultations.OUTCOME_MAX),
        outcome_keyboard(),
    )


async def choose_duration(
    callback: CallbackQuery, callback_data: ConsultationCb, state: FSMContext, bot: Bot
) -> None:
    minutes = consultations.check_duration(callback_data.value)
    await callback.answer()
    await _duration_chosen(bot, callback.from_user.id, state, minutes)


async def type_duration(message: Message, state: FSMContext, bot: Bot) -> None:
    minutes = consultations.parse_duration(message.text or "")
    await _duration_chosen(bot, message.chat.id, state, minutes)


async def _ask_confirmation(
    bot: Bot,
    chat_id: int,
    session: AsyncSession,
    state: FSMContext,
    templates: Templates,
    i18n: I18n,
) -> None:
    await state.set_state(LogConsultation.confirm)
    text = await _summary(session, templates, i18n, await _draft(state))
    await send_long(bot, chat_id, text, confirm_keyboard())


async def type_outcome(
    message: Message,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    await _record(state, outcome=consultations.clean_outcome(message.text or ""))
    await _ask_confirmation(bot, message.chat.id, session, state, templates, i18n)


async def skip_outcome(
    callback: CallbackQuery,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    await callback.answer()
    await _record(state, outcome=None)
    await _ask_confirmation(bot, callback.from_user.id, session, state, templates, i18n)


# --- save or cancel ---------------------------------------------------------------------------


async def save(
    callback: CallbackQuery,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    await consultations.save(session, settings, person, await _draft(state))
    await callback.answer()
    await state.clear()
    await drop_buttons(callback)
    await send_long(
        bot,
        callback.from_user.id,
        t("consultations.saved", days=consultations.EDIT_WINDOW.days),
        tutor_menu_keyboard(),
    )


async def cancel(callback: CallbackQuery, state: FSMContext, bot: Bot) -> None:
    await callback.answer()
    current = await state.get_state()
    if current in LogConsultation.__all_states_names__:
        await state.clear()
    await drop_buttons(callback)
    await send_long(bot, callback.from_user.id, t("consultations.cancelled"))


async def use_buttons(message: Message) -> None:
    """Typed text where the step waits for a button."""
    await message.answer(t("consultations.use_buttons"))
