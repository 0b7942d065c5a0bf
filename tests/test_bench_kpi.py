"""A tiny run of the KPI benchmark (bench/kpi.py): every row of its table is there and every
line of the region's report has a fact; no timing is asserted."""

from __future__ import annotations

import os
from pathlib import Path

from bench.kpi import Scale, benchmark
from bench.region import RegionSize
from bench.surveys import markdown_table
from bench.update_path import asyncpg_url

TINY = Scale(
    RegionSize(municipalities=3, schools=12, teachers=120, tutors=6, consultations=60, threads=30),
    events=40,
    attendees=5,
    plan_items=3,
    parents_answers=4,
    runs=1,
)


async def test_the_table_has_every_row(tmp_path: Path) -> None:
    url = asyncpg_url(os.environ.get("DATABASE_URL", ""))
    postgres = url if url.startswith("postgresql") else None

    rows = await benchmark(TINY, tmp_path, postgres=postgres)

    table = markdown_table(rows)
    databases = ["SQLite", "PostgreSQL"] if postgres else ["SQLite"]
    for database in databases:
        mine = [row for row in rows if row.measure.startswith(database)]
        assert len(mine) == 7, table
        region = next(row for row in mine if "region report" in row.measure)
        assert "20 of 20 lines with a fact" in region.value, table
        assert "municipalities" in next(r for r in mine if ".xlsx" in r.measure).value, table
        board = next(row for row in mine if "status board (a coordinator)" in row.measure)
        assert " tasks, " in board.value, table
    assert rows[-1].measure.startswith("peak RSS"), table
