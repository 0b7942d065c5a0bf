from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import RosterCb
from bot.texts import t


def intro_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("roster.template_button"),
                    callback_data=RosterCb(action="template").pack(),
                )
            ]
        ]
    )


def report_keyboard(upload_id: int, *, can_apply: bool) -> InlineKeyboardMarkup:
    buttons = []
    if can_apply:
        buttons.append(
            InlineKeyboardButton(
                text=t("roster.apply_button"),
                callback_data=RosterCb(action="apply", upload_id=upload_id).pack(),
            )
        )
    buttons.append(
        InlineKeyboardButton(
            text=t("roster.cancel_button"),
            callback_data=RosterCb(action="cancel", upload_id=upload_id).pack(),
        )
    )
    return InlineKeyboardMarkup(inline_keyboard=[buttons])
