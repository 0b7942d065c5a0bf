"""/deadlines: a coordinator (their municipality) or an admin (their region's) sets when the
tutor is reminded, when the coordinator is alerted, when quiet threads close, and the zone."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import MunicipalitySettingsCb
from bot.errors import DomainError
from bot.filters import HasRole
from bot.keyboards.menus import COMMON_MENU, MENU_BY_ROLE
from bot.keyboards.municipality_settings import (
    deadlines_keyboard,
    municipalities_keyboard,
    zone_label,
    zones_keyboard,
)
from bot.services import municipality_settings as service
from bot.states import DeadlinesFlow
from bot.texts import Templates, all_translations, t
from config.settings import Settings
from storage.models import Municipality, Person, Role


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private", HasRole(Role.COORDINATOR, Role.ADMIN))
    router.callback_query.filter(HasRole(Role.COORDINATOR, Role.ADMIN))
    router.message.register(cmd_deadlines, Command("deadlines"))
    router.callback_query.register(cb_list, MunicipalitySettingsCb.filter(F.action == "list"))
    router.callback_query.register(cb_page, MunicipalitySettingsCb.filter(F.action == "page"))
    router.callback_query.register(cb_show, MunicipalitySettingsCb.filter(F.action == "show"))
    router.callback_query.register(cb_ask_number, MunicipalitySettingsCb.filter(F.action == "ask"))
    router.message.register(on_number, DeadlinesFlow.number, _typed_answer)
    router.message.register(on_not_text_number, DeadlinesFlow.number, ~F.text)
    router.callback_query.register(cb_zones, MunicipalitySettingsCb.filter(F.action == "zones"))
    router.callback_query.register(cb_zone, MunicipalitySettingsCb.filter(F.action == "zone"))
    router.message.register(on_zone_name, DeadlinesFlow.zone, _typed_answer)
    router.callback_query.register(cb_reset, MunicipalitySettingsCb.filter(F.action == "reset"))
    router.callback_query.register(cb_unknown, MunicipalitySettingsCb.filter())
    return router


def _typed_answer(message: Message) -> bool:
    """Text meant for the dialog: not a command and not a menu button (those go elsewhere)."""
    text = message.text or ""
    if not text or text.startswith("/"):
        return False
    keys = {key for keys in MENU_BY_ROLE.values() for key in keys} | set(COMMON_MENU)
    return not any(text in all_translations(key) for key in keys)


async def _show(
    bot: Bot,
    chat_id: int,
    municipality: Municipality,
    settings: Settings,
    templates: Templates,
    locale: str,
) -> None:
    current = service.view(municipality, settings)
    await bot.send_message(
        chat_id,
        templates.render(
            "municipality_settings.html",
            locale,
            view=current,
            zone=zone_label(current.timezone),
            quiet=service.quiet_hours(settings),
        ),
        reply_markup=deadlines_keyboard(municipality.id),
    )


async def cmd_deadlines(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    await state.clear()
    municipalities = await service.manageable_municipalities(session, person)
    if len(municipalities) == 1:
        await _show(
            bot, message.chat.id, municipalities[0], settings, templates, i18n.current_locale
        )
        return
    await message.answer(
        t("deadlines.pick_municipality"), reply_markup=municipalities_keyboard(municipalities)
    )


async def cb_list(
    callback: CallbackQuery,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    await state.clear()
    municipalities = await service.manageable_municipalities(session, person)
    await callback.answer()
    await bot.send_message(
        callback.from_user.id,
        t("deadlines.pick_municipality"),
        reply_markup=municipalities_keyboard(municipalities),
    )


async def cb_page(
    callback: CallbackQuery,
    callback_data: MunicipalitySettingsCb,
    person: Person,
    session: AsyncSession,
) -> None:
    municipalities = await service.manageable_municipalities(session, person)
    page = int(callback_data.value) if callback_data.value.isdigit() else 0
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(
            reply_markup=municipalities_keyboard(municipalities, page)
        )


async def cb_show(
    callback: CallbackQuery,
    callback_data: MunicipalitySettingsCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    municipality = await service.managed_municipality(
        session, person, callback_data.municipality_id
    )
    await state.clear()
    await callback.answer()
    await _show(bot, callback.from_user.id, municipality, settings, templates, i18n.current_locale)


async def cb_ask_number(
    callback: CallbackQuery,
    callback_data: MunicipalitySettingsCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
) -> None:
    municipality = await service.managed_municipality(
        session, person, callback_data.municipality_id
    )
    try:
        deadline = service.Deadline(callback_data.value)
    except ValueError:
        raise DomainError("deadlines.stale") from None
    bounds = service.BOUNDS[deadline]
    await state.set_state(DeadlinesFlow.number)
    await state.update_data(municipality_id=municipality.id, deadline=deadline.value)
    await callback.answer()
    await bot.send_message(
        callback.from_user.id,
        t(
            f"deadlines.ask_{deadline}",
            municipality=municipality.name,
            min=bounds.minimum,
            max=bounds.maximum,
        ),
    )


async def on_number(
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
    # A refusal keeps the state, so the person simply types another number.
    municipality = await service.set_deadline(
        session,
        person,
        int(data.get("municipality_id", 0)),
        service.Deadline(str(data.get("deadline", service.Deadline.REMIND))),
        message.text or "",
        settings,
    )
    await state.clear()
    await message.answer(t("deadlines.saved"))
    await _show(bot, message.chat.id, municipality, settings, templates, i18n.current_locale)


async def on_not_text_number(message: Message) -> None:
    await message.answer(t("deadlines.type_a_number"))


async def cb_zones(
    callback: CallbackQuery,
    callback_data: MunicipalitySettingsCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    municipality = await service.managed_municipality(
        session, person, callback_data.municipality_id
    )
    await state.set_state(DeadlinesFlow.zone)
    await state.update_data(municipality_id=municipality.id)
    await callback.answer()
    await bot.send_message(
        callback.from_user.id,
        t("deadlines.ask_zone", municipality=municipality.name),
        reply_markup=zones_keyboard(municipality.id, municipality.timezone, settings.timezone),
    )


async def _zone_saved(
    bot: Bot,
    chat_id: int,
    municipality: Municipality,
    state: FSMContext,
    settings: Settings,
    templates: Templates,
    locale: str,
) -> None:
    await state.clear()
    await bot.send_message(chat_id, t("deadlines.saved"))
    await _show(bot, chat_id, municipality, settings, templates, locale)


async def cb_zone(
    callback: CallbackQuery,
    callback_data: MunicipalitySettingsCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    municipality = await service.set_timezone(
        session, person, callback_data.municipality_id, callback_data.value
    )
    await callback.answer()
    await _zone_saved(
        bot, callback.from_user.id, municipality, state, settings, templates, i18n.current_locale
    )


async def on_zone_name(
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
    if not (message.text or "").strip():
        raise DomainError("deadlines.unknown_zone")
    municipality = await service.set_timezone(
        session, person, int(data.get("municipality_id", 0)), message.text or ""
    )
    await _zone_saved(
        bot, message.chat.id, municipality, state, settings, templates, i18n.current_locale
    )


async def cb_reset(
    callback: CallbackQuery,
    callback_data: MunicipalitySettingsCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
    templates: Templates,
    i18n: I18n,
) -> None:
    municipality = await service.reset_deadlines(session, person, callback_data.municipality_id)
    await state.clear()
    await callback.answer()
    await bot.send_message(callback.from_user.id, t("deadlines.reset_done"))
    await _show(bot, callback.from_user.id, municipality, settings, templates, i18n.current_locale)


async def cb_unknown(callback: CallbackQuery) -> None:
    raise DomainError("deadlines.stale")
