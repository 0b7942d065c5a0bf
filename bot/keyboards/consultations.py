"""Buttons of the consultation log: the tutor's dialog, their entries, the coordinator's report."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import ConsultationCb
from bot.keyboards import short_label
from bot.services.consultation_report import PERIODS, ReportFilter
from bot.services.consultations import EDITABLE_FIELDS, ConsultationView
from bot.texts import t
from storage.models import Municipality, Person, School

DURATION_CHOICES = (30, 45, 60, 90)


def _button(text: str, action: str, value: int = 0, extra: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=ConsultationCb(action=action, value=value, extra=extra).pack()
    )


def tutor_menu_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("consultations.button_new"), "new")],
            [_button(t("consultations.button_mine"), "mine")],
        ]
    )


def my_entries_keyboard(views: Sequence[ConsultationView]) -> InlineKeyboardMarkup | None:
    rows = [
        [
            _button(t("consultations.button_edit", number=n), "edit", v.consultation.id),
            _button(t("consultations.button_delete", number=n), "delete", v.consultation.id),
        ]
        for n, v in enumerate(views, start=1)
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def edit_fields_keyboard(consultation_id: int) -> InlineKeyboardMarkup:
    rows = [
        [_button(t(f"consultations.field.{name}"), "edit_field", consultation_id, name)]
        for name in EDITABLE_FIELDS
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def delete_confirm_keyboard(consultation_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(t("consultations.button_delete_yes"), "delete_yes", consultation_id),
                _button(t("consultations.button_delete_no"), "delete_no", consultation_id),
            ]
        ]
    )


def municipalities_keyboard(municipalities: Sequence[Municipality]) -> InlineKeyboardMarkup:
    start = ReportFilter(0)
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(short_label(m.name), "rep", m.id, start.pack())] for m in municipalities
        ]
    )


def report_keyboard(current: ReportFilter) -> InlineKeyboardMarkup:
    mun = current.municipality_id
    periods = []
    for period in PERIODS:
        mark = "• " if period == current.period else ""
        periods.append(
            _button(
                mark + t(f"consultations.period.{period}"),
                "rep",
                mun,
                current.with_(period=period).pack(),
            )
        )
    return InlineKeyboardMarkup(
        inline_keyboard=[
            periods,
            [
                _button(t("consultations.button_by_school"), "rep_schools", mun, current.pack()),
                _button(t("consultations.button_by_tutor"), "rep_tutors", mun, current.pack()),
            ],
            [_button(t("consultations.button_no_consultations"), "no_cons", mun, current.pack())],
            [_button(t("consultations.button_export"), "xlsx", mun, current.pack())],
        ]
    )


def report_schools_keyboard(
    current: ReportFilter, schools: Sequence[School]
) -> InlineKeyboardMarkup:
    mun = current.municipality_id
    rows = [
        [
            _button(
                t("consultations.button_all_schools"), "rep", mun, current.with_(school_id=0).pack()
            )
        ]
    ]
    rows += [
        [_button(short_label(s.label), "rep", mun, current.with_(school_id=s.id).pack())]
        for s in schools
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def report_tutors_keyboard(current: ReportFilter, tutors: Sequence[Person]) -> InlineKeyboardMarkup:
    mun = current.municipality_id
    rows = [
        [
            _button(
                t("consultations.button_all_tutors"), "rep", mun, current.with_(tutor_id=0).pack()
            )
        ]
    ]
    rows += [
        [_button(short_label(p.full_name or "—"), "rep", mun, current.with_(tutor_id=p.id).pack())]
        for p in tutors
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)
