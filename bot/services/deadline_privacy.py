"""What the deadlines keep about a person, for /mydata, and what /forget takes away."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Person
from storage.repositories.deadline_items import DeadlineItemsRepo


async def own_data(session: AsyncSession, person: Person) -> list[dict[str, Any]]:
    """Tasks the person answered, asked help on, or holds by name."""
    rows = await DeadlineItemsRepo(session).answered_by(person.id)
    return [
        {
            "item": deadline.title,
            "due_on": deadline.due_on.isoformat(),
            "school_id": task.school_id,
            "status": task.status.value,
            "answered_by_me": task.done_by_id == person.id,
            "done_at": task.done_at.isoformat() if task.done_at else None,
            "comment": task.comment if task.done_by_id == person.id else None,
            "evidence": task.evidence_name if task.done_by_id == person.id else None,
            "help_requested_at": (
                task.help_requested_at.isoformat() if task.help_requested_at else None
            ),
        }
        for task, deadline in rows
    ]


async def forget_person(session: AsyncSession, person: Person) -> None:
    await DeadlineItemsRepo(session).forget_answers(person.id)
