"""What the consultation routers share: a router per audience, which button was pressed, and
the reply to something that is not text. (What counts as a typed answer is the one rule of
`bot.dialogs.leaving`.) The filters are coroutines: aiogram runs a plain function filter in a
thread.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackQueryFilter
from aiogram.types import Message

from bot.callbacks import ConsultationCb
from bot.filters import HasRole
from bot.texts import t
from storage.models import Role


def audience_router(name: str, role: Role) -> Router:
    """A router for people holding `role`: the role is checked once, for all its handlers."""
    audience = Router(name=name)
    audience.message.filter(HasRole(role))
    audience.callback_query.filter(HasRole(role))
    return audience


def pressed(action: str) -> CallbackQueryFilter:
    """A press of one of the consultation log's inline buttons."""
    return ConsultationCb.filter(F.action == action)


async def not_text(message: Message) -> bool:
    """A photo, sticker, voice message and the like."""
    return message.text is None


async def ask_for_text(message: Message) -> None:
    """Where a form waits for a typed answer and gets something else."""
    await message.answer(t("consultations.send_text"))
