"""aiogram FSM storage in the bot's own database.

The default: a teacher who was halfway through a dialog when the bot restarted (or whose
connection dropped for a day) continues where they stopped. With REDIS_URL set, aiogram's
RedisStorage is used instead (see `bot.app`).
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from sqlalchemy import delete, event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from storage.db import current_session
from storage.models import FsmRecord

# Session info: dialog records known not to exist (read with the person; see `preloaded`).
_ABSENT = "fsm_absent"
_LOADED = "fsm_loaded"
# Telegram users all of whose records are in _LOADED: any other key of theirs does not exist.
_COMPLETE = "fsm_complete"


@event.listens_for(Session, "after_soft_rollback")
def _forget_after_rollback(session: Session, _previous: SessionTransaction) -> None:
    """A rolled-back step's dialog changes never happened: read the record again if asked."""
    session.info.pop(_ABSENT, None)
    session.info.pop(_LOADED, None)
    session.info.pop(_COMPLETE, None)


class DatabaseStorage(BaseStorage):
    def __init__(self, session_pool: async_sessionmaker[AsyncSession]) -> None:
        self._pool = session_pool
        self._keys = DefaultKeyBuilder(with_destiny=True)

    @asynccontextmanager
    async def _session(self) -> AsyncIterator[AsyncSession]:
        session = current_session.get()
        if session is not None:
            yield session
            return
        async with self._pool.begin() as own:
            yield own

    def record_key(self, key: StorageKey) -> str:
        return self._keys.build(key)

    @staticmethod
    def preloaded(session: AsyncSession, record_key: str, record: FsmRecord | None) -> None:
        """What this session knows of a record (read with the person, or just written): later
        reads in the same update need no query.

        Kept in the session's info, not just its identity map, which holds objects weakly."""
        absent: set[str] = session.info.setdefault(_ABSENT, set())
        loaded: dict[str, FsmRecord] = session.info.setdefault(_LOADED, {})
        if record is None:
            absent.add(record_key)
            loaded.pop(record_key, None)
        else:
            absent.discard(record_key)
            loaded[record_key] = record

    @classmethod
    def preloaded_all(
        cls, session: AsyncSession, user_id: int, records: Iterable[FsmRecord]
    ) -> None:
        """Every record of this user was read with the person (the plain dialog state, and the
        forms' stack and steps): no key of theirs needs a query in this update."""
        for record in records:
            cls.preloaded(session, record.key, record)
        session.info.setdefault(_COMPLETE, set()).add(user_id)

    async def _record(self, session: AsyncSession, key: StorageKey) -> FsmRecord | None:
        record_key = self._keys.build(key)
        if record_key in session.info.get(_ABSENT, ()):
            return None
        loaded = session.info.get(_LOADED, {}).get(record_key)
        if loaded is not None and loaded in session:
            return loaded  # type: ignore[no-any-return]
        if loaded is None and key.user_id in session.info.get(_COMPLETE, ()):
            return None
        return await session.get(FsmRecord, record_key)

    async def _write(self, key: StorageKey, **values: Any) -> None:
        """Changes the record in the session without a flush: a step that sets both state and
        data writes one row, once, when the update commits (or before its next Bot API call).
        """
        record_key = self._keys.build(key)
        async with self._session() as session:
            record = await self._record(session, key)
            if record is None and not any(values.values()):
                # Emptying what is not there (aiogram-dialog saves every person's empty stack
                # after every update): nothing to write.
                return
            if record is None:
                # If an emptied record is still waiting to be deleted, the unit of work turns
                # the delete and this insert of the same key into one update.
                record = FsmRecord(key=record_key, user_id=key.user_id, data={})
                session.add(record)
            for name, value in values.items():
                setattr(record, name, value)
            emptied = record.state is None and not record.data
            if emptied:
                if record in session.new:
                    session.expunge(record)
                else:
                    await session.delete(record)
            self.preloaded(session, record_key, None if emptied else record)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self._write(key, state=state.state if isinstance(state, State) else state)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._session() as session:
            record = await self._record(session, key)
            return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._session() as session:
            record = await self._record(session, key)
            # A deep copy: a handler that changes a list inside it in place must not change
            # the loaded record too, or saving it back would look like no change at all.
            return copy.deepcopy(record.data) if record else {}

    async def close(self) -> None:
        return None


async def forget_user_states(session: AsyncSession, user_id: int) -> None:
    """Remove every FSM record of a Telegram user (used by /forget)."""
    await session.execute(delete(FsmRecord).where(FsmRecord.user_id == user_id))
