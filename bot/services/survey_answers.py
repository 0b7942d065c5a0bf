"""A scenario's answers: what a person typed, read into the stored value; a stored value, read
back as the person sees it; and whether a stored value still fits a question changed since."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.errors import DomainError
from bot.services.scenario_schema import Question, QuestionType, Scenario
from bot.services.survey_order import NO, YES
from bot.services.typed_numbers import NotAWholeNumber, typed_whole_number

_DATE = re.compile(r"^\s*(\d{1,2})[./-](\d{1,2})[./-](\d{4})\s*$")
_NUMBER_LIMIT = 10**9


def _option_label(question: Question, option_id: str, locale: str) -> str:
    for option in question.options:
        if option.id == option_id:
            return option.label.get(locale)
    return option_id


def readable(scenario: Scenario, question: Question, value: Any, locale: str) -> str | None:
    """An answer as the person sees it in the summary."""
    if value is None:
        return None
    if question.type == QuestionType.SINGLE:
        return _option_label(question, str(value), locale)
    if question.type == QuestionType.MULTI:
        return "; ".join(_option_label(question, str(v), locale) for v in value)
    if question.type == QuestionType.SCALE:
        scale = scenario.scale_of(question)
        label = scale.labels.get(value) if scale is not None else None
        return f"{value} — {label.get(locale)}" if label is not None else str(value)
    if question.type == QuestionType.DATE:
        try:
            return date.fromisoformat(str(value)).strftime("%d.%m.%Y")
        except ValueError:
            return str(value)
    return str(value)


def still_fits(scenario: Scenario, question: Question, value: Any) -> bool:
    """Whether a stored answer is still a valid answer to the question as the file says now."""
    if value is None:
        return not question.required
    kind = question.type
    if kind == QuestionType.SINGLE:
        return str(value) in {o.id for o in question.options}
    if kind == QuestionType.MULTI:
        known = {o.id for o in question.options}
        return isinstance(value, list) and all(str(v) in known for v in value)
    if kind == QuestionType.SCALE:
        scale = scenario.scale_of(question)
        return scale is not None and isinstance(value, int) and value in scale.points()
    if kind == QuestionType.NUMBER:
        low, high = question.min or 0, question.max or 0
        return isinstance(value, int) and low <= value <= high
    if kind == QuestionType.TEXT:
        return isinstance(value, str) and len(value) <= (question.max_length or 0)
    if kind == QuestionType.YES_NO:
        return value in (YES, NO)
    return isinstance(value, str)


def parse_typed(question: Question, text: str) -> Any:
    """Typed text as the answer to `question`: a number, a short text or a date."""
    if question.type == QuestionType.NUMBER:
        low, high = question.min or 0, question.max or 0
        try:
            if low < 0:
                raise NotAWholeNumber(text)  # the schema's bounds start at 0 for typed numbers
            return typed_whole_number(text, low, min(high, _NUMBER_LIMIT))
        except ValueError as error:
            raise DomainError("surveys.number_bounds", low=low, high=high) from error
    if question.type == QuestionType.TEXT:
        cleaned = " ".join(text.split())
        limit = question.max_length or 0
        if not cleaned:
            raise DomainError("surveys.text_empty")
        if len(cleaned) > limit:
            raise DomainError("surveys.text_too_long", limit=limit, length=len(cleaned))
        return cleaned
    if question.type == QuestionType.DATE:
        match = _DATE.match(text)
        if match is None:
            raise DomainError("surveys.date_invalid")
        try:
            return date(int(match[3]), int(match[2]), int(match[1])).isoformat()
        except ValueError as error:
            raise DomainError("surveys.date_invalid") from error
    raise DomainError("surveys.use_buttons")
