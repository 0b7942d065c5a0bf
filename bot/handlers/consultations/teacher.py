"""The teacher's «🗒 Мои консультации»: consultations held with them by name or with their
school's whole team."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters import MenuButton
from bot.handlers.consultations.common import audience_router
from bot.services import consultations
from bot.texts import Templates
from bot.ui import send_long
from storage.models import Person, Role


def router() -> Router:
    teachers = audience_router(__name__, Role.TEACHER)
    teachers.message.register(show_mine, MenuButton("menu.my_consultations"))
    return teachers


async def show_mine(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    templates: Templates,
    i18n: I18n,
) -> None:
    await state.clear()
    views = await consultations.teacher_consultations(session, person)
    await send_long(
        bot,
        message.chat.id,
        templates.render(
            "consultation_teacher.html",
            i18n.current_locale,
            views=views,
            limit=consultations.TEACHER_LIST_LIMIT,
        ),
    )
