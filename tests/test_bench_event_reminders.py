"""A small run of the event reminders benchmark (bench/event_reminders.py): every reminder is
queued once, the ones due while the bot was down on start-up, none left; no timing asserted
beyond the benchmark's own generous targets."""

from __future__ import annotations

import os
from pathlib import Path

from bench.event_reminders import benchmark, markdown
from bench.update_path import asyncpg_url


async def test_every_reminder_is_queued_once_across_start_up_and_the_driven_clock(
    tmp_path: Path,
) -> None:
    url = asyncpg_url(os.environ.get("DATABASE_URL", ""))
    postgres = url if url.startswith("postgresql") else None
    results = await benchmark(
        700,
        0.1,
        tmp_path,
        postgres=postgres,
        redis=os.environ.get("REDIS_URL") if postgres else None,
    )
    assert len(results) == (2 if postgres else 1)
    for result in results:
        assert result.queued == 700
        assert (result.duplicates, result.left) == (0, 0)
        # Reminders of the first event came due before the data was written: sent on start.
        assert result.due_while_down > 0
        assert result.sweeps > 1
    table = markdown(results)
    assert "start-up with them pending" in table and "due → queued" in table
