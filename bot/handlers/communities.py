"""Network communities: teachers join and leave, coordinators add and switch them on and off."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import CommunityCb
from bot.dialogs.leaving import typed_answer
from bot.filters import HasRole, MenuButton
from bot.keyboards.communities import manage_keyboard, skip_description_keyboard, teacher_keyboard
from bot.services import communities, scope
from bot.states import Communities
from bot.texts import plain, t
from bot.ui import set_buttons, show_instead
from bot.update_context import UpdateContext
from storage.models import Role

MEMBERS = (Role.TEACHER, Role.SCHOOL_LEADER)


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private", HasRole())
    router.callback_query.filter(HasRole())

    # Teachers
    router.message.register(cmd_communities, Command("communities"), HasRole(*MEMBERS))
    router.message.register(cmd_communities, MenuButton("menu.communities"), HasRole(*MEMBERS))
    router.callback_query.register(
        cb_join_or_leave, CommunityCb.filter(F.action.in_({"join", "leave"})), HasRole(*MEMBERS)
    )

    # Coordinators
    router.message.register(
        on_manage, MenuButton("menu.manage_communities"), HasRole(Role.COORDINATOR)
    )
    router.callback_query.register(
        cb_switch,
        CommunityCb.filter(F.action.in_({"activate", "deactivate"})),
        HasRole(Role.COORDINATOR),
    )
    router.callback_query.register(
        cb_add, CommunityCb.filter(F.action == "add"), HasRole(Role.COORDINATOR)
    )
    router.message.register(
        on_name, Communities.name, F.text, typed_answer, HasRole(Role.COORDINATOR)
    )
    router.message.register(
        on_description, Communities.description, F.text, typed_answer, HasRole(Role.COORDINATOR)
    )
    router.callback_query.register(
        cb_skip_description,
        Communities.description,
        CommunityCb.filter(F.action == "skip_description"),
        HasRole(Role.COORDINATOR),
    )
    router.message.register(
        on_not_text, StateFilter(Communities.name, Communities.description), ~F.text
    )
    return router


# --- teachers -----------------------------------------------------------------------------


async def cmd_communities(message: Message, ctx: UpdateContext) -> None:
    views = await communities.open_to(ctx.session, ctx.me)
    await ctx.reply(
        ctx.render("communities.html", views=views), teacher_keyboard(views) if views else None
    )


async def cb_join_or_leave(
    callback: CallbackQuery, callback_data: CommunityCb, ctx: UpdateContext
) -> None:
    if callback_data.action == "join":
        community = await communities.join(ctx.session, ctx.me, callback_data.community_id)
        await callback.answer(plain(t("communities.joined", name=community.name)))
    else:
        community = await communities.leave(ctx.session, ctx.me, callback_data.community_id)
        await callback.answer(plain(t("communities.left", name=community.name)))
    views = await communities.open_to(ctx.session, ctx.me)
    await show_instead(
        ctx.bot,
        callback,
        ctx.render("communities.html", views=views),
        teacher_keyboard(views) if views else None,
    )


# --- coordinators -------------------------------------------------------------------------


async def _send_management(ctx: UpdateContext) -> None:
    views = await communities.managed_by(ctx.session, ctx.me)
    municipalities = await scope.municipalities_coordinated_by(ctx.session, ctx.me)
    text = ctx.render(
        "communities_manage.html",
        views=views,
        municipalities={m.id: m.name for m in municipalities},
    )
    await ctx.reply(text, manage_keyboard(views, municipalities))


async def on_manage(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    await state.clear()
    await _send_management(ctx)


async def cb_switch(
    callback: CallbackQuery, callback_data: CommunityCb, ctx: UpdateContext
) -> None:
    active = callback_data.action == "activate"
    community = await communities.set_active(
        ctx.session, ctx.me, callback_data.community_id, active=active
    )
    key = "communities.activated" if active else "communities.deactivated"
    await callback.answer(plain(t(key, name=community.name)))
    await _send_management(ctx)


async def cb_add(
    callback: CallbackQuery, callback_data: CommunityCb, state: FSMContext, ctx: UpdateContext
) -> None:
    municipality_id = callback_data.community_id
    communities.require_coordinator_of(ctx.me, municipality_id)
    await callback.answer()
    await state.set_state(Communities.name)
    await state.update_data(municipality_id=municipality_id)
    await ctx.reply(t("communities.ask_name"))


async def on_name(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    data = await state.get_data()
    name = communities.clean_name(message.text or "")
    await communities.check_name_free(ctx.session, data["municipality_id"], name)
    await state.update_data(name=name)
    await state.set_state(Communities.description)
    await ctx.reply(t("communities.ask_description"), skip_description_keyboard())


async def on_description(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    await _finish_adding(ctx, state, message.text or "")


async def cb_skip_description(
    callback: CallbackQuery, state: FSMContext, ctx: UpdateContext
) -> None:
    await callback.answer()
    await set_buttons(callback, None)
    await _finish_adding(ctx, state, None)


async def on_not_text(message: Message) -> None:
    await message.answer(t("communities.text_please"))


async def _finish_adding(ctx: UpdateContext, state: FSMContext, description: str | None) -> None:
    data = await state.get_data()
    if "municipality_id" not in data or "name" not in data:
        await state.clear()
        await ctx.reply(t("communities.dialog_lost"))
        return
    community = await communities.add_community(
        ctx.session,
        ctx.me,
        municipality_id=data["municipality_id"],
        name=data["name"],
        description=description,
    )
    await state.clear()
    await ctx.reply(t("communities.added", name=community.name))
    await _send_management(ctx)
