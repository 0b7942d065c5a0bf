"""Filters shared by the routers: roles and menu buttons."""

from __future__ import annotations

from typing import Any

from aiogram.filters import Filter
from aiogram.types import Message, TelegramObject

from bot.texts import all_translations
from storage.models import Person, Role


class HasRole(Filter):
    """Passes when the sender is registered with any of `roles` (none given: any role)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, event: TelegramObject, person: Person | None = None) -> bool:
        if person is None or person.consent_at is None or not person.roles:
            return False
        return not self.roles or bool(self.roles & person.role_set)


class MenuButton(Filter):
    """A press of the main-menu button `key`, in whichever language the person's keyboard is."""

    def __init__(self, key: str) -> None:
        self.key = key

    async def __call__(self, message: Message, **_: Any) -> bool:
        return message.text is not None and message.text in all_translations(self.key)
