from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.middlewares.user_context import EVENT_FROM_USER_KEY
from aiogram.types import TelegramObject, User
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import PersonStatus
from storage.repositories.people import PeopleRepo


class PersonMiddleware(BaseMiddleware):
    """Puts the sender's `Person` (or None) into handler data as `person`.

    Works for every update type: those without a sender (channel posts, polls) get None.
    """

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get(EVENT_FROM_USER_KEY)
        session: AsyncSession = data["session"]
        person = None
        if user is not None and not user.is_bot:
            person = await PeopleRepo(session).by_telegram_id(user.id)
            if person is not None and person.status == PersonStatus.BLOCKED_BOT:
                # They wrote again, so they unblocked the bot.
                person.status = PersonStatus.ACTIVE
        data["person"] = person
        return await handler(event, data)
