"""Buttons of the self-check screens: the teacher's, the tutor's and the coordinator's."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import EventCb, SelfCheckCb
from bot.keyboards import paged_rows, short_label
from bot.services.self_check import Overview, RouteBlock, TeacherLine
from bot.texts import plain, t
from storage.models import Municipality, RouteItemKind

# Buttons of the route screen: a route longer than this is marked done a screen at a time.
ROUTE_BUTTONS = 12


def _button(text: str, action: str, value: int = 0, page: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=plain(text),
        callback_data=SelfCheckCb(action=action, value=value, page=page).pack(),
    )


def overview_keyboard(overview: Overview) -> InlineKeyboardMarkup:
    if overview.unfinished_position is not None:
        start = t(
            "self_check.button_continue",
            position=overview.unfinished_position,
            total=overview.unfinished_total,
        )
    else:
        start = t("self_check.button_start")
    rows = [[_button(start, "start")]]
    if overview.last is not None:
        rows.append([_button(t("self_check.button_profile"), "profile")])
    rows.append([_button(t("self_check.button_route"), "route")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _topic_buttons(route: Sequence[RouteBlock]) -> list[list[InlineKeyboardButton]]:
    return [
        [_button(t("self_check.button_topic", block=short_label(block.title)), "topic", entry.id)]
        for block in route
        for entry in block.of_kind(RouteItemKind.TUTOR_TOPIC)
        if not entry.done
    ]


def _event_buttons(route: Sequence[RouteBlock]) -> list[list[InlineKeyboardButton]]:
    """«Подробнее» of each upcoming event in the route (its card, where one registers)."""
    shown: set[int] = set()
    rows = []
    for block in route:
        for event in block.events:
            if event.event_id in shown:
                continue
            shown.add(event.event_id)
            rows.append(
                [
                    InlineKeyboardButton(
                        text=plain(f"📅 {short_label(event.title)}"),
                        callback_data=EventCb(action="card", event_id=event.event_id).pack(),
                    )
                ]
            )
    return rows


def result_keyboard(route: Sequence[RouteBlock]) -> InlineKeyboardMarkup:
    rows = _topic_buttons(route) + _event_buttons(route)
    rows.append([_button(t("self_check.button_route"), "route")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def route_keyboard(route: Sequence[RouteBlock]) -> InlineKeyboardMarkup | None:
    rows = _topic_buttons(route) + _event_buttons(route)
    undone = [entry for block in route for entry in block.entries if not entry.done]
    rows.extend(
        [_button(t("self_check.button_done", title=short_label(entry.title)), "done", entry.id)]
        for entry in undone[:ROUTE_BUTTONS]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def teachers_keyboard(lines: Sequence[TeacherLine], page: int) -> InlineKeyboardMarkup:
    rows = paged_rows(
        lines,
        page,
        lambda line: _button(short_label(line.person.full_name or "—"), "teacher", line.person.id),
        lambda arrow, number: _button(arrow, "teachers", 0, number),
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def teacher_profile_keyboard(teacher_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(t("self_check.button_add_note"), "note", teacher_id)]]
    )


def municipalities_keyboard(found: Sequence[Municipality]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(short_label(m.name), "mun", m.id)] for m in found]
    )


def summary_keyboard(municipality_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("self_check.button_remind"), "remind", municipality_id)],
            [_button(t("self_check.button_missing"), "missing", municipality_id)],
            [_button(t("self_check.button_heat_map"), "heat", municipality_id)],
            [_button(t("self_check.button_shares"), "shares", municipality_id)],
            [_button(t("self_check.button_xlsx"), "xlsx", municipality_id)],
        ]
    )


def missing_keyboard(municipality_id: int, page: int, pages: int) -> InlineKeyboardMarkup | None:
    nav = []
    if page > 0:
        nav.append(_button("◀", "missing", municipality_id, page - 1))
    if page < pages - 1:
        nav.append(_button("▶", "missing", municipality_id, page + 1))
    return InlineKeyboardMarkup(inline_keyboard=[nav]) if nav else None
