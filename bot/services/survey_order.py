"""Which questions of a scenario a person is asked, in what order, and how a button names one.

A question with a `when` condition is shown only if the earlier question it names was shown and
answered to fit. A button carries the question's place in the file and two check characters of
its id, so a button of an older file version never answers another question.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

from bot.errors import DomainError
from bot.services.scenario_schema import Question, Scenario

YES, NO = "yes", "no"


def _fits(condition_value: Any, answer: Any) -> bool:
    return answer == condition_value or str(answer) == str(condition_value)


def visible(scenario: Scenario, answers: Mapping[str, Any]) -> list[Question]:
    """The questions this person is asked, in order, given their answers so far."""
    shown: list[Question] = []
    for question in scenario.questions():
        when = question.when
        if when is not None:
            answer = answers.get(when.question)
            earlier = {q.id for q in shown}
            if when.question not in earlier or answer is None:
                continue
            values = answer if isinstance(answer, list) else [answer]
            if when.equals is not None:
                equals = YES if when.equals is True else NO if when.equals is False else when.equals
                ok = any(_fits(equals, value) for value in values)
            elif when.any_of is not None:
                ok = any(_fits(option, value) for option in when.any_of for value in values)
            elif when.at_least is not None:
                ok = isinstance(answer, int) and answer >= when.at_least
            else:
                ok = isinstance(answer, int) and when.at_most is not None and answer <= when.at_most
            if not ok:
                continue
        shown.append(question)
    return shown


def choice_id(scenario: Scenario, question: Question, value: str | int) -> str:
    """A button's value: the question's place in the file, two check characters of its id (so
    a button of an older file version never answers another question) and the value."""
    index = next(i for i, q in enumerate(scenario.questions()) if q.id == question.id)
    return f"{index}.{zlib.crc32(question.id.encode()) % 1000}.{value}"


def question_token(scenario: Scenario, question: Question) -> str:
    """The question's place and check characters: what «Назад», «Пропустить» and «Готово»
    carry, so a button of an older screen acts on its own question."""
    return choice_id(scenario, question, "").rstrip(".")


def question_of_choice(scenario: Scenario, raw: str) -> tuple[Question, str]:
    """The question a button's value (`choice_id`) names, and the value it carries."""
    index, check, value = [*raw.split(".", 2), "", ""][:3]
    questions = scenario.questions()
    if not (index.isascii() and index.isdigit()) or int(index) >= len(questions):
        raise DomainError("error.stale_button")
    question = questions[int(index)]
    if check != str(zlib.crc32(question.id.encode()) % 1000):
        raise DomainError("error.stale_button")
    return question, value
