from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.callbacks import ConsentCb, JoinDecisionCb, JoinPickCb
from bot.texts import t
from storage.models import Municipality, School

PAGE_SIZE = 8


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
    pages = max(1, (len(items) + PAGE_SIZE - 1) // PAGE_SIZE)
    page = min(max(page, 0), pages - 1)
    chunk = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    rows = [
        [
            InlineKeyboardButton(
                text=label, callback_data=JoinPickCb(what=what, value=item_id).pack()
            )
        ]
        for item_id, label in chunk
    ]
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                text="◀", callback_data=JoinPickCb(what=f"{what}_page", value=page - 1).pack()
            )
        )
    if page < pages - 1:
        nav.append(
            InlineKeyboardButton(
                text="▶", callback_data=JoinPickCb(what=f"{what}_page", value=page + 1).pack()
            )
        )
    if nav:
        rows.append(nav)
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
