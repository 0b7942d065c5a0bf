"""Deadlines checked off from records: a plan-graph item «провести вебинар» is done when the
webinar is held, a monitoring stage when the school leader has submitted the self-evaluation.

A rule reads a deadline's `check` (e.g. {"records": "events", "types": ["webinar"]}) and says
which of its pending tasks the records satisfy. `refresh_from_records` runs at the start of
every deadline sweep, so reminders never nag about something already done.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Deadline, DeadlineTask, DoneBy, TaskStatus
from storage.repositories.deadlines import DeadlinesRepo

# (session, deadline, its pending tasks) → the tasks the records satisfy, each with the moment
# the record that did it was made (a report submitted, an event held): «done on time» is judged
# by that moment, not by when the sweep noticed.
Rule = Callable[[AsyncSession, Deadline, Sequence[DeadlineTask]], Awaitable[dict[int, datetime]]]

RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        RULES[name] = function
        return function

    return register


def known_rules() -> set[str]:
    return set(RULES)


async def satisfied(
    session: AsyncSession, deadline: Deadline, tasks: Sequence[DeadlineTask]
) -> dict[int, datetime]:
    check = deadline.check or {}
    found = RULES.get(str(check.get("records", "")))
    if found is None or not tasks:
        return {}
    return await found(session, deadline, tasks)


async def refresh_from_records(session: AsyncSession, today: date) -> int:
    """Marks done the pending tasks of live record-checked deadlines that have started;
    returns how many."""
    repo = DeadlinesRepo(session)
    deadlines = [
        d
        for d in await repo.live_deadlines()
        if d.done_by == DoneBy.RECORDS and d.starts_on <= today
    ]
    marked = 0
    tasks = await repo.tasks_of(d.id for d in deadlines)
    by_deadline: dict[int, list[DeadlineTask]] = {}
    for task in tasks:
        if task.status == TaskStatus.PENDING:
            by_deadline.setdefault(task.deadline_id, []).append(task)
    for deadline in deadlines:
        pending = by_deadline.get(deadline.id, [])
        done = await satisfied(session, deadline, pending)
        for task in pending:
            if task.id in done:
                task.status, task.done_at = TaskStatus.DONE, done[task.id]
                marked += 1
    await session.flush()
    return marked
