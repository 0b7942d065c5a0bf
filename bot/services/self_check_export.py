"""The coordinator's self-check .xlsx of one municipality and program year: a sheet of the
teachers (each block's percent and level at the entry and the final check, the dynamics), a
sheet of schools × blocks (mean percent of the latest checks) and a sheet of the shares the
programme reports against their targets."""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import scoring
from bot.services.self_check import SCENARIO_ID, block_titles, scenario
from bot.services.self_check_views import (
    HeatMap,
    Summary,
    heat_map,
    municipality_of,
    summary,
    this_year,
)
from bot.services.xlsx_cells import append_row
from bot.texts import t
from storage.models import Person
from storage.repositories.self_checks import SelfChecksRepo

STAGES = ("entry", "final")


@dataclass(frozen=True)
class TeacherResults:
    name: str
    school: str
    # By stage, by block id: (percent, level).
    stages: dict[str, dict[str, tuple[float, str]]]
    positive: bool | None


@dataclass(frozen=True)
class Export:
    summary: Summary
    heat_map: HeatMap
    blocks: dict[str, str]  # id → title
    teachers: list[TeacherResults]


async def collect(
    session: AsyncSession, person: Person, municipality_id: int, locale: str
) -> Export:
    municipality = await municipality_of(session, person, municipality_id)
    facts = await summary(session, person, municipality.id, locale)
    schools = await heat_map(session, person, municipality.id, locale)
    titles = block_titles(locale)
    sc = scenario()
    people, scores = await SelfChecksRepo(session).export_rows(
        municipality.id, SCENARIO_ID, this_year()
    )
    teachers: list[TeacherResults] = []
    for person_id, name, school in people:
        stages = {stage: scores.get((person_id, stage), {}) for stage in STAGES}
        positive = (
            scoring.positive_dynamics(
                sc,
                {k: v[0] for k, v in stages["entry"].items()},
                {k: v[0] for k, v in stages["final"].items()},
            )
            if stages["entry"] and stages["final"]
            else None
        )
        teachers.append(
            TeacherResults(
                name or _plain(t("self_check.name_removed")), school or "", stages, positive
            )
        )
    return Export(facts, schools, titles, teachers)


def _plain(text: str) -> str:
    """`t()` escapes for Telegram's HTML; a spreadsheet wants the characters themselves."""
    return html.unescape(text)


def _bold_header(sheet: Any, values: list[object]) -> None:
    for cell in append_row(sheet, values):
        cell.font = Font(bold=True)


def workbook(export: Export) -> bytes:
    book = Workbook(write_only=True)
    _teachers_sheet(book, export)
    _schools_sheet(book, export)
    _shares_sheet(book, export)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _teachers_sheet(book: Workbook, export: Export) -> None:
    sheet = book.create_sheet(_plain(t("self_check.sheet_teachers"))[:31])
    header: list[object] = [_plain(t("self_check.col_name")), _plain(t("self_check.col_school"))]
    for stage in STAGES:
        stage_word = _plain(t(f"self_check.stage.{stage}"))
        for title in export.blocks.values():
            header.append(f"{title}, % ({stage_word})")
            header.append(_plain(t("self_check.col_level", stage=stage_word, block=title)))
    header.append(_plain(t("self_check.col_dynamics")))
    _bold_header(sheet, header)
    for teacher in export.teachers:
        row: list[object] = [teacher.name, teacher.school]
        for stage in STAGES:
            for block_id in export.blocks:
                found = teacher.stages[stage].get(block_id)
                row.append(found[0] if found else None)
                row.append(_plain(t(f"self_check.level.{found[1]}")) if found else "")
        row.append(
            ""
            if teacher.positive is None
            else _plain(
                t("self_check.dynamics_yes" if teacher.positive else "self_check.dynamics_no")
            )
        )
        append_row(sheet, row)


def _schools_sheet(book: Workbook, export: Export) -> None:
    sheet = book.create_sheet(_plain(t("self_check.sheet_schools"))[:31])
    _bold_header(sheet, [_plain(t("self_check.col_school")), *export.heat_map.blocks])
    for school, values in zip(export.heat_map.schools, export.heat_map.values, strict=True):
        append_row(sheet, [school, *values])


def _shares_sheet(book: Workbook, export: Export) -> None:
    facts = export.summary
    sheet = book.create_sheet(_plain(t("self_check.sheet_shares"))[:31])
    _bold_header(
        sheet,
        [
            _plain(t("self_check.col_indicator")),
            _plain(t("self_check.col_part")),
            _plain(t("self_check.col_whole")),
            _plain(t("self_check.col_percent")),
            _plain(t("self_check.col_target")),
        ],
    )
    append_row(
        sheet,
        [
            _plain(t("self_check.share_passed")),
            facts.passed,
            facts.teachers,
            facts.passed_percent,
            facts.passed_target,
        ],
    )
    for subject in facts.subjects:
        append_row(
            sheet,
            [
                _plain(t("self_check.share_passed_subject", subject=subject.subject)),
                subject.passed,
                subject.teachers,
                subject.percent,
                facts.passed_target,
            ],
        )
    append_row(
        sheet,
        [
            _plain(t("self_check.share_dynamics")),
            facts.positive,
            facts.rechecked,
            facts.positive_percent,
            facts.dynamics_target,
        ],
    )


def filename(export: Export) -> str:
    name = _plain(t("self_check.export_filename", municipality=export.summary.municipality.name))
    return re.sub(r'[\\/:*?"<>|]+', "_", name) + ".xlsx"
