"""Buttons of the status board (filters, paging, the view by school or person, the picture),
the admin's municipalities, and the monitoring stages with their reports."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import BoardCb, DeadlineAdminCb
from bot.keyboards import short_label
from bot.services.monitoring_report import StageRef
from bot.services.status_board import FILTERS, Board, Overview
from bot.texts import plain, t


def _bd(text: str, action: str, **fields: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=plain(text),
        callback_data=BoardCb(action=action, **fields).pack(),
    )


def _da(text: str, action: str, **fields: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=plain(text),
        callback_data=DeadlineAdminCb(action=action, **fields).pack(),
    )


def board_keyboard(board: Board) -> InlineKeyboardMarkup:
    where = {"municipality_id": board.municipality_id, "year": board.year}
    action = "who" if board.view == "who" else "open"
    filters = [
        _bd(
            ("• " if name == board.filter else "") + t(f"board.filter.{name}"),
            action,
            **where,
            value=name,
        )
        for name in FILTERS
    ]
    rows = [filters[:3], filters[3:]]
    paging = []
    if board.page > 0:
        paging.append(_bd("◀", action, **where, value=board.filter, page=board.page - 1))
    if board.page + 1 < board.pages:
        paging.append(_bd("▶", action, **where, value=board.filter, page=board.page + 1))
    if paging:
        rows.append(paging)
    other = "open" if board.view == "who" else "who"
    rows.append(
        [
            _bd(t(f"board.button.{other}"), other, **where, value=board.filter),
            _bd(t("board.button_png"), "png", **where, value=board.filter),
        ]
    )
    rows.append(
        [
            _bd(f"◀ {board.year - 1}", action, municipality_id=board.municipality_id,
                year=board.year - 1, value=board.filter),
            _bd(f"{board.year + 1} ▶", action, municipality_id=board.municipality_id,
                year=board.year + 1, value=board.filter),
        ]
    )  # fmt: skip
    last = [_da(t("board.button_monitoring"), "mon_year", year=board.year,
                value=str(board.municipality_id))]  # fmt: skip
    if board.admin:
        last.append(_bd(t("board.button_municipalities"), "muns", year=board.year))
    rows.append(last)
    return InlineKeyboardMarkup(inline_keyboard=rows)


def overview_keyboard(overview: Overview) -> InlineKeyboardMarkup:
    rows = [
        [_bd(short_label(line.name), "open", municipality_id=line.municipality_id,
             year=overview.year)]
        for line in overview.municipalities
    ]  # fmt: skip
    paging = []
    if overview.page > 0:
        paging.append(_bd("◀", "muns", year=overview.year, page=overview.page - 1))
    if overview.page + 1 < overview.pages:
        paging.append(_bd("▶", "muns", year=overview.year, page=overview.page + 1))
    if paging:
        rows.append(paging)
    rows.append(
        [
            _bd(f"◀ {overview.year - 1}", "muns", year=overview.year - 1),
            _bd(f"{overview.year + 1} ▶", "muns", year=overview.year + 1),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def stages_keyboard(
    municipality_id: int, year: int, stages: Sequence[StageRef]
) -> InlineKeyboardMarkup:
    rows = [
        [_da(f"📊 {stage.title}", "mon_report", deadline_id=stage.deadline_id)] for stage in stages
    ]
    rows.append(
        [
            _da(f"◀ {year - 1}", "mon_year", year=year - 1, value=str(municipality_id)),
            _da(f"{year + 1} ▶", "mon_year", year=year + 1, value=str(municipality_id)),
        ]
    )
    rows.append([_bd(t("board.button_back"), "open", municipality_id=municipality_id, year=year)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def stage_report_keyboard(
    deadline_id: int, municipality_id: int, year: int
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_da(t("monitoring.button_xlsx"), "mon_xlsx", deadline_id=deadline_id)],
            [_da(t("monitoring.button_stages"), "mon_year", year=year, value=str(municipality_id))],
        ]
    )
