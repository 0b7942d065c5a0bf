"""Buttons of the profile and of /forget."""

from __future__ import annotations

from collections.abc import Iterable

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import LanguageCb, PrivacyCb
from bot.texts import t


def _button(key: str, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=t(key), callback_data=PrivacyCb(action=action).pack())


def profile_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button("privacy.button_download", "download")],
            [_button("privacy.button_forget", "forget")],
            [_button("privacy.button_language", "language")],
        ]
    )


def forget_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button("privacy.forget_yes", "forget_yes")],
            [_button("privacy.forget_no", "forget_no")],
        ]
    )


def language_keyboard(locales: Iterable[str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t(f"language.{locale}"), callback_data=LanguageCb(locale=locale).pack()
                )
                for locale in locales
            ]
        ]
    )
