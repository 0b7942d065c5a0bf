"""Questions (обращения): threads, their relayed messages and tutors' substitutes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Thread, ThreadMessage, ThreadStatus, TutorSubstitute


class ThreadsRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, thread_id: int) -> Thread | None:
        return await self.session.get(Thread, thread_id)

    async def add(self, item: Thread | ThreadMessage | TutorSubstitute) -> None:
        self.session.add(item)
        await self.session.flush()

    async def unclosed_of_teacher(self, teacher_id: int) -> Thread | None:
        """The teacher's newest thread that is still open or answered."""
        return await self.session.scalar(
            select(Thread)
            .where(Thread.teacher_id == teacher_id, Thread.status != ThreadStatus.CLOSED)
            .order_by(Thread.id.desc())
            .limit(1)
        )

    async def unclosed_for_tutors(self, tutor_ids: Sequence[int]) -> Sequence[Thread]:
        if not tutor_ids:
            return []
        return (
            await self.session.scalars(
                select(Thread)
                .where(Thread.tutor_id.in_(tutor_ids), Thread.status != ThreadStatus.CLOSED)
                .order_by(Thread.waiting_since.is_(None), Thread.waiting_since, Thread.id)
            )
        ).all()

    async def of_municipalities(self, municipality_ids: Sequence[int]) -> Sequence[Thread]:
        if not municipality_ids:
            return []
        return (
            await self.session.scalars(
                select(Thread)
                .where(Thread.municipality_id.in_(municipality_ids))
                .order_by(Thread.id)
            )
        ).all()

    async def unclosed(self) -> Sequence[Thread]:
        """Every thread the SLA sweep may have to act on."""
        return (
            await self.session.scalars(
                select(Thread).where(Thread.status != ThreadStatus.CLOSED).order_by(Thread.id)
            )
        ).all()

    async def messages(self, thread_id: int) -> Sequence[ThreadMessage]:
        return (
            await self.session.scalars(
                select(ThreadMessage)
                .where(ThreadMessage.thread_id == thread_id)
                .order_by(ThreadMessage.id)
            )
        ).all()

    async def message_count(self, thread_id: int) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(ThreadMessage)
                .where(ThreadMessage.thread_id == thread_id)
            )
            or 0
        )

    async def by_relayed(self, chat_id: int, message_id: int) -> ThreadMessage | None:
        """The relayed copy (or card) that sits in `chat_id` as `message_id`."""
        return await self.session.scalar(
            select(ThreadMessage)
            .where(
                ThreadMessage.relayed_chat_id == chat_id,
                ThreadMessage.relayed_message_id == message_id,
            )
            .order_by(ThreadMessage.id.desc())
            .limit(1)
        )

    async def by_source(self, chat_id: int, message_id: int) -> Sequence[ThreadMessage]:
        return (
            await self.session.scalars(
                select(ThreadMessage).where(
                    ThreadMessage.source_chat_id == chat_id,
                    ThreadMessage.source_message_id == message_id,
                )
            )
        ).all()

    async def active_substitute_of(self, tutor_id: int, day: date) -> TutorSubstitute | None:
        return await self.session.scalar(
            select(TutorSubstitute)
            .where(
                TutorSubstitute.tutor_id == tutor_id,
                TutorSubstitute.starts_on <= day,
                TutorSubstitute.ends_on >= day,
            )
            .order_by(TutorSubstitute.id.desc())
            .limit(1)
        )

    async def substituted_by(self, substitute_id: int, day: date) -> Sequence[int]:
        """Tutors for whom `substitute_id` answers today."""
        return (
            await self.session.scalars(
                select(TutorSubstitute.tutor_id).where(
                    TutorSubstitute.substitute_id == substitute_id,
                    TutorSubstitute.starts_on <= day,
                    TutorSubstitute.ends_on >= day,
                )
            )
        ).all()

    async def substitutions_of(self, tutor_id: int, day: date) -> Sequence[TutorSubstitute]:
        """The tutor's own absences that have not ended yet."""
        return (
            await self.session.scalars(
                select(TutorSubstitute).where(
                    TutorSubstitute.tutor_id == tutor_id, TutorSubstitute.ends_on >= day
                )
            )
        ).all()

    async def delete(self, item: TutorSubstitute) -> None:
        await self.session.delete(item)
        await self.session.flush()

    async def touched_before(self, moment: datetime) -> Sequence[Thread]:
        return (
            await self.session.scalars(
                select(Thread).where(
                    Thread.status == ThreadStatus.ANSWERED, Thread.last_activity_at < moment
                )
            )
        ).all()
