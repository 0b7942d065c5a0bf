"""The main menu, help and language."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.callbacks import LanguageCb
from bot.filters import HasRole, MenuButton
from bot.keyboards.privacy import language_keyboard
from bot.texts import t
from bot.ui import show_main_menu
from bot.update_context import UpdateContext


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.filter(HasRole())
    router.callback_query.filter(HasRole())
    router.message.register(cmd_help, Command("help"))
    router.message.register(cmd_help, MenuButton("menu.help"))
    router.message.register(cmd_language, Command("language"))
    router.callback_query.register(cb_language, LanguageCb.filter())
    return router


async def cmd_help(message: Message, ctx: UpdateContext) -> None:
    await ctx.reply(ctx.render("help.html", roles=sorted(ctx.me.role_set)))


async def cmd_language(message: Message, ctx: UpdateContext) -> None:
    await ctx.reply(t("language.choose"), language_keyboard(ctx.i18n.available_locales))


async def cb_language(
    callback: CallbackQuery, callback_data: LanguageCb, ctx: UpdateContext
) -> None:
    if callback_data.locale not in ctx.i18n.available_locales:
        await callback.answer(t("error.stale_button"), show_alert=True)
        return
    ctx.me.locale = callback_data.locale
    await callback.answer()
    with ctx.i18n.use_locale(callback_data.locale):
        await show_main_menu(ctx)
