"""The status board (/board, «Исполнение»): the year's deadlines × schools or people, filtered
and paged, as a picture on request; admins pick a municipality first. The monitoring stages
(/monitoring, «Мониторинг» on the board): a year's stages, each stage's report and its .xlsx.
A school leader's «Пройти самооценку» on a stage reminder opens the self-evaluation."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, date, datetime

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Message,
)
from aiogram_dialog import DialogManager

from bot.callbacks import BoardCb, DeadlineAdminCb, TaskCb
from bot.dialogs.survey_runner import open_runner
from bot.filters import HasRole
from bot.keyboards.status_board import (
    board_keyboard,
    overview_keyboard,
    stage_report_keyboard,
    stages_keyboard,
)
from bot.services import monitoring, monitoring_report, monitoring_xlsx, status_board
from bot.services.charts.status_grid import STATE_ORDER, grid_png
from bot.texts import plain, t
from bot.ui import send_photos, show_instead
from bot.update_context import UpdateContext
from storage.models import Role

ORGANISERS = (Role.COORDINATOR, Role.ADMIN)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    organisers = HasRole(*ORGANISERS)
    on_callback = router.callback_query.register
    router.message.register(cmd_board, Command("board"), organisers)
    router.message.register(cmd_monitoring, Command("monitoring"), organisers)
    on_callback(cb_board, BoardCb.filter(F.action.in_({"open", "who"})), organisers)
    on_callback(cb_municipalities, BoardCb.filter(F.action == "muns"), organisers)
    on_callback(cb_picture, BoardCb.filter(F.action == "png"), organisers)
    on_callback(cb_stages, DeadlineAdminCb.filter(F.action == "mon_year"), organisers)
    on_callback(cb_report, DeadlineAdminCb.filter(F.action == "mon_report"), organisers)
    on_callback(cb_xlsx, DeadlineAdminCb.filter(F.action == "mon_xlsx"), organisers)
    on_callback(cb_stage_task, TaskCb.filter(F.action == "stage"), HasRole(Role.SCHOOL_LEADER))
    return router


def _today() -> date:
    return datetime.now(UTC).date()


async def _show(
    callback: CallbackQuery, ctx: UpdateContext, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    await callback.answer()
    with contextlib.suppress(TelegramBadRequest):
        await show_instead(ctx.bot, callback, text, markup)


# --- the board ----------------------------------------------------------------------------------


async def _board_view(
    ctx: UpdateContext, municipality_id: int, year: int, chosen: str, view: str, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    found = await status_board.board(
        ctx.session, ctx.me, municipality_id, year, _today(), chosen=chosen, view=view, page=page
    )
    return ctx.render("status_board.html", b=found), board_keyboard(found)


async def _overview_view(
    ctx: UpdateContext, year: int, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    found = await status_board.overview(ctx.session, ctx.me, year, _today(), page=page)
    return ctx.render("status_board_overview.html", o=found), overview_keyboard(found)


async def cmd_board(message: Message, ctx: UpdateContext) -> None:
    municipality_id = await status_board.start_point(ctx.session, ctx.me)
    year = await status_board.year_of(ctx.session, municipality_id, _today())
    if municipality_id is None:
        text, markup = await _overview_view(ctx, year, 0)
    else:
        text, markup = await _board_view(ctx, municipality_id, year, "all", "deadlines", 0)
    await ctx.reply(text, markup)


async def _year(ctx: UpdateContext, municipality_id: int | None, year: int) -> int:
    return year or await status_board.year_of(ctx.session, municipality_id, _today())


async def cb_board(callback: CallbackQuery, callback_data: BoardCb, ctx: UpdateContext) -> None:
    municipality_id = callback_data.municipality_id
    if not municipality_id:
        municipality_id = await status_board.start_point(ctx.session, ctx.me) or 0
    year = await _year(ctx, municipality_id, callback_data.year)
    view = "who" if callback_data.action == "who" else "deadlines"
    text, markup = await _board_view(
        ctx, municipality_id, year, callback_data.value, view, callback_data.page
    )
    await _show(callback, ctx, text, markup)


async def cb_municipalities(
    callback: CallbackQuery, callback_data: BoardCb, ctx: UpdateContext
) -> None:
    year = await _year(ctx, None, callback_data.year)
    text, markup = await _overview_view(ctx, year, callback_data.page)
    await _show(callback, ctx, text, markup)


async def cb_picture(callback: CallbackQuery, callback_data: BoardCb, ctx: UpdateContext) -> None:
    municipality_id = callback_data.municipality_id
    year = await _year(ctx, municipality_id, callback_data.year)
    found = await status_board.grid(
        ctx.session, ctx.me, municipality_id, year, _today(), callback_data.value
    )
    await callback.answer()
    if not found.rows or not found.columns:
        await ctx.reply(t("board.png_empty"))
        return
    title = plain(t("board.png_title", municipality=found.municipality, year=year))
    legend = [(state, plain(t(f"board.state.{state}"))) for state in STATE_ORDER]
    photos: list[InputMediaPhoto] = []
    for part in found.parts:
        png = await asyncio.to_thread(grid_png, title, part.rows, part.columns, part.states, legend)
        caption = t(
            "board.png_caption",
            rows_from=part.first_row + 1,
            rows_to=part.first_row + len(part.rows),
            rows=found.rows,
            columns_from=part.first_column + 1,
            columns_to=part.first_column + len(part.columns),
            columns=found.columns,
        )
        if found.truncated and part is found.parts[-1]:
            caption += "\n" + t("board.png_truncated")
        name = f"board_{part.first_row + 1}_{part.first_column + 1}.png"
        photos.append(InputMediaPhoto(media=BufferedInputFile(png, filename=name), caption=caption))
    await send_photos(ctx.bot, ctx.chat_id, photos)


# --- monitoring stages --------------------------------------------------------------------------


async def _stages_view(
    ctx: UpdateContext, municipality_id: int, year: int
) -> tuple[str, InlineKeyboardMarkup]:
    found = await monitoring_report.year_stages(
        ctx.session, ctx.me, municipality_id, year, ctx.locale
    )
    return (
        ctx.render("monitoring_stages.html", s=found),
        stages_keyboard(municipality_id, year, found.stages),
    )


async def cmd_monitoring(message: Message, ctx: UpdateContext) -> None:
    municipality_id = await status_board.start_point(ctx.session, ctx.me)
    year = await status_board.year_of(ctx.session, municipality_id, _today())
    if municipality_id is None:  # an admin picks a municipality on the board first
        text, markup = await _overview_view(ctx, year, 0)
        await ctx.reply(t("monitoring.pick_municipality") + "\n\n" + text, markup)
        return
    text, markup = await _stages_view(ctx, municipality_id, year)
    await ctx.reply(text, markup)


async def cb_stages(
    callback: CallbackQuery, callback_data: DeadlineAdminCb, ctx: UpdateContext
) -> None:
    value = callback_data.value
    municipality_id = int(value) if value.isdigit() and len(value) < 10 else 0
    if not municipality_id:
        municipality_id = await status_board.start_point(ctx.session, ctx.me) or 0
    year = await _year(ctx, municipality_id, callback_data.year)
    text, markup = await _stages_view(ctx, municipality_id, year)
    await _show(callback, ctx, text, markup)


async def cb_report(
    callback: CallbackQuery, callback_data: DeadlineAdminCb, ctx: UpdateContext
) -> None:
    report = await monitoring_report.stage_report(
        ctx.session, ctx.me, callback_data.deadline_id, ctx.locale
    )
    deadline = await monitoring_report.allowed_stage(ctx.session, ctx.me, callback_data.deadline_id)
    markup = stage_report_keyboard(
        report.stage.deadline_id, deadline.municipality_id or 0, report.stage.year
    )
    await _show(callback, ctx, ctx.render("monitoring_report.html", r=report), markup)


async def cb_xlsx(
    callback: CallbackQuery, callback_data: DeadlineAdminCb, ctx: UpdateContext
) -> None:
    report = await monitoring_report.stage_report(
        ctx.session, ctx.me, callback_data.deadline_id, ctx.locale
    )
    await callback.answer()
    content = await asyncio.to_thread(monitoring_xlsx.workbook, report, ctx.locale)
    await ctx.bot.send_document(
        ctx.chat_id,
        BufferedInputFile(content, filename=monitoring_xlsx.filename(report)),
        caption=t(
            "monitoring.xlsx_caption",
            stage=report.stage.title,
            year=report.stage.year,
            submitted=report.submitted,
            total=report.total,
        ),
    )


async def cb_stage_task(
    callback: CallbackQuery,
    callback_data: TaskCb,
    ctx: UpdateContext,
    dialog_manager: DialogManager,
) -> None:
    response_id = await monitoring.begin_stage(ctx.session, ctx.me, callback_data.task_id)
    await callback.answer()
    await open_runner(dialog_manager, response_id)
