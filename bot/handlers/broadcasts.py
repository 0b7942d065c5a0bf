"""Coordinators' broadcasts: the menu, the way into the composer (a form:
`bot.dialogs.broadcast_composer`), and what comes after sending — the stop button, the history
and the file of those it did not reach."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_dialog import DialogManager

from bot.callbacks import BroadcastCb
from bot.dialogs.leaving import open_form
from bot.filters import HasRole, MenuButton
from bot.keyboards.broadcasts import history_keyboard, start_keyboard
from bot.services import broadcasts
from bot.states import Broadcasting
from bot.texts import t
from bot.transport.broadcasts import unjoined_file
from bot.ui import set_buttons
from bot.update_context import UpdateContext
from storage.models import DeliveryStatus, Role


def build_router() -> Router:
    """A fresh router on each call: every dispatcher gets its own."""
    senders = Router(name=__name__)
    senders.message.filter(HasRole(Role.COORDINATOR, Role.ADMIN))
    senders.callback_query.filter(HasRole(Role.COORDINATOR, Role.ADMIN))
    on_callback, on_message = senders.callback_query.register, senders.message.register

    on_message(show_broadcasts, Command("broadcast"))
    on_message(show_broadcasts, MenuButton("menu.broadcasts"))
    on_callback(start_composer, BroadcastCb.filter(F.action == "new"))
    on_callback(cb_stop, BroadcastCb.filter(F.action == "stop"))
    on_callback(cb_history, BroadcastCb.filter(F.action == "history"))
    on_callback(cb_report, BroadcastCb.filter(F.action == "report"))
    on_callback(cb_unjoined, BroadcastCb.filter(F.action == "unjoined"))
    return senders


async def show_broadcasts(message: Message, ctx: UpdateContext) -> None:
    # An admin's broadcasts reach the whole region, a coordinator's their municipality.
    intro = "broadcast.intro_region" if Role.ADMIN in ctx.me.role_set else "broadcast.intro"
    await message.answer(t(intro), reply_markup=start_keyboard())


async def start_composer(callback: CallbackQuery, dialog_manager: DialogManager) -> None:
    """A new broadcast, or the unfinished one brought back where the coordinator left it."""
    await callback.answer()
    await open_form(dialog_manager, Broadcasting.compose)


async def cb_stop(callback: CallbackQuery, callback_data: BroadcastCb, ctx: UpdateContext) -> None:
    stopped = await broadcasts.cancel(ctx.session, ctx.me, callback_data.value)
    await callback.answer(t("broadcast.stopped", count=stopped), show_alert=True)
    await set_buttons(callback, None)


async def cb_history(callback: CallbackQuery, ctx: UpdateContext) -> None:
    items = await broadcasts.history(ctx.session, ctx.me)
    await callback.answer()
    if not items:
        await ctx.reply(t("broadcast.no_history"))
        return
    await ctx.reply(
        ctx.render("broadcast_history.html", items=items, tz=ctx.settings.tz),
        history_keyboard([b.id for b, p in items if p.total > p.sent]),
    )


async def cb_report(
    callback: CallbackQuery, callback_data: BroadcastCb, ctx: UpdateContext
) -> None:
    content = await broadcasts.failures_workbook(
        ctx.session,
        ctx.me,
        callback_data.value,
        headers=[
            t("broadcast.col_name"),
            t("broadcast.col_school"),
            t("broadcast.col_status"),
            t("broadcast.col_reason"),
        ],
        status_names={s: t(f"broadcast.status.{s.value}") for s in DeliveryStatus},
    )
    await callback.answer()
    await ctx.bot.send_document(
        ctx.chat_id,
        BufferedInputFile(content, filename=f"broadcast-{callback_data.value}-failures.xlsx"),
    )


async def cb_unjoined(
    callback: CallbackQuery, callback_data: BroadcastCb, ctx: UpdateContext
) -> None:
    people = await broadcasts.unjoined_of(ctx.session, ctx.me, callback_data.value)
    if not people:
        await callback.answer(t("broadcast.unjoined_none"), show_alert=True)
        return
    await callback.answer()
    await ctx.bot.send_document(
        ctx.chat_id, unjoined_file(people, f"broadcast-{callback_data.value}-not-joined.xlsx")
    )
