"""`config/kpi_targets.yaml`: the programs' indicators with their targets by year, and which
programs the region and each municipality follow.

The file is read once and checked at start (`nastavnik run` refuses a broken one, naming the
line), so a coordinator's tap never meets a typo.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.services.kpi_lines import Comparison, Unit

KPI_TARGETS_FILE = Path(__file__).resolve().parent.parent.parent / "config" / "kpi_targets.yaml"

# The indicators the bot computes (bot.services.kpi); a target of another id is refused.
KNOWN_IDS = (
    "EV-DESANT",
    "EV-WEBINAR",
    "EV-SEM-INTERREG",
    "EV-SEM-DISTRICT",
    "EV-SEM-INTERMUN",
    "EV-EXCHANGE",
    "EV-PER-SCHOOL",
    "CO-PER-SCHOOL",
    "CM-COUNT",
    "CM-TEACHER-SHARE",
    "CM-SCHOOL-SHARE",
    "SC-COVERAGE",
    "SC-COVERAGE-ALL",
    "SC-DYNAMICS",
    "COVERAGE-ANY",
    "DL-PLAN",
    "DL-MONITOR",
    "SV-PARENTS",
)


class KpiTargetsError(ValueError):
    """A problem of the file, with the line it is on (1-based; 0 when unknown)."""

    def __init__(self, file: Path, line: int, reason: str) -> None:
        super().__init__(f"{file}:{line}: {reason}")
        self.file, self.line, self.reason = file, line, reason


class KpiTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: dict[str, str]
    comparison: Comparison
    unit: Unit
    target: float = Field(ge=0, le=100_000)
    by_year: dict[int, float] = Field(default_factory=dict)
    source: str = Field(min_length=1)

    @field_validator("id")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in KNOWN_IDS:
            raise ValueError(f"unknown indicator {value!r}; known: {', '.join(KNOWN_IDS)}")
        return value

    @field_validator("title")
    @classmethod
    def _russian_first(cls, value: dict[str, str]) -> dict[str, str]:
        if not value.get("ru", "").strip():
            raise ValueError("a title needs the Russian text (ru)")
        return value

    @field_validator("by_year")
    @classmethod
    def _values(cls, value: dict[int, float]) -> dict[int, float]:
        if any(v < 0 for v in value.values()):
            raise ValueError("a target is not negative")
        return value

    def target_in(self, year: int) -> float:
        return self.by_year.get(year, self.target)


class KpiProgram(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: dict[str, str]
    targets: list[KpiTarget] = Field(min_length=1)


class KpiFollow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    program: str
    only: list[str] | None = None


class KpiFollows(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    region: list[KpiFollow] = Field(min_length=1)
    default: list[KpiFollow] = Field(min_length=1)
    municipalities: dict[str, list[KpiFollow]] = Field(default_factory=dict)


class KpiTargetsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    follow: KpiFollows
    programs: dict[str, KpiProgram]

    def _pick(self, follows: list[KpiFollow]) -> list[tuple[str, KpiTarget]]:
        found: list[tuple[str, KpiTarget]] = []
        for follow in follows:
            program = self.programs.get(follow.program)
            if program is None:
                raise ValueError(f"follow names no program {follow.program!r}")
            found.extend(
                (follow.program, target)
                for target in program.targets
                if follow.only is None or target.id in follow.only
            )
        return found

    def for_region(self) -> list[tuple[str, KpiTarget]]:
        return self._pick(self.follow.region)

    def for_municipality(self, name: str) -> list[tuple[str, KpiTarget]]:
        """The municipality's own list if the file names it (case-blind), else the default."""
        folded = name.casefold().strip()
        for named, follows in self.follow.municipalities.items():
            if named.casefold().strip() == folded:
                return self._pick(follows)
        return self._pick(self.follow.default)

    def check(self) -> None:
        self.for_region()
        self._pick(self.follow.default)
        for follows in self.follow.municipalities.values():
            self._pick(follows)


def _line_of(node: yaml.Node | None, path: tuple[Any, ...]) -> int:
    """The 1-based line of the value at `path` in the composed YAML (the nearest found)."""
    line = node.start_mark.line + 1 if node is not None else 0
    for key in path:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if str(k.value) == str(key):
                    node = v
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return line
            node = node.value[key]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def parse(text: str, file: Path = KPI_TARGETS_FILE) -> KpiTargetsFile:
    """The file checked; any problem raises KpiTargetsError naming its line."""
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise KpiTargetsError(file, line, " ".join(str(error).split())) from error
    try:
        loaded = KpiTargetsFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise KpiTargetsError(
            file, _line_of(root, tuple(first["loc"])), f"{where}: {first['msg']}"
        ) from error
    try:
        loaded.check()
    except ValueError as error:
        raise KpiTargetsError(file, _line_of(root, ("follow",)), str(error)) from error
    return loaded


@cache
def kpi_targets() -> KpiTargetsFile:
    return parse(KPI_TARGETS_FILE.read_text(encoding="utf-8"))
