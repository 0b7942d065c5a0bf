"""The region's admin: municipalities, schools, and invites for municipal coordinators."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import AdminCb
from bot.errors import DomainError
from bot.filters import HasRole, MenuButton
from bot.keyboards.admin import (
    municipalities_keyboard,
    overview_keyboard,
    school_flags_keyboard,
)
from bot.services import admin, invites
from bot.states import AdminFlow
from bot.texts import Templates, t
from config.settings import Settings
from storage.models import Person, Role

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


async def _reply(callback: CallbackQuery, text: str, **kwargs: object) -> None:
    await callback.answer()
    await callback.bot.send_message(callback.from_user.id, text, **kwargs)  # type: ignore[union-attr, arg-type]


async def cmd_municipalities(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    templates: Templates,
    i18n: I18n,
) -> None:
    await state.clear()
    lines = await admin.overview(session, person)
    await message.answer(
        templates.render("admin_municipalities.html", i18n.current_locale, lines=lines),
        reply_markup=overview_keyboard(bool(lines)),
    )


# --- a new municipality ----------------------------------------------------------------------


async def cb_add_municipality(callback: CallbackQuery, person: Person, state: FSMContext) -> None:
    admin.admin_region_id(person)
    await state.set_state(AdminFlow.municipality_name)
    await _reply(callback, t("admin.ask_municipality_name"))


async def on_municipality_name(
    message: Message, person: Person, session: AsyncSession, state: FSMContext
) -> None:
    municipality = await admin.add_municipality(session, person, message.text or "")
    await state.clear()
    await message.answer(t("admin.municipality_added", name=municipality.name))


# --- picking a municipality for a coordinator invite or a new school --------------------------


async def cb_pick_municipality(
    callback: CallbackQuery, callback_data: AdminCb, person: Person, session: AsyncSession
) -> None:
    municipalities = await admin.region_municipalities(session, person)
    if not municipalities:
        raise DomainError("admin.municipality_gone")
    purpose = "coord_mun" if callback_data.action == "coord" else "school_mun"
    await _reply(
        callback,
        t("admin.pick_municipality"),
        reply_markup=municipalities_keyboard(municipalities, purpose),
    )


async def cb_municipality_page(
    callback: CallbackQuery, callback_data: AdminCb, person: Person, session: AsyncSession
) -> None:
    await callback.answer()
    municipalities = await admin.region_municipalities(session, person)
    purpose = callback_data.action.removesuffix("_page")
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(
            reply_markup=municipalities_keyboard(municipalities, purpose, callback_data.value)
        )


async def cb_municipality_picked(
    callback: CallbackQuery,
    callback_data: AdminCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
) -> None:
    municipality = await admin.admin_municipality(session, person, callback_data.value)
    await state.update_data(municipality_id=municipality.id)
    if callback_data.action == "coord_mun":
        await state.set_state(AdminFlow.coordinator_name)
        await _reply(callback, t("admin.ask_coordinator_name", municipality=municipality.name))
    else:
        await state.set_state(AdminFlow.school_name)
        await _reply(callback, t("admin.ask_school_name", municipality=municipality.name))


# --- a coordinator invite ----------------------------------------------------------------------


async def on_coordinator_name(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    data = await state.get_data()
    coordinator, new = await admin.invite_coordinator(
        session,
        person,
        int(data.get("municipality_id", 0)),
        message.text or "",
        timedelta(days=settings.invite_ttl_days),
    )
    await state.clear()
    me = await bot.me()
    await message.answer(
        templates.render(
            "invite_link.html",
            i18n.current_locale,
            whom=coordinator.full_name,
            role=Role.COORDINATOR,
            link=invites.deep_link(me.username or "", new.code),
            expires=new.invite.expires_at.astimezone(settings.tz).strftime("%d.%m.%Y"),
        )
    )


# --- a new school ------------------------------------------------------------------------------


async def on_school_name(
    message: Message, person: Person, session: AsyncSession, state: FSMContext
) -> None:
    data = await state.get_data()
    name = await admin.clean_school_name(
        session, person, int(data.get("municipality_id", 0)), message.text or ""
    )
    await state.update_data(school_name=name, flags=[])
    await state.set_state(AdminFlow.school_flags)
    await message.answer(t("admin.school_flags", name=name), reply_markup=school_flags_keyboard([]))


async def cb_toggle_flag(
    callback: CallbackQuery, callback_data: AdminCb, state: FSMContext
) -> None:
    flags = admin.toggle_flag((await state.get_data()).get("flags", []), callback_data.value)
    await state.update_data(flags=flags)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=school_flags_keyboard(flags))


async def cb_save_school(
    callback: CallbackQuery, person: Person, session: AsyncSession, state: FSMContext
) -> None:
    data = await state.get_data()
    school = await admin.add_school(
        session,
        person,
        int(data.get("municipality_id", 0)),
        str(data.get("school_name", "")),
        data.get("flags", []),
    )
    await state.clear()
    await _reply(callback, t("admin.school_added", name=school.name))


async def on_text_instead_of_flags(message: Message) -> None:
    await message.answer(t("admin.use_buttons"))
