"""Engine and session factory.

SQLite gets WAL, foreign keys and a busy timeout on every connection, so one process serving a
region can read while it writes; PostgreSQL uses the same code through asyncpg.

SQLite lets one connection write at a time. Left to SQLite, the others wait in its busy
handler, which polls the lock with sleeps of 1…100 ms: under a rush of writes the lock sits
free while every waiter sleeps, and a write of 2 ms waited seconds (bench/events.py: p99 3 s).
So the connections of one engine queue for writing on an asyncio lock instead (`WriteGate`), in
arrival order, and each gets the write lock the moment the previous writer commits.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, ExecutionContext
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.pool import ConnectionPoolEntry, QueuePool
from sqlalchemy.util import await_only

from storage.sqlite_cursor import speed_up

SQLITE_BUSY_TIMEOUT_MS = 10_000
# A writer waits this long for the gate, then goes on and leaves the wait to SQLite.
WRITE_GATE_PATIENCE_SECONDS = 5.0
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    speed_up(dbapi_connection)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class WriteGate:
    """One SQLite writer at a time per engine, queued in-process on an asyncio lock.

    With Python's sqlite3 (legacy transaction control) a transaction begins at its first
    INSERT/UPDATE/DELETE: the reads before it hold no snapshot, and that statement takes the
    write lock. The gate is taken just before it and given back right after the commit or
    rollback, so a connection waiting at the gate holds nothing another could wait on. A
    writer that cannot get the gate in `WRITE_GATE_PATIENCE_SECONDS` (a task writing through a
    second session while its first one holds the gate, say) goes on ungated: SQLite's busy
    timeout then decides, as without the gate.
    """

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # The raw connections holding the gate (by id), and the task each was taken by.
        self._holders: dict[int, asyncio.Task[Any] | None] = {}
        self.waits = 0  # how many writers had to queue (tests, benchmarks)

    def _current_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop, self._holders = asyncio.Lock(), loop, {}
        return self._lock

    def before_execute(
        self,
        conn: Connection,
        _cursor: Any,
        statement: str,
        _parameters: Any,
        _context: ExecutionContext | None,
        _executemany: bool,
    ) -> None:
        key = id(_raw(conn.connection))
        if key in self._holders or not _is_write(statement):
            return
        task = asyncio.current_task()
        if task is not None and task in self._holders.values():
            return  # this task already writes through another connection: never wait on itself
        await_only(self._acquire(key, task))

    async def _acquire(self, key: int, task: asyncio.Task[Any] | None) -> None:
        lock = self._current_lock()
        if lock.locked():
            self.waits += 1
        try:
            async with asyncio.timeout(WRITE_GATE_PATIENCE_SECONDS):
                await lock.acquire()
        except TimeoutError:
            return
        self._holders[key] = task

    def release(self, dbapi_connection: Any) -> None:
        if self._holders.pop(id(_raw(dbapi_connection)), _ABSENT) is not _ABSENT:
            assert self._lock is not None
            self._lock.release()

    def install(self, engine: AsyncEngine) -> None:
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self.before_execute)
        dialect = sync.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection: Any) -> None:
            try:
                commit(dbapi_connection)
            finally:
                self.release(dbapi_connection)

        def do_rollback(dbapi_connection: Any) -> None:
            try:
                rollback(dbapi_connection)
            finally:
                self.release(dbapi_connection)

        setattr(dialect, "do_commit", do_commit)  # noqa: B010 (an instance's own method)
        setattr(dialect, "do_rollback", do_rollback)  # noqa: B010
        for gone in ("close", "close_detached", "invalidate"):
            event.listen(sync.pool, gone, self._connection_gone)

    def _connection_gone(self, dbapi_connection: Any, *_args: Any) -> None:
        self.release(dbapi_connection)


_ABSENT = object()


def _raw(connection: Any) -> Any:
    """The driver's connection behind a pool's proxy (the gate's key)."""
    return getattr(connection, "dbapi_connection", None) or connection


def _is_write(statement: str) -> bool:
    return statement.lstrip()[:7].upper().startswith(_WRITES)


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
        WriteGate().install(engine)
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


@event.listens_for(TrackedSession, "after_commit")
@event.listens_for(TrackedSession, "after_rollback")
def _ended(session: Session) -> None:
    session.info.pop(_WROTE, None)


def has_writes(session: AsyncSession) -> bool:
    """True while the session holds changes not yet committed (flushed or not)."""
    sync = session.sync_session
    return bool(sync.info.get(_WROTE) or sync.new or sync.dirty or sync.deleted)


# Connections a process keeps out of the update workers' reach: the intake (an update is stored
# before it is acknowledged, so it must never queue behind the workers), the done marks, the
# outbox and the scheduler.
RESERVED_CONNECTIONS = 4


def worker_connections(session_pool: async_sessionmaker[AsyncSession]) -> int | None:
    """How many updates may be handled at once without waiting for a pooled connection (each
    holds one while it runs): the pool's size and overflow less the reserve; None if unbounded."""
    bind = session_pool.kw.get("bind")
    pool = bind.sync_engine.pool if isinstance(bind, AsyncEngine) else None
    if not isinstance(pool, QueuePool):
        return None
    return max(1, pool.size() + getattr(pool, "_max_overflow", 0) - RESERVED_CONNECTIONS)


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
