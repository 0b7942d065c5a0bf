"""«🗓 Программа года»: one menu button for the coordinator's and admin's year work, instead of
six. It answers with the six screens as commands (Telegram makes each one tappable), in the order
a year runs: the schools, the plan-graph, own items, monitoring, who did what, the KPIs."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot.filters import HasRole, MenuButton
from bot.update_context import UpdateContext
from storage.models import Role

# The screens, as their commands, in the order of the year's work.
SCREENS = ("programschools", "plan", "duedates", "monitoring", "board", "kpi")


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    managers = HasRole(Role.COORDINATOR, Role.ADMIN)
    router.message.register(show_hub, MenuButton("menu.program_year"), managers)
    return router


async def show_hub(message: Message, ctx: UpdateContext) -> None:
    await ctx.reply(ctx.render("program_year.html", screens=SCREENS))
