"""Curated materials of the individual route (ИОМ): `bot/scenarios/route/materials.yaml`.

The file maps a self-check block (a scored section's id) to a short list of materials, courses,
communities and practices; the route shows them for the blocks where the self-check found a
deficit. A methodologist edits it like a scenario, and `nastavnik check-scenarios` checks it
(with file, line and reason) whenever it checks the folder that holds it.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import (
    AnyUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    UrlConstraints,
    ValidationError,
)

from bot.services.scenario_schema import Id
from bot.services.scenarios import (
    SCENARIOS_DIR,
    LoadedScenario,
    Problem,
    line_of,
    read_yaml,
    schema_problem,
)

MATERIALS_FILE = SCENARIOS_DIR / "route" / "materials.yaml"
TITLE_MAX = 200
# A route lists a block's materials on one screen: a handful, not a library.
ITEMS_MAX = 10

TitleText = Annotated[
    str, StringConstraints(min_length=1, max_length=TITLE_MAX, strip_whitespace=True)
]
# Only https: a link a teacher opens from the route must not be readable or changed on the way.
HttpsUrl = Annotated[
    AnyUrl, UrlConstraints(allowed_schemes=["https"], host_required=True, max_length=2000)
]


class MaterialKind(enum.StrEnum):
    MATERIAL = "material"  # methodical materials to read or use
    COURSE = "course"  # professional training (курсы ПК)
    COMMUNITY = "community"  # a professional or network community
    PRACTICE = "practice"  # something to do in one's school or district


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Title(_Strict):
    ru: TitleText
    en: TitleText | None = None

    def get(self, locale: str) -> str:
        return self.en if locale == "en" and self.en else self.ru


def _plain_string(value: Any) -> Any:
    return {"ru": value} if isinstance(value, str) else value


class MaterialEntry(_Strict):
    # A plain string (every language) or `{ru: ..., en: ...}`, as texts of scenario files.
    title: Annotated[Title, BeforeValidator(_plain_string)]
    url: HttpsUrl | None = None
    kind: MaterialKind


_FILE = TypeAdapter(
    dict[Id, Annotated[list[MaterialEntry], Field(min_length=1, max_length=ITEMS_MAX)]]
)


@dataclass(frozen=True)
class Material:
    title: Title
    url: str | None
    kind: MaterialKind


class MaterialsFileError(Exception):
    """The materials file cannot be used; the message names the file, line and reason."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(
            "; ".join(f"{p.file}:{p.line}: {p.key} {p.params or ''}".rstrip() for p in problems)
        )
        self.problems = problems


def check_file(
    path: Path, known_blocks: Collection[str] | None = None
) -> tuple[dict[str, list[Material]] | None, list[Problem]]:
    """The materials in `path` by block, or None, and every problem found; with `known_blocks`,
    a block that no scenario scores is a problem too (a typo in its id)."""
    name = str(path)
    read = read_yaml(path, "scenarios.problem.materials_shape")
    if isinstance(read, list):
        return None, read
    root, data, problems = read.root, read.data, list(read.problems)
    try:
        entries = _FILE.validate_python(data)
    except ValidationError as error:
        problems += [_problem(name, root, item) for item in error.errors()]
        return None, problems
    if known_blocks is not None:
        problems += [
            Problem(name, key.start_mark.line + 1, "scenarios.problem.unknown_block", {"id": block})
            for key, _ in root.value
            if (block := str(key.value)) in entries and block not in known_blocks
        ]
    if problems:
        return None, problems
    return {
        block: [
            Material(item.title, str(item.url) if item.url else None, item.kind) for item in items
        ]
        for block, items in entries.items()
    }, []


def _problem(name: str, root: yaml.Node, error: Any) -> Problem:
    if error["type"] == "url_scheme":
        loc = tuple(error["loc"])
        return Problem(name, line_of(root, loc), "scenarios.problem.url_not_https", {})
    return schema_problem(name, root, error)


def check_beside(paths: Iterable[Path], loaded: Iterable[LoadedScenario]) -> list[Problem]:
    """The problems of the materials file of every scenario folder in `paths` (its blocks are
    checked against the scored sections of the `loaded` scenarios)."""
    blocks = {section.id for item in loaded for section in item.scenario.sections if section.scored}
    return [
        problem
        for path in paths
        if path.is_dir() and (path / "route" / "materials.yaml").is_file()
        for problem in check_file(path / "route" / "materials.yaml", blocks)[1]
    ]


@functools.cache
def load(path: Path = MATERIALS_FILE) -> dict[str, list[Material]]:
    """The materials by block. Raises `MaterialsFileError` if the file has a problem."""
    materials, problems = check_file(path)
    if materials is None:
        raise MaterialsFileError(problems)
    return materials


def for_block(block: str) -> list[Material]:
    """The shipped materials of one self-check block (none: an empty list)."""
    return load().get(block, [])
