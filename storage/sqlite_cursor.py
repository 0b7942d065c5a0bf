"""A statement on SQLite in one trip to the connection's thread, not four.

aiosqlite runs each call of the sqlite3 module in the connection's own thread, and SQLAlchemy's
cursor makes four such calls per statement (open a cursor, execute, fetch, close). Each trip is
a queue put, a thread wake-up, a future and a loop wake-up: about 0.1 ms of the event loop's CPU,
and an update of ~12 statements paid some 5 ms for them (bench/events.py). `OneTripCursor` does
the four in one function run in that thread; `speed_up(connection)` gives a new connection it.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import EMPTY_DICT, await_only

# What one trip brings back: description, rows, rowcount, lastrowid.
_Trip = tuple[Any, list[Any], int, int | None]


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_lastrowid", "_rowcount")
    _awaitable_cursor_close = False  # nothing to close: the trip closed its cursor

    def __init__(self, adapt_connection: Any) -> None:
        # No aiosqlite cursor: each statement opens and closes its own sqlite3 cursor in the
        # connection's thread. (The base `close` sees `_cursor` None and only drops the rows.)
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_only(self._trip(False, operation, parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        try:
            return await_only(self._trip(True, operation, seq_of_parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _trip(self, many: bool, operation: Any, parameters: Any) -> None:
        async with self._adapt_connection._execute_mutex:
            raw = self._connection._conn
            trip: _Trip = await self._connection._execute(_run, raw, many, operation, parameters)
        self._description, rows, self._rowcount, self._lastrowid = trip
        self._rows = collections.deque(rows)


def _run(raw: sqlite3.Connection, many: bool, operation: Any, parameters: Any) -> _Trip:
    """In the connection's thread: the whole statement."""
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneTripCursor


def speed_up(dbapi_connection: Any) -> None:
    """A new aiosqlite connection (from the engine's "connect" event) gets `OneTripCursor`."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneTripConnection
