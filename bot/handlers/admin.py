"""The region's admin: municipalities, schools, and invites for municipal coordinators."""

from __future__ import annotations

from datetime import timedelta

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import AdminCb
from bot.errors import DomainError
from bot.filters import HasRole, MenuButton
from bot.handlers.invites import invite_link_text
from bot.keyboards.admin import (
    municipalities_keyboard,
    overview_keyboard,
    school_flags_keyboard,
)
from bot.services import admin
from bot.states import AdminFlow
from bot.texts import t
from bot.ui import ReplyMarkup, set_buttons
from bot.update_context import UpdateContext
from storage.models import Role

PICK_PURPOSES = ("coord_mun", "school_mun")
typed_text = F.text & ~F.text.startswith("/")


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private", HasRole(Role.ADMIN))
    router.callback_query.filter(HasRole(Role.ADMIN))
    router.message.register(cmd_municipalities, Command("municipalities"))
    router.message.register(cmd_municipalities, MenuButton("menu.municipalities"))

    # A new municipality
    router.callback_query.register(cb_add_municipality, AdminCb.filter(F.action == "add_mun"))
    router.message.register(on_municipality_name, AdminFlow.municipality_name, typed_text)

    # Picking a municipality for a coordinator invite or a new school
    router.callback_query.register(
        cb_pick_municipality, AdminCb.filter(F.action.in_({"coord", "school"}))
    )
    router.callback_query.register(
        cb_municipality_page, AdminCb.filter(F.action.in_({f"{p}_page" for p in PICK_PURPOSES}))
    )
    router.callback_query.register(
        cb_municipality_picked, AdminCb.filter(F.action.in_(PICK_PURPOSES))
    )

    # A coordinator invite
    router.message.register(on_coordinator_name, AdminFlow.coordinator_name, typed_text)

    # A new school
    router.message.register(on_school_name, AdminFlow.school_name, typed_text)
    router.callback_query.register(
        cb_toggle_flag, AdminFlow.school_flags, AdminCb.filter(F.action == "flag")
    )
    router.callback_query.register(
        cb_save_school, AdminFlow.school_flags, AdminCb.filter(F.action == "save")
    )
    router.message.register(on_text_instead_of_flags, AdminFlow.school_flags, typed_text)
    return router


async def _reply(
    callback: CallbackQuery, ctx: UpdateContext, text: str, markup: ReplyMarkup | None = None
) -> None:
    await callback.answer()
    await ctx.reply(text, markup)


async def cmd_municipalities(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    await state.clear()
    lines = await admin.overview(ctx.session, ctx.me)
    await ctx.reply(
        ctx.render("admin_municipalities.html", lines=lines), overview_keyboard(bool(lines))
    )


# --- a new municipality ----------------------------------------------------------------------


async def cb_add_municipality(
    callback: CallbackQuery, state: FSMContext, ctx: UpdateContext
) -> None:
    admin.admin_region_id(ctx.me)
    await state.set_state(AdminFlow.municipality_name)
    await _reply(callback, ctx, t("admin.ask_municipality_name"))


async def on_municipality_name(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    municipality = await admin.add_municipality(ctx.session, ctx.me, message.text or "")
    await state.clear()
    await ctx.reply(t("admin.municipality_added", name=municipality.name))


# --- picking a municipality for a coordinator invite or a new school --------------------------


async def cb_pick_municipality(
    callback: CallbackQuery, callback_data: AdminCb, ctx: UpdateContext
) -> None:
    municipalities = await admin.region_municipalities(ctx.session, ctx.me)
    if not municipalities:
        raise DomainError("admin.municipality_gone")
    purpose = "coord_mun" if callback_data.action == "coord" else "school_mun"
    await _reply(
        callback,
        ctx,
        t("admin.pick_municipality"),
        municipalities_keyboard(municipalities, purpose),
    )


async def cb_municipality_page(
    callback: CallbackQuery, callback_data: AdminCb, ctx: UpdateContext
) -> None:
    await callback.answer()
    municipalities = await admin.region_municipalities(ctx.session, ctx.me)
    purpose = callback_data.action.removesuffix("_page")
    await set_buttons(
        callback, municipalities_keyboard(municipalities, purpose, callback_data.value)
    )


async def cb_municipality_picked(
    callback: CallbackQuery, callback_data: AdminCb, state: FSMContext, ctx: UpdateContext
) -> None:
    municipality = await admin.admin_municipality(ctx.session, ctx.me, callback_data.value)
    await state.update_data(municipality_id=municipality.id)
    if callback_data.action == "coord_mun":
        await state.set_state(AdminFlow.coordinator_name)
        await _reply(callback, ctx, t("admin.ask_coordinator_name", municipality=municipality.name))
    else:
        await state.set_state(AdminFlow.school_name)
        await _reply(callback, ctx, t("admin.ask_school_name", municipality=municipality.name))


# --- a coordinator invite ----------------------------------------------------------------------


async def on_coordinator_name(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    data = await state.get_data()
    coordinator, new = await admin.invite_coordinator(
        ctx.session,
        ctx.me,
        int(data.get("municipality_id", 0)),
        message.text or "",
        timedelta(days=ctx.settings.invite_ttl_days),
    )
    await state.clear()
    await ctx.reply(
        await invite_link_text(ctx, new, whom=coordinator.full_name or "", role=Role.COORDINATOR)
    )


# --- a new school ------------------------------------------------------------------------------


async def on_school_name(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    data = await state.get_data()
    name = await admin.clean_school_name(
        ctx.session, ctx.me, int(data.get("municipality_id", 0)), message.text or ""
    )
    await state.update_data(school_name=name, flags=[])
    await state.set_state(AdminFlow.school_flags)
    await ctx.reply(t("admin.school_flags", name=name), school_flags_keyboard([]))


async def cb_toggle_flag(
    callback: CallbackQuery, callback_data: AdminCb, state: FSMContext
) -> None:
    flags = admin.toggle_flag((await state.get_data()).get("flags", []), callback_data.value)
    await state.update_data(flags=flags)
    await callback.answer()
    await set_buttons(callback, school_flags_keyboard(flags))


async def cb_save_school(callback: CallbackQuery, state: FSMContext, ctx: UpdateContext) -> None:
    data = await state.get_data()
    school = await admin.add_school(
        ctx.session,
        ctx.me,
        int(data.get("municipality_id", 0)),
        str(data.get("school_name", "")),
        data.get("flags", []),
    )
    await state.clear()
    await _reply(callback, ctx, t("admin.school_added", name=school.name))


async def on_text_instead_of_flags(message: Message) -> None:
    await message.answer(t("admin.use_buttons"))
