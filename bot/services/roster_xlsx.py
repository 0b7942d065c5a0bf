"""The spreadsheets a coordinator gets: an empty roster to fill in, and a long report's
problems as a file."""

from __future__ import annotations

import html
import io

from bot.services.roster_report import SCHOOLS_SHEET, RosterReport
from bot.texts import t


def template_xlsx() -> bytes:
    """An empty roster with both sheets, their headings and one example row each."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from bot.services.xlsx_cells import append_row

    workbook = Workbook()
    people = workbook.active
    people.title = plain(t("roster.template.people_sheet"))
    append_row(
        people,
        [
            plain(t(f"roster.column.{c}"))
            for c in ("full_name", "phone", "school", "role", "subjects", "tutor")
        ],
    )
    append_row(people, [plain(t(f"roster.template.example_{c}")) for c in range(1, 7)])
    # The tutor has no tutor of their own: the last cell stays empty.
    append_row(people, [plain(t(f"roster.template.tutor_{c}")) for c in range(1, 6)])
    schools = workbook.create_sheet(plain(t("roster.template.schools_sheet")))
    append_row(
        schools,
        [
            plain(t(f"roster.column.{c}"))
            for c in ("name", "short_name", "low_results", "unfavourable_conditions", "is_leader")
        ],
    )
    append_row(schools, [plain(t(f"roster.template.school_{c}")) for c in range(1, 6)])
    append_row(schools, [plain(t(f"roster.template.leader_school_{c}")) for c in range(1, 6)])
    for sheet in (people, schools):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for column in sheet.columns:
            sheet.column_dimensions[column[0].column_letter].width = 28
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def problems_xlsx(report: RosterReport) -> bytes:
    """Every problem of a report as a spreadsheet: sheet, row, reason. A reason quotes what
    the file said (a name, a school), so its cells go through the safe writer."""
    from openpyxl import Workbook

    from bot.services.xlsx_cells import append_row

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(plain(t("roster.problems_sheet")))
    append_row(
        sheet,
        [
            plain(t("roster.problems_where")),
            plain(t("roster.problems_row")),
            plain(t("roster.problems_reason")),
        ],
    )
    for item in report.problems:
        where = (
            t("roster.template.schools_sheet")
            if item.sheet == SCHOOLS_SHEET
            else t("roster.template.people_sheet")
        )
        append_row(sheet, [plain(where), item.row, plain(t(item.key, **item.params))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plain(text: str) -> str:
    """A locale text for a file or a terminal: `t()` escapes for Telegram's HTML."""
    return html.unescape(text)
