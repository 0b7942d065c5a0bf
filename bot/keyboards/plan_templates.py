"""Buttons of the plan-graph templates (`DeadlineAdminCb` actions «tpl_…»): the templates, a
template's years and parts, the confirmation, and the admin's upload and region list.

`page` carries a template's part (1–3) on the year buttons and a region template's row id on
the download button; `value` carries a template's code."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.callbacks import DeadlineAdminCb
from bot.keyboards import short_label
from bot.services.plan_templates import PARTS, Home, Preview, TemplateInfo
from bot.texts import plain, t


def _b(text: str, action: str, **fields: int | str) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=plain(text), callback_data=DeadlineAdminCb(action=action, **fields).pack()
    )


def home_keyboard(home: Home) -> InlineKeyboardMarkup:
    rows = []
    if home.municipality_id is not None:
        rows = [
            [_b(short_label(info.title), "tpl_pick", value=info.code)] for info in home.templates
        ]
    if home.admin:
        rows.append([_b(t("plan.button_upload"), "tpl_upload")])
        rows.append([_b(t("plan.button_region"), "tpl_region")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def years_keyboard(info: TemplateInfo, years: tuple[int, int]) -> InlineKeyboardMarkup:
    rows = [
        [
            _b(
                t("plan.button_year_part", year=year, part=part, items=info.items_by_part[part]),
                "tpl_preview",
                value=info.code,
                year=year,
                page=part,
            )
            for part in PARTS
            if info.items_by_part[part]
        ]
        for year in years
    ]
    rows.append([_b(t("plan.button_back"), "tpl_list")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_keyboard(preview: Preview) -> InlineKeyboardMarkup:
    fields: dict[str, int | str] = {
        "value": preview.template_code, "year": preview.year, "page": preview.part,
    }  # fmt: skip
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_b(t("plan.button_apply"), "tpl_apply", **fields)],
            [_b(t("plan.button_back"), "tpl_pick", value=preview.template_code)],
        ]
    )


def region_keyboard(templates: list[TemplateInfo]) -> InlineKeyboardMarkup:
    rows = [
        [
            _b(
                t("plan.button_download", title=short_label(info.title)),
                "tpl_get",
                page=info.template_id or 0,
            )
        ]
        for info in templates
    ]
    rows.append([_b(t("plan.button_back"), "tpl_list")])
    return InlineKeyboardMarkup(inline_keyboard=rows)
