"""A tiny run of the events benchmark (bench/events.py): every row of its table is there, the
announcement reaches every teacher, and the rush books exactly the capacity with the waiting
list in order; no timing is asserted."""

from __future__ import annotations

import os
from pathlib import Path

from bench.events import Scale, benchmark, markdown_table
from bench.update_path import asyncpg_url

TINY = Scale(teachers=120, registrations=30, double_taps=5, capacity=10, window_seconds=1.0)


async def test_the_table_has_every_row_and_nothing_is_overbooked(tmp_path: Path) -> None:
    url = asyncpg_url(os.environ.get("DATABASE_URL", ""))
    postgres = url if url.startswith("postgresql") else None

    rows, load = await benchmark(
        TINY, tmp_path, postgres=postgres, redis=os.environ.get("REDIS_URL") if postgres else None
    )

    table = markdown_table(rows)
    databases = ["SQLite", "PostgreSQL"] if postgres else ["SQLite"]
    for database in databases:
        found = {
            row.measure.split(":", 1)[1].strip()[:30]: row
            for row in rows
            if row.measure.startswith(database)
        }
        assert len(found) == 6, table
        checked = [row for row in rows if row.measure.startswith(database) and row.ok is not None]
        by_name = {row.measure: row for row in checked}
        seats = next(r for name, r in by_name.items() if "seats taken" in name)
        assert seats.value == "10 / 10", table
        people = next(r for name, r in by_name.items() if "without gaps" in name)
        assert people.value == "30 / 30 / 20, gapless", table
        order = next(r for name, r in by_name.items() if "out of arrival order" in name)
        assert order.value == "0 / 0 of 35 / 0", table
        announced = next(r for name, r in by_name.items() if "announcement" in name)
        assert announced.ok, table
    assert set(load) == {name.lower() for name in databases}
