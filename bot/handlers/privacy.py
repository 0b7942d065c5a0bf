"""Personal data: /privacy for anyone, the profile, /mydata and /forget for the person themself.

Registered before every other router, so these work in any state, even mid-dialog.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
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
from redis.asyncio import Redis

from bot.callbacks import PrivacyCb
from bot.filters import HasRole, MenuButton
from bot.keyboards.privacy import forget_keyboard, language_keyboard, profile_keyboard
from bot.services import privacy
from bot.texts import t
from bot.ui import set_buttons
from bot.update_context import UpdateContext
from storage.models import Person

log = logging.getLogger(__name__)

EXPORT_FILENAME = "nastavnik-my-data.json"
# The same, readable, in the person's language; the JSON beside it is for machines.
DOCUMENT_FILENAME = "nastavnik-my-data.html"


# Any other action is an old button, answered by the fallback router like every other one.
PRIVACY_ACTIONS = frozenset({"download", "forget", "forget_no", "forget_yes", "language"})


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.register(cmd_privacy, Command("privacy"))
    router.message.register(on_profile, MenuButton("menu.profile"), HasRole())
    router.message.register(cmd_mydata, Command("mydata"))
    router.callback_query.register(cb_privacy, PrivacyCb.filter(F.action.in_(PRIVACY_ACTIONS)))
    router.message.register(cmd_forget, Command("forget"))
    return router


def _consented(person: Person | None) -> bool:
    return person is not None and person.consent_at is not None


async def cmd_privacy(message: Message, ctx: UpdateContext) -> None:
    await ctx.reply(ctx.render("privacy.html", policy_url=ctx.settings.privacy_policy_url))


async def on_profile(message: Message, ctx: UpdateContext) -> None:
    data = await privacy.profile(ctx.session, ctx.me)
    await ctx.reply(ctx.render("profile.html", profile=data), profile_keyboard())


async def _send_export(ctx: UpdateContext, person: Person, redis: Redis | None) -> None:
    data = await privacy.export(ctx.session, person, redis)
    document = ctx.render(
        "mydata.html", data=data, profile=await privacy.profile(ctx.session, person)
    )
    await ctx.bot.send_document(
        ctx.chat_id,
        BufferedInputFile(document.encode("utf-8"), filename=DOCUMENT_FILENAME),
    )
    await ctx.bot.send_document(
        ctx.chat_id,
        BufferedInputFile(privacy.export_bytes(data), filename=EXPORT_FILENAME),
        caption=t("privacy.export_caption"),
    )


async def cmd_mydata(message: Message, redis: Redis | None, ctx: UpdateContext) -> None:
    if ctx.person is None or not _consented(ctx.person):
        await ctx.reply(t("privacy.nothing_stored"))
        return
    await _send_export(ctx, ctx.person, redis)


async def cb_privacy(
    callback: CallbackQuery,
    callback_data: PrivacyCb,
    state: FSMContext,
    redis: Redis | None,
    ctx: UpdateContext,
) -> None:
    action, person = callback_data.action, ctx.person
    await callback.answer()
    if person is None or not _consented(person):
        await ctx.reply(t("privacy.nothing_stored"))
        return
    if action == "download":
        await _send_export(ctx, person, redis)
    elif action == "forget":
        await ctx.reply(t("privacy.forget_confirm"), forget_keyboard())
    elif action == "forget_no":
        await set_buttons(callback, None)
        await ctx.reply(t("privacy.forget_cancelled"))
    elif action == "forget_yes":
        await set_buttons(callback, None)
        await _forget(ctx, person, state, redis, telegram_id=callback.from_user.id)
    elif action == "language":
        await ctx.reply(t("language.choose"), language_keyboard(ctx.i18n.available_locales))


async def cmd_forget(
    message: Message, state: FSMContext, redis: Redis | None, ctx: UpdateContext
) -> None:
    if ctx.person is None or not _consented(ctx.person):
        # Nothing about them is stored, but a half-started dialog may be: clear it too.
        await state.clear()
        assert message.from_user is not None
        await privacy.forget(
            ctx.session,
            None,
            telegram_id=message.from_user.id,
            redis=redis,
            settings=ctx.settings,
        )
        await ctx.reply(t("privacy.nothing_stored"))
        return
    await ctx.reply(t("privacy.forget_confirm"), forget_keyboard())


async def _forget(
    ctx: UpdateContext, person: Person, state: FSMContext, redis: Redis | None, *, telegram_id: int
) -> None:
    await state.clear()
    await privacy.forget(
        ctx.session,
        person,
        telegram_id=telegram_id,
        redis=redis,
        settings=ctx.settings,
    )
    await ctx.reply(t("privacy.forgotten"), ReplyKeyboardRemove())
    try:
        await ctx.bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=ctx.chat_id))
    except TelegramAPIError:
        # The guest command list is only a convenience; the data is already gone.
        log.warning("could not reset commands after /forget", exc_info=True)
