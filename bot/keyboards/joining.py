from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.callbacks import ConsentCb, JoinDecisionCb, JoinPickCb
from bot.keyboards import paged_rows
from bot.texts import t
from storage.models import Municipality, School


def consent_keyboard(code: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("consent.agree"), callback_data=ConsentCb(agree=True, code=code).pack()
                )
            ],
            [
                InlineKeyboardButton(
                    text=t("consent.decline"), callback_data=ConsentCb(agree=False).pack()
                )
            ],
        ]
    )


def identify_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=t("join.share_phone"), request_contact=True)],
            [KeyboardButton(text=t("join.request_button"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def _paged(items: Sequence[tuple[int, str]], what: str, page: int) -> InlineKeyboardMarkup:
    def pick(data: JoinPickCb, text: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(text=text, callback_data=data.pack())

    rows = paged_rows(
        items,
        page,
        lambda item: pick(JoinPickCb(what=what, value=item[0]), item[1]),
        lambda arrow, to: pick(JoinPickCb(what=f"{what}_page", value=to), arrow),
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def municipalities_keyboard(
    municipalities: Sequence[Municipality], page: int = 0
) -> InlineKeyboardMarkup:
    return _paged([(m.id, m.name) for m in municipalities], "mun", page)


def schools_keyboard(schools: Sequence[School], page: int = 0) -> InlineKeyboardMarkup:
    return _paged([(s.id, s.label) for s in schools], "school", page)


def skip_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("join.skip"), callback_data=JoinPickCb(what="skip").pack()
                )
            ]
        ]
    )


def decision_keyboard(request_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=t("join.approve"),
                    callback_data=JoinDecisionCb(request_id=request_id, approve=True).pack(),
                ),
                InlineKeyboardButton(
                    text=t("join.decline"),
                    callback_data=JoinDecisionCb(request_id=request_id, approve=False).pack(),
                ),
            ]
        ]
    )
