"""A survey's answers as .xlsx: «Ответы» (a row per response, a column per question, the
answers as people read them; an anonymous survey has no name or school columns) and «Сводка»
(per question: option, count, percent). Write-only: 10,000 responses stream out row by row."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook

from bot.services.scenario_schema import QuestionType
from bot.services.survey_answers import readable
from bot.services.surveys import ExportData
from bot.services.xlsx_cells import append_row
from bot.texts import t

SHEET_NAME_MAX = 31
# Larger surveys are exported by a background job (`bot.jobs.exports.survey`), off the update.


@dataclass(frozen=True)
class Words:
    """Sheet names and headers in the reader's language."""

    answers: str
    summary: str
    submitted: str
    name: str
    school: str
    municipality: str
    question: str
    option: str
    count: str
    percent: str
    mean: str
    texts: str
    yes: str
    no: str


def words() -> Words:
    """The headers in the current language (`t()` escapes for HTML; a sheet wants characters)."""

    def word(key: str) -> str:
        return html.unescape(t(f"surveys_admin.{key}"))

    return Words(
        answers=word("sheet_answers"),
        summary=word("sheet_summary"),
        submitted=word("col_submitted"),
        name=word("col_name"),
        school=word("col_school"),
        municipality=word("col_municipality"),
        question=word("col_question"),
        option=word("col_option"),
        count=word("col_count"),
        percent=word("col_percent"),
        mean=word("col_mean"),
        texts=word("col_texts"),
        yes=word("yes"),
        no=word("no"),
    )


def filename(survey_id: int) -> str:
    return f"survey-{survey_id}.xlsx"


def _value(data: ExportData, question: Any, value: Any, words: Words, locale: str) -> object:
    if value is None:
        return ""
    if question.type == QuestionType.YES_NO:
        return words.yes if value == "yes" else words.no
    if question.type in (QuestionType.NUMBER, QuestionType.SCALE) and isinstance(value, int):
        return value
    return readable(data.scenario, question, value, locale) or ""


def survey_xlsx(data: ExportData, words: Words, locale: str = "ru") -> bytes:
    workbook = Workbook(write_only=True)
    questions = data.scenario.questions()
    answers = workbook.create_sheet(words.answers[:SHEET_NAME_MAX])
    who = [] if data.anonymous else [words.name, words.school, words.municipality]
    append_row(answers, [words.submitted, *who, *(q.text.get(locale) for q in questions)])
    for submitted, name, school, municipality, values in data.rows:
        person = [] if data.anonymous else [name or "", school or "", municipality or ""]
        append_row(
            answers,
            [
                submitted.strftime("%d.%m.%Y %H:%M") if submitted and not data.anonymous else "",
                *person,
                *(_value(data, q, values.get(q.id), words, locale) for q in questions),
            ],
        )
    summary = workbook.create_sheet(words.summary[:SHEET_NAME_MAX])
    append_row(summary, [words.question, words.option, words.count, words.percent])
    for item in data.summary.questions:
        if item.options:
            for option in item.options:
                label = {"yes": words.yes, "no": words.no}.get(option.label, option.label)
                append_row(summary, [item.text, label, option.count, option.percent])
        if item.mean is not None:
            append_row(summary, [item.text, words.mean, round(item.mean, 2), ""])
        if item.texts:
            append_row(summary, [item.text, words.texts, item.texts, ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
