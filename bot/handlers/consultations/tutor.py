"""The tutor's «Консультации»: the way into the form, this month's entries, and changing or
deleting an entry within `consultations.EDIT_WINDOW` of recording it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import ConsultationCb
from bot.dialogs.leaving import typed_answer
from bot.filters import MenuButton
from bot.handlers.consultations.common import (
    ask_for_text,
    audience_router,
    not_text,
    pressed,
)
from bot.keyboards.consultations import (
    delete_confirm_keyboard,
    edit_fields_keyboard,
    my_entries_keyboard,
    tutor_menu_keyboard,
)
from bot.services import consultations
from bot.states import EditConsultation
from bot.texts import t
from bot.ui import set_buttons
from bot.update_context import UpdateContext
from storage.models import Role


def router() -> Router:
    tutors = audience_router(__name__, Role.TUTOR)
    on_callback, on_message = tutors.callback_query.register, tutors.message.register

    on_message(show_start, Command("consult"))
    on_message(show_start, MenuButton("menu.tutor_consultations"))
    on_callback(show_month, pressed("mine"))
    on_callback(ask_field, pressed("edit"))
    on_callback(start_edit, pressed("edit_field"))
    on_message(ask_for_text, StateFilter(EditConsultation.value), not_text)
    on_message(type_new_value, StateFilter(EditConsultation.value), typed_answer)
    on_callback(ask_delete, pressed("delete"))
    on_callback(delete, pressed("delete_yes"))
    on_callback(keep, pressed("delete_no"))
    return tutors


async def show_start(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(t("consultations.tutor_intro"), reply_markup=tutor_menu_keyboard())


async def show_month(callback: CallbackQuery, ctx: UpdateContext) -> None:
    await callback.answer()
    views, today = await consultations.tutor_month(ctx.session, ctx.settings, ctx.me)
    text = ctx.render(
        "consultation_month.html",
        views=views,
        month=today,
        limit=consultations.TUTOR_MONTH_LIMIT,
        edit_days=consultations.EDIT_WINDOW.days,
    )
    await ctx.reply(text, my_entries_keyboard(views))


async def _entry_text(ctx: UpdateContext, consultation_id: int) -> str:
    # The tutor asks about their own entry: they need not be read again.
    view = await consultations.entry_view(ctx.session, consultation_id, known=[ctx.me])
    return ctx.render("consultation_entry.html", view=view)


def _question_about_entry(
    question_key: str, buttons: Callable[[int], InlineKeyboardMarkup]
) -> Callable[..., Awaitable[None]]:
    """A handler showing the entry as it stands, then the question about it (which field to
    change, or whether to delete it): only for the tutor's own entry, still within the window."""

    async def ask(
        callback: CallbackQuery, callback_data: ConsultationCb, ctx: UpdateContext
    ) -> None:
        consultation = await consultations.own_changeable(ctx.session, ctx.me, callback_data.value)
        await callback.answer()
        entry = await _entry_text(ctx, consultation.id)
        await ctx.reply(entry + "\n\n" + t(question_key), buttons(consultation.id))

    return ask


ask_field = _question_about_entry("consultations.edit_which", edit_fields_keyboard)
ask_delete = _question_about_entry("consultations.delete_question", delete_confirm_keyboard)


async def start_edit(
    callback: CallbackQuery, callback_data: ConsultationCb, state: FSMContext, ctx: UpdateContext
) -> None:
    field = consultations.editable_field(callback_data.extra)
    consultation = await consultations.own_changeable(ctx.session, ctx.me, callback_data.value)
    await callback.answer()
    await state.clear()
    await state.set_state(EditConsultation.value)
    await state.update_data(consultation_id=consultation.id, field=field)
    await ctx.reply(
        t(
            f"consultations.edit_ask.{field}",
            min=consultations.TOPIC_MIN,
            max=consultations.TOPIC_MAX,
            outcome_max=consultations.OUTCOME_MAX,
            max_hours=consultations.DURATION_MAX_MINUTES // 60,
        )
    )


async def type_new_value(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    data = await state.get_data()
    consultation = await consultations.change(
        ctx.session,
        ctx.settings,
        ctx.me,
        int(data["consultation_id"]),
        str(data["field"]),
        message.text or "",
    )
    await state.clear()
    entry = await _entry_text(ctx, consultation.id)
    await ctx.reply(t("consultations.changed") + "\n\n" + entry)


async def delete(
    callback: CallbackQuery, callback_data: ConsultationCb, ctx: UpdateContext
) -> None:
    await consultations.delete(ctx.session, ctx.me, callback_data.value)
    await callback.answer()
    await set_buttons(callback, None)
    await ctx.reply(t("consultations.deleted"))


async def keep(callback: CallbackQuery, ctx: UpdateContext) -> None:
    await callback.answer()
    await set_buttons(callback, None)
    await ctx.reply(t("consultations.delete_kept"))
