"""Coordinators hand out invite links: to a roster person, or to a school for a new person."""

from __future__ import annotations

from datetime import timedelta

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import InviteCb
from bot.dialogs.leaving import typed_answer
from bot.filters import HasRole, MenuButton
from bot.keyboards.invites import (
    invites_menu_keyboard,
    people_keyboard,
    roles_keyboard,
    schools_keyboard,
)
from bot.services import invites
from bot.states import InviteFlow
from bot.texts import t
from bot.ui import ReplyMarkup
from bot.update_context import UpdateContext
from storage.models import Role


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private", HasRole(Role.COORDINATOR))
    router.callback_query.filter(HasRole(Role.COORDINATOR))
    router.message.register(cmd_invites, Command("invite"))
    router.message.register(cmd_invites, MenuButton("menu.invites"))

    # A personal invite for someone on the roster
    router.callback_query.register(cb_personal, InviteCb.filter(F.action == "person"))
    router.message.register(on_search, InviteFlow.search, typed_answer)
    router.message.register(on_search_not_text, InviteFlow.search, ~F.text)
    router.callback_query.register(cb_pick_person, InviteCb.filter(F.action == "pick"))
    router.callback_query.register(cb_person_role, InviteCb.filter(F.action == "prole"))

    # A school invite for a new person
    router.callback_query.register(cb_schools, InviteCb.filter(F.action.in_({"school", "spage"})))
    router.callback_query.register(cb_school, InviteCb.filter(F.action == "sch"))
    router.callback_query.register(cb_school_role, InviteCb.filter(F.action == "srole"))
    return router


async def _reply(
    callback: CallbackQuery, ctx: UpdateContext, text: str, markup: ReplyMarkup | None = None
) -> None:
    await callback.answer()
    await ctx.reply(text, markup)


async def invite_link_text(
    ctx: UpdateContext, new: invites.NewInvite, *, whom: str, role: Role
) -> str:
    """The link to hand over: for whom, as what, and until when it works."""
    me = await ctx.bot.me()
    return ctx.render(
        "invite_link.html",
        whom=whom,
        role=role,
        link=invites.deep_link(me.username or "", new.code),
        expires=new.invite.expires_at.astimezone(ctx.settings.tz).strftime("%d.%m.%Y"),
    )


async def cmd_invites(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(t("invites.menu"), reply_markup=invites_menu_keyboard())


# --- a personal invite for someone on the roster -----------------------------------------------


async def cb_personal(callback: CallbackQuery, state: FSMContext, ctx: UpdateContext) -> None:
    await state.set_state(InviteFlow.search)
    await _reply(callback, ctx, t("invites.ask_surname"))


async def on_search(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    found = await invites.search_unjoined(ctx.session, ctx.me, message.text or "")
    if not found.people:
        await ctx.reply(t("invites.no_matches"))
        return
    text = t("invites.pick_person")
    if found.total > len(found.people):
        # Stay in the search so a longer part of the name narrows the list.
        text += "\n" + t("invites.more_matches", shown=len(found.people), total=found.total)
    else:
        await state.clear()
    await ctx.reply(text, people_keyboard(found.people))


async def on_search_not_text(message: Message) -> None:
    await message.answer(t("invites.ask_surname"))


async def cb_pick_person(
    callback: CallbackQuery, callback_data: InviteCb, ctx: UpdateContext
) -> None:
    invitee = await invites.invitable_person(ctx.session, ctx.me, callback_data.value)
    roles = invites.roles_to_offer(invitee)
    if len(roles) > 1:
        await _reply(
            callback,
            ctx,
            t("invites.pick_role_for", name=invitee.full_name or ""),
            roles_keyboard("prole", invitee.id, roles),
        )
        return
    await _create_personal(callback, ctx, callback_data.value, roles[0])


async def cb_person_role(
    callback: CallbackQuery, callback_data: InviteCb, ctx: UpdateContext
) -> None:
    role = invites.invitable_role(callback_data.extra)
    await _create_personal(callback, ctx, callback_data.value, role)


async def _create_personal(
    callback: CallbackQuery, ctx: UpdateContext, person_id: int, role: Role
) -> None:
    invitee, new = await invites.create_person_invite(
        ctx.session, ctx.me, person_id, role, timedelta(days=ctx.settings.invite_ttl_days)
    )
    text = await invite_link_text(ctx, new, whom=invitee.full_name or "", role=role)
    await _reply(callback, ctx, text)


# --- a school invite for a new person ----------------------------------------------------------


async def cb_schools(callback: CallbackQuery, callback_data: InviteCb, ctx: UpdateContext) -> None:
    schools = await invites.coordinator_schools(ctx.session, ctx.me)
    if not schools:
        await _reply(callback, ctx, t("invites.no_schools"))
        return
    keyboard = schools_keyboard(schools, callback_data.value)
    if callback_data.action == "spage" and isinstance(callback.message, Message):
        await callback.answer()
        await callback.message.edit_reply_markup(reply_markup=keyboard)
        return
    await _reply(callback, ctx, t("invites.pick_school"), keyboard)


async def cb_school(callback: CallbackQuery, callback_data: InviteCb, ctx: UpdateContext) -> None:
    school = await invites.coordinator_school(ctx.session, ctx.me, callback_data.value)
    await _reply(
        callback,
        ctx,
        t("invites.pick_role_school", school=school.label),
        roles_keyboard("srole", school.id, invites.INVITABLE_ROLES),
    )


async def cb_school_role(
    callback: CallbackQuery, callback_data: InviteCb, ctx: UpdateContext
) -> None:
    role = invites.invitable_role(callback_data.extra)
    school, new = await invites.create_school_invite(
        ctx.session, ctx.me, callback_data.value, role, timedelta(days=ctx.settings.invite_ttl_days)
    )
    await _reply(callback, ctx, await invite_link_text(ctx, new, whom=school.label, role=role))
