"""The status board: a program year's live deadlines × the schools or people they fall to,
each cell done / done late / overdue / pending (or not applicable: no task there), counted per
deadline and per school or person; filtered (all, overdue, pending, by kind) and paged so a
page fits one message. Admins first see a row per municipality of their regions.

Counting is done in SQL (`StatusBoardRepo`), a query per view, so the region's board (600
schools × 70 items) is read in well under a second; the grid for the picture reads one row per
task, states included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import DomainError
from bot.services import program_years
from bot.services.scope import Scope, scope_of
from storage.models import DeadlineKind, Person
from storage.repositories.monitoring import MonitoringRepo
from storage.repositories.status_board import (
    Counts,
    DeadlineCounts,
    StatusBoardRepo,
)

FILTERS = ("all", "overdue", "pending", "own", "plan", "monitoring")
DEADLINES_PER_PAGE = 8
TARGETS_PER_PAGE = 20
MUNICIPALITIES_PER_PAGE = 20
NAMES_SHOWN = 3  # overdue schools or people named under a deadline
TITLE_MAX = 80
NAME_MAX = 40
# The picture: a grid wider than this many deadlines is split across pictures, taller than
# GRID_ROWS schools split too, and no more than GRID_PICTURES pictures are sent.
GRID_COLUMNS = 60
GRID_ROWS = 100
GRID_PICTURES = 10
STATES = ("done", "late", "overdue", "pending", "none")


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def check_filter(value: str) -> str:
    if value == "":
        return "all"
    if value not in FILTERS:
        raise DomainError("board.bad_filter")
    return value


def _kind(value: str) -> DeadlineKind | None:
    return DeadlineKind(value) if value in ("own", "plan", "monitoring") else None


@dataclass(frozen=True, slots=True)
class DeadlineLine:
    deadline_id: int
    code: str | None
    title: str
    kind: str
    due_on: date
    counts: Counts
    overdue_names: tuple[str, ...]
    overdue_more: int


@dataclass(frozen=True, slots=True)
class TargetLine:
    name: str
    is_school: bool
    counts: Counts


@dataclass(frozen=True, slots=True)
class Board:
    municipality_id: int
    municipality: str
    year: int
    today: date
    filter: str
    view: str  # "deadlines" or "who"
    page: int
    pages: int
    totals: Counts
    deadlines_count: int
    deadlines: tuple[DeadlineLine, ...]
    targets: tuple[TargetLine, ...]
    admin: bool  # may go back to the municipalities


@dataclass(frozen=True, slots=True)
class MunicipalityLine:
    municipality_id: int
    name: str
    counts: Counts


@dataclass(frozen=True, slots=True)
class Overview:
    year: int
    page: int
    pages: int
    totals: Counts
    municipalities: tuple[MunicipalityLine, ...]


async def _scope(session: AsyncSession, viewer: Person) -> Scope:
    scope = await scope_of(session, viewer)
    if scope.is_empty:
        raise DomainError("board.not_allowed")
    return scope


async def _allowed(session: AsyncSession, viewer: Person, municipality_id: int) -> Scope:
    scope = await _scope(session, viewer)
    if not scope.covers_municipality(municipality_id):
        raise DomainError("board.not_allowed")
    return scope


async def start_point(session: AsyncSession, viewer: Person) -> int | None:
    """The municipality the board opens on (a coordinator's first), or None: the admin's list."""
    scope = await _scope(session, viewer)
    if scope.region_ids:
        return None
    return scope.municipality_ids[0]


async def year_of(session: AsyncSession, municipality_id: int | None, today: date) -> int:
    municipality = None
    if municipality_id:
        municipality = await MonitoringRepo(session).municipality(municipality_id)
    return program_years.year_of(program_years.kind_of(municipality), today)


def _pages(count: int, per_page: int) -> int:
    return max(1, math.ceil(count / per_page))


def _page(page: int, pages: int) -> int:
    return min(max(page, 0), pages - 1)


def _keep(counts: Counts, chosen: str) -> bool:
    if chosen == "overdue":
        return counts.overdue > 0
    if chosen == "pending":
        return counts.pending > 0
    return True


async def _names(
    repo: StatusBoardRepo, keys: list[tuple[int | None, int | None]]
) -> dict[str, str]:
    schools = await repo.school_names(s for s, _ in keys if s is not None)
    people = await repo.person_names(p for _, p in keys if p is not None)
    found = {f"s{i}": name for i, name in schools.items()}
    found.update({f"p{i}": name for i, name in people.items()})
    return found


async def board(
    session: AsyncSession,
    viewer: Person,
    municipality_id: int,
    year: int,
    today: date,
    *,
    chosen: str = "all",
    view: str = "deadlines",
    page: int = 0,
) -> Board:
    scope = await _allowed(session, viewer, municipality_id)
    program_years.check_year(year)
    chosen = check_filter(chosen)
    repo = StatusBoardRepo(session)
    kind = _kind(chosen)
    by_deadline = await repo.by_deadline([municipality_id], year, today, kind)
    totals = sum((line.counts for line in by_deadline), Counts())
    names = await repo.municipality_names([municipality_id])
    deadlines: list[DeadlineLine] = []
    targets: list[TargetLine] = []
    if view == "who":
        found = [t for t in await repo.by_target([municipality_id], year, today, kind)]
        found = [t for t in found if _keep(t.counts, chosen)]
        labels = await _names(repo, [(t.school_id, t.person_id) for t in found])
        lines = sorted(
            (
                TargetLine(
                    _short(labels.get(t.target_key, t.target_key), NAME_MAX),
                    t.school_id is not None,
                    t.counts,
                )
                for t in found
            ),
            key=lambda line: (-line.counts.overdue, line.name),
        )
        pages = _pages(len(lines), TARGETS_PER_PAGE)
        page = _page(page, pages)
        targets = lines[page * TARGETS_PER_PAGE : (page + 1) * TARGETS_PER_PAGE]
        count = len(by_deadline)
    else:
        kept = [line for line in by_deadline if _keep(line.counts, chosen)]
        pages = _pages(len(kept), DEADLINES_PER_PAGE)
        page = _page(page, pages)
        shown = kept[page * DEADLINES_PER_PAGE : (page + 1) * DEADLINES_PER_PAGE]
        deadlines = await _deadline_lines(repo, shown, today)
        count = len(kept)
    return Board(
        municipality_id,
        names.get(municipality_id, ""),
        year,
        today,
        chosen,
        "who" if view == "who" else "deadlines",
        page,
        pages,
        totals,
        count,
        tuple(deadlines),
        tuple(targets),
        bool(scope.region_ids),
    )


async def _deadline_lines(
    repo: StatusBoardRepo, shown: list[DeadlineCounts], today: date
) -> list[DeadlineLine]:
    overdue = await repo.overdue_targets(
        (line.deadline_id for line in shown if line.counts.overdue), today
    )
    labels = await _names(repo, [(school, person) for _, _, school, person in overdue])
    named: dict[int, list[str]] = {}
    for deadline_id, key, _, _ in overdue:
        named.setdefault(deadline_id, []).append(_short(labels.get(key, key), NAME_MAX))
    return [
        DeadlineLine(
            line.deadline_id,
            line.item_code if line.kind == DeadlineKind.PLAN else None,
            _short(line.title, TITLE_MAX),
            line.kind.value,
            line.due_on,
            line.counts,
            tuple(named.get(line.deadline_id, [])[:NAMES_SHOWN]),
            max(0, len(named.get(line.deadline_id, [])) - NAMES_SHOWN),
        )
        for line in shown
    ]


async def overview(
    session: AsyncSession, viewer: Person, year: int, today: date, *, page: int = 0
) -> Overview:
    """A row per municipality of the admin's scope: its tasks done, overdue, pending."""
    scope = await _scope(session, viewer)
    if not scope.region_ids:
        raise DomainError("board.not_allowed")
    program_years.check_year(year)
    repo = StatusBoardRepo(session)
    counts = await repo.by_municipality(scope.municipality_ids, year, today)
    names = await repo.municipality_names(scope.municipality_ids)
    lines = sorted(
        (MunicipalityLine(i, _short(names.get(i, str(i)), NAME_MAX), counts.get(i, Counts()))
         for i in scope.municipality_ids),
        key=lambda line: (-line.counts.overdue, line.name),
    )  # fmt: skip
    pages = _pages(len(lines), MUNICIPALITIES_PER_PAGE)
    page = _page(page, pages)
    return Overview(
        year,
        page,
        pages,
        sum(counts.values(), Counts()),
        tuple(lines[page * MUNICIPALITIES_PER_PAGE : (page + 1) * MUNICIPALITIES_PER_PAGE]),
    )


# --- the grid as pictures ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GridPart:
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    states: tuple[tuple[str, ...], ...]  # rows × columns, each a STATES member
    first_row: int
    first_column: int


@dataclass(frozen=True, slots=True)
class Grid:
    municipality: str
    year: int
    parts: tuple[GridPart, ...]
    rows: int
    columns: int
    truncated: bool  # more parts than GRID_PICTURES: the rest left out


async def grid(
    session: AsyncSession,
    viewer: Person,
    municipality_id: int,
    year: int,
    today: date,
    chosen: str = "all",
) -> Grid:
    """Schools (or people) × deadlines, split into parts of at most GRID_ROWS × GRID_COLUMNS."""
    await _allowed(session, viewer, municipality_id)
    program_years.check_year(year)
    chosen = check_filter(chosen)
    repo = StatusBoardRepo(session)
    kind = _kind(chosen)
    columns = [
        line
        for line in await repo.by_deadline([municipality_id], year, today, kind)
        if _keep(line.counts, chosen)
    ]
    column_ids = {line.deadline_id for line in columns}
    cells = [
        c
        for c in await repo.cells([municipality_id], year, today, kind)
        if c.deadline_id in column_ids
    ]
    keys = sorted({cell.target_key for cell in cells})
    labels = await _names(
        repo,
        [
            (int(key[1:]), None) if key.startswith("s") else (None, int(key[1:]))
            for key in keys
            if key[1:].isdigit()
        ],
    )
    rows = sorted(keys, key=lambda key: (not key.startswith("s"), labels.get(key, key)))
    state = {(cell.target_key, cell.deadline_id): cell.state for cell in cells}
    headers = [
        _short(line.item_code or line.due_on.strftime("%d.%m") + " " + line.title, 28)
        for line in columns
    ]
    parts: list[GridPart] = []
    for first_column in range(0, max(len(columns), 1), GRID_COLUMNS):
        part_columns = columns[first_column : first_column + GRID_COLUMNS]
        for first_row in range(0, max(len(rows), 1), GRID_ROWS):
            part_rows = rows[first_row : first_row + GRID_ROWS]
            parts.append(
                GridPart(
                    tuple(_short(labels.get(key, key), NAME_MAX) for key in part_rows),
                    tuple(headers[first_column : first_column + GRID_COLUMNS]),
                    tuple(
                        tuple(state.get((key, line.deadline_id), "none") for line in part_columns)
                        for key in part_rows
                    ),
                    first_row,
                    first_column,
                )
            )
    names = await repo.municipality_names([municipality_id])
    return Grid(
        names.get(municipality_id, ""),
        year,
        tuple(parts[:GRID_PICTURES]),
        len(rows),
        len(columns),
        len(parts) > GRID_PICTURES,
    )
