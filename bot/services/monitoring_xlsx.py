"""A monitoring stage's report as .xlsx: «Школы» (a row per school of the stage: the date its
self-evaluation was submitted and its percent per object) and «Итоги» (submitted of total, the
objects' averages beside the previous stage's)."""

from __future__ import annotations

import html
import io

from openpyxl import Workbook

from bot.services.monitoring_report import StageReport
from bot.services.xlsx_cells import append_row
from bot.texts import t

SHEET_NAME_MAX = 31


def _w(key: str, locale: str, **params: object) -> str:
    """A text of `monitoring.*` as characters (`t()` escapes for HTML)."""
    return html.unescape(t(f"monitoring.{key}", locale=locale, **params))


def filename(report: StageReport) -> str:
    return f"monitoring-{report.stage.year}-{report.stage.stage}.xlsx"


def workbook(report: StageReport, locale: str) -> bytes:
    book = Workbook(write_only=True)
    schools = book.create_sheet(_w("xlsx_sheet_schools", locale)[:SHEET_NAME_MAX])
    append_row(
        schools,
        [
            _w("xlsx_col_school", locale),
            _w("xlsx_col_submitted", locale),
            *(o.title for o in report.objects),
        ],
    )
    for row in report.schools:
        append_row(
            schools,
            [
                row.name,
                row.submitted_at.strftime("%d.%m.%Y") if row.submitted_at else "",
                *(percent if percent is not None else "" for percent in row.percents),
            ],
        )
    totals = book.create_sheet(_w("xlsx_sheet_totals", locale)[:SHEET_NAME_MAX])
    append_row(totals, [_w("xlsx_col_stage", locale), report.stage.title, report.stage.year])
    append_row(totals, [_w("xlsx_col_municipality", locale), report.municipality])
    append_row(totals, [_w("xlsx_col_total", locale), report.total])
    append_row(totals, [_w("xlsx_col_submitted_count", locale), report.submitted])
    append_row(totals, [])
    previous = report.previous.title if report.previous else ""
    append_row(
        totals,
        [
            _w("xlsx_col_object", locale),
            _w("xlsx_col_average", locale),
            _w("xlsx_col_previous", locale, stage=previous),
            _w("xlsx_col_change", locale),
        ],
    )
    for item in report.objects:
        append_row(
            totals,
            [
                item.title,
                item.average if item.average is not None else "",
                item.previous if item.previous is not None else "",
                item.change if item.change is not None else "",
            ],
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
