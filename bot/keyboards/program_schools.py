"""Buttons of «Школы программы»: the municipality (admins), the year, a school's marks."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import ProgramCb
from bot.keyboards import paged_rows, short_label
from bot.services.program_years import Mark, SchoolMark, YearSchools
from bot.texts import t
from storage.models import Municipality, ProgramLevel, YearKind

# Schools a page: each takes two rows (its name, then its marks).
SCHOOLS_PER_PAGE = 6


def _button(
    text: str, action: str, *, school_id: int = 0, year: int = 0, page: int = 0, value: str = ""
) -> InlineKeyboardButton:
    data = ProgramCb(action=action, school_id=school_id, year=year, page=page, value=value)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def year_label(kind: YearKind, year: int) -> str:
    if kind == YearKind.SCHOOL:
        return t("program.school_year", first=year, second=year + 1)
    return t("program.calendar_year", year=year)


def municipalities_keyboard(
    municipalities: Sequence[Municipality], page: int = 0
) -> InlineKeyboardMarkup:
    rows = paged_rows(
        municipalities,
        page,
        lambda m: _button(m.name, "year", value=str(m.id)),
        lambda arrow, to: _button(arrow, "muns", page=to),
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _tick(on: bool) -> str:
    return "✅" if on else "▫️"


def _school_rows(school: SchoolMark, year: int, page: int) -> list[list[InlineKeyboardButton]]:
    def mark(text: str, which: Mark) -> InlineKeyboardButton:
        return _button(text, "mark", school_id=school.school_id, year=year, page=page, value=which)

    rows = [[mark(f"{_tick(school.takes_part)} {short_label(school.name)}", Mark.PART)]]
    if school.takes_part:
        level = (
            "program.level_regional"
            if school.level == ProgramLevel.REGIONAL
            else ("program.level_municipal")
        )
        rows.append(
            [
                mark(f"{_tick(school.low_results)} {t('program.nro')}", Mark.LOW_RESULTS),
                mark(
                    f"{_tick(school.unfavourable_conditions)} {t('program.nsu')}",
                    Mark.CONDITIONS,
                ),
                mark(f"🔁 {t(level)}", Mark.LEVEL),
            ]
        )
    return rows


def schools_keyboard(
    view: YearSchools, page: int, *, many_municipalities: bool
) -> InlineKeyboardMarkup:
    where = str(view.municipality_id)
    rows = [
        [
            _button(
                ("• " if year == view.year else "") + year_label(view.kind, year),
                "year",
                year=year,
                value=where,
            )
            for year in view.years
        ]
    ]
    pages = max(1, (len(view.schools) + SCHOOLS_PER_PAGE - 1) // SCHOOLS_PER_PAGE)
    page = min(max(page, 0), pages - 1)
    for school in view.schools[page * SCHOOLS_PER_PAGE : (page + 1) * SCHOOLS_PER_PAGE]:
        rows.extend(_school_rows(school, view.year, page))
    turn = []
    if page > 0:
        turn.append(_button("◀", "year", year=view.year, page=page - 1, value=where))
    if page < pages - 1:
        turn.append(_button("▶", "year", year=view.year, page=page + 1, value=where))
    if turn:
        rows.append(turn)
    rows.append(
        [
            _button(
                t("program.copy_button", year=year_label(view.kind, view.year - 1)),
                "copy",
                year=view.year,
                value=where,
            )
        ]
    )
    if many_municipalities:
        rows.append([_button(t("program.back_button"), "muns")])
    return InlineKeyboardMarkup(inline_keyboard=rows)
