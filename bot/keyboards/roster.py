from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import RosterCb
from bot.texts import plain, t


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


def report_keyboard(
    upload_id: int, *, can_apply: bool, other_municipalities: Sequence[tuple[int, str]] = ()
) -> InlineKeyboardMarkup:
    """Apply / cancel, and for a coordinator of several municipalities: check the file for
    another one instead."""
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
    rows = [
        [
            InlineKeyboardButton(
                text=plain(t("roster.for_municipality_button", name=name)),
                callback_data=RosterCb(
                    action="for", upload_id=upload_id, municipality_id=municipality_id
                ).pack(),
            )
        ]
        for municipality_id, name in other_municipalities
    ]
    return InlineKeyboardMarkup(inline_keyboard=[buttons, *rows])
