"""Scores of a scored section (a self-check block): points, percent and level.

A scale answer scores its point (counted from the bottom of the scale, so 1-4 gives 0-3), or the
point counted backwards for a `reverse` statement; a single choice scores its option's `score`.
The percent is the share of the best possible score over the questions answered: a skipped
statement neither helps nor hurts. The level is the first threshold of the file the percent is
below (`levels` of the section, else of the scenario).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.services.scenario_schema import Level, Question, QuestionType, Scenario, Section


@dataclass(frozen=True)
class SectionResult:
    section_id: str
    score: float
    max_score: float
    percent: float
    level: Level
    answered: int


def _points(scenario: Scenario, question: Question, value: Any) -> tuple[float, float] | None:
    """(points, best possible) for one answer, or None when it does not count."""
    if value is None:
        return None
    if question.type == QuestionType.SCALE:
        scale = scenario.scale_of(question)
        if scale is None or not isinstance(value, int) or value not in scale.points():
            return None
        span = scale.max - scale.min
        got = scale.max - value if question.reverse else value - scale.min
        return float(got), float(span)
    if question.type == QuestionType.SINGLE:
        scores = {option.id: option.score for option in question.options}
        got_score = scores.get(str(value))
        best = max((s for s in scores.values() if s is not None), default=None)
        if got_score is None or best is None:
            return None
        return float(got_score), float(best)
    return None


def level_for(scenario: Scenario, section: Section, percent: float) -> Level:
    for threshold in scenario.levels_of(section):
        if threshold.below_percent is None or percent < threshold.below_percent:
            return threshold.level
    return Level.NONE


def score_section(
    scenario: Scenario, section: Section, answers: Mapping[str, Any]
) -> SectionResult | None:
    """The section's result from the answers by question id, or None when nothing in it counts."""
    total = best = 0.0
    answered = 0
    for question in section.questions:
        points = _points(scenario, question, answers.get(question.id))
        if points is None:
            continue
        total += points[0]
        best += points[1]
        answered += 1
    if not answered or best <= 0:
        return None
    percent = round(100.0 * total / best, 1)
    return SectionResult(
        section.id, total, best, percent, level_for(scenario, section, percent), answered
    )


def score(scenario: Scenario, answers: Mapping[str, Any]) -> list[SectionResult]:
    results = [
        score_section(scenario, section, answers) for section in scenario.sections if section.scored
    ]
    return [result for result in results if result is not None]


def positive_dynamics(
    scenario: Scenario, entry: Mapping[str, float], final: Mapping[str, float]
) -> bool | None:
    """Whether every section of the scenario's `dynamics` rose from the entry check to the final
    one (percents by section id); None when the scenario names no rule or a percent is missing."""
    if scenario.dynamics is None:
        return None
    sections = scenario.dynamics.sections
    if any(section not in entry or section not in final for section in sections):
        return None
    return all(final[section] > entry[section] for section in sections)
