"""Buttons of the deadlines screen: pick a municipality, change a deadline, pick a time zone."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import MunicipalitySettingsCb
from bot.keyboards import paged_rows
from bot.services.municipality_settings import COMMON_ZONES, Deadline
from bot.texts import t
from storage.models import Municipality, YearKind


def _button(
    text: str, action: str, municipality_id: int = 0, value: str = ""
) -> InlineKeyboardButton:
    data = MunicipalitySettingsCb(action=action, municipality_id=municipality_id, value=value)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def zone_label(zone: str) -> str:
    """«Москва (UTC+3)» for the common zones, the IANA name for the rest."""
    return t(f"deadlines.zone_{zone}") if zone in COMMON_ZONES else zone


def municipalities_keyboard(
    municipalities: Sequence[Municipality], page: int = 0
) -> InlineKeyboardMarkup:
    rows = paged_rows(
        municipalities,
        page,
        lambda m: _button(m.name, "show", m.id),
        lambda arrow, to: _button(arrow, "page", value=str(to)),
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def deadlines_keyboard(
    municipality_id: int, kind: YearKind = YearKind.CALENDAR
) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(t("deadlines.remind_button"), "ask", municipality_id, Deadline.REMIND)],
            [_button(t("deadlines.escalate_button"), "ask", municipality_id, Deadline.ESCALATE)],
            [_button(t("deadlines.autoclose_button"), "ask", municipality_id, Deadline.AUTOCLOSE)],
            [_button(t("deadlines.timezone_button"), "zones", municipality_id)],
            [
                _button(
                    t("program.year_kind_button", kind=t(f"program.kind_{kind}")),
                    "year_kind",
                    municipality_id,
                    # The button offers the other kind.
                    YearKind.SCHOOL if kind == YearKind.CALENDAR else YearKind.CALENDAR,
                )
            ],
            [_button(t("deadlines.reset_button"), "reset", municipality_id)],
        ]
    )


def zones_keyboard(
    municipality_id: int, current: str | None, default_zone: str
) -> InlineKeyboardMarkup:
    """The common Russian zones, two a row, and the deployment's default (`default_zone`)."""
    buttons = [
        _button(
            ("✅ " if zone == current else "") + t(f"deadlines.zone_{zone}"),
            "zone",
            municipality_id,
            zone,
        )
        for zone in COMMON_ZONES
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    default_mark = "✅ " if current is None else ""
    rows.append(
        [
            _button(
                default_mark + t("deadlines.zone_default_button", zone=zone_label(default_zone)),
                "zone",
                municipality_id,
            )
        ]
    )
    rows.append([_button(t("deadlines.back_button"), "show", municipality_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)
