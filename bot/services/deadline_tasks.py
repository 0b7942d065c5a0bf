"""Fanning a deadline out into tasks: one per participating school for school leaders, one per
coordinator or tutor, one for a named person.

Safe to run again at any time (a school joins the year, a coordinator is added): it adds only
the tasks that are missing, keyed by target, and never touches a task already there.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import program_years
from storage.models import Deadline, DeadlineTask, Responsible, Role
from storage.repositories.deadlines import DeadlinesRepo


def school_key(school_id: int) -> str:
    return f"s{school_id}"


def person_key(person_id: int) -> str:
    return f"p{person_id}"


async def fan_out(session: AsyncSession, deadline: Deadline) -> int:
    """Creates the deadline's missing tasks; returns how many were added."""
    repo = DeadlinesRepo(session)
    wanted: dict[str, DeadlineTask] = {}
    if deadline.responsible == Responsible.SCHOOL_LEADERS:
        schools = await program_years.participants(
            session,
            deadline.year,
            municipality_id=deadline.municipality_id,
            region_id=deadline.region_id if deadline.municipality_id is None else None,
        )
        for school in schools:
            # A school that joins after the due date has nothing due for this item.
            if school.takes_part_on(deadline.due_on):
                key = school_key(school.school_id)
                wanted[key] = DeadlineTask(
                    deadline_id=deadline.id, target_key=key, school_id=school.school_id
                )
    elif deadline.responsible in (Responsible.COORDINATORS, Responsible.TUTORS):
        if deadline.municipality_id is not None:
            coordinators = deadline.responsible == Responsible.COORDINATORS
            role = Role.COORDINATOR if coordinators else Role.TUTOR
            for person_id in await repo.role_holders(role, deadline.municipality_id):
                key = person_key(person_id)
                wanted[key] = DeadlineTask(
                    deadline_id=deadline.id, target_key=key, person_id=person_id
                )
    elif deadline.person_id is not None:
        key = person_key(deadline.person_id)
        wanted[key] = DeadlineTask(
            deadline_id=deadline.id, target_key=key, person_id=deadline.person_id
        )
    existing = await repo.target_keys(deadline.id)
    missing = [task for key, task in wanted.items() if key not in existing]
    await repo.add_tasks(missing)
    return len(missing)


async def refresh_open(session: AsyncSession, today: date) -> int:
    """Fans out again every live deadline not yet past due, so that people who took up a role
    since (a new coordinator, a tutor, a school's leader) get their tasks; returns how many
    tasks were added. The daily sweep runs it."""
    added = 0
    for deadline in await DeadlinesRepo(session).live_deadlines(due_from=today):
        added += await fan_out(session, deadline)
    return added
