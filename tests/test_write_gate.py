"""SQLite writers of one engine queue on the in-process gate (storage/db.py `WriteGate`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from storage.db import _is_write, create_engine


async def test_concurrent_writers_queue_and_every_write_lands(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'gate.sqlite3'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE counter (n INTEGER)"))
            await conn.execute(text("INSERT INTO counter VALUES (0)"))

        async def bump(fail: bool) -> None:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT n FROM counter"))  # a read holds nothing
                await conn.execute(text("UPDATE counter SET n = n + 1"))
                await asyncio.sleep(0.01)  # other writers arrive while this one holds the gate
                if fail:
                    await conn.rollback()
                else:
                    await conn.commit()

        # Twenty at once, each holding its write across an await; four roll back (the gate is
        # given back then too, or the rest would wait forever).
        await asyncio.gather(*(bump(fail=i % 5 == 0) for i in range(20)))
        async with engine.connect() as conn:
            assert (await conn.scalar(text("SELECT n FROM counter"))) == 16
    finally:
        await engine.dispose()


def test_only_writes_take_the_gate() -> None:
    assert _is_write("  insert into x values (1)")
    assert _is_write("UPDATE events SET seats_taken = seats_taken + 1")
    assert _is_write("DELETE FROM x")
    assert not _is_write("SELECT 1")
    assert not _is_write("PRAGMA journal_mode=WAL")
