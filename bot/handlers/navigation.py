"""/cancel ends any dialog or form; /menu leaves it (a form can be picked up again later).
Both work in any state, before any dialog sees them."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram_dialog import DialogManager

from bot.texts import Templates, t
from bot.ui import send_main_menu
from storage.models import Person


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.register(cmd_cancel, Command("cancel"))
    router.message.register(cmd_menu, Command("menu"))
    return router


async def cmd_cancel(message: Message, state: FSMContext, dialog_manager: DialogManager) -> None:
    await state.clear()
    # /cancel ends a form too; any other way out leaves it to come back to.
    if dialog_manager.has_context():
        await dialog_manager.reset_stack()
    await message.answer(t("common.cancelled"))


async def cmd_menu(
    message: Message,
    person: Person | None,
    state: FSMContext,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    await state.clear()
    if person is None or person.consent_at is None or not person.is_registered:
        await message.answer(t("fallback.not_registered"))
        return
    await send_main_menu(bot, person, templates, i18n.current_locale)
