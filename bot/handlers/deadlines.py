"""Deadlines: the coordinator's «Сроки» (/duedates) — the year's items of a municipality,
overdue first, an item's card, its evidence, removal, adding one (the editor form) — and the
responsible people's «Мои сроки» (/mytasks) with the answers to a task: «Выполнено» (asking
for the comment or file the item needs), «С комментарием», «Нужна помощь»."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram_dialog import DialogManager

from bot.callbacks import DeadlineAdminCb, TaskCb
from bot.dialogs.leaving import open_form, typed_answer
from bot.errors import DomainError
from bot.filters import HasRole, MenuButton
from bot.keyboards.deadlines import (
    card_keyboard,
    items_keyboard,
    my_tasks_keyboard,
    remove_keyboard,
    task_keyboard,
)
from bot.services import deadline_views, deadlines
from bot.services.deadlines import Outcome
from bot.states import DeadlineEditor, TaskFlow
from bot.texts import t
from bot.transport.deadlines import send_help_request
from bot.ui import show_instead
from bot.update_context import UpdateContext
from storage.models import DoneBy, Role

MANAGERS = (Role.COORDINATOR, Role.ADMIN)


def build_router() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    managers, anyone = HasRole(*MANAGERS), HasRole()
    on_message, on_callback = router.message.register, router.callback_query.register
    on_message(show_list, Command("duedates"), managers)
    on_callback(cb_list, DeadlineAdminCb.filter(F.action == "list"), managers)
    on_callback(cb_new, DeadlineAdminCb.filter(F.action == "new"), managers)
    on_callback(cb_card, DeadlineAdminCb.filter(F.action == "card"), managers)
    on_callback(cb_file, DeadlineAdminCb.filter(F.action == "file"), managers)
    on_callback(cb_remove, DeadlineAdminCb.filter(F.action == "remove"), managers)
    on_callback(cb_remove_yes, DeadlineAdminCb.filter(F.action == "remove_yes"), managers)
    on_message(show_mine, MenuButton("menu.my_tasks"), anyone)
    on_message(show_mine, Command("mytasks"), anyone)
    on_callback(cb_task, TaskCb.filter(F.action == "card"), anyone)
    on_callback(cb_done, TaskCb.filter(F.action == "done"), anyone)
    on_callback(cb_comment, TaskCb.filter(F.action == "comment"), anyone)
    on_callback(cb_help, TaskCb.filter(F.action == "help"), anyone)
    on_message(on_comment, TaskFlow.comment, typed_answer, anyone)
    on_message(on_file, TaskFlow.file, F.document | F.photo, anyone)
    on_message(on_file_comment_only, TaskFlow.file, typed_answer, anyone)
    on_message(on_other, TaskFlow.comment, ~F.text)
    on_message(on_not_a_file, TaskFlow.file, ~F.text)
    return router


async def _show(
    callback: CallbackQuery, ctx: UpdateContext, text: str, markup: InlineKeyboardMarkup
) -> None:
    await callback.answer()
    with contextlib.suppress(TelegramBadRequest):  # the same screen pressed again
        await show_instead(ctx.bot, callback, text, markup)


# --- the coordinator's items ------------------------------------------------------------------


async def _list_view(
    ctx: UpdateContext, municipality_id: int, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    today = await deadlines.local_today(
        ctx.session, ctx.me.municipality_id, ctx.settings.timezone, datetime.now(UTC)
    )
    found = await deadline_views.item_page(ctx.session, ctx.me, municipality_id, page, today)
    return ctx.render("deadline_items.html", page=found), items_keyboard(found)


def labels(responsible: str, done_by: str) -> dict[str, str]:
    """Who answers for an item and what counts as done, in words."""
    return {
        "responsible_label": t(f"dl.responsible_{responsible}"),
        "done_by_label": t(f"dl.done_by_{done_by}"),
    }


def _number(raw: str) -> int:
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else 0


async def show_list(message: Message, ctx: UpdateContext) -> None:
    text, markup = await _list_view(ctx, 0, 0)
    await ctx.reply(text, markup)


async def cb_list(
    callback: CallbackQuery, callback_data: DeadlineAdminCb, ctx: UpdateContext
) -> None:
    text, markup = await _list_view(ctx, _number(callback_data.value), callback_data.page)
    await _show(callback, ctx, text, markup)


async def cb_new(
    callback: CallbackQuery,
    callback_data: DeadlineAdminCb,
    ctx: UpdateContext,
    dialog_manager: DialogManager,
) -> None:
    # Only a municipality the person manages: the list is the one that offers it.
    page = await deadline_views.item_page(
        ctx.session, ctx.me, _number(callback_data.value), 0, datetime.now(UTC).date()
    )
    await callback.answer()
    await open_form(dialog_manager, DeadlineEditor.title, {"municipality_id": page.municipality_id})


async def _card_view(ctx: UpdateContext, deadline_id: int) -> tuple[str, InlineKeyboardMarkup]:
    today = await deadlines.local_today(
        ctx.session, ctx.me.municipality_id, ctx.settings.timezone, datetime.now(UTC)
    )
    card = await deadline_views.item_card(ctx.session, ctx.me, deadline_id, today)
    text = ctx.render("deadline_card.html", card=card, **labels(card.responsible, card.done_by))
    return text, card_keyboard(card)


async def cb_card(
    callback: CallbackQuery, callback_data: DeadlineAdminCb, ctx: UpdateContext
) -> None:
    text, markup = await _card_view(ctx, callback_data.deadline_id)
    await _show(callback, ctx, text, markup)


async def cb_file(
    callback: CallbackQuery, callback_data: DeadlineAdminCb, ctx: UpdateContext
) -> None:
    found = await deadline_views.evidence(ctx.session, ctx.me, callback_data.task_id)
    await callback.answer()
    await ctx.bot.send_document(
        ctx.chat_id, found.file_id, caption=t("dl.evidence_caption", who=found.who)
    )


async def cb_remove(
    callback: CallbackQuery, callback_data: DeadlineAdminCb, ctx: UpdateContext
) -> None:
    deadline = await deadlines.managed_deadline(ctx.session, ctx.me, callback_data.deadline_id)
    if deadline.removed_at is not None:
        raise DomainError("dl.removed")
    await _show(
        callback,
        ctx,
        t("dl.remove_confirm", title=deadline.title),
        remove_keyboard(deadline.id),
    )


async def cb_remove_yes(
    callback: CallbackQuery, callback_data: DeadlineAdminCb, ctx: UpdateContext
) -> None:
    deadline = await deadlines.remove(ctx.session, ctx.me, callback_data.deadline_id)
    text, markup = await _list_view(ctx, deadline.municipality_id or 0, 0)
    await _show(callback, ctx, t("dl.removed_done") + "\n\n" + text, markup)


# --- the responsible people's tasks -----------------------------------------------------------


async def show_mine(message: Message, ctx: UpdateContext) -> None:
    tasks = await deadlines.my_tasks(ctx.session, ctx.me)
    today = datetime.now(UTC).date()
    await ctx.reply(
        ctx.render("deadline_my_tasks.html", tasks=tasks, today=today), my_tasks_keyboard(tasks)
    )


async def cb_task(callback: CallbackQuery, callback_data: TaskCb, ctx: UpdateContext) -> None:
    view = await deadlines.task_view(ctx.session, ctx.me, callback_data.task_id)
    await callback.answer()
    await ctx.reply(
        ctx.render("deadline_task.html", task=view),
        None if view.done else task_keyboard(view.task_id, view.done_by.value, view.stage),
    )


async def _ask(state: FSMContext, ctx: UpdateContext, task_id: int, file: bool) -> None:
    await state.set_state(TaskFlow.file if file else TaskFlow.comment)
    await state.set_data({"task_id": task_id})
    await ctx.reply(t("dl.ask_file" if file else "dl.ask_comment"))


async def _pending_task(
    callback: CallbackQuery, callback_data: TaskCb, ctx: UpdateContext
) -> deadlines.TaskView | None:
    """The pressed task, or None (and «already done» said) when it is done."""
    view = await deadlines.task_view(ctx.session, ctx.me, callback_data.task_id)
    await callback.answer()
    if view.done:
        await ctx.reply(t("dl.already_done"))
        return None
    return view


async def cb_done(
    callback: CallbackQuery, callback_data: TaskCb, state: FSMContext, ctx: UpdateContext
) -> None:
    view = await _pending_task(callback, callback_data, ctx)
    if view is None:
        return
    if view.done_by in (DoneBy.COMMENT, DoneBy.FILE):
        await _ask(state, ctx, view.task_id, view.done_by == DoneBy.FILE)
    else:
        await _completed(ctx, await deadlines.complete(ctx.session, ctx.me, view.task_id))


async def cb_comment(
    callback: CallbackQuery, callback_data: TaskCb, state: FSMContext, ctx: UpdateContext
) -> None:
    view = await _pending_task(callback, callback_data, ctx)
    if view is not None:
        await _ask(state, ctx, view.task_id, view.done_by == DoneBy.FILE)


async def cb_help(callback: CallbackQuery, callback_data: TaskCb, ctx: UpdateContext) -> None:
    request = await deadlines.request_help(ctx.session, ctx.me, callback_data.task_id)
    await send_help_request(ctx.session, ctx.settings, ctx.templates, request)
    await callback.answer()
    key = "dl.help_sent" if request.recipients else "dl.help_nobody"
    await ctx.reply(t(key))


async def _completed(ctx: UpdateContext, outcome: Outcome) -> None:
    await ctx.reply(t("dl.already_done" if outcome == Outcome.ALREADY else "dl.done_thanks"))


async def _task_id(state: FSMContext) -> int:
    return int((await state.get_data()).get("task_id", 0))


async def on_comment(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    """A refusal (empty, too long) keeps the state: the person types it again."""
    outcome = await deadlines.complete(
        ctx.session, ctx.me, await _task_id(state), comment=message.text or ""
    )
    await state.clear()
    await _completed(ctx, outcome)


async def on_file(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    if message.document is not None:
        document = message.document
        evidence = deadlines.check_evidence(
            document.file_id, document.file_name, document.file_size
        )
    else:
        assert message.photo  # the filter lets a document or a photo through
        photo = message.photo[-1]
        evidence = deadlines.check_evidence(
            photo.file_id, f"photo-{photo.file_unique_id}.jpg", photo.file_size
        )
    task_id = await _task_id(state)
    caption = (message.caption or "").strip() or None
    view = await deadlines.task_view(ctx.session, ctx.me, task_id)
    if caption is None and view.done_by == DoneBy.COMMENT:
        raise DomainError("dl.comment_empty")
    outcome = await deadlines.complete(ctx.session, ctx.me, task_id, comment=caption, file=evidence)
    await state.clear()
    await _completed(ctx, outcome)


async def on_file_comment_only(message: Message, state: FSMContext, ctx: UpdateContext) -> None:
    """Text where a file is wanted: for an item done «with a file» the file is required."""
    view = await deadlines.task_view(ctx.session, ctx.me, await _task_id(state))
    if view.done_by == DoneBy.FILE:
        await ctx.reply(t("dl.file_needed"))
        return
    await on_comment(message, state, ctx)


async def on_other(message: Message, ctx: UpdateContext) -> None:
    await ctx.reply(t("dl.send_text"))


async def on_not_a_file(message: Message, ctx: UpdateContext) -> None:
    """A sticker, voice or video where the evidence file is awaited."""
    await ctx.reply(t("dl.file_needed"))
