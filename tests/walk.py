"""Walking a person through a form step by step, for the leaving tests of every form
(tests/test_forms.py, tests/test_forms_broadcast.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.texts import t
from storage.models import FsmRecord
from tests.harness import Harness

Step = Callable[[Harness], Awaitable[None]]


def press(user_id: int, text: str) -> Step:
    async def step(harness: Harness) -> None:
        await harness.press(user_id, text)

    return step


def send(user_id: int, text: str) -> Step:
    async def step(harness: Harness) -> None:
        await harness.send(user_id, text)

    return step


def in_turn(*steps: Step) -> Step:
    async def step(harness: Harness) -> None:
        for one in steps:
            await one(harness)

    return step


async def walk_to(harness: Harness, way: list[tuple[str, Step]], state: str) -> None:
    """Take the steps of `way` (each: the state it reaches, the step) until `state`."""
    for reached, step in way:
        await step(harness)
        if reached == state:
            return
    raise AssertionError(f"no way to {state}")


async def answer_to(harness: Harness, user_id: int, text: str) -> str:
    """What the bot answers `text` with, and nothing before it."""
    harness.clear()
    await harness.send(user_id, text)
    return harness.last_text(user_id)


async def form_answers(db: AsyncSession) -> list[object]:
    """What the open forms hold, without the mark that says the person left."""
    db.expire_all()
    records = await db.scalars(select(FsmRecord).where(FsmRecord.key.contains("aiogd:context")))
    return [
        {k: v for k, v in record.data.get("dialog_data", {}).items() if k != "_left"}
        for record in records
    ]


async def leave_at_each_way_out_and_come_back(
    harness: Harness,
    db: AsyncSession,
    user_id: int,
    *,
    way: list[tuple[str, Step]],
    state: str,
    ways_out: list[str],
    come_back: Step,
    written: Callable[[AsyncSession], Awaitable[object]],
) -> None:
    """At `state` of the form, each of `ways_out` (a menu button's key, or a command) gets the
    answer it gets outside any form, writes nothing (`written` stays as it was) and leaves the
    form's answers as they were; `come_back` then shows the form at the same step."""
    with harness.dp["texts"].context():
        typed = {out: out if out.startswith("/") else t(out, locale="ru") for out in ways_out}
        expected = {out: await answer_to(harness, user_id, typed[out]) for out in ways_out}
    await walk_to(harness, way, state)
    window = harness.last_text(user_id)
    nothing = await written(db)

    for out in ways_out:
        answers_before = await form_answers(db)
        with harness.dp["texts"].context():
            landed = await answer_to(harness, user_id, typed[out])

        assert landed == expected[out], f"{out} at {state}"
        assert await written(db) == nothing, f"{out} at {state} wrote something"
        assert await form_answers(db) == answers_before, f"{out} at {state} changed the form"
        # Left, not lost: the form comes back at the same step.
        await come_back(harness)
        assert harness.last_text(user_id) == window, f"{out} at {state}: not resumed"
