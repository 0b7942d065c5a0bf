"""Applying a roster plan: bulk writes, in short steps when the caller asks for them.

A region's roster is 25,000 people. Written in one transaction it would hold SQLite's write
lock for seconds, and every other person's message would wait behind it (the update path stores
each update before anything else). With `checkpoint` the plan is written in chunks of
`CHUNK_ROWS`, and `checkpoint` (a commit) runs after each. An apply cut short is completed by
running it again: the next plan matches the people already written, by phone or name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.roster_plan import (
    RosterPlan,
    assignment_known,
    name_key,
    person_changes,
    school_changes,
    wanted_grants,
)
from storage.models import PersonStatus
from storage.repositories.roster import RosterRepo

CHUNK_ROWS = 500
Checkpoint = Callable[[], Awaitable[None]]
T = TypeVar("T")


def _chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), CHUNK_ROWS):
        yield items[start : start + CHUNK_ROWS]


async def _nothing() -> None:
    return None


async def apply_plan(
    session: AsyncSession,
    plan: RosterPlan,
    *,
    today: date | None = None,
    checkpoint: Checkpoint | None = None,
) -> None:
    """Writes the plan's valid rows. Without `checkpoint`, all in the caller's transaction
    (which commits or rolls back); with it, in chunks, calling it after each."""
    if plan.report.file_problem is not None:
        return
    step = checkpoint or _nothing
    repo = RosterRepo(session)
    municipality_id = plan.municipality_id
    new_schools = [s for s in plan.schools if s.existing is None]
    await repo.insert_schools(
        [
            {
                "municipality_id": municipality_id,
                "name": s.name,
                "short_name": s.short_name,
                "low_results": bool(s.low_results),
                "unfavourable_conditions": bool(s.unfavourable_conditions),
                "is_leader": bool(s.is_leader),
            }
            for s in new_schools
        ]
    )
    changed = [(s, school_changes(s)) for s in plan.schools if s.existing is not None]
    for school, changes in changed:
        # Each school changes different columns, so these go one by one (a few hundred at most).
        assert school.existing is not None
        await repo.update_schools([{"id": school.existing.id, **changes}])
    if new_schools:
        plan.school_ids.update(
            {name_key(s.name): s.id for s in await repo.schools(municipality_id)}
        )

    await step()

    # Every apply writes rows in the same order (new people by phone, the rest by ids): two
    # applies writing the same rows at once then wait on each other instead of deadlocking.
    inserts = sorted(
        (p for p in plan.people if p.existing is None),
        key=lambda p: (p.phone is None, p.phone or ""),
    )
    for chunk in _chunks(inserts):
        ids = await repo.insert_people(
            [
                {
                    "full_name": p.full_name,
                    "phone": p.phone,
                    "municipality_id": municipality_id,
                    "school_id": plan.school_ids.get(p.school_key) if p.school_key else None,
                    "status": PersonStatus.ACTIVE,
                }
                for p in chunk
            ]
        )
        for planned, new_id in zip(chunk, ids, strict=True):
            planned.id = new_id
        await step()
    updates: list[dict[str, Any]] = []
    for planned in plan.people:
        existing = planned.existing
        if existing is None:
            continue
        planned.id = existing.id
        if not person_changes(planned, municipality_id, plan.school_ids):
            continue
        updates.append(
            {
                "id": existing.id,
                "full_name": planned.full_name,
                "phone": planned.phone or existing.phone,
                "municipality_id": municipality_id,
                "school_id": (
                    plan.school_ids.get(planned.school_key)
                    if planned.school_key
                    else existing.school_id
                ),
            }
        )
    updates.sort(key=lambda row: int(row["id"]))
    for update_chunk in _chunks(updates):
        await repo.update_people(list(update_chunk))
        await step()

    grants: list[dict[str, Any]] = []
    subjects: list[dict[str, Any]] = []
    assignments: list[dict[str, Any]] = []
    starts_on = today or datetime.now(UTC).date()
    for planned in plan.people:
        assert planned.id is not None
        held = planned.existing.grants if planned.existing else set()
        for role, scope in wanted_grants(planned, municipality_id) - held:
            grants.append({"person_id": planned.id, "role": role, "municipality_id": scope})
        had = planned.existing.subjects if planned.existing else set()
        subjects.extend(
            {"person_id": planned.id, "subject": s} for s in planned.subjects if s not in had
        )
        tutor = planned.tutor
        if tutor is not None and not assignment_known(plan, planned):
            tutor_id = tutor.id
            assert tutor_id is not None
            assignments.append(
                {"tutor_id": tutor_id, "teacher_id": planned.id, "starts_on": starts_on}
            )
    grants.sort(key=lambda row: (row["person_id"], str(row["role"]), row["municipality_id"] or 0))
    subjects.sort(key=lambda row: (row["person_id"], row["subject"]))
    assignments.sort(key=lambda row: (row["tutor_id"], row["teacher_id"]))
    for rows, write in (
        (grants, repo.insert_grants),
        (subjects, repo.insert_subjects),
        (assignments, repo.insert_assignments),
    ):
        for rows_chunk in _chunks(rows):
            await write(list(rows_chunk))
            await step()
