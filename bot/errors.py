"""Domain errors: a refusal the person should read, named by a locale key."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Raised by services; the errors router answers with `t(key, **params)`."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
