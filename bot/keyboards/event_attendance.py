"""Buttons of the attendance list, the check-in code screen and the event reports."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import AttendanceCb, EventReportCb
from bot.keyboards import short_label
from bot.services.event_attendance import AttendancePage, Choice
from bot.texts import plain, t


def _at(
    text: str, action: str, event_id: int, session_id: int = 0, **extra: int
) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=plain(text),
        callback_data=AttendanceCb(
            action=action, event_id=event_id, session_id=session_id, **extra
        ).pack(),
    )


def _er(text: str, action: str, **fields: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=plain(text), callback_data=EventReportCb(action=action, **fields).pack()
    )


def attendance_keyboard(page: AttendancePage) -> InlineKeyboardMarkup:
    event, part = page.event_id, page.session_id
    rows = [
        [
            _at(
                f"{'✅' if person.attended else '▫️'} {short_label(person.name)}"
                + ("" if person.registered else " *"),
                "toggle",
                event,
                part,
                person_id=person.person_id,
                page=page.page,
            )
        ]
        for person in page.people
    ]
    nav = []
    if page.page > 0:
        nav.append(_at("◀", "list", event, part, page=page.page - 1))
    if page.page < page.pages - 1:
        nav.append(_at("▶", "list", event, part, page=page.page + 1))
    if nav:
        rows.append(nav)
    search = [_at(t("event_attendance.button_search"), "search", event, part)]
    if page.search:
        search.append(_at(t("event_attendance.button_all"), "all", event, part))
    rows.append(search)
    rows.append([_at(t("event_attendance.button_code"), "code", event, part)])
    if part:
        rows.append([_at(t("event_attendance.button_whole_event"), "list", event)])
    else:
        rows.extend(
            [
                _at(
                    t("event_attendance.button_session", title=short_label(title)),
                    "list",
                    event,
                    sid,
                )
            ]
            for sid, title in page.sessions
        )
    rows.append([_er(t("event_reports.button_event"), "event", event_id=event)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def code_keyboard(event_id: int, session_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_at(t("event_attendance.button_new_code"), "regen", event_id, session_id)],
            [_at(t("event_attendance.button_to_list"), "list", event_id, session_id)],
        ]
    )


def choice_keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_at(short_label(c.title), "pick", c.event_id, c.session_id)] for c in choices
        ]
    )


def event_report_keyboard(event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_at(t("event_attendance.button_mark"), "list", event_id)],
            [_er(t("event_reports.button_refresh"), "event", event_id=event_id)],
        ]
    )


def year_keyboard(year: int, gaps: int) -> InlineKeyboardMarkup:
    rows = [
        [
            _er(f"◀ {year - 1}", "year", year=year - 1),
            _er(f"{year + 1} ▶", "year", year=year + 1),
        ]
    ]
    if gaps:
        rows.append([_er(t("event_reports.button_schools", count=gaps), "schools", year=year)])
    rows.append([_er(t("event_reports.button_xlsx"), "xlsx", year=year)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
