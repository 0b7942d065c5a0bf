"""Buttons of the coordinator's invite dialog."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import InviteCb
from bot.keyboards import paged_rows
from bot.texts import t
from storage.models import Person, Role, School


def _button(text: str, action: str, value: int = 0, extra: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=InviteCb(action=action, value=value, extra=extra).pack()
    )


def invites_menu_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("invites.personal_button"), "person")],
            [_button(t("invites.school_button"), "school")],
        ]
    )


def people_keyboard(people: Sequence[Person]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(p.full_name or str(p.id), "pick", p.id)] for p in people]
    )


def roles_keyboard(action: str, value: int, roles: Sequence[Role]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("role." + role.value), action, value, role.value)] for role in roles
        ]
    )


def schools_keyboard(schools: Sequence[School], page: int = 0) -> InlineKeyboardMarkup:
    rows = paged_rows(
        schools,
        page,
        lambda school: _button(school.label, "sch", school.id),
        lambda arrow, to: _button(arrow, "spage", to),
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)
