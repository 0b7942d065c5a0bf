"""The teacher's «🗒 Мои консультации»: consultations held with them by name or with their
school's whole team."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from bot.filters import MenuButton
from bot.handlers.consultations.common import audience_router
from bot.services import consultations
from bot.update_context import UpdateContext
from storage.models import Role


def router() -> Router:
    teachers = audience_router(__name__, Role.TEACHER)
    teachers.message.register(show_mine, MenuButton("menu.my_consultations"))
    return teachers


async def show_mine(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    await state.clear()
    views = await consultations.teacher_consultations(ctx.session, ctx.me)
    await ctx.reply(
        ctx.render("consultation_teacher.html", views=views, limit=consultations.TEACHER_LIST_LIMIT)
    )
