"""Intake: an update is stored before Telegram is told it arrived, then queued for its person.

Polling confirms a batch only by asking for the next one, after the batch is committed here;
the webhook answers 200 only after the same commit. A second delivery of a stored update is
recognised by its id and ignored. At start-up every stored, unfinished update is queued again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.texts import Texts, t
from bot.updates.keys import media_group, person_key
from bot.updates.pacing import Albums, RateCounter
from bot.updates.workers import UpdateWorkers, parse
from storage.repositories.inbox import InboxRepo, IncomingUpdate

log = logging.getLogger(__name__)

# A restart that finds an update unfinished this many times gives up on it (it is kept, failed).
MAX_RESTARTS_PER_UPDATE = 3
# With several processes, an update stored this long ago and still pending lost its process.
ORPHANED_AFTER = timedelta(minutes=2)


class Intake:
    def __init__(
        self,
        session_pool: async_sessionmaker[AsyncSession],
        workers: UpdateWorkers,
        bot: Bot,
        texts: Texts,
        abuse_counter: RateCounter,
        abuse_per_minute: int,
    ) -> None:
        self.session_pool = session_pool
        self.workers = workers
        self.bot = bot
        self.texts = texts
        self.abuse_counter = abuse_counter
        self.abuse_per_minute = abuse_per_minute
        self._albums = Albums()

    async def accept(
        self, updates: Sequence[Update], payloads: Sequence[dict[str, Any]] | None = None
    ) -> None:
        """Store `updates` (with their raw JSON, when the webhook has it) and queue the new ones.

        Returns only after the commit: the caller may then confirm them to Telegram.
        """
        incoming: list[IncomingUpdate] = []
        refused: list[Update] = []
        for index, update in enumerate(updates):
            key = person_key(update)
            is_abuse = await self._is_abuse(key, update)
            payload = payloads[index] if payloads is not None else _payload(update)
            incoming.append(IncomingUpdate(update.update_id, key, payload, refused=is_abuse))
            if is_abuse:
                refused.append(update)
        async with self.session_pool.begin() as session:
            new_ids = await InboxRepo(session).add_new(incoming)
        by_person: defaultdict[int, list[Update]] = defaultdict(list)
        for item, update in zip(incoming, updates, strict=True):
            if item.update_id in new_ids and not item.refused:
                by_person[item.person_key].append(update)
        for key, theirs in by_person.items():
            self.workers.submit(key, theirs)
        for update in refused:
            if update.update_id in new_ids:
                await self._tell_refused(update)

    async def recover(self, *, at_start: bool, shared: bool = False) -> int:
        """Queue stored updates nobody finished.

        At start-up a restart is counted against each and a poison update is given up after a
        few. With several processes (`shared`) only updates stored long enough ago to have lost
        their process are taken: the others are still being handled elsewhere.
        """
        received_before = datetime.now(UTC) - ORPHANED_AFTER if shared or not at_start else None
        async with self.session_pool.begin() as session:
            repo = InboxRepo(session)
            if at_start:
                poisoned = await repo.count_restart(
                    MAX_RESTARTS_PER_UPDATE, received_before=received_before
                )
                for update_id in poisoned:
                    log.error(
                        "update %s stopped the bot %d times; given up",
                        update_id,
                        MAX_RESTARTS_PER_UPDATE,
                    )
            rows = await repo.pending(received_before=received_before)
        by_person: defaultdict[int, list[Update]] = defaultdict(list)
        for row in rows:
            if row.payload is not None:
                by_person[row.person_key].append(parse(row.payload, self.bot))
        for key, theirs in by_person.items():
            self.workers.submit(key, theirs)
        return sum(len(theirs) for theirs in by_person.values())

    async def _is_abuse(self, key: int, update: Update) -> bool:
        if self._albums.is_continuation(key, media_group(update)):
            return False
        return await self.abuse_counter.hit(key) > self.abuse_per_minute

    async def _tell_refused(self, update: Update) -> None:
        """Once per minute of abuse: the count just crossed the limit for this update."""
        context = UserContextMiddleware.resolve_event_context(update)
        if context.chat is None or context.chat.type != "private":
            return
        count = await self.abuse_counter.hit(-context.chat.id)  # counts notices, not messages
        if count > 1:
            return
        language = (context.user.language_code or "")[:2] if context.user else ""
        locale = language if language in self.texts.available_locales else None
        with self.texts.context(), self.texts.use_locale(locale or self.texts.default_locale):
            text = t("flood.refused", limit=self.abuse_per_minute)
        try:
            await self.bot.send_message(context.chat.id, text)
        except TelegramAPIError:
            log.info("could not tell chat %s about refused updates", context.chat.id)

    async def sweep_orphans(self, interval: float) -> None:
        """With several processes: take over what a process that died had stored."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.recover(at_start=False)
            except Exception:
                log.exception("orphaned updates sweep failed")


def _payload(update: Update) -> dict[str, Any]:
    return update.model_dump(mode="json", exclude_none=True)
