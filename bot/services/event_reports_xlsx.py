"""The program year's event report as .xlsx: «Мероприятия» (a row per held event with all its
numbers), «Виды и цели» (held events by type and scope, then the targets with what is missing),
«Школы без мероприятия» and «Участники по районам». Written by a background job
(`bot.jobs.event_reports.year_xlsx`)."""

from __future__ import annotations

import html
import io
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bot.services import event_types
from bot.services.event_reports import YearReport
from bot.services.xlsx_cells import append_row
from bot.texts import t

SHEET_NAME_MAX = 31


def _w(key: str) -> str:
    """A text of `event_reports.*` as characters (`t()` escapes for HTML)."""
    return html.unescape(t(f"event_reports.{key}"))


def filename(year: int) -> str:
    return f"events-{year}.xlsx"


def year_xlsx(report: YearReport, locale: str) -> bytes:
    book = Workbook(write_only=True)

    events = book.create_sheet(_w("sheet_events")[:SHEET_NAME_MAX])
    append_row(
        events,
        [
            _w(f"col_{name}")
            for name in (
                "date", "title", "type", "scope", "form", "hours", "host", "registered",
                "waiting", "attended", "no_shows", "walk_ins", "districts", "responses",
                "rating", "comments",
            )
        ],
    )  # fmt: skip
    for n in report.events:
        zone = ZoneInfo(n.timezone)
        append_row(
            events,
            [
                n.starts_at.astimezone(zone).strftime("%d.%m.%Y %H:%M"),
                n.title,
                event_types.title(n.type_id, locale),
                html.unescape(t(f"event_card.scope.{n.scope.value}")),
                html.unescape(t(f"event_card.form.{n.form.value}")),
                n.hours,
                n.host_school or "",
                n.registered,
                n.waiting,
                n.attended,
                n.no_shows,
                n.walk_ins,
                n.district_count,
                n.responses,
                n.average_rating if n.average_rating is not None else "",
                "\n".join(n.comments),
            ],
        )

    kinds = book.create_sheet(_w("sheet_types")[:SHEET_NAME_MAX])
    append_row(
        kinds,
        [_w("col_type"), _w("col_scope"), _w("col_held"), _w("col_attended"), _w("col_hours")],
    )
    for line in report.by_type:
        append_row(
            kinds,
            [
                event_types.title(line.type_id, locale),
                html.unescape(t(f"event_card.scope.{line.scope.value}")),
                line.held,
                line.attended,
                line.hours,
            ],
        )
    append_row(kinds, [])
    append_row(
        kinds,
        [
            _w("col_target"),
            _w("col_program"),
            _w("col_goal"),
            _w("col_held"),
            _w("col_missing"),
            _w("col_source"),
        ],
    )
    for target in report.targets:
        append_row(
            kinds,
            [
                target.title,
                target.program,
                target.target,
                target.held,
                target.missing,
                target.source,
            ],
        )
    if report.checks:
        append_row(kinds, [])
        append_row(
            kinds, [_w("col_rule_event"), _w("col_attended"), _w("col_districts"), _w("col_ok")]
        )
        for check in report.checks:
            append_row(
                kinds,
                [check.title, check.attended, check.districts, _w("yes") if check.ok else _w("no")],
            )

    schools = book.create_sheet(_w("sheet_schools")[:SHEET_NAME_MAX])
    append_row(schools, [_w("col_school"), _w("col_municipality")])
    for gap in report.schools_without:
        append_row(schools, [gap.label, gap.municipality])

    districts = book.create_sheet(_w("sheet_districts")[:SHEET_NAME_MAX])
    append_row(districts, [_w("col_municipality"), _w("col_attended")])
    for district in report.districts:
        append_row(districts, [district.name or _w("unknown_district"), district.attendees])

    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
