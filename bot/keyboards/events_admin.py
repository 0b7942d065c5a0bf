"""Buttons of the organiser's events: the shelves and pages of their list, an event's card, the
confirmation of a cancel, the edit menu; and the announcement's «Записаться» / «Подробнее»."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import AttendanceCb, EventAdminCb, EventCb, EventReportCb
from bot.keyboards import short_label
from bot.texts import plain, t
from storage.models import EventStatus

# The fields «✏️ Изменить» offers, in the card's order (a «десант» adds its program).
EDITABLE = (
    "title",
    "when",
    "hours",
    "form",
    "place",
    "capacity",
    "deadline",
    "reminders",
    "audience",
    "description",
    "organiser",
    "topics",
)


def _b(
    text: str, data: EventAdminCb | EventCb | AttendanceCb | EventReportCb
) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=plain(text), callback_data=data.pack())


def list_keyboard(
    shelf: str, page: int, pages: int, items: Sequence[tuple[int, str]], shelves: Sequence[str]
) -> InlineKeyboardMarkup:
    rows = [
        [_b(short_label(label), EventAdminCb(action="card", event_id=event_id))]
        for event_id, label in items
    ]
    paging = []
    if page > 0:
        paging.append(_b("◀️", EventAdminCb(action="list", page=page - 1, value=shelf)))
    if page + 1 < pages:
        paging.append(_b("▶️", EventAdminCb(action="list", page=page + 1, value=shelf)))
    if paging:
        rows.append(paging)
    rows.append(
        [
            _b(t(f"events_admin.shelf.{name}"), EventAdminCb(action="list", value=name))
            for name in shelves
            if name != shelf
        ]
    )
    rows.append(
        [
            _b(t("events_admin.button_new"), EventAdminCb(action="new")),
            # year 0: the current year in the organiser's zone.
            _b(t("event_reports.button_year"), EventReportCb(action="year")),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card_keyboard(event_id: int, status: EventStatus, *, ended: bool) -> InlineKeyboardMarkup:
    def b(key: str, action: str) -> InlineKeyboardButton:
        return _b(t(key), EventAdminCb(action=action, event_id=event_id))

    rows: list[list[InlineKeyboardButton]] = []
    if status is EventStatus.DRAFT:
        rows.append([b("events_admin.button_publish", "publish")])
    if status in (EventStatus.DRAFT, EventStatus.PUBLISHED) and not ended:
        rows.append(
            [b("events_admin.button_edit", "edit"), b("events_admin.button_cancel", "cancel")]
        )
    if status in (EventStatus.PUBLISHED, EventStatus.HELD):
        rows.append(
            [
                _b(
                    t("events_admin.button_attendance"),
                    AttendanceCb(action="list", event_id=event_id),
                ),
                _b(t("events_admin.button_code"), AttendanceCb(action="code", event_id=event_id)),
            ]
        )
        rows.append(
            [_b(t("events_admin.button_report"), EventReportCb(action="event", event_id=event_id))]
        )
    rows.append([b("events_admin.button_copy", "copy")])
    rows.append([_b(t("events_admin.button_to_list"), EventAdminCb(action="list"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def edit_keyboard(event_id: int, *, program: bool) -> InlineKeyboardMarkup:
    fields = [*EDITABLE, "program"] if program else list(EDITABLE)
    rows = [
        [
            _b(
                t(f"events_admin.edit.{name}"),
                EventAdminCb(action="field", event_id=event_id, value=name),
            )
        ]
        for name in fields
    ]
    rows.append([_b(t("events_admin.button_back"), EventAdminCb(action="card", event_id=event_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def cancel_keyboard(event_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _b(
                    t("events_admin.button_cancel_yes"),
                    EventAdminCb(action="cancel_yes", event_id=event_id),
                )
            ],
            [
                _b(
                    t("events_admin.button_cancel_no"),
                    EventAdminCb(action="card", event_id=event_id),
                )
            ],
        ]
    )


def announcement_keyboard(event_id: int, locale: str | None = None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _b(
                    t("events_admin.button_register", locale=locale),
                    EventCb(action="register", event_id=event_id),
                ),
                _b(
                    t("events_admin.button_details", locale=locale),
                    EventCb(action="card", event_id=event_id),
                ),
            ]
        ]
    )
