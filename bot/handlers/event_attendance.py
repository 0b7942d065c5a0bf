"""Who came: the organiser's registrant list to tick (paged, searchable, per event and per
session of a «десант»), the check-in code to show at the venue, and /checkin for participants
(also «✅ Я на месте», `AttendanceCb(action="checkin")`, for a card to carry)."""

from __future__ import annotations

import contextlib

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.callbacks import AttendanceCb
from bot.dialogs.leaving import typed_answer
from bot.errors import DomainError
from bot.filters import HasRole
from bot.keyboards.event_attendance import attendance_keyboard, choice_keyboard, code_keyboard
from bot.services import event_attendance as service
from bot.states import AttendanceFlow
from bot.texts import plain, t
from bot.ui import show_instead
from bot.update_context import UpdateContext
from storage.models import Role

ORGANISERS = (Role.COORDINATOR, Role.ADMIN)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    organisers, anyone = HasRole(*ORGANISERS), HasRole()
    on_callback, on_message = router.callback_query.register, router.message.register
    on_callback(cb_list, AttendanceCb.filter(F.action == "list"), organisers)
    on_callback(cb_all, AttendanceCb.filter(F.action == "all"), organisers)
    on_callback(cb_toggle, AttendanceCb.filter(F.action == "toggle"), organisers)
    on_callback(cb_search, AttendanceCb.filter(F.action == "search"), organisers)
    on_callback(cb_code, AttendanceCb.filter(F.action == "code"), organisers)
    on_callback(cb_regen, AttendanceCb.filter(F.action == "regen"), organisers)
    on_message(on_search, AttendanceFlow.search, typed_answer, organisers)
    on_message(on_not_text, AttendanceFlow.search, ~F.text)
    on_message(cmd_checkin, Command("checkin"), anyone)
    on_callback(cb_checkin, AttendanceCb.filter(F.action == "checkin"), anyone)
    on_message(on_code, AttendanceFlow.code, typed_answer, anyone)
    on_message(on_not_text, AttendanceFlow.code, ~F.text)
    on_callback(cb_pick, AttendanceCb.filter(F.action == "pick"), anyone)
    return router


async def _show(
    callback: CallbackQuery, ctx: UpdateContext, text: str, markup: InlineKeyboardMarkup
) -> None:
    await callback.answer()
    # The same page pressed again: Telegram refuses an edit that changes nothing.
    with contextlib.suppress(TelegramBadRequest):
        await show_instead(ctx.bot, callback, text, markup)


# --- the organiser's list ---------------------------------------------------------------------


async def _search_of(state: FSMContext, event_id: int, session_id: int) -> str | None:
    """The search typed for this list, while the organiser is still searching it."""
    if await state.get_state() != AttendanceFlow.search.state:
        return None
    data = await state.get_data()
    if (data.get("event_id"), data.get("session_id")) != (event_id, session_id):
        return None
    found = data.get("q")
    return str(found) if found else None


async def _page_view(
    ctx: UpdateContext, event_id: int, session_id: int, page: int, search: str | None
) -> tuple[str, InlineKeyboardMarkup]:
    found = await service.registrant_page(ctx.session, ctx.me, event_id, session_id, page, search)
    return ctx.render("event_attendance_list.html", page=found), attendance_keyboard(found)


async def cb_list(
    callback: CallbackQuery, callback_data: AttendanceCb, state: FSMContext, ctx: UpdateContext
) -> None:
    search = await _search_of(state, callback_data.event_id, callback_data.session_id)
    text, markup = await _page_view(
        ctx, callback_data.event_id, callback_data.session_id, callback_data.page, search
    )
    await _show(callback, ctx, text, markup)


async def cb_all(
    callback: CallbackQuery, callback_data: AttendanceCb, state: FSMContext, ctx: UpdateContext
) -> None:
    if await state.get_state() == AttendanceFlow.search.state:
        await state.clear()
    text, markup = await _page_view(ctx, callback_data.event_id, callback_data.session_id, 0, None)
    await _show(callback, ctx, text, markup)


async def cb_toggle(
    callback: CallbackQuery, callback_data: AttendanceCb, state: FSMContext, ctx: UpdateContext
) -> None:
    await service.toggle(
        ctx.session,
        ctx.me,
        callback_data.event_id,
        callback_data.session_id,
        callback_data.person_id,
    )
    await cb_list(callback, callback_data, state, ctx)


