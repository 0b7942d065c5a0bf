"""A tiny run of the surveys benchmark (bench/surveys.py): every row of its table is there and
the runner takes a teacher through a whole self-check by its buttons; no timing is asserted."""

from __future__ import annotations

import os
from pathlib import Path

from bench.region import RegionSize
from bench.surveys import Scale, benchmark, markdown_table
from bench.surveys_data import DataSize
from bench.update_path import asyncpg_url
from bot.services import scenarios

TINY = Scale(
    DataSize(RegionSize().scaled(0.01), big_city_teachers=40, survey_invitees=30),
    runs=1,
    runner_teachers=1,
)


async def test_the_table_has_every_row_and_the_runner_submits(tmp_path: Path) -> None:
    shipped = scenarios.SCENARIOS_DIR
    # On a PostgreSQL run the benchmark's second pass (a throw-away database there) runs too.
    url = asyncpg_url(os.environ.get("DATABASE_URL", ""))
    postgres = url if url.startswith("postgresql") else None

    rows, load = await benchmark(
        TINY, tmp_path, postgres=postgres, redis=os.environ.get("REDIS_URL") if postgres else None
    )

    table = markdown_table(rows)
    measures = [row.measure for row in rows]
    for expected in (
        "SQLite: data built",
        "SQLite: big city",
        "SQLite, usual municipality",
        "SQLite, big city (",
        "SQLite, big city at the end of the year",
        "SQLite: survey summary + answer charts",
        "SQLite: survey .xlsx",
        "SQLite: runner, one answer → next question",
        "SQLite: runner, /selfcheck → first question",
        "SQLite: runner, checks submitted",
        "peak RSS of the measuring process",
    ):
        assert any(m.startswith(expected) for m in measures), f"no row {expected!r}:\n{table}"
    for where in ("SQLite, usual municipality", "SQLite, big city ("):
        for press in ("summary", "heat map, query + PNG", ".xlsx, collect + workbook"):
            found = [m for m in measures if m.startswith(where) and m.endswith(press)]
            assert len(found) == 1, f"{where} … {press}:\n{table}"
    # Every press answered with what it found, and the whole self-check went through.
    assert all(row.value for row in rows)
    databases = ["SQLite", "PostgreSQL"] if postgres else ["SQLite"]
    for database in databases:
        submitted = f"{database}: runner, checks submitted"
        finished = next(r for r in rows if r.measure.startswith(submitted))
        assert finished.value == "1 of 1 / 0", table
        answers = next(r.measure for r in rows if r.measure.startswith(f"{database}: runner, one"))
        assert "n=44," in answers
    assert table.startswith("| what | value | target | |")
    assert set(load) == {name.lower() for name in databases}
    # The benchmark's scenario folder is left behind: the catalogue is the shipped one again.
    assert shipped == scenarios.SCENARIOS_DIR
