"""The main menu, help and language."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n

from bot.callbacks import LanguageCb
from bot.filters import HasRole, MenuButton
from bot.texts import Templates, t
from bot.ui import send_main_menu
from storage.models import Person


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


async def cmd_help(message: Message, person: Person, templates: Templates, i18n: I18n) -> None:
    await message.answer(
        templates.render("help.html", i18n.current_locale, roles=sorted(person.role_set))
    )


async def cmd_language(message: Message, i18n: I18n) -> None:
    buttons = [
        InlineKeyboardButton(
            text=t(f"language.{locale}"), callback_data=LanguageCb(locale=locale).pack()
        )
        for locale in i18n.available_locales
    ]
    await message.answer(
        t("language.choose"), reply_markup=InlineKeyboardMarkup(inline_keyboard=[buttons])
    )


async def cb_language(
    callback: CallbackQuery,
    callback_data: LanguageCb,
    person: Person,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    if callback_data.locale not in i18n.available_locales:
        await callback.answer(t("error.stale_button"))
        return
    person.locale = callback_data.locale
    await callback.answer()
    with i18n.use_locale(callback_data.locale):
        await send_main_menu(bot, person, templates, callback_data.locale)
