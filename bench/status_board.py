"""The status board on a region-sized plan: 600 schools × 70 plan-graph items (42,000 tasks)
in one municipality — the worst a single coordinator's board can be — and the admin's row per
municipality over the same rows. Timed: the board by item, by school, the overview, the grid's
cells and the first picture. Target: the board ≤ 1 s.

    python -m bench.status_board [--schools 600] [--items 70] [--runs 3]

SQLite in a temporary file by default; with DATABASE_URL=postgresql+asyncpg://… the database is
emptied and filled (use a scratch database).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)

from bot.services import status_board
from bot.services.charts.status_grid import STATE_ORDER, grid_png
from storage.models import (
    Base,
    Deadline,
    DeadlineKind,
    DeadlineTask,
    Municipality,
    Person,
    PersonRole,
    Region,
    Responsible,
    Role,
    School,
    TaskStatus,
)

YEAR = 2027
TODAY = date(2027, 7, 1)
ROWS_PER_STATEMENT = 2_000


@dataclass(frozen=True)
class Timing:
    measure: str
    best_ms: float
    value: str


async def build(engine: AsyncEngine, schools: int, items: int, seed: int = 12) -> tuple[int, int]:
    """The plan; returns the coordinator's and the admin's person ids."""
    rng = random.Random(seed)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    pool = async_sessionmaker(engine, expire_on_commit=False)
    async with pool.begin() as session:
        region = Region(name="Ставропольский край")
        session.add(region)
        await session.flush()
        mun = Municipality(region_id=region.id, name="Большой округ")
        session.add(mun)
        await session.flush()
        coordinator = Person(
            full_name="Координатор",
            municipality_id=mun.id,
            roles=[PersonRole(role=Role.COORDINATOR, municipality_id=mun.id)],
        )
        admin = Person(
            full_name="Администратор",
            municipality_id=mun.id,
            roles=[PersonRole(role=Role.ADMIN, region_id=region.id)],
        )
        session.add_all([coordinator, admin])
        await session.flush()
        ids = (coordinator.id, admin.id)
        mun_id = mun.id
    async with engine.begin() as connection:
        await connection.execute(
            insert(School.__table__),
            [
                {"id": n, "municipality_id": mun_id, "name": f"МКОУ СОШ № {n}",
                 "short_name": f"СОШ № {n}", "low_results": True}
                for n in range(1, schools + 1)
            ],
        )  # fmt: skip
        deadlines = []
        for n in range(1, items + 1):
            due = date(YEAR, 1 + (n * 11) % 12, 1 + (n * 7) % 28)
            deadlines.append(
                {"id": n, "municipality_id": mun_id, "year": YEAR, "kind": DeadlineKind.PLAN,
                 "title": f"Пункт плана-графика {n}", "item_code": f"{1 + n // 25}.{n % 25}",
                 "responsible": Responsible.SCHOOL_LEADERS, "starts_on": date(YEAR, 1, 1),
                 "due_on": due, "reminder_days": [14, 7, 1, 0]}
            )  # fmt: skip
        await connection.execute(insert(Deadline.__table__), deadlines)
        tasks: list[dict[str, Any]] = []
        for deadline in deadlines:
            for school in range(1, schools + 1):
                done = rng.random() < 0.5
                day = deadline["due_on"].toordinal() + rng.randint(-10, 10)
                moment = datetime.fromordinal(day).replace(hour=9)
                tasks.append(
                    {"deadline_id": deadline["id"], "target_key": f"s{school}",
                     "school_id": school, "status": TaskStatus.DONE if done else TaskStatus.PENDING,
                     "done_at": moment.replace(tzinfo=UTC) if done else None}
                )  # fmt: skip
        for start in range(0, len(tasks), ROWS_PER_STATEMENT):
            await connection.execute(
                insert(DeadlineTask.__table__), tasks[start : start + ROWS_PER_STATEMENT]
            )
    return ids


async def _best(runs: int, work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = await work()
        best = min(best, time.perf_counter() - started)
    return best * 1000, result


async def measure(engine: AsyncEngine, schools: int, items: int, runs: int) -> list[Timing]:
    coordinator_id, admin_id = await build(engine, schools, items)
    pool = async_sessionmaker(engine, expire_on_commit=False)
    timings: list[Timing] = []
    async with pool() as session:
        query = select(Person).where(Person.id.in_([coordinator_id, admin_id]))
        people = {p.id: p for p in (await session.scalars(query)).all()}
        for person in people.values():
            await session.refresh(person, ["roles"])
        coordinator, admin = people[coordinator_id], people[admin_id]
        mun_id = coordinator.roles[0].municipality_id or 0

        async def by_item() -> status_board.Board:
            return await status_board.board(session, coordinator, mun_id, YEAR, TODAY)

        async def overdue() -> status_board.Board:
            return await status_board.board(
                session, coordinator, mun_id, YEAR, TODAY, chosen="overdue"
            )

        async def by_school() -> status_board.Board:
            return await status_board.board(session, coordinator, mun_id, YEAR, TODAY, view="who")

        async def overview() -> status_board.Overview:
            return await status_board.overview(session, admin, YEAR, TODAY)

        async def grid() -> status_board.Grid:
            return await status_board.grid(session, coordinator, mun_id, YEAR, TODAY)

        for name, work in (
            ("board by item (page 1)", by_item),
            ("board, overdue only", overdue),
            ("board by school (page 1)", by_school),
            ("admin: row per municipality", overview),
            ("grid cells for the picture", grid),
        ):
            ms, result = await _best(runs, work)
            value = ""
            if isinstance(result, status_board.Board):
                value = f"{result.totals.total} tasks, {result.pages} pages"
            elif isinstance(result, status_board.Overview):
                value = f"{result.totals.total} tasks"
            elif isinstance(result, status_board.Grid):
                value = f"{result.rows}×{result.columns}, {len(result.parts)} pictures"
            timings.append(Timing(name, ms, value))
        found = await grid()
        part = found.parts[0]
        legend = [(state, state) for state in STATE_ORDER]
        started = time.perf_counter()
        png = await asyncio.to_thread(
            grid_png, "Board", part.rows, part.columns, part.states, legend
        )
        timings.append(
            Timing(
                "first picture (100 × 60)",
                (time.perf_counter() - started) * 1000,
                f"{len(png) // 1024} KiB",
            )
        )
    return timings


def markdown(timings: Sequence[Timing], database: str, schools: int, items: int) -> str:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    lines = [
        f"Status board, {database}: {schools} schools × {items} items, best of runs",
        "",
        "| measure | ms | result |",
        "|---|---:|---|",
        *(f"| {t.measure} | {t.best_ms:.0f} | {t.value} |" for t in timings),
        "",
        f"Peak RSS: {peak:.0f} MB",
    ]
    return "\n".join(lines)


async def run(schools: int, items: int, runs: int, url: str | None) -> str:
    with tempfile.TemporaryDirectory() as folder:
        database = "PostgreSQL" if url else "SQLite"
        engine = create_async_engine(url or f"sqlite+aiosqlite:///{Path(folder) / 'board.db'}")
        try:
            timings = await measure(engine, schools, items, runs)
        finally:
            await engine.dispose()
    return markdown(timings, database, schools, items)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--schools", type=int, default=600)
    parser.add_argument("--items", type=int, default=70)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    postgres = url if url.startswith("postgresql+asyncpg") else None
    print(asyncio.run(run(args.schools, args.items, args.runs, postgres)))


if __name__ == "__main__":
    main()
