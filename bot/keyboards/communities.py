"""Buttons of network communities: join/leave for teachers, management for coordinators."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import CommunityCb
from bot.keyboards import short_label
from bot.services.communities import CommunityView
from bot.texts import plain, t
from storage.models import Municipality


def teacher_keyboard(views: Sequence[CommunityView]) -> InlineKeyboardMarkup:
    rows = []
    for view in views:
        key = "communities.button_leave" if view.is_member else "communities.button_join"
        action = "leave" if view.is_member else "join"
        rows.append(
            [
                InlineKeyboardButton(
                    text=plain(t(key, name=short_label(view.community.name))),
                    callback_data=CommunityCb(action=action, community_id=view.community.id).pack(),
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def manage_keyboard(
    views: Sequence[CommunityView], municipalities: Sequence[Municipality]
) -> InlineKeyboardMarkup:
    """For the «add» action `community_id` carries the municipality to add to (a coordinator
    may run several municipalities)."""
    rows = []
    for view in views:
        active = view.community.is_active
        key = "communities.button_deactivate" if active else "communities.button_activate"
        rows.append(
            [
                InlineKeyboardButton(
                    text=plain(t(key, name=short_label(view.community.name))),
                    callback_data=CommunityCb(
                        action="deactivate" if active else "activate",
                        community_id=view.community.id,
                    ).pack(),
                )
            ]
        )
    for municipality in municipalities:
        text = (
            t("communities.button_add")
            if len(municipalities) == 1
            else plain(t("communities.button_add_in", municipality=municipality.name))
        )
        rows.append(
            [
                InlineKeyboardButton(
                    text=text,
                    callback_data=CommunityCb(action="add", community_id=municipality.id).pack(),
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def skip_description_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("communities.button_skip_description"),
                    callback_data=CommunityCb(action="skip_description").pack(),
                )
            ]
        ]
    )
