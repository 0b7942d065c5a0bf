"""Buttons of the KPI report: the place picker (admins: the region or a municipality), the year
picker, «Диаграмма» and «Excel»."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import KpiCb
from bot.keyboards import short_label
from bot.texts import plain, t


def _kp(text: str, action: str, municipality_id: int = 0, year: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=plain(text),
        callback_data=KpiCb(action=action, municipality_id=municipality_id, year=year).pack(),
    )


def places_keyboard(
    with_region: bool, municipalities: Sequence[tuple[int, str]], year: int
) -> InlineKeyboardMarkup:
    rows = [[_kp(t("kpi.region_button"), "show", 0, year)]] if with_region else []
    buttons = [_kp(short_label(name), "show", m_id, year) for m_id, name in municipalities]
    rows.extend(buttons[i : i + 2] for i in range(0, len(buttons), 2))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def report_keyboard(
    municipality_id: int, year: int, years: Sequence[int], *, can_pick: bool
) -> InlineKeyboardMarkup:
    rows = [
        [
            _kp(
                ("• " if y == year else "") + t("kpi.button_year", year=y),
                "show",
                municipality_id,
                y,
            )
            for y in years
        ],
        [
            _kp(t("kpi.button_chart"), "chart", municipality_id, year),
            _kp(t("kpi.button_xlsx"), "xlsx", municipality_id, year),
        ],
    ]
    if can_pick:
        rows.append([_kp(t("kpi.button_places"), "places", 0, year)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
