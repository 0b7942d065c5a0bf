"""The KPI report for coordinators (their municipality) and admins (the region, or a
municipality they pick): /kpi and the menu button, the year picker (this program year and the
previous one), «Диаграмма» (a PNG) and «Excel» (.xlsx; admins' region file has the sheet «по
муниципалитетам»). Whose report is whose is decided in `bot.services.kpi`."""

from __future__ import annotations

import asyncio
import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import KpiCb
from bot.filters import HasRole
from bot.keyboards.kpi import places_keyboard, report_keyboard
from bot.services import kpi, kpi_export, program_years
from bot.texts import t
from bot.ui import show_instead
from bot.update_context import UpdateContext
from storage.models import Role

VIEWERS = (Role.COORDINATOR, Role.ADMIN)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    viewers = HasRole(*VIEWERS)
    router.message.register(cmd_kpi, Command("kpi"), viewers)
    on_callback = router.callback_query.register
    on_callback(cb_places, KpiCb.filter(F.action == "places"), viewers)
    on_callback(cb_show, KpiCb.filter(F.action == "show"), viewers)
    on_callback(cb_chart, KpiCb.filter(F.action == "chart"), viewers)
    on_callback(cb_xlsx, KpiCb.filter(F.action == "xlsx"), viewers)
    return router


async def _places(ctx: UpdateContext) -> tuple[str, InlineKeyboardMarkup]:
    reach = await kpi.reach_of(ctx.session, ctx.me)
    year = kpi.years_offered(reach, kpi.today())[0]
    markup = places_keyboard(reach.is_admin, [(m.id, m.name) for m in reach.municipalities], year)
    return t("kpi.pick_place"), markup


async def _report(
    ctx: UpdateContext, municipality_id: int, year: int
) -> tuple[str, InlineKeyboardMarkup]:
    day = kpi.today()
    reach = await kpi.reach_of(ctx.session, ctx.me)
    report = await kpi.report_for(ctx.session, ctx.me, municipality_id, year, day)
    text = ctx.render(
        "kpi_report.html",
        r=report,
        groups=kpi_export.grouped(report),
        programs=kpi_export.program_titles(ctx.locale),
        lang=ctx.locale,
    )
    markup = report_keyboard(
        municipality_id,
        year,
        kpi.years_offered(reach, day),
        can_pick=reach.is_admin or len(reach.municipalities) > 1,
    )
    return text, markup


async def cmd_kpi(message: Message, ctx: UpdateContext) -> None:
    reach = await kpi.reach_of(ctx.session, ctx.me)
    if reach.is_admin or len(reach.municipalities) != 1:
        await ctx.reply(*await _places(ctx))
        return
    [only] = reach.municipalities
    year = kpi.years_offered(reach, kpi.today())[0]
    await ctx.reply(*await _report(ctx, only.id, year))


async def _edit(
    callback: CallbackQuery, ctx: UpdateContext, text: str, markup: InlineKeyboardMarkup
) -> None:
    await callback.answer()
    with contextlib.suppress(TelegramBadRequest):
        await show_instead(ctx.bot, callback, text, markup)


async def cb_places(callback: CallbackQuery, callback_data: KpiCb, ctx: UpdateContext) -> None:
    await _edit(callback, ctx, *await _places(ctx))


async def cb_show(callback: CallbackQuery, callback_data: KpiCb, ctx: UpdateContext) -> None:
    year = program_years.check_year(callback_data.year)
    await _edit(callback, ctx, *await _report(ctx, callback_data.municipality_id, year))


async def cb_chart(callback: CallbackQuery, callback_data: KpiCb, ctx: UpdateContext) -> None:
    year = program_years.check_year(callback_data.year)
    report = await kpi.report_for(
        ctx.session, ctx.me, callback_data.municipality_id, year, kpi.today()
    )
    await callback.answer()
    png = await asyncio.to_thread(kpi_export.chart_png, report, ctx.locale)
    await ctx.bot.send_photo(
        ctx.chat_id,
        BufferedInputFile(png, filename=f"kpi-{report.year}.png"),
        caption=t("kpi.chart_caption", place=report.place, year=report.year),
    )


async def cb_xlsx(callback: CallbackQuery, callback_data: KpiCb, ctx: UpdateContext) -> None:
    year = program_years.check_year(callback_data.year)
    report, rows = await kpi.export_for(
        ctx.session, ctx.me, callback_data.municipality_id, year, kpi.today()
    )
    await callback.answer()
    content = await asyncio.to_thread(kpi_export.workbook, report, ctx.locale, rows)
    await ctx.bot.send_document(
        ctx.chat_id,
        BufferedInputFile(content, filename=kpi_export.filename(report)),
        caption=t("kpi.xlsx_caption", place=report.place, year=report.year),
    )
