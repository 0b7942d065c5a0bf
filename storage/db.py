"""Engine and session factory.

SQLite gets WAL, foreign keys and a busy timeout on every connection, so one process serving a
region can read while it writes; PostgreSQL uses the same code through asyncpg.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_MS = 10_000


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    # A failed statement's error text (logged, kept as a job's error) would otherwise list its
    # parameters: a failed roster chunk, every row's name and phone.
    kwargs.setdefault("hide_parameters", True)
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(database_url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    return create_async_engine(database_url, **kwargs)


class TrackedSession(Session):
    """A session that knows whether its open transaction has written anything.

    The update path asks it before every Bot API call: writes are committed first, so no write
    lock is ever held while waiting on the network (see `bot.updates.requests`).
    """


_WROTE = "wrote"


@event.listens_for(TrackedSession, "after_flush")
def _flushed(session: Session, _context: UOWTransaction) -> None:
    session.info[_WROTE] = True


@event.listens_for(TrackedSession, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


_COMMITTED_WRITES = "committed_writes"


@event.listens_for(TrackedSession, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_WROTE, None):
        session.info[_COMMITTED_WRITES] = True


@event.listens_for(TrackedSession, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_WROTE, None)


def has_writes(session: AsyncSession) -> bool:
    """True while the session holds changes not yet committed (flushed or not)."""
    sync = session.sync_session
    return bool(sync.info.get(_WROTE) or sync.new or sync.dirty or sync.deleted)


def wrote_anything(session: AsyncSession) -> bool:
    """True once the session committed a write, or holds one not yet committed."""
    return bool(session.sync_session.info.get(_COMMITTED_WRITES)) or has_writes(session)


def create_session_pool(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=False, sync_session_class=TrackedSession
    )


# The session of the update being handled. The FSM storage writes through it, so a dialog step
# and what it changed commit or roll back together (and SQLite never waits on itself).
current_session: ContextVar[AsyncSession | None] = ContextVar("current_session", default=None)


def insert_ignoring_conflicts(session: AsyncSession, model: type[Any] | Table) -> Any:
    """`INSERT ... ON CONFLICT DO NOTHING` in the session's dialect (SQLite or PostgreSQL), for
    a mapped class or a table."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        return postgresql_insert(model).on_conflict_do_nothing()
    return sqlite_insert(model).on_conflict_do_nothing()
