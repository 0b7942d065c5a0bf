"""Reminders to event registrants: which are due now, and what each message needs.

The rows are written when a seat is taken (`EventRemindersRepo.schedule`) and say when each
reminder is due; the sweep (`bot.scheduler.events`) takes the due ones in batches, the earliest
first. Taking one sets its `sent_at` and queues its message in the same transaction, so a crash
between the two can neither send it twice nor lose it, and two bot processes never both take it.
A reminder whose registration ended, whose event was cancelled or has begun (it came due while
the bot was down) is marked skipped instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.event_cards import EventCard, SessionLine, card_of
from storage.repositories.event_reminders import ClaimedReminder, EventRemindersRepo
from storage.repositories.events import EventsRepo

# Reminders taken in one transaction: short write locks, and 100,000 pending rows are a
# series of small steps, none of them on the start-up path.
BATCH = 500


@dataclass(frozen=True)
class DueReminder:
    reminder: ClaimedReminder
    card: EventCard
    # The «десант» part the registration is for (None: the event as a whole).
    part: SessionLine | None

    @property
    def starts_at(self) -> datetime:
        return self.part.starts_at if self.part is not None else self.card.starts_at

    @property
    def place(self) -> str | None:
        if self.part is not None and self.part.place:
            return self.part.place
        return self.card.address


@dataclass(frozen=True)
class Batch:
    due: list[DueReminder] = field(default_factory=list)
    skipped: int = 0

    @property
    def full(self) -> bool:
        """As many as a batch takes: there may be more."""
        return len(self.due) >= BATCH or self.skipped >= BATCH


async def take_due(session: AsyncSession, now: datetime, limit: int = BATCH) -> Batch:
    """Up to `limit` due reminders taken for sending (marked sent: the caller queues their
    messages in this transaction), and up to `limit` that must not go marked skipped."""
    repo = EventRemindersRepo(session)
    skipped = await repo.skip_due_unsendable(now, limit)
    claimed = await repo.claim_due(now, limit)
    cards: dict[int, EventCard] = {}
    for event_id in sorted({c.event_id for c in claimed}):
        event = await EventsRepo(session).get(event_id)
        assert event is not None  # the reminder's row references it
        cards[event_id] = await card_of(session, event)
    due = [
        DueReminder(c, cards[c.event_id], _part(cards[c.event_id], c.session_id)) for c in claimed
    ]
    return Batch(due, skipped)


def _part(card: EventCard, session_id: int | None) -> SessionLine | None:
    if session_id is None:
        return None
    return next((part for part in card.sessions if part.id == session_id), None)
