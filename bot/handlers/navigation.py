"""/cancel ends any dialog or form; /menu leaves it (a form can be picked up again later).
Both work in any state, before any dialog sees them."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram_dialog import DialogManager

from bot.texts import t
from bot.ui import show_main_menu
from bot.update_context import UpdateContext


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


async def cmd_menu(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    await state.clear()
    person = ctx.person
    if person is None or person.consent_at is None or not person.is_registered:
        await ctx.reply(t("fallback.not_registered"))
        return
    await show_main_menu(ctx)
