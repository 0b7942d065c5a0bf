"""The survey's summary counted in the database (answers grouped by value) against one worked
out by hand: single and multi choice, a scale, a number, yes/no, typed answers, skipped ones,
and an anonymous survey under and at five answers; the export reads the raw answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import surveys
from bot.services.scenario_schema import QuestionType
from bot.services.surveys import OptionCount, QuestionSummary
from storage.models import Person
from storage.repositories.surveys import SurveysRepo
from tests.harness import Harness
from tests.survey_world import COORDINATOR, TEACHERS, answer_as, arrange, launched, use_scenarios

NAMED = """
id: test_summary
title: Сводка по всем типам
audience: [teacher]
sections:
  - id: main
    title: Основное
    questions:
      - id: help
        type: single
        text: Какая помощь нужна?
        options:
          - {id: method, label: Методическая}
          - {id: subject, label: Предметная}
      - id: forms
        type: multi
        text: Какие формы удобны?
        required: false
        options:
          - {id: course, label: Курсы}
          - {id: seminar, label: Семинар}
          - {id: tutor, label: Куратор}
      - id: rate
        type: scale
        text: Оцените поддержку
        required: false
        scale: {min: 1, max: 3, labels: {1: слабая, 2: средняя, 3: сильная}}
      - {id: years, type: number, text: "Сколько лет стажа?", min: 0, max: 60, required: false}
      - id: ok
        type: yes_no
        text: Нужна ли встреча?
      - {id: wish, type: text, text: "Что ещё?", max_length: 50, required: false}
      - {id: since, type: date, text: "С какого числа?", required: false}
"""

ANONYMOUS = """
id: test_anonymous
title: Анонимная проверка
audience: [teacher]
anonymous: true
sections:
  - id: main
    title: Основное
    questions:
      - id: forms
        type: multi
        text: Какие формы удобны?
        options:
          - {id: course, label: Курсы}
          - {id: seminar, label: Семинар}
"""


@pytest.fixture(autouse=True)
def scenario_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from use_scenarios(
        tmp_path, monkeypatch, {"test_summary.yaml": NAMED, "test_anonymous.yaml": ANONYMOUS}
    )


async def coordinator(db: AsyncSession) -> Person:
    person = await db.scalar(select(Person).where(Person.telegram_id == COORDINATOR))
    assert person is not None
    return person


def question(
    id: str,
    text: str,
    kind: QuestionType,
    answered: int,
    *options: tuple[str, int, int],
    mean: float | None = None,
    texts: int = 0,
) -> QuestionSummary:
    """What the summary should say of a question, worked out by hand."""
    counts = [OptionCount(*option) for option in options]
    return QuestionSummary(id, text, kind, answered, counts, mean, texts)


async def test_the_grouped_summary_is_the_one_worked_out_by_hand(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    survey = await launched(harness, db, "Сводка по всем типам")
    given = [
        {"help": "method", "forms": ["course", "seminar"], "rate": 3, "years": 2, "ok": "yes",
         "wish": "=SUM(A1)", "since": "2024-09-01"},
        {"help": "method", "forms": ["seminar"], "rate": 1, "years": 3, "ok": "no",
         "wish": None, "since": None},
        {"help": "subject", "forms": ["course", "seminar", "tutor"], "rate": None, "years": None,
         "ok": "yes", "wish": "больше семинаров"},
        {"help": "subject", "forms": None, "rate": 2, "years": 2, "ok": "yes"},
        {"help": "method", "forms": ["seminar", "course"], "rate": 2, "ok": "yes",
         "wish": "больше семинаров"},
    ]  # fmt: skip
    for telegram_id, values in zip(TEACHERS, given, strict=False):
        await answer_as(db, survey, telegram_id, values)

    found = await surveys.summary(db, await coordinator(db), survey.id, "ru")

    assert not found.hidden and found.responses == 5
    assert found.questions == [
        question("help", "Какая помощь нужна?", QuestionType.SINGLE, 5,
                 ("Методическая", 3, 60), ("Предметная", 2, 40)),
        question("forms", "Какие формы удобны?", QuestionType.MULTI, 4,
                 ("Курсы", 3, 75), ("Семинар", 4, 100), ("Куратор", 1, 25)),
        question("rate", "Оцените поддержку", QuestionType.SCALE, 4,
                 ("1 — слабая", 1, 25), ("2 — средняя", 2, 50), ("3 — сильная", 1, 25),
                 mean=2.0),
        question("years", "Сколько лет стажа?", QuestionType.NUMBER, 3, mean=7 / 3),
        question("ok", "Нужна ли встреча?", QuestionType.YES_NO, 5, ("yes", 4, 80), ("no", 1, 20)),
        question("wish", "Что ещё?", QuestionType.TEXT, 3, texts=3),
        question("since", "С какого числа?", QuestionType.DATE, 1, texts=1),
    ]  # fmt: skip
    # Teachers of even numbers work at one school, odd at the other: 4 invited at each.
    assert sorted((line.answered, line.invited) for line in found.schools) == [(2, 4), (3, 4)]
    assert all(line.school for line in found.schools)

    # Typed answers are counted in the database, not read: the same text twice is one row.
    typed = await SurveysRepo(db).answer_counts(survey.id, ["wish", "since"])
    wish = sorted((value or "NULL", n) for q, value, n in typed if q == "wish")
    assert wish == [('""', 3), ("null", 1)]

    export = await surveys.export_data(db, await coordinator(db), survey.id, "ru")
    assert export.summary == found
    assert [answers.get("forms") for *_, answers in export.rows] == [
        ["course", "seminar"], ["seminar"], ["course", "seminar", "tutor"], None,
        ["seminar", "course"],
    ]  # fmt: skip
    assert [answers.get("wish") for *_, answers in export.rows] == [
        "=SUM(A1)", None, "больше семинаров", None, "больше семинаров",
    ]  # fmt: skip


async def test_an_anonymous_summary_counts_only_from_five_answers(
    harness: Harness, db: AsyncSession
) -> None:
    await arrange(db)
    survey = await launched(harness, db, "Анонимная проверка")
    for telegram_id in TEACHERS[:4]:
        await answer_as(db, survey, telegram_id, {"forms": ["course", "seminar"]})

    hidden = await surveys.summary(db, await coordinator(db), survey.id, "ru")
    assert hidden.hidden and hidden.responses == 4
    assert hidden.questions == [] and hidden.schools == []
    with pytest.raises(DomainError):
        await surveys.export_data(db, await coordinator(db), survey.id, "ru")

    await answer_as(db, survey, TEACHERS[4], {"forms": ["seminar"]})
    shown = await surveys.summary(db, await coordinator(db), survey.id, "ru")
    assert not shown.hidden and shown.schools == []
    assert shown.questions == [
        question("forms", "Какие формы удобны?", QuestionType.MULTI, 5,
                 ("Курсы", 4, 80), ("Семинар", 5, 100)),
    ]  # fmt: skip
