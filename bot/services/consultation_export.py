"""The consultation log as an .xlsx in the shape of the municipal report."""

from __future__ import annotations

import html
import io
import re

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from bot.services.consultation_report import Report
from bot.services.xlsx_cells import append_row
from bot.texts import t

# (header key, column width in characters)
COLUMNS = (
    ("consultations.col_date", 12),
    ("consultations.col_school", 34),
    ("consultations.col_teachers", 36),
    ("consultations.col_tutor", 28),
    ("consultations.col_format", 14),
    ("consultations.col_block", 26),
    ("consultations.col_topic", 44),
    ("consultations.col_duration", 14),
    ("consultations.col_outcome", 50),
)


def _plain(text: str) -> str:
    """`t()` escapes for Telegram's HTML; a spreadsheet wants the characters themselves."""
    return html.unescape(text)


def log_xlsx(report: Report) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _plain(t("consultations.sheet_title"))[:31]
    append_row(sheet, [_plain(t(key)) for key, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    for view in report.views:
        consultation = view.consultation
        teachers = (
            _plain(t("consultations.whole_school_team"))
            if consultation.whole_school
            else ", ".join(view.teacher_names)
        )
        row = [
            consultation.held_on,
            view.school.name if view.school else "",
            teachers,
            (view.tutor.full_name or "") if view.tutor else "",
            _plain(t(f"consultations.format.{consultation.format.value}")),
            _plain(t(f"consultations.block.{consultation.block.value}")),
            consultation.topic,
            consultation.duration_minutes,
            consultation.outcome or "",
        ]
        # What a tutor typed stays the words typed: no control character breaks the file,
        # no «=» becomes a live formula in the coordinator's file.
        held_on_cell = append_row(sheet, row)[0]
        held_on_cell.number_format = "DD.MM.YYYY"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def log_filename(report: Report) -> str:
    period = _plain(t(f"consultations.period_file.{report.filter.period}"))
    name = _plain(
        t("consultations.export_filename", municipality=report.municipality.name, period=period)
    )
    # Characters file systems refuse are replaced; Cyrillic stays readable.
    return re.sub(r'[\\/:*?"<>|]+', "_", name) + ".xlsx"
