"""The ways into the tutor's form «Записать консультацию» (the form itself is a dialog:
`bot.dialogs.consultation_log`): from the consultations menu, where an unfinished form is
brought back where the tutor left it, and from a question thread, prefilled."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot.callbacks import ConsultationCb
from bot.dialogs.consultation_log import summary_context
from bot.dialogs.leaving import open_form
from bot.handlers.consultations.common import audience_router, pressed
from bot.services import consultations
from bot.states import LogConsultation
from bot.texts import t
from bot.update_context import UpdateContext
from storage.models import Role


def router() -> Router:
    form = audience_router(__name__, Role.TUTOR)
    form.callback_query.register(start_new, pressed("new"))
    form.callback_query.register(start_from_thread, pressed("from_thread"))
    return form


async def start_new(
    callback: CallbackQuery, ctx: UpdateContext, dialog_manager: DialogManager
) -> None:
    await callback.answer()
    if not await consultations.loggable_schools(ctx.session, ctx.me):
        await ctx.reply(t("consultations.no_schools"))
        return
    await open_form(dialog_manager, LogConsultation.school)


async def start_from_thread(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    ctx: UpdateContext,
    dialog_manager: DialogManager,
) -> None:
    draft = await consultations.draft_from_thread(
        ctx.session, ctx.settings, ctx.me, callback_data.value
    )
    await callback.answer()
    summary = await summary_context(ctx.session, draft, from_thread=True)
    await ctx.reply(ctx.render("consultation_summary.html", **summary))
    await dialog_manager.start(
        LogConsultation.block,
        data=draft.to_data(),
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )
