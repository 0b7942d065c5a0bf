"""Domain errors: a refusal the person should read, named by a locale key."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Raised by services; the errors router answers with `t(key, **params)`.

    The update's uncommitted writes are rolled back. Writes committed before a Bot API call
    (see `bot.updates.requests`) stay: a service that refuses after a send undoes what it must
    itself and raises with `keep_writes=True`, so its undoing is committed, not rolled back.
    """

    def __init__(self, key: str, *, keep_writes: bool = False, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.keep_writes = keep_writes
        self.params = params
