"""The way into the survey form for a scenario a person takes on their own: `/selfcheck` for
teachers (the self-check's own screen and the invitations to surveys open the same form)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram_dialog import DialogManager

from bot.dialogs.survey_runner import open_runner
from bot.filters import HasRole
from bot.services import survey_runner
from bot.update_context import UpdateContext
from storage.models import Role

SELF_CHECK = "self_check_teacher"


def build_router() -> Router:
    teachers = Router(name=__name__)
    teachers.message.filter(HasRole(Role.TEACHER))
    teachers.message.register(take_self_check, Command("selfcheck"))
    return teachers


async def take_self_check(
    message: Message, ctx: UpdateContext, dialog_manager: DialogManager
) -> None:
    await start_scenario(ctx, dialog_manager, SELF_CHECK)


async def start_scenario(
    ctx: UpdateContext, manager: DialogManager, scenario_id: str, survey_id: int | None = None
) -> None:
    """Continues the person's unfinished response to the scenario, or begins one."""
    response_id = await survey_runner.begin(
        ctx.session, ctx.me, ctx.me.role_set, scenario_id, survey_id=survey_id
    )
    await open_runner(manager, response_id)
