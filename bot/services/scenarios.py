"""Scenario files: read, checked and catalogued.

`check_file` reads one YAML file and returns every problem with its file, line and reason (a
catalogue key in `locales/*/scenarios.po` with parameters, so the command line and the
start-up refusal speak the operator's language). `catalogue()` loads the shipped files of
`bot/scenarios/` once; the bot refuses to start if one of them has a problem.

A scenario's `version` is the hash of its file: a response remembers the version it was begun
on, so a file changed while people are half-way is noticed (`bot.services.survey_runner`).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.errors import DomainError
from bot.services.scenario_schema import (
    LABEL_MAX,
    QUESTION_TEXT_MAX,
    SCALE_POINTS_MAX,
    Condition,
    Level,
    Localized,
    Question,
    QuestionType,
    Scenario,
)

SCENARIOS_DIR = Path(__file__).resolve().parent.parent / "scenarios"
_CHOICE_TYPES = (QuestionType.SINGLE, QuestionType.MULTI)
_OPTIONS_MAX = 12

Loc = tuple[str | int, ...]
# Steps pydantic adds to an error's path for a validator or a union's branch: not keys of the file.
_BRANCH_STEPS = ("function-", "str", "Scale")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int  # 1-based; 0 when the file cannot be read at all
    key: str  # `scenarios.problem.<kind>`
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadedScenario:
    scenario: Scenario
    version: str  # sha256 of the file, first 16 hex digits
    path: Path


class ScenarioFileError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in scenario files")
        self.problems = problems


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class YamlFile:
    """A data file read: its bytes, the node tree (for line numbers) and the data, plus the
    problems found on the way (keys given twice)."""

    raw: bytes
    root: yaml.Node
    data: dict[str, Any]
    problems: list[Problem]


def read_yaml(path: Path, not_a_mapping: str) -> YamlFile | list[Problem]:
    """The YAML mapping in `path`, or the problems that stop it being read (`not_a_mapping` is
    the reason key when the file holds something else than a mapping)."""
    name = str(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [Problem(name, 0, "scenarios.problem.unreadable", {"error": str(error)})]
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        reason = error.problem or str(error)
        return [Problem(name, line, "scenarios.problem.syntax", {"error": reason})]
    except yaml.YAMLError as error:
        return [Problem(name, 0, "scenarios.problem.syntax", {"error": str(error)})]
    if not isinstance(data, dict) or root is None:
        return [Problem(name, 1, not_a_mapping)]
    problems = [
        Problem(name, line, "scenarios.problem.duplicate_key", {"key": key})
        for key, line in _duplicate_keys(root)
    ]
    return YamlFile(raw, root, data, problems)


def check_file(path: Path) -> tuple[LoadedScenario | None, list[Problem]]:
    """The scenario in `path`, or None, and every problem found in it."""
    name = str(path)
    read = read_yaml(path, "scenarios.problem.not_a_mapping")
    if isinstance(read, list):
        return None, read
    root, data, raw, problems = read.root, read.data, read.raw, list(read.problems)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        problems += [schema_problem(name, root, item) for item in error.errors()]
        return None, problems
    problems += [
        Problem(name, line_of(root, loc), key, params) for loc, key, params in _rules(scenario)
    ]
    if problems:
        return None, problems
    version = hashlib.sha256(raw).hexdigest()[:16]
    return LoadedScenario(scenario, version, path), []


def check_paths(paths: Iterable[Path]) -> tuple[list[LoadedScenario], list[Problem]]:
    """Every scenario file in `paths` (files, or folders of `*.yaml`), and all their problems;
    two files with one id are a problem too."""
    loaded: list[LoadedScenario] = []
    problems: list[Problem] = []
    files = [
        file
        for path in paths
        for file in (sorted(path.glob("*.yaml")) if path.is_dir() else [path])
    ]
    seen: dict[str, Path] = {}
    for file in files:
        scenario, found = check_file(file)
        problems += found
        if scenario is None:
            continue
        first = seen.setdefault(scenario.scenario.id, file)
        if first != file:
            problems.append(
                Problem(
                    str(file),
                    1,
                    "scenarios.problem.duplicate_scenario",
                    {"id": scenario.scenario.id, "other": str(first)},
                )
            )
            continue
        loaded.append(scenario)
    return loaded, problems


@functools.cache
def catalogue() -> dict[str, LoadedScenario]:
    """The shipped scenarios by id. Raises `ScenarioFileError` if any file has a problem."""
    loaded, problems = check_paths([SCENARIOS_DIR])
    if problems:
        raise ScenarioFileError(problems)
    return {item.scenario.id: item for item in loaded}


def get(scenario_id: str) -> LoadedScenario:
    found = catalogue().get(scenario_id)
    if found is None:
        raise DomainError("surveys.scenario_gone")
    return found


def for_role(roles: Iterable[str], *, kind: str | None = None) -> list[LoadedScenario]:
    wanted = set(roles)
    return [
        item
        for item in catalogue().values()
        if wanted & set(item.scenario.audience) and (kind is None or item.scenario.kind == kind)
    ]


# --- where in the file ------------------------------------------------------------------------


def _duplicate_keys(node: yaml.Node) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                found.append((str(key.value), key.start_mark.line + 1))
            seen.add(key.value)
            found += _duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found += _duplicate_keys(item)
    return found


def line_of(root: yaml.Node, loc: Sequence[str | int]) -> int:
    """The line of the deepest node the path reaches (pydantic's own steps, like a union's
    branch names, match no key and are passed over)."""
    node = root
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if str(key.value) == str(step):
                    node = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(step, int)
            and 0 <= step < len(node.value)
        ):
            node = node.value[step]
    return int(node.start_mark.line) + 1


def schema_problem(name: str, root: yaml.Node, error: Any) -> Problem:
    loc = tuple(error["loc"])
    where = ".".join(str(step) for step in loc if not str(step).startswith(_BRANCH_STEPS))
    line = line_of(root, loc)
    kind = error["type"]
    if kind == "missing":
        return Problem(name, line, "scenarios.problem.missing", {"field": where})
    if kind == "extra_forbidden":
        return Problem(name, line, "scenarios.problem.unknown_field", {"field": where})
    if kind in ("enum", "literal_error"):
        expected = error.get("ctx", {}).get("expected", "")
        return Problem(
            name,
            line,
            "scenarios.problem.not_allowed",
            {"field": where, "value": error.get("input"), "expected": expected},
        )
    return Problem(name, line, "scenarios.problem.invalid", {"field": where, "error": error["msg"]})


# --- rules beyond the schema ------------------------------------------------------------------

Rule = tuple[Loc, str, dict[str, Any]]


def _rules(scenario: Scenario) -> list[Rule]:
    problems: list[Rule] = [
        (("scales", name, *loc), key, params)
        for name, scale in scenario.scales.items()
        for loc, key, params in _scale(scale)
    ]
    section_ids: set[str] = set()
    earlier: dict[str, Question] = {}
    for s_index, section in enumerate(scenario.sections):
        s_loc: Loc = ("sections", s_index)
        if section.id in section_ids:
            problems.append(((*s_loc, "id"), "scenarios.problem.duplicate_id", {"id": section.id}))
        section_ids.add(section.id)
        for q_index, question in enumerate(section.questions):
            q_loc: Loc = (*s_loc, "questions", q_index)
            if question.id in earlier:
                problems.append(
                    ((*q_loc, "id"), "scenarios.problem.duplicate_id", {"id": question.id})
                )
            problems += [
                (q_loc + loc, key, params) for loc, key, params in _question(scenario, question)
            ]
            if question.when is not None:
                problems += [
                    ((*q_loc, "when", *loc), key, params)
                    for loc, key, params in _condition(question.when, earlier, scenario)
                ]
            earlier.setdefault(question.id, question)
        if section.scored:
            problems += [
                (s_loc + loc, key, params)
                for loc, key, params in _scored(scenario, section.questions)
            ]
            if not scenario.levels_of(section):
                problems.append((s_loc, "scenarios.problem.no_levels", {"section": section.id}))
    for key_loc, given in [(("levels",), scenario.levels)] + [
        (("sections", i, "levels"), s.levels) for i, s in enumerate(scenario.sections)
    ]:
        if given:
            problems += [((*key_loc, *loc), key, params) for loc, key, params in _levels(given)]
    if scenario.dynamics is not None:
        scored = {s.id for s in scenario.sections if s.scored}
        for index, section_id in enumerate(scenario.dynamics.sections):
            if section_id not in scored:
                problems.append(
                    (
                        ("dynamics", "sections", index),
                        "scenarios.problem.unknown_section",
                        {"id": section_id},
                    )
                )
    if scenario.anonymous and scenario.kind == "self_check":
        problems.append((("anonymous",), "scenarios.problem.anonymous_self_check", {}))
    if scenario.public and not scenario.anonymous:
        problems.append((("public",), "scenarios.problem.public_not_anonymous", {}))
    return problems


def _question(scenario: Scenario, question: Question) -> list[Rule]:
    problems: list[Rule] = []
    if len(question.text.ru) > QUESTION_TEXT_MAX:
        problems.append((("text",), "scenarios.problem.too_long", {"max": QUESTION_TEXT_MAX}))
    if question.type in _CHOICE_TYPES:
        if len(question.options) < 2:
            problems.append((("options",), "scenarios.problem.few_options", {}))
        if len(question.options) > _OPTIONS_MAX:
            problems.append((("options",), "scenarios.problem.many_options", {"max": _OPTIONS_MAX}))
        seen: set[str] = set()
        for index, option in enumerate(question.options):
            if option.id in seen:
                problems.append(
                    (("options", index, "id"), "scenarios.problem.duplicate_id", {"id": option.id})
                )
            seen.add(option.id)
            if _too_long(option.label):
                problems.append(
                    (
                        ("options", index, "label"),
                        "scenarios.problem.label_long",
                        {"max": LABEL_MAX},
                    )
                )
    elif question.options:
        problems.append((("options",), "scenarios.problem.options_not_allowed", {}))
    if question.type == QuestionType.SCALE:
        scale = scenario.scale_of(question)
        if scale is None:
            reason = "unknown_scale" if question.scale else "no_scale"
            name = question.scale or ""
            problems.append((("scale",), f"scenarios.problem.{reason}", {"name": name}))
        elif not isinstance(question.scale, str):  # a named scale is checked once, where it is
            problems += [(("scale", *loc), key, params) for loc, key, params in _scale(scale)]
    elif question.scale is not None:
        problems.append((("scale",), "scenarios.problem.scale_not_allowed", {}))
    if question.type == QuestionType.NUMBER:
        if question.min is None or question.max is None:
            problems.append(((), "scenarios.problem.number_bounds", {}))
        elif question.min > question.max:
            problems.append((("min",), "scenarios.problem.bounds_order", {}))
    if question.type == QuestionType.TEXT and question.max_length is None:
        problems.append(((), "scenarios.problem.text_limit", {}))
    if question.reverse and question.type != QuestionType.SCALE:
        problems.append((("reverse",), "scenarios.problem.reverse_not_scale", {}))
    return problems


def _scale(scale: Any) -> list[Rule]:
    problems: list[Rule] = []
    if scale.min >= scale.max or len(scale.points()) > SCALE_POINTS_MAX:
        problems.append(((), "scenarios.problem.scale_range", {"max": SCALE_POINTS_MAX}))
        return problems
    missing = [point for point in scale.points() if point not in scale.labels]
    if missing:
        problems.append(
            (
                ("labels",) if scale.labels else (),
                "scenarios.problem.scale_labels",
                {"points": ", ".join(str(point) for point in missing)},
            )
        )
    problems += [
        (("labels", point), "scenarios.problem.label_long", {"max": LABEL_MAX})
        for point, label in scale.labels.items()
        if _too_long(label)
    ]
    extra = [point for point in scale.labels if point not in scale.points()]
    if extra:
        problems.append(
            (
                ("labels",),
                "scenarios.problem.scale_extra_labels",
                {"points": ", ".join(str(point) for point in extra)},
            )
        )
    return problems


def _too_long(label: Localized) -> bool:
    """A button label must stay readable on a phone, in every language."""
    return any(len(text) > LABEL_MAX for text in (label.ru, label.en) if text)


def _condition(
    condition: Condition, earlier: dict[str, Question], scenario: Scenario
) -> list[Rule]:
    target = earlier.get(condition.question)
    if target is None:
        later = condition.question in {q.id for q in scenario.questions()}
        key = "condition_later" if later else "condition_unknown"
        return [(("question",), f"scenarios.problem.{key}", {"id": condition.question})]
    tests = [
        name
        for name in ("equals", "any_of", "at_least", "at_most")
        if getattr(condition, name) is not None
    ]
    if len(tests) != 1:
        return [((), "scenarios.problem.condition_test", {})]
    if target.type in _CHOICE_TYPES:
        known = {option.id for option in target.options}
        values = condition.any_of if condition.any_of is not None else [condition.equals]
        unknown = [str(v) for v in values if str(v) not in known]
        if unknown or condition.at_least is not None or condition.at_most is not None:
            return [
                (
                    (tests[0],),
                    "scenarios.problem.condition_option",
                    {"id": condition.question, "values": ", ".join(unknown)},
                )
            ]
    return []


def _scored(scenario: Scenario, questions: list[Question]) -> list[Rule]:
    problems: list[Rule] = []
    for index, question in enumerate(questions):
        if question.type == QuestionType.SCALE:
            continue
        scored_options = all(option.score is not None for option in question.options)
        if question.type == QuestionType.SINGLE and scored_options:
            continue
        if question.type in (QuestionType.TEXT, QuestionType.DATE) and not question.required:
            continue  # a comment beside the scored statements
        problems.append(
            (("questions", index), "scenarios.problem.not_scorable", {"id": question.id})
        )
    return problems


def _levels(levels: list[Any]) -> list[Rule]:
    bounds = [level.below_percent for level in levels]
    if bounds[-1] is not None or any(b is None for b in bounds[:-1]):
        return [((), "scenarios.problem.levels_last", {})]
    numbers = [b for b in bounds if b is not None]
    if numbers != sorted(set(numbers)):
        return [((), "scenarios.problem.levels_order", {})]
    if {level.level for level in levels} - set(Level) or len({lv.level for lv in levels}) != len(
        levels
    ):
        return [((), "scenarios.problem.levels_repeat", {})]
    return []
