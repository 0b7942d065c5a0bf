"""Buttons of the admin's municipalities screen."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import AdminCb, MunicipalitySettingsCb
from bot.keyboards import paged_rows
from bot.services.admin import SCHOOL_FLAGS
from bot.texts import t
from storage.models import Municipality

FLAG_KEYS = {
    "low_results": "admin.flag_low_results",
    "unfavourable_conditions": "admin.flag_unfavourable_conditions",
    "is_leader": "admin.flag_is_leader",
}


def _button(text: str, action: str, value: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=AdminCb(action=action, value=value).pack())


def overview_keyboard(has_municipalities: bool) -> InlineKeyboardMarkup:
    rows = [[_button(t("admin.add_municipality_button"), "add_mun")]]
    if has_municipalities:
        rows.append([_button(t("admin.invite_coordinator_button"), "coord")])
        rows.append([_button(t("admin.add_school_button"), "school")])
        # Handled by the deadlines screen (bot/handlers/municipality_settings.py).
        deadlines = MunicipalitySettingsCb(action="list").pack()
        rows.append(
            [InlineKeyboardButton(text=t("deadlines.admin_button"), callback_data=deadlines)]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def municipalities_keyboard(
    municipalities: Sequence[Municipality], purpose: str, page: int = 0
) -> InlineKeyboardMarkup:
    """Pick a municipality for `purpose` (`coord_mun` or `school_mun`)."""
    rows = paged_rows(
        municipalities,
        page,
        lambda m: _button(m.name, purpose, m.id),
        lambda arrow, to: _button(arrow, f"{purpose}_page", to),
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def school_flags_keyboard(flags: Sequence[str]) -> InlineKeyboardMarkup:
    rows = [
        [_button(("✅ " if flag in flags else "▫️ ") + t(FLAG_KEYS[flag]), "flag", index)]
        for index, flag in enumerate(SCHOOL_FLAGS)
    ]
    rows.append([_button(t("admin.save_school_button"), "save")])
    return InlineKeyboardMarkup(inline_keyboard=rows)