async def cb_search(
    callback: CallbackQuery, callback_data: AttendanceCb, state: FSMContext, ctx: UpdateContext
) -> None:
    # The list must be the organiser's before they are asked anything.
    await service.registrant_page(
        ctx.session, ctx.me, callback_data.event_id, callback_data.session_id, 0
    )
    await state.set_state(AttendanceFlow.search)
    await state.set_data(
        {"event_id": callback_data.event_id, "session_id": callback_data.session_id}
    )
    await callback.answer()
    await ctx.reply(t("event_attendance.ask_search", min=service.SEARCH_MIN))


async def on_search(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    """A part of a name: the list shows those who match; the organiser may type another."""
    data = await state.get_data()
    query = service.clean_search(message.text or "")
    event_id, session_id = int(data.get("event_id", 0)), int(data.get("session_id", 0))
    text, markup = await _page_view(ctx, event_id, session_id, 0, query)
    await state.update_data(q=query)
    await ctx.reply(text, markup)


async def on_not_text(message: Message, ctx: UpdateContext) -> None:
    await ctx.reply(t("event_attendance.type_text"))


async def _code_screen(
    callback: CallbackQuery, callback_data: AttendanceCb, ctx: UpdateContext, *, renew: bool
) -> None:
    view = await service.code_view(
        ctx.session, ctx.me, callback_data.event_id, callback_data.session_id, renew=renew
    )
    zone = await service.zone_of(ctx.session, ctx.me, ctx.settings)
    await _show(
        callback,
        ctx,
        ctx.render("event_checkin_code.html", view=view, tz=zone, renewed=renew),
        code_keyboard(view.event_id, view.session_id),
    )


async def cb_code(callback: CallbackQuery, callback_data: AttendanceCb, ctx: UpdateContext) -> None:
    await _code_screen(callback, callback_data, ctx, renew=False)


async def cb_regen(
    callback: CallbackQuery, callback_data: AttendanceCb, ctx: UpdateContext
) -> None:
    await _code_screen(callback, callback_data, ctx, renew=True)


# --- checking in ------------------------------------------------------------------------------


async def _ask_code(state: FSMContext, ctx: UpdateContext) -> None:
    await state.set_state(AttendanceFlow.code)
    await state.set_data({})
    await ctx.reply(t("event_attendance.ask_code", digits=service.CODE_DIGITS))


async def cmd_checkin(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    await _ask_code(state, ctx)


async def cb_checkin(callback: CallbackQuery, state: FSMContext, ctx: UpdateContext) -> None:
    await callback.answer()
    await _ask_code(state, ctx)


async def _checked_in(state: FSMContext, ctx: UpdateContext, done: service.CheckedIn) -> None:
    await state.clear()
    key = "again" if done.again else ("walk_in" if done.walk_in else "welcome")
    title = f"{done.title} · {done.session_title}" if done.session_title else done.title
    await ctx.reply(t(f"event_attendance.checked_in_{key}", title=title))


async def on_code(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    """A refusal keeps the state: the person types the code again."""
    result = await service.check_in(ctx.session, ctx.settings, ctx.me, message.text or "")
    if isinstance(result, service.CheckedIn):
        await _checked_in(state, ctx, result)
        return
    await state.update_data(code=service.clean_code(message.text or ""))
    await ctx.reply(t("event_attendance.which_one"), choice_keyboard(result))


async def cb_pick(
    callback: CallbackQuery, callback_data: AttendanceCb, state: FSMContext, ctx: UpdateContext
) -> None:
    """One of the events that share the code the person typed (kept in their state)."""
    data = await state.get_data() if await state.get_state() == AttendanceFlow.code.state else {}
    code = data.get("code")
    if not code:
        raise DomainError("event_attendance.stale_choice")
    result = await service.check_in(
        ctx.session,
        ctx.settings,
        ctx.me,
        str(code),
        chosen=(callback_data.event_id, callback_data.session_id),
    )
    if not isinstance(result, service.CheckedIn):
        raise DomainError("event_attendance.stale_choice")
    await callback.answer(plain(t("event_attendance.checked_in_short")))
    await _checked_in(state, ctx, result)
