"""A small run of the outbox benchmark (bench/outbox.py): correctness, not timing.

60 recipients against the limit-enforcing local Bot API at 60 msg/s, so the three runs take a
few seconds; the outbox must deliver every message exactly once, even when its process is
killed half-way (a row interrupted mid-request may be UNKNOWN, never sent twice).
"""

from __future__ import annotations

import pytest

from bench.botapi_limits import LimitedBotApi
from bench.outbox import benchmark, markdown

# Its own SQLite file whatever DATABASE_URL says: run once, in the SQLite suite.
pytestmark = pytest.mark.database_independent

RECIPIENTS = 60
LIMIT = 60


async def test_limit_enforcing_server_answers_429_beyond_the_limits() -> None:
    server = LimitedBotApi(overall_per_second=3, chat_per_second=1)
    await server.start()
    try:
        admitted = [server._admit(chat, now=10.0) for chat in (1, 2, 3, 4)]
        assert admitted == [True, True, True, False]
        assert server._admit(1, now=10.5) is False  # the overall window is still full
        assert server._admit(1, now=11.01) is True  # a second later: room again
        assert server._admit(1, now=11.02) is False  # but chat 1 just got one
    finally:
        await server.stop()


async def test_outbox_delivers_once_even_when_killed_half_way() -> None:
    results = await benchmark(RECIPIENTS, ("A", "B", "C"), limit=LIMIT, lease_seconds=0.5)
    outbox, killed, plain = results

    assert outbox.accepted == RECIPIENTS
    assert (outbox.duplicates, outbox.lost) == (0, 0)
    assert outbox.statuses == {"sent": RECIPIENTS}

    assert killed.duplicates == 0
    assert "pending" not in killed.statuses and "sending" not in killed.statuses
    assert killed.statuses["sent"] + killed.unknown == RECIPIENTS
    # The kill lands inside a request the server accepted: that row cannot know it arrived.
    assert killed.unknown_arrived >= 1
    # The only recipients without the message are rows the sender itself declared UNKNOWN.
    assert killed.lost == killed.unknown - killed.unknown_arrived
    assert "killed after 30 accepted" in killed.note

    assert plain.duplicates == 0
    assert plain.accepted + plain.lost == RECIPIENTS

    table = markdown(results, RECIPIENTS, LIMIT, LIMIT)
    assert "| A. outbox sender |" in table
    assert "| B. outbox, killed and restarted |" in table
