"""Event reports for organisers: one event's numbers (`EventReportCb(action="event")`), the
program year against the targets (/eventreport, `EventReportCb(action="year")`), the
participating schools that hosted nothing yet, and the year's .xlsx (a background job)."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import EventReportCb
from bot.filters import HasRole
from bot.keyboards.event_attendance import event_report_keyboard, year_keyboard
from bot.services import event_attendance as attendance
from bot.services import event_reports, event_types, jobs
from bot.texts import plain, t
from bot.ui import show_instead
from bot.update_context import UpdateContext
from storage.models import Role

ORGANISERS = (Role.COORDINATOR, Role.ADMIN)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    organisers = HasRole(*ORGANISERS)
    on_callback = router.callback_query.register
    router.message.register(cmd_year, Command("eventreport"), organisers)
    on_callback(cb_event, EventReportCb.filter(F.action == "event"), organisers)
    on_callback(cb_year, EventReportCb.filter(F.action == "year"), organisers)
    on_callback(cb_schools, EventReportCb.filter(F.action == "schools"), organisers)
    on_callback(cb_xlsx, EventReportCb.filter(F.action == "xlsx"), organisers)
    return router


async def _show(
    callback: CallbackQuery, ctx: UpdateContext, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    await callback.answer()
    with contextlib.suppress(TelegramBadRequest):
        await show_instead(ctx.bot, callback, text, markup)


def _kinds(ids: set[str], locale: str) -> dict[str, str]:
    return {type_id: event_types.title(type_id, locale) for type_id in ids}


async def cb_event(
    callback: CallbackQuery, callback_data: EventReportCb, ctx: UpdateContext
) -> None:
    numbers = await event_reports.event_numbers(ctx.session, ctx.me, callback_data.event_id)
    zone = await attendance.zone_of(ctx.session, ctx.me, ctx.settings)
    text = ctx.render(
        "event_report.html",
        n=numbers,
        tz=zone,
        kind=event_types.title(numbers.type_id, ctx.locale),
        comments_shown=event_reports.COMMENTS_SHOWN,
    )
    await _show(callback, ctx, text, event_report_keyboard(numbers.event_id))


async def _year_view(ctx: UpdateContext, year: int) -> tuple[str, InlineKeyboardMarkup]:
    report = await event_reports.year_report(ctx.session, ctx.me, year, ctx.locale)
    text = ctx.render(
        "event_year_report.html",
        r=report,
        kinds=_kinds({line.type_id for line in report.by_type}, ctx.locale),
    )
    return text, year_keyboard(report.year, len(report.schools_without))


async def cmd_year(message: Message, ctx: UpdateContext) -> None:
    zone = await attendance.zone_of(ctx.session, ctx.me, ctx.settings)
    text, markup = await _year_view(ctx, event_reports.current_year(zone))
    await ctx.reply(text, markup)


async def _year_of(callback_data: EventReportCb, ctx: UpdateContext) -> int:
    if callback_data.year:
        return event_reports.check_year(callback_data.year)
    zone = await attendance.zone_of(ctx.session, ctx.me, ctx.settings)
    return event_reports.current_year(zone)


async def cb_year(
    callback: CallbackQuery, callback_data: EventReportCb, ctx: UpdateContext
) -> None:
    text, markup = await _year_view(ctx, await _year_of(callback_data, ctx))
    await _show(callback, ctx, text, markup)


async def cb_schools(
    callback: CallbackQuery, callback_data: EventReportCb, ctx: UpdateContext
) -> None:
    year = await _year_of(callback_data, ctx)
    report = await event_reports.year_report(ctx.session, ctx.me, year, ctx.locale)
    await callback.answer()
    await ctx.reply(ctx.render("event_report_schools.html", r=report))


async def cb_xlsx(
    callback: CallbackQuery, callback_data: EventReportCb, ctx: UpdateContext
) -> None:
    year = await _year_of(callback_data, ctx)
    # Refused at once for someone without a scope; the job counts the scope as it is then.
    await event_reports.report_scope(ctx.session, ctx.me)
    await jobs.enqueue(
        ctx.session,
        jobs.EVENT_YEAR_EXPORT,
        {"year": year},
        person=ctx.me,
        chat_id=callback.from_user.id,
        locale=ctx.locale,
    )
    await callback.answer(plain(t("event_reports.export_preparing")))
