from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import AudienceCb, BroadcastCb
from bot.texts import t

PAGE_SIZE = 8


def _button(text: str, data: BroadcastCb | AudienceCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def start_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("broadcast.new"), BroadcastCb(action="new"))],
            [_button(t("broadcast.history"), BroadcastCb(action="history"))],
        ]
    )


def audience_keyboard(selected: dict[str, int], kinds: Sequence[str]) -> InlineKeyboardMarkup:
    """The editor's top level: one button per kind of segment, with how many are chosen."""
    rows = [
        [
            _button(
                t(f"broadcast.kind.{kind}")
                + (f" · {selected[kind]}" if selected.get(kind) else ""),
                AudienceCb(kind=kind, value=-1),
            )
        ]
        for kind in kinds
    ]
    rows.append([_button(t("broadcast.audience_reset"), BroadcastCb(action="reset"))])
    rows.append([_button(t("broadcast.to_preview"), BroadcastCb(action="preview"))])
    rows.append([_button(t("broadcast.cancel_draft"), BroadcastCb(action="drop"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def choices_keyboard(
    kind: str, options: Sequence[tuple[int, str, bool]], page: int
) -> InlineKeyboardMarkup:
    pages = max(1, (len(options) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    rows = [
        [
            _button(
                ("✅ " if chosen else "▫️ ") + label, AudienceCb(kind=kind, value=value, page=page)
            )
        ]
        for value, label, chosen in options[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    ]
    nav = []
    if page > 0:
        nav.append(_button("◀", AudienceCb(kind=kind, value=-1, page=page - 1)))
    if page < pages - 1:
        nav.append(_button("▶", AudienceCb(kind=kind, value=-1, page=page + 1)))
    if nav:
        rows.append(nav)
    rows.append([_button(t("broadcast.back"), BroadcastCb(action="audience"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def preview_keyboard(can_send: bool) -> InlineKeyboardMarkup:
    rows = []
    if can_send:
        rows.append([_button(t("broadcast.send_now"), BroadcastCb(action="send"))])
        rows.append([_button(t("broadcast.schedule"), BroadcastCb(action="schedule"))])
    rows.append([_button(t("broadcast.edit_audience"), BroadcastCb(action="audience"))])
    rows.append([_button(t("broadcast.cancel_draft"), BroadcastCb(action="drop"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def progress_keyboard(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("broadcast.stop"), BroadcastCb(action="stop", value=broadcast_id))]
        ]
    )


def report_keyboard(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(
                    t("broadcast.failures_file"), BroadcastCb(action="report", value=broadcast_id)
                )
            ]
        ]
    )


def history_keyboard(broadcast_ids: Sequence[int]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("broadcast.report_of", number=b), BroadcastCb(action="report", value=b))]
            for b in broadcast_ids
        ]
    )
