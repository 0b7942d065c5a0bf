"""Buttons of surveys: the coordinator's list and card, «Ответить», the guest's consent."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import SurveyCb
from bot.keyboards import short_label
from bot.texts import plain, t


def _button(text: str, data: SurveyCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=plain(text), callback_data=data.pack())


def list_keyboard(items: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    """A button per survey (id, label), then «➕ Новый опрос»."""
    rows = [
        [_button(short_label(label), SurveyCb(action="card", survey_id=survey_id))]
        for survey_id, label in items
    ]
    rows.append([_button(t("surveys_admin.new"), SurveyCb(action="new"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card_keyboard(survey_id: int, *, open_: bool, public: bool) -> InlineKeyboardMarkup:
    def b(key: str, action: str) -> InlineKeyboardButton:
        return _button(t(key), SurveyCb(action=action, survey_id=survey_id))

    rows = [[b("surveys_admin.refresh", "card")]]
    if open_:
        rows.append([b("surveys_admin.remind", "remind")])
    rows.append([b("surveys_admin.summary", "summary"), b("surveys_admin.xlsx", "xlsx")])
    if public and open_:
        rows.append([b("surveys_admin.link", "link")])
    if open_:
        rows.append([b("surveys_admin.close", "close")])
    rows.append([b("surveys_admin.back_to_list", "list")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def answer_keyboard(survey_id: int, locale: str | None = None) -> InlineKeyboardMarkup:
    label = t("surveys_admin.answer", locale=locale)
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(label, SurveyCb(action="answer", survey_id=survey_id))]]
    )


def summary_keyboard(survey_id: int, locale: str | None = None) -> InlineKeyboardMarkup:
    label = t("surveys_admin.summary", locale=locale)
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(label, SurveyCb(action="summary", survey_id=survey_id))]]
    )


def my_surveys_keyboard(items: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(
                    t("surveys_admin.answer_one", title=short_label(title)),
                    SurveyCb(action="answer", survey_id=survey_id),
                )
            ]
            for survey_id, title in items
        ]
    )


def guest_consent_keyboard(code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("surveys_admin.guest_agree"), SurveyCb(action="guest", code=code))]
        ]
    )
