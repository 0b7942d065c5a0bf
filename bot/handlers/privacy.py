"""Personal data: /privacy for anyone, the profile, /mydata and /forget for the person themself.

Registered before every other router, so these work in any state, even mid-dialog.
"""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BotCommandScopeChat,
    BufferedInputFile,
    CallbackQuery,
    Message,
    ReplyKeyboardRemove,
)
from aiogram.utils.i18n import I18n
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import PrivacyCb
from bot.filters import HasRole, MenuButton
from bot.keyboards.privacy import forget_keyboard, language_keyboard, profile_keyboard
from bot.services import privacy
from bot.texts import Templates, t
from config.settings import Settings
from storage.models import Person

log = logging.getLogger(__name__)

EXPORT_FILENAME = "nastavnik-my-data.json"


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.register(cmd_privacy, Command("privacy"))
    router.message.register(on_profile, MenuButton("menu.profile"), HasRole())
    router.message.register(cmd_mydata, Command("mydata"))
    router.callback_query.register(cb_privacy, PrivacyCb.filter())
    router.message.register(cmd_forget, Command("forget"))
    return router


def _consented(person: Person | None) -> bool:
    return person is not None and person.consent_at is not None


async def cmd_privacy(
    message: Message, settings: Settings, templates: Templates, i18n: I18n
) -> None:
    await message.answer(
        templates.render(
            "privacy.html", i18n.current_locale, policy_url=settings.privacy_policy_url
        )
    )


async def on_profile(
    message: Message, person: Person, session: AsyncSession, templates: Templates, i18n: I18n
) -> None:
    data = await privacy.profile(session, person)
    await message.answer(
        templates.render("profile.html", i18n.current_locale, profile=data),
        reply_markup=profile_keyboard(),
    )


async def _send_export(
    bot: Bot, chat_id: int, person: Person, session: AsyncSession, redis: Redis | None
) -> None:
    data = await privacy.export(session, person, redis)
    await bot.send_document(
        chat_id,
        BufferedInputFile(privacy.export_bytes(data), filename=EXPORT_FILENAME),
        caption=t("privacy.export_caption"),
    )


async def cmd_mydata(
    message: Message,
    person: Person | None,
    session: AsyncSession,
    bot: Bot,
    redis: Redis | None,
) -> None:
    if person is None or not _consented(person):
        await message.answer(t("privacy.nothing_stored"))
        return
    await _send_export(bot, message.chat.id, person, session, redis)


async def cb_privacy(
    callback: CallbackQuery,
    callback_data: PrivacyCb,
    person: Person | None,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    redis: Redis | None,
    i18n: I18n,
) -> None:
    await callback.answer()
    chat_id = callback.from_user.id
    action = callback_data.action
    if person is None or not _consented(person):
        await bot.send_message(chat_id, t("privacy.nothing_stored"))
        return
    if action == "download":
        await _send_export(bot, chat_id, person, session, redis)
    elif action == "forget":
        await bot.send_message(chat_id, t("privacy.forget_confirm"), reply_markup=forget_keyboard())
    elif action == "forget_no":
        await _drop_buttons(callback)
        await bot.send_message(chat_id, t("privacy.forget_cancelled"))
    elif action == "forget_yes":
        await _drop_buttons(callback)
        await _forget(bot, chat_id, person, session, state, redis)
    elif action == "language":
        await bot.send_message(
            chat_id, t("language.choose"), reply_markup=language_keyboard(i18n.available_locales)
        )
    else:
        await bot.send_message(chat_id, t("error.stale_button"))


async def cmd_forget(
    message: Message,
    person: Person | None,
    session: AsyncSession,
    state: FSMContext,
    redis: Redis | None,
) -> None:
    if person is None or not _consented(person):
        # Nothing about them is stored, but a half-started dialog may be: clear it too.
        await state.clear()
        assert message.from_user is not None
        await privacy.forget(session, None, telegram_id=message.from_user.id, redis=redis)
        await message.answer(t("privacy.nothing_stored"))
        return
    await message.answer(t("privacy.forget_confirm"), reply_markup=forget_keyboard())


async def _forget(
    bot: Bot,
    chat_id: int,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    redis: Redis | None,
) -> None:
    await state.clear()
    await privacy.forget(session, person, telegram_id=chat_id, redis=redis)
    await bot.send_message(chat_id, t("privacy.forgotten"), reply_markup=ReplyKeyboardRemove())
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=chat_id))
    except TelegramAPIError:
        # The guest command list is only a convenience; the data is already gone.
        log.warning("could not reset commands after /forget", exc_info=True)


async def _drop_buttons(callback: CallbackQuery) -> None:
    if isinstance(callback.message, Message):
        try:
            await callback.message.edit_reply_markup(reply_markup=None)
        except TelegramAPIError:
            log.debug("confirmation buttons already gone", exc_info=True)
