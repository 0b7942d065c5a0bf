"""/deadlines: a coordinator (their municipality) or an admin (their region's) sets when the
tutor is reminded, when the coordinator is alerted, when quiet threads close, and the zone."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.callbacks import MunicipalitySettingsCb
from bot.dialogs.leaving import typed_answer
from bot.errors import DomainError
from bot.filters import HasRole
from bot.keyboards.municipality_settings import (
    deadlines_keyboard,
    municipalities_keyboard,
    zone_label,
    zones_keyboard,
)
from bot.services import municipality_settings as service
from bot.services.typed_numbers import INT32_MAX, whole_number_or_none
from bot.states import DeadlinesFlow
from bot.texts import t
from bot.ui import set_buttons
from bot.update_context import UpdateContext
from storage.models import Municipality, Role


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
    router.message.register(on_number, DeadlinesFlow.number, typed_answer)
    router.message.register(on_not_text_number, DeadlinesFlow.number, ~F.text)
    router.callback_query.register(cb_zones, MunicipalitySettingsCb.filter(F.action == "zones"))
    router.callback_query.register(cb_zone, MunicipalitySettingsCb.filter(F.action == "zone"))
    router.message.register(on_zone_name, DeadlinesFlow.zone, typed_answer)
    router.callback_query.register(cb_reset, MunicipalitySettingsCb.filter(F.action == "reset"))
    router.callback_query.register(
        cb_year_kind, MunicipalitySettingsCb.filter(F.action == "year_kind")
    )
    router.callback_query.register(cb_unknown, MunicipalitySettingsCb.filter())
    return router


async def _show(ctx: UpdateContext, municipality: Municipality) -> None:
    current = service.view(municipality, ctx.settings)
    await ctx.reply(
        ctx.render(
            "municipality_settings.html",
            view=current,
            zone=zone_label(current.timezone),
            quiet=service.quiet_hours(ctx.settings),
        ),
        deadlines_keyboard(municipality.id, current.year_kind),
    )


async def cmd_deadlines(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    await state.clear()
    municipalities = await service.manageable_municipalities(ctx.session, ctx.me)
    if len(municipalities) == 1:
        await _show(ctx, municipalities[0])
        return
    await ctx.reply(t("deadlines.pick_municipality"), municipalities_keyboard(municipalities))


async def cb_list(callback: CallbackQuery, state: FSMContext, ctx: UpdateContext) -> None:
    await state.clear()
    municipalities = await service.manageable_municipalities(ctx.session, ctx.me)
    await callback.answer()
    await ctx.reply(t("deadlines.pick_municipality"), municipalities_keyboard(municipalities))


async def cb_page(
    callback: CallbackQuery, callback_data: MunicipalitySettingsCb, ctx: UpdateContext
) -> None:
    municipalities = await service.manageable_municipalities(ctx.session, ctx.me)
    # The page travels in the button as text: a forged one shows the first page.
    page = whole_number_or_none(callback_data.value, 0, INT32_MAX) or 0
    await callback.answer()
    await set_buttons(callback, municipalities_keyboard(municipalities, page))


async def cb_show(
    callback: CallbackQuery,
    callback_data: MunicipalitySettingsCb,
    state: FSMContext,
    ctx: UpdateContext,
) -> None:
    municipality = await service.managed_municipality(
        ctx.session, ctx.me, callback_data.municipality_id
    )
    await state.clear()
    await callback.answer()
    await _show(ctx, municipality)


async def cb_ask_number(
    callback: CallbackQuery,
    callback_data: MunicipalitySettingsCb,
    state: FSMContext,
    ctx: UpdateContext,
) -> None:
    municipality = await service.managed_municipality(
        ctx.session, ctx.me, callback_data.municipality_id
    )
    try:
        deadline = service.Deadline(callback_data.value)
    except ValueError:
        raise DomainError("deadlines.stale") from None
    bounds = service.BOUNDS[deadline]
    await state.set_state(DeadlinesFlow.number)
    await state.update_data(municipality_id=municipality.id, deadline=deadline.value)
    await callback.answer()
    await ctx.reply(
        t(
            f"deadlines.ask_{deadline}",
            municipality=municipality.name,
            min=bounds.minimum,
            max=bounds.maximum,
        )
    )


async def on_number(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    data = await state.get_data()
    # A refusal keeps the state, so the person simply types another number.
    municipality = await service.set_deadline(
        ctx.session,
        ctx.me,
        int(data.get("municipality_id", 0)),
        service.Deadline(str(data.get("deadline", service.Deadline.REMIND))),
        message.text or "",
        ctx.settings,
    )
    await _saved(ctx, state, municipality)


async def on_not_text_number(message: Message, ctx: UpdateContext) -> None:
    await ctx.reply(t("deadlines.type_a_number"))


async def cb_zones(
    callback: CallbackQuery,
    callback_data: MunicipalitySettingsCb,
    state: FSMContext,
    ctx: UpdateContext,
) -> None:
    municipality = await service.managed_municipality(
        ctx.session, ctx.me, callback_data.municipality_id
    )
    await state.set_state(DeadlinesFlow.zone)
    await state.update_data(municipality_id=municipality.id)
    await callback.answer()
    await ctx.reply(
        t("deadlines.ask_zone", municipality=municipality.name),
        zones_keyboard(municipality.id, municipality.timezone, ctx.settings.timezone),
    )


async def _saved(ctx: UpdateContext, state: FSMContext, municipality: Municipality) -> None:
    await state.clear()
    await ctx.reply(t("deadlines.saved"))
    await _show(ctx, municipality)


async def cb_zone(
    callback: CallbackQuery,
    callback_data: MunicipalitySettingsCb,
    state: FSMContext,
    ctx: UpdateContext,
) -> None:
    municipality = await service.set_timezone(
        ctx.session, ctx.me, callback_data.municipality_id, callback_data.value
    )
    await callback.answer()
    await _saved(ctx, state, municipality)


async def on_zone_name(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    data = await state.get_data()
    if not (message.text or "").strip():
        raise DomainError("deadlines.unknown_zone")
    municipality = await service.set_timezone(
        ctx.session, ctx.me, int(data.get("municipality_id", 0)), message.text or ""
    )
    await _saved(ctx, state, municipality)


async def cb_reset(
    callback: CallbackQuery,
    callback_data: MunicipalitySettingsCb,
    state: FSMContext,
    ctx: UpdateContext,
) -> None:
    municipality = await service.reset_deadlines(ctx.session, ctx.me, callback_data.municipality_id)
    await state.clear()
    await callback.answer()
    await ctx.reply(t("deadlines.reset_done"))
    await _show(ctx, municipality)


async def cb_year_kind(
    callback: CallbackQuery,
    callback_data: MunicipalitySettingsCb,
    state: FSMContext,
    ctx: UpdateContext,
) -> None:
    municipality = await service.set_year_kind(
        ctx.session, ctx.me, callback_data.municipality_id, callback_data.value
    )
    await callback.answer()
    await _saved(ctx, state, municipality)


async def cb_unknown(callback: CallbackQuery) -> None:
    raise DomainError("deadlines.stale")
