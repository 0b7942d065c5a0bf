"""Last in line: whatever no other router took gets a helpful answer, never silence."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.texts import t
from storage.models import Person


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.callback_query.register(on_stale_button)
    router.message.register(on_anything_else, F.chat.type == "private")
    return router


async def on_stale_button(callback: CallbackQuery) -> None:
    # A button from an old message, or one this person may no longer use.
    await callback.answer(t("error.stale_button"), show_alert=True)


async def on_anything_else(message: Message, person: Person | None) -> None:
    if person is None or person.consent_at is None:
        await message.answer(t("fallback.start_first"))
    elif not person.is_registered:
        await message.answer(t("fallback.not_registered"))
    else:
        await message.answer(t("fallback.not_understood"))
