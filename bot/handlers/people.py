"""Who works with whom: a teacher's tutor, a tutor's teachers."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.filters import HasRole, MenuButton
from bot.services import assignments, scope
from bot.update_context import UpdateContext
from storage.models import Role

# A tutor of a whole district could have hundreds of teachers; one message shows this many.
TEACHERS_SHOWN = 40


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private", HasRole())
    router.message.register(on_my_tutor, MenuButton("menu.my_tutor"), HasRole(Role.TEACHER))
    router.message.register(on_my_teachers, Command("teachers"), HasRole(Role.TUTOR))
    router.message.register(on_my_teachers, MenuButton("menu.my_teachers"), HasRole(Role.TUTOR))
    return router


async def on_my_tutor(message: Message, ctx: UpdateContext) -> None:
    tutors = await assignments.tutors_of(ctx.session, ctx.me)
    # Without a tutor, the teacher is told whom to ask instead.
    coordinators = (
        [] if tutors else await scope.coordinators_of(ctx.session, ctx.me.municipality_id)
    )
    await ctx.reply(ctx.render("my_tutor.html", tutors=tutors, coordinators=coordinators))


async def on_my_teachers(message: Message, ctx: UpdateContext) -> None:
    assigned = await assignments.assigned_to(ctx.session, ctx.me)
    teachers = assigned.teachers
    await ctx.reply(
        ctx.render(
            "my_teachers.html",
            assigned=assigned,
            teachers=teachers[:TEACHERS_SHOWN],
            hidden=max(0, len(teachers) - TEACHERS_SHOWN),
            total=len(teachers),
            schools=assigned.school_by_id,
        )
    )
