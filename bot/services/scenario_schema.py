"""The shape of a scenario file (`bot/scenarios/*.yaml`): a survey or a self-check a
methodologist writes without a programmer.

A text is a string (every language) or a mapping `{ru: ..., en: ...}` (`ru` required). The
rules a schema alone cannot say (ids unique, conditions on earlier questions, a label for every
point of a scale, thresholds in order) are checked in `bot.services.scenarios`.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
)

# Ids go into the database (String(40)) and into button data.
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,40}$")]

# Telegram counts a message up to 4,096 characters; a question leaves room for its progress line
# and hint, and a button label stays readable on a phone.
QUESTION_TEXT_MAX = 1500
LABEL_MAX = 60
TEXT_ANSWER_LIMIT = 2000
SCALE_POINTS_MAX = 11


class QuestionType(enum.StrEnum):
    SINGLE = "single"  # one option
    MULTI = "multi"  # several options
    SCALE = "scale"  # a point of a scale with labels (1-5, «никогда … всегда»)
    NUMBER = "number"  # a whole number within bounds
    TEXT = "text"  # short text up to max_length
    YES_NO = "yes_no"
    DATE = "date"


class Level(enum.StrEnum):
    """What a section's score says (self-check): the three levels the programmes use."""

    DEFICIT = "deficit"  # выраженный дефицит
    PARTIAL = "partial"  # частичный дефицит
    NONE = "none"  # нет дефицита


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(_Strict):
    ru: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
    en: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)] | None = None

    def get(self, locale: str) -> str:
        return self.en if locale == "en" and self.en else self.ru


def _plain_string(value: Any) -> Any:
    return {"ru": value} if isinstance(value, str) else value


# A text of the file: a plain string or `{ru: ..., en: ...}`.
Text = Annotated[Localized, BeforeValidator(_plain_string)]


class Option(_Strict):
    id: Id
    label: Text
    # Points this option adds to its section's score (self-check); none: not scored.
    score: float | None = None


class Scale(_Strict):
    min: int = Field(ge=0, le=10)
    max: int = Field(ge=1, le=10)
    # A label for every point, by its number: {1: «никогда», 2: «редко», ...}.
    labels: dict[int, Text] = Field(default_factory=dict)

    def points(self) -> range:
        return range(self.min, self.max + 1)


def _scale_branch(value: Any) -> str:
    return "str" if isinstance(value, str) else "Scale"


# A question's scale: the name of one of the file's `scales`, or one written out in place. The
# branch is chosen by the value, so a mistake inside a written-out scale is reported once, not
# also as «should be a valid string».
ScaleRef = Annotated[
    Annotated[str, Tag("str")] | Annotated[Scale, Tag("Scale")], Discriminator(_scale_branch)
]


class Condition(_Strict):
    """Show a question only when an earlier answer fits: equals an option or value, is one of
    several, or (scale and number) is at least / at most a bound."""

    question: Id
    equals: str | int | bool | None = None
    any_of: list[str | int] | None = None
    at_least: int | None = None
    at_most: int | None = None


class Question(_Strict):
    id: Id
    type: QuestionType
    text: Text
    hint: Text | None = None
    required: bool = True
    options: list[Option] = Field(default_factory=list)
    # A scale: a name from the file's `scales`, or written out here.
    scale: ScaleRef | None = None
    min: int | None = None
    max: int | None = None
    max_length: int | None = Field(default=None, ge=1, le=TEXT_ANSWER_LIMIT)
    when: Condition | None = None
    # A scale statement worded the other way round: its points count backwards in the score.
    reverse: bool = False


class LevelThreshold(_Strict):
    """A section scoring below `below_percent` (and at or above the previous threshold) has
    this level; the last threshold has no bound."""

    level: Level
    below_percent: float | None = Field(default=None, gt=0, le=100)
    label: Text | None = None


class Section(_Strict):
    id: Id
    title: Text
    description: Text | None = None
    # Scored sections (self-check blocks) get a score, a percent and a level.
    scored: bool = False
    levels: list[LevelThreshold] | None = None
    # What to take to the tutor when this section shows a deficit (the route's suggestion).
    tutor_topic: Text | None = None
    # Words that match the section to a network community of the route (by its name or
    # description, case-blind): «матем», «родител».
    community_keywords: list[Annotated[str, StringConstraints(min_length=2, max_length=40)]] = (
        Field(default_factory=list)
    )
    questions: list[Question] = Field(min_length=1)


class Dynamics(_Strict):
    """«Positive dynamics» between the entry and the final check: every listed section's percent
    rose (seed 001: предметные and методические)."""

    sections: list[Id] = Field(min_length=1)


class Kind(enum.StrEnum):
    SURVEY = "survey"
    SELF_CHECK = "self_check"


class Scenario(_Strict):
    id: Id
    kind: Kind = Kind.SURVEY
    title: Text
    description: Text | None = None
    # Roles who may take it; `public` also lets people without an account answer by link.
    audience: list[Literal["teacher", "school_leader", "tutor", "coordinator", "admin"]] = Field(
        min_length=1
    )
    public: bool = False
    anonymous: bool = False
    repeatable: bool = False
    scales: dict[str, Scale] = Field(default_factory=dict)
    levels: list[LevelThreshold] | None = None
    dynamics: Dynamics | None = None
    sections: list[Section] = Field(min_length=1)

    def questions(self) -> list[Question]:
        return [question for section in self.sections for question in section.questions]

    def scale_of(self, question: Question) -> Scale | None:
        if isinstance(question.scale, Scale):
            return question.scale
        return self.scales.get(question.scale) if question.scale else None

    def levels_of(self, section: Section) -> list[LevelThreshold]:
        return section.levels or self.levels or []
