"""The KPI report as a chart (fact as % of target per line) and as .xlsx shaped like the seeds'
own tables («№ п/п | Наименование показателя | Единица измерения | Целевое значение | Факт | % |
Статус»), with the admin's sheet «по муниципалитетам» (a row per municipality, a column per
indicator). Pure functions of the plain report: callers run them off the event loop."""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from bot.services.charts import comparison_bar
from bot.services.kpi_lines import KpiLine, KpiReport
from bot.services.kpi_targets import kpi_targets
from bot.services.xlsx_cells import append_row
from bot.texts import t

SHEET_NAME_MAX = 31


def _w(key: str, **params: Any) -> str:
    """A text of `kpi.*` as characters (`t()` escapes for HTML)."""
    return html.unescape(t(f"kpi.{key}", **params))


def program_titles(locale: str) -> dict[str, str]:
    return {
        code: program.title.get(locale) or program.title.get("ru") or code
        for code, program in kpi_targets().programs.items()
    }


def grouped(report: KpiReport) -> list[tuple[str, list[KpiLine]]]:
    """The lines by program, in the order the programs first appear."""
    groups: dict[str, list[KpiLine]] = {}
    for line in report.lines:
        groups.setdefault(line.program, []).append(line)
    return list(groups.items())


def filename(report: KpiReport) -> str:
    scope = f"m{report.municipality_id}" if report.municipality_id else f"r{report.region_id}"
    return f"kpi-{scope}-{report.year}.xlsx"


def chart_png(report: KpiReport, locale: str) -> bytes:
    """A bar per line with a fact: the fact as a percent of the target, the marker at 100."""
    shown = [line for line in report.lines if line.percent is not None]
    return comparison_bar(
        _w("chart_title", place=report.place, year=report.year),
        [f"{line.title_in(locale)} ({line.program})" for line in shown],
        [line.percent or 0.0 for line in shown],
        [100.0 for _ in shown],
        unit="%",
        target_label=_w("chart_target"),
    )


def _line_row(n: int, line: KpiLine, locale: str) -> list[object]:
    return [
        n,
        line.title_in(locale),
        _w(f"unit.{line.unit}"),
        f"{_w(f'comparison.{line.comparison}')} {_number(line.target)}",
        "" if line.fact is None else line.fact,
        "" if line.percent is None else line.percent,
        _w(f"status.{line.status}"),
        line.program,
        line.source,
    ]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def workbook(
    report: KpiReport, locale: str, municipalities: Sequence[KpiReport] | None = None
) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_w("sheet_lines")[:SHEET_NAME_MAX])
    append_row(sheet, [_w("title", place=report.place, year=report.year)])
    append_row(
        sheet,
        [
            _w(f"col_{name}")
            for name in (
                "no", "title", "unit", "target", "fact", "percent", "status", "program",
                "source",
            )
        ],
    )  # fmt: skip
    for n, line in enumerate(report.lines, start=1):
        append_row(sheet, _line_row(n, line, locale))
    if municipalities is not None:
        by_place = book.create_sheet(_w("sheet_municipalities")[:SHEET_NAME_MAX])
        columns = [(line.program, line.id) for line in report.lines]
        append_row(
            by_place, [_w("col_municipality"), *[f"{kpi} ({prog})" for prog, kpi in columns]]
        )
        append_row(
            by_place,
            [
                "",
                *[
                    f"{_w(f'comparison.{ln.comparison}')} {_number(ln.target)}"
                    for ln in report.lines
                ],
            ],
        )
        for row in municipalities:
            facts = {(line.program, line.id): line.fact for line in row.lines}
            append_row(
                by_place,
                [row.place, *["" if facts.get(c) is None else facts[c] for c in columns]],
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
