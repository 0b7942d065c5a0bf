"""The plan-graph template file: its fields, the four shapes of a period, and every problem of
a file with its line (unknown role, malformed period, month out of range, unknown event type or
check, an item number given twice). Read by `plan_templates` (shipped and region templates),
`nastavnik plan check FILE` and the admin's upload."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.services import deadline_checks, event_types
from bot.services.scenarios import Problem, line_of, schema_problem
from storage.models import DoneBy, EventScope, MonitoringStage

TITLE_MAX = 300
CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,29}$"  # fits a button's 64 bytes


# --- the file ---------------------------------------------------------------------------------


class Period(BaseModel):
    """One of four shapes; which one is checked after the schema, so the error names the line."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: int | None = Field(default=None, alias="from")
    to: int | None = None
    month: int | None = None
    months: list[int] | None = None
    stages: dict[str, int] | None = None


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")

    records: str
    types: list[str] = Field(default_factory=list)
    scopes: list[EventScope] = Field(default_factory=list)
    min: int = Field(default=1, ge=1, le=1000)
    per_school: bool = False
    hours_min: float | None = Field(default=None, gt=0, le=1000)
    topic: str | None = Field(default=None, min_length=1, max_length=100)


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=20)
    part: Literal[1, 2, 3]
    title: str = Field(min_length=1, max_length=2000)
    result: str = Field(default="", max_length=2000)
    period_text: str | None = Field(default=None, max_length=300)
    period: Period
    responsible: Literal["coordinators", "school_leaders", "tutors"]
    done_by: DoneBy = DoneBy.CONFIRM
    check: Check | None = None
    managed_by: Literal["monitoring"] | None = None
    reminder_days: list[int] | None = Field(default=None, max_length=6)
    source: str | None = Field(default=None, max_length=200)


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=CODE_PATTERN)
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    items: list[Item] = Field(min_length=1, max_length=500)


class PlanTemplateError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.file}:{p.line}: {p.key} {p.params}" for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One deadline an item makes: its number within the item, months and monitoring stage."""

    n: int
    first_month: int
    last_month: int
    stage: MonitoringStage | None = None


def occurrences(item: Item) -> list[Occurrence]:
    period = item.period
    if period.stages:
        return [
            Occurrence(n, month, month, MonitoringStage(stage))
            for n, (stage, month) in enumerate(period.stages.items(), start=1)
        ]
    if period.months:
        return [Occurrence(n, m, m) for n, m in enumerate(period.months, start=1)]
    if period.month is not None:
        return [Occurrence(1, period.month, period.month)]
    assert period.from_ is not None and period.to is not None
    return [Occurrence(1, period.from_, period.to)]


def parse(text: str, name: str) -> tuple[Template | None, list[Problem]]:
    """The template in `text`, or None, with every problem found (each naming its line)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        return None, [Problem(name, line, "scenarios.problem.syntax", {"error": error.problem})]
    except yaml.YAMLError as error:
        return None, [Problem(name, 0, "scenarios.problem.syntax", {"error": str(error)})]
    if not isinstance(data, dict) or root is None:
        return None, [Problem(name, 1, "plan.problem.not_a_mapping")]
    try:
        template = Template.model_validate(data)
    except ValidationError as error:
        return None, [schema_problem(name, root, item) for item in error.errors()]
    problems = [
        Problem(name, line_of(root, loc), key, params) for loc, key, params in _rules(template)
    ]
    return (None, problems) if problems else (template, [])


def parse_file(path: Path) -> tuple[Template | None, list[Problem]]:
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(str(path), 0, "scenarios.problem.unreadable", {"error": str(error)})]
    return parse(text, str(path))


Rule = tuple[tuple[str | int, ...], str, dict[str, Any]]


def _rules(template: Template) -> list[Rule]:
    found: list[Rule] = []
    seen: set[str] = set()
    known_types = {kind.id for kind in event_types.catalogue()}
    for i, item in enumerate(template.items):
        at: tuple[str | int, ...] = ("items", i)
        if item.code in seen:
            found.append(((*at, "code"), "plan.problem.duplicate_code", {"code": item.code}))
        seen.add(item.code)
        found += _period_rules(item, (*at, "period"))
        check = item.check
        if item.done_by == DoneBy.RECORDS and check is None:
            found.append((at, "plan.problem.check_missing", {"code": item.code}))
        if check is None:
            continue
        if item.done_by != DoneBy.RECORDS:
            found.append(((*at, "check"), "plan.problem.check_not_records", {"code": item.code}))
        if check.records not in deadline_checks.known_rules():
            names = ", ".join(sorted(deadline_checks.known_rules()))
            found.append(
                (
                    (*at, "check", "records"),
                    "plan.problem.unknown_check",
                    {"value": check.records, "known": names},
                )
            )
        for j, type_id in enumerate(check.types):
            if type_id not in known_types:
                found.append(
                    (
                        (*at, "check", "types", j),
                        "plan.problem.unknown_event_type",
                        {"value": type_id},
                    )
                )
        if check.records == "monitoring" and not item.period.stages:
            found.append(((*at, "period"), "plan.problem.monitoring_stages", {"code": item.code}))
    return found


def _period_rules(item: Item, at: tuple[str | int, ...]) -> list[Rule]:
    period = item.period
    shapes = [
        period.from_ is not None or period.to is not None,
        period.month is not None,
        period.months is not None,
        period.stages is not None,
    ]
    window_whole = period.from_ is not None and period.to is not None
    if sum(shapes) != 1 or (shapes[0] and not window_whole):
        return [(at, "plan.problem.period", {"code": item.code})]
    months: list[tuple[tuple[str | int, ...], int]] = []
    if shapes[0]:
        assert period.from_ is not None and period.to is not None
        months = [((*at, "from"), period.from_), ((*at, "to"), period.to)]
    elif period.month is not None:
        months = [((*at, "month"), period.month)]
    elif period.months is not None:
        if not period.months:
            return [(at, "plan.problem.period", {"code": item.code})]
        months = [((*at, "months", j), m) for j, m in enumerate(period.months)]
    elif period.stages is not None:
        if not period.stages:
            return [(at, "plan.problem.period", {"code": item.code})]
        stage_names = {s.value for s in MonitoringStage}
        for stage, month in period.stages.items():
            if stage not in stage_names:
                names = ", ".join(s.value for s in MonitoringStage)
                return [
                    (
                        (*at, "stages"),
                        "plan.problem.unknown_stage",
                        {"value": stage, "known": names},
                    )
                ]
            months.append(((*at, "stages", stage), month))
    return [(loc, "plan.problem.month", {"value": m}) for loc, m in months if not 1 <= m <= 12]
