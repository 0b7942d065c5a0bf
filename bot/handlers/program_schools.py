"""«Школы программы» (/programschools): which of the municipality's schools take part in a
program year, with their categories (НРО / НСУ) and program (regional / municipal). A
coordinator sees their municipality; an admin picks one of the region first."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import ProgramCb
from bot.errors import DomainError
from bot.filters import HasRole
from bot.keyboards.program_schools import municipalities_keyboard, schools_keyboard, year_label
from bot.services import program_years as service
from bot.services.typed_numbers import INT32_MAX, whole_number_or_none
from bot.texts import plain, t
from bot.ui import show_instead
from bot.update_context import UpdateContext
from storage.models import Role


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private", HasRole(Role.COORDINATOR, Role.ADMIN))
    router.callback_query.filter(HasRole(Role.COORDINATOR, Role.ADMIN))
    router.message.register(cmd_schools, Command("programschools"))
    router.callback_query.register(cb_municipalities, ProgramCb.filter(F.action == "muns"))
    router.callback_query.register(cb_year, ProgramCb.filter(F.action == "year"))
    router.callback_query.register(cb_mark, ProgramCb.filter(F.action == "mark"))
    router.callback_query.register(cb_copy, ProgramCb.filter(F.action == "copy"))
    router.callback_query.register(cb_unknown, ProgramCb.filter())
    return router


async def _screen(
    ctx: UpdateContext, municipality_id: int, year: int | None, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    municipality = await service.managed_municipality(ctx.session, ctx.me, municipality_id)
    today = service.local_today(municipality, ctx.settings.timezone)
    view = await service.year_schools(ctx.session, ctx.me, municipality.id, year, today)
    many = len(await service.managed_municipalities(ctx.session, ctx.me)) > 1
    text = ctx.render("program_schools.html", view=view, year_name=year_label(view.kind, view.year))
    return text, schools_keyboard(view, page, many_municipalities=many)


async def _edit(
    callback: CallbackQuery, ctx: UpdateContext, text: str, markup: InlineKeyboardMarkup
) -> None:
    with contextlib.suppress(TelegramBadRequest):  # the same screen again: nothing to change
        await show_instead(ctx.bot, callback, text, markup)


def _municipality_in(value: str) -> int:
    # The municipality travels in the button as text: a forged one is refused by the scope.
    found = whole_number_or_none(value, 1, INT32_MAX)
    if found is None:
        raise DomainError("program.not_yours")
    return found


async def cmd_schools(message: Message, ctx: UpdateContext) -> None:
    municipalities = await service.managed_municipalities(ctx.session, ctx.me)
    if len(municipalities) == 1:
        text, markup = await _screen(ctx, municipalities[0].id, None, 0)
        await ctx.reply(text, markup)
        return
    await ctx.reply(t("program.pick_municipality"), municipalities_keyboard(municipalities))


async def cb_municipalities(
    callback: CallbackQuery, callback_data: ProgramCb, ctx: UpdateContext
) -> None:
    municipalities = await service.managed_municipalities(ctx.session, ctx.me)
    await callback.answer()
    markup = municipalities_keyboard(municipalities, callback_data.page)
    await _edit(callback, ctx, t("program.pick_municipality"), markup)


async def cb_year(callback: CallbackQuery, callback_data: ProgramCb, ctx: UpdateContext) -> None:
    text, markup = await _screen(
        ctx,
        _municipality_in(callback_data.value),
        callback_data.year or None,
        callback_data.page,
    )
    await callback.answer()
    await _edit(callback, ctx, text, markup)


async def cb_mark(callback: CallbackQuery, callback_data: ProgramCb, ctx: UpdateContext) -> None:
    try:
        mark = service.Mark(callback_data.value)
    except ValueError:
        raise DomainError("program.stale") from None
    municipality = await service.managed_municipality_of_school(
        ctx.session, ctx.me, callback_data.school_id
    )
    today = service.local_today(municipality, ctx.settings.timezone)
    await service.toggle(
        ctx.session, ctx.me, callback_data.school_id, callback_data.year, mark, today
    )
    text, markup = await _screen(ctx, municipality.id, callback_data.year, callback_data.page)
    await callback.answer()
    await _edit(callback, ctx, text, markup)


async def cb_copy(callback: CallbackQuery, callback_data: ProgramCb, ctx: UpdateContext) -> None:
    municipality_id = _municipality_in(callback_data.value)
    added = await service.copy_from_previous(
        ctx.session, ctx.me, municipality_id, callback_data.year
    )
    text, markup = await _screen(ctx, municipality_id, callback_data.year, 0)
    await callback.answer(plain(t("program.copied", count=added)))
    await _edit(callback, ctx, text, markup)


async def cb_unknown(callback: CallbackQuery) -> None:
    raise DomainError("program.stale")
