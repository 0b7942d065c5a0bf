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
    # On a PostgreSQL run the benchmark measures PostgreSQL (a throw-away database there) alone:
    # its SQLite pass is the SQLite suite's.
    url = asyncpg_url(os.environ.get("DATABASE_URL", ""))
    postgres = url if url.startswith("postgresql") else None
    database = "PostgreSQL" if postgres else "SQLite"

    rows, load = await benchmark(
        TINY,
        tmp_path,
        postgres=postgres,
        redis=os.environ.get("REDIS_URL") if postgres else None,
        sqlite=postgres is None,
    )

    table = markdown_table(rows)
    measures = [row.measure for row in rows]
    for expected in (
        f"{database}: data built",
        f"{database}: big city",
        f"{database}, usual municipality",
        f"{database}, big city (",
        f"{database}, big city at the end of the year",
        f"{database}: survey summary + answer charts",
        f"{database}: survey .xlsx",
        f"{database}: runner, one answer → next question",
        f"{database}: runner, /selfcheck → first question",
        f"{database}: runner, checks submitted",
        "peak RSS of the measuring process",
    ):
        assert any(m.startswith(expected) for m in measures), f"no row {expected!r}:\n{table}"
    for where in (f"{database}, usual municipality", f"{database}, big city ("):
        for press in ("summary", "heat map, query + PNG", ".xlsx, collect + workbook"):
            found = [m for m in measures if m.startswith(where) and m.endswith(press)]
            assert len(found) == 1, f"{where} … {press}:\n{table}"
    # Every press answered with what it found, and the whole self-check went through.
    assert all(row.value for row in rows)
    submitted = f"{database}: runner, checks submitted"
    finished = next(r for r in rows if r.measure.startswith(submitted))
    assert finished.value == "1 of 1 / 0", table
    answers = next(r.measure for r in rows if r.measure.startswith(f"{database}: runner, one"))
    assert "n=44," in answers
    assert table.startswith("| what | value | target | |")
    assert set(load) == {database.lower()}
    # The benchmark's scenario folder is left behind: the catalogue is the shipped one again.
    assert shipped == scenarios.SCENARIOS_DIR
