"""A tiny run of the status-board benchmark (bench/status_board.py): every row of its table is
there and the counts add up (60 schools × 7 items = 420 tasks); no timing is asserted."""

from __future__ import annotations

from bench.status_board import run


async def test_the_table_has_every_row() -> None:
    table = await run(schools=60, items=7, runs=1, url=None)
    assert table.count("| board") == 3, table
    assert "| board by item (page 1) |" in table and "420 tasks, 1 pages" in table
    assert "| admin: row per municipality |" in table and "| first picture" in table
    assert "60×7, 1 pictures" in table
