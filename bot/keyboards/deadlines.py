"""Buttons of deadlines: a task's answers (for the responsible people), the coordinator's list
of the year's items, an item's card and its removal."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import DeadlineAdminCb, TaskCb
from bot.keyboards import short_label
from bot.services.deadline_views import ItemCard, ItemPage
from bot.services.deadlines import TaskView
from bot.texts import plain, t
from storage.models import DoneBy


def _task(text: str, action: str, task_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=plain(text), callback_data=TaskCb(action=action, task_id=task_id).pack()
    )


def _admin(text: str, action: str, **fields: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=plain(text),
        callback_data=DeadlineAdminCb(action=action, **fields).pack(),
    )


def task_keyboard(
    task_id: int, done_by: str, stage: bool, locale: str | None = None
) -> InlineKeyboardMarkup:
    """«Выполнено», «С комментарием», «Нужна помощь»; a record-checked item has no
    «Выполнено» (the records say it), a monitoring stage offers its scenario."""
    rows: list[list[InlineKeyboardButton]] = []
    if done_by != DoneBy.RECORDS.value:
        rows.append([_task(t("dl.button_done", locale=locale), "done", task_id)])
        rows.append([_task(t("dl.button_with_comment", locale=locale), "comment", task_id)])
    elif stage:
        rows.append([_task(t("dl.button_stage", locale=locale), "stage", task_id)])
    rows.append([_task(t("dl.button_help", locale=locale), "help", task_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def my_tasks_keyboard(tasks: list[TaskView]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_task(f"📌 {short_label(task.title)}", "card", task.task_id)] for task in tasks[:50]
        ]
    )


def items_keyboard(page: ItemPage) -> InlineKeyboardMarkup:
    mun = str(page.municipality_id)
    rows = [
        [
            _admin(
                ("🔴 " if line.overdue else "") + short_label(line.title),
                "card",
                deadline_id=line.deadline_id,
            )
        ]
        for line in page.lines
    ]
    nav = []
    if page.page > 0:
        nav.append(_admin("◀", "list", page=page.page - 1, value=mun))
    if page.page < page.pages - 1:
        nav.append(_admin("▶", "list", page=page.page + 1, value=mun))
    if nav:
        rows.append(nav)
    rows.append([_admin(t("dl.button_add"), "new", value=mun)])
    # An admin of a large region: the first municipalities by name (a keyboard holds 100).
    rows.extend(
        [_admin(f"↪ {short_label(name)}", "list", value=str(mid))] for mid, name in page.others[:40]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card_keyboard(card: ItemCard) -> InlineKeyboardMarkup:
    rows = [
        [_admin(t("dl.button_evidence", who=short_label(task.who)), "file", task_id=task.task_id)]
        for task in card.tasks
        if task.evidence
    ]
    rows.append([_admin(t("dl.button_remove"), "remove", deadline_id=card.deadline_id)])
    rows.append([_admin(t("dl.button_back"), "list", value=str(card.municipality_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def remove_keyboard(deadline_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_admin(t("dl.button_remove_yes"), "remove_yes", deadline_id=deadline_id)],
            [_admin(t("dl.button_back"), "card", deadline_id=deadline_id)],
        ]
    )
