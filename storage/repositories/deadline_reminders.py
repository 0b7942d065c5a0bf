"""Rows of deadline reminders already queued, keyed (task, key, person), and what the sweep
needs to address the rest: the municipalities' zones and who can still be reached."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import insert_ignoring_conflicts
from storage.models import DeadlineReminder, Municipality, Person, PersonStatus


@dataclass(frozen=True)
class Reachable:
    person_id: int
    chat_id: int
    municipality_id: int | None
    locale: str | None


class DeadlineRemindersRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def zones(self, municipality_ids: Iterable[int]) -> dict[int, tuple[str | None, int]]:
        """Municipality → (its time zone, its region)."""
        ids = list(set(municipality_ids))
        if not ids:
            return {}
        query = select(Municipality.id, Municipality.timezone, Municipality.region_id).where(
            Municipality.id.in_(ids)
        )
        return {mid: (tz, region) for mid, tz, region in (await self.session.execute(query))}

    async def reachable(self, person_ids: Iterable[int]) -> dict[int, Reachable]:
        """Those of the people who can be sent a message: active (not forgotten, not having
        blocked the bot) and in Telegram."""
        ids = list(set(person_ids))
        found: dict[int, Reachable] = {}
        for first in range(0, len(ids), 1000):
            query = select(
                Person.id, Person.telegram_id, Person.municipality_id, Person.locale
            ).where(
                Person.id.in_(ids[first : first + 1000]),
                Person.status == PersonStatus.ACTIVE,
                Person.telegram_id.is_not(None),
            )
            for pid, chat, mid, locale in (await self.session.execute(query)).all():
                found[pid] = Reachable(pid, int(chat or 0), mid, locale)
        return found

    async def queued(
        self, task_ids: Sequence[int], keys: Iterable[str]
    ) -> set[tuple[int, str, int]]:
        """(task, key, person) rows already there among those keys."""
        wanted = list(set(keys))
        found: set[tuple[int, str, int]] = set()
        if not wanted:
            return found
        for first in range(0, len(task_ids), 1000):
            query = select(
                DeadlineReminder.task_id, DeadlineReminder.key, DeadlineReminder.person_id
            ).where(
                DeadlineReminder.task_id.in_(task_ids[first : first + 1000]),
                DeadlineReminder.key.in_(wanted),
            )
            found.update((t, k, p) for t, k, p in (await self.session.execute(query)).all())
        return found

    async def add(self, rows: Sequence[tuple[int, str, int]]) -> None:
        values = [{"task_id": t, "key": k, "person_id": p} for t, k, p in rows]
        for first in range(0, len(values), 2000):
            await self.session.execute(
                insert_ignoring_conflicts(self.session, DeadlineReminder),
                values[first : first + 2000],
            )
