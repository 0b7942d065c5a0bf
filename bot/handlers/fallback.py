"""Last in line: whatever no other router took gets a helpful answer, never silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.texts import t
from bot.update_context import UpdateContext


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.callback_query.register(on_stale_button)
    router.message.register(on_anything_else, F.chat.type == "private")
    return router


async def on_stale_button(callback: CallbackQuery) -> None:
    # A button from an old message, or one this person may no longer use.
    await callback.answer(t("error.stale_button"), show_alert=True)


async def on_anything_else(message: Message, ctx: UpdateContext) -> None:
    person = ctx.person
    if person is None or person.consent_at is None:
        await ctx.reply(t("fallback.start_first"))
    elif not person.is_registered:
        await ctx.reply(t("fallback.not_registered"))
    else:
        await ctx.reply(t("fallback.not_understood"))
