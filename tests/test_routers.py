"""Every dispatcher gets routers of its own, asked in the same order each time."""

from __future__ import annotations

from bot.handlers import get_routers


def test_each_call_builds_fresh_routers_in_the_same_order() -> None:
    first, second = get_routers(), get_routers()

    assert [r.name for r in first] == [r.name for r in second]
    assert first[0].name == "bot.handlers.errors"
    assert first[-1].name == "bot.handlers.fallback"
    assert not any(r is again for r, again in zip(first, second, strict=True))
