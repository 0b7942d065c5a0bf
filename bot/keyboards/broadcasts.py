"""The broadcasts menu and the buttons of sent broadcasts (the composer is a form:
`bot.dialogs.broadcast_composer`)."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import BroadcastCb
from bot.texts import t


def _button(text: str, data: BroadcastCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def start_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("broadcast.new"), BroadcastCb(action="new"))],
            [_button(t("broadcast.history"), BroadcastCb(action="history"))],
        ]
    )


def progress_keyboard(broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("broadcast.stop"), BroadcastCb(action="stop", value=broadcast_id))]
        ]
    )


def report_keyboard(
    broadcast_id: int, *, undelivered: bool, unjoined: bool
) -> InlineKeyboardMarkup | None:
    """The report's files: those it did not reach, and those who never joined the bot."""
    rows = []
    if undelivered:
        rows.append(
            [
                _button(
                    t("broadcast.failures_file"), BroadcastCb(action="report", value=broadcast_id)
                )
            ]
        )
    if unjoined:
        rows.append(
            [
                _button(
                    t("broadcast.unjoined_file"), BroadcastCb(action="unjoined", value=broadcast_id)
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def history_keyboard(broadcast_ids: Sequence[int]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("broadcast.report_of", number=b), BroadcastCb(action="report", value=b))]
            for b in broadcast_ids
        ]
    )
