"""The ways into the tutor's form «Записать консультацию» (the form itself is a dialog:
`bot.dialogs.consultation_log`): from the consultations menu, where an unfinished form is
brought back where the tutor left it, and from a question thread, prefilled."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery
from aiogram.utils.i18n import I18n
from aiogram_dialog import DialogManager, ShowMode, StartMode
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import ConsultationCb
from bot.dialogs.consultation_log import summary_context
from bot.dialogs.leaving import open_form
from bot.handlers.consultations.common import audience_router, pressed
from bot.services import consultations
from bot.states import LogConsultation
from bot.texts import Templates, t
from bot.ui import send_long
from config.settings import Settings
from storage.models import Person, Role


def router() -> Router:
    form = audience_router(__name__, Role.TUTOR)
    form.callback_query.register(start_new, pressed("new"))
    form.callback_query.register(start_from_thread, pressed("from_thread"))
    return form


async def start_new(
    callback: CallbackQuery,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    dialog_manager: DialogManager,
) -> None:
    await callback.answer()
    if not await consultations.loggable_schools(session, person):
        await send_long(bot, callback.from_user.id, t("consultations.no_schools"))
        return
    await open_form(dialog_manager, LogConsultation.school)


async def start_from_thread(
    callback: CallbackQuery,
    callback_data: ConsultationCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
    dialog_manager: DialogManager,
) -> None:
    draft = await consultations.draft_from_thread(session, settings, person, callback_data.value)
    await callback.answer()
    summary = await summary_context(session, draft, from_thread=True)
    await send_long(
        bot,
        callback.from_user.id,
        templates.render("consultation_summary.html", i18n.current_locale, **summary),
    )
    await dialog_manager.start(
        LogConsultation.block,
        data=draft.to_data(),
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
    )
